//! Hashes: every command, option and error against Redis 7.2's replies.

mod common;
use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn hset_hget_hmget_hmset_hsetnx() {
    let s = TestServer::start();
    let mut c = s.raw();
    assert_eq!(run(&mut c, "HSET h a 1 b 2 c 3"), int(3));
    assert_eq!(run(&mut c, "HSET h a 10 d 4"), int(1));
    assert_eq!(run(&mut c, "HSET h a 10 a 11"), int(0));
    assert_eq!(run(&mut c, "HGET h a"), bulk("11"));
    assert_eq!(run(&mut c, "HGET h zz"), "$-1\r\n");
    assert_eq!(run(&mut c, "HGET nokey a"), "$-1\r\n");
    assert_eq!(run(&mut c, "HMGET h a zz b"), bulks(&["11", "(nil)", "2"]));
    assert_eq!(run(&mut c, "HMGET nokey a b"), bulks(&["(nil)", "(nil)"]));
    assert_eq!(run(&mut c, "HMSET h e 5 f 6"), "+OK\r\n");
    assert_eq!(run(&mut c, "HSETNX h a 100"), int(0));
    assert_eq!(run(&mut c, "HSETNX h g 7"), int(1));
    assert_eq!(run(&mut c, "HSETNX newh g 7"), int(1));
    assert_eq!(run(&mut c, "HGET h g"), bulk("7"));
    assert_eq!(
        run(&mut c, "HSET h a"),
        err("ERR wrong number of arguments for 'hset' command")
    );
    assert_eq!(
        run(&mut c, "HSET h a 1 b"),
        err("ERR wrong number of arguments for 'hset' command")
    );
    assert_eq!(
        run(&mut c, "HMSET h a 1 b"),
        err("ERR wrong number of arguments for 'hmset' command")
    );
    // Small hashes keep insertion order (listpack), as Redis.
    assert_eq!(
        run(&mut c, "HKEYS h"),
        bulks(&["a", "b", "c", "d", "e", "f", "g"])
    );
    assert_eq!(
        run(&mut c, "HVALS h"),
        bulks(&["11", "2", "3", "4", "5", "6", "7"])
    );
    assert_eq!(run(&mut c, "HGETALL newh"), bulks(&["g", "7"]));
    assert_eq!(run(&mut c, "HGETALL nokey"), "*0\r\n");
    assert_eq!(run(&mut c, "HKEYS nokey"), "*0\r\n");
    assert_eq!(run(&mut c, "HVALS nokey"), "*0\r\n");
}

