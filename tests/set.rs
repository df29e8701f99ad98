//! Sets: every command, option and error against Redis 7.2's replies.

mod common;
use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// Bulk strings of an array reply to a space-separated command, sorted.
fn sorted(c: &mut redis::Connection, cmd: &str) -> Vec<String> {
    common::sorted(c, &cmd.split(' ').collect::<Vec<_>>())
}

#[test]
fn sadd_srem_scard_sismember_smismember_smembers() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut rc = s.conn();
    assert_eq!(run(&mut c, "SADD s a b c"), int(3));
    assert_eq!(run(&mut c, "SADD s a d a"), int(1));
    assert_eq!(run(&mut c, "SCARD s"), int(4));
    assert_eq!(run(&mut c, "SCARD nokey"), int(0));
    assert_eq!(run(&mut c, "SISMEMBER s b"), int(1));
    assert_eq!(run(&mut c, "SISMEMBER s zz"), int(0));
    assert_eq!(run(&mut c, "SISMEMBER nokey zz"), int(0));
    assert_eq!(
        run(&mut c, "SMISMEMBER s b zz c"),
        "*3\r\n:1\r\n:0\r\n:1\r\n"
    );
    assert_eq!(run(&mut c, "SMISMEMBER nokey a b"), "*2\r\n:0\r\n:0\r\n");
    // Small sets keep insertion order (listpack); integer sets are sorted (intset).
    assert_eq!(run(&mut c, "SMEMBERS s"), bulks(&["a", "b", "c", "d"]));
    assert_eq!(run(&mut c, "SADD i 3 1 2 -5 100000 9999999999"), int(6));
    assert_eq!(
        run(&mut c, "SMEMBERS i"),
        bulks(&["-5", "1", "2", "3", "100000", "9999999999"])
    );
    assert_eq!(run(&mut c, "SREM i 3 x 3"), int(1));
    assert_eq!(run(&mut c, "SADD i x"), int(1));
    assert_eq!(
        sorted(&mut rc, "SMEMBERS i"),
        ["-5", "1", "100000", "2", "9999999999", "x"]
    );
    assert_eq!(run(&mut c, "SMEMBERS nokey"), "*0\r\n");
    assert_eq!(run(&mut c, "SREM s a zz"), int(1));
    assert_eq!(run(&mut c, "SREM s zz"), int(0));
    assert_eq!(run(&mut c, "SREM nokey a"), int(0));
    assert_eq!(run(&mut c, "SREM s b c d"), int(3));
    // Empty sets are deleted.
    assert_eq!(run(&mut c, "SET s x"), "+OK\r\n");
    assert_eq!(
        run(&mut c, "SADD s"),
        err("ERR wrong number of arguments for 'sadd' command")
    );
}

