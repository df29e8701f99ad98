//! Connections: accept, read, parse every complete request in the buffer, run them, and
//! write all their replies with one write (pipelining). Blocking commands, pauses and
//! out-of-band pushes (pub/sub, MONITOR) are handled here, around the synchronous dispatch.

use super::client::{Client, ClientInfo};
use super::dispatch;
use super::{log, workers, Server};
use crate::blocking::{WaitState, Waiter};
use crate::resp::{Limits, RequestParser};
use bytes::{Bytes, BytesMut};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

pub async fn accept_loop(srv: Arc<Server>, listener: TcpListener) {
    loop {
        let (sock, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                log('#', &format!("Accepting client connection: {e}"));
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        if srv.shutting_down.load(Ordering::Relaxed) {
            return;
        }
        srv.stats
            .total_connections_received
            .fetch_add(1, Ordering::Relaxed);
        let _ = sock.set_nodelay(true);
        let max = srv.config.hot.maxclients.load(Ordering::Relaxed) as usize;
        if srv.client_count() >= max {
            srv.stats
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
            let mut sock = sock;
            tokio::spawn(async move {
                let _ = sock
                    .write_all(b"-ERR max number of clients reached\r\n")
                    .await;
            });
            continue;
        }
        let id = srv.next_client_id.fetch_add(1, Ordering::Relaxed);
        let laddr = sock.local_addr().map(|a| a.to_string()).unwrap_or_default();
        let fd = {
            use std::os::fd::AsRawFd;
            sock.as_raw_fd() as i64
        };
        let info = Arc::new(ClientInfo::new(id, peer.to_string(), laddr, fd));
        srv.clients.lock().insert(id, info.clone());
        // Re-register the socket with the worker's own reactor (`accept` registered it
        // with this runtime's): its readiness events must reach the thread that serves it.
        let Ok(std_sock) = sock.into_std() else {
            srv.clients.lock().remove(&id);
            continue;
        };
        let (push_tx, push_rx) = mpsc::unbounded_channel::<Bytes>();
        let _ = info.wake.set(push_tx.clone());
        let need_auth = srv.config.hot.has_requirepass.load(Ordering::Relaxed);
        let state = Box::new(Conn {
            client: Client::new(info.clone(), !need_auth, push_tx),
            rbuf: BytesMut::with_capacity(16 * 1024),
            out: Vec::with_capacity(16 * 1024),
            parser: RequestParser::new(),
            push_rx,
        });
        start_on(srv.clone(), workers::place(), std_sock, info, state);
    }
}

/// A connection's state, which travels with it when it moves to another worker.
struct Conn {
    client: Client,
    rbuf: BytesMut,
    out: Vec<u8>,
    parser: RequestParser,
    push_rx: mpsc::UnboundedReceiver<Bytes>,
}

/// Serves the connection on worker `worker`.
fn start_on(
    srv: Arc<Server>,
    worker: Option<usize>,
    sock: std::net::TcpStream,
    info: Arc<ClientInfo>,
    state: Box<Conn>,
) {
    info.worker.store(worker.unwrap_or(0), Ordering::Relaxed);
    workers::spawn_on(worker, async move {
        match TcpStream::from_std(sock) {
            Ok(sock) => serve(srv, sock, info, state).await,
            Err(_) => {
                srv.clients.lock().remove(&info.id);
                crate::commands::on_disconnect(&srv, &info);
            }
        }
    });
}

/// Why the connection loop stops.
enum Stop {
    Closed,
    /// Asked to move to this worker (between two requests).
    Move(usize),
}

async fn serve(srv: Arc<Server>, mut sock: TcpStream, info: Arc<ClientInfo>, mut c: Box<Conn>) {
    let r = run_loop(
        &srv,
        &mut sock,
        &info,
        &mut c.client,
        &mut c.rbuf,
        &mut c.out,
        &mut c.parser,
        &mut c.push_rx,
    )
    .await;
    match r {
        Err(Stop::Move(to)) => match sock.into_std() {
            Ok(std_sock) => return start_on(srv, Some(to), std_sock, info, c),
            Err(_) => crate::commands::transaction::on_disconnect(&srv, &mut c.client),
        },
        _ => {
            crate::commands::transaction::on_disconnect(&srv, &mut c.client);
            let _ = sock.shutdown().await;
        }
    }
    srv.clients.lock().remove(&info.id);
    crate::commands::on_disconnect(&srv, &info);
}

#[allow(clippy::too_many_arguments)]
async fn run_loop(
    srv: &Arc<Server>,
    sock: &mut TcpStream,
    info: &Arc<ClientInfo>,
    client: &mut Client,
    rbuf: &mut BytesMut,
    out: &mut Vec<u8>,
    parser: &mut RequestParser,
    push_rx: &mut mpsc::UnboundedReceiver<Bytes>,
) -> Result<(), Stop> {
    loop {
        if info.is_killed() {
            return Err(Stop::Closed);
        }
        let to = info.move_to.load(Ordering::Relaxed);
        if to != workers::STAY {
            info.move_to.store(workers::STAY, Ordering::Relaxed);
            if to != info.worker.load(Ordering::Relaxed) && out.is_empty() {
                return Err(Stop::Move(to));
            }
        }
        if rbuf.capacity() - rbuf.len() < 4096 {
            rbuf.reserve(16 * 1024);
        }
        tokio::select! {
            biased;
            // A kill also arrives here, as an empty message (`ClientInfo::wake`).
            msg = push_rx.recv() => {
                if let Some(m) = msg {
                    if push_rx.is_empty() {
                        // Let a burst of messages (a pipelined batch of PUBLISH on another
                        // thread) pile up, so that they go out in one write.
                        tokio::task::yield_now().await;
                    }
                    let mut queued = m.len();
                    out.extend_from_slice(&m);
                    while out.len() < 1024 * 1024 {
                        let Ok(m) = push_rx.try_recv() else { break };
                        queued += m.len();
                        out.extend_from_slice(&m);
                    }
                    flush_or_kill(srv, sock, out, info).await?;
                    // Written: no longer counts against the output buffer limits.
                    let _ = info.omem.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                        Some(v.saturating_sub(queued))
                    });
                }
                continue;
            }
            r = sock.read_buf(rbuf) => {
                match r {
                    Ok(0) | Err(_) => return Err(Stop::Closed),
                    Ok(n) => {
                        srv.stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
            }
        }
        info.last_interaction_ms
            .store(crate::util::coarse_now_ms(), Ordering::Relaxed);
        let limits = Limits {
            max_bulk_len: srv.config.hot.proto_max_bulk_len.load(Ordering::Relaxed) as usize,
            max_multibulk_len: 1024 * 1024 * 1024,
            unauthenticated: !client.authenticated,
        };
        // Requests are parsed in batches: the keys of a batch are prefetched before it runs.
        // Each request with its command table entry, looked up once for both.
        let mut batch: smallvec::SmallVec<[Request; 16]> = smallvec::SmallVec::new();
        loop {
            let mut proto_err = None;
            while batch.len() < MAX_BATCH {
                match parser.parse(rbuf, &limits) {
                    Ok(Some(a)) if a.is_empty() => {}
                    Ok(Some(a)) => batch.push((srv.cmds.get(&a[0]), a)),
                    Ok(None) => break,
                    Err(e) => {
                        proto_err = Some(e);
                        break;
                    }
                }
            }
            let full = batch.len() == MAX_BATCH;
            if batch.len() > 1 {
                prefetch_keys(srv, client.db, &batch);
            }
            for req in batch.drain(..) {
                run_command(srv, sock, info, client, out, push_rx, req).await?;
                if client.close_after_reply {
                    let _ = flush(srv, sock, out).await;
                    return Err(Stop::Closed);
                }
                if client.enter_monitor {
                    client.enter_monitor = false;
                    info.monitor.store(true, Ordering::Relaxed);
                    srv.monitors.lock().push((info.id, client.push_tx.clone()));
                    srv.has_monitors.store(true, Ordering::Relaxed);
                }
                // Don't let a huge pipeline grow the output buffer without bound.
                if out.len() > 64 * 1024 {
                    flush(srv, sock, out).await?;
                }
            }
            // Redis runs the requests before a malformed one, then answers the error.
            if let Some(e) = proto_err {
                let msg = format!("-ERR Protocol error: {}\r\n", e.0);
                srv.stats.count_error("ERR");
                out.extend_from_slice(msg.as_bytes());
                let _ = flush(srv, sock, out).await;
                log(
                    '-',
                    &format!(
                        "Protocol error ({}) from client: id={} addr={}",
                        e.0, info.id, info.addr
                    ),
                );
                return Err(Stop::Closed);
            }
            if !full {
                break;
            }
        }
        let qlimit = srv.config.hot.query_buffer_limit.load(Ordering::Relaxed) as usize;
        // What the request in progress holds: the buffer (or the bulk being received)
        // plus the arguments already parsed out of it.
        let pending = rbuf.len().max(parser.pending_bulk()) + parser.pending_args_bytes();
        info.qbuf.store(rbuf.len(), Ordering::Relaxed);
        if pending > qlimit {
            srv.stats
                .client_query_buffer_limit_disconnections
                .fetch_add(1, Ordering::Relaxed);
            log(
                '#',
                &format!(
                    "Closing client that reached max query buffer length: id={} addr={} qbuf={}",
                    info.id, info.addr, pending
                ),
            );
            let _ = flush(srv, sock, out).await;
            return Err(Stop::Closed);
        }
        // Small replies are written after the other ready connections have run their
        // requests, as Redis writes every reply of an event-loop pass in beforeSleep: they
        // leave in a burst that a client reads in one wake-up. Written at once, each woke
        // the client (4-6x Redis's wake-ups on GET -P 16, each costing this thread the
        // wake-up path inside send()). Big replies go at once: the client parsing them
        // overlaps with the next connection's requests being run (LRANGE 0 299 -P 16:
        // 0.86x Redis's throughput with the wait, 1.1x without).
        if !out.is_empty() && out.len() < BURST_BELOW {
            tokio::task::yield_now().await;
        }
        flush_or_kill(srv, sock, out, info).await?;
    }
}

/// Replies smaller than this wait for the worker's other ready connections (see
/// `run_loop`).
const BURST_BELOW: usize = 8 * 1024;

/// A parsed request and its command table entry (None: unknown command).
type Request<'s> = (Option<&'s Arc<crate::command::CommandSpec>>, Vec<Bytes>);

