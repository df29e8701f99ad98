//! Connection workers: one single-threaded tokio runtime per thread, thread-per-core.
//!
//! Why not tokio's multi-threaded scheduler: with it, every socket readiness event can
//! wake a task on another worker, and idle workers are unparked to steal work, so a
//! request costs futex wakes and context switches that Redis's single event loop never
//! pays (profiles showed `finish_task_switch` at twice Redis's share). Here a connection
//! lives on one worker for its whole life: its socket is registered with that worker's
//! reactor, its task only ever runs there, and a readiness event is handled by the
//! thread that polled it. The shards are shared by all workers behind their locks, as
//! before, so any connection can still touch any key.
//!
//! The accept loops run on the main runtime and hand each new connection to a worker
//! (`place`). Scripts need care: see `ScriptPlacement`.
//!

//! How many workers serve: as few as the load needs. A worker costs a sleep and a wake-up
//! per burst of requests, so spreading a light load over every core costs CPU (on a
//! client-bound benchmark, twice Redis's context switches per request) for no gain. The
//! balancer (`balance`, every 100 ms) measures each worker's busy share (time not
//! parked), commands per park, throughput and the machine's idle cores, sizes the active
//! set with `Sizer` (grow onto an idle core when busy, keep a grow only if throughput
//! rose; shrink when lightly loaded or when no core is spare), places new connections on
//! the active worker with the fewest connections, and asks connections to move: off
//! workers outside the active set, and from a busy active worker to the least busy one.
//! A connection moves itself between two requests (`conn.rs`): its socket is
//! deregistered, re-registered with the target worker's reactor, and its state (buffers,
//! parser, client) travels with it.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::runtime::Handle;

struct Worker {
    handle: Handle,
    /// Connections currently owned by this worker.
    conns: Arc<AtomicUsize>,
    /// Running a script inline: new connections avoid this worker meanwhile.
    scripting: AtomicBool,
    /// Nanoseconds spent unparked, up to the last park.
    busy_ns: AtomicU64,
    /// Times it parked (each park costs a sleep and a wake-up).
    parks: AtomicU64,
    /// When it last unparked (ns since `EPOCH`), 0 while parked.
    unparked_at: AtomicU64,
}

static WORKERS: OnceLock<Vec<Worker>> = OnceLock::new();
static EPOCH: OnceLock<quanta::Instant> = OnceLock::new();
/// Workers 0..ACTIVE take new connections.
static ACTIVE: AtomicUsize = AtomicUsize::new(1);

/// Nanoseconds since start (never 0), from the TSC clock that times commands: the
/// park hooks read it at every sleep and wake-up.
fn now_ns() -> u64 {
    EPOCH.get_or_init(quanta::Instant::now).elapsed().as_nanos() as u64 | 1
}

/// Stack size of worker threads: scripts run on them, and cjson's 1000-level nesting
/// limit needs a deep stack (virtual memory; only touched pages are committed).
pub const STACK_SIZE: usize = 64 << 20;

/// Starts `n` worker threads (idempotent: the first call wins). Each thread runs its
/// runtime until the process exits.
pub fn start(n: usize) {
    if WORKERS.get().is_some() {
        return;
    }
    now_ns();
    let mut handles = Vec::with_capacity(n);
    for i in 0..n.max(1) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name(format!("tessera-io-{i}"))
            .stack_size(STACK_SIZE)
            .spawn(move || {
                WORKER_INDEX.set(Some(i));
                crate::memory::share_arena();
                let rt = tokio::runtime::Builder::new_current_thread()
                    // For the blocking pool, where scripts may run too.
                    .thread_stack_size(STACK_SIZE)
                    .on_thread_start(crate::memory::share_arena)
                    .on_thread_park(move || {
                        if let Some(w) = WORKERS.get().and_then(|w| w.get(i)) {
                            w.parks.fetch_add(1, Ordering::Relaxed);
                            let since = w.unparked_at.swap(0, Ordering::Relaxed);
                            if since != 0 {
                                w.busy_ns
                                    .fetch_add(now_ns().saturating_sub(since), Ordering::Relaxed);
                            }
                        }
                    })
                    .on_thread_unpark(move || {
                        if let Some(w) = WORKERS.get().and_then(|w| w.get(i)) {
                            w.unparked_at.store(now_ns(), Ordering::Relaxed);
                        }
                    })
                    .enable_all()
                    .build()
                    .expect("worker runtime");
                let _ = tx.send(rt.handle().clone());
                rt.block_on(std::future::pending::<()>());
            })
            .expect("worker thread");
        handles.push(rx.recv().expect("worker handle"));
    }
    let workers = handles
        .into_iter()
        .map(|handle| Worker {
            handle,
            conns: Arc::new(AtomicUsize::new(0)),
            scripting: AtomicBool::new(false),
            busy_ns: AtomicU64::new(0),
            parks: AtomicU64::new(0),
            unparked_at: AtomicU64::new(0),
        })
        .collect();
    let _ = WORKERS.set(workers);
}

