//! The strings family: every command, option and error, as Redis 7 replies (expected
//! replies were taken from a real redis-server 7.0 unless noted).

mod common;
use common::*;
use redis::Value;

/// A compact text form of a reply: `:1`, `$text`, `nil`, `OK`, `+status`, `-ERR ...`,
/// `[a, b]`, `{k: v}`.
fn render(v: &Value) -> String {
    match v {
        Value::Nil => "nil".into(),
        Value::Int(i) => format!(":{i}"),
        Value::BulkString(b) => format!("${}", String::from_utf8_lossy(b)),
        Value::Okay => "OK".into(),
        Value::SimpleString(s) => format!("+{s}"),
        Value::ServerError(_) => format!("-{}", err_text(v)),
        Value::Array(items) | Value::Set(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(pairs) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{}: {}", render(k), render(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Double(d) => format!(",{d}"),
        other => format!("{other:?}"),
    }
}

/// Runs each space-separated command line and compares the rendered reply.
fn check(c: &mut redis::Connection, cases: &[(&str, &str)]) {
    for (line, want) in cases {
        let args: Vec<&str> = line.split(' ').collect();
        let got = render(&q(c, &args));
        assert_eq!(&got, want, "command: {line}");
    }
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn set_options() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("SET k v", "OK"),
            ("GET k", "$v"),
            ("GET nokey", "nil"),
            ("SET k v2 GET", "$v"),
            ("SET k v3 GET GET", "$v2"),
            ("SET nokey v XX", "nil"),
            ("GET nokey", "nil"),
            ("SET nokey v XX GET", "nil"),
            ("SET k v NX", "nil"),
            ("SET k v4 NX GET", "$v3"),
            ("GET k", "$v3"),
            ("SET k v5 XX GET", "$v3"),
            ("SET new v NX", "OK"),
            ("SET k v nx", "nil"),
            ("SET k v EX 10 EX 20", "OK"),
            ("SET k v PX 10000 px 20000", "OK"),
            ("SET k v EXAT 9223372036854775", "OK"),
            ("SET k v PXAT 9223372036854775807", "OK"),
            ("SET k v EX 100 NX", "nil"),
            ("SET k v KEEPTTL", "OK"),
        ],
    );
}

#[test]
fn set_errors() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("SET k v EX 0", "-ERR invalid expire time in 'set' command"),
            ("SET k v EX -1", "-ERR invalid expire time in 'set' command"),
            ("SET k v PX 0", "-ERR invalid expire time in 'set' command"),
            (
                "SET k v EXAT 0",
                "-ERR invalid expire time in 'set' command",
            ),
            (
                "SET k v PXAT -5",
                "-ERR invalid expire time in 'set' command",
            ),
            (
                "SET k v EX 9223372036854775807",
                "-ERR invalid expire time in 'set' command",
            ),
            (
                "SET k v PX 9223372036854775807",
                "-ERR invalid expire time in 'set' command",
            ),
            ("SET k v NX XX", "-ERR syntax error"),
            ("SET k v XX NX", "-ERR syntax error"),
            ("SET k v EX 10 PX 10", "-ERR syntax error"),
            ("SET k v PX 10 EXAT 10", "-ERR syntax error"),
            ("SET k v KEEPTTL EX 10", "-ERR syntax error"),
            ("SET k v EX 10 KEEPTTL", "-ERR syntax error"),
            ("SET k v EX", "-ERR syntax error"),
            ("SET k v PERSIST", "-ERR syntax error"),
            ("SET k v FOO", "-ERR syntax error"),
            // Options are all checked before the expire value.
            ("SET k v EX abc NX XX", "-ERR syntax error"),
            (
                "SET k v EX abc",
                "-ERR value is not an integer or out of range",
            ),
            (
                "SET k v EX 1.5",
                "-ERR value is not an integer or out of range",
            ),
            ("SET k", "-ERR wrong number of arguments for 'set' command"),
            ("GET", "-ERR wrong number of arguments for 'get' command"),
            (
                "GET a b",
                "-ERR wrong number of arguments for 'get' command",
            ),
            ("GET k", "nil"),
        ],
    );
    if make_non_string(&mut c, "l") {
        check(
            &mut c,
            &[
                ("GET l", WRONGTYPE),
                ("SET l v GET", WRONGTYPE),
                // The expire time is validated before the type.
                (
                    "SET l v GET EX 0",
                    "-ERR invalid expire time in 'set' command",
                ),
                ("SET l v", "OK"),
                ("GET l", "$v"),
            ],
        );
    }
}

