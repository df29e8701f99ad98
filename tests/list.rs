//! Lists: every command, option and error, with replies recorded from a real Redis
//! (RESP2 and RESP3 shapes), plus large lists that span many nodes.

mod common;
use common::*;

/// Runs `(command line, exact reply bytes)` pairs in order on one connection.
fn run_table(r: &mut Raw, table: &[(&str, &[u8])]) {
    for (cmd, want) in table {
        let args: Vec<&[u8]> = cmd.split(' ').map(|a| a.as_bytes()).collect();
        r.cmd(&args);
        let got = r.read_reply();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "reply to {cmd:?}"
        );
    }
}

#[test]
fn every_command_matches_redis_resp2() {
    let s = TestServer::start();
    let mut r = s.raw();
    run_table(&mut r, RESP2);
}

#[test]
fn null_shapes_resp3() {
    let s = TestServer::start();
    let mut r = s.raw();
    r.cmd(&[b"HELLO", b"3"]);
    let hello = r.read_reply();
    if hello.starts_with(b"-") {
        // HELLO lives in another family; without it there is no RESP3 to test.
        eprintln!("HELLO not available: skipping RESP3 shapes");
        return;
    }
    run_table(&mut r, RESP3);
}

#[test]
fn long_lists_span_many_nodes() {
    let s = TestServer::start();
    let mut c = s.conn();
    let n = 20_000;
    let mut model: Vec<String> = Vec::new();
    for chunk in 0..(n / 1000) {
        let mut cmd = redis::cmd("RPUSH");
        cmd.arg("big");
        for i in 0..1000 {
            let v = format!("element:{}", chunk * 1000 + i);
            cmd.arg(&v);
            model.push(v);
        }
        qc(&mut c, &cmd);
    }
    let get = |c: &mut redis::Connection, args: &[&str]| q(c, args);
    assert_eq!(get(&mut c, &["LLEN", "big"]), redis::Value::Int(n as i64));
    for i in [0usize, 1, 4999, 10_000, 19_999] {
        assert_eq!(
            get(&mut c, &["LINDEX", "big", &i.to_string()]),
            redis::Value::BulkString(model[i].clone().into_bytes())
        );
    }
    assert_eq!(
        get(&mut c, &["LINDEX", "big", "-20000"]),
        redis::Value::BulkString(model[0].clone().into_bytes())
    );
    let range = get(&mut c, &["LRANGE", "big", "9990", "10009"]);
    let want: Vec<redis::Value> = model[9990..10010]
        .iter()
        .map(|v| redis::Value::BulkString(v.clone().into_bytes()))
        .collect();
    assert_eq!(range, redis::Value::Array(want));
    // Edits in the middle.
    assert_eq!(
        get(
            &mut c,
            &["LINSERT", "big", "BEFORE", "element:12345", "new"]
        ),
        redis::Value::Int(n as i64 + 1)
    );
    model.insert(12345, "new".into());
    assert_eq!(
        get(&mut c, &["LSET", "big", "777", "set"]),
        redis::Value::Okay
    );
    model[777] = "set".into();
    assert_eq!(
        get(&mut c, &["LPOS", "big", "new"]),
        redis::Value::Int(12345)
    );
    assert_eq!(
        get(&mut c, &["LREM", "big", "0", "element:19999"]),
        redis::Value::Int(1)
    );
    model.pop();
    assert_eq!(
        get(&mut c, &["LTRIM", "big", "100", "-101"]),
        redis::Value::Okay
    );
    let model: Vec<String> = model[100..model.len() - 100].to_vec();
    let all = get(&mut c, &["LRANGE", "big", "0", "-1"]);
    let want: Vec<redis::Value> = model
        .iter()
        .map(|v| redis::Value::BulkString(v.clone().into_bytes()))
        .collect();
    assert_eq!(all, redis::Value::Array(want));
    // Pops from both ends drain it; the key goes away.
    let mut left = model.len();
    while left > 0 {
        let k = left.min(777);
        let v = get(&mut c, &["RPOP", "big", &k.to_string()]);
        assert!(matches!(v, redis::Value::Array(ref a) if a.len() == k));
        left -= k;
    }
    assert_eq!(get(&mut c, &["DEL", "big"]), redis::Value::Int(0));
}

