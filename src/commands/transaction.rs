//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's multi.c).
//!
//! Queueing happens in the dispatcher (`server::dispatch::execute`). EXEC locks the shards
//! of every queued command's keys and of the watched keys, checks the WATCH flag under
//! those locks, and runs the queue through `dispatch::call_locked`: no other client can
//! observe a partial transaction, and concurrent transactions on the same keys serialize.
//! WATCH registers the client's flag in the shard that owns the key; writers set it (under
//! the lock they already hold) through `Ctx::modified`.

use crate::command::{Ctx, LockMode, Locks, Registry};
use crate::resp::Reply;
use crate::server::client::Client;
use crate::server::{dispatch, Server};
use crate::store::Sds;
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    r.add("multi", multi, LockMode::None);
    r.add("exec", exec, LockMode::None);
    r.add("discard", discard, LockMode::None);
    r.add("watch", watch, LockMode::Keys);
    r.add("unwatch", unwatch, LockMode::None);
}

fn multi(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR MULTI calls can not be nested");
    }
    ctx.client.multi = Some(Vec::new());
    ctx.client.multi_error = false;
    ctx.client.info.multi.store(0, Ordering::Relaxed);
    Reply::OK
}

fn discard(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    if ctx.client.multi.is_none() {
        return Reply::err("ERR DISCARD without MULTI");
    }
    end_multi(ctx.client);
    unwatch_all(ctx);
    Reply::OK
}

fn end_multi(client: &mut Client) {
    client.multi = None;
    client.multi_error = false;
    client.info.multi.store(-1, Ordering::Relaxed);
}

fn exec(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let Some(queue) = ctx.client.multi.take() else {
        return Reply::err("ERR EXEC without MULTI");
    };
    let aborted = ctx.client.multi_error;
    end_multi(ctx.client);
    if aborted {
        unwatch_all(ctx);
        return Reply::err("EXECABORT Transaction discarded because of previous errors.");
    }
    let srv = ctx.srv;
    // Lock everything the transaction touches, and the watched keys, in one go.
    let mut shards = dispatch::ShardList::new();
    let mut all = false;
    for (cmd, args) in &queue {
        match dispatch::shards_for(srv, cmd, args) {
            Some(s) if cmd.lock == LockMode::Keys => shards.extend(s),
            _ => all = true,
        }
    }
    for (_, key, _) in &ctx.client.watched {
        shards.push(srv.store.shard_of(key));
    }
    if all {
        shards = (0..srv.store.nshards()).collect();
    }
    ctx.locks = match Locks::acquire_unless_busy(&srv.store, shards, &srv.scripting.busy) {
        Some(l) => l,
        None => {
            unwatch_all(ctx);
            return Reply::err(srv.scripting.busy.err());
        }
    };
    if watch_failed(ctx) {
        unwatch_all(ctx);
        return Reply::NilArray;
    }
    ctx.in_exec = true;
    let mut replies = Vec::with_capacity(queue.len());
    for (cmd, args) in &queue {
        ctx.client.info.set_last_cmd(cmd);
        replies.push(dispatch::call_locked(ctx, cmd, args));
    }
    if ctx.multi_emitted {
        srv.propagate_effect(ctx.client.db, &[Bytes::from_static(b"EXEC")]);
        ctx.multi_emitted = false;
    }
    ctx.in_exec = false;
    unwatch_all(ctx);
    Reply::Array(replies)
}

/// Whether a watched key changed (flag set by a writer) or expired since WATCH.
fn watch_failed(ctx: &mut Ctx) -> bool {
    if ctx.client.watch_flag.load(Ordering::SeqCst) {
        return true;
    }
    let now = ctx.now;
    let watched = ctx.client.watched.clone();
    for (db, key, expire_at) in watched {
        if expire_at != 0 {
            let pos = ctx.pos(&key);
            if let Some(e) = ctx.db_part(db, pos).get(pos.hash, &key) {
                if e.is_expired(now) {
                    return true;
                }
            }
        }
    }
    false
}

fn watch(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if ctx.client.multi.is_some() {
        return Reply::err("ERR WATCH inside MULTI is not allowed");
    }
    let db = ctx.client.db;
    let now = ctx.now;
    for key in &args[1..] {
        if ctx
            .client
            .watched
            .iter()
            .any(|(d, k, _)| *d == db && k == key)
        {
            continue;
        }
        let id = ctx.client.id();
        let flag = ctx.client.watch_flag.clone();
        let pos = ctx.pos(key);
        let part = ctx.db_part(db, pos);
        let expire_at = match part.get(pos.hash, key) {
            Some(e) if !e.is_expired(now) => e.expire_at(),
            _ => 0,
        };
        part.watchers
            .entry(Sds::new(key))
            .or_default()
            .push((id, flag));
        ctx.client
            .watched
            .push((db, Bytes::copy_from_slice(key), expire_at));
    }
    Reply::OK
}

fn unwatch(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    unwatch_all(ctx);
    Reply::OK
}

/// Forgets every WATCH of the client and clears its flag.
pub fn unwatch_all(ctx: &mut Ctx) {
    let watched = std::mem::take(&mut ctx.client.watched);
    let id = ctx.client.id();
    for (db, key, _) in watched {
        let pos = ctx.pos(&key);
        ctx.with_shard(pos.shard, |s| remove_watcher(&mut s.dbs[db], &key, id));
    }
    ctx.client.watch_flag.store(false, Ordering::SeqCst);
}

fn remove_watcher(part: &mut crate::store::DbShard, key: &[u8], id: u64) {
    if let Some(v) = part.watchers.get_mut(key) {
        v.retain(|(c, _)| *c != id);
        if v.is_empty() {
            part.watchers.remove(key);
        }
    }
}

/// Cleanup when a connection closes: drop its watches (no locks are held here).
pub fn on_disconnect(srv: &Server, client: &mut Client) {
    for (db, key, _) in std::mem::take(&mut client.watched) {
        let mut g = srv.store.lock(srv.store.shard_of(&key));
        remove_watcher(&mut g.dbs[db], &key, client.id());
    }
}