#[test]
fn set_expiry_and_keepttl() {
    let s = TestServer::start();
    let mut c = s.conn();
    if !have(&mut c, "ttl") {
        eprintln!("TTL not available: skipped");
        return;
    }
    check(
        &mut c,
        &[
            ("SET k v EX 100", "OK"),
            ("TTL k", ":100"),
            ("SET k v2 KEEPTTL", "OK"),
            ("TTL k", ":100"),
            ("SET k v3 KEEPTTL GET", "$v2"),
            ("TTL k", ":100"),
            ("SET k v4", "OK"),
            ("TTL k", ":-1"),
            ("SET k v PXAT 1", "OK"),
            ("GET k", "nil"),
            ("SET k v EXAT 4000000000", "OK"),
            ("SETEX k 50 v", "OK"),
            ("TTL k", ":50"),
            ("PSETEX k 50000 v", "OK"),
            ("TTL k", ":50"),
            ("SETNX k v", ":0"),
            ("TTL k", ":50"),
        ],
    );
    let pt = pttl_of(&mut c, "k");
    assert!(pt > 40_000 && pt <= 50_000, "{pt}");
}

fn pttl_of(c: &mut redis::Connection, key: &str) -> i64 {
    match q(c, &["PTTL", key]) {
        Value::Int(i) => i,
        v => panic!("{v:?}"),
    }
}

#[test]
fn setnx_setex_psetex() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("SETNX k v", ":1"),
            ("SETNX k v2", ":0"),
            ("GET k", "$v"),
            ("SETEX k 0 v", "-ERR invalid expire time in 'setex' command"),
            (
                "SETEX k -1 v",
                "-ERR invalid expire time in 'setex' command",
            ),
            (
                "SETEX k abc v",
                "-ERR value is not an integer or out of range",
            ),
            (
                "SETEX k 9223372036854775807 v",
                "-ERR invalid expire time in 'setex' command",
            ),
            ("SETEX k 100 v3", "OK"),
            ("GET k", "$v3"),
            (
                "PSETEX k -5 v",
                "-ERR invalid expire time in 'psetex' command",
            ),
            (
                "PSETEX k 0 v",
                "-ERR invalid expire time in 'psetex' command",
            ),
            ("PSETEX k 100000 v4", "OK"),
            ("GET k", "$v4"),
            (
                "SETEX k 10",
                "-ERR wrong number of arguments for 'setex' command",
            ),
            (
                "SETNX k",
                "-ERR wrong number of arguments for 'setnx' command",
            ),
        ],
    );
}

#[test]
fn mget_mset_msetnx() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            (
                "MSET a 1 b",
                "-ERR wrong number of arguments for 'mset' command",
            ),
            (
                "MSETNX a 1 b",
                "-ERR wrong number of arguments for 'msetnx' command",
            ),
            (
                "MSET a",
                "-ERR wrong number of arguments for 'mset' command",
            ),
            ("MSET a 1 b 2", "OK"),
            ("MGET a b nokey a", "[$1, $2, nil, $1]"),
            ("MSETNX a 1 c 3", ":0"),
            ("MGET c", "[nil]"),
            ("MSETNX c 3 d 4", ":1"),
            ("MGET a b c d", "[$1, $2, $3, $4]"),
            ("MSET a x a y", "OK"),
            ("GET a", "$y"),
            ("MSETNX e 1 e 2", ":1"),
            ("GET e", "$2"),
            ("MGET", "-ERR wrong number of arguments for 'mget' command"),
        ],
    );
    if make_non_string(&mut c, "l") {
        // MGET replies nil for keys of other types.
        check(
            &mut c,
            &[("MGET a l", "[$y, nil]"), ("MSETNX l 1 z 1", ":0")],
        );
    }
}

