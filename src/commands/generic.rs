//! Keyspace commands: DEL, EXISTS, TYPE, RENAME, SCAN, KEYS, ... (Redis's db.c).

use crate::command::{Ctx, LockMode, Registry};
use crate::resp::Reply;
use bytes::Bytes;

pub fn register(r: &mut Registry) {
    r.add("del", del, LockMode::Keys);
    r.add("dbsize", dbsize, LockMode::None);
}

fn del(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut n = 0;
    for k in &args[1..] {
        if ctx.delete(k) {
            ctx.notify(crate::config::notify::GENERIC, "del", k);
            n += 1;
        }
    }
    Reply::Int(n)
}

fn dbsize(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let db = ctx.db_index();
    let mut n = 0;
    ctx.for_each_shard(|s| n += s.dbs[db].len());
    Reply::Int(n as i64)
}
