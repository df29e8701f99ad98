//! Generic keyspace commands (DEL .. SORT), replies checked against Redis 7's.

mod common;
use common::*;
use redis::Value;
use std::collections::HashSet;

fn st(s: &str) -> Value {
    Value::SimpleString(s.into())
}
fn arr(v: &[&str]) -> Value {
    Value::Array(v.iter().map(|s| b(s)).collect())
}
fn strings(v: Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .into_iter()
            .map(|x| match x {
                Value::BulkString(b) => String::from_utf8(b).unwrap(),
                Value::Nil => "<nil>".into(),
                o => panic!("not a bulk: {o:?}"),
            })
            .collect(),
        o => panic!("not an array: {o:?}"),
    }
}
fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}
fn scan_all(c: &mut redis::Connection, extra: &[&str]) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut out = Vec::new();
    loop {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        match q(c, &args) {
            Value::Array(mut a) => {
                let keys = a.pop().unwrap();
                out.extend(strings(keys));
                cursor = match a.pop().unwrap() {
                    Value::BulkString(b) => String::from_utf8(b).unwrap(),
                    o => panic!("{o:?}"),
                };
            }
            o => panic!("{o:?}"),
        }
        if cursor == "0" {
            return out;
        }
    }
}

#[test]
fn del_unlink_exists_type_touch() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SET", "a", "1"]);
    q(&mut c, &["SET", "b", "2"]);
    assert_eq!(
        q(&mut c, &["EXISTS", "a", "a", "nokey", "b"]),
        Value::Int(3)
    );
    assert_eq!(q(&mut c, &["TYPE", "a"]), st("string"));
    assert_eq!(q(&mut c, &["TYPE", "nokey"]), st("none"));
    assert_eq!(q(&mut c, &["TOUCH", "a", "b", "nokey", "a"]), Value::Int(3));
    assert_eq!(q(&mut c, &["DEL", "a", "nokey", "a"]), Value::Int(1));
    assert_eq!(q(&mut c, &["UNLINK", "b", "nokey"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXISTS", "a", "b"]), Value::Int(0));
    assert_eq!(
        err_text(&q(&mut c, &["DEL"])),
        "ERR wrong number of arguments for 'del' command"
    );
    assert_eq!(
        err_text(&q(&mut c, &["UNLINK"])),
        "ERR wrong number of arguments for 'unlink' command"
    );
}

#[test]
fn unlink_big_collection() {
    let s = TestServer::start();
    let mut c = s.conn();
    let mut cmd = redis::cmd("SADD");
    cmd.arg("big");
    for i in 0..1000 {
        cmd.arg(i);
    }
    assert_eq!(qc(&mut c, &cmd), Value::Int(1000));
    assert_eq!(q(&mut c, &["UNLINK", "big"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXISTS", "big"]), Value::Int(0));
    assert_eq!(q(&mut c, &["PING"]), st("PONG"));
}

#[test]
fn rename_and_renamenx() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(
        err_text(&q(&mut c, &["RENAME", "nokey", "x"])),
        "ERR no such key"
    );
    assert_eq!(
        err_text(&q(&mut c, &["RENAMENX", "nokey", "x"])),
        "ERR no such key"
    );
    assert_eq!(
        err_text(&q(&mut c, &["RENAME", "nokey", "nokey"])),
        "ERR no such key"
    );
    q(&mut c, &["SET", "k", "v"]);
    assert_eq!(q(&mut c, &["RENAME", "k", "k"]), Value::Okay);
    assert_eq!(q(&mut c, &["RENAMENX", "k", "k"]), Value::Int(0));
    assert_eq!(q(&mut c, &["RENAME", "k", "k2"]), Value::Okay);
    assert_eq!(q(&mut c, &["GET", "k"]), Value::Nil);
    assert_eq!(q(&mut c, &["GET", "k2"]), b("v"));
    q(&mut c, &["SET", "other", "o"]);
    assert_eq!(q(&mut c, &["RENAMENX", "k2", "other"]), Value::Int(0));
    assert_eq!(q(&mut c, &["RENAMENX", "k2", "fresh"]), Value::Int(1));
    // RENAME overwrites, including the destination's TTL.
    q(&mut c, &["SET", "dst", "old", "EX", "100"]);
    assert_eq!(q(&mut c, &["RENAME", "fresh", "dst"]), Value::Okay);
    assert_eq!(q(&mut c, &["GET", "dst"]), b("v"));
    assert_eq!(q(&mut c, &["TTL", "dst"]), Value::Int(-1));
}

#[test]
fn rename_copy_move_keep_ttl() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SET", "k", "v", "EX", "1000"]);
    assert_eq!(q(&mut c, &["RENAME", "k", "r"]), Value::Okay);
    let Value::Int(t) = q(&mut c, &["TTL", "r"]) else {
        panic!()
    };
    assert!(t > 990 && t <= 1000);
    assert_eq!(q(&mut c, &["COPY", "r", "c"]), Value::Int(1));
    let Value::Int(t) = q(&mut c, &["TTL", "c"]) else {
        panic!()
    };
    assert!(t > 990 && t <= 1000);
    assert_eq!(q(&mut c, &["MOVE", "c", "3"]), Value::Int(1));
    assert_eq!(q(&mut c, &["SELECT", "3"]), Value::Okay);
    let Value::Int(t) = q(&mut c, &["TTL", "c"]) else {
        panic!()
    };
    assert!(t > 990 && t <= 1000);
    assert_eq!(q(&mut c, &["GET", "c"]), b("v"));
}

#[test]
fn copy_options_and_errors() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SET", "k", "v"]);
    assert_eq!(
        err_text(&q(&mut c, &["COPY", "k", "k"])),
        "ERR source and destination objects are the same"
    );
    assert_eq!(
        err_text(&q(&mut c, &["COPY", "k", "k", "DB", "0"])),
        "ERR source and destination objects are the same"
    );
    assert_eq!(
        err_text(&q(&mut c, &["COPY", "k", "k2", "DB", "99"])),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["COPY", "k", "k2", "DB", "abc"])),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["COPY", "k", "k2", "foo"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["COPY", "k", "k2", "DB"])),
        "ERR syntax error"
    );
    assert_eq!(q(&mut c, &["COPY", "nokey", "k2"]), Value::Int(0));
    assert_eq!(q(&mut c, &["COPY", "k", "k2"]), Value::Int(1));
    q(&mut c, &["SET", "k", "v2"]);
    assert_eq!(q(&mut c, &["COPY", "k", "k2"]), Value::Int(0));
    assert_eq!(q(&mut c, &["GET", "k2"]), b("v"));
    assert_eq!(q(&mut c, &["COPY", "k", "k2", "REPLACE"]), Value::Int(1));
    assert_eq!(q(&mut c, &["GET", "k2"]), b("v2"));
    // Same name in another database.
    assert_eq!(q(&mut c, &["COPY", "k", "k", "DB", "1"]), Value::Int(1));
    assert_eq!(q(&mut c, &["COPY", "k", "k", "DB", "1"]), Value::Int(0));
    assert_eq!(
        q(&mut c, &["COPY", "k", "k", "REPLACE", "DB", "1"]),
        Value::Int(1)
    );
    q(&mut c, &["SELECT", "1"]);
    assert_eq!(q(&mut c, &["GET", "k"]), b("v2"));
    // The copy is independent of the original.
    q(&mut c, &["SELECT", "0"]);
    q(&mut c, &["SADD", "s", "a", "b"]);
    assert_eq!(q(&mut c, &["COPY", "s", "s2"]), Value::Int(1));
    q(&mut c, &["SADD", "s", "c"]);
    assert_eq!(sorted(strings(q(&mut c, &["SMEMBERS", "s2"]))), ["a", "b"]);
}