#[test]
fn getset_getdel_getex() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("GETSET k v", "nil"),
            ("GETSET k v2", "$v"),
            ("GET k", "$v2"),
            ("GETDEL k", "$v2"),
            ("GETDEL k", "nil"),
            ("GET k", "nil"),
            ("SET k v", "OK"),
            ("GETEX k", "$v"),
            ("GETEX nokey", "nil"),
            (
                "GETEX k EX 0",
                "-ERR invalid expire time in 'getex' command",
            ),
            (
                "GETEX k PX -1",
                "-ERR invalid expire time in 'getex' command",
            ),
            (
                "GETEX k EX 9223372036854775807",
                "-ERR invalid expire time in 'getex' command",
            ),
            (
                "GETEX k EX x",
                "-ERR value is not an integer or out of range",
            ),
            // A missing key answers nil before the expire value is checked.
            ("GETEX nokey EX 0", "nil"),
            ("GETEX nokey FOO", "-ERR syntax error"),
            ("GETEX k PERSIST EX 10", "-ERR syntax error"),
            ("GETEX k EX 10 PERSIST", "-ERR syntax error"),
            ("GETEX k EX 10 PX 10", "-ERR syntax error"),
            ("GETEX k KEEPTTL", "-ERR syntax error"),
            ("GETEX k NX", "-ERR syntax error"),
            ("GETEX k GET", "-ERR syntax error"),
            ("GETEX k EX", "-ERR syntax error"),
            ("GETEX k EX 10 EX 20", "$v"),
            ("GETEX k PERSIST", "$v"),
            ("GETEX k PXAT 1", "$v"),
            ("GET k", "nil"),
            ("SET k v", "OK"),
            ("GETEX k EXAT 1", "$v"),
            ("GETEX k", "nil"),
        ],
    );
    if have(&mut c, "ttl") {
        check(
            &mut c,
            &[
                ("SET k v EX 100", "OK"),
                ("GETSET k v2", "$v"),
                ("TTL k", ":-1"),
                ("GETEX k EX 200", "$v2"),
                ("TTL k", ":200"),
                ("GETEX k", "$v2"),
                ("TTL k", ":200"),
                ("GETEX k PERSIST", "$v2"),
                ("TTL k", ":-1"),
                ("GETEX k PX 300000", "$v2"),
                ("TTL k", ":300"),
                ("GETEX k EXAT 4000000000", "$v2"),
                ("GETEX k PXAT 4000000000000", "$v2"),
            ],
        );
    }
    if make_non_string(&mut c, "l") {
        check(
            &mut c,
            &[
                ("GETSET l x", WRONGTYPE),
                ("GETDEL l", WRONGTYPE),
                ("GETEX l", WRONGTYPE),
                ("GETEX l EX 0", WRONGTYPE),
                ("GETEX l FOO", "-ERR syntax error"),
            ],
        );
    }
}