/// Requests parsed ahead of running them (and whose keys are prefetched together).
const MAX_BATCH: usize = 32;

/// Starts fetching the keys of a batch of requests into cache (`Store::prefetch`): on a
/// pipelined load, a key lookup otherwise waits on memory twice (bucket, node), one key
/// after the other.
fn prefetch_keys(srv: &Server, db: usize, batch: &[Request]) {
    let mut keys: smallvec::SmallVec<[crate::store::KeyPos; 32]> = smallvec::SmallVec::new();
    for (found, args) in batch {
        let Some(cmd) = found else {
            continue;
        };
        if cmd.lock != crate::command::LockMode::Keys
            || !cmd.subcommands.is_empty()
            || !cmd.arity_ok(args.len())
        {
            continue;
        }
        cmd.each_key_position(args, |i| {
            let pos = srv.store.pos(&args[i]);
            // A hot key repeated through the batch is fetched once.
            if keys.len() < 64 && keys.last().is_none_or(|k| k.hash != pos.hash) {
                keys.push(pos);
            }
        });
    }
    if keys.len() > 1 {
        srv.store.prefetch(db, &keys);
    }
}

/// Like `flush`, but gives up when the client is killed meanwhile (a client that doesn't
/// read must not keep its connection task waiting forever, e.g. a slow subscriber closed
/// for its output buffer limit).
async fn flush_or_kill(
    srv: &Server,
    sock: &mut TcpStream,
    out: &mut Vec<u8>,
    info: &ClientInfo,
) -> Result<(), Stop> {
    if out.is_empty() {
        return Ok(());
    }
    // The write first: when it completes at once (the usual case), the kill notification
    // is never polled, so costs nothing.
    tokio::select! {
        biased;
        r = flush(srv, sock, out) => r,
        _ = info.kill_notify.notified() => Err(Stop::Closed),
    }
}

