//! Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...).
//!
//! A command that can't be served sets `ctx.block`; the dispatcher registers the client
//! here *while it still holds the command's shard locks*, so a writer that takes the same
//! locks afterwards always sees it (no lost wake-up). The connection then waits outside
//! every lock for one of: its waiter being served, its deadline, CLIENT UNBLOCK, a kill,
//! or its socket closing.
//!
//! Serving happens in place: when a writer signals a key, the dispatcher re-runs the
//! waiter's command *under the writer's locks*, before they are released, first-blocked
//! first-served, and hands the reply to the waiting connection. So after `LPUSH k x` the
//! element goes to the client blocked on `k` before any other command can see it, and an
//! XADD followed by a DEL still serves the XREAD blocked in between, as in Redis. Effects
//! of a served command (BLMOVE pushing to a list another client waits on) are served in
//! turn. A waiter is served only while the key holds the type it blocked for
//! (`BlockOn::serves_on`), except XREADGROUP, which Redis also unblocks when the key is
//! deleted or changes type (it then gets its -NOGROUP or -WRONGTYPE).

use crate::command::{Ctx, Locks};
use crate::resp::Reply;
use crate::server::client::{Client, ClientInfo};
use crate::server::Server;
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// Where a blocked client stands.
pub enum WaitState {
    Waiting,
    /// A writer is running its command right now (the state lock is not held meanwhile,
    /// so two writers never wait on each other through it).
    Serving,
    /// Served in place: the reply to send.
    Served(Reply),
    /// Timed out, unblocked or gone: no longer to be served.
    Cancelled,
}

pub struct Waiter {
    pub client_id: u64,
    pub seq: u64,
    pub db: usize,
    /// The keys it waits on (deduplicated).
    pub keys: Vec<Bytes>,
    /// The command to run when served or woken.
    pub args: Vec<Bytes>,
    /// Served when one of its keys holds a value of this type.
    pub serves_on: &'static str,
    /// Served in place also when the key is gone or of another type (XREADGROUP).
    serve_on_nokey: bool,
    pub deadline: Option<u64>,
    info: Arc<ClientInfo>,
    proto: u8,
    push_tx: tokio::sync::mpsc::UnboundedSender<Bytes>,
    pub state: Mutex<WaitState>,
    pub notify: Notify,
}

type Queues = HashMap<(usize, Bytes), VecDeque<Arc<Waiter>>>;

/// Clients blocked on keys, in arrival order per key.
#[derive(Default)]
pub struct Waiters {
    map: Mutex<Queues>,
    count: AtomicUsize,
    seq: AtomicU64,
}

impl Waiters {
    /// No client is blocked (a cheap check for writers).
    pub fn is_empty(&self) -> bool {
        self.count.load(Ordering::SeqCst) == 0
    }