/// The worker a new connection goes to: the active one with the fewest connections,
/// avoiding one stuck in an inline script.
pub fn place() -> Option<usize> {
    let workers = WORKERS.get()?;
    let best = (0..active()).min_by_key(|&i| {
        let w = &workers[i];
        (
            w.scripting.load(Ordering::Relaxed),
            w.conns.load(Ordering::Relaxed),
        )
    })?;
    if workers[best].scripting.load(Ordering::Relaxed) {
        // Every active worker is in a script: any free one will do.
        if let Some(free) =
            (0..workers.len()).find(|&i| !workers[i].scripting.load(Ordering::Relaxed))
        {
            return Some(free);
        }
    }
    Some(best)
}

/// Runs a connection's future on worker `idx` (or on the current runtime when no
/// workers were started, as in unit tests).
pub fn spawn_on<F>(idx: Option<usize>, fut: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let Some(w) = idx.and_then(|i| WORKERS.get().and_then(|w| w.get(i))) else {
        tokio::spawn(fut);
        return;
    };
    let conns = w.conns.clone();
    conns.fetch_add(1, Ordering::Relaxed);
    w.handle.spawn(async move {
        fut.await;
        conns.fetch_sub(1, Ordering::Relaxed);
    });
}

/// Workers currently taking new connections.
pub fn active() -> usize {
    ACTIVE.load(Ordering::Relaxed).clamp(1, count())
}

/// Number of worker threads (1 when none were started, as in unit tests).
pub fn count() -> usize {
    WORKERS.get().map_or(1, |w| w.len())
}

/// Commands per park from which a worker counts as busy at half its time (else 3/4).
const BIG_BURST: f64 = 16.0;
/// Below this many commands per park, the workers mostly wait for their clients: one
/// fewer will do.
const SMALL_BURST: f64 = 4.0;

/// No move requested (`ClientInfo::move_to`).
pub const STAY: usize = usize::MAX;

/// Sizes the active set to the load and asks connections to move; runs on the main
/// runtime until shutdown.
pub async fn balance(srv: Arc<super::Server>) {
    let Some(workers) = WORKERS.get() else { return };
    let n = workers.len();
    if n < 2 {
        return;
    }
    let mut last: Vec<u64> = vec![0; n];
    let mut last_t = now_ns();
    let (mut last_cmds, mut last_parks) = (0u64, 0u64);
    let mut machine = MachineIdle::default();
    machine.idle_cores();
    let mut sizer = Sizer::default();
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if srv.shutting_down.load(Ordering::Relaxed) {
            return;
        }
        let t = now_ns();
        let dt = t.saturating_sub(last_t).max(1) as f64;
        last_t = t;
        let util: Vec<f64> = workers
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let since = w.unparked_at.load(Ordering::Relaxed);
                let busy = w.busy_ns.load(Ordering::Relaxed)
                    + if since != 0 {
                        t.saturating_sub(since)
                    } else {
                        0
                    };
                let d = busy.saturating_sub(last[i]);
                last[i] = busy;
                (d as f64 / dt).min(1.0)
            })
            .collect();
        let cmds = srv.stats.total_commands_processed.load(Ordering::Relaxed);
        let parks: u64 = workers
            .iter()
            .map(|w| w.parks.load(Ordering::Relaxed))
            .sum();
        let done = cmds.saturating_sub(last_cmds) as f64;
        let sample = Sample {
            active: ACTIVE.load(Ordering::Relaxed).clamp(1, n),
            workers: n,
            load: util.iter().sum(),
            per_park: done / parks.saturating_sub(last_parks).max(1) as f64,
            rate: done * 1e9 / dt,
            idle_cores: machine.idle_cores(),
        };
        (last_cmds, last_parks) = (cmds, parks);
        let (want, why) = sizer.decide(&sample);
        if let Some(why) = why {
            super::log('.', &format!("Workers serving: {want} ({why})"));
        }
        ACTIVE.store(want, Ordering::Relaxed);
        // Never send anyone to a worker stuck in a script (a client that came to another
        // worker for SCRIPT KILL must stay there).
        if workers.iter().any(|w| w.scripting.load(Ordering::Relaxed)) {
            continue;
        }
        let outside = workers
            .iter()
            .skip(want)
            .any(|w| w.conns.load(Ordering::Relaxed) > 0);
        let by_util = |a: &usize, b: &usize| util[*a].total_cmp(&util[*b]);
        let hot = (0..want).max_by(by_util).unwrap_or(0);
        let cold = (0..want).min_by(by_util).unwrap_or(0);
        let uneven = hot != cold && util[hot] > 0.75 && util[hot] - util[cold] > 0.25;
        if !outside && !uneven {
            continue;
        }
        move_connections(&srv, workers, want, uneven.then_some((hot, cold)));
    }
}

