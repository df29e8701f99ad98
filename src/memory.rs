//! Memory accounting and eviction (Redis's zmalloc used-memory counter and evict.c).
//!
//! ## Accounting
//! `used_memory` is jemalloc's own `stats.allocated`. Reading it needs an epoch advance
//! (jemalloc merges its per-arena statistics), which costs microseconds, so the value is
//! cached: `used_memory()` refreshes it at most once per millisecond (one thread wins a
//! compare-exchange, the others read the cached value). Between refreshes, eviction
//! subtracts its own estimate of what each evicted key freed, so an eviction loop sees its
//! progress without re-reading jemalloc; the next refresh corrects the estimate.
//!
//! What counts: everything allocated through the global allocator — the keyspace, client
//! query and output buffers, Lua, the command table. Redis leaves replica output buffers
//! and the AOF buffer out of the count for eviction (`freeMemoryGetNotCountedMemory`);
//! Tessera has neither yet, so nothing is subtracted (`mem_not_counted_for_evict:0`).
//! Normal clients' output buffers are counted, as in Redis.
//!
//! ## Eviction
//! `perform_evictions` runs in the dispatcher before a command locks its shards (Redis's
//! performEvictions in processCommand). It locks one shard at a time: to sample, and again
//! to delete the chosen key. The LRU/LFU/TTL policies keep a pool of the 16 best candidates
//! (Redis's EVPOOL_SIZE) across calls; each round samples `maxmemory-samples` keys from
//! each database part of several random shards, so the choice is good over the whole
//! keyspace and not just one shard. A candidate is re-checked under its shard's lock before
//! it goes (still there, still eligible, not touched since it was sampled). Eviction stops
//! when used memory is under the limit (OK), when no eligible key is left (FAIL: denyoom
//! commands get -OOM), or when the `maxmemory-eviction-tenacity` time budget is spent
//! (RUNNING: the command proceeds, the next command continues evicting).

use crate::command::Event;
use crate::server::Server;
use crate::store::{lfu, Entry, Sds, Value};
use bytes::Bytes;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

// ---------------------------------------------------------------------------------------
// Accounting

static CACHED: AtomicU64 = AtomicU64::new(0);
static LAST_REFRESH_US: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);
static STARTUP: AtomicU64 = AtomicU64::new(0);
static LAZYFREE_PENDING: AtomicU64 = AtomicU64::new(0);
static LAZYFREED: AtomicU64 = AtomicU64::new(0);

fn epoch_us() -> u64 {
    static T0: OnceLock<Instant> = OnceLock::new();
    T0.get_or_init(Instant::now).elapsed().as_micros() as u64 + 1
}

/// Reads jemalloc's statistics now (epoch advance + stats.allocated) and updates the cache.
pub fn refresh() -> u64 {
    let _ = tikv_jemalloc_ctl::epoch::advance();
    let a = tikv_jemalloc_ctl::stats::allocated::read().unwrap_or(0) as u64;
    CACHED.store(a, Ordering::Relaxed);
    LAST_REFRESH_US.store(epoch_us(), Ordering::Relaxed);
    PEAK.fetch_max(a, Ordering::Relaxed);
    a
}

/// Bytes allocated, at most ~1ms old (minus the estimated frees of evictions since).
#[inline]
pub fn used_memory() -> u64 {
    let now = epoch_us();
    let last = LAST_REFRESH_US.load(Ordering::Relaxed);
    if now.saturating_sub(last) >= 1000
        && LAST_REFRESH_US
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        return refresh();
    }
    CACHED.load(Ordering::Relaxed)
}

/// Counts a write about to run (its argument bytes plus a node) into the cached figure,
/// so that concurrent writers see each other between two jemalloc readings.
#[inline]
pub fn charge(bytes: usize) {
    CACHED.fetch_add(bytes as u64 + 96, Ordering::Relaxed);
}

/// Records the memory in use once the server is initialised (`used_memory_startup`).
pub fn record_startup() {
    STARTUP.store(refresh(), Ordering::Relaxed);
}

/// Resident set size from /proc/self/statm.
pub fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

fn jemalloc_stat(name: &'static [u8]) -> u64 {
    // SAFETY: the names below are size_t statistics.
    unsafe { tikv_jemalloc_ctl::raw::read::<usize>(name).unwrap_or(0) as u64 }
}