#[test]
fn append_strlen_setrange_getrange() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("APPEND k hello", ":5"),
            ("APPEND k ", ":5"),
            ("APPEND k world", ":10"),
            ("GET k", "$helloworld"),
            ("STRLEN k", ":10"),
            ("STRLEN nokey", ":0"),
            ("SET i -123", "OK"),
            ("STRLEN i", ":4"),
            ("APPEND i 4", ":5"),
            ("GET i", "$-1234"),
            ("INCR i", ":-1233"),
            ("SET k hello", "OK"),
            ("SETRANGE k -1 x", "-ERR offset is out of range"),
            (
                "SETRANGE k abc x",
                "-ERR value is not an integer or out of range",
            ),
            (
                "SETRANGE k 536870911 xx",
                "-ERR string exceeds maximum allowed size (proto-max-bulk-len)",
            ),
            (
                "SETRANGE nokey 536870912 x",
                "-ERR string exceeds maximum allowed size (proto-max-bulk-len)",
            ),
            // Setting nothing: the current length, nothing created.
            ("SETRANGE nokey 536870912 ", ":0"),
            ("SETRANGE nokey 0 ", ":0"),
            ("GET nokey", "nil"),
            ("SETRANGE k 536870912 ", ":5"),
            ("SETRANGE k 1 a", ":5"),
            ("GET k", "$hallo"),
            ("SETRANGE k 7 zz", ":9"),
            ("GET k", "$hallo\0\0zz"),
            ("SETRANGE n 3 ab", ":5"),
            ("GET n", "$\0\0\0ab"),
            ("SET i 12345", "OK"),
            ("SETRANGE i 1 9", ":5"),
            ("GET i", "$19345"),
            ("INCR i", ":19346"),
            ("SET k hello", "OK"),
            ("GETRANGE k 1 3", "$ell"),
            ("GETRANGE k 0 -1", "$hello"),
            ("GETRANGE k -3 -1", "$llo"),
            ("GETRANGE k 0 -100", "$h"),
            ("GETRANGE k -1 -5", "$"),
            ("GETRANGE k 5 1", "$"),
            ("GETRANGE k -100 -1", "$hello"),
            ("GETRANGE k 4 100", "$o"),
            ("GETRANGE k 5 100", "$"),
            ("GETRANGE k 0 9223372036854775807", "$hello"),
            (
                "GETRANGE k -9223372036854775808 9223372036854775807",
                "$hello",
            ),
            ("GETRANGE nokey 0 1", "$"),
            (
                "GETRANGE k abc 1",
                "-ERR value is not an integer or out of range",
            ),
            (
                "GETRANGE k 1 abc",
                "-ERR value is not an integer or out of range",
            ),
            (
                "GETRANGE k 1",
                "-ERR wrong number of arguments for 'getrange' command",
            ),
            ("SUBSTR k 1 2", "$el"),
            ("SET e ", "OK"),
            ("GETRANGE e 0 -1", "$"),
            ("GETRANGE e -1 0", "$"),
            ("STRLEN e", ":0"),
            ("SET i -12345", "OK"),
            ("GETRANGE i 0 1", "$-1"),
            ("GETRANGE i -2 -1", "$45"),
        ],
    );
    if make_non_string(&mut c, "l") {
        check(
            &mut c,
            &[
                ("APPEND l x", WRONGTYPE),
                ("STRLEN l", WRONGTYPE),
                ("SETRANGE l 0 x", WRONGTYPE),
                ("SETRANGE l 0 ", WRONGTYPE),
                ("GETRANGE l 0 1", WRONGTYPE),
                ("SUBSTR l 0 1", WRONGTYPE),
            ],
        );
    }
}

#[test]
fn repeated_append_builds_big_values() {
    let s = TestServer::start();
    let mut c = s.conn();
    let chunk = "x".repeat(100);
    for i in 1..=2000 {
        assert_eq!(q(&mut c, &["APPEND", "big", &chunk]), Value::Int(i * 100));
    }
    assert_eq!(q(&mut c, &["STRLEN", "big"]), Value::Int(200_000));
    assert_eq!(
        render(&q(&mut c, &["GETRANGE", "big", "199998", "-1"])),
        "$xx"
    );
    // Over the limit: the old value stays.
    check(
        &mut c,
        &[
            ("CONFIG SET proto-max-bulk-len 1mb", "OK"),
            ("SET small 1", "OK"),
            (
                "SETRANGE small 1048576 x",
                "-ERR string exceeds maximum allowed size (proto-max-bulk-len)",
            ),
            ("SETRANGE small 1048575 x", ":1048576"),
            (
                "APPEND small x",
                "-ERR string exceeds maximum allowed size (proto-max-bulk-len)",
            ),
            ("STRLEN small", ":1048576"),
        ],
    );
}

#[test]
fn object_encoding_stays_like_redis() {
    let s = TestServer::start();
    let mut c = s.conn();
    if !have(&mut c, "object") {
        eprintln!("OBJECT not available: skipped");
        return;
    }
    let long = "x".repeat(45);
    q(&mut c, &["SET", "long", &long]);
    check(
        &mut c,
        &[
            ("SET i 12345", "OK"),
            ("OBJECT ENCODING i", "$int"),
            ("SET s abc", "OK"),
            ("OBJECT ENCODING s", "$embstr"),
            ("OBJECT ENCODING long", "$raw"),
            ("APPEND s d", ":4"),
            ("OBJECT ENCODING s", "$raw"),
            ("APPEND new1 12", ":2"),
            ("OBJECT ENCODING new1", "$int"),
            ("APPEND new2 hello", ":5"),
            ("OBJECT ENCODING new2", "$embstr"),
            ("APPEND new2 ", ":5"),
            ("OBJECT ENCODING new2", "$raw"),
            ("SETRANGE r 0 1", ":1"),
            ("OBJECT ENCODING r", "$raw"),
            ("INCR r", ":2"),
            ("OBJECT ENCODING r", "$int"),
            ("INCRBYFLOAT f 3", "$3"),
            ("OBJECT ENCODING f", "$embstr"),
            ("SET x 1", "OK"),
            ("INCRBY x 5", ":6"),
            ("OBJECT ENCODING x", "$int"),
            ("SET n 01", "OK"),
            ("OBJECT ENCODING n", "$embstr"),
        ],
    );
}

