//! From arguments to reply: command lookup, checks in Redis's order, locking, the handler
//! call, and the bookkeeping after it (propagation, notifications, stats, slowlog, monitor).
//! Synchronous: the connection task calls it for each parsed request.

use super::client::{Client, ReplyMode};
use super::Server;
use crate::command::{flags, BlockOn, CommandSpec, Ctx, LockMode, Locks, Propagate};
use crate::resp::Reply;
use bytes::Bytes;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Redis's unknown-command error, with a preview of the arguments.
pub fn unknown_command(args: &[Bytes]) -> Reply {
    let mut preview = String::new();
    for a in args.iter().skip(1) {
        if preview.len() >= 128 {
            break;
        }
        let s = String::from_utf8_lossy(a);
        let room = 128 - preview.len();
        let s: String = s.chars().take(room).collect();
        preview.push('\'');
        preview.push_str(&s);
        preview.push_str("' ");
    }
    let name: String = String::from_utf8_lossy(&args[0])
        .chars()
        .take(128)
        .collect();
    Reply::Error(
        format!("ERR unknown command '{name}', with args beginning with: {preview}").into(),
    )
}

/// Finds the command (and subcommand) for `args` and checks its arity.
/// The spec is borrowed from the table: no refcount traffic on a line every thread shares.
pub fn lookup<'s>(srv: &'s Server, args: &[Bytes]) -> Result<&'s Arc<CommandSpec>, Reply> {
    resolve(srv.cmds.get(&args[0]), args)
}

/// `lookup` for a caller that already has the table's entry for `args[0]` (`found`).
pub fn resolve<'s>(
    found: Option<&'s Arc<CommandSpec>>,
    args: &[Bytes],
) -> Result<&'s Arc<CommandSpec>, Reply> {
    let Some(cmd) = found else {
        return Err(unknown_command(args));
    };
    let cmd = if !cmd.subcommands.is_empty() {
        if args.len() < 2 {
            // A container whose arity allows no subcommand (COMMAND) runs itself.
            if cmd.arity != -1 {
                return Err(crate::command::err::wrong_args(&cmd.name));
            }
            cmd
        } else {
            let sub = crate::util::lower(&args[1]);
            match cmd.subcommands.get(&sub) {
                Some(s) => s,
                None => {
                    return Err(crate::command::err::unknown_subcommand(&args[1], &cmd.name));
                }
            }
        }
    } else {
        cmd
    };
    if !cmd.arity_ok(args.len()) {
        cmd.stats.rejected.fetch_add(1, Ordering::Relaxed);
        return Err(crate::command::err::wrong_args(&cmd.name));
    }
    Ok(cmd)
}

/// The shards a command must lock.
pub fn shards_for(srv: &Server, cmd: &CommandSpec, args: &[Bytes]) -> Option<ShardList> {
    shards_seeing_first_key(srv, cmd, args, |_, _| {})
}

/// `shards_for`, also handing `first_key` the first key and its position (the
/// dispatcher remembers it: the handler looks that key up next).
fn shards_seeing_first_key(
    srv: &Server,
    cmd: &CommandSpec,
    args: &[Bytes],
    mut first_key: impl FnMut(&Bytes, crate::store::KeyPos),
) -> Option<ShardList> {
    match cmd.lock {
        LockMode::None => None,
        LockMode::All => Some((0..srv.store.nshards()).collect()),
        LockMode::Keys => {
            let mut out = ShardList::new();
            cmd.each_key_position(args, |i| {
                let pos = srv.store.pos(&args[i]);
                if out.is_empty() {
                    first_key(&args[i], pos);
                }
                out.push(pos.shard);
            });
            Some(out)
        }
    }
}

/// Shard indexes a command locks (inline for the usual few).
pub type ShardList = smallvec::SmallVec<[usize; 16]>;

/// The result of running one command.
pub struct Outcome {
    /// None when the reply is suppressed (CLIENT REPLY OFF/SKIP).
    pub reply: Option<Reply>,
    pub block: Option<BlockOn>,
}

/// Runs a request end to end (lookup, checks, execution).
pub fn execute(srv: &Server, client: &mut Client, args: &[Bytes]) -> Outcome {
    execute_found(srv, client, args, srv.cmds.get(&args[0]))
}

