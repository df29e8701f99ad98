//! Sorted sets: every command, option and error, with exact reply bytes.
//!
//! The tables were captured from a real redis-server 7.0 and checked against Redis 7.2's
//! documented behaviour. Where 7.2 differs from 7.0 the expectation follows 7.2 and says
//! so: double replies use the shortest round-trip form (7.2's fpconv) instead of %.17g,
//! and ZRANK/ZREVRANK accept WITHSCORE. Scores in the tables print the same both ways.

mod common;
use common::*;

type Case = (&'static [&'static str], &'static [u8]);

/// Runs each command and compares the exact reply bytes.
fn check_table(c: &mut Raw, table: &[Case]) {
    for (args, want) in table {
        let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
        c.cmd(&a);
        let got = c.read_reply();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "reply to {args:?}"
        );
    }
}

/// Sends a space-separated command, returns the exact RESP reply as text.
fn run(c: &mut Raw, cmd: &str) -> String {
    let args: Vec<&[u8]> = cmd.split(' ').map(|a| a.as_bytes()).collect();
    c.cmd(&args);
    String::from_utf8_lossy(&c.read_reply()).into_owned()
}

/// Switches to RESP3; false if the server has no HELLO yet (another family provides it).
fn hello3(c: &mut Raw) -> bool {
    !run(c, "HELLO 3").starts_with("-ERR unknown command")
}