#[test]
fn incr_decr() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("INCR n", ":1"),
            ("INCR n", ":2"),
            ("DECR n", ":1"),
            ("INCRBY n 10", ":11"),
            ("DECRBY n 20", ":-9"),
            ("INCRBY n -1", ":-10"),
            ("DECRBY n -10", ":0"),
            ("DECR new", ":-1"),
            ("INCRBY new2 -5", ":-5"),
            ("DECRBY new3 -5", ":5"),
            ("GET n", "$0"),
            ("SET n 9223372036854775807", "OK"),
            ("INCR n", "-ERR increment or decrement would overflow"),
            ("INCRBY n 1", "-ERR increment or decrement would overflow"),
            ("DECRBY n -1", "-ERR increment or decrement would overflow"),
            ("GET n", "$9223372036854775807"),
            ("DECR n", ":9223372036854775806"),
            ("SET n -9223372036854775808", "OK"),
            ("DECR n", "-ERR increment or decrement would overflow"),
            ("INCRBY n -1", "-ERR increment or decrement would overflow"),
            ("INCR n", ":-9223372036854775807"),
            (
                "DECRBY n -9223372036854775808",
                "-ERR decrement would overflow",
            ),
            (
                "DECRBY n 9223372036854775807",
                "-ERR increment or decrement would overflow",
            ),
            (
                "INCRBY n abc",
                "-ERR value is not an integer or out of range",
            ),
            (
                "INCRBY n 1.5",
                "-ERR value is not an integer or out of range",
            ),
            (
                "INCRBY n 9223372036854775808",
                "-ERR value is not an integer or out of range",
            ),
            ("DECRBY n x", "-ERR value is not an integer or out of range"),
            ("SET f 1.5", "OK"),
            ("INCR f", "-ERR value is not an integer or out of range"),
            ("SET f 01", "OK"),
            ("INCR f", "-ERR value is not an integer or out of range"),
            ("SET f +1", "OK"),
            ("INCR f", "-ERR value is not an integer or out of range"),
            ("SET f ", "OK"),
            ("INCR f", "-ERR value is not an integer or out of range"),
            ("SET f 99999999999999999999", "OK"),
            ("INCR f", "-ERR value is not an integer or out of range"),
            ("INCR", "-ERR wrong number of arguments for 'incr' command"),
        ],
    );
    q(&mut c, &["SET", "sp", " 1"]);
    assert_eq!(
        err_text(&q(&mut c, &["INCR", "sp"])),
        "ERR value is not an integer or out of range"
    );
    if make_non_string(&mut c, "l") {
        check(
            &mut c,
            &[
                ("INCR l", WRONGTYPE),
                ("DECR l", WRONGTYPE),
                ("INCRBY l 1", WRONGTYPE),
                // The increment is parsed first.
                ("INCRBY l x", "-ERR value is not an integer or out of range"),
                ("DECRBY l 1", WRONGTYPE),
            ],
        );
    }
    if have(&mut c, "ttl") {
        check(
            &mut c,
            &[
                ("SET t 5 EX 100", "OK"),
                ("INCR t", ":6"),
                ("DECRBY t 2", ":4"),
                ("TTL t", ":100"),
            ],
        );
    }
}