/// Asks connections to move: every one outside the active set `0..want`, to the active
/// worker with the fewest; and, for `hot_cold`, half the difference in recently active
/// connections (idle ones would only move once they wake, and balance nothing).
fn move_connections(
    srv: &super::Server,
    workers: &[Worker],
    want: usize,
    hot_cold: Option<(usize, usize)>,
) {
    let now = crate::util::coarse_now_ms();
    let clients = srv.clients.lock();
    let movable = |c: &super::client::ClientInfo| !c.pinned.load(Ordering::Relaxed);
    let recent = |c: &super::client::ClientInfo| {
        now.saturating_sub(c.last_interaction_ms.load(Ordering::Relaxed)) <= 1000
    };
    let mut load: Vec<usize> = workers
        .iter()
        .map(|w| w.conns.load(Ordering::Relaxed))
        .collect();
    let mut shift = 0;
    if let Some((hot, cold)) = hot_cold {
        let mut active = vec![0usize; workers.len()];
        for c in clients.values().filter(|c| recent(c)) {
            if let Some(n) = active.get_mut(c.worker.load(Ordering::Relaxed)) {
                *n += 1;
            }
        }
        shift = active[hot].saturating_sub(active[cold]) / 2;
    }
    for c in clients.values().filter(|c| movable(c)) {
        let at = c.worker.load(Ordering::Relaxed);
        if at >= want && at < workers.len() {
            let to = (0..want).min_by_key(|&i| load[i]).unwrap_or(0);
            load[to] += 1;
            c.move_to.store(to, Ordering::Relaxed);
        } else if let Some((hot, cold)) = hot_cold {
            if at == hot && shift > 0 && recent(c) {
                c.move_to.store(cold, Ordering::Relaxed);
                shift -= 1;
            }
        }
    }
}

thread_local! {
    /// Index of the worker this thread runs (set when it starts; None elsewhere).
    static WORKER_INDEX: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// The worker this thread runs (None off the workers).
fn current_worker() -> Option<&'static Worker> {
    WORKERS.get()?.get(WORKER_INDEX.get()?)
}

/// Where scripts run.
///
/// A script that runs on a worker holds up that worker's other connections until it
/// ends (a single-threaded runtime cannot hand its queue to another thread mid-task),
/// so they would not get -BUSY nor be able to send SCRIPT KILL. Handing every script to
/// the blocking pool avoids that, but the handoff costs several times what a small
/// script does. So: a script (by body, SHA or function name) runs on the blocking pool
/// until it has once finished within `FAST`; from then on it runs inline. One that
/// later runs long inline is demoted, and while it runs, new connections are placed on
/// other workers, so a fresh client can always reach SCRIPT KILL.
#[derive(Default)]
pub struct ScriptPlacement {
    fast: parking_lot::RwLock<std::collections::HashSet<u64>>,
}

const FAST: std::time::Duration = std::time::Duration::from_millis(1);
const SLOW: std::time::Duration = std::time::Duration::from_millis(10);
const MAX_TRACKED: usize = 10_000;

impl ScriptPlacement {
    /// Whether the script `key` may run inline on this worker.
    pub fn inline(&self, key: u64) -> bool {
        WORKERS.get().is_none_or(|w| w.len() > 1) && self.fast.read().contains(&key)
    }