const TABLE: &[Case] = &[
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c", "1.5", "d", "-3.25", "e"], b":5\r\n"),
        (&["ZADD", "z", "NX", "XX", "1", "a"], b"-ERR XX and NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "GT", "LT", "1", "a"], b"-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "NX", "GT", "1", "a"], b"-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
        (&["ZADD", "z", "INCR", "1", "a", "2", "b"], b"-ERR INCR option supports a single increment-element pair\r\n"),
        (&["ZADD", "z", "1"], b"-ERR wrong number of arguments for 'zadd' command\r\n"),
        (&["ZADD", "z", "abc", "a"], b"-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "XX", "10", "zz"], b":0\r\n"),
        (&["ZADD", "z", "CH", "GT", "10", "a", "0", "b"], b":1\r\n"),
        (&["ZADD", "z", "INCR", "5", "a"], b"$2\r\n15\r\n"),
        (&["ZADD", "z", "NX", "INCR", "5", "a"], b"$-1\r\n"),
        (&["ZRANGE", "z", "0", "-1", "WITHSCORES"], b"*10\r\n$1\r\ne\r\n$5\r\n-3.25\r\n$1\r\nd\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\na\r\n$2\r\n15\r\n"),
        (&["ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", "0", "2"], b"*0\r\n"),
        (&["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"], b"*4\r\n$1\r\nd\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"], b"*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZRANGE", "z", "(1", "(3", "BYSCORE"], b"*2\r\n$1\r\nd\r\n$1\r\nb\r\n"),
        (&["ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"], b"-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
        (&["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"], b"-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
        (&["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"], b"*5\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"),
        (&["ZRANGE", "z", "a", "b", "BYSCORE"], b"-ERR min or max is not a float\r\n"),
        (&["ZRANGE", "z", "[a", "[b", "BYLEX"], b"*0\r\n"),
        (&["ZRANGE", "z", "a", "b", "BYLEX"], b"-ERR min or max not valid string range item\r\n"),
        (&["ZRANGEBYSCORE", "z", "1", "2", "REV"], b"-ERR syntax error\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "-1", "2"], b"*0\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", "2", "-1", "WITHSCORES"], b"*6\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\na\r\n$2\r\n15\r\n"),
        (&["ZREVRANGEBYSCORE", "z", "inf", "-inf", "WITHSCORES"], b"*10\r\n$1\r\na\r\n$2\r\n15\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nd\r\n$3\r\n1.5\r\n$1\r\ne\r\n$5\r\n-3.25\r\n"),
        (&["ZREVRANGE", "z", "0", "1", "WITHSCORES"], b"*4\r\n$1\r\na\r\n$2\r\n15\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZREVRANGE", "z", "-100", "100"], b"*5\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\nd\r\n$1\r\ne\r\n"),
        (&["ZRANGE", "z", "2", "1"], b"*0\r\n"),
        (&["ZRANGE", "nokey", "0", "-1"], b"*0\r\n"),
        (&["ZCARD", "z"], b":5\r\n"),
        (&["ZCOUNT", "z", "1", "2"], b":2\r\n"),
        (&["ZCOUNT", "z", "(1", "2"], b":2\r\n"),
        (&["ZCOUNT", "z", "x", "2"], b"-ERR min or max is not a float\r\n"),
        (&["ZLEXCOUNT", "z", "-", "+"], b":5\r\n"),
        (&["ZLEXCOUNT", "z", "x", "+"], b"-ERR min or max not valid string range item\r\n"),
        (&["ZSCORE", "z", "a"], b"$2\r\n15\r\n"),
        (&["ZSCORE", "z", "nope"], b"$-1\r\n"),
        (&["ZMSCORE", "z", "a", "nope", "b"], b"*3\r\n$2\r\n15\r\n$-1\r\n$1\r\n2\r\n"),
        (&["ZMSCORE", "nokey", "a"], b"*1\r\n$-1\r\n"),
        (&["ZRANK", "z", "c"], b":3\r\n"),
        (&["ZREVRANK", "z", "c"], b":1\r\n"),
        (&["ZRANK", "z", "nope"], b"$-1\r\n"),
        (&["ZINCRBY", "z", "2.5", "c"], b"$3\r\n5.5\r\n"),
        (&["ZINCRBY", "z", "x", "c"], b"-ERR value is not a valid float\r\n"),
        (&["ZINCRBY", "z", "inf", "c"], b"$3\r\ninf\r\n"),
        (&["ZINCRBY", "z", "-inf", "c"], b"-ERR resulting score is not a number (NaN)\r\n"),
        (&["ZSCORE", "z", "c"], b"$3\r\ninf\r\n"),
        (&["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e"], b":5\r\n"),
        (&["ZRANGEBYLEX", "lex", "[b", "(e"], b"*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
        (&["ZREVRANGEBYLEX", "lex", "(e", "[b"], b"*3\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n"),
        (&["ZRANGEBYLEX", "lex", "-", "+", "LIMIT", "1", "2"], b"*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"], b"-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
        (&["ZLEXCOUNT", "lex", "(a", "[c"], b":2\r\n"),
        (&["ZREMRANGEBYLEX", "lex", "[a", "[b"], b":2\r\n"),
        (&["ZREMRANGEBYLEX", "lex", "x", "y"], b"-ERR min or max not valid string range item\r\n"),
        (&["ZRANGE", "lex", "0", "-1"], b"*3\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
        (&["ZREMRANGEBYRANK", "lex", "0", "0"], b":1\r\n"),
        (&["ZREMRANGEBYSCORE", "lex", "-inf", "+inf"], b":2\r\n"),
        (&["ZREMRANGEBYSCORE", "z", "x", "1"], b"-ERR min or max is not a float\r\n"),
        (&["ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d"], b":4\r\n"),
        (&["ZPOPMIN", "p"], b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZPOPMAX", "p", "2"], b"*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZPOPMIN", "p", "0"], b"*0\r\n"),
        (&["ZPOPMIN", "p", "-1"], b"-ERR value is out of range, must be positive\r\n"),
        (&["ZPOPMIN", "p", "1", "2"], b"-ERR syntax error\r\n"),
        (&["ZPOPMIN", "nokey"], b"*0\r\n"),
        (&["ZPOPMIN", "p", "10"], b"*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d"], b":4\r\n"),
        (&["ZMPOP", "1", "p", "MIN", "COUNT", "2"], b"*2\r\n$1\r\np\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZMPOP", "2", "nokey", "p", "MAX"], b"*2\r\n$1\r\np\r\n*1\r\n*2\r\n$1\r\nd\r\n$1\r\n4\r\n"),
        (&["ZMPOP", "0", "p", "MIN"], b"-ERR numkeys should be greater than 0\r\n"),
        (&["ZMPOP", "1", "p", "MID"], b"-ERR syntax error\r\n"),
        (&["ZMPOP", "1", "p", "MIN", "COUNT", "0"], b"-ERR count should be greater than 0\r\n"),
        (&["ZMPOP", "1", "p", "MIN", "COUNT", "1", "COUNT", "2"], b"-ERR syntax error\r\n"),
        (&["ZMPOP", "5", "p", "MIN"], b"-ERR syntax error\r\n"),
        (&["ZMPOP", "1", "nokey", "MIN"], b"*-1\r\n"),
        (&["ZMPOP", "x", "p", "MIN"], b"-ERR numkeys should be greater than 0\r\n"),
        (&["BZPOPMIN", "p", "0"], b"*3\r\n$1\r\np\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["BZPOPMIN", "p", "-1"], b"-ERR timeout is negative\r\n"),
        (&["BZPOPMIN", "p", "x"], b"-ERR timeout is not a float or out of range\r\n"),
        (&["SET", "str", "x"], b"+OK\r\n"),
        (&["ZADD", "str", "1", "a"], b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZRANGE", "str", "0", "-1"], b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZRANDMEMBER", "str"], b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZRANDMEMBER", "z", "0"], b"*0\r\n"),
        (&["ZRANDMEMBER", "nokey"], b"$-1\r\n"),
        (&["ZRANDMEMBER", "nokey", "5"], b"*0\r\n"),
        (&["ZRANDMEMBER", "z", "1", "x"], b"-ERR syntax error\r\n"),
        (&["ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"], b"-ERR value is out of range\r\n"),
        (&["ZADD", "u1", "1", "a", "2", "b", "3", "c"], b":3\r\n"),
        (&["ZADD", "u2", "10", "b", "20", "c", "30", "d"], b":3\r\n"),
        (&["ZUNION", "2", "u1", "u2", "WITHSCORES"], b"*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n30\r\n"),
        (&["ZUNION", "2", "u1", "u2", "WEIGHTS", "2", "3", "AGGREGATE", "MAX", "WITHSCORES"], b"*8\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$2\r\n30\r\n$1\r\nc\r\n$2\r\n60\r\n$1\r\nd\r\n$2\r\n90\r\n"),
        (&["ZINTER", "2", "u1", "u2", "WITHSCORES"], b"*4\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n"),
        (&["ZDIFF", "2", "u1", "u2", "WITHSCORES"], b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZINTERCARD", "2", "u1", "u2"], b":2\r\n"),
        (&["ZINTERCARD", "2", "u1", "u2", "LIMIT", "1"], b":1\r\n"),
        (&["ZINTERCARD", "2", "u1", "u2", "LIMIT", "-1"], b"-ERR LIMIT can't be negative\r\n"),
        (&["ZINTERCARD", "0", "u1"], b"-ERR at least 1 input key is needed for 'zintercard' command\r\n"),
        (&["ZUNION", "0", "u1"], b"-ERR at least 1 input key is needed for 'zunion' command\r\n"),
        (&["ZUNION", "3", "u1", "u2"], b"-ERR syntax error\r\n"),
        (&["ZUNION", "2", "u1", "u2", "WEIGHTS", "1"], b"-ERR syntax error\r\n"),
        (&["ZUNION", "2", "u1", "u2", "WEIGHTS", "1", "x"], b"-ERR weight value is not a float\r\n"),
        (&["ZUNION", "2", "u1", "u2", "AGGREGATE", "foo"], b"-ERR syntax error\r\n"),
        (&["ZUNION", "2", "u1", "str"], b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZUNION", "2", "u1", "str", "AGGREGATE", "foo"], b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZDIFF", "2", "u1", "u2", "WEIGHTS", "1", "2"], b"-ERR syntax error\r\n"),
        (&["ZUNIONSTORE", "dst", "2", "u1", "u2", "WEIGHTS", "1", "inf"], b":4\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], b"*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\ninf\r\n$1\r\nc\r\n$3\r\ninf\r\n$1\r\nd\r\n$3\r\ninf\r\n"),
        (&["ZUNIONSTORE", "dst", "2", "u1", "u2", "WEIGHTS", "0", "inf"], b":4\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], b"*8\r\n$1\r\na\r\n$1\r\n0\r\n$1\r\nb\r\n$3\r\ninf\r\n$1\r\nc\r\n$3\r\ninf\r\n$1\r\nd\r\n$3\r\ninf\r\n"),
        (&["ZADD", "ninf", "1", "a"], b":1\r\n"),
        (&["ZADD", "pinf", "1", "a"], b":1\r\n"),
        (&["ZUNIONSTORE", "dst", "2", "ninf", "pinf", "WEIGHTS", "-inf", "inf"], b":1\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], b"*2\r\n$1\r\na\r\n$1\r\n0\r\n"),
        (&["ZINTERSTORE", "dst", "2", "u1", "u2", "AGGREGATE", "MIN"], b":2\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], b"*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZDIFFSTORE", "dst", "2", "u1", "u2"], b":1\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZDIFFSTORE", "dst", "2", "u1", "u1"], b":0\r\n"),
        (&["ZUNIONSTORE", "dst", "1", "nokey"], b":0\r\n"),
        (&["ZRANGESTORE", "dst", "u1", "0", "1"], b":2\r\n"),
        (&["ZRANGESTORE", "dst", "u1", "0", "-1", "WITHSCORES"], b"-ERR syntax error\r\n"),
        (&["ZRANGESTORE", "dst", "u1", "5", "6"], b":0\r\n"),
        (&["ZRANGESTORE", "dst", "u1", "[a", "[b", "BYLEX"], b":2\r\n"),
        (&["ZRANGE", "dst", "0", "-1"], b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
        (&["ZSCAN", "u1", "0"], b"*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZSCAN", "u1", "0", "MATCH", "a*"], b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        (&["ZSCAN", "u1", "0", "COUNT", "0"], b"-ERR syntax error\r\n"),
        (&["ZSCAN", "u1", "x"], b"-ERR invalid cursor\r\n"),
        (&["ZSCAN", "nokey", "0"], b"*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["ZREM", "u1", "a", "x"], b":1\r\n"),
        (&["ZREM", "u1", "b", "c"], b":2\r\n"),
        (&["ZADD", "big", "1.5", "x"], b":1\r\n"),
];

#[test]
fn commands_options_errors_resp2() {
    let s = TestServer::start();
    let mut c = s.raw();
    check_table(&mut c, TABLE);
}

const RESP3: &[Case] = &[
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c", "1.5", "d"], b":4\r\n"),
        (&["ZRANGE", "z", "0", "-1", "WITHSCORES"], b"*4\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nd\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZRANGE", "z", "0", "-1"], b"*4\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"], b"*4\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nd\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZREVRANGE", "z", "0", "1", "WITHSCORES"], b"*2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
        (&["ZSCORE", "z", "a"], b",1\r\n"),
        (&["ZSCORE", "z", "nope"], b"_\r\n"),
        (&["ZMSCORE", "z", "a", "nope"], b"*2\r\n,1\r\n_\r\n"),
        (&["ZINCRBY", "z", "1", "a"], b",2\r\n"),
        (&["ZADD", "z", "INCR", "1", "a"], b",3\r\n"),
        (&["ZADD", "z", "XX", "INCR", "1", "nope"], b"_\r\n"),
        (&["ZPOPMIN", "z"], b"*2\r\n$1\r\nd\r\n,1.5\r\n"),
        (&["ZPOPMAX", "z", "2"], b"*2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\na\r\n,3\r\n"),
        (&["ZPOPMIN", "nokey", "2"], b"*0\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c", "1.5", "d"], b":3\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "2"], b"*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nd\r\n,1.5\r\n"),
        (&["ZMPOP", "1", "nokey", "MIN"], b"_\r\n"),
        (&["BZPOPMIN", "z", "0"], b"*3\r\n$1\r\nz\r\n$1\r\nb\r\n,2\r\n"),
        (&["ZRANDMEMBER", "z", "5", "WITHSCORES"], b"*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZUNION", "1", "z", "WITHSCORES"], b"*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZINTER", "1", "z", "WITHSCORES"], b"*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZDIFF", "1", "z", "WITHSCORES"], b"*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
        (&["ZRANK", "z", "nope"], b"_\r\n"),
];

#[test]
fn resp3_shapes() {
    let s = TestServer::start();
    let mut c = s.raw();
    if !hello3(&mut c) {
        eprintln!("HELLO not available: RESP3 shapes not checked");
        return;
    }
    check_table(&mut c, RESP3);
    // 7.2: ZRANK WITHSCORE is [rank, double]; a missing member is a null.
    assert_eq!(run(&mut c, "ZADD w 1.5 a 2 b"), ":2\r\n");
    assert_eq!(run(&mut c, "ZRANK w b WITHSCORE"), "*2\r\n:1\r\n,2\r\n");
    assert_eq!(run(&mut c, "ZRANK w x WITHSCORE"), "_\r\n");
    assert_eq!(
        run(&mut c, "ZRANDMEMBER w -2 WITHSCORES")
            .matches("*2\r\n")
            .count(),
        2
    );
}