#[test]
fn hgetall_resp3_is_a_map() {
    let s = TestServer::start();
    let mut c = s.raw();
    if !hello3(&mut c) {
        return; // HELLO not available in this build
    }
    run(&mut c, "HSET h a 1 b 2");
    assert_eq!(
        run(&mut c, "HGETALL h"),
        "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    assert_eq!(run(&mut c, "HGETALL nokey"), "%0\r\n");
    assert_eq!(run(&mut c, "HGET h zz"), "_\r\n");
}

#[test]
fn hdel_hlen_hstrlen_hexists_and_deletion_when_empty() {
    let s = TestServer::start();
    let mut c = s.raw();
    run(&mut c, "HSET h a 1 b 22 c 333");
    assert_eq!(run(&mut c, "HLEN h"), int(3));
    assert_eq!(run(&mut c, "HLEN nokey"), int(0));
    assert_eq!(run(&mut c, "HSTRLEN h c"), int(3));
    assert_eq!(run(&mut c, "HSTRLEN h zz"), int(0));
    assert_eq!(run(&mut c, "HSTRLEN nokey zz"), int(0));
    assert_eq!(run(&mut c, "HEXISTS h a"), int(1));
    assert_eq!(run(&mut c, "HEXISTS h zz"), int(0));
    assert_eq!(run(&mut c, "HEXISTS nokey a"), int(0));
    assert_eq!(run(&mut c, "HDEL h a zz a"), int(1));
    assert_eq!(run(&mut c, "HDEL h zz"), int(0));
    assert_eq!(run(&mut c, "HDEL nokey a"), int(0));
    assert_eq!(run(&mut c, "HDEL h b c"), int(2));
    // The empty hash is gone: the key can hold another type now.
    assert_eq!(run(&mut c, "GET h"), "$-1\r\n");
    assert_eq!(run(&mut c, "SET h x"), "+OK\r\n");
}

#[test]
fn wrongtype_everywhere() {
    let s = TestServer::start();
    let mut c = s.raw();
    run(&mut c, "SET str x");
    for cmd in [
        "HSET str a 1",
        "HMSET str a 1",
        "HSETNX str a 1",
        "HGET str a",
        "HMGET str a",
        "HDEL str a",
        "HLEN str",
        "HSTRLEN str a",
        "HEXISTS str a",
        "HKEYS str",
        "HVALS str",
        "HGETALL str",
        "HINCRBY str a 1",
        "HINCRBYFLOAT str a 1",
        "HRANDFIELD str",
        "HRANDFIELD str 2",
        "HSCAN str 0",
    ] {
        assert_eq!(run(&mut c, cmd), err(WRONGTYPE), "{cmd}");
    }
    run(&mut c, "HSET h a 1");
    assert_eq!(run(&mut c, "GET h"), err(WRONGTYPE));
}

#[test]
fn hincrby() {
    let s = TestServer::start();
    let mut c = s.raw();
    assert_eq!(run(&mut c, "HINCRBY h n 5"), int(5));
    assert_eq!(run(&mut c, "HINCRBY h n -10"), int(-5));
    assert_eq!(run(&mut c, "HGET h n"), bulk("-5"));
    assert_eq!(
        run(&mut c, "HINCRBY h n x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        run(&mut c, "HINCRBY h n 1.5"),
        err("ERR value is not an integer or out of range")
    );
    run(&mut c, "HSET h s abc m 9223372036854775807");
    assert_eq!(
        run(&mut c, "HINCRBY h s 1"),
        err("ERR hash value is not an integer")
    );
    assert_eq!(
        run(&mut c, "HINCRBY h m 1"),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(run(&mut c, "HINCRBY h m -1"), int(9223372036854775806));
    // The argument is checked before the key's type.
    run(&mut c, "SET str x");
    assert_eq!(
        run(&mut c, "HINCRBY str a x"),
        err("ERR value is not an integer or out of range")
    );
}

#[test]
fn hincrbyfloat() {
    let s = TestServer::start();
    let mut c = s.raw();
    assert_eq!(run(&mut c, "HINCRBYFLOAT h f 1.5"), bulk("1.5"));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h f 0.1"), bulk("1.6"));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h f -1.6"), bulk("0"));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h e 3e3"), bulk("3000"));
    assert_eq!(run(&mut c, "HINCRBYFLOAT h e 1.0e1"), bulk("3010"));
    run(&mut c, "HSET h i 10 s abc");
    assert_eq!(run(&mut c, "HINCRBYFLOAT h i 0.5"), bulk("10.5"));
    assert_eq!(
        run(&mut c, "HINCRBYFLOAT h s 1"),
        err("ERR hash value is not a float")
    );
    assert_eq!(
        run(&mut c, "HINCRBYFLOAT h f abc"),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        run(&mut c, "HINCRBYFLOAT h f nan"),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        run(&mut c, "HINCRBYFLOAT h f inf"),
        err("ERR value is NaN or Infinity")
    );
    // Redis computes in long double: 1.7e308 * 2 does not overflow there, 1e4932 * 2 does.
    run(&mut c, "HSET h big 1.7e308");
    let r = run(&mut c, "HINCRBYFLOAT h big 1.7e308");
    assert!(
        r.starts_with("$309\r\n34000000000000000000627355605039519359"),
        "{r}"
    );
    run(&mut c, "HSET h huge 1e4932");
    assert_eq!(
        run(&mut c, "HINCRBYFLOAT h huge 1e4932"),
        err("ERR increment would produce NaN or Infinity")
    );
    // "%.17Lf" then trimmed: no binary-float noise, as in Redis.
    run(&mut c, "HSET h tenth 0.1");
    assert_eq!(run(&mut c, "HINCRBYFLOAT h tenth 0.2"), bulk("0.3"));
}

#[test]
fn hrandfield() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut rc = s.conn();
    assert_eq!(run(&mut c, "HRANDFIELD nokey"), "$-1\r\n");
    assert_eq!(run(&mut c, "HRANDFIELD nokey 5"), "*0\r\n");
    assert_eq!(run(&mut c, "HRANDFIELD nokey -5 WITHVALUES"), "*0\r\n");
    run(&mut c, "HSET h a 1 b 2 c 3");
    assert_eq!(run(&mut c, "HRANDFIELD h 0"), "*0\r\n");
    let one = run(&mut c, "HRANDFIELD h");
    assert!([bulk("a"), bulk("b"), bulk("c")].contains(&one));
    // count >= size: the whole hash.
    assert_eq!(
        sorted(&mut rc, &["HRANDFIELD", "h", "100"]),
        ["a", "b", "c"]
    );
    assert_eq!(
        sorted(&mut rc, &["HRANDFIELD", "h", "3", "WITHVALUES"]),
        ["1", "2", "3", "a", "b", "c"]
    );
    // Positive count: distinct fields.
    let two = sorted(&mut rc, &["HRANDFIELD", "h", "2"]);
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1]);
    // Negative count: exactly |count| fields, repetitions allowed.
    let many = sorted(&mut rc, &["HRANDFIELD", "h", "-20"]);
    assert_eq!(many.len(), 20);
    let many = sorted(&mut rc, &["HRANDFIELD", "h", "-5", "WITHVALUES"]);
    assert_eq!(many.len(), 10);
    assert_eq!(
        run(&mut c, "HRANDFIELD h 1 WITHVALUES x"),
        err("ERR syntax error")
    );
    assert_eq!(run(&mut c, "HRANDFIELD h 1 foo"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "HRANDFIELD h x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        run(&mut c, "HRANDFIELD h -9223372036854775808"),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        run(&mut c, "HRANDFIELD h -9223372036854775807 WITHVALUES"),
        err("ERR value is out of range")
    );
    // RESP3: pairs are two-element arrays.
    let mut c3 = s.raw();
    if hello3(&mut c3) {
        assert_eq!(
            run(&mut c3, "HRANDFIELD h -1 WITHVALUES").len(),
            "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n".len()
        );
        assert!(run(&mut c3, "HRANDFIELD h 3 WITHVALUES").starts_with("*3\r\n*2\r\n$1\r\n"));
    }
    // A big (hashtable) hash.
    let mut args = vec!["HSET".to_string(), "big".to_string()];
    for i in 0..1000 {
        args.push(format!("f{i}"));
        args.push(format!("v{i}"));
    }
    let mut cmd = redis::cmd("HSET");
    for a in &args[1..] {
        cmd.arg(a);
    }
    qc(&mut rc, &cmd);
    let ten = sorted(&mut rc, &["HRANDFIELD", "big", "10"]);
    let mut d = ten.clone();
    d.dedup();
    assert_eq!(d.len(), 10);
    assert_eq!(sorted(&mut rc, &["HRANDFIELD", "big", "900"]).len(), 900);
    assert_eq!(sorted(&mut rc, &["HRANDFIELD", "big", "-2000"]).len(), 2000);
}