#[test]
fn big_elements_and_binary_values() {
    let s = TestServer::start();
    let mut c = s.conn();
    let big = vec![b'x'; 100_000];
    let bin: Vec<u8> = (0..=255u8).collect();
    qc(
        &mut c,
        redis::cmd("RPUSH").arg("k").arg(&big).arg(&bin).arg(""),
    );
    assert_eq!(
        q(&mut c, &["LINDEX", "k", "0"]),
        redis::Value::BulkString(big.clone())
    );
    assert_eq!(
        q(&mut c, &["LINDEX", "k", "1"]),
        redis::Value::BulkString(bin.clone())
    );
    assert_eq!(
        q(&mut c, &["LINDEX", "k", "2"]),
        redis::Value::BulkString(vec![])
    );
    assert_eq!(
        qc(&mut c, redis::cmd("LPOS").arg("k").arg(&bin)),
        redis::Value::Int(1)
    );
    assert_eq!(
        q(&mut c, &["CONFIG", "SET", "list-max-listpack-size", "2"]),
        redis::Value::Okay
    );
    qc(
        &mut c,
        redis::cmd("LPUSH").arg("k").arg("a").arg("b").arg("c"),
    );
    assert_eq!(q(&mut c, &["LLEN", "k"]), redis::Value::Int(6));
    assert_eq!(
        q(&mut c, &["LRANGE", "k", "0", "2"]),
        redis::Value::Array(vec![
            redis::Value::BulkString(b"c".to_vec()),
            redis::Value::BulkString(b"b".to_vec()),
            redis::Value::BulkString(b"a".to_vec()),
        ])
    );
}

