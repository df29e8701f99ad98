//! maxmemory and the eviction policies: which keys go, which stay, OOM errors, runtime
//! CONFIG SET changes, and the MEMORY command.
//!
//! Keys hold 50 kB values so that one key dominates the noise of other allocations
//! (client buffers); caps are computed from the measured cost of a key. Most tests run
//! with one shard and `maxmemory-samples 64` so that the approximate policies pick the
//! best candidate with near certainty, and with tenacity 100 (no time budget) so that
//! one command evicts down to the cap.

mod common;
use common::*;
use redis::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const VAL: usize = 50_000;
const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

fn exact() -> TestServer {
    TestServer::start_with(&[
        "--shards",
        "1",
        "--maxmemory-samples",
        "64",
        "--maxmemory-eviction-tenacity",
        "100",
    ])
}

fn pairs(v: Value) -> Vec<(String, Value)> {
    match v {
        Value::Array(a) => a
            .chunks(2)
            .map(|c| match &c[0] {
                Value::BulkString(b) => (String::from_utf8_lossy(b).into_owned(), c[1].clone()),
                o => panic!("bad key {o:?}"),
            })
            .collect(),
        Value::Map(m) => m
            .into_iter()
            .map(|(k, v)| match k {
                Value::BulkString(b) => (String::from_utf8_lossy(&b).into_owned(), v),
                o => panic!("bad key {o:?}"),
            })
            .collect(),
        o => panic!("not a map: {o:?}"),
    }
}

fn stats(c: &mut redis::Connection) -> HashMap<String, Value> {
    pairs(q(c, &["MEMORY", "STATS"])).into_iter().collect()
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        o => panic!("not an int: {o:?}"),
    }
}

fn used(c: &mut redis::Connection) -> i64 {
    int(&stats(c)["total.allocated"])
}

fn dbsize(c: &mut redis::Connection) -> i64 {
    int(&q(c, &["DBSIZE"]))
}

fn exists(c: &mut redis::Connection, k: &str) -> bool {
    // STRLEN rather than EXISTS (the keyspace family lands separately); all keys here
    // are non-empty strings.
    int(&q(c, &["STRLEN", k])) > 0
}

fn set_big(c: &mut redis::Connection, k: &str, ttl: Option<u64>) {
    let v = "x".repeat(VAL);
    let r = match ttl {
        Some(t) => q(c, &["SET", k, &v, "EX", &t.to_string()]),
        None => q(c, &["SET", k, &v]),
    };
    assert_eq!(r, Value::Okay, "SET {k}");
}

fn config(c: &mut redis::Connection, name: &str, v: &str) {
    assert_eq!(q(c, &["CONFIG", "SET", name, v]), Value::Okay, "{name} {v}");
}

/// Loads `keys` with big values and returns the measured bytes per key.
fn load(c: &mut redis::Connection, keys: &[(String, Option<u64>)]) -> i64 {
    let before = used(c);
    for (k, t) in keys {
        set_big(c, k, *t);
    }
    (used(c) - before) / keys.len() as i64
}

/// Sets maxmemory so that about `evict` keys of `per` bytes must go, then triggers
/// eviction with a small write.
fn squeeze(c: &mut redis::Connection, per: i64, evict: i64) {
    let cap = used(c) - per * evict;
    config(c, "maxmemory", &cap.to_string());
    assert_eq!(q(c, &["SET", "trigger", "1"]), Value::Okay);
}

fn names(prefix: &str, n: usize, ttl: Option<u64>) -> Vec<(String, Option<u64>)> {
    (0..n).map(|i| (format!("{prefix}{i}"), ttl)).collect()
}

