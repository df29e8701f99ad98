//! Command families, one file each (as Redis's t_string.c, t_hash.c, ...). Each family
//! registers its handlers in `register`; the table joins them with the command facts.

/// `tri!(expr)`: the Ok value of a `Result<T, Reply>`, or else return that error reply
/// from the handler (the `?` of functions that return a bare `Reply`). Defined before the
/// family modules so that they all see it.
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

pub mod bitmap;
pub mod connection;
pub mod debug;
pub mod expire;
pub mod generic;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod info;
pub mod introspect;
pub mod list;
pub mod memory;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod set;
pub mod stream;
pub mod string;
pub mod transaction;
pub mod zset;

use crate::command::CommandTable;
use crate::resp::Reply;
use crate::server::client::ClientInfo;
use crate::server::Server;

pub fn build_table() -> CommandTable {
    CommandTable::build(|r| {
        string::register(r);
        bitmap::register(r);
        generic::register(r);
        expire::register(r);
        connection::register(r);
        server::register(r);
        hash::register(r);
        list::register(r);
        memory::register(r);
        set::register(r);
        zset::register(r);
        hll::register(r);
        geo::register(r);
        stream::register(r);
        pubsub::register(r);
        transaction::register(r);
        scripting::register(r);
    })
}

/// Cleanup when a connection closes (subscriptions, watches, monitors...).
pub fn on_disconnect(srv: &Server, info: &ClientInfo) {
    if info.monitor.load(std::sync::atomic::Ordering::Relaxed) {
        srv.monitors.lock().retain(|(id, _)| *id != info.id);
    }
    pubsub::on_disconnect(srv, info);
}

/// The reply a blocking command gives when its timeout expires.
/// (The null's RESP2/RESP3 encoding is chosen when the reply is written.)
pub fn blocking_timeout_reply(name: &str) -> Reply {
    match name {
        // BLMOVE/BRPOPLPUSH reply a null bulk; the others a null array.
        "blmove" | "brpoplpush" => Reply::Nil,
        _ => Reply::NilArray,
    }
}

/// Parses a `SELECT`-style database index against `databases`.
pub fn parse_db(srv: &Server, b: &[u8]) -> Result<usize, Reply> {
    let i = crate::command::arg::int(b)?;
    if i < 0 || i as usize >= srv.store.ndbs() {
        return Err(crate::command::err::db_index_out_of_range());
    }
    Ok(i as usize)
}
