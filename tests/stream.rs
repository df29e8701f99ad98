//! Stream commands: every command, option and error against the replies of a real Redis
//! (the deterministic cases below were recorded from redis-server and are compared
//! exactly), plus blocking, consumer-group and propagation scenarios.

mod common;
use common::*;
use redis::Value;
use std::time::Duration;

/// A compact rendering of a reply: bulk/status text as is, integers in decimal, nil as
/// `nil`, arrays and maps as `[a b c]`, errors as `!<text>`.
fn fmt(v: &Value) -> String {
    match v {
        Value::Nil => "nil".into(),
        Value::Int(i) => i.to_string(),
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Okay => "OK".into(),
        Value::Array(a) | Value::Set(a) => {
            format!("[{}]", a.iter().map(fmt).collect::<Vec<_>>().join(" "))
        }
        Value::Map(m) => format!(
            "[{}]",
            m.iter()
                .map(|(k, v)| format!("{} {}", fmt(k), fmt(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Value::ServerError(_) => format!("!{}", err_text(v)),
        other => format!("{other:?}"),
    }
}

/// Compares a reply with `want`; a `~` token in `want` matches any one token (times).
fn check(c: &mut redis::Connection, args: &[&str], want: &str) {
    let got = fmt(&q(c, args));
    if want.contains('~') && !want.starts_with('!') {
        let tok = |s: &str| -> Vec<String> {
            s.replace('[', " [ ")
                .replace(']', " ] ")
                .split_whitespace()
                .map(String::from)
                .collect()
        };
        let (g, w) = (tok(&got), tok(want));
        let ok = g.len() == w.len() && g.iter().zip(&w).all(|(a, b)| b == "~" || a == b);
        assert!(ok, "reply to {args:?}: got {got}, want {want}");
        return;
    }
    assert_eq!(got, want, "reply to {args:?}");
}

fn cmd(c: &mut redis::Connection, args: &[&str]) -> String {
    fmt(&q(c, args))
}

#[test]
fn xadd_explicit_ids_and_errors() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xadd", "s", "1-1", "a", "1", "b", "2"], "1-1");
    check(
        &mut c,
        &["xadd", "s", "1-1", "a", "1"],
        "!ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
    check(
        &mut c,
        &["xadd", "s", "1-0", "a", "1"],
        "!ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
    check(
        &mut c,
        &["xadd", "s", "0-0", "a", "1"],
        "!ERR The ID specified in XADD must be greater than 0-0",
    );
    check(
        &mut c,
        &["xadd", "s2", "0", "a", "1"],
        "!ERR The ID specified in XADD must be greater than 0-0",
    );
    check(
        &mut c,
        &["xadd", "s", "1", "a", "1"],
        "!ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
    check(&mut c, &["xadd", "s", "1-*", "a", "1"], "1-2");
    check(&mut c, &["xadd", "s", "2-*", "a", "1", "c", "3"], "2-0");
    check(&mut c, &["xadd", "s", "2-*", "a", "1", "c", "3"], "2-1");
    check(
        &mut c,
        &["xadd", "s", "5-5", "a"],
        "!ERR wrong number of arguments for 'xadd' command",
    );
    check(
        &mut c,
        &["xadd", "s", "5-5", "a", "1", "b"],
        "!ERR wrong number of arguments for 'xadd' command",
    );
    check(
        &mut c,
        &["xadd", "s", "abc", "a", "1"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xadd", "s", "1-abc", "a", "1"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xadd", "s", "-", "a", "1"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xadd", "s", "+", "a", "1"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xadd", "s", "-1", "a", "1"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xadd", "s", "18446744073709551616-0", "a", "1"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &[
            "xadd",
            "s",
            "18446744073709551615-18446744073709551615",
            "a",
            "1",
        ],
        "18446744073709551615-18446744073709551615",
    );
    check(
        &mut c,
        &["xadd", "s", "*", "a", "1"],
        "!ERR The stream has exhausted the last possible ID, unable to add more items",
    );
    check(
        &mut c,
        &["xadd", "s", "18446744073709551615-*", "a", "1"],
        "!ERR The stream has exhausted the last possible ID, unable to add more items",
    );
    check(&mut c, &["xrange", "s", "-", "+"], "[[1-1 [a 1 b 2]] [1-2 [a 1]] [2-0 [a 1 c 3]] [2-1 [a 1 c 3]] [18446744073709551615-18446744073709551615 [a 1]]]");
    check(&mut c, &["xlen", "s"], "5");
    check(&mut c, &["xlen", "nosuch"], "0");
    check(&mut c, &["set", "str", "x"], "OK");
    check(
        &mut c,
        &["xadd", "str", "*", "a", "1"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    check(
        &mut c,
        &["xlen", "str"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    check(
        &mut c,
        &["xrange", "str", "-", "+"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
}
#[test]
fn xadd_options() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &["xadd", "s", "maxlen", "a", "1"],
        "!ERR value is not an integer or out of range",
    );
    check(
        &mut c,
        &["xadd", "s", "maxlen", "-1", "*", "a", "1"],
        "!ERR The MAXLEN argument must be >= 0.",
    );
    check(
        &mut c,
        &["xadd", "s", "maxlen", "abc", "*", "a", "1"],
        "!ERR value is not an integer or out of range",
    );
    check(
        &mut c,
        &["xadd", "s", "maxlen", "10", "limit", "5", "1-1", "a", "1"],
        "!ERR syntax error, LIMIT cannot be used without the special ~ option",
    );
    check(
        &mut c,
        &[
            "xadd", "s", "maxlen", "=", "10", "limit", "5", "1-1", "a", "1",
        ],
        "!ERR syntax error, LIMIT cannot be used without the special ~ option",
    );
    check(
        &mut c,
        &["xadd", "s", "limit", "5", "1-1", "a", "1"],
        "!ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
    );
    check(
        &mut c,
        &["xadd", "s", "limit", "0", "1-1", "a", "1"],
        "!ERR syntax error, LIMIT cannot be used without the special ~ option",
    );
    check(
        &mut c,
        &["xadd", "s", "limit", "-1", "1-1", "a", "1"],
        "!ERR The LIMIT argument must be >= 0.",
    );
    check(
        &mut c,
        &["xadd", "s", "maxlen", "1", "minid", "5", "1-1", "a", "1"],
        "!ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
    );
    check(
        &mut c,
        &["xadd", "s", "minid", "5", "maxlen", "1", "1-1", "a", "1"],
        "!ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
    );
    check(
        &mut c,
        &["xadd", "s", "minid", "bad", "1-1", "a", "1"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xadd", "s", "minid", "-", "1-1", "a", "1"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xadd", "s", "nomkstream", "10-1", "x", "y"],
        "nil",
    );
    check(
        &mut c,
        &[
            "xadd",
            "s",
            "nomkstream",
            "maxlen",
            "=",
            "2",
            "10-1",
            "x",
            "y",
        ],
        "nil",
    );
    check(&mut c, &["xlen", "s"], "0");
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xadd", "s", "2-1", "a", "1"], "2-1");
    check(
        &mut c,
        &["xadd", "s", "maxlen", "=", "2", "3-1", "a", "1"],
        "3-1",
    );
    check(
        &mut c,
        &["xrange", "s", "-", "+"],
        "[[2-1 [a 1]] [3-1 [a 1]]]",
    );
    check(
        &mut c,
        &["xadd", "s", "minid", "=", "3-1", "4-1", "a", "1"],
        "4-1",
    );
    check(
        &mut c,
        &["xrange", "s", "-", "+"],
        "[[3-1 [a 1]] [4-1 [a 1]]]",
    );
    check(
        &mut c,
        &["xadd", "s", "maxlen", "~", "0", "5-1", "a", "1"],
        "5-1",
    );
    check(&mut c, &["xlen", "s"], "0");
    check(
        &mut c,
        &[
            "xadd", "s", "maxlen", "~", "0", "limit", "10", "6-1", "a", "1",
        ],
        "6-1",
    );
    check(&mut c, &["xlen", "s"], "0");
    check(
        &mut c,
        &["xadd", "s", "MAXLEN", "1", "7-1", "a", "1"],
        "7-1",
    );
    check(&mut c, &["xrange", "s", "-", "+"], "[[7-1 [a 1]]]");
}
#[test]
fn xrange_and_xrevrange() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xadd", "s", "1-2", "b", "2"], "1-2");
    check(&mut c, &["xadd", "s", "2-0", "c", "3"], "2-0");
    check(&mut c, &["xadd", "s", "3-5", "d", "4", "e", "5"], "3-5");
    check(&mut c, &["xadd", "s", "10-0", "f", "6"], "10-0");
    check(
        &mut c,
        &["xrange", "s", "-", "+"],
        "[[1-1 [a 1]] [1-2 [b 2]] [2-0 [c 3]] [3-5 [d 4 e 5]] [10-0 [f 6]]]",
    );
    check(
        &mut c,
        &["xrange", "s", "-", "+", "count", "2"],
        "[[1-1 [a 1]] [1-2 [b 2]]]",
    );
    check(&mut c, &["xrange", "s", "-", "+", "COUNT", "0"], "nil");
    check(&mut c, &["xrange", "s", "-", "+", "count", "-1"], "nil");
    check(
        &mut c,
        &["xrange", "s", "-", "+", "count", "abc"],
        "!ERR value is not an integer or out of range",
    );
    check(
        &mut c,
        &["xrange", "s", "-", "+", "count"],
        "!ERR syntax error",
    );
    check(
        &mut c,
        &["xrange", "s", "-", "+", "foo", "1"],
        "!ERR syntax error",
    );
    check(
        &mut c,
        &["xrange", "s", "(1-1", "+"],
        "[[1-2 [b 2]] [2-0 [c 3]] [3-5 [d 4 e 5]] [10-0 [f 6]]]",
    );
    check(
        &mut c,
        &["xrange", "s", "1", "1"],
        "[[1-1 [a 1]] [1-2 [b 2]]]",
    );
    check(
        &mut c,
        &["xrange", "s", "1", "2"],
        "[[1-1 [a 1]] [1-2 [b 2]] [2-0 [c 3]]]",
    );
    check(
        &mut c,
        &["xrange", "s", "2", "(10"],
        "[[2-0 [c 3]] [3-5 [d 4 e 5]] [10-0 [f 6]]]",
    );
    check(
        &mut c,
        &["xrange", "s", "(2-0", "(10-0"],
        "[[3-5 [d 4 e 5]]]",
    );
    check(&mut c, &["xrange", "s", "3", "3-5"], "[[3-5 [d 4 e 5]]]");
    check(
        &mut c,
        &["xrange", "s", "(-", "+"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xrange", "s", "-", "(+"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xrange", "s", "((1", "+"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xrange", "s", "(", "+"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(&mut c, &["xrange", "s", "5", "2"], "[]");
    check(&mut c, &["xrange", "s", "18446744073709551615", "+"], "[]");
    check(
        &mut c,
        &[
            "xrange",
            "s",
            "(18446744073709551615-18446744073709551615",
            "+",
        ],
        "!ERR invalid start ID for the interval",
    );
    check(
        &mut c,
        &["xrange", "s", "-", "(0-0"],
        "!ERR invalid end ID for the interval",
    );
    check(
        &mut c,
        &["xrange", "s", "01-1", "+"],
        "[[1-1 [a 1]] [1-2 [b 2]] [2-0 [c 3]] [3-5 [d 4 e 5]] [10-0 [f 6]]]",
    );
    check(
        &mut c,
        &["xrange", "s", "1-1-1", "+"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xrevrange", "s", "+", "-"],
        "[[10-0 [f 6]] [3-5 [d 4 e 5]] [2-0 [c 3]] [1-2 [b 2]] [1-1 [a 1]]]",
    );
    check(
        &mut c,
        &["xrevrange", "s", "+", "-", "count", "2"],
        "[[10-0 [f 6]] [3-5 [d 4 e 5]]]",
    );
    check(
        &mut c,
        &["xrevrange", "s", "(10-0", "-"],
        "[[3-5 [d 4 e 5]] [2-0 [c 3]] [1-2 [b 2]] [1-1 [a 1]]]",
    );
    check(
        &mut c,
        &["xrevrange", "s", "3", "2"],
        "[[3-5 [d 4 e 5]] [2-0 [c 3]]]",
    );
    check(&mut c, &["xrevrange", "s", "2", "3"], "[]");
    check(&mut c, &["xrevrange", "s", "+", "-", "count", "0"], "nil");
    check(&mut c, &["xrange", "nosuch", "-", "+"], "[]");
    check(&mut c, &["xrevrange", "nosuch", "+", "-"], "[]");
}
#[test]
fn xdel_and_first_id() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xadd", "s", "2-1", "b", "2"], "2-1");
    check(&mut c, &["xadd", "s", "3-1", "c", "3"], "3-1");
    check(&mut c, &["xdel", "s", "1-1", "2-1", "99-0"], "2");
    check(&mut c, &["xdel", "s", "1-1"], "0");
    check(
        &mut c,
        &["xdel", "s", "bad"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xdel", "s", "3-1", "bad"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(&mut c, &["xdel", "nosuch", "bad"], "0");
    check(&mut c, &["xdel", "nosuch", "1-1"], "0");
    check(&mut c, &["xlen", "s"], "1");
    check(&mut c, &["xinfo", "stream", "s"], "[length 1 radix-tree-keys 1 radix-tree-nodes 2 last-generated-id 3-1 max-deleted-entry-id 2-1 entries-added 3 recorded-first-entry-id 3-1 groups 0 first-entry [3-1 [c 3]] last-entry [3-1 [c 3]]]");
    check(&mut c, &["xdel", "s", "3-1"], "1");
    check(&mut c, &["xinfo", "stream", "s"], "[length 0 radix-tree-keys 0 radix-tree-nodes 1 last-generated-id 3-1 max-deleted-entry-id 3-1 entries-added 3 recorded-first-entry-id 0-0 groups 0 first-entry nil last-entry nil]");
    check(
        &mut c,
        &["xadd", "s", "3-1", "a", "1"],
        "!ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
    check(&mut c, &["xadd", "s", "4-1", "a", "1"], "4-1");
    check(&mut c, &["xrange", "s", "-", "+"], "[[4-1 [a 1]]]");
    check(&mut c, &["set", "str", "x"], "OK");
    check(
        &mut c,
        &["xdel", "str", "1-1"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
}
#[test]
fn xtrim_cases() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xtrim", "s", "maxlen", "0"], "0");
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xadd", "s", "2-1", "b", "2"], "2-1");
    check(&mut c, &["xadd", "s", "3-1", "c", "3"], "3-1");
    check(&mut c, &["xadd", "s", "4-1", "d", "4"], "4-1");
    check(
        &mut c,
        &["xtrim", "s"],
        "!ERR wrong number of arguments for 'xtrim' command",
    );
    check(&mut c, &["xtrim", "s", "foo", "1"], "!ERR syntax error");
    check(
        &mut c,
        &["xtrim", "s", "maxlen"],
        "!ERR wrong number of arguments for 'xtrim' command",
    );
    check(
        &mut c,
        &["xtrim", "s", "maxlen", "~", "0", "limit", "5"],
        "4",
    );
    check(
        &mut c,
        &["xtrim", "s", "maxlen", "2", "limit", "5"],
        "!ERR syntax error, LIMIT cannot be used without the special ~ option",
    );
    check(
        &mut c,
        &["xtrim", "s", "limit", "5"],
        "!ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
    );
    check(
        &mut c,
        &["xtrim", "s", "nomkstream", "maxlen", "1"],
        "!ERR syntax error",
    );
    check(
        &mut c,
        &["xtrim", "s", "maxlen", "-1"],
        "!ERR The MAXLEN argument must be >= 0.",
    );
    check(
        &mut c,
        &["xtrim", "s", "maxlen", "2", "minid", "0"],
        "!ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
    );
    check(&mut c, &["xtrim", "s", "maxlen", "~", "2"], "0");
    check(&mut c, &["xlen", "s"], "0");
    check(&mut c, &["xtrim", "s", "maxlen", "=", "3"], "0");
    check(&mut c, &["xrange", "s", "-", "+"], "[]");
    check(&mut c, &["xtrim", "s", "minid", "3"], "0");
    check(&mut c, &["xrange", "s", "-", "+"], "[]");
    check(&mut c, &["xtrim", "s", "minid", "~", "10"], "0");
    check(&mut c, &["xtrim", "s", "minid", "=", "10"], "0");
    check(&mut c, &["xlen", "s"], "0");
    check(&mut c, &["xinfo", "stream", "s"], "[length 0 radix-tree-keys 0 radix-tree-nodes 1 last-generated-id 4-1 max-deleted-entry-id 0-0 entries-added 4 recorded-first-entry-id 0-0 groups 0 first-entry nil last-entry nil]");
    check(&mut c, &["xtrim", "nosuch", "maxlen", "0"], "0");
    check(&mut c, &["set", "str", "x"], "OK");
    check(
        &mut c,
        &["xtrim", "str", "maxlen", "0"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
}
#[test]
fn xtrim_approx_whole_nodes() {
    let s = TestServer::start_with(&["--stream-node-max-entries", "3"]);
    let mut c = s.conn();
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xadd", "s", "2-1", "a", "1"], "2-1");
    check(&mut c, &["xadd", "s", "3-1", "a", "1"], "3-1");
    check(&mut c, &["xadd", "s", "4-1", "a", "1"], "4-1");
    check(&mut c, &["xadd", "s", "5-1", "a", "1"], "5-1");
    check(&mut c, &["xadd", "s", "6-1", "a", "1"], "6-1");
    check(&mut c, &["xadd", "s", "7-1", "a", "1"], "7-1");
    check(&mut c, &["xtrim", "s", "maxlen", "~", "5"], "0");
    check(&mut c, &["xlen", "s"], "7");
    check(&mut c, &["xtrim", "s", "maxlen", "~", "4"], "3");
    check(&mut c, &["xlen", "s"], "4");
    check(
        &mut c,
        &["xtrim", "s", "maxlen", "~", "0", "limit", "2"],
        "0",
    );
    check(&mut c, &["xlen", "s"], "4");
    check(
        &mut c,
        &["xtrim", "s", "maxlen", "~", "0", "limit", "3"],
        "3",
    );
    check(&mut c, &["xrange", "s", "-", "+"], "[[7-1 [a 1]]]");
    check(&mut c, &["xinfo", "stream", "s"], "[length 1 radix-tree-keys 1 radix-tree-nodes 2 last-generated-id 7-1 max-deleted-entry-id 0-0 entries-added 7 recorded-first-entry-id 7-1 groups 0 first-entry [7-1 [a 1]] last-entry [7-1 [a 1]]]");
    check(&mut c, &["xtrim", "s", "minid", "~", "7"], "0");
    check(&mut c, &["xrange", "s", "-", "+"], "[[7-1 [a 1]]]");
    check(&mut c, &["xtrim", "s", "minid", "~", "8"], "1");
    check(&mut c, &["xrange", "s", "-", "+"], "[]");
}
#[test]
fn xsetid_cases() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xsetid", "nosuch", "1-1"], "!ERR no such key");
    check(&mut c, &["xadd", "s", "20-1", "a", "1"], "20-1");
    check(
        &mut c,
        &["xsetid", "s", "5"],
        "!ERR The ID specified in XSETID is smaller than the target stream top item",
    );
    check(
        &mut c,
        &["xsetid", "s", "20-0"],
        "!ERR The ID specified in XSETID is smaller than the target stream top item",
    );
    check(&mut c, &["xsetid", "s", "30-0"], "OK");
    check(
        &mut c,
        &["xsetid", "s", "30-0", "entriesadded", "0"],
        "!ERR The entries_added specified in XSETID is smaller than the target stream length",
    );
    check(&mut c, &["xsetid", "s", "30-0", "entriesadded", "1"], "OK");
    check(
        &mut c,
        &[
            "xsetid",
            "s",
            "40-0",
            "entriesadded",
            "100",
            "maxdeletedid",
            "50-0",
        ],
        "!ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
    );
    check(
        &mut c,
        &[
            "xsetid",
            "s",
            "40-0",
            "entriesadded",
            "100",
            "maxdeletedid",
            "30-0",
        ],
        "OK",
    );
    check(
        &mut c,
        &["xsetid", "s", "40-0", "entriesadded", "-1"],
        "!ERR entries_added must be positive",
    );
    check(
        &mut c,
        &["xsetid", "s", "40-0", "entriesadded", "abc"],
        "!ERR value is not an integer or out of range",
    );
    check(
        &mut c,
        &["xsetid", "s", "40-0", "maxdeletedid", "bad"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(&mut c, &["xsetid", "s", "40-0", "foo"], "!ERR syntax error");
    check(
        &mut c,
        &["xsetid", "s", "40-0", "entriesadded"],
        "!ERR syntax error",
    );
    check(
        &mut c,
        &["xsetid", "s", "bad"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xsetid", "s", "-"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(&mut c, &["xinfo", "stream", "s"], "[length 1 radix-tree-keys 1 radix-tree-nodes 2 last-generated-id 40-0 max-deleted-entry-id 30-0 entries-added 100 recorded-first-entry-id 20-1 groups 0 first-entry [20-1 [a 1]] last-entry [20-1 [a 1]]]");
    check(&mut c, &["xsetid", "s", "39-0"], "OK");
    check(&mut c, &["xadd", "s", "40-0", "a", "1"], "40-0");
    check(&mut c, &["xadd", "s", "40-*", "a", "1"], "40-1");
    check(&mut c, &["xdel", "s", "20-1", "40-1"], "2");
    check(
        &mut c,
        &["xsetid", "s", "40-0"],
        "!ERR The ID specified in XSETID is smaller than current max_deleted_entry_id",
    );
    check(&mut c, &["xsetid", "s", "40-1"], "OK");
    check(&mut c, &["xinfo", "stream", "s"], "[length 1 radix-tree-keys 1 radix-tree-nodes 2 last-generated-id 40-1 max-deleted-entry-id 40-1 entries-added 102 recorded-first-entry-id 40-0 groups 0 first-entry [40-0 [a 1]] last-entry [40-0 [a 1]]]");
    check(&mut c, &["set", "str", "x"], "OK");
    check(
        &mut c,
        &["xsetid", "str", "1-1"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
}
#[test]
fn xread_sync() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xadd", "s", "2-1", "b", "2"], "2-1");
    check(&mut c, &["xadd", "t", "1-1", "c", "3"], "1-1");
    check(
        &mut c,
        &["xread", "streams", "s", "0"],
        "[[s [[1-1 [a 1]] [2-1 [b 2]]]]]",
    );
    check(
        &mut c,
        &["xread", "count", "1", "streams", "s", "0"],
        "[[s [[1-1 [a 1]]]]]",
    );
    check(
        &mut c,
        &["xread", "count", "1", "streams", "s", "t", "0", "0"],
        "[[s [[1-1 [a 1]]]] [t [[1-1 [c 3]]]]]",
    );
    check(
        &mut c,
        &["xread", "streams", "s", "t", "1-1", "1-1"],
        "[[s [[2-1 [b 2]]]]]",
    );
    check(
        &mut c,
        &["xread", "streams", "s", "t", "2-1", "0"],
        "[[t [[1-1 [c 3]]]]]",
    );
    check(&mut c, &["xread", "streams", "s", "$"], "nil");
    check(&mut c, &["xread", "streams", "nosuch", "0"], "nil");
    check(
        &mut c,
        &["xread", "streams", "s"],
        "!ERR wrong number of arguments for 'xread' command",
    );
    check(&mut c, &["xread", "streams", "s", "t", "0"], "!ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.");
    check(
        &mut c,
        &["xread", "streams"],
        "!ERR wrong number of arguments for 'xread' command",
    );
    check(
        &mut c,
        &["xread", "count", "1"],
        "!ERR wrong number of arguments for 'xread' command",
    );
    check(
        &mut c,
        &["xread", "count", "abc", "streams", "s", "0"],
        "!ERR value is not an integer or out of range",
    );
    check(
        &mut c,
        &["xread", "count", "-1", "streams", "s", "0"],
        "[[s [[1-1 [a 1]] [2-1 [b 2]]]]]",
    );
    check(
        &mut c,
        &["xread", "foo", "streams", "s", "0"],
        "!ERR syntax error",
    );
    check(
        &mut c,
        &["xread", "block", "-1", "streams", "s", "$"],
        "!ERR timeout is negative",
    );
    check(
        &mut c,
        &["xread", "block", "abc", "streams", "s", "$"],
        "!ERR timeout is not an integer or out of range",
    );
    check(
        &mut c,
        &["xread", "block", "1.5", "streams", "s", "$"],
        "!ERR timeout is not an integer or out of range",
    );
    check(
        &mut c,
        &["xread", "group", "g", "c", "streams", "s", "0"],
        "!ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
    );
    check(
        &mut c,
        &["xread", "noack", "streams", "s", "0"],
        "!ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
    );
    check(&mut c, &["xread", "streams", "s", ">"], "!ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
    check(
        &mut c,
        &["xread", "streams", "s", "bad"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xread", "streams", "s", "-"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(&mut c, &["set", "str", "x"], "OK");
    check(
        &mut c,
        &["xread", "streams", "str", "0"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    check(
        &mut c,
        &["xread", "streams", "s", "str", "0", "0"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
}
#[test]
fn xgroup_create_and_errors() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xgroup", "create", "s", "g", "$"], "!ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
    check(
        &mut c,
        &["xgroup", "create", "s", "g", "$", "mkstream"],
        "OK",
    );
    check(
        &mut c,
        &["xgroup", "create", "s", "g", "$", "mkstream"],
        "!BUSYGROUP Consumer Group name already exists",
    );
    check(
        &mut c,
        &["xgroup", "create", "s", "g2", "0", "entriesread", "5"],
        "OK",
    );
    check(
        &mut c,
        &["xgroup", "create", "s", "g3", "0", "entriesread", "-2"],
        "!ERR value for ENTRIESREAD must be positive or -1",
    );
    check(
        &mut c,
        &["xgroup", "create", "s", "g3", "0", "entriesread", "-1"],
        "OK",
    );
    check(
        &mut c,
        &["xgroup", "create", "s", "g3", "0", "entriesread", "abc"],
        "!ERR value is not an integer or out of range",
    );
    check(
        &mut c,
        &["xgroup", "create", "s", "g4", "0", "foo"],
        "!ERR unknown subcommand or wrong number of arguments for 'create'. Try XGROUP HELP.",
    );
    check(
        &mut c,
        &["xgroup", "create", "s", "g4", "0", "entriesread"],
        "!ERR unknown subcommand or wrong number of arguments for 'create'. Try XGROUP HELP.",
    );
    check(
        &mut c,
        &["xgroup", "create", "s", "g5", "bad"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xgroup", "create", "s", "g5", "-"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xgroup", "create", "s", "g5", "0", "a", "b", "c", "d", "e"],
        "!ERR unknown subcommand or wrong number of arguments for 'create'. Try XGROUP HELP.",
    );
    check(
        &mut c,
        &["xgroup", "setid", "s", "g", "0", "mkstream"],
        "!ERR unknown subcommand or wrong number of arguments for 'setid'. Try XGROUP HELP.",
    );
    check(&mut c, &["set", "str", "x"], "OK");
    check(
        &mut c,
        &["xgroup", "create", "str", "g", "0"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    check(
        &mut c,
        &["xgroup", "create", "str", "g", "0", "mkstream"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    check(
        &mut c,
        &["xgroup", "foo", "s", "g"],
        "!ERR unknown subcommand 'foo'. Try XGROUP HELP.",
    );
    check(
        &mut c,
        &["xgroup"],
        "!ERR wrong number of arguments for 'xgroup' command",
    );
    check(
        &mut c,
        &["xgroup", "create", "s"],
        "!ERR wrong number of arguments for 'xgroup|create' command",
    );
    check(&mut c, &["xinfo", "groups", "s"], "[[name g consumers 0 pending 0 last-delivered-id 0-0 entries-read nil lag 0] [name g2 consumers 0 pending 0 last-delivered-id 0-0 entries-read 5 lag 0] [name g3 consumers 0 pending 0 last-delivered-id 0-0 entries-read nil lag 0]]");
    check(&mut c, &["xgroup", "setid", "s", "g", "5-5"], "OK");
    check(
        &mut c,
        &["xgroup", "setid", "s", "g", "$", "entriesread", "3"],
        "OK",
    );
    check(
        &mut c,
        &["xgroup", "setid", "s", "g", "-", "entriesread", "3"],
        "OK",
    );
    check(
        &mut c,
        &["xgroup", "setid", "s", "nog", "0"],
        "!NOGROUP No such consumer group 'nog' for key name 's'",
    );
    check(&mut c, &["xgroup", "setid", "nosuch", "g", "0"], "!ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
    check(
        &mut c,
        &["xgroup", "setid", "s", "g", "bad"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xgroup", "setid", "s", "g", "0", "foo"],
        "!ERR unknown subcommand or wrong number of arguments for 'setid'. Try XGROUP HELP.",
    );
    check(
        &mut c,
        &["xgroup", "setid", "s", "g", "0", "entriesread", "-5"],
        "!ERR value for ENTRIESREAD must be positive or -1",
    );
    check(
        &mut c,
        &["xgroup", "setid", "s", "g", "0", "entriesread", "1", "2"],
        "!ERR unknown subcommand or wrong number of arguments for 'setid'. Try XGROUP HELP.",
    );
    check(&mut c, &["xinfo", "groups", "s"], "[[name g consumers 0 pending 0 last-delivered-id 0-0 entries-read 3 lag 0] [name g2 consumers 0 pending 0 last-delivered-id 0-0 entries-read 5 lag 0] [name g3 consumers 0 pending 0 last-delivered-id 0-0 entries-read nil lag 0]]");
    check(
        &mut c,
        &["xgroup", "createconsumer", "s", "g", "alice"],
        "1",
    );
    check(
        &mut c,
        &["xgroup", "createconsumer", "s", "g", "alice"],
        "0",
    );
    check(
        &mut c,
        &["xgroup", "createconsumer", "s", "nog", "alice"],
        "!NOGROUP No such consumer group 'nog' for key name 's'",
    );
    check(&mut c, &["xgroup", "createconsumer", "nosuch", "g", "alice"], "!ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
    check(&mut c, &["xgroup", "delconsumer", "s", "g", "alice"], "0");
    check(&mut c, &["xgroup", "delconsumer", "s", "g", "alice"], "0");
    check(
        &mut c,
        &["xgroup", "delconsumer", "s", "nog", "alice"],
        "!NOGROUP No such consumer group 'nog' for key name 's'",
    );
    check(&mut c, &["xgroup", "destroy", "s", "g2"], "1");
    check(&mut c, &["xgroup", "destroy", "s", "g2"], "0");
    check(&mut c, &["xgroup", "destroy", "nosuch", "g2"], "!ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
    check(
        &mut c,
        &["xgroup", "destroy", "str", "g"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    check(&mut c, &["xinfo", "groups", "s"], "[[name g consumers 0 pending 0 last-delivered-id 0-0 entries-read 3 lag 0] [name g3 consumers 0 pending 0 last-delivered-id 0-0 entries-read nil lag 0]]");
    check(&mut c, &["xgroup", "help"], "[XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are: CREATE <key> <groupname> <id|$> [option]     Create a new consumer group. Options are:     * MKSTREAM       Create the empty stream if it does not exist.     * ENTRIESREAD entries_read       Set the group's entries_read counter (internal use). CREATECONSUMER <key> <groupname> <consumer>     Create a new consumer in the specified group. DELCONSUMER <key> <groupname> <consumer>     Remove the specified consumer. DESTROY <key> <groupname>     Remove the specified group. SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]     Set the current group ID and entries_read counter. HELP     Prints this help.]");
    check(
        &mut c,
        &["xgroup", "help", "foo"],
        "!ERR wrong number of arguments for 'xgroup|help' command",
    );
    check(&mut c, &["xinfo", "help"], "[XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are: CONSUMERS <key> <groupname>     Show consumers of <groupname>. GROUPS <key>     Show the stream consumer groups. STREAM <key> [FULL [COUNT <count>]     Show information about the stream. HELP     Prints this help.]");
    check(
        &mut c,
        &["xinfo", "help", "foo"],
        "!ERR wrong number of arguments for 'xinfo|help' command",
    );
}
#[test]
fn xreadgroup_history_and_acks() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xadd", "s", "2-1", "b", "2"], "2-1");
    check(&mut c, &["xadd", "s", "3-1", "c", "3"], "3-1");
    check(&mut c, &["xadd", "s", "4-1", "d", "4"], "4-1");
    check(&mut c, &["xgroup", "create", "s", "g", "0"], "OK");
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "g",
            "alice",
            "count",
            "2",
            "streams",
            "s",
            ">",
        ],
        "[[s [[1-1 [a 1]] [2-1 [b 2]]]]]",
    );
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "g",
            "bob",
            "count",
            "1",
            "streams",
            "s",
            ">",
        ],
        "[[s [[3-1 [c 3]]]]]",
    );
    check(
        &mut c,
        &["xreadgroup", "group", "g", "alice", "streams", "s", "0"],
        "[[s [[1-1 [a 1]] [2-1 [b 2]]]]]",
    );
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "g",
            "alice",
            "count",
            "1",
            "streams",
            "s",
            "0",
        ],
        "[[s [[1-1 [a 1]]]]]",
    );
    check(
        &mut c,
        &["xreadgroup", "group", "g", "alice", "streams", "s", "1-1"],
        "[[s [[2-1 [b 2]]]]]",
    );
    check(
        &mut c,
        &["xreadgroup", "group", "g", "bob", "streams", "s", "0"],
        "[[s [[3-1 [c 3]]]]]",
    );
    check(
        &mut c,
        &["xreadgroup", "group", "g", "carol", "streams", "s", "0"],
        "[[s []]]",
    );
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "g",
            "alice",
            "noack",
            "streams",
            "s",
            ">",
        ],
        "[[s [[4-1 [d 4]]]]]",
    );
    check(
        &mut c,
        &["xreadgroup", "group", "g", "alice", "streams", "s", ">"],
        "nil",
    );
    check(
        &mut c,
        &["xpending", "s", "g"],
        "[3 1-1 3-1 [[alice 2] [bob 1]]]",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "-", "+", "10", "alice"],
        "[[1-1 alice ~ 3] [2-1 alice ~ 3]]",
    );
    check(
        &mut c,
        &["xinfo", "groups", "s"],
        "[[name g consumers 3 pending 3 last-delivered-id 4-1 entries-read 4 lag 0]]",
    );
    check(
        &mut c,
        &["xreadgroup", "group", "nog", "alice", "streams", "s", ">"],
        "!NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option",
    );
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "g",
            "alice",
            "streams",
            "nosuch",
            ">",
        ],
        "!NOGROUP No such key 'nosuch' or consumer group 'g' in XREADGROUP with GROUP option",
    );
    check(&mut c, &["xreadgroup", "group", "g", "alice", "streams", "s", "$"], "!ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
    check(
        &mut c,
        &["xreadgroup", "group", "g", "alice", "streams", "s"],
        "!ERR wrong number of arguments for 'xreadgroup' command",
    );
    check(&mut c, &["xreadgroup", "group", "g", "alice", "streams", "s", ">", "s"], "!ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be specified.");
    check(
        &mut c,
        &["xreadgroup", "streams", "s", ">"],
        "!ERR wrong number of arguments for 'xreadgroup' command",
    );
    check(
        &mut c,
        &["xreadgroup", "group", "g", "streams", "s", ">"],
        "!ERR wrong number of arguments for 'xreadgroup' command",
    );
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "g",
            "alice",
            "count",
            "abc",
            "streams",
            "s",
            ">",
        ],
        "!ERR value is not an integer or out of range",
    );
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "g",
            "alice",
            "foo",
            "streams",
            "s",
            ">",
        ],
        "!ERR syntax error",
    );
    check(
        &mut c,
        &["xreadgroup", "group", "g", "alice", "streams", "s", "bad"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(&mut c, &["xack", "s", "g", "1-1", "9-9"], "1");
    check(&mut c, &["xack", "s", "g", "1-1"], "0");
    check(
        &mut c,
        &["xack", "s", "g", "bad"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xack", "s", "g", "2-1", "bad"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(&mut c, &["xack", "s", "nog", "bad"], "0");
    check(&mut c, &["xack", "nosuch", "g", "bad"], "0");
    check(
        &mut c,
        &["xpending", "s", "g"],
        "[2 2-1 3-1 [[alice 1] [bob 1]]]",
    );
    check(&mut c, &["xdel", "s", "2-1"], "1");
    check(
        &mut c,
        &["xreadgroup", "group", "g", "alice", "streams", "s", "0"],
        "[[s [[2-1 nil]]]]",
    );
    check(&mut c, &["xack", "s", "g", "2-1"], "1");
    check(
        &mut c,
        &["xreadgroup", "group", "g", "alice", "streams", "s", "0"],
        "[[s []]]",
    );
    check(&mut c, &["set", "str", "x"], "OK");
    check(
        &mut c,
        &["xack", "str", "g", "1-1"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    check(
        &mut c,
        &["xreadgroup", "group", "g", "alice", "streams", "str", ">"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
}
#[test]
fn xpending_forms() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xadd", "s", "2-1", "b", "2"], "2-1");
    check(&mut c, &["xadd", "s", "3-1", "c", "3"], "3-1");
    check(&mut c, &["xgroup", "create", "s", "g", "0"], "OK");
    check(&mut c, &["xpending", "s", "g"], "[0 nil nil nil]");
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "g",
            "alice",
            "count",
            "2",
            "streams",
            "s",
            ">",
        ],
        "[[s [[1-1 [a 1]] [2-1 [b 2]]]]]",
    );
    check(
        &mut c,
        &["xreadgroup", "group", "g", "bob", "streams", "s", ">"],
        "[[s [[3-1 [c 3]]]]]",
    );
    check(
        &mut c,
        &["xpending", "s", "g"],
        "[3 1-1 3-1 [[alice 2] [bob 1]]]",
    );
    check(&mut c, &["xpending", "s", "g", "-", "+", "0"], "[]");
    check(&mut c, &["xpending", "s", "g", "-", "+", "-5"], "[]");
    check(
        &mut c,
        &["xpending", "s", "g", "-", "+", "abc"],
        "!ERR value is not an integer or out of range",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "-", "+"],
        "!ERR syntax error",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "-", "+", "10", "alice", "extra"],
        "[[1-1 alice ~ 1] [2-1 alice ~ 1]]",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "idle", "abc", "-", "+", "10"],
        "!ERR value is not an integer or out of range",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "idle", "10", "-", "+"],
        "!ERR syntax error",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "idle", "1000000", "-", "+", "10"],
        "[]",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "-", "+", "10", "nobody"],
        "[]",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "(1-1", "+", "10"],
        "[[2-1 alice ~ 1] [3-1 bob ~ 1]]",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "-", "(3-1", "1"],
        "[[1-1 alice ~ 1]]",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "bad", "+", "10"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "(-", "+", "10"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "-", "(0-0", "10"],
        "!ERR invalid end ID for the interval",
    );
    check(&mut c, &["xpending", "s", "g", "3", "1", "10"], "[]");
    check(
        &mut c,
        &["xpending", "s", "nog"],
        "!NOGROUP No such key 's' or consumer group 'nog'",
    );
    check(
        &mut c,
        &["xpending", "nosuch", "g"],
        "!NOGROUP No such key 'nosuch' or consumer group 'g'",
    );
    check(
        &mut c,
        &["xpending", "nosuch", "g", "-", "+", "10"],
        "!NOGROUP No such key 'nosuch' or consumer group 'g'",
    );
    check(&mut c, &["set", "str", "x"], "OK");
    check(
        &mut c,
        &["xpending", "str", "g"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
}
#[test]
fn xclaim_errors_and_deleted() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xadd", "s", "2-1", "b", "2"], "2-1");
    check(&mut c, &["xadd", "s", "3-1", "c", "3"], "3-1");
    check(&mut c, &["xgroup", "create", "s", "g", "0"], "OK");
    check(
        &mut c,
        &["xreadgroup", "group", "g", "alice", "streams", "s", ">"],
        "[[s [[1-1 [a 1]] [2-1 [b 2]] [3-1 [c 3]]]]]",
    );
    check(
        &mut c,
        &["xclaim", "s", "g", "bob", "100000", "1-1", "2-1"],
        "[]",
    );
    check(
        &mut c,
        &["xclaim", "s", "g", "bob", "abc", "1-1"],
        "!ERR Invalid min-idle-time argument for XCLAIM",
    );
    check(
        &mut c,
        &["xclaim", "s", "g", "bob", "0", "1-1", "foo"],
        "!ERR Unrecognized XCLAIM option 'foo'",
    );
    check(
        &mut c,
        &["xclaim", "s", "g", "bob", "0", "1-1", "idle", "abc"],
        "!ERR Invalid IDLE option argument for XCLAIM",
    );
    check(
        &mut c,
        &["xclaim", "s", "g", "bob", "0", "1-1", "time", "abc"],
        "!ERR Invalid TIME option argument for XCLAIM",
    );
    check(
        &mut c,
        &["xclaim", "s", "g", "bob", "0", "1-1", "retrycount", "abc"],
        "!ERR Invalid RETRYCOUNT option argument for XCLAIM",
    );
    check(
        &mut c,
        &["xclaim", "s", "g", "bob", "0", "1-1", "lastid", "abc"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xclaim", "s", "nog", "bob", "0", "1-1"],
        "!NOGROUP No such key 's' or consumer group 'nog'",
    );
    check(
        &mut c,
        &["xclaim", "nosuch", "g", "bob", "0", "1-1"],
        "!NOGROUP No such key 'nosuch' or consumer group 'g'",
    );
    check(&mut c, &["xclaim", "s", "g", "bob", "0", "9-9"], "[]");
    check(
        &mut c,
        &["xclaim", "s", "g", "bob", "0", "9-9", "force"],
        "[]",
    );
    check(
        &mut c,
        &["xclaim", "s", "g", "bob", "0", "1-1", "justid"],
        "[1-1]",
    );
    check(
        &mut c,
        &["xpending", "s", "g", "-", "+", "10", "bob"],
        "[[1-1 bob ~ 1]]",
    );
    check(
        &mut c,
        &[
            "xclaim",
            "s",
            "g",
            "bob",
            "0",
            "2-1",
            "retrycount",
            "7",
            "justid",
        ],
        "[2-1]",
    );
    check(&mut c, &["xdel", "s", "3-1"], "1");
    check(&mut c, &["xclaim", "s", "g", "bob", "0", "3-1"], "[]");
    check(&mut c, &["xpending", "s", "g"], "[2 1-1 2-1 [[bob 2]]]");
    check(&mut c, &["xadd", "s", "5-1", "e", "5"], "5-1");
    check(
        &mut c,
        &["xclaim", "s", "g", "carol", "0", "5-1", "force"],
        "[[5-1 [e 5]]]",
    );
    check(
        &mut c,
        &[
            "xclaim", "s", "g", "carol", "0", "5-1", "lastid", "10-0", "justid",
        ],
        "[5-1]",
    );
    check(
        &mut c,
        &["xinfo", "groups", "s"],
        "[[name g consumers 3 pending 3 last-delivered-id 10-0 entries-read 3 lag 1]]",
    );
    check(&mut c, &["set", "str", "x"], "OK");
    check(
        &mut c,
        &["xclaim", "str", "g", "bob", "0", "1-1"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
}
#[test]
fn xautoclaim_cases() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xadd", "s", "2-1", "b", "2"], "2-1");
    check(&mut c, &["xadd", "s", "3-1", "c", "3"], "3-1");
    check(&mut c, &["xadd", "s", "4-1", "d", "4"], "4-1");
    check(&mut c, &["xgroup", "create", "s", "g", "0"], "OK");
    check(
        &mut c,
        &["xreadgroup", "group", "g", "alice", "streams", "s", ">"],
        "[[s [[1-1 [a 1]] [2-1 [b 2]] [3-1 [c 3]] [4-1 [d 4]]]]]",
    );
    check(&mut c, &["xdel", "s", "3-1"], "1");
    check(
        &mut c,
        &["xautoclaim", "s", "g", "bob", "0", "0", "count", "1"],
        "[2-1 [[1-1 [a 1]]] []]",
    );
    check(
        &mut c,
        &[
            "xautoclaim",
            "s",
            "g",
            "bob",
            "0",
            "2-1",
            "count",
            "1",
            "justid",
        ],
        "[3-1 [2-1] []]",
    );
    check(
        &mut c,
        &["xautoclaim", "s", "g", "bob", "0", "0"],
        "[0-0 [[1-1 [a 1]] [2-1 [b 2]] [4-1 [d 4]]] [3-1]]",
    );
    check(
        &mut c,
        &["xautoclaim", "s", "g", "bob", "0", "0", "count", "0"],
        "!ERR COUNT must be > 0",
    );
    check(
        &mut c,
        &["xautoclaim", "s", "g", "bob", "0", "0", "count", "abc"],
        "!ERR COUNT must be > 0",
    );
    check(
        &mut c,
        &["xautoclaim", "s", "g", "bob", "0", "0", "foo"],
        "!ERR syntax error",
    );
    check(
        &mut c,
        &["xautoclaim", "s", "g", "bob", "abc", "0"],
        "!ERR Invalid min-idle-time argument for XAUTOCLAIM",
    );
    check(
        &mut c,
        &["xautoclaim", "s", "g", "bob", "0", "bad"],
        "!ERR Invalid stream ID specified as stream command argument",
    );
    check(
        &mut c,
        &["xautoclaim", "s", "g", "bob", "0", "(0"],
        "[0-0 [[1-1 [a 1]] [2-1 [b 2]] [4-1 [d 4]]] []]",
    );
    check(
        &mut c,
        &["xautoclaim", "s", "nog", "bob", "0", "0"],
        "!NOGROUP No such key 's' or consumer group 'nog'",
    );
    check(
        &mut c,
        &["xautoclaim", "nosuch", "g", "bob", "0", "0"],
        "!NOGROUP No such key 'nosuch' or consumer group 'g'",
    );
    check(
        &mut c,
        &["xautoclaim", "s", "g", "erin", "100000", "0"],
        "[0-0 [] []]",
    );
    check(&mut c, &["xpending", "s", "g"], "[3 1-1 4-1 [[bob 3]]]");
    check(&mut c, &["xgroup", "delconsumer", "s", "g", "bob"], "3");
    check(&mut c, &["xpending", "s", "g"], "[0 nil nil nil]");
    check(&mut c, &["set", "str", "x"], "OK");
    check(
        &mut c,
        &["xautoclaim", "str", "g", "bob", "0", "0"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
}
#[test]
fn xinfo_stream_groups() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["xinfo", "stream", "nosuch"], "!ERR no such key");
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xadd", "s", "2-1", "b", "2", "c", "3"], "2-1");
    check(&mut c, &["xinfo", "stream", "s"], "[length 2 radix-tree-keys 1 radix-tree-nodes 2 last-generated-id 2-1 max-deleted-entry-id 0-0 entries-added 2 recorded-first-entry-id 1-1 groups 0 first-entry [1-1 [a 1]] last-entry [2-1 [b 2 c 3]]]");
    check(
        &mut c,
        &["xinfo", "stream", "s", "foo"],
        "!ERR unknown subcommand or wrong number of arguments for 'stream'. Try XINFO HELP.",
    );
    check(
        &mut c,
        &["xinfo", "stream", "s", "full", "count", "abc"],
        "!ERR value is not an integer or out of range",
    );
    check(
        &mut c,
        &["xinfo", "stream", "s", "full", "count"],
        "!ERR unknown subcommand or wrong number of arguments for 'stream'. Try XINFO HELP.",
    );
    check(
        &mut c,
        &["xinfo", "foo", "s"],
        "!ERR unknown subcommand 'foo'. Try XINFO HELP.",
    );
    check(&mut c, &["xinfo", "groups", "s"], "[]");
    check(&mut c, &["xgroup", "create", "s", "g", "0"], "OK");
    check(&mut c, &["xgroup", "create", "s", "a", "$"], "OK");
    check(&mut c, &["xinfo", "groups", "s"], "[[name a consumers 0 pending 0 last-delivered-id 2-1 entries-read nil lag 0] [name g consumers 0 pending 0 last-delivered-id 0-0 entries-read nil lag 2]]");
    check(
        &mut c,
        &["xinfo", "consumers", "s", "nog"],
        "!NOGROUP No such consumer group 'nog' for key name 's'",
    );
    check(&mut c, &["xinfo", "consumers", "s", "g"], "[]");
    check(&mut c, &["xinfo", "groups", "nosuch"], "!ERR no such key");
    check(&mut c, &["xadd", "s", "3-1", "d", "4"], "3-1");
    check(&mut c, &["xdel", "s", "2-1"], "1");
    check(&mut c, &["xinfo", "groups", "s"], "[[name a consumers 0 pending 0 last-delivered-id 2-1 entries-read nil lag nil] [name g consumers 0 pending 0 last-delivered-id 0-0 entries-read nil lag nil]]");
    check(&mut c, &["xinfo", "stream", "s"], "[length 2 radix-tree-keys 1 radix-tree-nodes 2 last-generated-id 3-1 max-deleted-entry-id 2-1 entries-added 3 recorded-first-entry-id 1-1 groups 2 first-entry [1-1 [a 1]] last-entry [3-1 [d 4]]]");
    check(&mut c, &["set", "str", "x"], "OK");
    check(
        &mut c,
        &["xinfo", "stream", "str"],
        "!WRONGTYPE Operation against a key holding the wrong kind of value",
    );
}

// ---------------------------------------------------------------------------------------
// Hand-written scenarios (time-dependent values, RESP3, blocking, groups).

fn id_parts(id: &str) -> (u64, u64) {
    let (a, b) = id.split_once('-').unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[test]
fn xadd_auto_ids() {
    let s = TestServer::start();
    let mut c = s.conn();
    let before = now_ms();
    let a = cmd(&mut c, &["xadd", "s", "*", "f", "v"]);
    let (ms, seq) = id_parts(&a);
    assert!(ms >= before && ms <= now_ms() + 1, "{a}");
    assert_eq!(seq, 0);
    // Many in a row: strictly increasing.
    let mut last = (ms, seq);
    for _ in 0..200 {
        let id = id_parts(&cmd(&mut c, &["xadd", "s", "*", "f", "v"]));
        assert!(id > last);
        last = id;
    }
    // A future explicit ms: `*` then continues with its sequence.
    let fut = now_ms() + 1_000_000;
    let f = format!("{fut}-5");
    check(&mut c, &["xadd", "s", &f, "a", "1"], &f);
    check(&mut c, &["xadd", "s", "*", "a", "1"], &format!("{fut}-6"));
    check(
        &mut c,
        &["xadd", "s", &format!("{fut}-*"), "a", "1"],
        &format!("{fut}-7"),
    );
    check(
        &mut c,
        &["xadd", "s", &format!("{}-*", fut + 1), "a", "1"],
        &format!("{}-0", fut + 1),
    );
    check(&mut c, &["xlen", "s"], "205");
    // NOMKSTREAM on a missing key: nil, nothing created.
    check(&mut c, &["xadd", "nos", "nomkstream", "*", "a", "1"], "nil");
    check(&mut c, &["xlen", "nos"], "0");
}

#[test]
fn xadd_many_entries_and_ranges() {
    // Crosses many nodes: ranges, reverse ranges, deletes in the middle, trims.
    let s = TestServer::start();
    let mut c = s.conn();
    let mut p = redis::pipe();
    for i in 1..=1000 {
        if i % 10 == 0 {
            p.cmd("XADD")
                .arg("s")
                .arg(format!("{i}-1"))
                .arg("other")
                .arg(i);
        } else {
            p.cmd("XADD")
                .arg("s")
                .arg(format!("{i}-1"))
                .arg("a")
                .arg(i)
                .arg("b")
                .arg("x");
        }
    }
    let _: () = p.query(&mut c).unwrap();
    check(&mut c, &["xlen", "s"], "1000");
    // An incomplete end ID means its last sequence: (502 still includes 502-1.
    check(
        &mut c,
        &["xrange", "s", "499", "(502", "count", "10"],
        "[[499-1 [a 499 b x]] [500-1 [other 500]] [501-1 [a 501 b x]] [502-1 [a 502 b x]]]",
    );
    check(
        &mut c,
        &["xrange", "s", "499", "(502-1", "count", "2"],
        "[[499-1 [a 499 b x]] [500-1 [other 500]]]",
    );
    check(
        &mut c,
        &["xrevrange", "s", "(301-1", "298", "count", "2"],
        "[[300-1 [other 300]] [299-1 [a 299 b x]]]",
    );
    check(&mut c, &["xdel", "s", "500-1", "501-1", "100-1"], "3");
    check(
        &mut c,
        &["xrange", "s", "499", "502"],
        "[[499-1 [a 499 b x]] [502-1 [a 502 b x]]]",
    );
    check(
        &mut c,
        &["xrevrange", "s", "502", "499"],
        "[[502-1 [a 502 b x]] [499-1 [a 499 b x]]]",
    );
    // Recorded from redis-server: approximate trimming removes whole nodes only.
    check(&mut c, &["xtrim", "s", "maxlen", "~", "850"], "99");
    check(&mut c, &["xlen", "s"], "898");
    check(&mut c, &["xtrim", "s", "maxlen", "850"], "48");
    check(
        &mut c,
        &["xrange", "s", "-", "+", "count", "1"],
        "[[149-1 [a 149 b x]]]",
    );
    check(&mut c, &["xtrim", "s", "minid", "990"], "839");
    check(
        &mut c,
        &["xrange", "s", "-", "(992"],
        "[[990-1 [other 990]] [991-1 [a 991 b x]] [992-1 [a 992 b x]]]",
    );
    check(&mut c, &["xinfo", "stream", "s"], "[length 11 radix-tree-keys 1 radix-tree-nodes 2 last-generated-id 1000-1 max-deleted-entry-id 501-1 entries-added 1000 recorded-first-entry-id 990-1 groups 0 first-entry [990-1 [other 990]] last-entry [1000-1 [other 1000]]]");
}

#[test]
fn resp3_replies() {
    let s = TestServer::start();
    // RESP3 needs HELLO (the connection family); skip where it isn't there yet.
    let Ok(mut c) = redis::Client::open(format!("{}?protocol=resp3", s.url()))
        .unwrap()
        .get_connection()
    else {
        return;
    };
    q(&mut c, &["xadd", "s", "1-1", "a", "1"]);
    q(&mut c, &["xadd", "t", "1-1", "b", "2"]);
    let v = q(&mut c, &["xread", "streams", "s", "t", "0", "0"]);
    assert!(matches!(v, Value::Map(_)), "{v:?}");
    assert_eq!(fmt(&v), "[s [[1-1 [a 1]]] t [[1-1 [b 2]]]]");
    let v = q(&mut c, &["xread", "streams", "s", "1-1"]);
    assert_eq!(v, Value::Nil);
    let v = q(&mut c, &["xinfo", "stream", "s"]);
    assert!(matches!(v, Value::Map(_)), "{v:?}");
    q(&mut c, &["xgroup", "create", "s", "g", "0"]);
    let v = q(
        &mut c,
        &["xreadgroup", "group", "g", "c", "streams", "s", ">"],
    );
    assert!(matches!(v, Value::Map(_)), "{v:?}");
    assert_eq!(fmt(&v), "[s [[1-1 [a 1]]]]");
    // A deleted pending entry reads back as a null in the history.
    q(&mut c, &["xdel", "s", "1-1"]);
    let v = q(
        &mut c,
        &["xreadgroup", "group", "g", "c", "streams", "s", "0"],
    );
    assert_eq!(fmt(&v), "[s [[1-1 nil]]]");
}

#[test]
fn xinfo_consumers_and_full() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["xadd", "s", "1-1", "a", "1"]);
    q(&mut c, &["xadd", "s", "2-1", "b", "2"]);
    q(&mut c, &["xgroup", "create", "s", "g", "0"]);
    let t0 = now_ms();
    check(&mut c, &["xgroup", "createconsumer", "s", "g", "idle"], "1");
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "g",
            "alice",
            "count",
            "1",
            "streams",
            "s",
            ">",
        ],
        "[[s [[1-1 [a 1]]]]]",
    );
    check(
        &mut c,
        &["xinfo", "consumers", "s", "g"],
        "[[name alice pending 1 idle ~ inactive ~] [name idle pending 0 idle ~ inactive -1]]",
    );
    check(
        &mut c,
        &["xinfo", "groups", "s"],
        "[[name g consumers 2 pending 1 last-delivered-id 1-1 entries-read 1 lag 1]]",
    );
    let full = cmd(&mut c, &["xinfo", "stream", "s", "full"]);
    let want = "[length 2 radix-tree-keys 1 radix-tree-nodes 2 last-generated-id 2-1 max-deleted-entry-id 0-0 entries-added 2 recorded-first-entry-id 1-1 entries [[1-1 [a 1]] [2-1 [b 2]]] groups [[name g last-delivered-id 1-1 entries-read 1 lag 1 pel-count 1 pending [[1-1 alice ~ 1]] consumers [[name alice seen-time ~ active-time ~ pel-count 1 pending [[1-1 ~ 1]]] [name idle seen-time ~ active-time -1 pel-count 0 pending []]]]]]";
    let tok = |s: &str| -> Vec<String> {
        s.replace('[', " [ ")
            .replace(']', " ] ")
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    let (g, w) = (tok(&full), tok(want));
    assert_eq!(g.len(), w.len(), "{full}");
    for (a, b) in g.iter().zip(&w) {
        if b == "~" {
            let t: u64 = a.parse().unwrap();
            assert!(t >= t0 && t <= now_ms(), "{full}");
        } else {
            assert_eq!(a, b, "{full}");
        }
    }
    check(
        &mut c,
        &["xinfo", "stream", "s", "full", "count", "1"],
        &want_count_1(),
    );
    fn want_count_1() -> String {
        "[length 2 radix-tree-keys 1 radix-tree-nodes 2 last-generated-id 2-1 max-deleted-entry-id 0-0 entries-added 2 recorded-first-entry-id 1-1 entries [[1-1 [a 1]]] groups [[name g last-delivered-id 1-1 entries-read 1 lag 1 pel-count 1 pending [[1-1 alice ~ 1]] consumers [[name alice seen-time ~ active-time ~ pel-count 1 pending [[1-1 ~ 1]]] [name idle seen-time ~ active-time -1 pel-count 0 pending []]]]]]".into()
    }
    // Lag becomes unknown when a tombstone lies after the group's position.
    q(&mut c, &["xadd", "s", "3-1", "c", "3"]);
    q(&mut c, &["xdel", "s", "2-1"]);
    check(
        &mut c,
        &["xinfo", "groups", "s"],
        "[[name g consumers 2 pending 1 last-delivered-id 1-1 entries-read 1 lag nil]]",
    );
    // Reading past it makes the counter valid again.
    check(
        &mut c,
        &["xreadgroup", "group", "g", "alice", "streams", "s", ">"],
        "[[s [[3-1 [c 3]]]]]",
    );
    // As in Redis, the counter just increments (it doesn't know 2-1 was deleted).
    check(
        &mut c,
        &["xinfo", "groups", "s"],
        "[[name g consumers 2 pending 2 last-delivered-id 3-1 entries-read 2 lag 1]]",
    );
}

#[test]
fn consumer_crash_and_claim() {
    let s = TestServer::start();
    let mut c = s.conn();
    for i in 1..=4 {
        q(
            &mut c,
            &["xadd", "jobs", &format!("{i}-0"), "job", &i.to_string()],
        );
    }
    q(&mut c, &["xgroup", "create", "jobs", "workers", "0"]);
    // alice takes two jobs and "crashes" without acking; bob takes and acks the rest.
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "workers",
            "alice",
            "count",
            "2",
            "streams",
            "jobs",
            ">",
        ],
        "[[jobs [[1-0 [job 1]] [2-0 [job 2]]]]]",
    );
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "workers",
            "bob",
            "streams",
            "jobs",
            ">",
        ],
        "[[jobs [[3-0 [job 3]] [4-0 [job 4]]]]]",
    );
    check(&mut c, &["xack", "workers_missing", "workers", "3-0"], "0");
    check(&mut c, &["xack", "jobs", "workers", "3-0", "4-0"], "2");
    // Too early to claim.
    check(
        &mut c,
        &["xclaim", "jobs", "workers", "bob", "60000", "1-0", "2-0"],
        "[]",
    );
    check(
        &mut c,
        &["xautoclaim", "jobs", "workers", "bob", "60000", "0"],
        "[0-0 [] []]",
    );
    std::thread::sleep(Duration::from_millis(60));
    check(
        &mut c,
        &["xclaim", "jobs", "workers", "bob", "50", "1-0"],
        "[[1-0 [job 1]]]",
    );
    check(
        &mut c,
        &[
            "xautoclaim",
            "jobs",
            "workers",
            "carol",
            "50",
            "0",
            "count",
            "1",
        ],
        "[0-0 [[2-0 [job 2]]] []]",
    );
    check(
        &mut c,
        &["xpending", "jobs", "workers", "-", "+", "10"],
        "[[1-0 bob ~ 2] [2-0 carol ~ 2]]",
    );
    check(
        &mut c,
        &["xpending", "jobs", "workers"],
        "[2 1-0 2-0 [[bob 1] [carol 1]]]",
    );
    // alice's PEL is empty now; her history read returns nothing.
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "workers",
            "alice",
            "streams",
            "jobs",
            "0",
        ],
        "[[jobs []]]",
    );
    check(&mut c, &["xack", "jobs", "workers", "1-0", "2-0"], "2");
    check(&mut c, &["xpending", "jobs", "workers"], "[0 nil nil nil]");
    // XAUTOCLAIM walks a large PEL with a cursor.
    for i in 5..=30 {
        q(
            &mut c,
            &["xadd", "jobs", &format!("{i}-0"), "job", &i.to_string()],
        );
    }
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "workers",
            "alice",
            "count",
            "100",
            "streams",
            "jobs",
            ">",
        ],
        &{
            let v: Vec<String> = (5..=30).map(|i| format!("[{i}-0 [job {i}]]")).collect();
            format!("[[jobs [{}]]]", v.join(" "))
        },
    );
    let mut cursor = "0-0".to_string();
    let mut claimed = 0;
    let mut rounds = 0;
    loop {
        let r = q(
            &mut c,
            &[
                "xautoclaim",
                "jobs",
                "workers",
                "dave",
                "0",
                &cursor,
                "count",
                "7",
                "justid",
            ],
        );
        let Value::Array(parts) = r else { panic!() };
        let Value::Array(ids) = &parts[1] else {
            panic!()
        };
        claimed += ids.len();
        cursor = fmt(&parts[0]);
        rounds += 1;
        if cursor == "0-0" {
            break;
        }
    }
    assert_eq!(claimed, 26);
    assert_eq!(rounds, 4);
    check(
        &mut c,
        &["xpending", "jobs", "workers", "-", "+", "1", "dave"],
        "[[5-0 dave ~ 1]]",
    );
    check(
        &mut c,
        &["xgroup", "delconsumer", "jobs", "workers", "dave"],
        "26",
    );
    check(&mut c, &["xpending", "jobs", "workers"], "[0 nil nil nil]");
}

/// Sends a (blocking) command on a raw connection without waiting for its reply. A PING
/// goes first in the same write: its reply is flushed only once the command behind it has
/// run (a blocked client flushes earlier replies before it waits), so when the PONG is
/// read the command has been executed.
fn send(r: &mut Raw, args: &[&str]) {
    let mut v: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    let mut out = b"*1\r\n$4\r\nPING\r\n".to_vec();
    out.extend_from_slice(format!("*{}\r\n", v.len()).as_bytes());
    for a in v.drain(..) {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    r.send(&out);
    assert_eq!(r.read_reply(), b"+PONG\r\n");
}

fn wait_blocked(c: &mut redis::Connection, n: usize) {
    // INFO clients may not be wired everywhere; fall back to a pause.
    for _ in 0..200 {
        let v = q(c, &["info", "clients"]);
        if let Value::BulkString(b) = &v {
            let s = String::from_utf8_lossy(b);
            if let Some(l) = s.lines().find(|l| l.starts_with("blocked_clients:")) {
                if l[16..].trim().parse::<usize>().unwrap_or(0) >= n {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        }
        // Without INFO, give the blocked connections time to register their wait (they
        // flush the PONG just before registering).
        std::thread::sleep(Duration::from_millis(250));
        return;
    }
    panic!("clients did not block");
}

#[test]
fn blocking_xread_wakes_all_readers() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["xadd", "s", "1-1", "old", "x"]);
    let mut readers: Vec<Raw> = (0..4).map(|_| s.raw()).collect();
    for r in readers.iter_mut() {
        send(r, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    }
    // One more, on another stream: must stay blocked.
    let mut other = s.raw();
    send(
        &mut other,
        &["XREAD", "BLOCK", "0", "STREAMS", "other", "$"],
    );
    wait_blocked(&mut c, 5);
    q(&mut c, &["xadd", "s", "2-1", "new", "y"]);
    for r in readers.iter_mut() {
        assert_eq!(
            r.read_reply(),
            b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$3\r\nnew\r\n$1\r\ny\r\n"
        );
    }
    q(&mut c, &["xadd", "other", "1-1", "o", "z"]);
    assert_eq!(
        other.read_reply(),
        b"*1\r\n*2\r\n$5\r\nother\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\no\r\n$1\r\nz\r\n"
    );
}

#[test]
fn blocking_xread_dollar_resolved_at_block_time() {
    let s = TestServer::start();
    let mut c = s.conn();
    let mut r = s.raw();
    // Missing stream: `$` is 0-0, so the first entry added is delivered.
    send(
        &mut r,
        &["XREAD", "COUNT", "10", "BLOCK", "0", "STREAMS", "s", "$"],
    );
    wait_blocked(&mut c, 1);
    // An entry the reader can't use (it waits for > 5-0) keeps it blocked.
    let mut r2 = s.raw();
    send(&mut r2, &["XREAD", "BLOCK", "0", "STREAMS", "s", "5-0"]);
    wait_blocked(&mut c, 2);
    q(&mut c, &["xadd", "s", "3-0", "a", "1"]);
    assert_eq!(
        r.read_reply(),
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    q(&mut c, &["xadd", "s", "6-0", "b", "2"]);
    assert_eq!(
        r2.read_reply(),
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n6-0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    // Timeout: a null array.
    let mut r3 = s.raw();
    send(&mut r3, &["XREAD", "BLOCK", "50", "STREAMS", "s", "$"]);
    assert_eq!(r3.read_reply(), b"*-1\r\n");
    send(
        &mut r3,
        &[
            "XREADGROUP",
            "GROUP",
            "nog",
            "c",
            "BLOCK",
            "50",
            "STREAMS",
            "s",
            ">",
        ],
    );
    assert_eq!(
        r3.read_reply(),
        b"-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option\r\n"
    );
}

#[test]
fn blocking_timeout_kept_across_spurious_wakeups() {
    // A reader woken by entries it can't use blocks again with its original deadline.
    let s = TestServer::start();
    let mut c = s.conn();
    let mut r = s.raw();
    send(
        &mut r,
        &["XREAD", "BLOCK", "600", "STREAMS", "s", "1000000-0"],
    );
    wait_blocked(&mut c, 1);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let d2 = done.clone();
    let h = std::thread::spawn(move || {
        let reply = r.read_reply();
        d2.store(true, std::sync::atomic::Ordering::SeqCst);
        reply
    });
    let mut finished_in_time = false;
    for i in 1..=40 {
        q(&mut c, &["xadd", "s", &format!("{i}-0"), "a", "1"]);
        std::thread::sleep(Duration::from_millis(100));
        if done.load(std::sync::atomic::Ordering::SeqCst) {
            finished_in_time = true;
            break;
        }
    }
    assert!(finished_in_time, "deadline was reset by wake-ups");
    assert_eq!(h.join().unwrap(), b"*-1\r\n");
}

#[test]
fn blocking_xreadgroup_fair_and_exclusive() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &["xgroup", "create", "s", "g", "$", "mkstream"],
        "OK",
    );
    let mut cons: Vec<Raw> = (0..3).map(|_| s.raw()).collect();
    for (i, r) in cons.iter_mut().enumerate() {
        send(
            r,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                &format!("c{i}"),
                "COUNT",
                "1",
                "BLOCK",
                "0",
                "STREAMS",
                "s",
                ">",
            ],
        );
    }
    wait_blocked(&mut c, 3);
    for i in 1..=3 {
        q(
            &mut c,
            &["xadd", "s", &format!("{i}-0"), "n", &i.to_string()],
        );
    }
    let mut got = Vec::new();
    for r in cons.iter_mut() {
        let rep = String::from_utf8(r.read_reply()).unwrap();
        let id = rep
            .split("\r\n")
            .find(|l| l.ends_with("-0"))
            .unwrap()
            .to_string();
        got.push(id);
    }
    got.sort();
    assert_eq!(
        got,
        vec!["1-0", "2-0", "3-0"],
        "each entry to exactly one consumer"
    );
    check(
        &mut c,
        &["xpending", "s", "g"],
        "[3 1-0 3-0 [[c0 1] [c1 1] [c2 1]]]",
    );
    check(
        &mut c,
        &["xinfo", "groups", "s"],
        "[[name g consumers 3 pending 3 last-delivered-id 3-0 entries-read 3 lag 0]]",
    );
}

#[test]
fn blocked_xreadgroup_gets_errors_when_group_or_key_goes() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &["xgroup", "create", "s", "g", "$", "mkstream"],
        "OK",
    );
    check(&mut c, &["xgroup", "create", "s", "g2", "$"], "OK");
    let mut r1 = s.raw();
    let mut r2 = s.raw();
    send(
        &mut r1,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">",
        ],
    );
    send(
        &mut r2,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "b",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">",
        ],
    );
    wait_blocked(&mut c, 2);
    check(&mut c, &["xgroup", "destroy", "s", "g"], "1");
    let want =
        b"-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n";
    assert_eq!(r1.read_reply(), want);
    assert_eq!(r2.read_reply(), want);
    // The key replaced by another type: WRONGTYPE.
    send(
        &mut r1,
        &[
            "XREADGROUP",
            "GROUP",
            "g2",
            "a",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">",
        ],
    );
    wait_blocked(&mut c, 1);
    check(&mut c, &["set", "s", "x"], "OK");
    assert_eq!(
        r1.read_reply(),
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    // A blocked XREAD stays blocked when its key changes type.
    let mut r3 = s.raw();
    send(&mut r3, &["XREAD", "BLOCK", "0", "STREAMS", "t", "$"]);
    wait_blocked(&mut c, 1);
    check(&mut c, &["set", "t", "x"], "OK");
    let mut c2 = s.conn();
    wait_blocked(&mut c2, 1);
    // Woken by another of its keys, it is re-run as Redis 7.2 re-executes it: the key
    // that became a string makes it -WRONGTYPE (no entries are served).
    let mut r4 = s.raw();
    send(
        &mut r4,
        &["XREAD", "BLOCK", "0", "STREAMS", "{u}1", "{u}2", "$", "$"],
    );
    wait_blocked(&mut c, 2);
    check(&mut c, &["set", "{u}2", "x"], "OK");
    check(&mut c, &["xadd", "{u}1", "5-1", "f", "v"], "5-1");
    assert_eq!(
        r4.read_reply(),
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
}

#[test]
fn xread_and_xreadgroup_several_streams() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["xgroup", "create", "{x}a", "g", "$", "mkstream"]);
    q(&mut c, &["xgroup", "create", "{x}b", "g", "$", "mkstream"]);
    let mut r = s.raw();
    send(
        &mut r,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            "{x}a",
            "{x}b",
            ">",
            ">",
        ],
    );
    wait_blocked(&mut c, 1);
    q(&mut c, &["xadd", "{x}b", "1-0", "f", "v"]);
    assert_eq!(
        r.read_reply(),
        b"*1\r\n*2\r\n$4\r\n{x}b\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    check(&mut c, &["xpending", "{x}b", "g"], "[1 1-0 1-0 [[c 1]]]");
    check(&mut c, &["xpending", "{x}a", "g"], "[0 nil nil nil]");
}

#[test]
fn blocking_commands_inside_multi_do_not_block() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(&mut c, &["multi"], "OK");
    check(
        &mut c,
        &["xread", "block", "0", "streams", "s", "$"],
        "QUEUED",
    );
    check(
        &mut c,
        &["xgroup", "create", "s", "g", "$", "mkstream"],
        "QUEUED",
    );
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "g",
            "c",
            "block",
            "0",
            "streams",
            "s",
            ">",
        ],
        "QUEUED",
    );
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "QUEUED");
    check(
        &mut c,
        &[
            "xreadgroup",
            "group",
            "g",
            "c",
            "block",
            "0",
            "streams",
            "s",
            ">",
        ],
        "QUEUED",
    );
    check(&mut c, &["exec"], "[nil OK nil 1-1 [[s [[1-1 [a 1]]]]]]");
}

#[test]
fn xread_plus_reads_last_entry() {
    // `+` (Redis 7.4): the last entry of each stream; blocks like `$` on an empty one.
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["xadd", "s", "1-1", "a", "1"]);
    q(&mut c, &["xadd", "s", "2-1", "b", "2"]);
    check(
        &mut c,
        &["xread", "streams", "s", "+"],
        "[[s [[2-1 [b 2]]]]]",
    );
    check(&mut c, &["xread", "streams", "nosuch", "+"], "nil");
    let mut r = s.raw();
    send(&mut r, &["XREAD", "BLOCK", "0", "STREAMS", "e", "+"]);
    wait_blocked(&mut c, 1);
    q(&mut c, &["xadd", "e", "5-0", "x", "y"]);
    assert_eq!(
        r.read_reply(),
        b"*1\r\n*2\r\n$1\r\ne\r\n*1\r\n*2\r\n$3\r\n5-0\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
    );
}

#[test]
fn blocked_xreadgroup_gets_nogroup_when_key_deleted() {
    let s = TestServer::start();
    let mut c = s.conn();
    // DEL belongs to the keyspace family; skip where it isn't registered yet.
    if cmd(&mut c, &["del", "nothing"]).starts_with("!ERR unknown command") {
        return;
    }
    check(
        &mut c,
        &["xgroup", "create", "s", "g", "$", "mkstream"],
        "OK",
    );
    let mut r = s.raw();
    send(
        &mut r,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">",
        ],
    );
    wait_blocked(&mut c, 1);
    check(&mut c, &["del", "s"], "1");
    assert_eq!(
        r.read_reply(),
        b"-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n"
    );
    // A plain XREAD keeps waiting through a DEL and is served by the next XADD.
    send(&mut r, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_blocked(&mut c, 1);
    q(&mut c, &["xadd", "s", "1-1", "a", "1"]);
    check(&mut c, &["del", "s"], "1");
    assert_eq!(
        r.read_reply(),
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
}

/// radix-tree-nodes as Redis's rax counts them (recorded from redis-server).
#[test]
fn xinfo_radix_tree_counts() {
    let s = TestServer::start_with(&["--stream-node-max-entries", "1"]);
    let mut c = s.conn();
    check(&mut c, &["xadd", "s", "1-1", "a", "1"], "1-1");
    check(&mut c, &["xinfo", "stream", "s"], "[length 1 radix-tree-keys 1 radix-tree-nodes 2 last-generated-id 1-1 max-deleted-entry-id 0-0 entries-added 1 recorded-first-entry-id 1-1 groups 0 first-entry [1-1 [a 1]] last-entry [1-1 [a 1]]]");
    check(&mut c, &["xadd", "s", "1-2", "a", "1"], "1-2");
    check(&mut c, &["xinfo", "stream", "s"], "[length 2 radix-tree-keys 2 radix-tree-nodes 4 last-generated-id 1-2 max-deleted-entry-id 0-0 entries-added 2 recorded-first-entry-id 1-1 groups 0 first-entry [1-1 [a 1]] last-entry [1-2 [a 1]]]");
    check(&mut c, &["xadd", "s", "2-0", "a", "1"], "2-0");
    check(&mut c, &["xinfo", "stream", "s"], "[length 3 radix-tree-keys 3 radix-tree-nodes 8 last-generated-id 2-0 max-deleted-entry-id 0-0 entries-added 3 recorded-first-entry-id 1-1 groups 0 first-entry [1-1 [a 1]] last-entry [2-0 [a 1]]]");
    check(&mut c, &["xadd", "s", "300-0", "a", "1"], "300-0");
    check(&mut c, &["xinfo", "stream", "s"], "[length 4 radix-tree-keys 4 radix-tree-nodes 11 last-generated-id 300-0 max-deleted-entry-id 0-0 entries-added 4 recorded-first-entry-id 1-1 groups 0 first-entry [1-1 [a 1]] last-entry [300-0 [a 1]]]");
    check(&mut c, &["xadd", "s", "70000-5", "a", "1"], "70000-5");
    check(&mut c, &["xinfo", "stream", "s"], "[length 5 radix-tree-keys 5 radix-tree-nodes 14 last-generated-id 70000-5 max-deleted-entry-id 0-0 entries-added 5 recorded-first-entry-id 1-1 groups 0 first-entry [1-1 [a 1]] last-entry [70000-5 [a 1]]]");
    check(&mut c, &["xadd", "s", "70000-6", "a", "1"], "70000-6");
    check(&mut c, &["xadd", "s", "70001-6", "a", "1"], "70001-6");
    check(
        &mut c,
        &["xadd", "s", "1700000000000-0", "a", "1"],
        "1700000000000-0",
    );
    check(
        &mut c,
        &["xadd", "s", "1700000000001-0", "a", "1"],
        "1700000000001-0",
    );
    check(
        &mut c,
        &["xadd", "s", "1700000000001-1", "a", "1"],
        "1700000000001-1",
    );
    check(
        &mut c,
        &["xadd", "s", "1700000000256-1", "a", "1"],
        "1700000000256-1",
    );
    check(&mut c, &["xinfo", "stream", "s"], "[length 11 radix-tree-keys 11 radix-tree-nodes 33 last-generated-id 1700000000256-1 max-deleted-entry-id 0-0 entries-added 11 recorded-first-entry-id 1-1 groups 0 first-entry [1-1 [a 1]] last-entry [1700000000256-1 [a 1]]]");
    check(&mut c, &["xdel", "s", "70000-6"], "1");
    check(&mut c, &["xinfo", "stream", "s"], "[length 10 radix-tree-keys 10 radix-tree-nodes 31 last-generated-id 1700000000256-1 max-deleted-entry-id 70000-6 entries-added 11 recorded-first-entry-id 1-1 groups 0 first-entry [1-1 [a 1]] last-entry [1700000000256-1 [a 1]]]");
    check(&mut c, &["xdel", "s", "1-1", "1-2"], "2");
    check(&mut c, &["xinfo", "stream", "s"], "[length 8 radix-tree-keys 8 radix-tree-nodes 26 last-generated-id 1700000000256-1 max-deleted-entry-id 70000-6 entries-added 11 recorded-first-entry-id 2-0 groups 0 first-entry [2-0 [a 1]] last-entry [1700000000256-1 [a 1]]]");
    check(&mut c, &["xtrim", "s", "maxlen", "2"], "6");
    check(&mut c, &["xinfo", "stream", "s"], "[length 2 radix-tree-keys 2 radix-tree-nodes 6 last-generated-id 1700000000256-1 max-deleted-entry-id 70000-6 entries-added 11 recorded-first-entry-id 1700000000001-1 groups 0 first-entry [1700000000001-1 [a 1]] last-entry [1700000000256-1 [a 1]]]");
    check(&mut c, &["xtrim", "s", "maxlen", "0"], "2");
    check(&mut c, &["xinfo", "stream", "s"], "[length 0 radix-tree-keys 0 radix-tree-nodes 1 last-generated-id 1700000000256-1 max-deleted-entry-id 70000-6 entries-added 11 recorded-first-entry-id 0-0 groups 0 first-entry nil last-entry nil]");
}

#[test]
fn every_blocked_reader_sees_each_change() {
    // Clients are woken one at a time; one that can't use an entry (its group's other
    // consumer took it, or it waits for a later ID) must pass the wake-up on, so readers
    // queued behind it are served by the same XADD.
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &["xgroup", "create", "s", "g1", "$", "mkstream"],
        "OK",
    );
    check(&mut c, &["xgroup", "create", "s", "g2", "$"], "OK");
    let mut later = s.raw();
    send(
        &mut later,
        &["XREAD", "BLOCK", "0", "STREAMS", "s", "100-0"],
    );
    let mut g1: Vec<Raw> = (0..2).map(|_| s.raw()).collect();
    let mut g2: Vec<Raw> = (0..2).map(|_| s.raw()).collect();
    for (i, r) in g1.iter_mut().enumerate() {
        send(
            r,
            &[
                "XREADGROUP",
                "GROUP",
                "g1",
                &format!("a{i}"),
                "BLOCK",
                "0",
                "STREAMS",
                "s",
                ">",
            ],
        );
    }
    for (i, r) in g2.iter_mut().enumerate() {
        send(
            r,
            &[
                "XREADGROUP",
                "GROUP",
                "g2",
                &format!("b{i}"),
                "BLOCK",
                "0",
                "STREAMS",
                "s",
                ">",
            ],
        );
    }
    let mut plain = s.raw();
    send(&mut plain, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_blocked(&mut c, 6);
    q(&mut c, &["xadd", "s", "1-0", "f", "v"]);
    let want =
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n".to_vec();
    // The plain reader and one consumer of each group get the entry.
    assert_eq!(plain.read_reply(), want);
    assert_eq!(g1[0].read_reply(), want);
    assert_eq!(g2[0].read_reply(), want);
    check(&mut c, &["xpending", "s", "g1"], "[1 1-0 1-0 [[a0 1]]]");
    check(&mut c, &["xpending", "s", "g2"], "[1 1-0 1-0 [[b0 1]]]");
    // The others are still blocked, and get the next entries.
    q(&mut c, &["xadd", "s", "2-0", "f", "w"]);
    let want2 =
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$1\r\nw\r\n".to_vec();
    assert_eq!(g1[1].read_reply(), want2);
    assert_eq!(g2[1].read_reply(), want2);
    q(&mut c, &["xadd", "s", "101-0", "f", "x"]);
    let want3 =
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$5\r\n101-0\r\n*2\r\n$1\r\nf\r\n$1\r\nx\r\n".to_vec();
    assert_eq!(later.read_reply(), want3);
}

/// A reader waiting for an ID still ahead doesn't hold up the readers blocked behind it,
/// and one XADD serves every reader it can, before any other command runs (an XADD then
/// DEL pipelined still serves them, as Redis does).
#[test]
fn one_xadd_serves_every_reader_it_can_atomically() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["xadd", "s", "1-1", "a", "1"]);
    let mut ahead = s.raw();
    send(&mut ahead, &["CLIENT", "ID"]);
    let id = String::from_utf8(ahead.read_reply()).unwrap();
    let id = id.trim_start_matches(':').trim_end();
    send(
        &mut ahead,
        &["XREAD", "BLOCK", "0", "STREAMS", "s", "9999-0"],
    );
    wait_blocked(&mut c, 1);
    let mut r1 = s.raw();
    send(&mut r1, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    wait_blocked(&mut c, 2);
    let mut r2 = s.raw();
    send(&mut r2, &["XREAD", "BLOCK", "0", "STREAMS", "s", "1-1"]);
    wait_blocked(&mut c, 3);
    let mut p = s.raw();
    p.send(b"*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$3\r\n5-0\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\nDEL\r\n$1\r\ns\r\n");
    assert_eq!(p.read_reply(), b"$3\r\n5-0\r\n");
    assert_eq!(p.read_reply(), b":1\r\n");
    let served = b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n5-0\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n";
    assert_eq!(r1.read_reply(), served);
    assert_eq!(r2.read_reply(), served);
    wait_blocked(&mut c, 1);
    check(&mut c, &["client", "unblock", id], "1");
    assert_eq!(ahead.read_reply(), b"*-1\r\n");
}
