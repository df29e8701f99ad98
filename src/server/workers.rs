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
//! The accept loops run on the main runtime and hand each new connection to the worker
//! with the fewest connections. Scripts need care: see `ScriptPlacement`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::runtime::Handle;

struct Worker {
    handle: Handle,
    /// Connections currently owned by this worker.
    conns: Arc<AtomicUsize>,
    /// Running a script inline: new connections avoid this worker meanwhile.
    scripting: AtomicBool,
}

static WORKERS: OnceLock<Vec<Worker>> = OnceLock::new();

/// Stack size of worker threads: scripts run on them, and cjson's 1000-level nesting
/// limit needs a deep stack (virtual memory; only touched pages are committed).
pub const STACK_SIZE: usize = 64 << 20;

/// Starts `n` worker threads (idempotent: the first call wins). Each thread runs its
/// runtime until the process exits.
pub fn start(n: usize) {
    if WORKERS.get().is_some() {
        return;
    }
    let mut workers = Vec::with_capacity(n);
    for i in 0..n.max(1) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name(format!("tessera-io-{i}"))
            .stack_size(STACK_SIZE)
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    // For the blocking pool, where scripts may run too.
                    .thread_stack_size(STACK_SIZE)
                    .enable_all()
                    .build()
                    .expect("worker runtime");
                let _ = tx.send(rt.handle().clone());
                rt.block_on(std::future::pending::<()>());
            })
            .expect("worker thread");
        workers.push(Worker {
            handle: rx.recv().expect("worker handle"),
            conns: Arc::new(AtomicUsize::new(0)),
            scripting: AtomicBool::new(false),
        });
    }
    let _ = WORKERS.set(workers);
}

/// Runs a connection's future on the least-loaded worker (or on the current runtime
/// when no workers were started, as in unit tests).
pub fn spawn_connection<F>(fut: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let Some(workers) = WORKERS.get() else {
        tokio::spawn(fut);
        return;
    };
    let w = workers
        .iter()
        .min_by_key(|w| {
            (
                w.scripting.load(Ordering::Relaxed),
                w.conns.load(Ordering::Relaxed),
            )
        })
        .expect("at least one worker");
    let conns = w.conns.clone();
    conns.fetch_add(1, Ordering::Relaxed);
    w.handle.spawn(async move {
        fut.await;
        conns.fetch_sub(1, Ordering::Relaxed);
    });
}

/// Index of the worker this thread runs (None off the workers).
fn current_worker() -> Option<&'static Worker> {
    let workers = WORKERS.get()?;
    let id = tokio::runtime::Handle::try_current().ok()?.id();
    workers.iter().find(|w| w.handle.id() == id)
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
pub struct ScriptPlacement {
    fast: parking_lot::RwLock<std::collections::HashSet<u64>>,
}

const FAST: std::time::Duration = std::time::Duration::from_millis(1);
const SLOW: std::time::Duration = std::time::Duration::from_millis(10);
const MAX_TRACKED: usize = 10_000;

impl Default for ScriptPlacement {
    fn default() -> Self {
        ScriptPlacement {
            fast: parking_lot::RwLock::new(Default::default()),
        }
    }
}

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