#[test]
fn move_and_errors() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SET", "k", "v"]);
    assert_eq!(
        err_text(&q(&mut c, &["MOVE", "k", "0"])),
        "ERR source and destination objects are the same"
    );
    assert_eq!(
        err_text(&q(&mut c, &["MOVE", "k", "99"])),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["MOVE", "k", "-1"])),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["MOVE", "k", "abc"])),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(q(&mut c, &["MOVE", "nokey", "1"]), Value::Int(0));
    assert_eq!(q(&mut c, &["MOVE", "k", "1"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(0));
    q(&mut c, &["SET", "k", "again"]);
    // Already in the target database: nothing moves.
    assert_eq!(q(&mut c, &["MOVE", "k", "1"]), Value::Int(0));
    assert_eq!(q(&mut c, &["GET", "k"]), b("again"));
    q(&mut c, &["SELECT", "1"]);
    assert_eq!(q(&mut c, &["GET", "k"]), b("v"));
}

#[test]
fn swapdb_dbsize_flush() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(
        err_text(&q(&mut c, &["SWAPDB", "0", "99"])),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SWAPDB", "a", "0"])),
        "ERR invalid first DB index"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SWAPDB", "0", "a"])),
        "ERR invalid second DB index"
    );
    for i in 0..50 {
        q(&mut c, &["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(50));
    assert_eq!(q(&mut c, &["SWAPDB", "0", "2"]), Value::Okay);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    assert_eq!(q(&mut c, &["SWAPDB", "0", "0"]), Value::Okay);
    q(&mut c, &["SELECT", "2"]);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(50));
    assert_eq!(q(&mut c, &["GET", "k7"]), b("v"));
    q(&mut c, &["SELECT", "0"]);
    q(&mut c, &["SET", "x", "1"]);
    assert_eq!(
        err_text(&q(&mut c, &["FLUSHDB", "foo"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["FLUSHALL", "async", "sync"])),
        "ERR syntax error"
    );
    assert_eq!(q(&mut c, &["FLUSHDB"]), Value::Okay);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    q(&mut c, &["SELECT", "2"]);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(50));
    assert_eq!(q(&mut c, &["FLUSHDB", "ASYNC"]), Value::Okay);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    q(&mut c, &["SET", "a", "1"]);
    q(&mut c, &["SELECT", "5"]);
    q(&mut c, &["SET", "b", "1"]);
    assert_eq!(q(&mut c, &["FLUSHALL", "SYNC"]), Value::Okay);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    q(&mut c, &["SELECT", "2"]);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    q(&mut c, &["SET", "a", "1"]);
    assert_eq!(q(&mut c, &["FLUSHALL", "async"]), Value::Okay);
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    assert_eq!(q(&mut c, &["FLUSHALL"]), Value::Okay);
}

#[test]
fn keys_and_randomkey() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(q(&mut c, &["RANDOMKEY"]), Value::Nil);
    assert_eq!(q(&mut c, &["KEYS", "*"]), Value::Array(vec![]));
    for k in ["foo", "foobar", "bar", "f?o", "hello"] {
        q(&mut c, &["SET", k, "v"]);
    }
    assert_eq!(
        sorted(strings(q(&mut c, &["KEYS", "*"]))),
        ["bar", "f?o", "foo", "foobar", "hello"]
    );
    assert_eq!(
        sorted(strings(q(&mut c, &["KEYS", "foo*"]))),
        ["foo", "foobar"]
    );
    assert_eq!(sorted(strings(q(&mut c, &["KEYS", "f?o"]))), ["f?o", "foo"]);
    assert_eq!(sorted(strings(q(&mut c, &["KEYS", "f\\?o"]))), ["f?o"]);
    assert_eq!(
        sorted(strings(q(&mut c, &["KEYS", "[bh]*"]))),
        ["bar", "hello"]
    );
    assert_eq!(q(&mut c, &["KEYS", "nomatch*"]), Value::Array(vec![]));
    // RANDOMKEY returns existing keys, and each of them eventually.
    let mut seen = HashSet::new();
    for _ in 0..500 {
        match q(&mut c, &["RANDOMKEY"]) {
            Value::BulkString(k) => {
                seen.insert(String::from_utf8(k).unwrap());
            }
            o => panic!("{o:?}"),
        }
    }
    assert_eq!(seen.len(), 5);
    // Expired keys are neither listed nor returned.
    q(&mut c, &["FLUSHALL"]);
    q(&mut c, &["SET", "gone", "v", "PX", "1"]);
    q(&mut c, &["SET", "stays", "v"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(strings(q(&mut c, &["KEYS", "*"])), ["stays"]);
    for _ in 0..20 {
        assert_eq!(q(&mut c, &["RANDOMKEY"]), b("stays"));
    }
    q(&mut c, &["SET", "gone2", "v", "PX", "1"]);
    q(&mut c, &["DEL", "stays"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(q(&mut c, &["RANDOMKEY"]), Value::Nil);
}

#[test]
fn scan_basics() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(err_text(&q(&mut c, &["SCAN", "abc"])), "ERR invalid cursor");
    assert_eq!(
        err_text(&q(&mut c, &["SCAN", "0", "COUNT", "0"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SCAN", "0", "COUNT"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SCAN", "0", "COUNT", "x"])),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SCAN", "0", "foo", "bar"])),
        "ERR syntax error"
    );
    assert_eq!(
        q(&mut c, &["SCAN", "0"]),
        Value::Array(vec![b("0"), Value::Array(vec![])])
    );
    for i in 0..1000 {
        q(&mut c, &["SET", &format!("key:{i}"), "v"]);
    }
    for i in 0..10 {
        q(&mut c, &["SADD", &format!("set:{i}"), "v"]);
    }
    let all = scan_all(&mut c, &[]);
    let set: HashSet<_> = all.iter().cloned().collect();
    assert_eq!(set.len(), 1010);
    let m = scan_all(&mut c, &["MATCH", "key:1?", "COUNT", "100"]);
    assert_eq!(
        sorted(m.into_iter().collect::<HashSet<_>>().into_iter().collect()),
        (10..20).map(|i| format!("key:{i}")).collect::<Vec<_>>()
    );
    let t = scan_all(&mut c, &["TYPE", "set"]);
    assert_eq!(t.iter().collect::<HashSet<_>>().len(), 10);
    assert!(t.iter().all(|k| k.starts_with("set:")));
    let t = scan_all(&mut c, &["TYPE", "SET", "MATCH", "set:[0-4]"]);
    assert_eq!(t.iter().collect::<HashSet<_>>().len(), 5);
    assert!(scan_all(&mut c, &["TYPE", "nosuchtype"]).is_empty());
    // A big COUNT returns everything in one call.
    match q(&mut c, &["SCAN", "0", "COUNT", "100000"]) {
        Value::Array(a) => {
            assert_eq!(a[0], b("0"));
            assert_eq!(strings(a[1].clone()).len(), 1010);
        }
        o => panic!("{o:?}"),
    }
    // Expired keys are not returned.
    q(&mut c, &["FLUSHALL"]);
    q(&mut c, &["SET", "gone", "v", "PX", "1"]);
    q(&mut c, &["SET", "stays", "v"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(scan_all(&mut c, &[]), ["stays"]);
}

/// Every key present for the whole scan is returned at least once, while another client
/// adds and deletes thousands of keys (tables grow and shrink under the cursor).
#[test]
fn scan_guarantee_under_churn() {
    let s = TestServer::start();
    let mut c = s.conn();
    const N: usize = 2000;
    let mut p = redis::pipe();
    for i in 0..N {
        p.cmd("SET").arg(format!("stable:{i}")).arg("v").ignore();
    }
    p.query::<()>(&mut c).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let mut c2 = s.conn();
    let churn = std::thread::spawn(move || {
        let mut round = 0u64;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            let n = 3000 + (round % 3) * 2000;
            let mut p = redis::pipe();
            for i in 0..n {
                p.cmd("SET")
                    .arg(format!("churn:{round}:{i}"))
                    .arg("x")
                    .ignore();
            }
            p.query::<()>(&mut c2).unwrap();
            let mut p = redis::pipe();
            for i in 0..n {
                p.cmd("DEL").arg(format!("churn:{round}:{i}")).ignore();
            }
            p.query::<()>(&mut c2).unwrap();
            round += 1;
        }
        round
    });
    // Let the churn start, then scan slowly.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let seen: HashSet<String> = scan_all(&mut c, &["COUNT", "10"]).into_iter().collect();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let rounds = churn.join().unwrap();
    assert!(rounds > 0);
    for i in 0..N {
        assert!(seen.contains(&format!("stable:{i}")), "stable:{i} missing");
    }
}

/// RENAME between keys on different shards is atomic: a reader checking both keys in
/// one command always sees exactly one of them.
#[test]
fn rename_cross_shard_atomic() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SET", "{a}k", "v"]);
    let mut c2 = s.conn();
    let writer = std::thread::spawn(move || {
        for _ in 0..1500 {
            assert_eq!(q(&mut c2, &["RENAME", "{a}k", "{b}k"]), Value::Okay);
            assert_eq!(q(&mut c2, &["RENAME", "{b}k", "{a}k"]), Value::Okay);
        }
    });
    let mut checks = 0;
    while !writer.is_finished() {
        assert_eq!(q(&mut c, &["EXISTS", "{a}k", "{b}k"]), Value::Int(1));
        checks += 1;
    }
    writer.join().unwrap();
    assert!(checks > 0);
    assert_eq!(q(&mut c, &["GET", "{a}k"]), b("v"));
}

#[test]
fn object_subcommands() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SET", "int", "100"]);
    q(&mut c, &["SET", "bigint", "100000"]);
    q(&mut c, &["SET", "str", "abc"]);
    q(&mut c, &["SET", "raw", &"x".repeat(50)]);
    assert_eq!(q(&mut c, &["OBJECT", "ENCODING", "int"]), b("int"));
    assert_eq!(q(&mut c, &["OBJECT", "ENCODING", "str"]), b("embstr"));
    assert_eq!(q(&mut c, &["OBJECT", "ENCODING", "raw"]), b("raw"));
    assert_eq!(q(&mut c, &["OBJECT", "ENCODING", "nokey"]), Value::Nil);
    assert_eq!(
        q(&mut c, &["OBJECT", "REFCOUNT", "int"]),
        Value::Int(2147483647)
    );
    assert_eq!(q(&mut c, &["OBJECT", "REFCOUNT", "bigint"]), Value::Int(1));
    assert_eq!(q(&mut c, &["OBJECT", "REFCOUNT", "str"]), Value::Int(1));
    assert_eq!(q(&mut c, &["OBJECT", "REFCOUNT", "nokey"]), Value::Nil);
    let Value::Int(idle) = q(&mut c, &["OBJECT", "IDLETIME", "str"]) else {
        panic!()
    };
    assert!((0..5).contains(&idle));
    assert_eq!(q(&mut c, &["OBJECT", "IDLETIME", "nokey"]), Value::Nil);
    assert_eq!(
        err_text(&q(&mut c, &["OBJECT", "FREQ", "str"])),
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
    assert_eq!(q(&mut c, &["OBJECT", "FREQ", "nokey"]), Value::Nil);
    assert_eq!(
        err_text(&q(&mut c, &["OBJECT", "foo", "k"])),
        "ERR unknown subcommand 'foo'. Try OBJECT HELP."
    );
    assert_eq!(
        err_text(&q(&mut c, &["OBJECT", "ENCODING"])),
        "ERR wrong number of arguments for 'object|encoding' command"
    );
    match q(&mut c, &["OBJECT", "HELP"]) {
        Value::Array(a) => {
            assert_eq!(a.len(), 15);
            assert_eq!(
                a[0],
                st("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
            );
            assert_eq!(a[14], st("    Prints this help."));
        }
        o => panic!("{o:?}"),
    }
    assert_eq!(
        q(
            &mut c,
            &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]
        ),
        Value::Okay
    );
    q(&mut c, &["SET", "lfu", "v"]);
    // A new key starts at LFU_INIT_VAL; a read may increment it.
    assert_eq!(q(&mut c, &["OBJECT", "FREQ", "lfu"]), Value::Int(5));
    q(&mut c, &["GET", "lfu"]);
    let Value::Int(f) = q(&mut c, &["OBJECT", "FREQ", "lfu"]) else {
        panic!()
    };
    assert!((5..=6).contains(&f));
    assert_eq!(q(&mut c, &["COPY", "lfu", "lfu2"]), Value::Int(1));
    assert_eq!(q(&mut c, &["OBJECT", "FREQ", "lfu2"]), Value::Int(5));
    assert_eq!(
        err_text(&q(&mut c, &["OBJECT", "IDLETIME", "lfu"])),
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    );
}

#[test]
fn sort_errors() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["RPUSH", "l", "3", "1", "2"]);
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "l", "LIMIT", "1"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "l", "LIMIT", "a", "b"])),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "l", "STORE"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "l", "GET"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "l", "BY"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "l", "foo"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SORT_RO", "l", "STORE", "d"])),
        "ERR syntax error"
    );
    q(&mut c, &["SET", "str", "v"]);
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "str"])),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
    assert_eq!(q(&mut c, &["SORT", "nokey"]), Value::Array(vec![]));
    q(&mut c, &["RPUSH", "bad", "1", "x"]);
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "bad"])),
        "ERR One or more scores can't be converted into double"
    );
    assert_eq!(q(&mut c, &["SORT", "bad", "ALPHA"]), arr(&["1", "x"]));
    // Scores are read by strtod: leading blanks, hexadecimal floats, "" (0) and inf go;
    // trailing junk, "0x" alone and an overflowing exponent do not.
    q(
        &mut c,
        &[
            "RPUSH", "hex", "0x1f", " 3", "-0X1.8p1", "", "0x.8", "inf", "0xAp-2",
        ],
    );
    assert_eq!(
        q(&mut c, &["SORT", "hex"]),
        arr(&["-0X1.8p1", "", "0x.8", "0xAp-2", " 3", "0x1f", "inf"])
    );
    // Without STORE, values are C strings to strtod and strcoll (they end at a NUL);
    // ties keep the list's order. With STORE, ALPHA compares all the bytes.
    q(&mut c, &["RPUSH", "n", "\x00\x01", "", "1\x00x", "0"]);
    assert_eq!(
        q(&mut c, &["SORT", "n"]),
        arr(&["", "\x00\x01", "0", "1\x00x"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "n", "ALPHA"]),
        arr(&["\x00\x01", "", "0", "1\x00x"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "n", "ALPHA", "DESC"]),
        arr(&["1\x00x", "0", "\x00\x01", ""])
    );
    assert_eq!(
        q(&mut c, &["SORT", "n", "ALPHA", "STORE", "d"]),
        Value::Int(4)
    );
    assert_eq!(
        q(&mut c, &["LRANGE", "d", "0", "-1"]),
        arr(&["", "\x00\x01", "0", "1\x00x"])
    );
    for bad in ["0x", "0x1g", "0x1p", "3 ", "0x1p99999", "--1"] {
        q(&mut c, &["DEL", "b"]);
        q(&mut c, &["RPUSH", "b", "1", bad]);
        assert_eq!(
            err_text(&q(&mut c, &["SORT", "b"])),
            "ERR One or more scores can't be converted into double",
            "{bad:?}"
        );
    }
}