#[test]
fn volatile_lru_evicts_only_keys_with_ttl() {
    let s = exact();
    let mut c = s.conn();
    config(&mut c, "maxmemory-policy", "volatile-lru");
    let mut keys = names("plain:", 10, None);
    keys.extend(names("vol:", 20, Some(1000)));
    let per = load(&mut c, &keys);
    squeeze(&mut c, per, 8);
    for i in 0..10 {
        assert!(exists(&mut c, &format!("plain:{i}")), "plain:{i} evicted");
    }
    let left = (0..20)
        .filter(|i| exists(&mut c, &format!("vol:{i}")))
        .count();
    assert!((8..=14).contains(&left), "volatile keys left: {left}");
    // No room and no more candidates: writes fail, reads and deletes work.
    config(&mut c, "maxmemory", "1");
    assert_eq!(err_text(&q(&mut c, &["SET", "x", "y"])), OOM);
    for i in 0..10 {
        assert!(exists(&mut c, &format!("plain:{i}")));
    }
    assert_eq!(
        (0..20)
            .filter(|i| exists(&mut c, &format!("vol:{i}")))
            .count(),
        0
    );
    assert_eq!(q(&mut c, &["STRLEN", "plain:0"]), Value::Int(VAL as i64));
    assert_eq!(q(&mut c, &["DEL", "plain:0"]), Value::Int(1));
    assert_eq!(err_text(&q(&mut c, &["HSET", "h", "f", "v"])), OOM);
}

#[test]
fn volatile_policies_without_candidates_fail() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let s = exact();
        let mut c = s.conn();
        config(&mut c, "maxmemory-policy", policy);
        load(&mut c, &names("k", 5, None));
        config(&mut c, "maxmemory", "1");
        assert_eq!(err_text(&q(&mut c, &["SET", "x", "y"])), OOM, "{policy}");
        assert_eq!(dbsize(&mut c), 5, "{policy}");
        assert_eq!(q(&mut c, &["GET", "nokey"]), Value::Nil);
    }
}

#[test]
fn noeviction_refuses_writes_only() {
    let s = exact();
    let mut c = s.conn();
    load(&mut c, &names("k", 3, None));
    config(&mut c, "maxmemory", "1");
    assert_eq!(err_text(&q(&mut c, &["SET", "x", "y"])), OOM);
    assert_eq!(err_text(&q(&mut c, &["APPEND", "k0", "y"])), OOM);
    assert_eq!(q(&mut c, &["STRLEN", "k0"]), Value::Int(VAL as i64));
    assert_eq!(q(&mut c, &["DEL", "k1"]), Value::Int(1));
    assert_eq!(dbsize(&mut c), 2);
    // Back under the limit: writes work again.
    config(&mut c, "maxmemory", "0");
    assert_eq!(q(&mut c, &["SET", "x", "y"]), Value::Okay);
}

#[test]
fn oom_inside_multi() {
    let s = exact();
    let mut c = s.conn();
    let mut other = s.conn();
    load(&mut c, &names("k", 2, None));
    config(&mut c, "maxmemory", "1");
    // Queueing anything while over the limit is refused and dooms the transaction.
    assert_eq!(q(&mut c, &["MULTI"]), Value::Okay);
    assert_eq!(err_text(&q(&mut c, &["GET", "k0"])), OOM);
    assert_eq!(
        err_text(&q(&mut c, &["EXEC"])),
        "EXECABORT Transaction discarded because of previous errors."
    );
    // An empty transaction still runs.
    assert_eq!(q(&mut c, &["MULTI"]), Value::Okay);
    assert_eq!(q(&mut c, &["EXEC"]), Value::Array(vec![]));
    // Over the limit only at EXEC time: EXEC of a write transaction is refused and the
    // transaction discarded.
    config(&mut c, "maxmemory", "0");
    assert_eq!(q(&mut c, &["MULTI"]), Value::Okay);
    assert_eq!(
        q(&mut c, &["SET", "x", "y"]),
        Value::SimpleString("QUEUED".into())
    );
    config(&mut other, "maxmemory", "1");
    assert_eq!(
        err_text(&q(&mut c, &["EXEC"])),
        format!("EXECABORT Transaction discarded because of: {OOM}")
    );
    assert_eq!(err_text(&q(&mut c, &["EXEC"])), "ERR EXEC without MULTI");
    assert_eq!(q(&mut c, &["GET", "x"]), Value::Nil);
    // A read-only transaction queued before the limit still runs.
    config(&mut c, "maxmemory", "0");
    assert_eq!(q(&mut c, &["MULTI"]), Value::Okay);
    q(&mut c, &["STRLEN", "k0"]);
    config(&mut other, "maxmemory", "1");
    assert_eq!(
        q(&mut c, &["EXEC"]),
        Value::Array(vec![Value::Int(VAL as i64)])
    );
}

