//! Keyspace notifications: `__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>`
//! channels, flag filtering (`notify-keyspace-events`), and the events of each family.

mod common;
use common::*;
use std::time::{Duration, Instant};

fn send(r: &mut Raw, args: &[&str]) {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    r.cmd(&a);
}

fn call(r: &mut Raw, args: &[&str]) -> String {
    send(r, args);
    String::from_utf8_lossy(&r.read_reply()).into_owned()
}

/// A pattern subscriber to every notification channel, plus a client to run commands.
struct Watch {
    sub: Raw,
    c: Raw,
}

impl Watch {
    fn new(srv: &TestServer, flags: &str) -> Watch {
        let mut c = srv.raw();
        assert_eq!(
            call(&mut c, &["CONFIG", "SET", "notify-keyspace-events", flags]),
            "+OK\r\n"
        );
        let mut sub = srv.raw();
        send(&mut sub, &["PSUBSCRIBE", "__key*__:*"]);
        sub.read_reply();
        Watch { sub, c }
    }

    /// Reads pmessages until the sentinel published after them: the (channel, payload)
    /// pairs seen, in order.
    fn drain(&mut self) -> Vec<(String, String)> {
        // (Earlier watchers of the same test may still be subscribed: at least one.)
        let n = call(&mut self.c, &["PUBLISH", "__keyspace@99__:sentinel", "end"]);
        assert!(n.starts_with(':') && n != ":0\r\n", "{n}");
        let mut out = Vec::new();
        loop {
            let rep = String::from_utf8_lossy(&self.sub.read_reply()).into_owned();
            let parts: Vec<&str> = rep.split("\r\n").collect();
            // *4, $8, pmessage, $n, pattern, $n, channel, $n, payload
            assert_eq!(parts[2], "pmessage", "{rep:?}");
            let (ch, payload) = (parts[6].to_string(), parts[8].to_string());
            if ch == "__keyspace@99__:sentinel" {
                return out;
            }
            out.push((ch, payload));
        }
    }

    /// Runs commands on the command connection and returns the events they caused.
    fn run(&mut self, cmds: &[&[&str]]) -> Vec<(String, String)> {
        for c in cmds {
            let rep = call(&mut self.c, c);
            assert!(!rep.starts_with('-'), "{c:?}: {rep}");
        }
        self.drain()
    }

    /// Waits (generously) for the next event without running anything.
    fn next(&mut self) -> (String, String) {
        let rep = String::from_utf8_lossy(&self.sub.read_reply()).into_owned();
        let parts: Vec<&str> = rep.split("\r\n").collect();
        (parts[6].to_string(), parts[8].to_string())
    }
}

fn ks(key: &str, ev: &str) -> (String, String) {
    (format!("__keyspace@0__:{key}"), ev.to_string())
}

fn ke(ev: &str, key: &str) -> (String, String) {
    (format!("__keyevent@0__:{ev}"), key.to_string())
}

/// Both channels of one event, keyspace first (as Redis sends them).
fn both(key: &str, ev: &str) -> Vec<(String, String)> {
    vec![ks(key, ev), ke(ev, key)]
}

#[test]
fn keyspace_and_keyevent_channels() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "KEA");
    assert_eq!(w.run(&[&["SET", "foo", "bar"]]), both("foo", "set"));
    assert_eq!(w.run(&[&["DEL", "foo", "nokey"]]), both("foo", "del"));
    // Nothing for a DEL that deleted nothing, nor for reads.
    assert_eq!(w.run(&[&["DEL", "foo"], &["GET", "foo"]]), vec![]);
    // Binary key names pass through.
    assert_eq!(w.run(&[&["SET", "a:b c", "1"]]), both("a:b c", "set"));
    // Another database.
    w.c.cmd(&[b"SELECT", b"3"]);
    assert_eq!(w.c.read_reply(), b"+OK\r\n");
    assert_eq!(
        w.run(&[&["SET", "k", "v"]]),
        vec![
            ("__keyspace@3__:k".to_string(), "set".to_string()),
            ("__keyevent@3__:set".to_string(), "k".to_string()),
        ]
    );
}

