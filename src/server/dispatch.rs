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
pub fn lookup(srv: &Server, args: &[Bytes]) -> Result<Arc<CommandSpec>, Reply> {
    let Some(cmd) = srv.cmds.get(&args[0]) else {
        return Err(unknown_command(args));
    };
    let cmd = if !cmd.subcommands.is_empty() {
        if args.len() < 2 {
            return Err(crate::command::err::wrong_args(&cmd.name));
        }
        let sub = crate::util::lower(&args[1]);
        match cmd.subcommands.get(&sub) {
            Some(s) => s.clone(),
            None => {
                return Err(crate::command::err::unknown_subcommand(&args[1], &cmd.name));
            }
        }
    } else {
        cmd.clone()
    };
    let argc = args.len() as i32;
    if (cmd.arity > 0 && argc != cmd.arity) || (cmd.arity < 0 && argc < -cmd.arity) {
        cmd.stats.rejected.fetch_add(1, Ordering::Relaxed);
        return Err(crate::command::err::wrong_args(&cmd.name));
    }
    Ok(cmd)
}

/// The shards a command must lock.
pub fn shards_for(srv: &Server, cmd: &CommandSpec, args: &[Bytes]) -> Option<Vec<usize>> {
    match cmd.lock {
        LockMode::None => None,
        LockMode::All => Some((0..srv.store.nshards()).collect()),
        LockMode::Keys => Some(
            cmd.key_positions(args)
                .into_iter()
                .map(|i| srv.store.shard_of(&args[i]))
                .collect(),
        ),
    }
}

/// The result of running one command.
pub struct Outcome {
    /// None when the reply is suppressed (CLIENT REPLY OFF/SKIP).
    pub reply: Option<Reply>,
    pub block: Option<BlockOn>,
}

/// Runs a request end to end (lookup, checks, execution).
pub fn execute(srv: &Server, client: &mut Client, args: &[Bytes]) -> Outcome {
    let cmd = match lookup(srv, args) {
        Ok(c) => c,
        Err(r) => return reject(srv, client, r),
    };
    if !client.authenticated && !cmd.has(flags::NO_AUTH) {
        cmd.stats.rejected.fetch_add(1, Ordering::Relaxed);
        return reject(srv, client, Reply::err("NOAUTH Authentication required."));
    }
    run(srv, client, &cmd, args)
}

fn reject(srv: &Server, client: &mut Client, r: Reply) -> Outcome {
    if let Reply::Error(e) = &r {
        srv.stats.count_error(e);
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
    let start = std::time::Instant::now();
    let locks = match shards_for(srv, cmd, args) {
        None => Locks::none(&srv.store),
        Some(s) => Locks::acquire(&srv.store, s),
    };
    let handler = cmd.handler.expect("registered command has a handler");
    let mut ctx = Ctx::new(srv, client, locks);
    let reply = handler(&mut ctx, args);
    if ctx.dirty > 0 {
        srv.dirty.fetch_add(ctx.dirty, Ordering::Relaxed);
        let db = ctx.client.db;
        match std::mem::take(&mut ctx.propagate) {
            Propagate::AsIs if cmd.is_write() => srv.propagate_effect(db, args.to_vec()),
            Propagate::Rewritten(cmds) => {
                for c in cmds {
                    srv.propagate_effect(db, c);
                }
            }
            _ => {}
        }
    }
    // Still under the locks: register a blocked client, serve clients blocked on keys
    // this command made ready (crate::blocking).
    let mut block = ctx.block.take();
    let deferred = crate::blocking::after_command(&mut ctx, args, &mut block);
    let events = std::mem::take(&mut ctx.events);
    drop(ctx); // releases the shard locks
    srv.publish_events(events);
    crate::blocking::serve_deferred(srv, client, deferred);
    let elapsed = start.elapsed().as_micros() as u64;
    after_call(srv, client, cmd, args, &reply, elapsed, block.is_some());
    if block.is_some() {
        return Outcome { reply: None, block };
    }
    finish_reply(client, reply)
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
    srv.stats
        .total_commands_processed
        .fetch_add(1, Ordering::Relaxed);
    client.info.tot_cmds.fetch_add(1, Ordering::Relaxed);
    if let Reply::Error(e) = reply {
        cmd.stats.failed.fetch_add(1, Ordering::Relaxed);
        srv.stats.count_error(e);
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
    let us = crate::util::now_us();
    let mut line = format!(
        "+{}.{:06} [{} {}]",
        us / 1_000_000,
        us % 1_000_000,
        client.db,
        client.info.addr
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