#[test]
fn sort_list_set_zset() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["RPUSH", "l", "3", "1", "2", "10", "1.5"]);
    assert_eq!(
        q(&mut c, &["SORT", "l"]),
        arr(&["1", "1.5", "2", "3", "10"])
    );
    assert_eq!(
        q(&mut c, &["SORT_RO", "l", "DESC"]),
        arr(&["10", "3", "2", "1.5", "1"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "l", "ALPHA"]),
        arr(&["1", "1.5", "10", "2", "3"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "l", "LIMIT", "1", "2"]),
        arr(&["1.5", "2"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "l", "LIMIT", "-5", "2"]),
        arr(&["1", "1.5"])
    );
    assert_eq!(q(&mut c, &["SORT", "l", "LIMIT", "10", "2"]), arr(&[]));
    assert_eq!(
        q(&mut c, &["SORT", "l", "LIMIT", "3", "-1"]),
        arr(&["3", "10"])
    );
    assert_eq!(q(&mut c, &["SORT", "l", "LIMIT", "0", "0"]), arr(&[]));
    assert_eq!(
        q(&mut c, &["SORT", "l", "ASC", "DESC", "ALPHA"]),
        arr(&["3", "2", "10", "1.5", "1"])
    );
    // BY a constant: no sorting, list order (reversed by DESC), LIMIT applies.
    assert_eq!(
        q(&mut c, &["SORT", "l", "BY", "nosort"]),
        arr(&["3", "1", "2", "10", "1.5"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "l", "BY", "nosort", "DESC"]),
        arr(&["1.5", "10", "2", "1", "3"])
    );
    assert_eq!(
        q(
            &mut c,
            &["SORT", "l", "BY", "nosort", "LIMIT", "1", "2", "DESC"]
        ),
        arr(&["10", "2"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "l", "BY", "nosort", "LIMIT", "1", "2"]),
        arr(&["1", "2"])
    );
    // Sets and sorted sets.
    q(&mut c, &["SADD", "s", "5", "3", "4"]);
    assert_eq!(q(&mut c, &["SORT", "s"]), arr(&["3", "4", "5"]));
    assert_eq!(
        q(&mut c, &["SORT", "s", "DESC", "LIMIT", "0", "2"]),
        arr(&["5", "4"])
    );
    q(&mut c, &["ZADD", "z", "1", "c", "2", "a", "3", "b"]);
    assert_eq!(q(&mut c, &["SORT", "z", "ALPHA"]), arr(&["a", "b", "c"]));
    assert_eq!(
        q(&mut c, &["SORT", "z", "BY", "nosort"]),
        arr(&["c", "a", "b"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "z", "BY", "nosort", "DESC"]),
        arr(&["b", "a", "c"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "z", "BY", "nosort", "LIMIT", "1", "5"]),
        arr(&["a", "b"])
    );
    // A set sorted BY a constant into STORE is sorted (ALPHA) so replicas agree.
    q(&mut c, &["SADD", "s2", "b", "c", "a"]);
    assert_eq!(
        q(&mut c, &["SORT", "s2", "BY", "nosort", "STORE", "d"]),
        Value::Int(3)
    );
    assert_eq!(
        q(&mut c, &["LRANGE", "d", "0", "-1"]),
        arr(&["a", "b", "c"])
    );
}