#[test]
fn resp3_set_replies() {
    let s = TestServer::start();
    let mut c = s.raw();
    if !hello3(&mut c) {
        return;
    }
    run(&mut c, "SADD s a b");
    assert_eq!(run(&mut c, "SMEMBERS s"), "~2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(run(&mut c, "SMEMBERS nokey"), "~0\r\n");
    assert_eq!(run(&mut c, "SINTER nokey s"), "~0\r\n");
    assert_eq!(run(&mut c, "SUNION nokey"), "~0\r\n");
    assert_eq!(run(&mut c, "SPOP nokey 5"), "~0\r\n");
    assert_eq!(run(&mut c, "SPOP s 0"), "~0\r\n");
    assert_eq!(run(&mut c, "SPOP nokey"), "_\r\n");
    assert!(run(&mut c, "SPOP s 1").starts_with("~1\r\n"));
    assert!(run(&mut c, "SRANDMEMBER s 5").starts_with("*1\r\n"));
}

#[test]
fn wrongtype_everywhere() {
    let s = TestServer::start();
    let mut c = s.raw();
    run(&mut c, "SET str x");
    run(&mut c, "SADD s a");
    for cmd in [
        "SADD str a",
        "SREM str a",
        "SCARD str",
        "SISMEMBER str a",
        "SMISMEMBER str a",
        "SMEMBERS str",
        "SRANDMEMBER str",
        "SRANDMEMBER str 2",
        "SPOP str",
        "SPOP str 2",
        "SMOVE str s a",
        "SMOVE s str a",
        "SINTER s str",
        "SINTER nokey str",
        "SINTERCARD 2 nokey str",
        "SINTERSTORE d s str",
        "SUNION s str",
        "SUNIONSTORE d s str",
        "SDIFF s str",
        "SDIFF nokey str",
        "SDIFFSTORE d s str",
        "SSCAN str 0",
    ] {
        assert_eq!(run(&mut c, cmd), err(WRONGTYPE), "{cmd}");
    }
    // SMOVE from a missing source answers 0 before looking at the destination's type.
    assert_eq!(run(&mut c, "SMOVE nokey str a"), int(0));
    // A *STORE overwrites a destination of another type.
    assert_eq!(run(&mut c, "SUNIONSTORE str s"), int(1));
    assert_eq!(run(&mut c, "SMEMBERS str"), bulks(&["a"]));
}

#[test]
fn srandmember() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut rc = s.conn();
    assert_eq!(run(&mut c, "SRANDMEMBER nokey"), "$-1\r\n");
    assert_eq!(run(&mut c, "SRANDMEMBER nokey 5"), "*0\r\n");
    assert_eq!(run(&mut c, "SRANDMEMBER nokey -5"), "*0\r\n");
    run(&mut c, "SADD s a b c");
    assert_eq!(run(&mut c, "SRANDMEMBER s 0"), "*0\r\n");
    assert!([bulk("a"), bulk("b"), bulk("c")].contains(&run(&mut c, "SRANDMEMBER s")));
    assert_eq!(sorted(&mut rc, "SRANDMEMBER s 10"), ["a", "b", "c"]);
    let two = sorted(&mut rc, "SRANDMEMBER s 2");
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1]);
    assert_eq!(sorted(&mut rc, "SRANDMEMBER s -10").len(), 10);
    assert_eq!(run(&mut c, "SRANDMEMBER s 1 2"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "SRANDMEMBER s x"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        run(&mut c, "SRANDMEMBER s -9223372036854775808"),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    // Integer set and a big set.
    run(&mut c, "SADD i 1 2 3");
    assert_eq!(sorted(&mut rc, "SRANDMEMBER i 3"), ["1", "2", "3"]);
    let mut cmd = redis::cmd("SADD");
    cmd.arg("big");
    for i in 0..1000 {
        cmd.arg(format!("m{i}"));
    }
    qc(&mut rc, &cmd);
    let mut ten = sorted(&mut rc, "SRANDMEMBER big 10");
    ten.dedup();
    assert_eq!(ten.len(), 10);
    let mut many = sorted(&mut rc, "SRANDMEMBER big 800");
    many.dedup();
    assert_eq!(many.len(), 800);
}

#[test]
fn spop() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut rc = s.conn();
    assert_eq!(run(&mut c, "SPOP nokey"), "$-1\r\n");
    assert_eq!(run(&mut c, "SPOP nokey 3"), "*0\r\n");
    run(&mut c, "SADD s a b c d e");
    assert_eq!(run(&mut c, "SPOP s 0"), "*0\r\n");
    assert_eq!(
        run(&mut c, "SPOP s -1"),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(
        run(&mut c, "SPOP s x"),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(run(&mut c, "SPOP s 1 2"), err("ERR syntax error"));
    let one = run(&mut c, "SPOP s");
    assert_eq!(run(&mut c, "SCARD s"), int(4));
    let two = sorted(&mut rc, "SPOP s 2");
    assert_eq!(two.len(), 2);
    assert_eq!(run(&mut c, "SCARD s"), int(2));
    let rest = sorted(&mut rc, "SPOP s 10");
    assert_eq!(rest.len(), 2);
    let mut all: Vec<String> = two.into_iter().chain(rest).collect();
    all.push(one.lines().nth(1).unwrap().to_string());
    all.sort();
    assert_eq!(all, ["a", "b", "c", "d", "e"]);
    // Popping everything deletes the key.
    assert_eq!(run(&mut c, "SET s x"), "+OK\r\n");
    run(&mut c, "SADD one x");
    assert_eq!(run(&mut c, "SPOP one"), bulk("x"));
    assert_eq!(run(&mut c, "SET one y"), "+OK\r\n");
    // Big set.
    let mut cmd = redis::cmd("SADD");
    cmd.arg("big");
    for i in 0..1000 {
        cmd.arg(i);
    }
    qc(&mut rc, &cmd);
    let mut p = sorted(&mut rc, "SPOP big 300");
    p.dedup();
    assert_eq!(p.len(), 300);
    assert_eq!(run(&mut c, "SCARD big"), int(700));
}

#[test]
fn smove() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut rc = s.conn();
    run(&mut c, "SADD s1 a b c");
    run(&mut c, "SADD s2 c d");
    assert_eq!(run(&mut c, "SMOVE s1 s2 a"), int(1));
    assert_eq!(run(&mut c, "SMOVE s1 s2 zz"), int(0));
    assert_eq!(run(&mut c, "SMOVE s1 s2 c"), int(1));
    assert_eq!(sorted(&mut rc, "SMEMBERS s2"), ["a", "c", "d"]);
    assert_eq!(run(&mut c, "SMEMBERS s1"), bulks(&["b"]));
    assert_eq!(run(&mut c, "SMOVE nokey s2 a"), int(0));
    assert_eq!(run(&mut c, "SMOVE s1 s1 b"), int(1));
    assert_eq!(run(&mut c, "SMOVE s1 s1 zz"), int(0));
    assert_eq!(run(&mut c, "SMOVE s1 newset b"), int(1));
    assert_eq!(run(&mut c, "SMEMBERS newset"), bulks(&["b"]));
    // The emptied source is deleted.
    assert_eq!(run(&mut c, "SET s1 x"), "+OK\r\n");
    assert_eq!(run(&mut c, "SMOVE s1 s2 a"), err(WRONGTYPE));
}

#[test]
fn inter_union_diff() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut rc = s.conn();
    run(&mut c, "SADD s1 a b c d");
    run(&mut c, "SADD s2 c d e");
    run(&mut c, "SADD s3 d e f");
    assert_eq!(sorted(&mut rc, "SINTER s1 s2"), ["c", "d"]);
    assert_eq!(sorted(&mut rc, "SINTER s1 s2 s3"), ["d"]);
    assert_eq!(sorted(&mut rc, "SINTER s1"), ["a", "b", "c", "d"]);
    assert_eq!(run(&mut c, "SINTER s1 nokey"), "*0\r\n");
    assert_eq!(
        sorted(&mut rc, "SUNION s1 s2 nokey s3"),
        ["a", "b", "c", "d", "e", "f"]
    );
    assert_eq!(sorted(&mut rc, "SDIFF s1 s2"), ["a", "b"]);
    assert_eq!(sorted(&mut rc, "SDIFF s1 s2 s3"), ["a", "b"]);
    assert_eq!(sorted(&mut rc, "SDIFF s1 nokey"), ["a", "b", "c", "d"]);
    assert_eq!(run(&mut c, "SDIFF nokey s1"), "*0\r\n");
    assert_eq!(run(&mut c, "SDIFF s1 s1"), "*0\r\n");
    // SINTERCARD
    assert_eq!(run(&mut c, "SINTERCARD 2 s1 s2"), int(2));
    assert_eq!(run(&mut c, "SINTERCARD 2 s1 s2 LIMIT 1"), int(1));
    assert_eq!(run(&mut c, "SINTERCARD 2 s1 s2 LIMIT 0"), int(2));
    assert_eq!(run(&mut c, "SINTERCARD 2 s1 nokey"), int(0));
    assert_eq!(
        run(&mut c, "SINTERCARD 0 s1"),
        err("ERR numkeys should be greater than 0")
    );
    assert_eq!(
        run(&mut c, "SINTERCARD x s1"),
        err("ERR numkeys should be greater than 0")
    );
    assert_eq!(
        run(&mut c, "SINTERCARD 3 s1 s2"),
        err("ERR Number of keys can't be greater than number of args")
    );
    assert_eq!(
        run(&mut c, "SINTERCARD 1 s1 LIMIT -1"),
        err("ERR LIMIT can't be negative")
    );
    assert_eq!(
        run(&mut c, "SINTERCARD 1 s1 LIMIT x"),
        err("ERR LIMIT can't be negative")
    );
    assert_eq!(run(&mut c, "SINTERCARD 1 s1 FOO"), err("ERR syntax error"));
    assert_eq!(
        run(&mut c, "SINTERCARD 1 s1 LIMIT"),
        err("ERR syntax error")
    );
    // *STORE
    assert_eq!(run(&mut c, "SINTERSTORE d s1 s2"), int(2));
    assert_eq!(sorted(&mut rc, "SMEMBERS d"), ["c", "d"]);
    assert_eq!(run(&mut c, "SINTERSTORE d s1 nokey"), int(0));
    assert_eq!(run(&mut c, "SET d x"), "+OK\r\n"); // d was deleted
    assert_eq!(run(&mut c, "SUNIONSTORE d s1 s2"), int(5));
    assert_eq!(sorted(&mut rc, "SMEMBERS d"), ["a", "b", "c", "d", "e"]);
    assert_eq!(run(&mut c, "SDIFFSTORE d s1 s2"), int(2));
    assert_eq!(sorted(&mut rc, "SMEMBERS d"), ["a", "b"]);
    assert_eq!(run(&mut c, "SDIFFSTORE d s1 s1"), int(0));
    assert_eq!(run(&mut c, "SCARD d"), int(0));
    // The destination may be a source.
    assert_eq!(run(&mut c, "SUNIONSTORE s1 s1 s3"), int(6));
    assert_eq!(
        sorted(&mut rc, "SMEMBERS s1"),
        ["a", "b", "c", "d", "e", "f"]
    );
    // A *STORE resets the TTL-less key to the new value.
    run(&mut c, "SET k v EX 100");
    assert_eq!(run(&mut c, "SINTERSTORE k s1"), int(6));
    // Integer results keep the intset order.
    run(&mut c, "SADD n1 5 3 1");
    run(&mut c, "SADD n2 3 5 7");
    assert_eq!(run(&mut c, "SINTERSTORE n n1 n2"), int(2));
    assert_eq!(run(&mut c, "SMEMBERS n"), bulks(&["3", "5"]));
}

