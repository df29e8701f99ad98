//! EXPIRE & co., TTL & co., PERSIST, lazy and active expiry.

mod common;
use common::*;
use redis::Value;
use std::time::{Duration, Instant};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn int(v: Value) -> i64 {
    match v {
        Value::Int(i) => i,
        o => panic!("not an int: {o:?}"),
    }
}

/// Polls `f` until it is true (generous timeout: this is not a timing assertion).
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn expire_ttl_persist() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(q(&mut c, &["EXPIRE", "nokey", "100"]), Value::Int(0));
    assert_eq!(q(&mut c, &["TTL", "nokey"]), Value::Int(-2));
    assert_eq!(q(&mut c, &["PTTL", "nokey"]), Value::Int(-2));
    assert_eq!(q(&mut c, &["EXPIRETIME", "nokey"]), Value::Int(-2));
    assert_eq!(q(&mut c, &["PEXPIRETIME", "nokey"]), Value::Int(-2));
    assert_eq!(q(&mut c, &["PERSIST", "nokey"]), Value::Int(0));
    q(&mut c, &["SET", "k", "v"]);
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["PTTL", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["EXPIRETIME", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["PEXPIRETIME", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["PERSIST", "k"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "100"]), Value::Int(1));
    let t = int(q(&mut c, &["TTL", "k"]));
    assert!((99..=100).contains(&t));
    let pt = int(q(&mut c, &["PTTL", "k"]));
    assert!(pt > 90_000 && pt <= 100_000);
    let et = int(q(&mut c, &["PEXPIRETIME", "k"]));
    assert!((et - (now_ms() + 100_000)).abs() < 5_000);
    assert_eq!(int(q(&mut c, &["EXPIRETIME", "k"])), (et + 500) / 1000);
    assert_eq!(q(&mut c, &["PERSIST", "k"]), Value::Int(1));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["PERSIST", "k"]), Value::Int(0));
    // Absolute forms.
    let at = now_ms() / 1000 + 1000;
    assert_eq!(
        q(&mut c, &["EXPIREAT", "k", &at.to_string()]),
        Value::Int(1)
    );
    assert_eq!(int(q(&mut c, &["EXPIRETIME", "k"])), at);
    assert_eq!(int(q(&mut c, &["PEXPIRETIME", "k"])), at * 1000);
    let pat = now_ms() + 123_456;
    assert_eq!(
        q(&mut c, &["PEXPIREAT", "k", &pat.to_string()]),
        Value::Int(1)
    );
    assert_eq!(int(q(&mut c, &["PEXPIRETIME", "k"])), pat);
    assert_eq!(q(&mut c, &["PEXPIRE", "k", "5000"]), Value::Int(1));
    let pt = int(q(&mut c, &["PTTL", "k"]));
    assert!(pt > 4000 && pt <= 5000);
    // SET without KEEPTTL clears the TTL.
    q(&mut c, &["SET", "k", "v2"]);
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    // Huge absolute expiry: TTL rounding doesn't overflow.
    assert_eq!(
        q(&mut c, &["PEXPIREAT", "k", "9223372036854775807"]),
        Value::Int(1)
    );
    assert_eq!(
        q(&mut c, &["EXPIRETIME", "k"]),
        Value::Int(9223372036854776)
    );
    assert_eq!(
        q(&mut c, &["PEXPIRETIME", "k"]),
        Value::Int(9223372036854775807)
    );
}