#[test]
fn sort_by_get_store() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["RPUSH", "l", "1", "2", "3"]);
    for (k, v) in [("w_1", "3"), ("w_2", "1"), ("w_3", "2")] {
        q(&mut c, &["SET", k, v]);
    }
    assert_eq!(
        q(&mut c, &["SORT", "l", "BY", "w_*"]),
        arr(&["2", "3", "1"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "l", "BY", "w_*", "DESC"]),
        arr(&["1", "3", "2"])
    );
    assert_eq!(
        q(
            &mut c,
            &["SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*"]
        ),
        arr(&["2", "1", "3", "2", "1", "3"])
    );
    assert_eq!(
        q(
            &mut c,
            &["SORT", "l", "BY", "w_*", "GET", "nosuch_*", "GET", "const"]
        ),
        Value::Array(vec![Value::Nil; 6])
    );
    // Missing BY keys weigh 0 (ties by element).
    q(&mut c, &["DEL", "w_2"]);
    assert_eq!(
        q(&mut c, &["SORT", "l", "BY", "w_*"]),
        arr(&["2", "3", "1"])
    );
    q(&mut c, &["SET", "w_2", "1"]);
    // BY with ALPHA compares the weights as strings; missing weights sort first.
    q(&mut c, &["SET", "a_1", "b"]);
    q(&mut c, &["SET", "a_3", "a"]);
    assert_eq!(
        q(&mut c, &["SORT", "l", "BY", "a_*", "ALPHA"]),
        arr(&["2", "3", "1"])
    );
    // Non-numeric weights.
    q(&mut c, &["SET", "w_3", "x"]);
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "l", "BY", "w_*"])),
        "ERR One or more scores can't be converted into double"
    );
    q(&mut c, &["SET", "w_3", "2"]);
    // Hash fields.
    q(&mut c, &["HSET", "h_1", "f", "30", "name", "one"]);
    q(&mut c, &["HSET", "h_2", "f", "10", "name", "two"]);
    q(&mut c, &["HSET", "h_3", "f", "20", "name", "three"]);
    assert_eq!(
        q(
            &mut c,
            &[
                "SORT",
                "l",
                "BY",
                "h_*->f",
                "GET",
                "h_*->name",
                "GET",
                "h_*->nofield"
            ]
        ),
        Value::Array(vec![
            b("two"),
            Value::Nil,
            b("three"),
            Value::Nil,
            b("one"),
            Value::Nil
        ])
    );
    // A trailing `->` names no field: the whole pattern is a key name.
    assert_eq!(
        q(&mut c, &["SORT", "l", "BY", "h_*->", "GET", "#"]),
        arr(&["1", "2", "3"])
    );
    // `->` on a string key, or a string pattern on a hash: nil.
    assert_eq!(
        q(
            &mut c,
            &["SORT", "l", "BY", "w_*", "GET", "w_*->f", "GET", "h_*"]
        ),
        Value::Array(vec![Value::Nil; 6])
    );
    // STORE: a list (missing GET values stored as empty strings), TTL of the old key gone.
    q(&mut c, &["SET", "dst", "old", "EX", "100"]);
    assert_eq!(
        q(
            &mut c,
            &[
                "SORT",
                "l",
                "BY",
                "h_*->f",
                "DESC",
                "GET",
                "h_*->name",
                "STORE",
                "dst"
            ]
        ),
        Value::Int(3)
    );
    assert_eq!(
        q(&mut c, &["LRANGE", "dst", "0", "-1"]),
        arr(&["one", "three", "two"])
    );
    assert_eq!(q(&mut c, &["TTL", "dst"]), Value::Int(-1));
    assert_eq!(
        q(&mut c, &["SORT", "l", "GET", "nosuch_*", "STORE", "dst"]),
        Value::Int(3)
    );
    assert_eq!(q(&mut c, &["LRANGE", "dst", "0", "-1"]), arr(&["", "", ""]));
    assert_eq!(
        q(&mut c, &["SORT", "l", "LIMIT", "0", "2", "STORE", "dst"]),
        Value::Int(2)
    );
    assert_eq!(q(&mut c, &["LRANGE", "dst", "0", "-1"]), arr(&["1", "2"]));
    // An empty result deletes the destination.
    assert_eq!(q(&mut c, &["SORT", "nokey", "STORE", "dst"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXISTS", "dst"]), Value::Int(0));
    // Sorting a list into itself.
    q(&mut c, &["RPUSH", "self", "3", "1", "2"]);
    assert_eq!(q(&mut c, &["SORT", "self", "STORE", "self"]), Value::Int(3));
    assert_eq!(
        q(&mut c, &["LRANGE", "self", "0", "-1"]),
        arr(&["1", "2", "3"])
    );
}

/// Keyspace writes invalidate WATCH as in Redis: FLUSHDB/FLUSHALL/SWAPDB only for
/// watched keys that exist (in either database for SWAPDB).
#[test]
fn watch_invalidation() {
    let s = TestServer::start();
    let mut c = s.conn();
    let mut o = s.conn();
    let run =
        |c: &mut redis::Connection, o: &mut redis::Connection, watch: &str, other: &[&str]| {
            assert_eq!(q(c, &["WATCH", watch]), Value::Okay);
            q(o, other);
            assert_eq!(q(c, &["MULTI"]), Value::Okay);
            q(c, &["PING"]);
            q(c, &["EXEC"])
        };
    let aborted = Value::Nil;
    q(&mut o, &["SET", "k", "v"]);
    assert_eq!(run(&mut c, &mut o, "k", &["FLUSHDB"]), aborted);
    assert_ne!(run(&mut c, &mut o, "k", &["FLUSHDB"]), aborted);
    q(&mut o, &["SET", "k", "v"]);
    assert_eq!(run(&mut c, &mut o, "k", &["FLUSHALL", "ASYNC"]), aborted);
    q(&mut o, &["SET", "k", "v"]);
    assert_eq!(run(&mut c, &mut o, "k", &["EXPIRE", "k", "100"]), aborted);
    assert_eq!(run(&mut c, &mut o, "k", &["PERSIST", "k"]), aborted);
    assert_ne!(run(&mut c, &mut o, "k", &["PERSIST", "k"]), aborted);
    assert_eq!(run(&mut c, &mut o, "k", &["RENAME", "k", "k2"]), aborted);
    assert_eq!(run(&mut c, &mut o, "k", &["RENAME", "k2", "k"]), aborted);
    assert_eq!(run(&mut c, &mut o, "k", &["MOVE", "k", "1"]), aborted);
    // The key now lives in db 1 only: swapping 0 and 1 touches the watch on db 0.
    assert_eq!(run(&mut c, &mut o, "k", &["SWAPDB", "0", "1"]), aborted);
    assert_eq!(q(&mut c, &["GET", "k"]), Value::BulkString(b"v".to_vec()));
    assert_eq!(
        run(&mut c, &mut o, "nokey", &["SWAPDB", "0", "1"]),
        Value::Array(vec![Value::SimpleString("PONG".into())])
    );
    assert_eq!(
        run(&mut c, &mut o, "k", &["COPY", "k", "k"]),
        Value::Array(vec![Value::SimpleString("PONG".into())])
    );
    q(&mut o, &["SET", "src", "x"]);
    assert_eq!(
        run(&mut c, &mut o, "k", &["COPY", "src", "k", "REPLACE"]),
        aborted
    );
    assert_eq!(run(&mut c, &mut o, "k", &["DEL", "k"]), aborted);
}

/// SORT on sets with hash/string weights (runs without the list family).
#[test]
fn sort_sets_by_hash_fields() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SADD", "s", "5", "3", "10", "1.5", "-2"]);
    assert_eq!(
        q(&mut c, &["SORT", "s"]),
        arr(&["-2", "1.5", "3", "5", "10"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "s", "DESC", "LIMIT", "1", "2"]),
        arr(&["5", "3"])
    );
    assert_eq!(
        q(&mut c, &["SORT", "s", "ALPHA"]),
        arr(&["-2", "1.5", "10", "3", "5"])
    );
    assert_eq!(
        q(&mut c, &["SORT_RO", "s", "ALPHA", "LIMIT", "0", "1"]),
        arr(&["-2"])
    );
    q(&mut c, &["HSET", "h_5", "f", "1", "n", "five"]);
    q(&mut c, &["HSET", "h_3", "f", "3", "n", "three"]);
    q(&mut c, &["HSET", "h_10", "f", "2", "n", "ten"]);
    // Missing weights are 0 and tie by element: -2, 1.5 first.
    assert_eq!(
        q(
            &mut c,
            &["SORT", "s", "BY", "h_*->f", "GET", "h_*->n", "GET", "#", "LIMIT", "0", "3"]
        ),
        Value::Array(vec![
            Value::Nil,
            b("-2"),
            Value::Nil,
            b("1.5"),
            b("five"),
            b("5")
        ])
    );
    assert_eq!(
        q(
            &mut c,
            &["SORT", "s", "BY", "h_*->f", "DESC", "GET", "h_*->n"]
        ),
        Value::Array(vec![
            b("three"),
            b("ten"),
            b("five"),
            Value::Nil,
            Value::Nil
        ])
    );
    q(&mut c, &["SET", "w_5", "a"]);
    q(&mut c, &["SET", "w_3", "b"]);
    // Equal (missing) weights have no defined order among themselves.
    let r = strings(q(&mut c, &["SORT", "s", "BY", "w_*", "ALPHA", "DESC"]));
    assert_eq!(r[..2], ["3", "5"]);
    assert_eq!(sorted(r[2..].to_vec()), ["-2", "1.5", "10"]);
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "s", "BY", "w_*"])),
        "ERR One or more scores can't be converted into double"
    );
    assert_eq!(
        q(
            &mut c,
            &["SORT", "s", "BY", "w_*", "ALPHA", "GET", "w_*", "STORE", "dst"]
        ),
        Value::Int(5)
    );
    assert_eq!(q(&mut c, &["TYPE", "dst"]), st("list"));
    assert_eq!(q(&mut c, &["SORT", "nokey", "STORE", "dst"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXISTS", "dst"]), Value::Int(0));
    q(&mut c, &["SADD", "bad", "1", "x"]);
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "bad"])),
        "ERR One or more scores can't be converted into double"
    );
    assert_eq!(q(&mut c, &["SORT", "bad", "ALPHA"]), arr(&["1", "x"]));
    q(&mut c, &["HSET", "hash", "a", "1"]);
    assert_eq!(
        err_text(&q(&mut c, &["SORT", "hash"])),
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );
}