#[test]
fn allkeys_lru_keeps_recently_used_keys() {
    let s = exact();
    let mut c = s.conn();
    config(&mut c, "maxmemory-policy", "allkeys-lru");
    let per = load(&mut c, &names("k", 30, None));
    // The LRU clock has Redis's one-second resolution.
    std::thread::sleep(Duration::from_millis(2200));
    for i in 0..10 {
        q(&mut c, &["STRLEN", &format!("k{i}")]);
    }
    squeeze(&mut c, per, 12);
    for i in 0..10 {
        assert!(
            exists(&mut c, &format!("k{i}")),
            "recently used k{i} evicted"
        );
    }
    let left = (10..30)
        .filter(|i| exists(&mut c, &format!("k{i}")))
        .count();
    assert!((3..=12).contains(&left), "cold keys left: {left}");
}

#[test]
fn no_touch_client_keeps_lru() {
    let s = exact();
    let mut c = s.conn();
    let mut nt = s.conn();
    assert_eq!(q(&mut nt, &["CLIENT", "NO-TOUCH", "ON"]), Value::Okay);
    config(&mut c, "maxmemory-policy", "allkeys-lru");
    let per = load(&mut c, &names("k", 20, None));
    std::thread::sleep(Duration::from_millis(2200));
    // Reads by a NO-TOUCH client don't count as accesses: k0..k9 stay cold, so an
    // eviction of ten keys may pick any of them.
    for i in 0..10 {
        q(&mut nt, &["STRLEN", &format!("k{i}")]);
    }
    for i in 10..20 {
        q(&mut c, &["STRLEN", &format!("k{i}")]);
    }
    squeeze(&mut c, per, 6);
    for i in 10..20 {
        assert!(exists(&mut c, &format!("k{i}")), "touched k{i} evicted");
    }
    let left = (0..10).filter(|i| exists(&mut c, &format!("k{i}"))).count();
    assert!(left <= 6, "untouched keys left: {left}");
}

/// LFU keeps a frequently used key that LRU would drop because it was used long ago.
#[test]
fn lfu_keeps_hot_keys_lru_drops_them() {
    for (policy, hot_survive) in [("allkeys-lfu", true), ("allkeys-lru", false)] {
        let s = exact();
        let mut c = s.conn();
        config(&mut c, "maxmemory-policy", policy);
        let per = load(&mut c, &names("hot", 5, None));
        for _ in 0..100 {
            for i in 0..5 {
                q(&mut c, &["STRLEN", &format!("hot{i}")]);
            }
        }
        std::thread::sleep(Duration::from_millis(2200));
        load(&mut c, &names("cold", 20, None));
        squeeze(&mut c, per, 12);
        let hot_left = (0..5)
            .filter(|i| exists(&mut c, &format!("hot{i}")))
            .count();
        if hot_survive {
            assert_eq!(hot_left, 5, "{policy}");
        } else {
            assert_eq!(hot_left, 0, "{policy}");
        }
    }
}