#[test]
fn expire_options() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SET", "k", "v"]);
    for (opts, e) in [
        (
            &["NX", "XX"][..],
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ),
        (
            &["NX", "GT"][..],
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ),
        (
            &["lt", "nx"][..],
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ),
        (
            &["GT", "LT"][..],
            "ERR GT and LT options at the same time are not compatible",
        ),
        (&["foo"][..], "ERR Unsupported option foo"),
    ] {
        let mut args = vec!["EXPIRE", "k", "100"];
        args.extend_from_slice(opts);
        assert_eq!(err_text(&q(&mut c, &args)), e, "{opts:?}");
    }
    // No TTL yet: XX and GT refuse, LT and NX accept (no TTL = infinite).
    assert_eq!(q(&mut c, &["EXPIRE", "k", "100", "XX"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "100", "GT"]), Value::Int(0));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "100", "LT"]), Value::Int(1));
    q(&mut c, &["PERSIST", "k"]);
    assert_eq!(q(&mut c, &["EXPIRE", "k", "100", "NX"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "200", "NX"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "200", "XX"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "100", "GT"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "300", "GT"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "400", "LT"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "50", "lt"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "60", "XX", "GT"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXPIRE", "k", "70", "XX", "LT"]), Value::Int(0));
    let t = int(q(&mut c, &["TTL", "k"]));
    assert!((59..=60).contains(&t));
    assert_eq!(q(&mut c, &["PEXPIRE", "k", "1000000", "GT"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXPIREAT", "k", "1", "GT"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(1));
}

#[test]
fn expire_overflow_and_bad_numbers() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SET", "k", "v"]);
    assert_eq!(
        err_text(&q(&mut c, &["EXPIRE", "k", "abc"])),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["EXPIRE", "k", "99999999999999999"])),
        "ERR invalid expire time in 'expire' command"
    );
    assert_eq!(
        err_text(&q(&mut c, &["EXPIRE", "k", "-9223372036854775808"])),
        "ERR invalid expire time in 'expire' command"
    );
    assert_eq!(
        err_text(&q(&mut c, &["PEXPIRE", "k", "9223372036854775807"])),
        "ERR invalid expire time in 'pexpire' command"
    );
    assert_eq!(
        err_text(&q(&mut c, &["EXPIREAT", "k", "9223372036854775807"])),
        "ERR invalid expire time in 'expireat' command"
    );
    assert_eq!(
        err_text(&q(&mut c, &["EXPIRE", "nokey", "abc"])),
        "ERR value is not an integer or out of range"
    );
    // Options are checked before the number, as in Redis.
    assert_eq!(
        err_text(&q(&mut c, &["EXPIRE", "k", "abc", "foo"])),
        "ERR Unsupported option foo"
    );
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-1));
    assert_eq!(
        err_text(&q(&mut c, &["EXPIRE", "k"])),
        "ERR wrong number of arguments for 'expire' command"
    );
    assert_eq!(
        err_text(&q(&mut c, &["TTL"])),
        "ERR wrong number of arguments for 'ttl' command"
    );
}

#[test]
fn expire_in_the_past_deletes() {
    let s = TestServer::start();
    let mut c = s.conn();
    for args in [
        &["EXPIRE", "k", "-1"][..],
        &["EXPIRE", "k", "0"][..],
        &["PEXPIRE", "k", "-100"][..],
        &["EXPIREAT", "k", "1"][..],
        &["PEXPIREAT", "k", "0"][..],
    ] {
        q(&mut c, &["SET", "k", "v"]);
        assert_eq!(q(&mut c, args), Value::Int(1), "{args:?}");
        assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(0), "{args:?}");
    }
    // With a condition that fails, the key stays.
    q(&mut c, &["SET", "k", "v"]);
    assert_eq!(q(&mut c, &["EXPIRE", "k", "-1", "XX"]), Value::Int(0));
    assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(1));
}