    /// Records how long the script took where it ran.
    pub fn record(&self, key: u64, inline: bool, took: std::time::Duration) {
        if !inline && took < FAST {
            let mut fast = self.fast.write();
            if fast.len() >= MAX_TRACKED {
                fast.clear();
            }
            fast.insert(key);
        } else if inline && took > SLOW {
            self.fast.write().remove(&key);
        }
    }
}

/// Runs `f` (an inline script) with this worker marked busy, so that new connections
/// go elsewhere meanwhile.
pub fn run_marked<R>(f: impl FnOnce() -> R) -> R {
    let w = current_worker();
    if let Some(w) = w {
        w.scripting.store(true, Ordering::Relaxed);
    }
    let r = f();
    if let Some(w) = w {
        w.scripting.store(false, Ordering::Relaxed);
    }
    r
}

/// What the balancer measured over its last tick.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Workers taking connections, and workers in all.
    active: usize,
    workers: usize,
    /// Sum of the workers' busy shares (1.0 = one worker never parked).
    load: f64,
    /// Commands per park: a wake-up per burst is what another worker costs, so it pays
    /// when bursts are big (pipelines, many clients at once), not when they are a
    /// request or two (a client-bound, unpipelined load).
    per_park: f64,
    /// Commands per second.
    rate: f64,
    /// Idle cores of the whole machine (None: unknown).
    idle_cores: Option<f64>,
}

/// A grow on trial: the active set went from `from` workers, which served `base_rate`.
#[derive(Debug)]
struct Trial {
    from: usize,
    base_rate: f64,
    ticks: u32,
    rates: f64,
}

/// Decides the number of active workers, tick by tick.
///
/// - Grow when the active workers are busy (past 75%, or 50% when bursts are big) and
///   the machine has a core idle for one more: without one, the new worker would take
///   CPU from the very clients whose requests it serves.
/// - A grow is a trial: if over the next ticks (the first, when connections move, not
///   counted) throughput did not rise by 5%, go back and don't try again for 5 s. Lock
///   contention (multi-key commands on two workers) and a client that is the
///   bottleneck both show up this way, whatever the busy shares say.
/// - Shrink when one fewer would carry the load, when wake-ups bring only a few
///   commands each, or when the machine has no core to spare and the workers are not
///   saturated (then they wait on each other and on the clients).
#[derive(Debug, Default)]
struct Sizer {
    trial: Option<Trial>,
    /// Ticks left during which the set may not grow (after a failed trial or a shrink
    /// for want of a core): no flapping between two sizes.
    no_grow: u32,
}

const TRIAL_TICKS: u32 = 4;
const NO_GROW_TICKS: u32 = 50;

impl Sizer {
    /// The number of workers that should serve, and why it changes (None: no change).
    fn decide(&mut self, s: &Sample) -> (usize, Option<String>) {
        let active = s.active;
        self.no_grow = self.no_grow.saturating_sub(1);
        if let Some(t) = &mut self.trial {
            t.ticks += 1;
            if t.ticks > 1 {
                t.rates += s.rate;
            }
            if t.ticks < TRIAL_TICKS {
                return (active, None);
            }
            let rate = t.rates / (TRIAL_TICKS - 1) as f64;
            let (from, base) = (t.from, t.base_rate);
            self.trial = None;
            if rate < base * 1.05 {
                self.no_grow = NO_GROW_TICKS;
                return (
                    from,
                    Some(format!(
                        "{active} served {rate:.0} commands/s, no more than {from} did ({base:.0})"
                    )),
                );
            }
            return (active, None);
        }
        let busy = if s.per_park >= BIG_BURST { 0.5 } else { 0.75 };
        let room = s.idle_cores.is_none_or(|c| c >= 0.5);
        let why = || {
            let idle = s.idle_cores.map_or("?".into(), |c| format!("{c:.1}"));
            format!(
                "load {:.2}, {:.0} commands per wake-up, {idle} idle cores",
                s.load, s.per_park
            )
        };
        if active < s.workers
            && s.load > busy * active as f64
            && s.per_park >= SMALL_BURST
            && room
            && self.no_grow == 0
        {
            self.trial = Some(Trial {
                from: active,
                base_rate: s.rate,
                ticks: 0,
                rates: 0.0,
            });
            return (active + 1, Some(why()));
        }
        if active > 1 {
            let crowded = s.idle_cores.is_some_and(|c| c < 0.5) && s.load < 0.65 * active as f64;
            if crowded {
                self.no_grow = NO_GROW_TICKS;
            }
            if crowded || s.load < 0.4 * (active - 1) as f64 || s.per_park < SMALL_BURST {
                return (active - 1, Some(why()));
            }
        }
        (active, None)
    }
}

