//! Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, CLIENT, RESET.

use crate::command::{Ctx, LockMode, Registry};
use crate::resp::Reply;
use bytes::Bytes;

pub fn register(r: &mut Registry) {
    r.add("ping", ping, LockMode::None);
    r.add("echo", echo, LockMode::None);
    r.add("select", select, LockMode::None);
    r.add("quit", quit, LockMode::None);
}

fn ping(_ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match args.len() {
        1 => Reply::status("PONG"),
        2 => Reply::Bulk(args[1].clone()),
        _ => crate::command::err::wrong_args("ping"),
    }
}

fn echo(_ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Bulk(args[1].clone())
}

fn select(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match super::parse_db(ctx.srv, &args[1]) {
        Ok(db) => {
            ctx.client.set_db(db);
            Reply::OK
        }
        Err(e) => e,
    }
}

fn quit(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    ctx.client.close_after_reply = true;
    Reply::OK
}