const RESP2: &[(&str, &[u8])] = &[
    ("LPUSH l a b c", b":3\r\n"),
    ("RPUSH l d e", b":5\r\n"),
    ("LRANGE l 0 -1", b"*5\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\ne\r\n"),
    ("LPUSHX nokey a", b":0\r\n"),
    ("RPUSHX nokey a", b":0\r\n"),
    ("DEL nokey", b":0\r\n"),
    ("LPUSHX l x", b":6\r\n"),
    ("RPUSHX l y z", b":8\r\n"),
    ("LLEN l", b":8\r\n"),
    ("LLEN nokey", b":0\r\n"),
    ("LINDEX l 0", b"$1\r\nx\r\n"),
    ("LINDEX l -1", b"$1\r\nz\r\n"),
    ("LINDEX l 100", b"$-1\r\n"),
    ("LINDEX l -100", b"$-1\r\n"),
    ("LINDEX l x", b"-ERR value is not an integer or out of range\r\n"),
    ("LINDEX nokey x", b"$-1\r\n"),
    ("LSET l 0 X", b"+OK\r\n"),
    ("LSET l -1 Z", b"+OK\r\n"),
    ("LSET l 100 a", b"-ERR index out of range\r\n"),
    ("LSET l x a", b"-ERR value is not an integer or out of range\r\n"),
    ("LSET nokey 0 a", b"-ERR no such key\r\n"),
    ("LRANGE l 0 -1", b"*8\r\n$1\r\nX\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\ny\r\n$1\r\nZ\r\n"),
    ("LRANGE l -3 -2", b"*2\r\n$1\r\ne\r\n$1\r\ny\r\n"),
    ("LRANGE l 5 2", b"*0\r\n"),
    ("LRANGE l -100 100", b"*8\r\n$1\r\nX\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\ny\r\n$1\r\nZ\r\n"),
    ("LRANGE l 100 200", b"*0\r\n"),
    ("LRANGE nokey 0 -1", b"*0\r\n"),
    ("LRANGE l a 1", b"-ERR value is not an integer or out of range\r\n"),
    ("LPOP l", b"$1\r\nX\r\n"),
    ("RPOP l", b"$1\r\nZ\r\n"),
    ("LPOP l 2", b"*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
    ("RPOP l 2", b"*2\r\n$1\r\ny\r\n$1\r\ne\r\n"),
    ("LPOP l 0", b"*0\r\n"),
    ("LPOP nokey", b"$-1\r\n"),
    ("LPOP nokey 0", b"*-1\r\n"),
    ("LPOP nokey 2", b"*-1\r\n"),
    ("LPOP l -1", b"-ERR value is out of range, must be positive\r\n"),
    ("LPOP l x", b"-ERR value is out of range, must be positive\r\n"),
    ("LPOP l 1 2", b"-ERR wrong number of arguments for 'lpop' command\r\n"),
    ("RPOP l 100", b"*2\r\n$1\r\nd\r\n$1\r\na\r\n"),
    ("DEL l", b":0\r\n"),
    ("RPUSH t 1 2 3 4 5 6", b":6\r\n"),
    ("LTRIM t 1 -2", b"+OK\r\n"),
    ("LRANGE t 0 -1", b"*4\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n"),
    ("LTRIM t -100 100", b"+OK\r\n"),
    ("LTRIM t 2 1", b"+OK\r\n"),
    ("DEL t", b":0\r\n"),
    ("LTRIM nokey 0 1", b"+OK\r\n"),
    ("LTRIM t a 1", b"-ERR value is not an integer or out of range\r\n"),
    ("RPUSH i a b c", b":3\r\n"),
    ("LINSERT i BEFORE b x", b":4\r\n"),
    ("LINSERT i after c y", b":5\r\n"),
    ("LINSERT i AFTER nope y", b":-1\r\n"),
    ("LINSERT nokey AFTER a b", b":0\r\n"),
    ("LINSERT i middle a b", b"-ERR syntax error\r\n"),
    ("LRANGE i 0 -1", b"*5\r\n$1\r\na\r\n$1\r\nx\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\ny\r\n"),
    ("RPUSH r a b a c a b a", b":7\r\n"),
    ("LREM r 2 a", b":2\r\n"),
    ("LRANGE r 0 -1", b"*5\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\na\r\n"),
    ("LREM r -1 a", b":1\r\n"),
    ("LRANGE r 0 -1", b"*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n"),
    ("LREM r 0 b", b":2\r\n"),
    ("LREM r 0 zz", b":0\r\n"),
    ("LREM r x a", b"-ERR value is not an integer or out of range\r\n"),
    ("LREM nokey 1 a", b":0\r\n"),
    ("LRANGE r 0 -1", b"*2\r\n$1\r\nc\r\n$1\r\na\r\n"),
    ("RPUSH p a b c a b c a", b":7\r\n"),
    ("LPOS p a", b":0\r\n"),
    ("LPOS p a RANK 2", b":3\r\n"),
    ("LPOS p a RANK -1", b":6\r\n"),
    ("LPOS p a RANK -2", b":3\r\n"),
    ("LPOS p a COUNT 0", b"*3\r\n:0\r\n:3\r\n:6\r\n"),
    ("LPOS p a COUNT 2", b"*2\r\n:0\r\n:3\r\n"),
    ("LPOS p a RANK -1 COUNT 0", b"*3\r\n:6\r\n:3\r\n:0\r\n"),
    ("LPOS p a RANK 2 COUNT 0 MAXLEN 4", b"*1\r\n:3\r\n"),
    ("LPOS p a MAXLEN 1", b":0\r\n"),
    ("LPOS p a RANK -1 MAXLEN 1", b":6\r\n"),
    ("LPOS p zz", b"$-1\r\n"),
    ("LPOS p zz COUNT 3", b"*0\r\n"),
    ("LPOS nokey a", b"$-1\r\n"),
    ("LPOS nokey a COUNT 1", b"*0\r\n"),
    ("LPOS p a RANK 0", b"-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"),
    ("LPOS p a RANK x", b"-ERR value is not an integer or out of range\r\n"),
    ("LPOS p a COUNT -1", b"-ERR COUNT can't be negative\r\n"),
    ("LPOS p a MAXLEN -1", b"-ERR MAXLEN can't be negative\r\n"),
    // COUNT and MAXLEN give their own message for a non-integer too.
    ("LPOS p a COUNT x", b"-ERR COUNT can't be negative\r\n"),
    ("LPOS p a MAXLEN 1.5", b"-ERR MAXLEN can't be negative\r\n"),
    ("LPOS p a FOO 1", b"-ERR syntax error\r\n"),
    ("LPOS p a RANK", b"-ERR syntax error\r\n"),
    ("LPOS p a RANK 9223372036854775807", b"$-1\r\n"),
    // Redis 7.2 (7.0 overflowed here).
    ("LPOS p a RANK -9223372036854775808", b"-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"),
    ("RPUSH m1 a b c", b":3\r\n"),
    ("LMOVE m1 m2 LEFT RIGHT", b"$1\r\na\r\n"),
    ("LMOVE m1 m2 RIGHT LEFT", b"$1\r\nc\r\n"),
    ("LRANGE m2 0 -1", b"*2\r\n$1\r\nc\r\n$1\r\na\r\n"),
    ("LMOVE m1 m1 LEFT RIGHT", b"$1\r\nb\r\n"),
    ("LMOVE m1 m2 LEFT LEFT", b"$1\r\nb\r\n"),
    ("DEL m1", b":0\r\n"),
    ("LMOVE m1 m2 LEFT LEFT", b"$-1\r\n"),
    ("LMOVE m2 m2 UP LEFT", b"-ERR syntax error\r\n"),
    ("RPOPLPUSH m2 m3", b"$1\r\na\r\n"),
    ("LRANGE m3 0 -1", b"*1\r\n$1\r\na\r\n"),
    ("SET s str", b"+OK\r\n"),
    ("LPUSH s a", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("LMOVE m2 s LEFT LEFT", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("LMOVE s m2 LEFT LEFT", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("LRANGE m2 0 -1", b"*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
    ("LLEN s", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("RPUSH mp1 a b c d", b":4\r\n"),
    ("LMPOP 2 nokey mp1 LEFT", b"*2\r\n$3\r\nmp1\r\n*1\r\n$1\r\na\r\n"),
    ("LMPOP 2 nokey mp1 RIGHT COUNT 2", b"*2\r\n$3\r\nmp1\r\n*2\r\n$1\r\nd\r\n$1\r\nc\r\n"),
    ("LMPOP 2 nokey mp1 RIGHT COUNT 10", b"*2\r\n$3\r\nmp1\r\n*1\r\n$1\r\nb\r\n"),
    ("LMPOP 1 nokey LEFT", b"*-1\r\n"),
    ("LMPOP 2 nokey s LEFT", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("LMPOP 0 a LEFT", b"-ERR numkeys should be greater than 0\r\n"),
    ("LMPOP x a LEFT", b"-ERR numkeys should be greater than 0\r\n"),
    ("LMPOP 5 a LEFT", b"-ERR syntax error\r\n"),
    ("LMPOP 1 a MIDDLE", b"-ERR syntax error\r\n"),
    ("LMPOP 1 a LEFT COUNT 0", b"-ERR count should be greater than 0\r\n"),
    ("LMPOP 1 a LEFT COUNT 1 COUNT 2", b"-ERR syntax error\r\n"),
    ("LMPOP 1 a LEFT FOO", b"-ERR syntax error\r\n"),
    ("RPUSH b1 x y", b":2\r\n"),
    ("BLPOP nokey b1 0", b"*2\r\n$2\r\nb1\r\n$1\r\nx\r\n"),
    ("BRPOP nokey b1 0.5", b"*2\r\n$2\r\nb1\r\n$1\r\ny\r\n"),
    ("BLPOP nokey -1", b"-ERR timeout is negative\r\n"),
    ("BLPOP nokey abc", b"-ERR timeout is not a float or out of range\r\n"),
    ("BLPOP s 0", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("RPUSH mp2 a b c", b":3\r\n"),
    ("BLMPOP 0 1 mp2 LEFT", b"*2\r\n$3\r\nmp2\r\n*1\r\n$1\r\na\r\n"),
    ("BLMPOP 0 2 nokey mp2 RIGHT COUNT 5", b"*2\r\n$3\r\nmp2\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
    ("BLMPOP -1 0 k LEFT", b"-ERR numkeys should be greater than 0\r\n"),
    ("BLMPOP 1 1 k MID", b"-ERR syntax error\r\n"),
    ("BLMPOP x 1 k LEFT", b"-ERR timeout is not a float or out of range\r\n"),
    ("BLMPOP 0 1 s LEFT", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("RPUSH bm a b", b":2\r\n"),
    ("BLMOVE bm bm2 RIGHT LEFT 0", b"$1\r\nb\r\n"),
    ("BRPOPLPUSH bm bm2 0", b"$1\r\na\r\n"),
    ("LRANGE bm2 0 -1", b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    ("BLMOVE bm bm2 UP LEFT 0", b"-ERR syntax error\r\n"),
    ("BLMOVE bm bm2 LEFT LEFT x", b"-ERR timeout is not a float or out of range\r\n"),
    ("BLMOVE s bm2 LEFT LEFT 0", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("RPUSH bm x", b":1\r\n"),
    ("BLMOVE bm s LEFT LEFT 0", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("LRANGE bm 0 -1", b"*1\r\n$1\r\nx\r\n"),
    ("BLPOP s nokey 0", b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("LPUSH", b"-ERR wrong number of arguments for 'lpush' command\r\n"),
    ("LPOP", b"-ERR wrong number of arguments for 'lpop' command\r\n"),
    ("LPOS p", b"-ERR wrong number of arguments for 'lpos' command\r\n"),
    ("LINSERT i BEFORE a", b"-ERR wrong number of arguments for 'linsert' command\r\n"),
];

const RESP3: &[(&str, &[u8])] = &[
    ("RPUSH l a b", b":2\r\n"),
    ("LPOP nokey", b"_\r\n"),
    ("LPOP nokey 0", b"_\r\n"),
    ("LPOP nokey 2", b"_\r\n"),
    ("LPOP l 0", b"*0\r\n"),
    ("LPOP l 1", b"*1\r\n$1\r\na\r\n"),
    ("RPOP nokey", b"_\r\n"),
    ("LINDEX nokey 0", b"_\r\n"),
    ("LINDEX l 5", b"_\r\n"),
    ("LPOS nokey a", b"_\r\n"),
    ("LPOS nokey a COUNT 0", b"*0\r\n"),
    ("LPOS l zz", b"_\r\n"),
    ("LMPOP 1 nokey LEFT", b"_\r\n"),
    ("LMOVE nokey l LEFT LEFT", b"_\r\n"),
    ("BLPOP l 0", b"*2\r\n$1\r\nl\r\n$1\r\nb\r\n"),
];

#[test]
fn inside_multi() {
    let s = TestServer::start();
    let mut r = s.raw();
    run_table(
        &mut r,
        &[
            ("MULTI", b"+OK\r\n"),
            ("RPUSH l a 1 -7", b"+QUEUED\r\n"),
            ("LRANGE l 0 -1", b"+QUEUED\r\n"),
            ("LPOP l 2", b"+QUEUED\r\n"),
            ("BLPOP nokey 0", b"+QUEUED\r\n"),
            (
                "EXEC",
                b"*4\r\n:3\r\n*3\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\n-7\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*-1\r\n",
            ),
            ("LRANGE l 0 -1", b"*1\r\n$2\r\n-7\r\n"),
        ],
    );
}

#[test]
fn keyspace_events_as_redis() {
    // Event names and order checked against redis-server.
    let s = TestServer::start();
    let mut sub = s.raw();
    let mut c = s.raw();
    run_table(
        &mut c,
        &[("CONFIG SET notify-keyspace-events KEA", b"+OK\r\n")],
    );
    sub.cmd(&[b"PSUBSCRIBE", b"__keyevent@0__:*"]);
    sub.read_reply();
    let steps: &[(&str, &[&str])] = &[
        ("RPUSH l a b c d", &["rpush l"]),
        ("LPUSH l z", &["lpush l"]),
        ("LPUSHX nokey z", &[]),
        ("RPUSHX l y", &["rpush l"]),
        ("LPOP l", &["lpop l"]),
        ("RPOP l 2", &["rpop l"]),
        ("LPOP l 0", &[]),
        ("LINSERT l BEFORE b x", &["linsert l"]),
        ("LINSERT l BEFORE nope x", &[]),
        ("LSET l 0 q", &["lset l"]),
        ("LREM l 0 x", &["lrem l"]),
        ("LREM l 0 nope", &[]),
        ("LMOVE l m LEFT RIGHT", &["rpush m", "lpop l"]),
        ("LTRIM l 5 10", &["ltrim l", "del l"]),
        ("RPOPLPUSH m m", &["lpush m", "rpop m"]),
        ("LMPOP 1 m LEFT COUNT 5", &["lpop m", "del m"]),
        ("RPUSH b 1", &["rpush b"]),
        ("BLPOP b 0", &["lpop b", "del b"]),
    ];
    let mut want = Vec::new();
    for (line, events) in steps {
        let args: Vec<&[u8]> = line.split(' ').map(|a| a.as_bytes()).collect();
        c.cmd(&args);
        c.read_reply();
        want.extend(events.iter().map(|e| e.to_string()));
    }
    let mut got = Vec::new();
    for _ in 0..want.len() {
        // *4 pmessage pattern channel key
        let m = String::from_utf8(sub.read_reply()).unwrap();
        let parts: Vec<&str> = m.split("\r\n").collect();
        let ch = parts[6].trim_start_matches("__keyevent@0__:");
        got.push(format!("{ch} {}", parts[8]));
    }
    assert_eq!(got, want);
}