#[test]
fn hscan() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut rc = s.conn();
    assert_eq!(run(&mut c, "HSCAN nokey 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
    // Options are checked after the key lookup, as Redis.
    assert_eq!(
        run(&mut c, "HSCAN nokey 0 COUNT 0"),
        "*2\r\n$1\r\n0\r\n*0\r\n"
    );
    assert_eq!(run(&mut c, "HSCAN h abc"), err("ERR invalid cursor"));
    // The cursor is read by strtoul: "" is 0, a sign is taken (-1 wraps), whitespace
    // first, trailing junk and overflow are not.
    for cursor in ["", "-1", "+0", "-18446744073709551615"] {
        c.cmd(&[b"HSCAN", b"nokey", cursor.as_bytes()]);
        assert_eq!(c.read_reply(), b"*2\r\n$1\r\n0\r\n*0\r\n", "{cursor:?}");
    }
    for cursor in [" 0", "0 ", "-", "18446744073709551616", "0x1", "1.0"] {
        c.cmd(&[b"HSCAN", b"nokey", cursor.as_bytes()]);
        assert_eq!(
            c.read_reply(),
            err("ERR invalid cursor").as_bytes(),
            "{cursor:?}"
        );
    }
    run(&mut c, "SET str x");
    assert_eq!(run(&mut c, "HSCAN str -1"), err(WRONGTYPE));
    run(&mut c, "HSET h a 1 b 2 ab 3");
    assert_eq!(
        run(&mut c, "HSCAN h 0"),
        "*2\r\n$1\r\n0\r\n".to_string() + &bulks(&["a", "1", "b", "2", "ab", "3"])
    );
    assert_eq!(
        run(&mut c, "HSCAN h 0 MATCH a* COUNT 1"),
        "*2\r\n$1\r\n0\r\n".to_string() + &bulks(&["a", "1", "ab", "3"])
    );
    assert_eq!(run(&mut c, "HSCAN h 0 COUNT 0"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "HSCAN h 0 COUNT x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        run(&mut c, "HSCAN h 0 TYPE string"),
        err("ERR syntax error")
    );
    assert_eq!(run(&mut c, "HSCAN h 0 MATCH"), err("ERR syntax error"));
    // A big hash: a full iteration returns every field at least once, even while the
    // hash grows between calls.
    let mut cmd = redis::cmd("HSET");
    cmd.arg("big");
    for i in 0..500 {
        cmd.arg(format!("f{i}")).arg(i);
    }
    qc(&mut rc, &cmd);
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    let mut rounds = 0;
    loop {
        let v = q(&mut rc, &["HSCAN", "big", &cursor, "COUNT", "20"]);
        let redis::Value::Array(parts) = v else {
            panic!()
        };
        let redis::Value::BulkString(cur) = &parts[0] else {
            panic!()
        };
        cursor = String::from_utf8(cur.clone()).unwrap();
        let redis::Value::Array(items) = &parts[1] else {
            panic!()
        };
        assert_eq!(items.len() % 2, 0);
        for pair in items.chunks(2) {
            if let redis::Value::BulkString(f) = &pair[0] {
                seen.insert(String::from_utf8(f.clone()).unwrap());
            }
        }
        rounds += 1;
        if rounds == 3 {
            let mut cmd = redis::cmd("HSET");
            cmd.arg("big");
            for i in 500..3000 {
                cmd.arg(format!("f{i}")).arg(i);
            }
            qc(&mut rc, &cmd);
        }
        if cursor == "0" {
            break;
        }
    }
    for i in 0..500 {
        assert!(seen.contains(&format!("f{i}")), "f{i} missing");
    }
}

#[test]
fn encodings_and_thresholds() {
    let s = TestServer::start();
    let mut c = s.raw();
    run(&mut c, "HSET small a 1");
    if encoding(&mut c, "small").is_none() {
        return; // OBJECT not available in this build.
    }
    assert_eq!(encoding(&mut c, "small").unwrap(), "listpack");
    let long = "x".repeat(65);
    run(&mut c, &format!("HSET longval a {long}"));
    assert_eq!(encoding(&mut c, "longval").unwrap(), "hashtable");
    run(&mut c, &format!("HSET longfield {long} 1"));
    assert_eq!(encoding(&mut c, "longfield").unwrap(), "hashtable");
    for i in 0..128 {
        run(&mut c, &format!("HSET many f{i} v"));
    }
    assert_eq!(encoding(&mut c, "many").unwrap(), "listpack");
    run(&mut c, "HSET many f128 v");
    assert_eq!(encoding(&mut c, "many").unwrap(), "hashtable");
    // Never converted back.
    for i in 0..128 {
        run(&mut c, &format!("HDEL many f{i}"));
    }
    run(&mut c, "HSET many a 1");
    assert_eq!(encoding(&mut c, "many").unwrap(), "hashtable");
    // HINCRBYFLOAT producing a long value converts.
    run(&mut c, "HSET inc a 1");
    run(&mut c, "CONFIG SET hash-max-listpack-value 3");
    run(&mut c, "HINCRBYFLOAT inc a 0.12345");
    assert_eq!(encoding(&mut c, "inc").unwrap(), "hashtable");
    run(&mut c, "CONFIG SET hash-max-listpack-value 64");
    run(&mut c, "CONFIG SET hash-max-listpack-entries 2");
    run(&mut c, "HSET cfg a 1 b 2");
    assert_eq!(encoding(&mut c, "cfg").unwrap(), "listpack");
    run(&mut c, "HSET cfg c 3");
    assert_eq!(encoding(&mut c, "cfg").unwrap(), "hashtable");
    run(&mut c, "HSET cfg2 a 1 b 2 c 3");
    assert_eq!(encoding(&mut c, "cfg2").unwrap(), "hashtable");
}

#[test]
fn thresholds_from_config_change_iteration_order() {
    // With listpack disabled, a 3-field hash is a table (hash order, not insertion order);
    // with it, insertion order. Observable without OBJECT ENCODING.
    let s = TestServer::start_with(&["--hash-max-listpack-entries", "0"]);
    let mut c = s.raw();
    let mut rc = s.conn();
    let mut cmd = redis::cmd("HSET");
    cmd.arg("h");
    for i in 0..50 {
        cmd.arg(format!("f{i}")).arg(i);
    }
    qc(&mut rc, &cmd);
    let keys = run(&mut c, "HKEYS h");
    let mut want: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
    let want_refs: Vec<&str> = want.iter().map(|s| s.as_str()).collect();
    assert_ne!(keys, bulks(&want_refs));
    want.sort();
    assert_eq!(sorted(&mut rc, &["HKEYS", "h"]), want);
    assert_eq!(
        run(&mut c, "CONFIG SET hash-max-listpack-entries 128"),
        "+OK\r\n"
    );
    let mut cmd2 = redis::cmd("HSET");
    cmd2.arg("h2");
    for i in 0..50 {
        cmd2.arg(format!("f{i}")).arg(i);
    }
    qc(&mut rc, &cmd2);
    let want: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
    let want_refs: Vec<&str> = want.iter().map(|s| s.as_str()).collect();
    assert_eq!(run(&mut c, "HKEYS h2"), bulks(&want_refs));
}

#[test]
fn keyspace_events() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut sub = s.raw();
    assert_eq!(
        run(&mut sub, "PSUBSCRIBE __keyevent@0__:*"),
        "*3\r\n$10\r\npsubscribe\r\n$16\r\n__keyevent@0__:*\r\n:1\r\n"
    );
    run(&mut c, "CONFIG SET notify-keyspace-events KEA");
    run(&mut c, "HSET h a 1");
    run(&mut c, "HINCRBY h n 1");
    run(&mut c, "HINCRBYFLOAT h n 1.5");
    run(&mut c, "HDEL h a n");
    let mut events = Vec::new();
    for _ in 0..5 {
        let m = String::from_utf8_lossy(&sub.read_reply()).into_owned();
        events.push(m.lines().nth(6).unwrap_or("").to_string());
    }
    assert_eq!(
        events,
        [
            "__keyevent@0__:hset",
            "__keyevent@0__:hincrby",
            "__keyevent@0__:hincrbyfloat",
            "__keyevent@0__:hdel",
            "__keyevent@0__:del"
        ]
    );
}
