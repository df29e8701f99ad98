//! The server: global state shared by every connection, the listener, and the cron.

pub mod client;
pub mod conn;
pub mod dispatch;
pub mod latency;
pub mod slowlog;
pub mod workers;

use crate::command::{CommandTable, Event};
use crate::config::Config;
use crate::store::Store;
use bytes::Bytes;
use client::ClientInfo;
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Notify};

/// Server-wide counters for INFO stats.
#[derive(Default)]
pub struct Stats {
    pub total_connections_received: AtomicU64,
    pub total_commands_processed: crate::util::Counter,
    pub rejected_connections: AtomicU64,
    pub keyspace_hits: crate::util::Counter,
    pub keyspace_misses: crate::util::Counter,
    pub expired_keys: crate::util::Counter,
    pub expired_stale_perc: AtomicU64,
    pub evicted_keys: crate::util::Counter,
    pub net_input_bytes: crate::util::Counter,
    pub net_output_bytes: crate::util::Counter,
    pub total_error_replies: crate::util::Counter,
    pub unexpected_error_replies: AtomicU64,
    pub errors: Mutex<HashMap<String, u64>>,
    /// Instantaneous ops/sec, updated by the cron from samples.
    pub ops_sec: AtomicU64,
    pub last_sample: Mutex<(u64, u64)>,
    pub client_query_buffer_limit_disconnections: AtomicU64,
    pub client_output_buffer_limit_disconnections: AtomicU64,
    pub blocked_clients: AtomicU64,
}