#[test]
fn incrbyfloat_formats_like_redis() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("INCRBYFLOAT f 0.1", "$0.1"),
            ("INCRBYFLOAT f 0.2", "$0.3"),
            ("INCRBYFLOAT f -0.3", "$0"),
            ("INCRBYFLOAT f 1e20", "$100000000000000000000"),
            ("INCRBYFLOAT f 5.0e3", "$100000000000000005000"),
            ("SET g 10.50", "OK"),
            ("INCRBYFLOAT g 0.1", "$10.6"),
            ("INCRBYFLOAT g -10.6", "$0"),
            (
                "INCRBYFLOAT g -0.00000000000000001",
                "$-0.00000000000000001",
            ),
            ("INCRBYFLOAT g 1e-20", "$-0.00000000000000001"),
            ("SET i 5", "OK"),
            ("INCRBYFLOAT i 1.5", "$6.5"),
            ("INCRBYFLOAT i -6.5", "$0"),
            ("INCRBYFLOAT h 0x10", "$16"),
            ("INCRBYFLOAT h 1E1", "$26"),
            ("INCRBYFLOAT h -3.0", "$23"),
            ("GET h", "$23"),
            ("INCRBY h 1", ":24"),
            ("SET x 3.0", "OK"),
            ("INCRBYFLOAT x 1", "$4"),
            ("INCRBYFLOAT f abc", "-ERR value is not a valid float"),
            ("INCRBYFLOAT f ", "-ERR value is not a valid float"),
            ("INCRBYFLOAT f nan", "-ERR value is not a valid float"),
            ("INCRBYFLOAT f 1e-5000", "-ERR value is not a valid float"),
            ("INCRBYFLOAT f 1.5x", "-ERR value is not a valid float"),
            (
                "INCRBYFLOAT f inf",
                "-ERR increment would produce NaN or Infinity",
            ),
            (
                "INCRBYFLOAT f -inf",
                "-ERR increment would produce NaN or Infinity",
            ),
            ("SET bad abc", "OK"),
            ("INCRBYFLOAT bad 1", "-ERR value is not a valid float"),
            ("INCRBYFLOAT bad inf", "-ERR value is not a valid float"),
            (
                "INCRBYFLOAT f",
                "-ERR wrong number of arguments for 'incrbyfloat' command",
            ),
        ],
    );
    q(&mut c, &["SET", "sp", "1"]);
    assert_eq!(
        err_text(&q(&mut c, &["INCRBYFLOAT", "sp", " 1"])),
        "ERR value is not a valid float"
    );
    assert_eq!(
        err_text(&q(&mut c, &["INCRBYFLOAT", "sp", "1 "])),
        "ERR value is not a valid float"
    );
    // An embedded NUL byte makes the value invalid (Redis's "string to double with null
    // terminator" test).
    check(
        &mut c,
        &[
            ("SET z 1", "OK"),
            ("SETRANGE z 2 2", ":3"),
            ("INCRBYFLOAT z 1", "-ERR value is not a valid float"),
            ("INCRBYFLOAT f1 1", "$1"),
            ("INCRBYFLOAT f1 -1.1", "$-0.1"),
        ],
    );
    // No negative zero.
    assert_eq!(
        render(&q(&mut c, &["INCRBYFLOAT", "nz", "0.024390243902439025"])),
        "$0.02439024390243902"
    );
    assert_eq!(
        render(&q(&mut c, &["INCRBYFLOAT", "nz", "-0.024390243902439025"])),
        "$0"
    );
    // Beyond double range but within long double: printed in full, as Redis does.
    match q(&mut c, &["INCRBYFLOAT", "huge", "1e400"]) {
        Value::BulkString(b) => {
            assert_eq!(b.len(), 401);
            assert!(
                b.starts_with(b"10000000000000000000281880683947586514"),
                "{b:?}"
            );
        }
        v => panic!("{v:?}"),
    }
    if make_non_string(&mut c, "l") {
        check(&mut c, &[("INCRBYFLOAT l 1", WRONGTYPE)]);
    }
    if have(&mut c, "ttl") {
        check(
            &mut c,
            &[
                ("SET t 5 EX 100", "OK"),
                ("INCRBYFLOAT t 1.5", "$6.5"),
                ("TTL t", ":100"),
            ],
        );
    }
}