#[test]
fn lazy_expiry_and_ms_precision() {
    let s = TestServer::start_with(&["--enable-debug-command", "yes"]);
    let mut c = s.conn();
    // Without active expiry if DEBUG SET-ACTIVE-EXPIRE exists, so access does the work.
    let _ = q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    q(&mut c, &["SET", "k", "v", "PX", "100"]);
    q(&mut c, &["SET", "stays", "v", "PX", "100000"]);
    let pt = int(q(&mut c, &["PTTL", "k"]));
    assert!(pt > 0 && pt <= 100, "{pt}");
    assert!(eventually(|| q(&mut c, &["GET", "k"]) == Value::Nil));
    assert_eq!(q(&mut c, &["TTL", "k"]), Value::Int(-2));
    assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(0));
    assert_eq!(
        q(&mut c, &["GET", "stays"]),
        Value::BulkString(b"v".to_vec())
    );
    // Every generic command sees an expired key as absent.
    for cmd in [
        &["EXPIRE", "k", "100"][..],
        &["PERSIST", "k"][..],
        &["TYPE", "k"][..],
        &["EXISTS", "k"][..],
        &["TOUCH", "k"][..],
        &["DEL", "k"][..],
        &["COPY", "k", "k3"][..],
        &["MOVE", "k", "1"][..],
        &["RENAMENX", "k", "k4"][..],
        &["RENAME", "k", "k4"][..],
        &["OBJECT", "ENCODING", "k"][..],
    ] {
        q(&mut c, &["SET", "k", "v", "PX", "1"]);
        std::thread::sleep(Duration::from_millis(5));
        let r = q(&mut c, cmd);
        let expect = match cmd[0] {
            "TYPE" => Value::SimpleString("none".into()),
            "RENAME" | "RENAMENX" => {
                assert_eq!(err_text(&r), "ERR no such key");
                continue;
            }
            "OBJECT" => Value::Nil,
            _ => Value::Int(0),
        };
        assert_eq!(r, expect, "{cmd:?}");
    }
    // RENAME onto an expired destination, COPY/MOVE onto expired targets.
    q(&mut c, &["SET", "src", "1"]);
    q(&mut c, &["SET", "dst", "2", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(q(&mut c, &["RENAMENX", "src", "dst"]), Value::Int(1));
    q(&mut c, &["SET", "dst2", "2", "PX", "1"]);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(q(&mut c, &["COPY", "dst", "dst2"]), Value::Int(1));
    assert_eq!(q(&mut c, &["TTL", "dst2"]), Value::Int(-1));
}

#[test]
fn active_expiry_removes_untouched_keys() {
    let s = TestServer::start();
    let mut c = s.conn();
    let mut p = redis::pipe();
    for i in 0..1000 {
        p.cmd("SET")
            .arg(format!("k{i}"))
            .arg("v")
            .arg("PX")
            .arg(50)
            .ignore();
    }
    p.cmd("SET").arg("persistent").arg("v").ignore();
    p.query::<()>(&mut c).unwrap();
    // Nothing reads the keys: only the active cycle can remove them.
    assert!(
        eventually(|| q(&mut c, &["DBSIZE"]) == Value::Int(1)),
        "active expiry didn't remove the keys: {:?}",
        q(&mut c, &["DBSIZE"])
    );
    // INFO stats (when available) counts them.
    if let Value::BulkString(info) = q(&mut c, &["INFO", "stats"]) {
        let info = String::from_utf8(info).unwrap();
        if let Some(line) = info.lines().find(|l| l.starts_with("expired_keys:")) {
            let n: i64 = line["expired_keys:".len()..].trim().parse().unwrap();
            assert_eq!(n, 1000);
        }
    }
    // With a higher effort, across databases.
    q(&mut c, &["CONFIG", "SET", "active-expire-effort", "10"]);
    q(&mut c, &["SELECT", "4"]);
    let mut p = redis::pipe();
    for i in 0..500 {
        p.cmd("SET")
            .arg(format!("k{i}"))
            .arg("v")
            .arg("PX")
            .arg(30)
            .ignore();
    }
    p.query::<()>(&mut c).unwrap();
    assert!(eventually(|| q(&mut c, &["DBSIZE"]) == Value::Int(0)));
}

#[test]
fn debug_set_active_expire_disables_cycle() {
    let s = TestServer::start_with(&["--enable-debug-command", "yes"]);
    let mut c = s.conn();
    assert_eq!(q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), Value::Okay);
    q(&mut c, &["SET", "k", "v", "PX", "10"]);
    std::thread::sleep(Duration::from_millis(300));
    // Still in memory (DBSIZE counts it), gone as soon as it is accessed.
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(1));
    assert_eq!(q(&mut c, &["EXISTS", "k"]), Value::Int(0));
    assert_eq!(q(&mut c, &["DBSIZE"]), Value::Int(0));
    q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    q(&mut c, &["SET", "k", "v", "PX", "10"]);
    assert!(eventually(|| q(&mut c, &["DBSIZE"]) == Value::Int(0)));
}

/// INFO keyspace `avg_ttl`: the active cycle's running estimate of the remaining TTL in
/// milliseconds (0 until it has sampled, as in Redis).
#[test]
fn info_keyspace_reports_avg_ttl() {
    let s = TestServer::start();
    let mut c = s.conn();
    for i in 0..20 {
        q(&mut c, &["SET", &format!("k{i}"), "v", "EX", "100"]);
    }
    q(&mut c, &["SET", "persistent", "v"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let avg = loop {
        let info = match q(&mut c, &["INFO", "keyspace"]) {
            Value::BulkString(b) => String::from_utf8(b).unwrap(),
            v => panic!("{v:?}"),
        };
        let line = info
            .lines()
            .find(|l| l.starts_with("db0:"))
            .unwrap()
            .to_string();
        assert!(
            line.starts_with("db0:keys=21,expires=20,avg_ttl="),
            "{line}"
        );
        let avg: u64 = line.rsplit('=').next().unwrap().parse().unwrap();
        if avg > 0 || Instant::now() > deadline {
            break avg;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!((80_000..=100_000).contains(&avg), "avg_ttl={avg}");
}