/// Redis's bytesToHuman.
pub fn human(n: u64) -> String {
    let d = n as f64;
    const K: f64 = 1024.0;
    if n < 1024 {
        format!("{n}B")
    } else if d < K * K {
        format!("{:.2}K", d / K)
    } else if d < K * K * K {
        format!("{:.2}M", d / (K * K))
    } else if d < K * K * K * K {
        format!("{:.2}G", d / (K * K * K))
    } else if d < K * K * K * K * K {
        format!("{:.2}T", d / (K * K * K * K))
    } else {
        format!("{:.2}P", d / (K * K * K * K * K))
    }
}

/// Keyspace overhead: dict buckets, nodes (key + entry header), per database.
/// Returns (keys, main-table overhead, expires overhead) per database with keys.
fn keyspace_overhead(srv: &Server) -> Vec<(usize, usize, u64, u64)> {
    let ndbs = srv.store.ndbs();
    let mut out: Vec<(usize, u64, u64)> = vec![(0, 0, 0); ndbs];
    let node = std::mem::size_of::<crate::store::dict::Node<Entry>>() as u64;
    for i in 0..srv.store.nshards() {
        let g = srv.store.lock(i);
        for (db, part) in g.dbs.iter().enumerate() {
            out[db].0 += part.len();
            out[db].1 += part.len() as u64 * node + part.dict.buckets() as u64 * 8;
            // Expiry lives in the entry: no separate table, 8 bytes per volatile key.
            out[db].2 += part.volatile as u64 * 8;
        }
    }
    out.into_iter()
        .enumerate()
        .filter(|(_, (k, _, _))| *k > 0)
        .map(|(db, (k, m, e))| (db, k, m, e))
        .collect()
}

struct Snapshot {
    used: u64,
    peak: u64,
    startup: u64,
    rss: u64,
    overhead: u64,
    keys: usize,
    dbs: Vec<(usize, usize, u64, u64)>,
    allocated: u64,
    active: u64,
    resident: u64,
}