#[test]
fn lcs() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("MSET key1 ohmytext key2 mynewtext", "OK"),
            ("LCS key1 key2", "$mytext"),
            ("LCS key1 key2 LEN", ":6"),
            (
                "LCS key1 key2 IDX",
                "[$matches, [[[:4, :7], [:5, :8]], [[:2, :3], [:0, :1]]], $len, :6]",
            ),
            (
                "LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN",
                "[$matches, [[[:4, :7], [:5, :8], :4]], $len, :6]",
            ),
            (
                "LCS key1 key2 idx withmatchlen",
                "[$matches, [[[:4, :7], [:5, :8], :4], [[:2, :3], [:0, :1], :2]], $len, :6]",
            ),
            (
                "LCS key1 key2 MINMATCHLEN -5 IDX",
                "[$matches, [[[:4, :7], [:5, :8]], [[:2, :3], [:0, :1]]], $len, :6]",
            ),
            ("LCS key1 nokey", "$"),
            ("LCS key1 nokey IDX", "[$matches, [], $len, :0]"),
            ("LCS nokey nokey2 LEN", ":0"),
            ("MSET a1 abcdefgh a2 abcdefgh", "OK"),
            ("LCS a1 a2 IDX WITHMATCHLEN", "[$matches, [[[:0, :7], [:0, :7], :8]], $len, :8]"),
            ("MSET a1 xaxbxcx a2 aybyc", "OK"),
            ("LCS a1 a2", "$abc"),
            (
                "LCS a1 a2 IDX WITHMATCHLEN",
                "[$matches, [[[:5, :5], [:4, :4], :1], [[:3, :3], [:2, :2], :1], [[:1, :1], [:0, :0], :1]], $len, :3]",
            ),
            ("LCS a1 a2 IDX MINMATCHLEN 2", "[$matches, [], $len, :3]"),
            ("MSET i1 12345 i2 2345", "OK"),
            ("LCS i1 i2 IDX", "[$matches, [[[:1, :4], [:0, :3]]], $len, :4]"),
            (
                "LCS key1 key2 LEN IDX",
                "-ERR If you want both the length and indexes, please just use IDX.",
            ),
            ("LCS key1 key2 FOO", "-ERR syntax error"),
            ("LCS key1 key2 MINMATCHLEN", "-ERR syntax error"),
            (
                "LCS key1 key2 MINMATCHLEN x",
                "-ERR value is not an integer or out of range",
            ),
            ("LCS key1", "-ERR wrong number of arguments for 'lcs' command"),
        ],
    );
    if make_non_string(&mut c, "l") {
        check(
            &mut c,
            &[
                (
                    "LCS l key1",
                    "-ERR The specified keys must contain string values",
                ),
                (
                    "LCS key1 l",
                    "-ERR The specified keys must contain string values",
                ),
                // The key types are checked before the options.
                (
                    "LCS l key1 FOO",
                    "-ERR The specified keys must contain string values",
                ),
            ],
        );
    }
    if have(&mut c, "hello") {
        let mut c3 = s.conn3();
        assert_eq!(
            render(&q(&mut c3, &["LCS", "key1", "key2", "IDX", "WITHMATCHLEN"])),
            "{$matches: [[[:4, :7], [:5, :8], :4], [[:2, :3], [:0, :1], :2]], $len: :6}"
        );
    }
}

#[test]
fn lcs_resp3_bytes() {
    let s = TestServer::start();
    let mut c = s.conn();
    if !have(&mut c, "hello") {
        eprintln!("HELLO not available: skipped");
        return;
    }
    let mut r = s.raw();
    r.cmd(&[b"HELLO", b"3"]);
    r.read_reply();
    r.cmd(&[b"MSET", b"a", b"abc", b"b", b"xbc"]);
    r.read_reply();
    r.cmd(&[b"LCS", b"a", b"b", b"IDX"]);
    assert_eq!(
        r.read_reply(),
        b"%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:1\r\n:2\r\n*2\r\n:1\r\n:2\r\n$3\r\nlen\r\n:2\r\n"
    );
}