#[test]
fn volatile_ttl_evicts_nearest_expiry_first() {
    let s = exact();
    let mut c = s.conn();
    config(&mut c, "maxmemory-policy", "volatile-ttl");
    let mut keys: Vec<(String, Option<u64>)> = (0..20)
        .map(|i| (format!("t{i}"), Some(1000 + i * 100)))
        .collect();
    keys.extend(names("plain", 5, None));
    let per = load(&mut c, &keys);
    squeeze(&mut c, per, 8);
    let present: Vec<bool> = (0..20).map(|i| exists(&mut c, &format!("t{i}"))).collect();
    let first = present.iter().position(|p| *p).expect("some TTL keys left");
    assert!(first >= 6, "evicted only {first} keys");
    assert!(
        present[first..].iter().all(|p| *p),
        "not nearest-first: {present:?}"
    );
    for i in 0..5 {
        assert!(exists(&mut c, &format!("plain{i}")));
    }
}

#[test]
fn random_policies_evict_eligible_keys() {
    let s = TestServer::start_with(&["--maxmemory-eviction-tenacity", "100"]);
    let mut c = s.conn();
    config(&mut c, "maxmemory-policy", "volatile-random");
    let mut keys = names("plain", 10, None);
    keys.extend(names("vol", 20, Some(1000)));
    let per = load(&mut c, &keys);
    squeeze(&mut c, per, 8);
    for i in 0..10 {
        assert!(exists(&mut c, &format!("plain{i}")));
    }
    let vol = (0..20)
        .filter(|i| exists(&mut c, &format!("vol{i}")))
        .count();
    assert!(vol <= 14, "volatile left {vol}");
    config(&mut c, "maxmemory", "0");
    config(&mut c, "maxmemory-policy", "allkeys-random");
    let before = dbsize(&mut c);
    squeeze(&mut c, per, 8);
    assert!(dbsize(&mut c) <= before - 5);
    // Everything can go under allkeys-random.
    config(&mut c, "maxmemory", "1");
    assert_eq!(q(&mut c, &["GET", "x"]), Value::Nil);
    assert_eq!(dbsize(&mut c), 0);
}

#[test]
fn lowering_maxmemory_evicts_down_in_background() {
    // Default tenacity: evictions are time-boxed per command; the background evictor
    // finishes the job without further writes.
    let s = TestServer::start();
    let mut c = s.conn();
    config(&mut c, "maxmemory-policy", "allkeys-lru");
    let per = load(&mut c, &names("k", 60, None));
    let cap = used(&mut c) - per * 40;
    config(&mut c, "maxmemory", &format!("{}kb", cap / 1024));
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "maxmemory"]),
        Value::Array(vec![
            Value::BulkString(b"maxmemory".to_vec()),
            Value::BulkString(((cap / 1024) * 1024).to_string().into_bytes()),
        ])
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut u = used(&mut c);
    while u > cap && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        u = used(&mut c);
    }
    // Under the cap at some point without any write (it then hovers around it).
    assert!(u <= cap, "{u} > {cap}");
    let n = dbsize(&mut c);
    assert!((10..=25).contains(&n), "keys left {n}");
    // Policy changes take effect immediately.
    config(&mut c, "maxmemory-policy", "noeviction");
    let cap = used(&mut c) - 1000;
    config(&mut c, "maxmemory", &cap.to_string());
    assert_eq!(err_text(&q(&mut c, &["SET", "a", "b"])), OOM);
    config(&mut c, "maxmemory-policy", "allkeys-lru");
    assert_eq!(q(&mut c, &["SET", "a", "b"]), Value::Okay);
}