async fn flush(srv: &Server, sock: &mut TcpStream, out: &mut Vec<u8>) -> Result<(), Stop> {
    if out.is_empty() {
        return Ok(());
    }
    srv.stats
        .net_output_bytes
        .fetch_add(out.len() as u64, Ordering::Relaxed);
    let r = sock.write_all(out).await;
    // Give back memory after a burst of big replies.
    if out.capacity() > 1024 * 1024 {
        *out = Vec::with_capacity(16 * 1024);
    } else {
        out.clear();
    }
    r.map_err(|_| Stop::Closed)
}

/// Runs one request, waiting first if clients are paused and afterwards if it blocks.
async fn run_command(
    srv: &Arc<Server>,
    sock: &mut TcpStream,
    info: &Arc<ClientInfo>,
    client: &mut Client,
    out: &mut Vec<u8>,
    push_rx: &mut mpsc::UnboundedReceiver<Bytes>,
    (found, args): Request<'_>,
) -> Result<(), Stop> {
    wait_if_paused(srv, sock, out, &args).await?;
    // RESP3 pushes queue in the channel while blocked and are written after the reply.
    let _ = &push_rx;
    let mut outcome = match script_key(client, &args) {
        None => dispatch::execute_found(srv, client, &args, found),
        Some(key) => run_script(srv, client, &args, key).await,
    };
    let blocked = outcome.block.take().is_some();
    if let Some(w) = client.waiter.take().filter(|_| blocked) {
        // Send what earlier pipelined commands produced before waiting.
        if let Err(e) = flush(srv, sock, out).await {
            cancel(&w);
            crate::blocking::finish(srv, &w);
            return Err(e);
        }
        let woke = wait_blocked(srv, sock, info, &w).await;
        // Whatever woke us, a reply already served wins (it consumed data).
        let state = loop {
            {
                let mut st = w.state.lock();
                if !matches!(*st, WaitState::Serving) {
                    break std::mem::replace(&mut *st, WaitState::Cancelled);
                }
            }
            // A writer is running our command this very moment: its outcome decides.
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        };
        crate::blocking::finish(srv, &w);
        if matches!(woke, Wake::Killed) {
            return Err(Stop::Closed);
        }
        match state {
            WaitState::Served(r) => {
                info.unblock.store(0, Ordering::Relaxed);
                outcome = dispatch::Outcome {
                    reply: Some(r),
                    block: None,
                };
            }
            _ => match woke {
                Wake::Unblocked if info.unblock.swap(0, Ordering::Relaxed) == 2 => {
                    outcome = dispatch::Outcome {
                        reply: Some(crate::resp::Reply::err(
                            "UNBLOCKED client unblocked via CLIENT UNBLOCK",
                        )),
                        block: None,
                    };
                }
                _ => {
                    info.unblock.store(0, Ordering::Relaxed);
                    outcome = timeout_outcome(&w.args);
                }
            },
        }
    }
    if let Some(r) = outcome.reply {
        r.write_to(out, client.proto);
    }
    Ok(())
}