impl Stats {
    pub fn count_lookup(&self, hit: bool) {
        if hit {
            self.keyspace_hits.fetch_add(1, Ordering::Relaxed);
        } else {
            self.keyspace_misses.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts an error reply under its code (the first word), as INFO errorstats shows.
    pub fn count_error(&self, text: &str) {
        self.total_error_replies.fetch_add(1, Ordering::Relaxed);
        let code = text.split(' ').next().unwrap_or("ERR");
        let mut m = self.errors.lock();
        if let Some(c) = m.get_mut(code) {
            *c += 1;
        } else if m.len() < 128 {
            m.insert(code.to_string(), 1);
        }
    }

    pub fn reset(&self) {
        for a in [
            &self.total_connections_received,
            &self.rejected_connections,
            &self.client_query_buffer_limit_disconnections,
            &self.client_output_buffer_limit_disconnections,
        ] {
            a.store(0, Ordering::Relaxed);
        }
        for c in [
            &self.total_commands_processed,
            &self.keyspace_hits,
            &self.keyspace_misses,
            &self.expired_keys,
            &self.evicted_keys,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.total_error_replies,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.errors.lock().clear();
    }
}

/// CLIENT PAUSE state.
#[derive(Default, Clone, Copy)]
pub struct Pause {
    /// Unix ms until which clients are paused (0 = not paused).
    pub until: u64,
    /// Only write commands are paused (`WRITE` mode).
    pub write_only: bool,
}

pub use crate::blocking::Waiters;

/// The Redis version Tessera is compatible with (INFO, HELLO, redis.REDIS_VERSION).
pub const REDIS_COMPAT_VERSION: &str = "7.2.4";

pub struct Server {
    pub config: Config,
    pub scripting: crate::scripting::Scripting,
    pub store: Store,
    pub cmds: CommandTable,
    pub clients: Mutex<BTreeMap<u64, Arc<ClientInfo>>>,
    pub next_client_id: AtomicU64,
    pub stats: Stats,
    pub started: Instant,
    pub start_ms: u64,
    pub run_id: String,
    /// Replication ID (INFO `master_replid`; DEBUG CHANGE-REPL-ID replaces it).
    pub replid: Mutex<String>,
    pub port: AtomicU64,
    pub slowlog: slowlog::SlowLog,
    pub latency: latency::Monitor,
    /// Which scripts run inline on a worker (see `workers::ScriptPlacement`).
    pub script_placement: workers::ScriptPlacement,
    pub monitors: Mutex<Vec<(u64, mpsc::UnboundedSender<Bytes>)>>,
    pub has_monitors: AtomicBool,
    pub pause: Mutex<Pause>,
    /// `pause.until`, mirrored so every command checks "paused?" with one relaxed load
    /// instead of locking a mutex all threads share (0 = not paused).
    pub pause_until: AtomicU64,
    pub shutdown: Notify,
    pub shutting_down: AtomicBool,
    /// Changes since the last save (`rdb_changes_since_last_save`).
    pub dirty: crate::util::Counter,
    pub lastsave: AtomicU64,
    pub waiters: Waiters,
    pub active_expire_enabled: AtomicBool,
    /// The Pub/Sub registry (channels, patterns, shard channels) and message delivery.
    pub pubsub: crate::pubsub::PubSub,
}

impl Server {
    pub fn new(config: Config) -> Server {
        let nshards = match config.get_i64("shards") {
            0 => (std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                * 16)
                .next_power_of_two(),
            n => n as usize,
        };
        let ndbs = config.get_i64("databases") as usize;
        let now = crate::util::now_ms();
        crate::store::update_lru_clock();
        crate::util::update_coarse_clock();
        let srv = Server {
            scripting: crate::scripting::Scripting::new(),
            store: Store::new(nshards, ndbs),
            cmds: crate::commands::build_table(),
            config,
            clients: Mutex::new(BTreeMap::new()),
            next_client_id: AtomicU64::new(1),
            stats: Stats::default(),
            started: Instant::now(),
            start_ms: now,
            run_id: random_hex(40),
            replid: Mutex::new(random_hex(40)),
            port: AtomicU64::new(0),
            slowlog: slowlog::SlowLog::default(),
            latency: latency::Monitor::default(),
            script_placement: Default::default(),
            monitors: Mutex::new(Vec::new()),
            has_monitors: AtomicBool::new(false),
            pause: Mutex::new(Pause::default()),
            pause_until: AtomicU64::new(0),
            shutdown: Notify::new(),
            shutting_down: AtomicBool::new(false),
            dirty: Default::default(),
            lastsave: AtomicU64::new(now / 1000),
            waiters: Waiters::default(),
            active_expire_enabled: AtomicBool::new(true),
            pubsub: crate::pubsub::PubSub::new(),
        };
        crate::memory::record_startup();
        srv
    }

    pub fn lfu_policy(&self) -> bool {
        // POLICIES order: volatile-lfu = 1, allkeys-lfu = 5.
        matches!(
            self.config.hot.maxmemory_policy.load(Ordering::Relaxed),
            1 | 5
        )
    }

    /// Feeds a write effect to the AOF and replicas. Must be called while the key's shard
    /// is locked, so that effects on one key are fed in the order they happened.
    pub fn propagate_effect(&self, _db: usize, _args: &[Bytes]) {
        // No AOF or replicas yet: persistence and replication plug in here.
    }

    /// Publishes queued keyspace notifications (`__keyspace@db__:key`, `__keyevent@db__:event`).
    pub fn publish_events(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let flags = self.config.hot.notify_flags.load(Ordering::Relaxed);
        let limits = crate::commands::pubsub::limits(self);
        let publish = |ch: &[u8], msg: &[u8]| {
            self.pubsub.publish(ch, msg, false, &limits, &self.stats);
        };
        for e in events {
            if flags & crate::config::notify::KEYSPACE != 0 {
                let mut ch = format!("__keyspace@{}__:", e.db).into_bytes();
                ch.extend_from_slice(&e.key);
                publish(&ch, e.event.as_bytes());
            }
            if flags & crate::config::notify::KEYEVENT != 0 {
                let ch = format!("__keyevent@{}__:{}", e.db, e.event);
                publish(ch.as_bytes(), &e.key);
            }
        }
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    pub fn client_count(&self) -> usize {
        self.clients.lock().len()
    }
}

pub fn random_hex(n: usize) -> String {
    use rand::Rng;
    let mut r = rand::thread_rng();
    (0..n)
        .map(|_| char::from_digit(r.gen_range(0..16), 16).unwrap())
        .collect()
}

/// Logs a line in Redis's format: `pid:M 24 Nov 2026 01:50:27.123 * message`.
pub fn log(level: char, msg: &str) {
    if !logger::enabled(level) {
        return;
    }
    let pid = std::process::id();
    let now = crate::util::now_ms();
    let secs = (now / 1000) as i64;
    let ms = now % 1000;
    let (y, mo, d, h, mi, s) = civil(secs);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let line = format!(
        "{pid}:M {d:02} {} {y} {h:02}:{mi:02}:{s:02}.{ms:03} {level} {msg}",
        MONTHS[(mo - 1) as usize]
    );
    logger::write(&line);
}

/// Unix seconds to (year, month, day, hour, minute, second), UTC.
fn civil(t: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = t.div_euclid(86400);
    let rem = t.rem_euclid(86400);
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 { y + 1 } else { y },
        m,
        d,
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
    )
}

pub mod logger {
    //! Where log lines go: stdout, or the `logfile`.
    use parking_lot::Mutex;
    use std::io::Write;

    static FILE: Mutex<Option<std::fs::File>> = Mutex::new(None);
    /// Minimum level logged: 0 debug, 1 verbose, 2 notice, 3 warning (`loglevel`).
    static LEVEL: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(2);

    /// Applies a `loglevel` value (debug, verbose, notice, warning, nothing).
    pub fn set_level(name: &str) {
        let l = match name {
            "debug" => 0,
            "verbose" => 1,
            "notice" => 2,
            "warning" => 3,
            _ => 4,
        };
        LEVEL.store(l, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a line of this level char ('.', '-', '*', '#') is logged.
    pub fn enabled(level: char) -> bool {
        let l = match level {
            '.' => 0,
            '-' => 1,
            '*' => 2,
            _ => 3,
        };
        l >= LEVEL.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn set_file(path: &str) -> std::io::Result<()> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        *FILE.lock() = Some(f);
        Ok(())
    }

    pub fn write(line: &str) {
        let mut f = FILE.lock();
        match f.as_mut() {
            Some(file) => {
                let _ = writeln!(file, "{line}");
            }
            None => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
    }
}

/// Runs the server until SHUTDOWN or a signal. Returns the process exit code.
pub async fn run(srv: Arc<Server>) -> i32 {
    let port = srv.config.get_i64("port") as u16;
    let binds = srv.config.get("bind");
    let mut listeners = Vec::new();
    for addr in binds.split_whitespace() {
        // A leading '-' marks an optional address (Redis: skip it if unavailable).
        let (optional, addr) = match addr.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, addr),
        };
        let host = if addr == "*" { "0.0.0.0" } else { addr };
        let sockaddr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        match tokio::net::TcpListener::bind(&sockaddr).await {
            Ok(l) => {
                if let Ok(a) = l.local_addr() {
                    srv.port.store(a.port() as u64, Ordering::Relaxed);
                }
                listeners.push(l);
            }
            Err(e) if optional => {
                log(
                    '#',
                    &format!(
                        "Warning: Could not create server TCP listening socket {sockaddr}: {e}"
                    ),
                );
            }
            Err(e) => {
                log(
                    '#',
                    &format!(
                        "Warning: Could not create server TCP listening socket {sockaddr}: {e}"
                    ),
                );
                log('#', "Failed listening on port (tcp), aborting.");
                return 1;
            }
        }
    }
    if listeners.is_empty() {
        log('#', "Failed listening on port (tcp), aborting.");
        return 1;
    }
    for l in listeners {
        let srv = srv.clone();
        tokio::spawn(async move { conn::accept_loop(srv, l).await });
    }
    tokio::spawn(cron(srv.clone()));
    tokio::spawn(workers::balance(srv.clone()));
    log('*', "Ready to accept connections tcp");
    notify_supervisor(&srv.config.get("supervised"));

    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("signal handler");
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .expect("signal handler");
    tokio::select! {
        _ = sigterm.recv() => log('#', "Received SIGTERM scheduling shutdown..."),
        _ = sigint.recv() => log('#', "Received SIGINT scheduling shutdown..."),
        _ = srv.shutdown.notified() => {}
    }
    shutdown(&srv);
    0
}

/// `supervised systemd` (or `auto` under systemd): tells systemd we are ready through
/// $NOTIFY_SOCKET (sd_notify "READY=1"), as Debian's Type=notify unit expects.
fn notify_supervisor(mode: &str) {
    let Ok(path) = std::env::var("NOTIFY_SOCKET") else {
        if mode == "systemd" {
            log('#', "WARNING systemd supervision requested or auto-detected, but NOTIFY_SOCKET environment variable is not set");
        }
        return;
    };
    if mode != "systemd" && mode != "auto" {
        return;
    }
    let sock = match std::os::unix::net::UnixDatagram::unbound() {
        Ok(s) => s,
        Err(_) => return,
    };
    let msg = b"STATUS=Ready to accept connections\nREADY=1\n";
    let sent = if let Some(name) = path.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
            .and_then(|a| sock.send_to_addr(msg, &a))
    } else {
        sock.send_to(msg, &path)
    };
    match sent {
        Ok(_) => log('*', "systemd supervision: Ready to accept connections"),
        Err(e) => log('#', &format!("systemd supervision error: {e}")),
    }
}

/// Closes every client and logs like Redis's prepareForShutdown.
pub fn shutdown(srv: &Server) {
    srv.shutting_down.store(true, Ordering::SeqCst);
    log('#', "User requested shutdown...");
    for c in srv.clients.lock().values() {
        c.kill();
    }
    log('#', "Redis is now ready to exit, bye bye...");
}

/// Periodic work at `hz`: clocks, active expiry, client timeouts, stats sampling.
async fn cron(srv: Arc<Server>) {
    crate::memory::start_background(srv.clone());
    let mut expire_state = crate::commands::expire::ActiveExpire::default();
    loop {
        let hz = srv.config.hot.hz.load(Ordering::Relaxed).max(1);
        tokio::time::sleep(std::time::Duration::from_millis(1000 / hz as u64)).await;
        if srv.shutting_down.load(Ordering::Relaxed) {
            return;
        }
        crate::store::update_lru_clock();
        if srv.active_expire_enabled.load(Ordering::Relaxed) {
            let budget_us = 1_000_000 / hz as u64 / 4; // 25% of the tick, as Redis
            let srv2 = srv.clone();
            let st = std::mem::take(&mut expire_state);
            // Expiry scans shards under their locks: run it off the async workers.
            expire_state = tokio::task::spawn_blocking(move || {
                let mut st = st;
                st.cycle(&srv2, budget_us);
                st
            })
            .await
            .unwrap_or_default();
        }
        // Instantaneous ops/sec.
        let now = crate::util::now_ms();
        let total = srv.stats.total_commands_processed.load(Ordering::Relaxed);
        let mut last = srv.stats.last_sample.lock();
        if now > last.0 {
            if last.0 != 0 {
                let ops = (total.saturating_sub(last.1)) * 1000 / (now - last.0);
                srv.stats.ops_sec.store(ops, Ordering::Relaxed);
            }
            *last = (now, total);
        }
        drop(last);
        // Idle client timeout.
        let timeout = srv.config.hot.timeout.load(Ordering::Relaxed);
        if timeout > 0 {
            for c in srv.clients.lock().values() {
                let idle = now.saturating_sub(c.last_interaction_ms.load(Ordering::Relaxed));
                if idle > timeout * 1000
                    && !c.blocked.load(Ordering::Relaxed)
                    && !c.kind_pubsub.load(Ordering::Relaxed)
                {
                    c.kill();
                }
            }
        }
    }
}
