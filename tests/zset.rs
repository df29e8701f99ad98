//! Sorted sets: every command, option and error, with exact reply bytes.
//!
//! The tables were captured from a real redis-server 7.0 and checked against Redis 7.2's
//! documented behaviour. Where 7.2 differs from 7.0 the expectation follows 7.2 and says
//! so: double replies use the shortest round-trip form (7.2's fpconv) instead of %.17g,
//! and ZRANK/ZREVRANK accept WITHSCORE. Scores in the tables print the same both ways.

mod common;
use common::*;

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
        // NaN in set operations: weights 0 * inf; SUM of inf and -inf.
        (&["ZADD", "a", "1", "x"], b":1\r\n"),
        (&["ZADD", "b", "1", "x"], b":1\r\n"),
        (&["ZINTER", "2", "a", "b", "WEIGHTS", "1", "0", "WITHSCORES"], b"*2\r\n$1\r\nx\r\n$1\r\n1\r\n"),
        (&["ZADD", "c", "inf", "x"], b":1\r\n"),
        (&["ZINTER", "2", "a", "c", "WEIGHTS", "1", "0", "AGGREGATE", "MIN", "WITHSCORES"], b"*2\r\n$1\r\nx\r\n$1\r\n1\r\n"),
        (&["ZINTER", "2", "a", "c", "WEIGHTS", "1", "0", "AGGREGATE", "MAX", "WITHSCORES"], b"*2\r\n$1\r\nx\r\n$1\r\n1\r\n"),
        (&["ZINTER", "2", "a", "c", "WEIGHTS", "1", "0", "AGGREGATE", "SUM", "WITHSCORES"], b"*2\r\n$1\r\nx\r\n$1\r\n0\r\n"),
        (&["ZINTER", "2", "c", "a", "WEIGHTS", "0", "1", "AGGREGATE", "MIN", "WITHSCORES"], b"*2\r\n$1\r\nx\r\n$1\r\n0\r\n"),
        (&["ZUNION", "2", "a", "c", "WEIGHTS", "1", "0", "AGGREGATE", "MIN", "WITHSCORES"], b"*2\r\n$1\r\nx\r\n$1\r\n0\r\n"),
        (&["ZUNION", "2", "a", "c", "WEIGHTS", "1", "0", "AGGREGATE", "MAX", "WITHSCORES"], b"*2\r\n$1\r\nx\r\n$1\r\n1\r\n"),
        (&["ZADD", "d", "-inf", "x"], b":1\r\n"),
        (&["ZUNION", "2", "c", "d", "WITHSCORES"], b"*2\r\n$1\r\nx\r\n$1\r\n0\r\n"),
        (&["ZINTER", "2", "c", "d", "WITHSCORES"], b"*2\r\n$1\r\nx\r\n$1\r\n0\r\n"),
        (&["ZINTER", "2", "c", "d", "AGGREGATE", "MIN", "WITHSCORES"], b"*2\r\n$1\r\nx\r\n$4\r\n-inf\r\n"),
];