/// A list appearing under a key through RENAME, MOVE, COPY or SWAPDB serves a client
/// blocked on that key, as Redis's dbAdd/SWAPDB signal it.
#[test]
fn keyspace_moves_wake_blocked_clients() {
    let s = TestServer::start();
    let mut c = s.conn();
    let cases: &[(&[&str], &[&str], usize)] = &[
        (&["RPUSH", "src", "a"], &["RENAME", "src", "dst"], 0),
        (&["RPUSH", "src", "b"], &["COPY", "src", "dst"], 0),
        (&["RPUSH", "dst", "c"], &["MOVE", "dst", "1"], 1),
        // The list is in db 0, the client waits in db 1.
        (&["RPUSH", "dst", "d"], &["SWAPDB", "0", "1"], 1),
    ];
    for (prep, cmd, wait_db) in cases {
        q(&mut c, &["SELECT", "0"]);
        q(&mut c, &["FLUSHALL"]);
        q(&mut c, prep);
        let port = s.port;
        let db = *wait_db;
        let waiter = std::thread::spawn(move || {
            let mut w = redis::Client::open(format!("redis://127.0.0.1:{port}/{db}"))
                .unwrap()
                .get_connection()
                .unwrap();
            q(&mut w, &["BLPOP", "dst", "10"])
        });
        // Wait until the client is blocked.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let Value::BulkString(info) = q(&mut c, &["INFO", "clients"]) else {
                panic!()
            };
            if String::from_utf8_lossy(&info).contains("blocked_clients:1") {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "never blocked");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        q(&mut c, cmd);
        let r = waiter.join().unwrap();
        match r {
            Value::Array(a) => assert_eq!(a[0], b("dst"), "{cmd:?}"),
            o => panic!("{cmd:?}: {o:?}"),
        }
    }
}