#[test]
fn subscribe_to_exact_channels_and_resp3() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    call(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KE$"]);
    let mut sub = srv.raw();
    assert!(call(&mut sub, &["HELLO", "3"]).starts_with('%'));
    send(
        &mut sub,
        &["SUBSCRIBE", "__keyspace@0__:k", "__keyevent@0__:set"],
    );
    sub.read_reply();
    sub.read_reply();
    assert_eq!(call(&mut c, &["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(
        String::from_utf8_lossy(&sub.read_reply()),
        ">3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&sub.read_reply()),
        ">3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n"
    );
}

#[test]
fn flag_filtering() {
    let srv = TestServer::start();
    // Only keyevent, only strings.
    let mut w = Watch::new(&srv, "E$");
    assert_eq!(
        w.run(&[&["SET", "a", "1"], &["DEL", "a"]]),
        vec![ke("set", "a")]
    );
    // Only keyspace, only generic.
    let mut w = Watch::new(&srv, "Kg");
    assert_eq!(
        w.run(&[&["SET", "a", "1"], &["DEL", "a"]]),
        vec![ks("a", "del")]
    );
    // A class without K or E: nothing at all.
    let mut w = Watch::new(&srv, "A");
    assert_eq!(w.run(&[&["SET", "a", "1"], &["DEL", "a"]]), vec![]);
    // K or E without a class: nothing either.
    let mut w = Watch::new(&srv, "KE");
    assert_eq!(w.run(&[&["SET", "a", "1"], &["DEL", "a"]]), vec![]);
    // Disabled.
    let mut w = Watch::new(&srv, "");
    assert_eq!(w.run(&[&["SET", "a", "1"], &["DEL", "a"]]), vec![]);
    // Back on.
    let mut w = Watch::new(&srv, "KEA");
    assert_eq!(
        w.run(&[&["SET", "a", "1"], &["DEL", "a"]]),
        [both("a", "set"), both("a", "del")].concat()
    );
}

#[test]
fn config_file_and_command_line() {
    let srv = TestServer::start_with(&["--notify-keyspace-events", "Eg$"]);
    let mut c = srv.raw();
    assert_eq!(
        call(&mut c, &["CONFIG", "GET", "notify-keyspace-events"]),
        "*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\ng$E\r\n"
    );
    let mut sub = srv.raw();
    send(&mut sub, &["SUBSCRIBE", "__keyevent@0__:set"]);
    sub.read_reply();
    call(&mut c, &["SET", "x", "1"]);
    assert_eq!(
        String::from_utf8_lossy(&sub.read_reply()),
        "*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nx\r\n"
    );
    let (srv2, _path) = TestServer::start_with_config("notify-keyspace-events KEx\n", &[]);
    let mut c = srv2.raw();
    assert_eq!(
        call(&mut c, &["CONFIG", "GET", "notify-keyspace-events"]),
        "*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\nxKE\r\n"
    );
}

#[test]
fn set_with_expire_events() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "KEA");
    assert_eq!(
        w.run(&[&["SET", "k", "v", "EX", "100"]]),
        [both("k", "set"), both("k", "expire")].concat()
    );
    // A SET that doesn't happen (NX on an existing key) notifies nothing.
    assert_eq!(w.run(&[&["SET", "k", "v", "NX"]]), vec![]);
}

#[test]
fn expired_by_lazy_expiry() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    // No active expiry interference: the key is found expired by the GET.
    call(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    let mut w = Watch::new(&srv, "Exm");
    assert_eq!(w.run(&[&["SET", "k", "v", "PX", "1"]]), vec![]);
    std::thread::sleep(Duration::from_millis(20));
    let ev = w.run(&[&["GET", "k"]]);
    // Redis: `expired` first, then `keymiss` for the failed read. (If the active cycle got
    // there first, only the keymiss is left to this GET.)
    if ev.len() == 2 {
        assert_eq!(ev, vec![ke("expired", "k"), ke("keymiss", "k")]);
    } else {
        assert_eq!(ev, vec![ke("keymiss", "k")]);
    }
}