/// Argument and error edge cases (captured from redis 7.0).
const EDGES: &[Case] = &[
        (&["SET", "str", "x"], b"+OK\r\n"),
        (&["ZADD", "z", "1", "a", "2", "b", "3", "c"], b":3\r\n"),
        (&["ZRANGESTORE", "str", "z", "0", "-1"], b":3\r\n"),
        (&["GET", "str"], b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        (&["ZRANGESTORE", "dst", "str", "0", "-1"], b":3\r\n"),
        (&["ZRANGESTORE", "dst", "z", "0", "-1", "BYSCORE"], b":0\r\n"),
        (&["ZRANGESTORE", "dst", "z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "1"], b":1\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], b"*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"], b"-ERR syntax error\r\n"),
        (&["ZRANGE", "z", "0", "-1", "REV", "REV"], b"-ERR syntax error\r\n"),
        (&["ZRANGE", "z", "0", "-1", "LIMIT", "1"], b"-ERR syntax error\r\n"),
        (&["ZRANGE", "z", "0", "-1", "WITHSCORES", "WITHSCORES"], b"*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZRANGE", "z", "x", "y"], b"-ERR value is not an integer or out of range\r\n"),
        (&["ZRANGE", "z", "x", "y", "BYSCORE"], b"-ERR min or max is not a float\r\n"),
        (&["ZRANGE", "z", "1", "x", "BYSCORE"], b"-ERR min or max is not a float\r\n"),
        (&["ZRANGE", "str", "0", "-1"], b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        (&["ZRANGE", "z", "0"], b"-ERR wrong number of arguments for 'zrange' command\r\n"),
        (&["ZRANGEBYSCORE", "z", "1", "2", "BYSCORE"], b"-ERR syntax error\r\n"),
        (&["ZRANGEBYLEX", "z", "-", "+", "BYLEX"], b"-ERR syntax error\r\n"),
        (&["ZREVRANGEBYSCORE", "z", "3", "1", "REV"], b"-ERR syntax error\r\n"),
        (&["ZREVRANGE", "z", "0", "-1", "REV"], b"-ERR syntax error\r\n"),
        (&["ZRANGEBYSCORE", "z", "(1", "(1"], b"*0\r\n"),
        (&["ZRANGEBYSCORE", "z", "1", "1"], b"*1\r\n$1\r\na\r\n"),
        (&["ZRANGEBYSCORE", "z", "(a", "1"], b"-ERR min or max is not a float\r\n"),
        (&["ZRANGEBYSCORE", "z", "1", "nan"], b"-ERR min or max is not a float\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0", "0"], b"*0\r\n"),
        (&["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "x", "0"], b"-ERR value is not an integer or out of range\r\n"),
        (&["ZADD", "z", "nan", "a"], b"-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "1", "a", "2"], b"-ERR syntax error\r\n"),
        (&["ZADD", "z"], b"-ERR wrong number of arguments for 'zadd' command\r\n"),
        (&["ZADD", "z", "CH"], b"-ERR wrong number of arguments for 'zadd' command\r\n"),
        (&["ZADD", "z", "GT", "CH", "0", "a"], b":0\r\n"),
        (&["ZADD", "z", "LT", "CH", "0", "a"], b":1\r\n"),
        (&["ZADD", "z", "GT", "INCR", "-1", "a"], b"$-1\r\n"),
        (&["ZADD", "z", "LT", "INCR", "-1", "a"], b"$2\r\n-1\r\n"),
        (&["ZADD", "z", "GT", "5", "newmember"], b":1\r\n"),
        (&["ZSCORE", "z", "newmember"], b"$1\r\n5\r\n"),
        (&["ZINCRBY", "z", "1"], b"-ERR wrong number of arguments for 'zincrby' command\r\n"),
        (&["ZINCRBY", "z", "1", "a", "b"], b"-ERR wrong number of arguments for 'zincrby' command\r\n"),
        (&["ZCOUNT", "z", "1"], b"-ERR wrong number of arguments for 'zcount' command\r\n"),
        (&["ZLEXCOUNT", "z", "a", "b"], b"-ERR min or max not valid string range item\r\n"),
        (&["ZLEXCOUNT", "z", "-", "-"], b":0\r\n"),
        (&["ZLEXCOUNT", "z", "+", "+"], b":0\r\n"),
        (&["ZLEXCOUNT", "z", "+", "-"], b":0\r\n"),
        (&["ZLEXCOUNT", "z", "[a", "[a"], b":1\r\n"),
        (&["ZREMRANGEBYRANK", "z", "x", "1"], b"-ERR value is not an integer or out of range\r\n"),
        (&["ZREMRANGEBYRANK", "z", "5", "10"], b":0\r\n"),
        (&["ZREMRANGEBYRANK", "z", "-100", "-50"], b":0\r\n"),
        (&["ZREMRANGEBYRANK", "nokey", "0", "1"], b":0\r\n"),
        (&["ZREMRANGEBYSCORE", "nokey", "0", "1"], b":0\r\n"),
        (&["ZREMRANGEBYSCORE", "str", "0", "1"], b":1\r\n"),
        (&["ZREMRANGEBYSCORE", "str", "x", "1"], b"-ERR min or max is not a float\r\n"),
        (&["ZPOPMIN", "str"], b"*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
        (&["ZPOPMIN", "z", "x"], b"-ERR value is out of range, must be positive\r\n"),
        (&["ZPOPMIN", "z", "-5"], b"-ERR value is out of range, must be positive\r\n"),
        (&["ZMPOP", "1", "str", "MIN"], b"*2\r\n$3\r\nstr\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZMPOP", "2", "nokey", "str", "MIN"], b"*-1\r\n"),
        (&["ZMPOP", "1", "z"], b"-ERR wrong number of arguments for 'zmpop' command\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT"], b"-ERR syntax error\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT", "x"], b"-ERR count should be greater than 0\r\n"),
        (&["ZMPOP", "1", "z", "MIN", "foo", "1"], b"-ERR syntax error\r\n"),
        (&["ZMPOP", "-1", "z", "MIN"], b"-ERR numkeys should be greater than 0\r\n"),
        // Found by the exec fuzz target: numkeys near i64::MAX overflowed (a panic).
        (&["ZMPOP", "9223372036854775807", "z", "MIN"], b"-ERR syntax error\r\n"),
        (&["ZMPOP", "9223372036854775806", "z", "MIN"], b"-ERR syntax error\r\n"),
        (&["BZMPOP", "0", "9223372036854775807", "z", "MIN"], b"-ERR syntax error\r\n"),
        (&["LMPOP", "9223372036854775807", "z", "LEFT"], b"-ERR syntax error\r\n"),
        (&["ZMPOP", "1", "z", "max", "count", "1"], b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$9\r\nnewmember\r\n$1\r\n5\r\n"),
        (&["ZUNIONSTORE", "dst", "x", "z"], b"-ERR value is not an integer or out of range\r\n"),
        (&["ZUNIONSTORE", "dst", "-1", "z"], b"-ERR at least 1 input key is needed for 'zunionstore' command\r\n"),
        (&["ZUNIONSTORE", "dst", "1", "z", "WITHSCORES"], b"-ERR syntax error\r\n"),
        (&["ZUNIONSTORE", "dst", "1", "z", "WEIGHTS"], b"-ERR syntax error\r\n"),
        (&["ZUNIONSTORE", "dst", "1", "z", "AGGREGATE"], b"-ERR syntax error\r\n"),
        (&["ZINTERCARD", "1", "z", "WITHSCORES"], b"-ERR syntax error\r\n"),
        (&["ZINTERCARD", "1", "z", "WEIGHTS", "1"], b"-ERR syntax error\r\n"),
        (&["ZINTERCARD", "1", "z", "LIMIT", "x"], b"-ERR LIMIT can't be negative\r\n"),
        (&["ZINTERCARD", "2", "z"], b"-ERR syntax error\r\n"),
        (&["ZINTERCARD", "1", "str"], b":0\r\n"),
        (&["ZDIFF", "1", "z", "AGGREGATE", "MIN"], b"-ERR syntax error\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS", "2", "WEIGHTS", "3", "WITHSCORES"], b"*6\r\n$1\r\na\r\n$2\r\n-3\r\n$1\r\nb\r\n$1\r\n6\r\n$1\r\nc\r\n$1\r\n9\r\n"),
        (&["ZSCAN", "z", "0", "COUNT", "x"], b"-ERR value is not an integer or out of range\r\n"),
        (&["ZSCAN", "z", "0", "COUNT"], b"-ERR syntax error\r\n"),
        (&["ZSCAN", "z", "0", "MATCH"], b"-ERR syntax error\r\n"),
        (&["ZSCAN", "str", "0"], b"*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["ZSCAN", "z", "18446744073709551615"], b"*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$2\r\n-1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZSCAN", "z", "18446744073709551616"], b"-ERR invalid cursor\r\n"),
        // The cursor is read as strtoul reads it: "" is 0, "-1" wraps, a blank is invalid.
        (&["ZSCAN", "z", ""], b"*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$2\r\n-1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZSCAN", "z", "-1"], b"*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$2\r\n-1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
        (&["ZSCAN", "z", " 0"], b"-ERR invalid cursor\r\n"),
        (&["ZMSCORE", "str", "a"], b"*1\r\n$-1\r\n"),
        (&["ZMSCORE", "z"], b"-ERR wrong number of arguments for 'zmscore' command\r\n"),
        (&["ZSCORE", "str", "a"], b"$-1\r\n"),
        (&["ZCARD", "str"], b":0\r\n"),
        (&["ZRANK", "str", "a"], b"$-1\r\n"),
        (&["ZRANDMEMBER", "str", "1"], b"*0\r\n"),
        (&["ZRANDMEMBER", "z", "0", "WITHSCORES"], b"*0\r\n"),
        (&["GEOADD", "z", "1", "1", "a"], b":0\r\n"),
        (&["GEOPOS", "z", "a"], b"*1\r\n*2\r\n$19\r\n0.99999994039535522\r\n$19\r\n0.99999945914297683\r\n"),
        (&["GEOHASH", "z", "nope"], b"*1\r\n$-1\r\n"),
        (&["GEODIST", "str", "a", "b"], b"$-1\r\n"),
        (&["GEODIST", "z", "a", "b"], b"$13\r\n10671953.8455\r\n"),
        (&["GEORADIUS", "z", "0", "0", "1", "km", "STORE"], b"-ERR syntax error\r\n"),
        (&["GEORADIUS", "z", "0", "0", "1", "km", "STORE", "str"], b":0\r\n"),
        (&["GEORADIUSBYMEMBER_RO", "z", "a", "1", "km", "STORE", "x"], b"-ERR syntax error\r\n"),
        (&["GEORADIUS_RO", "z", "0", "0", "1", "km", "STOREDIST", "x"], b"-ERR syntax error\r\n"),
        (&["GEOSEARCHSTORE", "dst", "z", "FROMMEMBER", "a", "BYRADIUS", "1", "km", "STORE", "x"], b"-ERR syntax error\r\n"),
        (&["GEOSEARCH", "z", "FROMMEMBER", "a", "FROMMEMBER", "a", "BYRADIUS", "1", "km"], b"*1\r\n$1\r\na\r\n"),
        (&["GEOSEARCH", "z", "FROMLONLAT", "0", "0", "BYBOX", "1", "1", "km", "BYRADIUS", "1", "km"], b"-ERR syntax error\r\n"),
        (&["GEOSEARCH", "z", "FROMLONLAT", "0", "BYRADIUS", "1", "km"], b"-ERR value is not a valid float\r\n"),
        (&["GEOSEARCH", "z", "FROMLONLAT", "0", "0", "BYRADIUS", "1"], b"-ERR syntax error\r\n"),
        (&["GEOSEARCH", "z", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "COUNT", "1", "ANY", "ASC"], b"*0\r\n"),
        (&["GEOSEARCH", "z", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "COUNT", "-1"], b"-ERR COUNT must be > 0\r\n"),
        (&["GEOSEARCH", "z", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "COUNT", "x"], b"-ERR value is not an integer or out of range\r\n"),
        (&["GEOSEARCH", "z", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", "STORE", "x"], b"-ERR syntax error\r\n"),
        (&["geosearch", "z", "frommember", "nope", "byradius", "1", "km"], b"-ERR could not decode requested zset member\r\n"),
        (&["geosearch", "z", "byradius", "1", "km"], b"-ERR wrong number of arguments for 'geosearch' command\r\n"),
        (&["GEOSEARCH", "nokey", "FROMMEMBER", "a", "BYBOX", "1", "1", "km"], b"*0\r\n"),
        (&["GEOSEARCHSTORE", "dst", "nokey", "FROMMEMBER", "a", "BYBOX", "1", "1", "km"], b":0\r\n"),
        (&["GEOSEARCHSTORE", "dst", "nokey", "FROMMEMBER", "a", "BYBOX", "1", "1", "km", "WITHDIST"], b"-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"),
];

/// Number syntax: scores follow C's strtod like Redis (hex floats, `inf`, overflow and
/// underflow refused for values; ranges accept leading spaces and overflow).
const NUMBERS: &[Case] = &[
        (&["ZADD", "z", "1e400", "x"], b"-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "-1e400", "x"], b"-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "1e-400", "x"], b"-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "4e-320", "x"], b":1\r\n"),
        (&["ZADD", "z", "0x10", "x"], b":0\r\n"),
        (&["ZADD", "z", "0x1p3", "y"], b":1\r\n"),
        (&["ZADD", "z", "0x0p0", "y0"], b":1\r\n"),
        (&["ZADD", "z", "0e0", "y1"], b":1\r\n"),
        (&["ZADD", "z", "0.000", "y2"], b":1\r\n"),
        (&["ZADD", "z", "+5", "p"], b":1\r\n"),
        (&["ZADD", "z", " 1", "x"], b"-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "1 ", "x"], b"-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "Infinity", "i1"], b":1\r\n"),
        (&["ZADD", "z", "-INF", "i2"], b":1\r\n"),
        (&["ZADD", "z", "nan", "x"], b"-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "", "x"], b"-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", "1e", "x"], b"-ERR value is not a valid float\r\n"),
        (&["ZADD", "z", ".e1", "x"], b"-ERR value is not a valid float\r\n"),
        (&["ZRANGE", "z", "0", "-1", "WITHSCORES"], b"*16\r\n$2\r\ni2\r\n$4\r\n-inf\r\n$2\r\ny0\r\n$1\r\n0\r\n$2\r\ny1\r\n$1\r\n0\r\n$2\r\ny2\r\n$1\r\n0\r\n$1\r\np\r\n$1\r\n5\r\n$1\r\ny\r\n$1\r\n8\r\n$1\r\nx\r\n$2\r\n16\r\n$2\r\ni1\r\n$3\r\ninf\r\n"),
        (&["ZRANGEBYSCORE", "z", "  1", "20"], b"*3\r\n$1\r\np\r\n$1\r\ny\r\n$1\r\nx\r\n"),
        (&["ZRANGEBYSCORE", "z", "\\(  1", "20"], b"-ERR min or max is not a float\r\n"),
        (&["ZRANGEBYSCORE", "z", "1e400", "+inf"], b"*1\r\n$2\r\ni1\r\n"),
        (&["ZRANGEBYSCORE", "z", "-1e400", "0x10", "WITHSCORES"], b"*14\r\n$2\r\ni2\r\n$4\r\n-inf\r\n$2\r\ny0\r\n$1\r\n0\r\n$2\r\ny1\r\n$1\r\n0\r\n$2\r\ny2\r\n$1\r\n0\r\n$1\r\np\r\n$1\r\n5\r\n$1\r\ny\r\n$1\r\n8\r\n$1\r\nx\r\n$2\r\n16\r\n"),
        (&["ZRANGEBYSCORE", "z", "1 ", "2"], b"-ERR min or max is not a float\r\n"),
        (&["ZRANGEBYSCORE", "z", "", "2"], b"*3\r\n$2\r\ny0\r\n$2\r\ny1\r\n$2\r\ny2\r\n"),
        (&["ZRANGEBYSCORE", "z", "nan", "2"], b"-ERR min or max is not a float\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS", "0x2", "WITHSCORES"], b"*16\r\n$2\r\ni2\r\n$4\r\n-inf\r\n$2\r\ny0\r\n$1\r\n0\r\n$2\r\ny1\r\n$1\r\n0\r\n$2\r\ny2\r\n$1\r\n0\r\n$1\r\np\r\n$2\r\n10\r\n$1\r\ny\r\n$2\r\n16\r\n$1\r\nx\r\n$2\r\n32\r\n$2\r\ni1\r\n$3\r\ninf\r\n"),
        (&["ZUNION", "1", "z", "WEIGHTS", "1e400"], b"-ERR weight value is not a float\r\n"),
        (&["GEOADD", "g", "0x1", "1", "a"], b":1\r\n"),
        (&["GEOADD", "g", " 1", "1", "a"], b"-ERR value is not a valid float\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1e400", "km"], b"-ERR need numeric radius\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "0x10", "km"], b"*1\r\n$1\r\na\r\n"),
];

#[test]
fn number_syntax() {
    let s = TestServer::start();
    let mut c = s.raw();
    check_table(&mut c, NUMBERS);
}

#[test]
fn argument_and_error_edges() {
    let s = TestServer::start();
    let mut c = s.raw();
    check_table(&mut c, EDGES);
}

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
    // Two [member, score] pairs inside a two-element array.
    let r = run(&mut c, "ZRANDMEMBER w -2 WITHSCORES");
    assert!(r.starts_with("*2\r\n*2\r\n$1\r\n"), "{r}");
    assert_eq!(r.matches("*2\r\n").count(), 3);
}

#[test]
fn zrank_withscore_7_2() {
    let s = TestServer::start();
    let mut c = s.raw();
    assert_eq!(run(&mut c, "ZADD z 1.5 a 2 b -3.25 c"), ":3\r\n");
    assert_eq!(
        run(&mut c, "ZRANK z a WITHSCORE"),
        "*2\r\n:1\r\n$3\r\n1.5\r\n"
    );
    assert_eq!(
        run(&mut c, "ZREVRANK z a withscore"),
        "*2\r\n:1\r\n$3\r\n1.5\r\n"
    );
    assert_eq!(
        run(&mut c, "ZRANK z c WITHSCORE"),
        "*2\r\n:0\r\n$5\r\n-3.25\r\n"
    );
    assert_eq!(run(&mut c, "ZRANK z nope WITHSCORE"), "*-1\r\n");
    assert_eq!(run(&mut c, "ZRANK nokey a WITHSCORE"), "*-1\r\n");
    assert_eq!(run(&mut c, "ZRANK nokey a"), "$-1\r\n");
    assert_eq!(run(&mut c, "ZRANK z a WITHSCORES"), "-ERR syntax error\r\n");
    assert_eq!(
        run(&mut c, "ZPOPMIN z x"),
        "-ERR value is out of range, must be positive\r\n"
    );
    // 7.2 checks `argc > 4` first: an arity error, not a syntax error.
    assert_eq!(
        run(&mut c, "ZRANK z a WITHSCORE x"),
        "-ERR wrong number of arguments for 'zrank' command\r\n"
    );
    assert_eq!(
        run(&mut c, "ZREVRANK z a x y"),
        "-ERR wrong number of arguments for 'zrevrank' command\r\n"
    );
}

#[test]
fn doubles_use_7_2_shortest_form() {
    // Redis 7.0 prints %.17g ("0.10000000000000001"); 7.2 prints the shortest round trip.
    let s = TestServer::start();
    let mut c = s.raw();
    assert_eq!(run(&mut c, "ZADD z 0.1 a 1e20 b"), ":2\r\n");
    assert_eq!(run(&mut c, "ZSCORE z a"), "$3\r\n0.1\r\n");
    assert_eq!(
        run(&mut c, "ZINCRBY z 0.2 a"),
        "$19\r\n0.30000000000000004\r\n"
    );
    assert_eq!(run(&mut c, "ZSCORE z b"), "$5\r\n1e+20\r\n");
    // -0: a listpack stores an integral score as an integer, so it comes back as 0; a
    // skiplist keeps the double's sign. The ZINCRBY reply is the computed score.
    assert_eq!(run(&mut c, "ZADD z -0 c"), ":1\r\n");
    assert_eq!(run(&mut c, "ZSCORE z c"), "$1\r\n0\r\n");
    assert_eq!(run(&mut c, "ZINCRBY n -0 c"), "$2\r\n-0\r\n");
    assert_eq!(
        run(&mut c, "ZRANGE n 0 -1 WITHSCORES"),
        "*2\r\n$1\r\nc\r\n$1\r\n0\r\n"
    );
    assert_eq!(
        run(&mut c, "CONFIG SET zset-max-listpack-entries 0"),
        "+OK\r\n"
    );
    assert_eq!(run(&mut c, "ZADD big -0 c"), ":1\r\n");
    assert_eq!(run(&mut c, "OBJECT ENCODING big"), "$8\r\nskiplist\r\n");
    assert_eq!(run(&mut c, "ZSCORE big c"), "$2\r\n-0\r\n");
    // A store of a small result goes back to listpack, and -0 to 0.
    assert_eq!(
        run(&mut c, "CONFIG SET zset-max-listpack-entries 128"),
        "+OK\r\n"
    );
    assert_eq!(run(&mut c, "ZRANGESTORE d big 0 -1"), ":1\r\n");
    assert_eq!(run(&mut c, "ZSCORE d c"), "$1\r\n0\r\n");
}

#[test]
fn plain_sets_as_inputs() {
    let s = TestServer::start();
    let mut c = s.raw();
    run(&mut c, "ZADD u1 1 a 2 b 3 c");
    run(&mut c, "ZADD u2 10 b 20 c 30 d");
    assert_eq!(run(&mut c, "SADD s1 a d x"), ":3\r\n");
    // Captured from redis 7.0.
    assert_eq!(
        run(&mut c, "ZUNION 3 u1 u2 s1 WITHSCORES"),
        "*10\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n31\r\n"
    );
    assert_eq!(run(&mut c, "ZINTER 3 u1 u2 s1 WITHSCORES"), "*0\r\n");
    assert_eq!(
        run(&mut c, "ZINTER 2 u1 s1 WEIGHTS 2 5 WITHSCORES"),
        "*2\r\n$1\r\na\r\n$1\r\n7\r\n"
    );
    assert_eq!(run(&mut c, "ZDIFF 2 u1 s1"), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
    assert_eq!(run(&mut c, "ZINTERCARD 2 s1 u2"), ":1\r\n");
    assert_eq!(run(&mut c, "ZUNIONSTORE d 1 s1"), ":3\r\n");
    assert_eq!(
        run(&mut c, "ZRANGE d 0 -1 WITHSCORES"),
        "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nd\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\n1\r\n"
    );
}

/// Member names of a flat array reply.
fn members(reply: &str) -> Vec<String> {
    reply
        .split("\r\n")
        .skip(1)
        .collect::<Vec<_>>()
        .chunks(2)
        .filter(|ch| ch.len() == 2)
        .map(|ch| ch[1].to_string())
        .collect()
}

#[test]
fn zrandmember_counts() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut cmd = String::from("ZADD r");
    for i in 0..300 {
        cmd.push_str(&format!(" {i} m{i}"));
    }
    assert_eq!(run(&mut c, &cmd), ":300\r\n");
    for count in [1, 5, 100, 200, 299] {
        let r = run(&mut c, &format!("ZRANDMEMBER r {count}"));
        let mut m = members(&r);
        assert_eq!(m.len(), count);
        m.sort();
        m.dedup();
        assert_eq!(m.len(), count, "distinct for positive count");
    }
    let r = run(&mut c, "ZRANDMEMBER r 1000");
    assert_eq!(members(&r).len(), 300);
    // The whole set comes in Redis's iterator order: from the highest score down.
    assert!(r.starts_with("*300\r\n$4\r\nm299\r\n"));
    let r = run(&mut c, "ZRANDMEMBER r -1000");
    assert_eq!(members(&r).len(), 1000);
    let r = run(&mut c, "ZRANDMEMBER r 3 WITHSCORES");
    assert!(r.starts_with("*6\r\n"));
    let r = run(&mut c, "ZRANDMEMBER r -3 WITHSCORES");
    assert!(r.starts_with("*6\r\n"));
    let r = run(&mut c, "ZRANDMEMBER r");
    assert!(r.starts_with("$"));
    assert_eq!(run(&mut c, "ZRANDMEMBER nokey"), "$-1\r\n");
    assert_eq!(
        run(&mut c, "ZRANDMEMBER r 4611686018427387904 WITHSCORES"),
        "-ERR value is out of range\r\n"
    );
    assert_eq!(
        run(&mut c, "ZRANDMEMBER r -9223372036854775808"),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    );
    assert_eq!(
        run(&mut c, "ZRANDMEMBER r x"),
        "-ERR value is not an integer or out of range\r\n"
    );
}

#[test]
fn big_sets_cross_the_listpack_limits() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut cmd = String::from("ZADD b");
    for i in 0..1000 {
        cmd.push_str(&format!(" {} k{:04}", i % 100, i));
    }
    assert_eq!(run(&mut c, &cmd), ":1000\r\n");
    assert_eq!(run(&mut c, "ZCARD b"), ":1000\r\n");
    // Score 0 has k0000, k0100, ..., k0900 (ten members), ordered by member.
    assert_eq!(
        run(&mut c, "ZRANGE b 0 1"),
        "*2\r\n$5\r\nk0000\r\n$5\r\nk0100\r\n"
    );
    assert_eq!(run(&mut c, "ZRANK b k0100"), ":1\r\n");
    assert_eq!(run(&mut c, "ZREVRANK b k0100"), ":998\r\n");
    assert_eq!(run(&mut c, "ZCOUNT b 10 (20"), ":100\r\n");
    assert_eq!(
        run(&mut c, "ZRANGE b (98 +inf BYSCORE LIMIT 2 2"),
        "*2\r\n$5\r\nk0299\r\n$5\r\nk0399\r\n"
    );
    assert_eq!(run(&mut c, "ZREMRANGEBYSCORE b 0 49"), ":500\r\n");
    assert_eq!(run(&mut c, "ZREMRANGEBYRANK b 0 99"), ":100\r\n");
    assert_eq!(run(&mut c, "ZCARD b"), ":400\r\n");
    assert_eq!(run(&mut c, "ZSCORE b k0060"), "$2\r\n60\r\n");
    // A long member alone makes the skiplist encoding; its results are the same.
    let long = "x".repeat(100);
    assert_eq!(run(&mut c, &format!("ZADD l 1 {long} 2 y")), ":2\r\n");
    assert_eq!(
        run(&mut c, "ZRANGE l 0 -1 WITHSCORES"),
        format!("*4\r\n$100\r\n{long}\r\n$1\r\n1\r\n$1\r\ny\r\n$1\r\n2\r\n")
    );
    // ZSCAN over a big set sees every member (cursor-driven).
    let mut seen = std::collections::HashSet::new();
    let mut cursor = "0".to_string();
    loop {
        let r = run(&mut c, &format!("ZSCAN b {cursor} COUNT 25"));
        let parts: Vec<&str> = r.split("\r\n").collect();
        cursor = parts[2].to_string();
        let items: Vec<&str> = parts[4..].to_vec();
        for pair in items.chunks(4) {
            if pair.len() >= 2 {
                seen.insert(pair[1].to_string());
            }
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 400);
    let r = run(&mut c, "ZSCAN b 0 MATCH k0060 COUNT 1000");
    assert!(r.ends_with("$5\r\nk0060\r\n$2\r\n60\r\n"), "{r}");
}

#[test]
fn config_limits_decide_the_encoding() {
    let s = TestServer::start();
    let mut c = s.raw();
    assert_eq!(
        run(&mut c, "CONFIG SET zset-max-listpack-entries 2"),
        "+OK\r\n"
    );
    assert_eq!(run(&mut c, "ZADD z 1 a 2 b 3 c"), ":3\r\n");
    assert_eq!(
        run(&mut c, "ZRANGE z 0 -1"),
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    assert_eq!(run(&mut c, "OBJECT ENCODING z"), "$8\r\nskiplist\r\n");
    run(&mut c, "ZADD s 1 a");
    assert_eq!(run(&mut c, "OBJECT ENCODING s"), "$8\r\nlistpack\r\n");
    // A store of a small result converts back to listpack.
    assert_eq!(run(&mut c, "ZRANGESTORE d z 0 0"), ":1\r\n");
    assert_eq!(run(&mut c, "OBJECT ENCODING d"), "$8\r\nlistpack\r\n");
}

// ---------------------------------------------------------------------------------------
// Blocking pops

fn read_with_timeout(c: &mut Raw) -> String {
    String::from_utf8_lossy(&c.read_reply()).into_owned()
}

#[test]
fn bzpopmin_serves_clients_in_order() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut b = s.raw();
    let mut w = s.raw();
    a.cmd(&[b"BZPOPMIN", b"q1", b"q2", b"0"]);
    std::thread::sleep(std::time::Duration::from_millis(100));
    b.cmd(&[b"BZPOPMIN", b"q2", b"0"]);
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(run(&mut w, "ZADD q2 2 y 1 x"), ":2\r\n");
    assert_eq!(
        read_with_timeout(&mut a),
        "*3\r\n$2\r\nq2\r\n$1\r\nx\r\n$1\r\n1\r\n"
    );
    assert_eq!(
        read_with_timeout(&mut b),
        "*3\r\n$2\r\nq2\r\n$1\r\ny\r\n$1\r\n2\r\n"
    );
    assert_eq!(run(&mut w, "ZCARD q2"), ":0\r\n");
    // BZPOPMAX woken by a store command.
    a.cmd(&[b"BZPOPMAX", b"dst", b"0"]);
    std::thread::sleep(std::time::Duration::from_millis(100));
    run(&mut w, "ZADD src 1 a 5 b");
    assert_eq!(run(&mut w, "ZUNIONSTORE dst 1 src"), ":2\r\n");
    assert_eq!(
        read_with_timeout(&mut a),
        "*3\r\n$3\r\ndst\r\n$1\r\nb\r\n$1\r\n5\r\n"
    );
    // ZINCRBY creating the key wakes too.
    a.cmd(&[b"BZPOPMIN", b"inc", b"0"]);
    std::thread::sleep(std::time::Duration::from_millis(100));
    run(&mut w, "ZINCRBY inc 2.5 m");
    assert_eq!(
        read_with_timeout(&mut a),
        "*3\r\n$3\r\ninc\r\n$1\r\nm\r\n$3\r\n2.5\r\n"
    );
}

#[test]
fn blocking_timeouts_and_errors() {
    let s = TestServer::start();
    let mut a = s.raw();
    assert_eq!(run(&mut a, "BZPOPMIN none 0.05"), "*-1\r\n");
    assert_eq!(run(&mut a, "BZPOPMAX none 0.05"), "*-1\r\n");
    assert_eq!(run(&mut a, "BZMPOP 0.05 1 none MIN"), "*-1\r\n");
    assert_eq!(
        run(&mut a, "BZPOPMIN none -1"),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        run(&mut a, "BZPOPMIN none x"),
        "-ERR timeout is not a float or out of range\r\n"
    );
    assert_eq!(
        run(&mut a, "BZMPOP 0 0 none MIN"),
        "-ERR numkeys should be greater than 0\r\n"
    );
    assert_eq!(run(&mut a, "BZMPOP 0 1 none MID"), "-ERR syntax error\r\n");
    assert_eq!(
        run(&mut a, "BZMPOP 0 1 none MIN COUNT 0"),
        "-ERR count should be greater than 0\r\n"
    );
    // numkeys, MIN|MAX and COUNT are checked before the timeout (as Redis).
    assert_eq!(run(&mut a, "BZMPOP -1 1 none MID"), "-ERR syntax error\r\n");
    assert_eq!(
        run(&mut a, "BZMPOP x 0 none MIN"),
        "-ERR numkeys should be greater than 0\r\n"
    );
    assert_eq!(
        run(&mut a, "BZMPOP -0.01 1 none MIN COUNT x"),
        "-ERR count should be greater than 0\r\n"
    );
    assert_eq!(
        run(&mut a, "BZMPOP -1 1 none MIN"),
        "-ERR timeout is negative\r\n"
    );
    run(&mut a, "SET str x");
    assert_eq!(
        run(&mut a, "BZPOPMIN str 0"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    // Non-blocking when data is there.
    run(&mut a, "ZADD k 1 a 2 b 3 c");
    assert_eq!(
        run(&mut a, "BZMPOP 0 2 none k MAX COUNT 2"),
        "*2\r\n$1\r\nk\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    assert_eq!(
        run(&mut a, "BZPOPMAX none k 0"),
        "*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
}

#[test]
fn bzmpop_wakes_with_count() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut w = s.raw();
    a.cmd(&[b"BZMPOP", b"5", b"2", b"k1", b"k2", b"MIN", b"COUNT", b"5"]);
    std::thread::sleep(std::time::Duration::from_millis(100));
    run(&mut w, "ZADD k2 3 c 1 a 2 b");
    assert_eq!(
        read_with_timeout(&mut a),
        "*2\r\n$2\r\nk2\r\n*3\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"
    );
}

#[test]
fn blocking_pops_do_not_block_in_multi() {
    let s = TestServer::start();
    let mut a = s.raw();
    assert_eq!(run(&mut a, "MULTI"), "+OK\r\n");
    assert_eq!(run(&mut a, "BZPOPMIN none 0"), "+QUEUED\r\n");
    assert_eq!(run(&mut a, "BZMPOP 0 1 none MIN"), "+QUEUED\r\n");
    assert_eq!(run(&mut a, "EXEC"), "*2\r\n*-1\r\n*-1\r\n");
}

// ---------------------------------------------------------------------------------------
// Randomised comparison with a real redis-server (skipped when it isn't installed).

#[test]
fn random_ops_match_real_redis() {
    let Some(redis) = start_redis() else {
        eprintln!("redis-server not available: skipped");
        return;
    };
    let s = TestServer::start();
    let mut t = s.raw();
    let mut r = Raw::connect(redis.port);
    let mut rng = Rng(0x5eed);
    // Halves and integers print identically in Redis 7.0 and 7.2.
    let score = |rng: &mut Rng| format!("{}", (rng.below(60) as f64 - 30.0) / 2.0);
    let bound = |rng: &mut Rng| match rng.below(5) {
        0 => "-inf".to_string(),
        1 => "+inf".to_string(),
        2 => format!("({}", (rng.below(60) as f64 - 30.0) / 2.0),
        _ => format!("{}", (rng.below(60) as f64 - 30.0) / 2.0),
    };
    let lex = |rng: &mut Rng| match rng.below(5) {
        0 => "-".to_string(),
        1 => "+".to_string(),
        2 => format!("(m{}", rng.below(200)),
        _ => format!("[m{}", rng.below(200)),
    };
    for step in 0..3000 {
        // Two keys: one with varied scores, one with equal scores for lex commands.
        let (key, lexkey) = ("k", "l");
        let m = format!("m{}", rng.below(200));
        let cmd: Vec<String> = match rng.below(16) {
            0..=3 => vec!["ZADD".into(), key.into(), score(&mut rng), m],
            4 => vec!["ZADD".into(), lexkey.into(), "0".into(), m],
            5 => vec!["ZREM".into(), key.into(), m],
            6 => vec!["ZINCRBY".into(), key.into(), score(&mut rng), m],
            7 => {
                let a = rng.below(300) as i64 - 150;
                let b = rng.below(300) as i64 - 150;
                let mut v = vec!["ZRANGE".into(), key.into(), a.to_string(), b.to_string()];
                if rng.below(2) == 0 {
                    v.push("REV".into());
                }
                v.push("WITHSCORES".into());
                v
            }
            8 => {
                let rev = rng.below(2) == 0;
                let (a, b) = (bound(&mut rng), bound(&mut rng));
                let mut v = vec!["ZRANGE".into(), key.into(), a, b, "BYSCORE".into()];
                if rev {
                    v.push("REV".into());
                }
                if rng.below(2) == 0 {
                    v.extend([
                        "LIMIT".into(),
                        rng.below(20).to_string(),
                        (rng.below(20) as i64 - 2).to_string(),
                    ]);
                }
                v
            }
            9 => {
                let (a, b) = (lex(&mut rng), lex(&mut rng));
                let mut v = vec!["ZRANGE".into(), lexkey.into(), a, b, "BYLEX".into()];
                if rng.below(2) == 0 {
                    v.push("REV".into());
                }
                if rng.below(2) == 0 {
                    v.extend(["LIMIT".into(), rng.below(20).to_string(), "5".into()]);
                }
                v
            }
            10 => vec!["ZRANK".into(), key.into(), m],
            11 => vec![
                "ZCOUNT".into(),
                key.into(),
                bound(&mut rng),
                bound(&mut rng),
            ],
            12 => vec![
                "ZLEXCOUNT".into(),
                lexkey.into(),
                lex(&mut rng),
                lex(&mut rng),
            ],
            13 => match rng.below(3) {
                0 => vec![
                    "ZREMRANGEBYRANK".into(),
                    key.into(),
                    rng.below(10).to_string(),
                    rng.below(12).to_string(),
                ],
                1 => {
                    let x = (rng.below(60) as f64 - 30.0) / 2.0;
                    vec![
                        "ZREMRANGEBYSCORE".into(),
                        key.into(),
                        format!("{x}"),
                        format!("({}", x + 1.0),
                    ]
                }
                _ => {
                    let n = rng.below(200);
                    vec![
                        "ZREMRANGEBYLEX".into(),
                        lexkey.into(),
                        format!("[m{n}"),
                        format!("(m{}", n + 3),
                    ]
                }
            },
            14 => vec!["ZREVRANK".into(), key.into(), m],
            _ => vec![
                "ZCARD".into(),
                if rng.below(2) == 0 { key } else { lexkey }.into(),
            ],
        };
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        t.cmd(&args);
        r.cmd(&args);
        let (got, want) = (t.read_reply(), r.read_reply());
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "step {step}: {cmd:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Keyspace events, compared live with a real redis-server (skipped when not installed).

/// Runs `cmds` with `notify-keyspace-events` = `flags` and returns every keyevent
/// notification as "event:key", in order.
fn events_of(port: u16, flags: &str, cmds: &[&str]) -> Vec<String> {
    let mut c = Raw::connect(port);
    assert_eq!(
        run(
            &mut c,
            &format!("CONFIG SET notify-keyspace-events {flags}")
        ),
        "+OK\r\n"
    );
    let mut sub = Raw::connect(port);
    sub.cmd(&[b"PSUBSCRIBE", b"__keyevent@*__:*"]);
    sub.read_reply();
    for cmd in cmds {
        run(&mut c, cmd);
    }
    run(&mut c, "PUBLISH __keyevent@0__:sentinel end");
    let mut out = Vec::new();
    loop {
        let rep = String::from_utf8_lossy(&sub.read_reply()).into_owned();
        let parts: Vec<&str> = rep.split("\r\n").collect();
        let (ch, payload) = (parts[6], parts[8]);
        let ev = ch.rsplit(':').next().unwrap();
        if ev == "sentinel" {
            return out;
        }
        out.push(format!("{ev}:{payload}"));
    }
}

#[test]
fn keyspace_events_match_real_redis() {
    let cmds = [
        "ZADD z 1 a 2 b 3 c",
        "ZADD z 1 a",
        "ZADD z XX CH 5 a",
        "ZINCRBY z 1 a",
        "ZADD z INCR 1 b",
        "ZREM z nope",
        "ZREM z a",
        "ZREMRANGEBYSCORE z 2 2", // nothing in range: no event
        "ZREMRANGEBYSCORE z 3 3",
        "ZADD z 4 d 5 e 6 f",
        "ZREMRANGEBYRANK z 0 0",
        "ZPOPMIN z",
        "ZPOPMAX z 5",
        "ZADD l 0 a 0 b 0 c",
        "ZREMRANGEBYLEX l [a [b",
        "ZREMRANGEBYLEX l - +",
        "ZADD s1 1 a 2 b",
        "ZUNIONSTORE d 1 s1",
        "ZINTERSTORE d 1 s1",
        "ZDIFFSTORE d 1 s1",
        "ZRANGESTORE d s1 0 0",
        "ZDIFFSTORE d 2 s1 s1",
        "ZMPOP 1 s1 MIN",
        "BZPOPMAX s1 0",
        "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
        "GEOSEARCHSTORE gd g FROMLONLAT 15 37 BYRADIUS 200 km",
        "GEORADIUS g 15 37 200 km STORE gd",
        "GEORADIUS g 15 37 1 m STOREDIST gd",
    ];
    let s = TestServer::start();
    let mine = events_of(s.port, "KEA", &cmds);
    let mine_n = events_of(
        s.port,
        "KEn",
        &["FLUSHALL", "ZADD n 1 a", "ZADD n 2 b", "ZUNIONSTORE n2 1 n"],
    );
    // Redis 7 (captured): the events each command emits.
    let want: Vec<&str> = vec![
        "zadd:z",
        "zadd:z",
        "zincr:z",
        "zincr:z",
        "zrem:z",
        "zremrangebyscore:z",
        "del:z",
        "zadd:z",
        "zremrangebyrank:z",
        "zpopmin:z",
        "zpopmax:z",
        "del:z",
        "zadd:l",
        "zremrangebylex:l",
        "zremrangebylex:l",
        "del:l",
        "zadd:s1",
        "zunionstore:d",
        "zinterstore:d",
        "zdiffstore:d",
        "zrangestore:d",
        "del:d",
        "zpopmin:s1",
        "zpopmax:s1",
        "del:s1",
        "zadd:g",
        "geosearchstore:gd",
        "georadiusstore:gd",
        "del:gd",
    ];
    assert_eq!(mine, want);
    assert_eq!(mine_n, vec!["new:n", "new:n2"]);
    if let Some(redis) = start_redis() {
        assert_eq!(events_of(redis.port, "KEA", &cmds), mine);
    }
}

#[test]
fn zscan_match_star_includes_the_empty_member() {
    // A lone "*" is no pattern at all in Redis's SCAN (the glob itself does not match "").
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(
        q(&mut c, &["ZADD", "z", "1", "", "2", "a"]),
        redis::Value::Int(2)
    );
    assert_eq!(
        q(&mut c, &["ZSCAN", "z", "0", "MATCH", "*"]),
        redis::Value::Array(vec![
            b("0"),
            redis::Value::Array(vec![b(""), b("1"), b("a"), b("2")])
        ])
    );
    assert_eq!(
        q(&mut c, &["ZSCAN", "z", "0", "MATCH", "*a"]),
        redis::Value::Array(vec![b("0"), redis::Value::Array(vec![b("a"), b("2")])])
    );
}