/// If the request may run Lua (EVAL*, FCALL*, or an EXEC whose queue holds one), the
/// key `ScriptPlacement` knows it by: a hash of the body, SHA or function name (EXEC: 0,
/// never inline).
fn script_key(client: &Client, args: &[Bytes]) -> Option<u64> {
    fn is_script(name: &[u8]) -> bool {
        let n = name.len();
        (4..=10).contains(&n)
            && (name[..4].eq_ignore_ascii_case(b"eval") || name[..4].eq_ignore_ascii_case(b"fcal"))
    }
    if is_script(&args[0]) {
        return Some(match args.get(1) {
            Some(a) => {
                let fcall = args[0][0].eq_ignore_ascii_case(&b'f');
                ahash::RandomState::with_seeds(1, 2, 3, 4).hash_one((fcall, a.as_ref())) | 1
            }
            None => 0,
        });
    }
    let queued_script = args[0].eq_ignore_ascii_case(b"exec")
        && client
            .multi
            .as_ref()
            .is_some_and(|q| q.iter().any(|(_, a)| is_script(&a[0])));
    queued_script.then_some(0)
}

/// Runs a request that may run a script, inline or on the blocking pool as
/// `ScriptPlacement` decides.
async fn run_script(
    srv: &Arc<Server>,
    client: &mut Client,
    args: &[Bytes],
    key: u64,
) -> dispatch::Outcome {
    let placement = &srv.script_placement;
    let inline = key != 0 && placement.inline(key);
    let start = quanta::Instant::now();
    let outcome = if inline {
        super::workers::run_marked(|| dispatch::execute(srv, client, args))
    } else {
        execute_offloaded(srv, client, args).await
    };
    if key != 0 {
        placement.record(key, inline, start.elapsed());
    }
    outcome
}