/// `execute` for a caller that already looked `args[0]` up in the command table.
pub fn execute_found(
    srv: &Server,
    client: &mut Client,
    args: &[Bytes],
    found: Option<&Arc<CommandSpec>>,
) -> Outcome {
    let cmd = match resolve(found, args) {
        Ok(c) => c,
        Err(r) => return reject(srv, client, r),
    };
    if !client.authenticated && !cmd.has(flags::NO_AUTH) {
        cmd.stats.rejected.fetch_add(1, Ordering::Relaxed);
        return reject(srv, client, Reply::err("NOAUTH Authentication required."));
    }
    if srv.scripting.busy.is_busy() && !cmd.has(flags::ALLOW_BUSY) {
        return reject(srv, client, Reply::err(srv.scripting.busy.err()));
    }
    if srv.config.hot.maxmemory.load(Ordering::Relaxed) != 0 {
        if let Some(r) = check_oom(srv, client, cmd) {
            return r;
        }
        if cmd.has(flags::DENYOOM) {
            crate::memory::charge(args.iter().map(|a| a.len()).sum());
        }
    }
    // A RESP2 client with subscriptions may only run the pub/sub commands (RESP3: no limit).
    if client.proto == 2
        && client.info.kind_pubsub.load(Ordering::Relaxed)
        && !matches!(
            cmd.name.as_str(),
            "ping"
                | "subscribe"
                | "ssubscribe"
                | "unsubscribe"
                | "sunsubscribe"
                | "psubscribe"
                | "punsubscribe"
                | "quit"
                | "reset"
        )
    {
        cmd.stats.rejected.fetch_add(1, Ordering::Relaxed);
        let msg = format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            cmd.name
        );
        return reject(srv, client, Reply::Error(msg.into()));
    }
    if client.multi.is_some() && !is_transaction_control(&cmd.name) {
        if cmd.has(flags::NO_MULTI) {
            cmd.stats.rejected.fetch_add(1, Ordering::Relaxed);
            return reject(
                srv,
                client,
                Reply::err("ERR Command not allowed inside a transaction"),
            );
        }
        let q = client.multi.as_mut().expect("in MULTI");
        q.push((cmd.clone(), args.to_vec()));
        client.info.multi.store(q.len() as i64, Ordering::Relaxed);
        return finish_reply(client, Reply::status("QUEUED"));
    }
    run(srv, client, cmd, args)
}

/// Redis's maxmemory step of processCommand: evict if over the limit; if that fails,
/// refuse denyoom commands, anything queued inside MULTI, and EXEC of a transaction with
/// denyoom commands (which also discards the transaction).
fn check_oom(srv: &Server, client: &mut Client, cmd: &Arc<CommandSpec>) -> Option<Outcome> {
    if crate::memory::perform_evictions(srv) != crate::memory::Evict::Fail {
        return None;
    }
    const OOM: &str = crate::memory::OOM_ERROR;
    let queueing = client.multi.is_some()
        && !matches!(cmd.name.as_str(), "exec" | "discard" | "quit" | "reset");
    let exec_denyoom = cmd.name == "exec"
        && client
            .multi
            .as_ref()
            .is_some_and(|q| q.iter().any(|(c, _)| c.has(flags::DENYOOM)));
    if exec_denyoom {
        cmd.stats.rejected.fetch_add(1, Ordering::Relaxed);
        {
            let mut ctx = Ctx::new(srv, client, Locks::none(&srv.store));
            crate::commands::transaction::unwatch_all(&mut ctx);
        }
        client.multi = None;
        client.multi_error = false;
        client.info.multi.store(-1, Ordering::Relaxed);
        return Some(reject(
            srv,
            client,
            Reply::Error(format!("EXECABORT Transaction discarded because of: {OOM}").into()),
        ));
    }
    if queueing || cmd.has(flags::DENYOOM) {
        cmd.stats.rejected.fetch_add(1, Ordering::Relaxed);
        return Some(reject(srv, client, Reply::err(OOM)));
    }
    None
}