#[test]
fn memory_usage() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(q(&mut c, &["MEMORY", "USAGE", "nokey"]), Value::Nil);
    q(&mut c, &["SET", "small", "v"]);
    q(&mut c, &["SET", "big", &"x".repeat(1000)]);
    let small = int(&q(&mut c, &["MEMORY", "USAGE", "small"]));
    let big = int(&q(&mut c, &["MEMORY", "USAGE", "big"]));
    assert!(small > 0 && small < 200, "{small}");
    assert!(big >= small + 1000, "{big}");
    for i in 0..500 {
        q(
            &mut c,
            &["HSET", "h", &format!("field{i}"), &"v".repeat(30)],
        );
        q(&mut c, &["SADD", "s", &format!("member-{i}")]);
    }
    let h_all = int(&q(&mut c, &["MEMORY", "USAGE", "h", "SAMPLES", "0"]));
    let h5 = int(&q(&mut c, &["MEMORY", "USAGE", "h"]));
    assert!(h_all > 500 * 60, "{h_all}");
    assert!(h5 > 500 * 60, "{h5}");
    assert!(int(&q(&mut c, &["MEMORY", "USAGE", "s", "samples", "10"])) > 500 * 20);
    assert_eq!(
        err_text(&q(&mut c, &["MEMORY", "USAGE", "small", "SAMPLES"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["MEMORY", "USAGE", "small", "SAMPLES", "-1"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["MEMORY", "USAGE", "small", "SAMPLES", "x"])),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["MEMORY", "USAGE", "small", "FOO", "1"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["MEMORY", "USAGE"])),
        "ERR wrong number of arguments for 'memory|usage' command"
    );
}

#[test]
fn memory_stats_doctor_purge_help() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SET", "k", "v"]);
    q(&mut c, &["SET", "e", "v", "EX", "100"]);
    let st = pairs(q(&mut c, &["MEMORY", "STATS"]));
    let names: Vec<&str> = st.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "peak.allocated",
            "total.allocated",
            "startup.allocated",
            "replication.backlog",
            "clients.slaves",
            "clients.normal",
            "cluster.links",
            "aof.buffer",
            "lua.caches",
            "functions.caches",
            "db.0",
            "overhead.total",
            "keys.count",
            "keys.bytes-per-key",
            "dataset.bytes",
            "dataset.percentage",
            "peak.percentage",
            "allocator.allocated",
            "allocator.active",
            "allocator.resident",
            "allocator-fragmentation.ratio",
            "allocator-fragmentation.bytes",
            "allocator-rss.ratio",
            "allocator-rss.bytes",
            "rss-overhead.ratio",
            "rss-overhead.bytes",
            "fragmentation",
            "fragmentation.bytes",
        ]
    );
    let m: HashMap<String, Value> = st.into_iter().collect();
    assert_eq!(int(&m["keys.count"]), 2);
    assert!(int(&m["total.allocated"]) >= int(&m["startup.allocated"]));
    assert!(int(&m["peak.allocated"]) >= int(&m["total.allocated"]));
    let db0: HashMap<String, Value> = pairs(m["db.0"].clone()).into_iter().collect();
    assert!(int(&db0["overhead.hashtable.main"]) > 0);
    assert_eq!(int(&db0["overhead.hashtable.expires"]), 8);

    match q(&mut c, &["MEMORY", "DOCTOR"]) {
        Value::BulkString(b) => assert!(String::from_utf8_lossy(&b).starts_with("Hi Sam")),
        o => panic!("{o:?}"),
    }
    match q(&mut c, &["MEMORY", "MALLOC-STATS"]) {
        Value::BulkString(b) => {
            assert!(String::from_utf8_lossy(&b).contains("jemalloc statistics"))
        }
        o => panic!("{o:?}"),
    }
    assert_eq!(q(&mut c, &["MEMORY", "PURGE"]), Value::Okay);
    match q(&mut c, &["MEMORY", "HELP"]) {
        Value::Array(a) => {
            assert_eq!(a.len(), 14);
            assert_eq!(
                a[0],
                Value::SimpleString(
                    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into()
                )
            );
        }
        o => panic!("{o:?}"),
    }
    assert_eq!(
        err_text(&q(&mut c, &["MEMORY", "FOO"])),
        "ERR unknown subcommand 'FOO'. Try MEMORY HELP."
    );
}

#[test]
fn expired_and_deleted_keys_give_memory_back() {
    let s = TestServer::start();
    let mut c = s.conn();
    let base = used(&mut c);
    load(&mut c, &names("k", 40, None));
    assert!(used(&mut c) > base + 40 * VAL as i64);
    for i in 0..40 {
        q(&mut c, &["DEL", &format!("k{i}")]);
    }
    assert!(used(&mut c) < base + 5 * VAL as i64);
}