#[test]
fn binary_safe_values() {
    let s = TestServer::start();
    let mut c = s.conn();
    let all: Vec<u8> = (0..=255u8).collect();
    let set = |c: &mut redis::Connection, args: &[&[u8]]| {
        let mut cmd = redis::cmd(std::str::from_utf8(args[0]).unwrap());
        for a in &args[1..] {
            cmd.arg(*a);
        }
        qc(c, &cmd)
    };
    assert_eq!(set(&mut c, &[b"SET", &all, &all]), Value::Okay);
    assert_eq!(set(&mut c, &[b"GET", &all]), Value::BulkString(all.clone()));
    assert_eq!(set(&mut c, &[b"STRLEN", &all]), Value::Int(256));
    assert_eq!(set(&mut c, &[b"APPEND", &all, &all]), Value::Int(512));
    let mut twice = all.clone();
    twice.extend_from_slice(&all);
    assert_eq!(
        set(&mut c, &[b"GET", &all]),
        Value::BulkString(twice.clone())
    );
    assert_eq!(
        set(&mut c, &[b"GETRANGE", &all, b"250", b"260"]),
        Value::BulkString(twice[250..=260].to_vec())
    );
    assert_eq!(
        set(&mut c, &[b"SETRANGE", &all, b"510", b"\0\xff\r\n"]),
        Value::Int(514)
    );
    twice.truncate(510);
    twice.extend_from_slice(b"\0\xff\r\n");
    assert_eq!(
        set(&mut c, &[b"GET", &all]),
        Value::BulkString(twice.clone())
    );
    assert_eq!(
        set(&mut c, &[b"MSET", b"x\0y", &all, b"\xff", b"\0"]),
        Value::Okay
    );
    assert_eq!(
        set(&mut c, &[b"MGET", b"x\0y", b"\xff", b"x"]),
        Value::Array(vec![
            Value::BulkString(all.clone()),
            Value::BulkString(b"\0".to_vec()),
            Value::Nil
        ])
    );
    assert_eq!(
        set(&mut c, &[b"GETSET", b"\xff", &all]),
        Value::BulkString(b"\0".to_vec())
    );
    assert_eq!(
        set(&mut c, &[b"GETDEL", b"\xff"]),
        Value::BulkString(all.clone())
    );
    assert_eq!(
        set(&mut c, &[b"LCS", b"x\0y", &all]),
        Value::BulkString(all.clone())
    );
}

#[test]
fn concurrent_incr_sums_exactly() {
    let s = TestServer::start();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let mut c = s.conn();
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    q(&mut c, &["INCR", "counter"]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = s.conn();
    assert_eq!(
        q(&mut c, &["GET", "counter"]),
        Value::BulkString(b"8000".to_vec())
    );
}

#[test]
fn mset_is_atomic_across_shards() {
    let s = TestServer::start();
    // Different hash tags: the keys live in different shards (almost surely, with 8 tags).
    let keys: Vec<String> = ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .map(|t| format!("{{{t}}}k"))
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let mut c = s.conn();
        let keys = keys.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let v = i.to_string();
                let mut args = vec!["MSET"];
                for k in &keys {
                    args.push(k);
                    args.push(&v);
                }
                assert_eq!(q(&mut c, &args), Value::Okay);
                i += 1;
            }
        })
    };
    let mut c = s.conn();
    let mut args = vec!["MGET"];
    args.extend(keys.iter().map(|k| k.as_str()));
    let mut seen = 0;
    for _ in 0..3000 {
        let Value::Array(vals) = q(&mut c, &args) else {
            panic!()
        };
        let first = &vals[0];
        assert!(vals.iter().all(|v| v == first), "mixed MGET: {vals:?}");
        if *first != Value::Nil {
            seen += 1;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    assert!(seen > 0);
}

#[test]
fn keyspace_events() {
    let s = TestServer::start();
    let mut c = s.conn();
    if !have(&mut c, "psubscribe") {
        eprintln!("PSUBSCRIBE not available: skipped");
        return;
    }
    check(&mut c, &[("CONFIG SET notify-keyspace-events KEA", "OK")]);
    let mut sub = s.raw();
    sub.cmd(&[b"PSUBSCRIBE", b"__keyevent@0__:*"]);
    sub.read_reply();
    let cmds: &[(&str, &[&str])] = &[
        ("SET k v", &["set"]),
        ("SET k v EX 100", &["set", "expire"]),
        ("SETRANGE k 1 x", &["setrange"]),
        ("APPEND k x", &["append"]),
        ("SET n 1", &["set"]),
        ("INCR n", &["incrby"]),
        ("DECRBY n 2", &["incrby"]),
        ("INCRBYFLOAT n 1.5", &["incrbyfloat"]),
        ("GETEX k EX 100", &["expire"]),
        ("GETEX k PERSIST", &["persist"]),
        ("GETDEL k", &["del"]),
        ("MSET a 1 b 2", &["set", "set"]),
        ("GETSET a 3", &["set"]),
    ];
    for (line, events) in cmds {
        let args: Vec<&str> = line.split(' ').collect();
        q(&mut c, &args);
        for e in *events {
            let msg = sub.read_reply();
            let text = String::from_utf8_lossy(&msg);
            assert!(
                text.contains(&format!("__keyevent@0__:{e}\r\n")),
                "{line}: expected {e}, got {text:?}"
            );
        }
    }
}