#[test]
fn expired_by_active_expiry() {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, "KEx");
    call(&mut w.c, &["SET", "gone", "v", "PX", "5"]);
    // Nobody touches the key: the cron's active cycle deletes it and notifies.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < 2 {
        assert!(Instant::now() < deadline);
        got.push(w.next());
    }
    assert_eq!(got, both("gone", "expired"));
    assert_eq!(call(&mut w.c, &["DBSIZE"]), ":0\r\n");
}

#[test]
fn keymiss_events() {
    let srv = TestServer::start();
    // 'A' does not include 'm'.
    let mut w = Watch::new(&srv, "KEA");
    assert_eq!(w.run(&[&["GET", "nokey"]]), vec![]);
    let mut w = Watch::new(&srv, "KEm");
    assert_eq!(w.run(&[&["GET", "nokey"]]), both("nokey", "keymiss"));
    // A hit is not a miss.
    call(&mut w.c, &["SET", "k", "v"]);
    assert_eq!(w.run(&[&["GET", "k"]]), vec![]);
}

#[test]
fn new_key_events() {
    let srv = TestServer::start();
    // 'A' does not include 'n'.
    let mut w = Watch::new(&srv, "KEA");
    assert_eq!(w.run(&[&["SET", "k", "1"]]), both("k", "set"));
    let mut w = Watch::new(&srv, "KEn$");
    // A new key: `new` first, then the command's event; an overwrite: no `new`.
    assert_eq!(
        w.run(&[&["SET", "k2", "1"]]),
        [both("k2", "new"), both("k2", "set")].concat()
    );
    assert_eq!(w.run(&[&["SET", "k2", "2"]]), both("k2", "set"));
    let mut w = Watch::new(&srv, "En");
    assert_eq!(
        w.run(&[&["SET", "k3", "1"], &["SET", "k3", "2"]]),
        vec![ke("new", "k3")]
    );
    // After a delete, the key is new again.
    assert_eq!(
        w.run(&[&["DEL", "k3"], &["SET", "k3", "1"]]),
        vec![ke("new", "k3")]
    );
}

/// A command and the (event, key) pairs it must send.
type EventRow<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

/// The events of each family that has landed, checked against what Redis 7 sends for the
/// same commands (keyevent channel: event name and key, in order).
fn check_table(flags: &str, table: &[EventRow]) {
    let srv = TestServer::start();
    let mut w = Watch::new(&srv, flags);
    for (cmd, want) in table {
        let got = w.run(&[cmd]);
        let want: Vec<(String, String)> = want.iter().map(|(e, k)| ke(e, k)).collect();
        assert_eq!(got, want, "{cmd:?}");
    }
}