    pub fn len(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Keys with at least one client blocked on them (INFO's `total_blocking_keys`).
    pub fn keys(&self) -> usize {
        self.map.lock().len()
    }

    /// Keys of database `db` that clients are blocked on (SWAPDB makes them ready).
    pub fn keys_in(&self, db: usize) -> Vec<Bytes> {
        self.map
            .lock()
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| k.clone())
            .collect()
    }

    fn register(&self, w: &Arc<Waiter>) {
        let mut m = self.map.lock();
        for k in &w.keys {
            m.entry((w.db, k.clone())).or_default().push_back(w.clone());
        }
        self.count.fetch_add(1, Ordering::SeqCst);
    }

    /// Removes a waiter from every queue (idempotent).
    pub fn unregister(&self, w: &Waiter) {
        let mut m = self.map.lock();
        let mut found = false;
        for k in &w.keys {
            let key = (w.db, k.clone());
            if let Some(q) = m.get_mut(&key) {
                let before = q.len();
                q.retain(|x| x.seq != w.seq);
                found |= q.len() != before;
                if q.is_empty() {
                    m.remove(&key);
                }
            }
        }
        if found {
            self.count.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn queue(&self, db: usize, key: &Bytes) -> Vec<Arc<Waiter>> {
        let m = self.map.lock();
        match m.get(&(db, key.clone())) {
            Some(q) => q.iter().cloned().collect(),
            None => Vec::new(),
        }
    }
}

/// Registers the client of `ctx` as blocked (called by the dispatcher under the command's
/// locks). The waiter is left in `ctx.client.waiter` for the connection.
pub fn register(ctx: &mut Ctx, args: &[Bytes], block: &mut crate::command::BlockOn) {
    let srv = ctx.srv;
    let mut keys: Vec<Bytes> = Vec::with_capacity(block.keys.len());
    for k in &block.keys {
        if !keys.contains(k) {
            keys.push(k.clone());
        }
    }
    let args = block.rerun_args.take().unwrap_or_else(|| args.to_vec());
    let w = Arc::new(Waiter {
        client_id: ctx.client.id(),
        seq: srv.waiters.seq.fetch_add(1, Ordering::Relaxed),
        db: ctx.client.db,
        keys,
        args,
        serves_on: block.serves_on,
        serve_on_nokey: block.unblock_on_nokey,
        deadline: block.deadline,
        info: ctx.client.info.clone(),
        proto: ctx.client.proto,
        push_tx: ctx.client.push_tx.clone(),
        state: Mutex::new(WaitState::Waiting),
        notify: Notify::new(),
    });
    srv.waiters.register(&w);
    ctx.client.info.blocked.store(true, Ordering::Relaxed);
    srv.stats.blocked_clients.fetch_add(1, Ordering::Relaxed);
    ctx.client.waiter = Some(w);
}

/// Ends a client's block: out of every queue, counters back.
pub fn finish(srv: &Server, w: &Waiter) {
    srv.waiters.unregister(w);
    w.info.blocked.store(false, Ordering::Relaxed);
    srv.stats.blocked_clients.fetch_sub(1, Ordering::Relaxed);
}

/// After a command, still under its locks: registers it if it blocked, then serves the
/// clients blocked on the keys it made ready. Returns keys that could not be served
/// without a lock out of order (see `serve_deferred`).
pub fn after_command(
    ctx: &mut Ctx,
    args: &[Bytes],
    block: &mut Option<crate::command::BlockOn>,
) -> Vec<(usize, Bytes)> {
    if let Some(b) = block.as_mut() {
        register(ctx, args, b);
    }
    if ctx.ready_keys.is_empty() {
        return Vec::new();
    }
    serve_ready(ctx)
}

/// Serves the clients blocked on `ctx.ready_keys`, chaining through the keys their
/// commands make ready in turn.
pub fn serve_ready(ctx: &mut Ctx) -> Vec<(usize, Bytes)> {
    let srv = ctx.srv;
    let mut queue: VecDeque<(usize, Bytes)> = std::mem::take(&mut ctx.ready_keys).into();
    let mut deferred = Vec::new();
    if srv.waiters.is_empty() {
        return deferred;
    }
    // Each serve removes a waiter, so this ends even when a chain signals a key again
    // (BLMOVE k k).
    while let Some((db, key)) = queue.pop_front() {
        for w in srv.waiters.queue(db, &key) {
            {
                let mut st = w.state.lock();
                if !matches!(*st, WaitState::Waiting) {
                    continue;
                }
                *st = WaitState::Serving;
            }
            let want = w.serves_on;
            let back_to_waiting = || *w.state.lock() = WaitState::Waiting;
            // Served only when the key holds the type the client waits for (a list
            // waiter stays blocked on a key that became a string, as in Redis); the
            // waiters behind it may wait for that type (Redis checks each client).
            // Several stream readers may be served by one write, and one that can't be
            // (XREAD of an ID still ahead) must not hold up those behind it; a list or
            // zset waiter that can't be served means nothing is left for the next ones.
            let next_may_serve = want == "stream";
            let ty = ctx.lookup_in(db, &key).map(|e| e.value.type_name());
            if ty != Some(want) && !w.serve_on_nokey {
                back_to_waiting();
                continue;
            }
            let Ok(cmd) = crate::server::dispatch::lookup(srv, &w.args) else {
                back_to_waiting();
                break;
            };
            if let Some(shards) = crate::server::dispatch::shards_for(srv, cmd, &w.args) {
                if !ctx.locks.ensure(&shards) {
                    back_to_waiting();
                    deferred.push((db, key.clone()));
                    break;
                }
            }
            match run_for(ctx, &w, cmd) {
                Some(reply) => {
                    *w.state.lock() = WaitState::Served(reply);
                    w.notify.notify_one();
                    srv.waiters.unregister(&w);
                    queue.extend(std::mem::take(&mut ctx.ready_keys));
                }
                None => {
                    back_to_waiting();
                    if next_may_serve {
                        continue;
                    }
                    break;
                }
            }
        }
    }
    deferred
}

/// Runs waiter `w`'s command with `ctx` (its locks), as client `w`. Returns its reply, or
/// None if it would block again (nothing to serve it with).
fn run_for(ctx: &mut Ctx, w: &Waiter, cmd: &crate::command::CommandSpec) -> Option<Reply> {
    let srv = ctx.srv;
    let mut wc = Client::new(w.info.clone(), true, w.push_tx.clone());
    wc.db = w.db;
    wc.proto = w.proto;
    std::mem::swap(ctx.client, &mut wc);
    let saved_dirty = std::mem::replace(&mut ctx.dirty, 0);
    let saved_prop = std::mem::take(&mut ctx.propagate);
    let saved_exec = std::mem::replace(&mut ctx.in_exec, false);
    let saved_block = ctx.block.take();
    let start = std::time::Instant::now();
    let handler = cmd.handler.expect("registered command has a handler");
    let reply = handler(ctx, &w.args);
    let blocked = ctx.block.take().is_some();
    let out = if blocked {
        None
    } else {
        crate::server::dispatch::propagate(ctx, cmd, &w.args);
        cmd.stats.calls.fetch_add(1, Ordering::Relaxed);
        cmd.stats
            .usec
            .fetch_add(start.elapsed().as_micros() as u64, Ordering::Relaxed);
        srv.stats
            .total_commands_processed
            .fetch_add(1, Ordering::Relaxed);
        w.info.tot_cmds.fetch_add(1, Ordering::Relaxed);
        if let Reply::Error(e) = &reply {
            cmd.stats.failed.fetch_add(1, Ordering::Relaxed);
            srv.stats.count_error(e);
        }
        Some(reply)
    };
    std::mem::swap(ctx.client, &mut wc);
    ctx.dirty = saved_dirty;
    ctx.propagate = saved_prop;
    ctx.in_exec = saved_exec;
    ctx.block = saved_block;
    out
}

/// Serves keys `serve_ready` had to leave (a waiter needed a shard below one the writer
/// held, and it was busy): with every shard locked, which is safe and rare. `client` is
/// the writer's client (only borrowed for the Ctx; waiters run as themselves).
pub fn serve_deferred(srv: &Server, client: &mut Client, keys: Vec<(usize, Bytes)>) {
    if keys.is_empty() {
        return;
    }
    let locks = Locks::all(&srv.store);
    let mut ctx = Ctx::new(srv, client, locks);
    ctx.ready_keys = keys;
    let again = serve_ready(&mut ctx);
    debug_assert!(again.is_empty());
    let events = std::mem::take(&mut ctx.events);
    drop(ctx);
    srv.publish_events(events);
}