#[test]
fn sscan() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut rc = s.conn();
    assert_eq!(run(&mut c, "SSCAN nokey 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(run(&mut c, "SSCAN nokey x"), err("ERR invalid cursor"));
    run(&mut c, "SADD s a b ab");
    // strtoul cursors: "" is 0 and -1 wraps; a small set is returned whole whatever
    // the cursor.
    c.cmd(&[b"SSCAN", b"s", b""]);
    assert_eq!(
        String::from_utf8(c.read_reply()).unwrap(),
        "*2\r\n$1\r\n0\r\n".to_string() + &bulks(&["a", "b", "ab"])
    );
    assert_eq!(
        run(&mut c, "SSCAN s -1"),
        "*2\r\n$1\r\n0\r\n".to_string() + &bulks(&["a", "b", "ab"])
    );
    assert_eq!(run(&mut c, "SSCAN s 1x"), err("ERR invalid cursor"));
    assert_eq!(
        run(&mut c, "SSCAN s 0"),
        "*2\r\n$1\r\n0\r\n".to_string() + &bulks(&["a", "b", "ab"])
    );
    assert_eq!(
        run(&mut c, "SSCAN s 0 MATCH a*"),
        "*2\r\n$1\r\n0\r\n".to_string() + &bulks(&["a", "ab"])
    );
    assert_eq!(run(&mut c, "SSCAN s 0 COUNT 0"), err("ERR syntax error"));
    assert_eq!(run(&mut c, "SSCAN s 0 FOO bar"), err("ERR syntax error"));
    let mut cmd = redis::cmd("SADD");
    cmd.arg("big");
    for i in 0..1000 {
        cmd.arg(format!("m{i}"));
    }
    qc(&mut rc, &cmd);
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    let mut rounds = 0;
    loop {
        let redis::Value::Array(parts) = q(&mut rc, &["SSCAN", "big", &cursor]) else {
            panic!()
        };
        let redis::Value::BulkString(cur) = &parts[0] else {
            panic!()
        };
        cursor = String::from_utf8(cur.clone()).unwrap();
        let redis::Value::Array(items) = &parts[1] else {
            panic!()
        };
        for m in items {
            if let redis::Value::BulkString(m) = m {
                seen.insert(String::from_utf8(m.clone()).unwrap());
            }
        }
        rounds += 1;
        if rounds == 5 {
            // Shrink and grow during the scan: members present all along still show up.
            for i in 1000..5000 {
                q(&mut rc, &["SADD", "big", &format!("m{i}")]);
            }
        }
        if cursor == "0" {
            break;
        }
    }
    for i in 0..1000 {
        assert!(seen.contains(&format!("m{i}")), "m{i} missing");
    }
}

#[test]
fn encodings_and_thresholds() {
    let s = TestServer::start();
    let mut c = s.raw();
    run(&mut c, "SADD i 1 2 3");
    if encoding(&mut c, "i").is_none() {
        return;
    }
    assert_eq!(encoding(&mut c, "i").unwrap(), "intset");
    run(&mut c, "SADD i a");
    assert_eq!(encoding(&mut c, "i").unwrap(), "listpack");
    run(&mut c, "SADD l a b");
    assert_eq!(encoding(&mut c, "l").unwrap(), "listpack");
    run(&mut c, &format!("SADD l {}", "x".repeat(65)));
    assert_eq!(encoding(&mut c, "l").unwrap(), "hashtable");
    // intset beyond set-max-intset-entries -> hashtable
    let mut rc = s.conn();
    let mut cmd = redis::cmd("SADD");
    cmd.arg("bigint");
    for i in 0..512 {
        cmd.arg(i);
    }
    qc(&mut rc, &cmd);
    assert_eq!(encoding(&mut c, "bigint").unwrap(), "intset");
    run(&mut c, "SADD bigint 512");
    assert_eq!(encoding(&mut c, "bigint").unwrap(), "hashtable");
    // 129 strings -> hashtable at creation
    let mut cmd = redis::cmd("SADD");
    cmd.arg("many");
    for i in 0..129 {
        cmd.arg(format!("m{i}"));
    }
    qc(&mut rc, &cmd);
    assert_eq!(encoding(&mut c, "many").unwrap(), "hashtable");
    // Thresholds follow CONFIG SET.
    run(&mut c, "CONFIG SET set-max-listpack-entries 2");
    run(&mut c, "SADD c a b");
    assert_eq!(encoding(&mut c, "c").unwrap(), "listpack");
    run(&mut c, "SADD c d");
    assert_eq!(encoding(&mut c, "c").unwrap(), "hashtable");
    run(&mut c, "CONFIG SET set-max-intset-entries 2");
    run(&mut c, "SADD ci 1 2");
    assert_eq!(encoding(&mut c, "ci").unwrap(), "intset");
    run(&mut c, "SADD ci 3");
    assert_eq!(encoding(&mut c, "ci").unwrap(), "hashtable");
    // Never back.
    run(&mut c, "SREM ci 1 2");
    assert_eq!(encoding(&mut c, "ci").unwrap(), "hashtable");
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
    run(&mut c, "SADD s a b");
    run(&mut c, "SREM s a");
    run(&mut c, "SMOVE s t b");
    run(&mut c, "SADD u 1 2");
    run(&mut c, "SPOP u");
    run(&mut c, "SINTERSTORE d t");
    run(&mut c, "SUNIONSTORE d t");
    run(&mut c, "SDIFFSTORE d t t");
    let want = [
        "sadd",
        "srem",
        "srem",
        "del",
        "sadd",
        "sadd",
        "spop",
        "sinterstore",
        "sunionstore",
        "del",
    ];
    for w in want {
        let m = String::from_utf8_lossy(&sub.read_reply()).into_owned();
        assert_eq!(
            m.lines().nth(6).unwrap_or(""),
            format!("__keyevent@0__:{w}")
        );
    }
}

#[test]
fn watch_sees_only_real_changes() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut other = s.raw();
    run(&mut c, "SADD s a");
    run(&mut c, "HSET h a 1");
    // A no-op write doesn't touch the key.
    run(&mut c, "WATCH s h");
    assert_eq!(run(&mut other, "SREM s zz"), int(0));
    assert_eq!(run(&mut other, "HDEL h zz"), int(0));
    assert_eq!(run(&mut other, "SADD s a"), int(0));
    run(&mut c, "MULTI");
    run(&mut c, "PING");
    assert_eq!(run(&mut c, "EXEC"), "*1\r\n+PONG\r\n");
    // A real change aborts the transaction.
    for change in ["SADD s b", "HSET h b 2", "SPOP s", "PFADD s x"] {
        run(&mut c, "WATCH s h");
        let r = run(&mut other, change);
        run(&mut c, "MULTI");
        run(&mut c, "PING");
        let exec = run(&mut c, "EXEC");
        if r.starts_with('-') {
            assert_eq!(exec, "*1\r\n+PONG\r\n", "{change}");
        } else {
            assert_eq!(exec, "*-1\r\n", "{change}");
        }
    }
}