/// Idle CPU of the whole machine, from /proc/stat (Linux): how many cores were idle over
/// the last two samples' interval, smoothed. None where it can't be read.
#[derive(Default)]
struct MachineIdle {
    last: Option<(u64, u64)>,
    smoothed: Option<f64>,
}

impl MachineIdle {
    fn idle_cores(&mut self) -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let mut lines = stat.lines();
        // cpu  user nice system idle iowait irq softirq steal ...
        let f: Vec<u64> = lines
            .next()?
            .split_whitespace()
            .skip(1)
            .take(8)
            .filter_map(|x| x.parse().ok())
            .collect();
        if f.len() < 8 {
            return None;
        }
        let cpus = lines.filter(|l| l.starts_with("cpu")).count().max(1) as f64;
        let (idle, total) = (f[3] + f[4], f.iter().sum::<u64>());
        let prev = self.last.replace((idle, total));
        let (pi, pt) = prev?;
        let dt = total.saturating_sub(pt);
        if dt == 0 {
            return self.smoothed;
        }
        let now = idle.saturating_sub(pi) as f64 / dt as f64 * cpus;
        // Ticks are 10 ms: over 100 ms a sample is coarse; average the last few.
        let s = self.smoothed.map_or(now, |s| 0.5 * s + 0.5 * now);
        self.smoothed = Some(s);
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(active: usize, load: f64, rate: f64, idle: f64) -> Sample {
        Sample {
            active,
            workers: 4,
            load,
            per_park: 100.0,
            rate,
            idle_cores: Some(idle),
        }
    }

    #[test]
    fn grows_only_with_an_idle_core() {
        let mut s = Sizer::default();
        assert_eq!(s.decide(&sample(1, 0.99, 1e6, 0.3)).0, 1);
        assert_eq!(s.decide(&sample(1, 0.99, 1e6, 1.2)).0, 2);
    }

    #[test]
    fn a_grow_that_does_not_raise_throughput_is_undone() {
        let mut s = Sizer::default();
        assert_eq!(s.decide(&sample(1, 0.99, 1e6, 1.2)).0, 2);
        // The first tick (connections moving) does not count; then 3 ticks at +2%.
        assert_eq!(s.decide(&sample(2, 1.9, 0.5e6, 1.0)).0, 2);
        for _ in 0..2 {
            assert_eq!(s.decide(&sample(2, 1.9, 1.02e6, 1.0)).0, 2);
        }
        let (n, why) = s.decide(&sample(2, 1.9, 1.02e6, 1.0));
        assert_eq!(n, 1);
        assert!(why.unwrap().contains("no more than 1 did"));
        // And it is not tried again at once.
        assert_eq!(s.decide(&sample(1, 0.99, 1e6, 1.2)).0, 1);
    }

    #[test]
    fn a_grow_that_pays_stays() {
        let mut s = Sizer::default();
        assert_eq!(s.decide(&sample(1, 0.99, 1e6, 1.2)).0, 2);
        for _ in 0..TRIAL_TICKS {
            assert_eq!(s.decide(&sample(2, 1.9, 1.6e6, 0.9)).0, 2);
        }
        // Both saturated and a core still idle: on to three.
        assert_eq!(s.decide(&sample(2, 1.9, 1.6e6, 0.9)).0, 3);
    }

    #[test]
    fn shrinks_when_crowded_or_light() {
        let mut s = Sizer::default();
        // No core to spare and two half-busy workers: one will do.
        assert_eq!(s.decide(&sample(2, 1.1, 1e6, 0.2)).0, 1);
        let mut s = Sizer::default();
        assert_eq!(s.decide(&sample(3, 0.5, 1e5, 2.0)).0, 2);
        let mut light = sample(2, 1.5, 1e5, 2.0);
        light.per_park = 2.0;
        assert_eq!(s.decide(&light).0, 1);
    }
}