#[test]
fn family_events() {
    let table: &[EventRow] = &[
        (&["append", "s", "a"], &[("append", "s")]),
        (&["append", "s", "b"], &[("append", "s")]),
        (&["incr", "n"], &[("incrby", "n")]),
        (&["incrby", "n", "5"], &[("incrby", "n")]),
        (&["decr", "n"], &[("incrby", "n")]),
        (&["incrbyfloat", "f", "1.5"], &[("incrbyfloat", "f")]),
        (&["setrange", "s", "1", "zz"], &[("setrange", "s")]),
        (&["mset", "a", "1", "b", "2"], &[("set", "a"), ("set", "b")]),
        (&["msetnx", "a", "1", "c", "3"], &[]),
        (
            &["msetnx", "d", "1", "e", "3"],
            &[("set", "d"), ("set", "e")],
        ),
        (&["getset", "a", "9"], &[("set", "a")]),
        (&["getdel", "a"], &[("del", "a")]),
        (&["getex", "b", "ex", "100"], &[("expire", "b")]),
        (&["getex", "b", "persist"], &[("persist", "b")]),
        (&["setnx", "b", "1"], &[]),
        (&["setnx", "g", "1"], &[("set", "g")]),
        (
            &["setex", "h", "100", "v"],
            &[("set", "h"), ("expire", "h")],
        ),
        (
            &["psetex", "i", "100000", "v"],
            &[("set", "i"), ("expire", "i")],
        ),
        (&["setbit", "bits", "3", "1"], &[("setbit", "bits")]),
        (&["pfadd", "hll", "x", "y"], &[("pfadd", "hll")]),
        (&["hset", "h1", "f", "v", "g", "w"], &[("hset", "h1")]),
        (&["hsetnx", "h1", "f", "v"], &[]),
        (&["hsetnx", "h1", "z", "v"], &[("hset", "h1")]),
        (&["hincrby", "h1", "n", "3"], &[("hincrby", "h1")]),
        (
            &["hincrbyfloat", "h1", "m", "1.5"],
            &[("hincrbyfloat", "h1")],
        ),
        (&["hdel", "h1", "f", "g", "n", "m"], &[("hdel", "h1")]),
        (&["hdel", "h1", "z"], &[("hdel", "h1"), ("del", "h1")]),
        (&["sadd", "s1", "a", "b", "c"], &[("sadd", "s1")]),
        (&["srem", "s1", "a"], &[("srem", "s1")]),
        (
            &["smove", "s1", "s2", "b"],
            &[("srem", "s1"), ("sadd", "s2")],
        ),
        (&["spop", "s1"], &[("spop", "s1"), ("del", "s1")]),
        (&["sadd", "s3", "x", "y"], &[("sadd", "s3")]),
        (&["sinterstore", "s4", "s3", "s3"], &[("sinterstore", "s4")]),
        (&["sunionstore", "s4", "s3", "s2"], &[("sunionstore", "s4")]),
        (&["sdiffstore", "s4", "s3", "s3"], &[("del", "s4")]),
        (&["spop", "s3", "5"], &[("spop", "s3"), ("del", "s3")]),
        (&["del", "s2", "s4"], &[("del", "s2")]),
    ];
    check_table("EA", table);
}

#[test]
fn family_new_events() {
    let table: &[EventRow] = &[
        (&["set", "a", "1"], &[("new", "a"), ("set", "a")]),
        (&["set", "a", "2"], &[("set", "a")]),
        (&["hset", "h", "f", "v"], &[("new", "h"), ("hset", "h")]),
        (&["hset", "h", "g", "v"], &[("hset", "h")]),
        (&["sadd", "s", "x"], &[("new", "s"), ("sadd", "s")]),
        (&["pfadd", "p", "a"], &[("new", "p"), ("pfadd", "p")]),
        (&["setbit", "b", "1", "1"], &[("new", "b"), ("setbit", "b")]),
        (&["append", "ap", "x"], &[("new", "ap"), ("append", "ap")]),
        (&["incr", "i"], &[("new", "i"), ("incrby", "i")]),
        (
            &["mset", "m1", "1", "m2", "2"],
            &[("new", "m1"), ("set", "m1"), ("new", "m2"), ("set", "m2")],
        ),
        (
            &["smove", "s", "s2", "x"],
            &[("srem", "s"), ("del", "s"), ("new", "s2"), ("sadd", "s2")],
        ),
        (
            &["sunionstore", "s3", "s2"],
            &[("new", "s3"), ("sunionstore", "s3")],
        ),
        (
            &["incrbyfloat", "fl", "1"],
            &[("new", "fl"), ("incrbyfloat", "fl")],
        ),
        (
            &["hincrby", "hh", "f", "1"],
            &[("new", "hh"), ("hincrby", "hh")],
        ),
        (
            &["setrange", "sr", "1", "x"],
            &[("new", "sr"), ("setrange", "sr")],
        ),
    ];
    check_table("EAn", table);
}