/// Runs a request on the blocking pool, so that a long script never holds up this
/// worker's other connections: they keep being served (-BUSY past busy-reply-threshold,
/// SCRIPT KILL, SHUTDOWN NOSAVE) while it runs. This costs a thread handoff.
async fn execute_offloaded(
    srv: &Arc<Server>,
    client: &mut Client,
    args: &[Bytes],
) -> dispatch::Outcome {
    let stand_in = Client::new(client.info.clone(), true, client.push_tx.clone());
    let mut owned = std::mem::replace(client, stand_in);
    let (srv2, args2) = (srv.clone(), args.to_vec());
    let (owned, outcome) = tokio::task::spawn_blocking(move || {
        let o = dispatch::execute(&srv2, &mut owned, &args2);
        (owned, o)
    })
    .await
    .expect("script task");
    *client = owned;
    outcome
}

fn cancel(w: &Waiter) {
    *w.state.lock() = WaitState::Cancelled;
}

/// Waits, holding no lock, until the blocked client is served or woken, times out, is
/// unblocked (CLIENT UNBLOCK), killed, or its peer goes away.
async fn wait_blocked(
    srv: &Server,
    sock: &mut TcpStream,
    info: &Arc<ClientInfo>,
    w: &Waiter,
) -> Wake {
    let _ = srv;
    let mut watch_sock = true;
    let mut peek = [0u8; 1];
    loop {
        let sleep = async {
            match w.deadline {
                Some(d) => {
                    let now = crate::util::now_ms();
                    tokio::time::sleep(std::time::Duration::from_millis(d.saturating_sub(now)))
                        .await
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = w.notify.notified() => {
                if matches!(*w.state.lock(), WaitState::Served(_)) {
                    return Wake::Ready;
                }
            }
            _ = sleep => return Wake::Timeout,
            _ = info.unblock_notify.notified() => {
                if info.unblock.load(Ordering::Relaxed) != 0 {
                    return Wake::Unblocked;
                }
            }
            _ = info.kill_notify.notified() => return Wake::Killed,
            r = sock.peek(&mut peek), if watch_sock => match r {
                Ok(0) | Err(_) => return Wake::Killed,
                // More requests pipelined behind the blocking one: they wait their turn.
                Ok(_) => watch_sock = false,
            },
        }
    }
}

enum Wake {
    Ready,
    Timeout,
    Unblocked,
    Killed,
}

/// The reply of a blocking command whose timeout expired: a null (array) as in Redis.
fn timeout_outcome(args: &[Bytes]) -> dispatch::Outcome {
    let name = crate::util::lower(&args[0]);
    let reply = crate::commands::blocking_timeout_reply(&name);
    dispatch::Outcome {
        reply: Some(reply),
        block: None,
    }
}

async fn wait_if_paused(
    srv: &Server,
    sock: &mut TcpStream,
    out: &mut Vec<u8>,
    args: &[Bytes],
) -> Result<(), Stop> {
    loop {
        // Not paused (the usual case): one relaxed load, no lock, no clock read.
        if srv.pause_until.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        let p = *srv.pause.lock();
        let now = crate::util::now_ms();
        if p.until <= now {
            return Ok(());
        }
        if p.write_only {
            let is_write = dispatch::lookup(srv, args)
                .map(|c| c.is_write() || c.has(crate::command::flags::MAY_REPLICATE))
                .unwrap_or(false);
            if !is_write {
                return Ok(());
            }
        }
        // CLIENT commands get through, so CLIENT UNPAUSE can end the pause. (Redis 7.2
        // postpones them too under PAUSE ALL; letting them through is deliberate: a pause
        // must stay liftable by an operator without waiting for its timeout.)
        if args[0].eq_ignore_ascii_case(b"client") {
            return Ok(());
        }
        flush(srv, sock, out).await?;
        tokio::time::sleep(std::time::Duration::from_millis((p.until - now).min(10))).await;
    }
}