fn info_field(c: &mut redis::Connection, section: &str, name: &str) -> String {
    let text = match q(c, &["INFO", section]) {
        Value::BulkString(b) => String::from_utf8(b).unwrap(),
        Value::VerbatimString { text, .. } => text,
        o => panic!("{o:?}"),
    };
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
        .trim()
        .to_string()
}

#[test]
fn info_reports_memory_and_evictions() {
    let s = exact();
    let mut c = s.conn();
    config(&mut c, "maxmemory-policy", "allkeys-random");
    let per = load(&mut c, &names("k", 10, None));
    let used: i64 = info_field(&mut c, "memory", "used_memory").parse().unwrap();
    let startup: i64 = info_field(&mut c, "memory", "used_memory_startup")
        .parse()
        .unwrap();
    let dataset: i64 = info_field(&mut c, "memory", "used_memory_dataset")
        .parse()
        .unwrap();
    assert!(startup > 0 && startup < used);
    assert!(dataset >= 10 * VAL as i64, "{dataset}");
    assert!(
        info_field(&mut c, "memory", "used_memory_rss")
            .parse::<i64>()
            .unwrap()
            > 0
    );
    assert!(info_field(&mut c, "memory", "mem_fragmentation_ratio")
        .parse::<f64>()
        .is_ok());
    assert_eq!(info_field(&mut c, "stats", "evicted_keys"), "0");
    squeeze(&mut c, per, 4);
    let evicted: i64 = info_field(&mut c, "stats", "evicted_keys").parse().unwrap();
    assert!(evicted >= 3, "{evicted}");
    let cap = info_field(&mut c, "memory", "maxmemory");
    assert_eq!(
        info_field(&mut c, "memory", "maxmemory_human"),
        format!("{:.2}M", cap.parse::<f64>().unwrap() / 1048576.0)
    );
    assert_eq!(
        info_field(&mut c, "memory", "maxmemory_policy"),
        "allkeys-random"
    );
}

#[test]
fn evicted_keys_send_keyspace_events() {
    let s = exact();
    let mut c = s.conn();
    config(&mut c, "notify-keyspace-events", "Ee");
    config(&mut c, "maxmemory-policy", "allkeys-lru");
    let mut sub = s.raw();
    sub.cmd(&[b"SUBSCRIBE", b"__keyevent@0__:evicted"]);
    sub.read_reply();
    load(&mut c, &names("k", 3, None));
    config(&mut c, "maxmemory", "1");
    assert_eq!(q(&mut c, &["GET", "k0"]), Value::Nil);
    let mut got = Vec::new();
    for _ in 0..3 {
        let r = String::from_utf8(sub.read_reply()).unwrap();
        assert!(r.contains("__keyevent@0__:evicted"), "{r}");
        got.push(r.lines().last().unwrap().to_string());
    }
    got.sort();
    assert_eq!(got, ["k0", "k1", "k2"]);
}

#[test]
fn eviction_invalidates_watch() {
    let s = exact();
    let mut c = s.conn();
    let mut w = s.conn();
    config(&mut c, "maxmemory-policy", "allkeys-random");
    load(&mut c, &names("k", 2, None));
    assert_eq!(q(&mut w, &["WATCH", "k0"]), Value::Okay);
    config(&mut c, "maxmemory", "1");
    assert_eq!(q(&mut c, &["GET", "k0"]), Value::Nil);
    config(&mut c, "maxmemory", "0");
    assert_eq!(q(&mut w, &["MULTI"]), Value::Okay);
    q(&mut w, &["PING"]);
    assert_eq!(q(&mut w, &["EXEC"]), Value::Nil);
}