/// Keyspace events of the generic commands, read from `__keyevent@<db>__:<event>`.
#[test]
fn generic_keyspace_events() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(
        q(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "Eglx"]),
        Value::Okay
    );
    let mut sub = s.raw();
    sub.cmd(&[b"PSUBSCRIBE", b"__keyevent@*"]);
    sub.read_reply();
    let mut events = |c: &mut redis::Connection, cmds: &[&[&str]]| {
        for cmd in cmds {
            let r = q(c, cmd);
            assert!(!matches!(r, Value::ServerError(_)), "{cmd:?}: {r:?}");
        }
        q(c, &["PUBLISH", "__keyevent@99__:end", "x"]);
        let mut out = Vec::new();
        loop {
            let rep = String::from_utf8_lossy(&sub.read_reply()).into_owned();
            let parts: Vec<&str> = rep.split("\r\n").collect();
            let (ch, key) = (parts[6].to_string(), parts[8].to_string());
            if ch == "__keyevent@99__:end" {
                return out;
            }
            out.push(format!("{}:{key}", ch.trim_start_matches("__keyevent@")));
        }
    };
    let e = events(
        &mut c,
        &[
            &["SET", "a", "1"],
            &["DEL", "a", "nokey"],
            &["SET", "a", "1"],
            &["UNLINK", "a"],
            &["SET", "a", "1"],
            &["RENAME", "a", "b"],
            &["RENAMENX", "b", "c"],
            &["COPY", "c", "d", "DB", "2"],
            &["COPY", "c", "d"],
            &["MOVE", "c", "3"],
            &["EXPIRE", "d", "100"],
            &["EXPIRE", "d", "100", "NX"],
            &["PERSIST", "d"],
            &["PEXPIRE", "d", "-1"],
            &["RPUSH", "l", "2", "1"],
            &["SORT", "l", "STORE", "sorted"],
            &["SORT", "nokey", "STORE", "sorted"],
        ],
    );
    assert_eq!(
        e,
        [
            "0__:del:a",
            "0__:del:a",
            "0__:rename_from:a",
            "0__:rename_to:b",
            "0__:rename_from:b",
            "0__:rename_to:c",
            "2__:copy_to:d",
            "0__:copy_to:d",
            "0__:move_from:c",
            "3__:move_to:c",
            "0__:expire:d",
            "0__:persist:d",
            "0__:del:d",
            "0__:rpush:l",
            "0__:sortstore:sorted",
            "0__:del:sorted",
        ]
    );
    // Lazy expiry gives `expired`; SWAPDB and FLUSH* give no key events.
    let e = events(&mut c, &[&["SET", "x", "1", "PX", "1"]]);
    assert_eq!(e, ["0__:expire:x"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let e = events(
        &mut c,
        &[
            &["EXISTS", "x"],
            &["SWAPDB", "0", "1"],
            &["FLUSHDB"],
            &["FLUSHALL"],
        ],
    );
    // Only `expired` (from the lookup, or from the active cycle if it was first).
    assert_eq!(e, ["0__:expired:x"]);
}