fn snapshot(srv: &Server) -> Snapshot {
    let used = refresh();
    let dbs = keyspace_overhead(srv);
    let keys = dbs.iter().map(|d| d.1).sum();
    let overhead = STARTUP.load(Ordering::Relaxed) + dbs.iter().map(|d| d.2 + d.3).sum::<u64>();
    Snapshot {
        used,
        peak: PEAK.load(Ordering::Relaxed).max(used),
        startup: STARTUP.load(Ordering::Relaxed),
        rss: rss(),
        overhead,
        keys,
        dbs,
        allocated: jemalloc_stat(b"stats.allocated\0"),
        active: jemalloc_stat(b"stats.active\0"),
        resident: jemalloc_stat(b"stats.resident\0"),
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The fields of INFO's `# Memory` section, in Redis 7's order (for the server family's
/// INFO). Values are already formatted.
pub fn info_fields(srv: &Server) -> Vec<(&'static str, String)> {
    let s = snapshot(srv);
    let max = srv.config.hot.maxmemory.load(Ordering::Relaxed);
    let dataset = s.used.saturating_sub(s.overhead);
    let net = s.used.saturating_sub(s.startup);
    let total_sys = total_system_memory();
    let policy = policy_name(srv);
    vec![
        ("used_memory", s.used.to_string()),
        ("used_memory_human", human(s.used)),
        ("used_memory_rss", s.rss.to_string()),
        ("used_memory_rss_human", human(s.rss)),
        ("used_memory_peak", s.peak.to_string()),
        ("used_memory_peak_human", human(s.peak)),
        (
            "used_memory_peak_perc",
            format!("{:.2}%", ratio(s.used * 100, s.peak)),
        ),
        ("used_memory_overhead", s.overhead.to_string()),
        ("used_memory_startup", s.startup.to_string()),
        ("used_memory_dataset", dataset.to_string()),
        (
            "used_memory_dataset_perc",
            format!("{:.2}%", ratio(dataset * 100, net.max(1))),
        ),
        ("allocator_allocated", s.allocated.to_string()),
        ("allocator_active", s.active.to_string()),
        ("allocator_resident", s.resident.to_string()),
        ("total_system_memory", total_sys.to_string()),
        ("total_system_memory_human", human(total_sys)),
        ("maxmemory", max.to_string()),
        ("maxmemory_human", human(max)),
        ("maxmemory_policy", policy.to_string()),
        (
            "allocator_frag_ratio",
            format!("{:.2}", ratio(s.active, s.allocated)),
        ),
        (
            "allocator_frag_bytes",
            s.active.saturating_sub(s.allocated).to_string(),
        ),
        (
            "allocator_rss_ratio",
            format!("{:.2}", ratio(s.resident, s.active)),
        ),
        (
            "allocator_rss_bytes",
            s.resident.saturating_sub(s.active).to_string(),
        ),
        (
            "rss_overhead_ratio",
            format!("{:.2}", ratio(s.rss, s.resident)),
        ),
        (
            "rss_overhead_bytes",
            (s.rss as i64 - s.resident as i64).to_string(),
        ),
        (
            "mem_fragmentation_ratio",
            format!("{:.2}", ratio(s.rss, s.used)),
        ),
        (
            "mem_fragmentation_bytes",
            (s.rss as i64 - s.used as i64).to_string(),
        ),
        ("mem_not_counted_for_evict", "0".into()),
        ("mem_replication_backlog", "0".into()),
        ("mem_total_replication_buffers", "0".into()),
        ("mem_clients_slaves", "0".into()),
        ("mem_clients_normal", "0".into()),
        ("mem_cluster_links", "0".into()),
        ("mem_aof_buffer", "0".into()),
        ("mem_allocator", "jemalloc-5.3.0".into()),
        ("active_defrag_running", "0".into()),
        (
            "lazyfree_pending_objects",
            LAZYFREE_PENDING.load(Ordering::Relaxed).to_string(),
        ),
        (
            "lazyfreed_objects",
            LAZYFREED.load(Ordering::Relaxed).to_string(),
        ),
    ]
}

/// Counters of INFO's `# Stats` section that this module owns.
pub fn stats_fields(srv: &Server) -> Vec<(&'static str, String)> {
    vec![
        (
            "expired_keys",
            srv.stats.expired_keys.load(Ordering::Relaxed).to_string(),
        ),
        (
            "evicted_keys",
            srv.stats.evicted_keys.load(Ordering::Relaxed).to_string(),
        ),
    ]
}

fn total_system_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let l = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            l.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

pub fn policy_name(srv: &Server) -> &'static str {
    let i = srv.config.hot.maxmemory_policy.load(Ordering::Relaxed) as usize;
    crate::config::params::POLICIES
        .get(i)
        .copied()
        .unwrap_or("noeviction")
}

/// MEMORY STATS, as (name, value) pairs; per-database entries are nested maps.
pub enum StatValue {
    Int(i64),
    Float(f64),
    Map(Vec<(&'static str, i64)>),
}

pub fn stats(srv: &Server) -> Vec<(String, StatValue)> {
    use StatValue::*;
    let s = snapshot(srv);
    let dataset = s.used.saturating_sub(s.overhead);
    let net = s.used.saturating_sub(s.startup);
    let mut v: Vec<(String, StatValue)> = vec![
        ("peak.allocated".into(), Int(s.peak as i64)),
        ("total.allocated".into(), Int(s.used as i64)),
        ("startup.allocated".into(), Int(s.startup as i64)),
        ("replication.backlog".into(), Int(0)),
        ("clients.slaves".into(), Int(0)),
        ("clients.normal".into(), Int(0)),
        ("cluster.links".into(), Int(0)),
        ("aof.buffer".into(), Int(0)),
        ("lua.caches".into(), Int(0)),
        ("functions.caches".into(), Int(0)),
    ];
    for (db, _, main, exp) in &s.dbs {
        v.push((
            format!("db.{db}"),
            Map(vec![
                ("overhead.hashtable.main", *main as i64),
                ("overhead.hashtable.expires", *exp as i64),
            ]),
        ));
    }
    let per_key = if s.keys > 0 {
        (net / s.keys as u64) as i64
    } else {
        0
    };
    v.extend([
        ("overhead.total".into(), Int(s.overhead as i64)),
        ("keys.count".into(), Int(s.keys as i64)),
        ("keys.bytes-per-key".into(), Int(per_key)),
        ("dataset.bytes".into(), Int(dataset as i64)),
        (
            "dataset.percentage".into(),
            Float(ratio(dataset * 100, net.max(1))),
        ),
        ("peak.percentage".into(), Float(ratio(s.used * 100, s.peak))),
        ("allocator.allocated".into(), Int(s.allocated as i64)),
        ("allocator.active".into(), Int(s.active as i64)),
        ("allocator.resident".into(), Int(s.resident as i64)),
        (
            "allocator-fragmentation.ratio".into(),
            Float(ratio(s.active, s.allocated)),
        ),
        (
            "allocator-fragmentation.bytes".into(),
            Int(s.active as i64 - s.allocated as i64),
        ),
        (
            "allocator-rss.ratio".into(),
            Float(ratio(s.resident, s.active)),
        ),
        (
            "allocator-rss.bytes".into(),
            Int(s.resident as i64 - s.active as i64),
        ),
        ("rss-overhead.ratio".into(), Float(ratio(s.rss, s.resident))),
        (
            "rss-overhead.bytes".into(),
            Int(s.rss as i64 - s.resident as i64),
        ),
        ("fragmentation".into(), Float(ratio(s.rss, s.used))),
        (
            "fragmentation.bytes".into(),
            Int(s.rss as i64 - s.used as i64),
        ),
    ]);
    v
}

/// MEMORY DOCTOR's report (Redis's getMemoryDoctorReport, main checks).
pub fn doctor(srv: &Server) -> String {
    let s = snapshot(srv);
    if s.used < 5 * 1024 * 1024 {
        return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.".into();
    }
    let mut issues = Vec::new();
    if s.peak as f64 / s.used as f64 > 1.5 {
        issues.push(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n");
    }
    let frag = ratio(s.rss, s.used);
    if frag > 1.4 {
        issues.push(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"jemalloc-5.3.0\".\n\n");
    }
    if issues.is_empty() {
        return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.".into();
    }
    let mut r =
        String::from("Sam, I detected a few issues in this Redis instance memory implants:\n\n");
    for i in issues {
        r.push_str(i);
    }
    r.push_str("I'm here to keep you safe, Sam. I want to help you.\n");
    r
}

/// Releases dirty pages of every arena to the OS (MEMORY PURGE).
pub fn purge() {
    // "arena.<MALLCTL_ARENAS_ALL>.purge" takes neither input nor output: call mallctl
    // directly (tikv-jemalloc-ctl's raw helpers always pass a value).
    let name = b"arena.4096.purge\0";
    // SAFETY: valid NUL-terminated name, no old/new values.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr() as *const _,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
    refresh();
}

/// jemalloc's malloc_stats_print output (MEMORY MALLOC-STATS).
pub fn malloc_stats() -> String {
    unsafe extern "C" fn write_cb(opaque: *mut std::ffi::c_void, s: *const std::ffi::c_char) {
        // SAFETY: opaque is the &mut String passed below; s is a C string from jemalloc.
        let out = &mut *(opaque as *mut String);
        out.push_str(&std::ffi::CStr::from_ptr(s).to_string_lossy());
    }
    let mut out = String::new();
    // SAFETY: the callback only appends to `out`, which outlives the call.
    unsafe {
        tikv_jemalloc_sys::malloc_stats_print(
            Some(write_cb),
            &mut out as *mut String as *mut std::ffi::c_void,
            std::ptr::null(),
        );
    }
    out
}

// ---------------------------------------------------------------------------------------
// Per-key size estimates (MEMORY USAGE, eviction accounting)

/// Redis's OBJ_COMPUTE_SIZE_DEF_SAMPLES.
pub const DEFAULT_SAMPLES: usize = 5;

/// The bytes jemalloc really hands out for an allocation of `n` (its size class).
#[inline]
pub fn alloc_size(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    // SAFETY: nallocx only computes a size class.
    unsafe { tikv_jemalloc_sys::nallocx(n, 0) }
}

fn sds_size(s: &Sds) -> usize {
    alloc_size(s.heap_size())
}

/// Estimated bytes used by a key: its dict node (key inline, entry header), the key's and
/// the value's heap blocks. Collections with more than `samples` elements are estimated
/// from a sample (`samples == 0`: all), as Redis's objectComputeSize.
pub fn key_usage(key: &Sds, e: &Entry, samples: usize) -> usize {
    let node = std::mem::size_of::<crate::store::dict::Node<Entry>>();
    // 8 bytes: the bucket pointer share of a node in a table at load factor ~1.
    alloc_size(node) + 8 + sds_size(key) + value_usage(&e.value, samples)
}

pub fn value_usage(v: &Value, samples: usize) -> usize {
    use crate::store::hash::HashValue;
    use crate::store::set::SetValue;
    let samples = if samples == 0 { usize::MAX } else { samples };
    match v {
        Value::Str(crate::store::StrValue::Buf(b)) => {
            alloc_size(std::mem::size_of::<Vec<u8>>()) + alloc_size(b.capacity())
        }
        Value::Str(s) => alloc_size(s.heap_size()),
        // Hash and set values live inline in the entry: only their buffers count here.
        Value::Hash(h) => match h {
            HashValue::Packed(p) => p.bytes(),
            HashValue::Table(d) => dict_usage(d, samples, |k, v| sds_size(k) + sds_size(v)),
        },
        Value::Set(s) => match s {
            SetValue::Small(b) => b.len(),
            SetValue::Table(d) => dict_usage(d, samples, |k, _| sds_size(k)),
        },
        // The owners' own estimates (not sampled).
        Value::List(l) => std::mem::size_of::<crate::store::list::ListValue>() + l.mem_bytes(),
        Value::ZSet(z) => std::mem::size_of::<crate::store::zset::ZSetValue>() + z.heap_size(),
        Value::Stream(s) => s.mem_usage(),
    }
}

fn dict_usage<V>(
    d: &crate::store::Dict<V>,
    samples: usize,
    heap: impl Fn(&Sds, &V) -> usize,
) -> usize {
    let node = std::mem::size_of::<crate::store::dict::Node<V>>();
    let base = std::mem::size_of::<crate::store::Dict<V>>() + d.buckets() * 8;
    let n = d.len();
    if n == 0 {
        return base;
    }
    let mut seen = 0usize;
    let mut bytes = 0usize;
    for e in d.iter() {
        if seen >= samples {
            break;
        }
        bytes += node + heap(&e.key, &e.val);
        seen += 1;
    }
    base + (bytes as f64 / seen as f64 * n as f64) as usize
}

/// Frees a value on the background thread if it is big (Redis's lazyfree for evictions);
/// the size rule is the keyspace family's `free_effort` (UNLINK's).
pub fn free_value(v: Value) {
    use crate::commands::generic::free_effort;
    if free_effort(&v) > LAZYFREE_THRESHOLD {
        lazy_free(Box::new(v));
    }
}

/// Redis's LAZYFREE_THRESHOLD.
pub const LAZYFREE_THRESHOLD: usize = 64;

/// Anything to drop off the request path.
pub type Garbage = Box<dyn std::any::Any + Send>;

/// Drops `g` on the background "lazyfree" thread (started on first use), counting it in
/// INFO's lazyfree_pending_objects / lazyfreed_objects.
pub fn lazy_free(g: Garbage) {
    static TX: OnceLock<Mutex<std::sync::mpsc::Sender<Garbage>>> = OnceLock::new();
    let tx = TX.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Garbage>();
        std::thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || {
                for g in rx {
                    drop(g);
                    LAZYFREE_PENDING.fetch_sub(1, Ordering::Relaxed);
                    LAZYFREED.fetch_add(1, Ordering::Relaxed);
                }
            })
            .expect("spawn lazyfree thread");
        Mutex::new(tx)
    });
    LAZYFREE_PENDING.fetch_add(1, Ordering::Relaxed);
    if let Err(e) = tx.lock().send(g) {
        LAZYFREE_PENDING.fetch_sub(1, Ordering::Relaxed);
        drop(e.0);
    }
}

// ---------------------------------------------------------------------------------------
// Eviction

/// Redis's EVPOOL_SIZE.
const POOL_SIZE: usize = 16;
/// Shards sampled per pool refill.
const SHARDS_PER_ROUND: usize = 4;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Evict {
    /// Under the limit (or no limit).
    Ok,
    /// Time budget spent while still over: the command proceeds (Redis's EVICT_RUNNING).
    Running,
    /// Over the limit and nothing can be evicted.
    Fail,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Policy {
    NoEviction,
    Lru { volatile: bool },
    Lfu { volatile: bool },
    Random { volatile: bool },
    Ttl,
}

impl Policy {
    fn from_index(i: u8) -> Policy {
        match crate::config::params::POLICIES.get(i as usize).copied() {
            Some("volatile-lru") => Policy::Lru { volatile: true },
            Some("allkeys-lru") => Policy::Lru { volatile: false },
            Some("volatile-lfu") => Policy::Lfu { volatile: true },
            Some("allkeys-lfu") => Policy::Lfu { volatile: false },
            Some("volatile-random") => Policy::Random { volatile: true },
            Some("allkeys-random") => Policy::Random { volatile: false },
            Some("volatile-ttl") => Policy::Ttl,
            _ => Policy::NoEviction,
        }
    }

    fn volatile(self) -> bool {
        match self {
            Policy::Lru { volatile } | Policy::Lfu { volatile } | Policy::Random { volatile } => {
                volatile
            }
            Policy::Ttl => true,
            Policy::NoEviction => false,
        }
    }

    /// Higher = better candidate (Redis's "idle" in the pool).
    fn score(self, e: &Entry, decay: u32) -> u64 {
        match self {
            Policy::Lru { .. } => crate::store::lru_idle_secs(e.lru()),
            Policy::Lfu { .. } => 255 - lfu::decayed(e.lru(), decay) as u64,
            Policy::Ttl => u64::MAX - e.expire_at(),
            _ => 0,
        }
    }
}

struct Candidate {
    score: u64,
    db: usize,
    shard: usize,
    hash: u64,
    key: Sds,
}

/// The eviction pool; its lock also makes evictions one at a time.
static POOL: Mutex<Vec<Candidate>> = Mutex::new(Vec::new());

fn pool_insert(pool: &mut Vec<Candidate>, c: Candidate) {
    if pool.len() >= POOL_SIZE && c.score <= pool[0].score {
        return;
    }
    if pool
        .iter()
        .any(|p| p.shard == c.shard && p.db == c.db && p.hash == c.hash && p.key == c.key)
    {
        return;
    }
    if pool.len() >= POOL_SIZE {
        pool.remove(0);
    }
    let at = pool.partition_point(|p| p.score < c.score);
    pool.insert(at, c);
}

/// Redis's evictionTimeLimitUs.
fn time_limit_us(tenacity: i64) -> u64 {
    if tenacity <= 10 {
        50 * tenacity.max(0) as u64
    } else if tenacity < 100 {
        (500.0 * 1.15f64.powf(tenacity as f64 - 10.0)) as u64
    } else {
        u64::MAX
    }
}

/// Wakes the background evictor (started by `start_background`).
static BG: OnceLock<(std::sync::Mutex<bool>, std::sync::Condvar)> = OnceLock::new();

fn bg() -> &'static (std::sync::Mutex<bool>, std::sync::Condvar) {
    BG.get_or_init(|| (std::sync::Mutex::new(false), std::sync::Condvar::new()))
}

fn wake_background() {
    let (m, cv) = bg();
    *m.lock().unwrap_or_else(|e| e.into_inner()) = true;
    cv.notify_one();
}

/// Starts the thread that continues an eviction cut short by the time budget (Redis's
/// evictionTimeProc), e.g. after CONFIG SET lowered `maxmemory`: it evicts in budget-sized
/// rounds, lock by lock, interleaved with clients' commands. It also checks every 100ms.
pub fn start_background(srv: std::sync::Arc<Server>) {
    static STARTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if STARTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("evictor".into())
        .spawn(move || loop {
            {
                let (m, cv) = bg();
                let mut pending = m.lock().unwrap_or_else(|e| e.into_inner());
                if !*pending {
                    pending = cv
                        .wait_timeout(pending, std::time::Duration::from_millis(100))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                *pending = false;
            }
            if srv.shutting_down.load(Ordering::Relaxed) {
                return;
            }
            while over_limit(&srv) && perform_evictions_once(&srv) == Evict::Running {
                std::thread::yield_now();
            }
        });
}

/// Redis's shared.oomerr text.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Redis 7's scriptVerifyOOM, for the scripting family: inside a script, a denyoom
/// command is refused when the server was out of memory when the script started
/// (`oom_at_start`: take `over_limit(srv)` at EVAL/FCALL start, after the dispatcher's
/// eviction attempt) and the script has not written anything yet (once it wrote, it
/// can't be stopped halfway). Scripts flagged `allow-oom` skip the check; scripts with
/// flags (shebang) that may write are refused at start by the caller instead.
pub fn script_may_call(
    srv: &Server,
    cmd: &crate::command::CommandSpec,
    oom_at_start: bool,
    script_wrote: bool,
) -> Result<(), &'static str> {
    if srv.config.hot.maxmemory.load(Ordering::Relaxed) != 0
        && !script_wrote
        && oom_at_start
        && cmd.has(crate::command::flags::DENYOOM)
    {
        return Err(OOM_ERROR);
    }
    Ok(())
}

/// Whether the server is over `maxmemory` now (no eviction attempted).
pub fn over_limit(srv: &Server) -> bool {
    let max = srv.config.hot.maxmemory.load(Ordering::Relaxed);
    max != 0 && used_memory() > max
}

/// Evicts keys until used memory is under `maxmemory` (Redis's performEvictions). When the
/// time budget runs out first, the background evictor continues.
pub fn perform_evictions(srv: &Server) -> Evict {
    let r = perform_evictions_once(srv);
    if r == Evict::Running {
        wake_background();
    }
    r
}

fn perform_evictions_once(srv: &Server) -> Evict {
    let max = srv.config.hot.maxmemory.load(Ordering::Relaxed);
    if max == 0 || used_memory() <= max {
        return Evict::Ok;
    }
    let policy = Policy::from_index(srv.config.hot.maxmemory_policy.load(Ordering::Relaxed));
    if policy == Policy::NoEviction {
        // Over maybe only by the writes `charge`d since the last reading: check.
        return if refresh() <= max {
            Evict::Ok
        } else {
            Evict::Fail
        };
    }
    let mut pool = POOL.lock();
    let tenacity = srv.config.get_i64("maxmemory-eviction-tenacity");
    let lazy = srv.config.get("lazyfree-lazy-eviction") == "yes";
    let limit = time_limit_us(tenacity);
    let start = Instant::now();
    let mut rng = rand::random::<u64>() | 1;
    let mut next = move || {
        // xorshift64*
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut evicted = 0u64;
    loop {
        let max = srv.config.hot.maxmemory.load(Ordering::Relaxed);
        if max == 0 {
            return Evict::Ok;
        }
        // The cached figure decides alone only when it says "under" before any eviction;
        // otherwise (over before evicting: maybe only by `charge`s; under after evicting:
        // by estimates) jemalloc's figure confirms.
        let cached_ok = used_memory() <= max;
        if cached_ok && evicted == 0 {
            return Evict::Ok;
        }
        if (cached_ok || evicted == 0) && refresh() <= max {
            return Evict::Ok;
        }
        let done = match policy {
            Policy::Random { volatile } => evict_random(srv, volatile, lazy, &mut next),
            _ => evict_from_pool(srv, policy, &mut pool, lazy, &mut next),
        };
        if !done {
            return Evict::Fail;
        }
        evicted += 1;
        if evicted.is_multiple_of(16) && start.elapsed().as_micros() as u64 > limit {
            return Evict::Running;
        }
    }
}

/// Samples up to `n` entries of one database part into `out` (eligible ones only).
fn sample_part(
    part: &crate::store::DbShard,
    n: usize,
    volatile: bool,
    rng: &mut impl FnMut() -> u64,
    mut out: impl FnMut(&crate::store::dict::Node<Entry>),
) {
    if part.is_empty() || (volatile && part.volatile == 0) {
        return;
    }
    let mut found = 0;
    let dense = !volatile || part.volatile * 4 >= part.len();
    let tries = if dense { n } else { n * 4 };
    for _ in 0..tries {
        if found >= n {
            return;
        }
        if let Some(node) = part.dict.random(rng) {
            if !volatile || node.val.expire_at() != 0 {
                out(node);
                found += 1;
            }
        }
    }
    if found == 0 && volatile {
        // Few volatile keys among many: walk buckets from a random cursor.
        let mut cursor = rng();
        for _ in 0..part.dict.buckets().min(4096) {
            cursor = part.dict.scan(cursor, |node| {
                if found < n && node.val.expire_at() != 0 {
                    out(node);
                    found += 1;
                }
            });
            if found >= n {
                return;
            }
        }
    }
}

fn fill_pool(
    srv: &Server,
    policy: Policy,
    shard: usize,
    samples: usize,
    decay: u32,
    pool: &mut Vec<Candidate>,
    rng: &mut impl FnMut() -> u64,
) -> bool {
    let volatile = policy.volatile();
    let g = srv.store.lock(shard);
    let mut any = false;
    for (db, part) in g.dbs.iter().enumerate() {
        sample_part(part, samples, volatile, rng, |node| {
            any = true;
            pool_insert(
                pool,
                Candidate {
                    score: policy.score(&node.val, decay),
                    db,
                    shard,
                    hash: node.hash(),
                    key: node.key.clone(),
                },
            );
        });
    }
    any
}

fn evict_from_pool(
    srv: &Server,
    policy: Policy,
    pool: &mut Vec<Candidate>,
    lazy: bool,
    rng: &mut impl FnMut() -> u64,
) -> bool {
    let n = srv.store.nshards();
    let samples = srv
        .config
        .hot
        .maxmemory_samples
        .load(Ordering::Relaxed)
        .max(1) as usize;
    let decay = srv.config.hot.lfu_decay_time.load(Ordering::Relaxed);
    loop {
        let mut any = false;
        for _ in 0..SHARDS_PER_ROUND.min(n) {
            let s = (rng() as usize) & (n - 1);
            any |= fill_pool(srv, policy, s, samples, decay, pool, rng);
        }
        if !any && pool.is_empty() {
            // The random shards were empty: look at all of them before giving up.
            for s in 0..n {
                any |= fill_pool(srv, policy, s, samples, decay, pool, rng);
            }
            if !any {
                return false;
            }
        }
        while let Some(c) = pool.pop() {
            if evict_key(srv, policy, c, lazy, decay) {
                return true;
            }
        }
    }
}

fn evict_random(srv: &Server, volatile: bool, lazy: bool, rng: &mut impl FnMut() -> u64) -> bool {
    let n = srv.store.nshards();
    let policy = Policy::Random { volatile };
    let try_shard = |s: usize, rng: &mut dyn FnMut() -> u64| -> Option<Candidate> {
        let g = srv.store.lock(s);
        let ndbs = g.dbs.len();
        let first = (rng() as usize) % ndbs;
        for i in 0..ndbs {
            let db = (first + i) % ndbs;
            let mut pick = None;
            let mut r = || rng();
            sample_part(&g.dbs[db], 1, volatile, &mut r, |node| {
                pick = Some(Candidate {
                    score: 0,
                    db,
                    shard: s,
                    hash: node.hash(),
                    key: node.key.clone(),
                });
            });
            if pick.is_some() {
                return pick;
            }
        }
        None
    };
    for _ in 0..n.min(8) {
        let s = (rng() as usize) & (n - 1);
        if let Some(c) = try_shard(s, rng) {
            if evict_key(srv, policy, c, lazy, 0) {
                return true;
            }
        }
    }
    let first = (rng() as usize) & (n - 1);
    for i in 0..n {
        if let Some(c) = try_shard((first + i) & (n - 1), rng) {
            if evict_key(srv, policy, c, lazy, 0) {
                return true;
            }
        }
    }
    false
}

/// Deletes a candidate as DEL would (watchers, propagation, `evicted` event, stats), if it
/// is still there, still eligible and was not accessed since it was sampled.
fn evict_key(srv: &Server, policy: Policy, c: Candidate, lazy: bool, decay: u32) -> bool {
    let mut g = srv.store.lock(c.shard);
    let part = &mut g.dbs[c.db];
    let Some(e) = part.get(c.hash, &c.key) else {
        return false;
    };
    if policy.volatile() && e.expire_at() == 0 {
        return false;
    }
    if matches!(policy, Policy::Lru { .. } | Policy::Lfu { .. }) && policy.score(e, decay) < c.score
    {
        // Touched since it was sampled: no longer the best candidate.
        return false;
    }
    let est = key_usage(&c.key, e, DEFAULT_SAMPLES) as u64;
    let Some((key, entry)) = part.remove(c.hash, &c.key) else {
        return false;
    };
    part.touch_watched(&key);
    let kb = Bytes::copy_from_slice(key.as_bytes());
    // Redis's propagateDeletion: UNLINK when the eviction frees lazily.
    let verb: &'static [u8] = if lazy { b"UNLINK" } else { b"DEL" };
    srv.propagate_effect(c.db, &[Bytes::from_static(verb), kb.clone()]);
    drop(g);
    srv.stats.evicted_keys.fetch_add(1, Ordering::Relaxed);
    let _ = CACHED.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
        Some(v.saturating_sub(est))
    });
    if lazy {
        free_value(entry.value);
    } else {
        drop(entry);
    }
    let flags = srv.config.hot.notify_flags.load(Ordering::Relaxed);
    use crate::config::notify;
    if flags & notify::EVICTED != 0 && flags & (notify::KEYSPACE | notify::KEYEVENT) != 0 {
        srv.publish_events(vec![Event {
            flag: notify::EVICTED,
            event: "evicted",
            key: kb,
            db: c.db,
        }]);
    }
    true
}

/// Server threads share jemalloc arenas, four to an arena starting with the main thread's
/// (jemalloc's default is an arena per thread up to 4 x CPUs). Each arena keeps its own
/// partly used slabs for every size class, so a fresh one costs ~200 KB of RSS on the first
/// connection that loads data, which a single-threaded Redis never pays; the thread caches
/// keep the shared arena's locks off the fast path.
pub fn share_arena() {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let i = NEXT.fetch_add(1, Ordering::Relaxed) / 4;
    // SAFETY: "arenas.narenas" and "thread.arena" are jemalloc's documented unsigned
    // controls; the index written is below narenas.
    unsafe {
        let n = tikv_jemalloc_ctl::raw::read::<u32>(b"arenas.narenas\0").unwrap_or(1);
        let _ = tikv_jemalloc_ctl::raw::write(b"thread.arena\0", i % n.max(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_like_redis() {
        assert_eq!(human(0), "0B");
        assert_eq!(human(1023), "1023B");
        assert_eq!(human(1024), "1.00K");
        assert_eq!(human(100 * 1024 * 1024), "100.00M");
    }

    #[test]
    fn tenacity_budget() {
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(100), u64::MAX);
    }

    #[test]
    fn pool_keeps_best() {
        let mut p = Vec::new();
        for i in 0..40u64 {
            pool_insert(
                &mut p,
                Candidate {
                    score: (i * 7) % 40,
                    db: 0,
                    shard: 0,
                    hash: i,
                    key: Sds::new(format!("k{i}").as_bytes()),
                },
            );
        }
        assert_eq!(p.len(), POOL_SIZE);
        assert_eq!(p.last().unwrap().score, 39);
        assert!(p.windows(2).all(|w| w[0].score <= w[1].score));
    }
}