#[test]
fn lazyfree_lazy_eviction_frees_big_values_in_background() {
    let s = exact();
    let mut c = s.conn();
    config(&mut c, "maxmemory-policy", "allkeys-lru");
    config(&mut c, "lazyfree-lazy-eviction", "yes");
    for i in 0..200 {
        q(&mut c, &["HSET", "big", &format!("f{i}"), &"v".repeat(100)]);
    }
    q(&mut c, &["SET", "small", "x"]);
    config(&mut c, "maxmemory", "1");
    assert_eq!(q(&mut c, &["GET", "small"]), Value::Nil);
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut c, "memory", "lazyfreed_objects") != "1" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(info_field(&mut c, "memory", "lazyfreed_objects"), "1");
    assert_eq!(
        info_field(&mut c, "memory", "lazyfree_pending_objects"),
        "0"
    );
    assert_eq!(info_field(&mut c, "stats", "evicted_keys"), "2");
}

#[test]
fn object_freq_idletime_touch_and_no_touch() {
    let s = exact();
    let mut c = s.conn();
    let mut nt = s.conn();
    assert_eq!(q(&mut nt, &["CLIENT", "NO-TOUCH", "ON"]), Value::Okay);
    q(&mut c, &["SET", "k", "v"]);
    std::thread::sleep(Duration::from_millis(2200));
    q(&mut nt, &["GET", "k"]);
    assert!(int(&q(&mut c, &["OBJECT", "IDLETIME", "k"])) >= 2);
    assert_eq!(q(&mut c, &["TOUCH", "k"]), Value::Int(1));
    assert_eq!(q(&mut c, &["OBJECT", "IDLETIME", "k"]), Value::Int(0));

    config(&mut c, "maxmemory-policy", "allkeys-lfu");
    q(&mut c, &["SET", "f", "v"]);
    assert_eq!(q(&mut c, &["OBJECT", "FREQ", "f"]), Value::Int(5));
    for _ in 0..50 {
        q(&mut nt, &["GET", "f"]);
    }
    assert_eq!(q(&mut c, &["OBJECT", "FREQ", "f"]), Value::Int(5));
    for _ in 0..200 {
        q(&mut c, &["GET", "f"]);
    }
    let f = int(&q(&mut c, &["OBJECT", "FREQ", "f"]));
    assert!(f > 6, "{f}");
    // Overwriting keeps the counter (Redis's dbSetValue under LFU).
    q(&mut c, &["SET", "f", "w"]);
    assert!(int(&q(&mut c, &["OBJECT", "FREQ", "f"])) >= f);
}

#[test]
fn unlink_frees_in_background_and_counts() {
    let s = TestServer::start();
    let mut c = s.conn();
    for i in 0..200 {
        q(&mut c, &["SADD", "s", &format!("member-{i}")]);
    }
    assert_eq!(q(&mut c, &["UNLINK", "s"]), Value::Int(1));
    let deadline = Instant::now() + Duration::from_secs(10);
    while info_field(&mut c, "memory", "lazyfreed_objects") != "1" && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(info_field(&mut c, "memory", "lazyfreed_objects"), "1");
}

/// Redis 7's rule for scripts when out of memory: denyoom calls fail (with the script
/// suffix from redis.call, as a plain error from redis.pcall), reads still work.
#[test]
fn scripts_follow_the_oom_rule() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    q(&mut c, &["CONFIG", "SET", "maxmemory", "1"]);
    assert_eq!(
        err_text(&q(&mut c, &["EVAL", "return redis.call('set','k','v')", "0"])),
        "OOM command not allowed when used memory > 'maxmemory'. script: d223ed8c7345b684e8ed044ed472601f536fa58b, on @user_script:1."
    );
    assert_eq!(
        q(&mut c, &["EVAL", "return redis.call('get','k')", "0"]),
        redis::Value::Nil
    );
    assert_eq!(
        err_text(&q(
            &mut c,
            &["EVAL", "return redis.pcall('set','k','v')", "0"]
        )),
        "OOM command not allowed when used memory > 'maxmemory'."
    );
    q(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(
        q(&mut c, &["EVAL", "return redis.call('set','k','v')", "0"]),
        redis::Value::Okay
    );
}