/// Commands that run immediately even inside MULTI (Redis's processCommand list).
fn is_transaction_control(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// A command refused before running; inside MULTI it also dooms the transaction.
fn reject(srv: &Server, client: &mut Client, r: Reply) -> Outcome {
    if let Reply::Error(e) = &r {
        srv.stats.count_error(e);
    }
    if client.multi.is_some() {
        client.multi_error = true;
    }
    finish_reply(client, r)
}

fn finish_reply(client: &mut Client, r: Reply) -> Outcome {
    let reply = match client.reply_mode {
        ReplyMode::On => Some(r),
        ReplyMode::Off => None,
        ReplyMode::SkipNext => {
            client.reply_mode = ReplyMode::Skip;
            Some(r)
        }
        ReplyMode::Skip => {
            client.reply_mode = ReplyMode::On;
            None
        }
    };
    Outcome { reply, block: None }
}

/// Runs a looked-up command: locks, handler, effects, stats.
pub fn run(srv: &Server, client: &mut Client, cmd: &Arc<CommandSpec>, args: &[Bytes]) -> Outcome {
    let start = quanta::Instant::now();
    let mut now_at = start;
    client.info.set_last_cmd(cmd);
    let handler = cmd.handler.expect("registered command has a handler");
    let (reply, block, deferred, events) = {
        // Locked in place (no moving of guard lists); dropping `ctx` at the end of this
        // block releases the shard locks.
        let mut ctx = Ctx::unlocked(srv, client);
        let shards = shards_seeing_first_key(srv, cmd, args, |k, pos| ctx.remember_pos(k, pos));
        if let Some(mut shards) = shards {
            match ctx.locks.lock_unless_busy(&mut shards, &srv.scripting.busy) {
                None => {
                    drop(ctx);
                    return reject(srv, client, Reply::err(srv.scripting.busy.err()));
                }
                // The command's time is read after any wait for the locks, as if it had
                // just been received (Redis runs it when it gets to it).
                Some(true) => now_at = quanta::Instant::now(),
                Some(false) => {}
            }
        }
        ctx.now = crate::util::unix_us_at(now_at) / 1000;
        let reply = handler(&mut ctx, args);
        propagate(&mut ctx, cmd, args);
        // Still under the locks: register a blocked client, serve clients blocked on keys
        // this command made ready (crate::blocking).
        let mut block = ctx.block.take();
        let deferred = crate::blocking::after_command(&mut ctx, args, &mut block);
        let events = std::mem::take(&mut ctx.events);
        (reply, block, deferred, events)
    };
    if !events.is_empty() {
        srv.publish_events(events);
    }
    if !deferred.is_empty() {
        crate::blocking::serve_deferred(srv, client, deferred);
    }
    let elapsed = start.elapsed().as_micros() as u64;
    after_call(srv, client, cmd, args, &reply, elapsed, block.is_some());
    if block.is_some() {
        return Outcome { reply: None, block };
    }
    finish_reply(client, reply)
}

/// Feeds the command's write effect to AOF/replicas (still under the shard locks).
pub fn propagate(ctx: &mut Ctx, cmd: &CommandSpec, args: &[Bytes]) {
    if ctx.dirty == 0 {
        ctx.propagate = Propagate::AsIs;
        return;
    }
    let srv = ctx.srv;
    srv.dirty.fetch_add(ctx.dirty, Ordering::Relaxed);
    ctx.dirty = 0;
    let db = ctx.client.db;
    let effects = match std::mem::take(&mut ctx.propagate) {
        Propagate::AsIs if cmd.is_write() => {
            // The common case, without wrapping the one effect in a list.
            open_exec_block(ctx);
            srv.propagate_effect(db, args);
            return;
        }
        Propagate::Rewritten(cmds) => cmds,
        _ => return,
    };
    if !effects.is_empty() {
        open_exec_block(ctx);
    }
    for e in effects {
        srv.propagate_effect(db, &e);
    }
}

/// Inside EXEC, the MULTI that opens the transaction's effects, before its first one.
fn open_exec_block(ctx: &mut Ctx) {
    if ctx.in_exec && !ctx.multi_emitted {
        ctx.multi_emitted = true;
        ctx.srv
            .propagate_effect(ctx.client.db, &[Bytes::from_static(b"MULTI")]);
    }
}

/// Runs a command inside an already locked context (EXEC, scripts): the same handler,
/// propagation and per-command stats as a top-level call, but no locking and no
/// blocking (a blocking command gets its timeout reply, as in Redis).
pub fn call_locked(ctx: &mut Ctx, cmd: &Arc<CommandSpec>, args: &[Bytes]) -> Reply {
    let start = quanta::Instant::now();
    let handler = cmd.handler.expect("registered command has a handler");
    let saved_dirty = std::mem::take(&mut ctx.dirty);
    ctx.propagate = Propagate::AsIs;
    let mut reply = handler(ctx, args);
    if ctx.block.take().is_some() {
        reply = crate::commands::blocking_timeout_reply(&cmd.name);
    }
    propagate(ctx, cmd, args);
    ctx.dirty = saved_dirty;
    let elapsed = start.elapsed().as_micros() as u64;
    cmd.stats.calls.fetch_add(1, Ordering::Relaxed);
    cmd.stats.usec.fetch_add(elapsed, Ordering::Relaxed);
    cmd.stats.hist.record(elapsed);
    if let Reply::Error(e) = &reply {
        cmd.stats.failed.fetch_add(1, Ordering::Relaxed);
        ctx.srv.stats.count_error(e);
    }
    reply
}

/// Stats, slowlog and monitor feed for a command that ran.
fn after_call(
    srv: &Server,
    client: &mut Client,
    cmd: &CommandSpec,
    args: &[Bytes],
    reply: &Reply,
    elapsed_us: u64,
    blocked: bool,
) {
    if blocked {
        return;
    }
    cmd.stats.calls.fetch_add(1, Ordering::Relaxed);
    cmd.stats.usec.fetch_add(elapsed_us, Ordering::Relaxed);
    cmd.stats.hist.record(elapsed_us);
    srv.stats
        .total_commands_processed
        .fetch_add(1, Ordering::Relaxed);
    client.info.tot_cmds.fetch_add(1, Ordering::Relaxed);
    if let Reply::Error(e) = reply {
        cmd.stats.failed.fetch_add(1, Ordering::Relaxed);
        srv.stats.count_error(e);
    }
    let latency_ms = srv.config.hot.latency_threshold.load(Ordering::Relaxed);
    if latency_ms > 0 && elapsed_us / 1000 >= latency_ms {
        let event = if cmd.has(flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        srv.latency
            .add(event, crate::util::now_ms() / 1000, elapsed_us / 1000);
    }
    let threshold = srv.config.hot.slowlog_slower_than.load(Ordering::Relaxed);
    if threshold >= 0 && elapsed_us >= threshold as u64 && !cmd.has(flags::SKIP_SLOWLOG) {
        let max = srv.config.hot.slowlog_max_len.load(Ordering::Relaxed) as usize;
        srv.slowlog.push(
            args,
            elapsed_us,
            client.info.addr.clone(),
            client.info.name.lock().clone().unwrap_or_default(),
            max,
        );
    }
    if srv.has_monitors.load(Ordering::Relaxed)
        && !cmd.has(flags::SKIP_MONITOR)
        && !cmd.has(flags::ADMIN)
    {
        feed_monitors(srv, client, args);
    }
}

/// Sends `+<time> [<db> <addr>] "arg" ...` to every MONITOR client.
pub fn feed_monitors(srv: &Server, client: &Client, args: &[Bytes]) {
    feed_monitors_from(srv, client.db, &client.info.addr, args);
}

/// A monitor line for a command run by `origin` (a client address, or `lua` for commands
/// called from scripts, as Redis shows them).
pub fn feed_monitors_from(srv: &Server, db: usize, origin: &str, args: &[Bytes]) {
    let us = crate::util::now_us();
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        us / 1_000_000,
        us % 1_000_000,
        db,
        origin
    );
    for a in args {
        line.push_str(" \"");
        for &b in a.iter() {
            match b {
                b'\\' => line.push_str("\\\\"),
                b'"' => line.push_str("\\\""),
                b'\n' => line.push_str("\\n"),
                b'\r' => line.push_str("\\r"),
                b'\t' => line.push_str("\\t"),
                7 => line.push_str("\\a"),
                8 => line.push_str("\\b"),
                0x20..=0x7e => line.push(b as char),
                _ => line.push_str(&format!("\\x{b:02x}")),
            }
        }
        line.push('"');
    }
    line.push_str("\r\n");
    let bytes = Bytes::from(line);
    let mut mons = srv.monitors.lock();
    mons.retain(|(_, tx)| tx.send(bytes.clone()).is_ok());
    if mons.is_empty() {
        srv.has_monitors.store(false, Ordering::Relaxed);
    }
}
