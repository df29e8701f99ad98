//! Pub/Sub: every command and reply shape in RESP2 and RESP3, pattern matching, subscriber
//! mode, ordering under concurrent publishers, slow subscribers and disconnects.

mod common;
use common::*;
use std::time::{Duration, Instant};

/// One RESP element of an expected reply.
enum E<'a> {
    B(&'a str),
    Nil,
    I(i64),
}
use E::*;

/// Encodes an array (RESP2 `*`) or push (RESP3 `>`) of elements.
fn enc(proto: u8, items: &[E]) -> Vec<u8> {
    let mut v = format!("{}{}\r\n", if proto == 3 { '>' } else { '*' }, items.len()).into_bytes();
    for it in items {
        match it {
            B(s) => v.extend_from_slice(format!("${}\r\n{}\r\n", s.len(), s).as_bytes()),
            Nil => v.extend_from_slice(if proto == 3 { b"_\r\n" } else { b"$-1\r\n" }),
            I(i) => v.extend_from_slice(format!(":{i}\r\n").as_bytes()),
        }
    }
    v
}

fn bulks(items: &[&str]) -> Vec<u8> {
    enc(2, &items.iter().map(|s| B(s)).collect::<Vec<_>>())
}

/// Sends a command and reads one reply.
fn call(r: &mut Raw, args: &[&str]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    r.cmd(&a);
    r.read_reply()
}

fn send(r: &mut Raw, args: &[&str]) {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    r.cmd(&a);
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn hello3(r: &mut Raw) {
    let rep = call(r, &["HELLO", "3"]);
    assert!(rep.starts_with(b"%"), "HELLO 3: {}", s(&rep));
}

/// Waits until `f` holds (generous timeout; no timing assertions).
fn eventually(mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("condition not reached in time");
}

#[test]
fn subscribe_publish_resp2() {
    let srv = TestServer::start();
    let mut sub = srv.raw();
    let mut p = srv.raw();
    send(&mut sub, &["SUBSCRIBE", "a", "b"]);
    assert_eq!(sub.read_reply(), enc(2, &[B("subscribe"), B("a"), I(1)]));
    assert_eq!(sub.read_reply(), enc(2, &[B("subscribe"), B("b"), I(2)]));
    // Subscribing again to the same channel keeps the count.
    assert_eq!(
        call(&mut sub, &["SUBSCRIBE", "a"]),
        enc(2, &[B("subscribe"), B("a"), I(2)])
    );
    assert_eq!(call(&mut p, &["PUBLISH", "a", "hello"]), b":1\r\n");
    assert_eq!(sub.read_reply(), bulks(&["message", "a", "hello"]));
    assert_eq!(call(&mut p, &["PUBLISH", "b", ""]), b":1\r\n");
    assert_eq!(sub.read_reply(), bulks(&["message", "b", ""]));
    assert_eq!(call(&mut p, &["PUBLISH", "nobody", "x"]), b":0\r\n");
    // Binary-safe payloads and channel names.
    send(&mut sub, &["SUBSCRIBE", "bin\r\nch"]);
    assert_eq!(
        sub.read_reply(),
        enc(2, &[B("subscribe"), B("bin\r\nch"), I(3)])
    );
    assert_eq!(
        call(&mut p, &["PUBLISH", "bin\r\nch", "\0\r\n\x01"]),
        b":1\r\n"
    );
    assert_eq!(
        sub.read_reply(),
        bulks(&["message", "bin\r\nch", "\0\r\n\x01"])
    );
    // Unsubscribe one, then the rest (no arguments: all channels).
    assert_eq!(
        call(&mut sub, &["UNSUBSCRIBE", "a"]),
        enc(2, &[B("unsubscribe"), B("a"), I(2)])
    );
    assert_eq!(call(&mut p, &["PUBLISH", "a", "x"]), b":0\r\n");
    send(&mut sub, &["UNSUBSCRIBE"]);
    let mut got = vec![sub.read_reply(), sub.read_reply()];
    got.sort();
    let mut want = vec![
        enc(2, &[B("unsubscribe"), B("b"), I(1)]),
        enc(2, &[B("unsubscribe"), B("bin\r\nch"), I(1)]),
    ];
    // Counts go down one by one whatever the order: accept either order of names.
    if got != want {
        want = vec![
            enc(2, &[B("unsubscribe"), B("b"), I(0)]),
            enc(2, &[B("unsubscribe"), B("bin\r\nch"), I(1)]),
        ];
        let alt = vec![
            enc(2, &[B("unsubscribe"), B("b"), I(1)]),
            enc(2, &[B("unsubscribe"), B("bin\r\nch"), I(0)]),
        ];
        assert!(got == want || got == alt, "{got:?}");
    }
    // Out of subscriber mode: normal commands work again.
    assert_eq!(call(&mut sub, &["PING"]), b"+PONG\r\n");
    assert_eq!(call(&mut sub, &["GET", "x"]), b"$-1\r\n");
}

#[test]
fn unsubscribe_when_not_subscribed() {
    let srv = TestServer::start();
    for proto in [2u8, 3] {
        let mut c = srv.raw();
        if proto == 3 {
            hello3(&mut c);
        }
        for k in ["unsubscribe", "punsubscribe", "sunsubscribe"] {
            assert_eq!(call(&mut c, &[k]), enc(proto, &[B(k), Nil, I(0)]));
        }
        // Named channels that were never subscribed: one reply each, count 0.
        send(&mut c, &["UNSUBSCRIBE", "x", "y"]);
        assert_eq!(
            c.read_reply(),
            enc(proto, &[B("unsubscribe"), B("x"), I(0)])
        );
        assert_eq!(
            c.read_reply(),
            enc(proto, &[B("unsubscribe"), B("y"), I(0)])
        );
        send(&mut c, &["SUNSUBSCRIBE", "s1", "s2"]);
        assert_eq!(
            c.read_reply(),
            enc(proto, &[B("sunsubscribe"), B("s1"), I(0)])
        );
        assert_eq!(
            c.read_reply(),
            enc(proto, &[B("sunsubscribe"), B("s2"), I(0)])
        );
        assert_eq!(
            call(&mut c, &["PUNSUBSCRIBE", "p*"]),
            enc(proto, &[B("punsubscribe"), B("p*"), I(0)])
        );
        // Not in subscriber mode afterwards.
        assert_eq!(
            call(&mut c, &["GET", "x"]),
            if proto == 3 {
                &b"_\r\n"[..]
            } else {
                b"$-1\r\n"
            }
        );
    }
}

#[test]
fn unsubscribe_all_with_patterns_left() {
    let srv = TestServer::start();
    for proto in [2u8, 3] {
        let mut c = srv.raw();
        if proto == 3 {
            hello3(&mut c);
        }
        assert_eq!(
            call(&mut c, &["PSUBSCRIBE", "x*"]),
            enc(proto, &[B("psubscribe"), B("x*"), I(1)])
        );
        // No channels to leave, but the pattern still counts.
        assert_eq!(
            call(&mut c, &["UNSUBSCRIBE"]),
            enc(proto, &[B("unsubscribe"), Nil, I(1)])
        );
        assert_eq!(
            call(&mut c, &["SUBSCRIBE", "ch"]),
            enc(proto, &[B("subscribe"), B("ch"), I(2)])
        );
        assert_eq!(
            call(&mut c, &["PUNSUBSCRIBE"]),
            enc(proto, &[B("punsubscribe"), B("x*"), I(1)])
        );
        assert_eq!(
            call(&mut c, &["UNSUBSCRIBE"]),
            enc(proto, &[B("unsubscribe"), B("ch"), I(0)])
        );
    }
}

#[test]
fn psubscribe_patterns() {
    let srv = TestServer::start();
    let mut sub = srv.raw();
    let mut p = srv.raw();
    let pats = [
        "h?llo",
        "h[ae]llo",
        "h[^e]llo",
        "h*",
        "h\\*llo",
        "h[a-c]llo",
        "*",
    ];
    send(&mut sub, &[&["PSUBSCRIBE"][..], &pats[..]].concat());
    for (i, pat) in pats.iter().enumerate() {
        assert_eq!(
            sub.read_reply(),
            enc(2, &[B("psubscribe"), B(pat), I(i as i64 + 1)])
        );
    }
    // Channel -> patterns it must match, in subscription order of the test's check.
    let cases: &[(&str, &[&str])] = &[
        ("hello", &["h?llo", "h[ae]llo", "h*", "*"]),
        (
            "hallo",
            &["h?llo", "h[ae]llo", "h[^e]llo", "h*", "h[a-c]llo", "*"],
        ),
        ("hxllo", &["h?llo", "h[^e]llo", "h*", "*"]),
        ("hllo", &["h*", "*"]),
        ("h*llo", &["h?llo", "h[^e]llo", "h*", "h\\*llo", "*"]),
        ("hbllo", &["h?llo", "h[^e]llo", "h*", "h[a-c]llo", "*"]),
        ("heello", &["h*", "*"]),
        ("xhello", &["*"]),
        // Redis's matcher: `*` does not match the empty channel name.
        ("", &[]),
    ];
    for (ch, want) in cases {
        let n = call(&mut p, &["PUBLISH", ch, "m"]);
        assert_eq!(s(&n), format!(":{}\r\n", want.len()), "PUBLISH {ch}");
        let mut got: Vec<Vec<u8>> = (0..want.len()).map(|_| sub.read_reply()).collect();
        let mut expected: Vec<Vec<u8>> = want
            .iter()
            .map(|pat| bulks(&["pmessage", pat, ch, "m"]))
            .collect();
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "channel {ch}");
    }
    // Channel and pattern subscriptions both deliver (and both count).
    assert_eq!(
        call(&mut sub, &["SUBSCRIBE", "hello"]),
        enc(2, &[B("subscribe"), B("hello"), I(8)])
    );
    assert_eq!(
        call(&mut sub, &["PUNSUBSCRIBE", "*", "h*", "nope"]),
        enc(2, &[B("punsubscribe"), B("*"), I(7)])
    );
    assert_eq!(
        sub.read_reply(),
        enc(2, &[B("punsubscribe"), B("h*"), I(6)])
    );
    assert_eq!(
        sub.read_reply(),
        enc(2, &[B("punsubscribe"), B("nope"), I(6)])
    );
    assert_eq!(call(&mut p, &["PUBLISH", "hello", "z"]), b":3\r\n");
    let mut got: Vec<Vec<u8>> = (0..3).map(|_| sub.read_reply()).collect();
    got.sort();
    let mut want = vec![
        bulks(&["message", "hello", "z"]),
        bulks(&["pmessage", "h?llo", "hello", "z"]),
        bulks(&["pmessage", "h[ae]llo", "hello", "z"]),
    ];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn shard_channels() {
    let srv = TestServer::start();
    for proto in [2u8, 3] {
        let mut sub = srv.raw();
        let mut p = srv.raw();
        if proto == 3 {
            hello3(&mut sub);
        }
        send(&mut sub, &["SSUBSCRIBE", "s1", "s2"]);
        assert_eq!(
            sub.read_reply(),
            enc(proto, &[B("ssubscribe"), B("s1"), I(1)])
        );
        assert_eq!(
            sub.read_reply(),
            enc(proto, &[B("ssubscribe"), B("s2"), I(2)])
        );
        // Shard subscriptions are counted apart from channels and patterns.
        assert_eq!(
            call(&mut sub, &["SUBSCRIBE", "c1"]),
            enc(proto, &[B("subscribe"), B("c1"), I(1)])
        );
        assert_eq!(call(&mut p, &["SPUBLISH", "s1", "hi"]), b":1\r\n");
        assert_eq!(
            sub.read_reply(),
            enc(proto, &[B("smessage"), B("s1"), B("hi")])
        );
        // PUBLISH and SPUBLISH are separate namespaces; patterns don't see shard channels.
        assert_eq!(call(&mut p, &["PUBLISH", "s1", "x"]), b":0\r\n");
        assert_eq!(call(&mut p, &["SPUBLISH", "c1", "x"]), b":0\r\n");
        assert_eq!(
            call(&mut sub, &["PSUBSCRIBE", "*"]),
            enc(proto, &[B("psubscribe"), B("*"), I(2)])
        );
        assert_eq!(call(&mut p, &["SPUBLISH", "s2", "y"]), b":1\r\n");
        assert_eq!(
            sub.read_reply(),
            enc(proto, &[B("smessage"), B("s2"), B("y")])
        );
        assert_eq!(
            call(&mut sub, &["SUNSUBSCRIBE", "s1"]),
            enc(proto, &[B("sunsubscribe"), B("s1"), I(1)])
        );
        assert_eq!(
            call(&mut sub, &["SUNSUBSCRIBE"]),
            enc(proto, &[B("sunsubscribe"), B("s2"), I(0)])
        );
        assert_eq!(
            call(&mut sub, &["SUNSUBSCRIBE"]),
            enc(proto, &[B("sunsubscribe"), Nil, I(0)])
        );
        assert_eq!(call(&mut p, &["SPUBLISH", "s2", "y"]), b":0\r\n");
    }
}

#[test]
fn subscriber_mode_resp2_restrictions() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    assert_eq!(
        call(&mut c, &["SSUBSCRIBE", "s"]),
        enc(2, &[B("ssubscribe"), B("s"), I(1)])
    );
    let msg = |cmd: &str| {
        format!(
            "-ERR Can't execute '{cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
        )
    };
    assert_eq!(s(&call(&mut c, &["GET", "x"])), msg("get"));
    assert_eq!(s(&call(&mut c, &["SET", "x", "1"])), msg("set"));
    assert_eq!(s(&call(&mut c, &["PUBLISH", "x", "1"])), msg("publish"));
    assert_eq!(
        s(&call(&mut c, &["CONFIG", "GET", "port"])),
        msg("config|get")
    );
    assert_eq!(
        s(&call(&mut c, &["PUBSUB", "NUMPAT"])),
        msg("pubsub|numpat")
    );
    // Unknown commands and arity errors come first.
    assert_eq!(
        s(&call(&mut c, &["NOSUCH"])),
        "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"
    );
    assert_eq!(
        s(&call(&mut c, &["SUBSCRIBE"])),
        "-ERR wrong number of arguments for 'subscribe' command\r\n"
    );
    // PING answers as a pub/sub message.
    assert_eq!(call(&mut c, &["PING"]), bulks(&["pong", ""]));
    assert_eq!(call(&mut c, &["ping", "hey"]), bulks(&["pong", "hey"]));
    // The (un)subscribe family is allowed.
    assert_eq!(
        call(&mut c, &["PSUBSCRIBE", "p*"]),
        enc(2, &[B("psubscribe"), B("p*"), I(1)])
    );
    assert_eq!(
        call(&mut c, &["SUBSCRIBE", "c"]),
        enc(2, &[B("subscribe"), B("c"), I(2)])
    );
    assert_eq!(
        call(&mut c, &["UNSUBSCRIBE"]),
        enc(2, &[B("unsubscribe"), B("c"), I(1)])
    );
    assert_eq!(
        call(&mut c, &["PUNSUBSCRIBE"]),
        enc(2, &[B("punsubscribe"), B("p*"), I(0)])
    );
    // Still subscribed to the shard channel.
    assert_eq!(s(&call(&mut c, &["GET", "x"])), msg("get"));
    assert_eq!(
        call(&mut c, &["SUNSUBSCRIBE"]),
        enc(2, &[B("sunsubscribe"), B("s"), I(0)])
    );
    assert_eq!(call(&mut c, &["GET", "x"]), b"$-1\r\n");
    assert_eq!(call(&mut c, &["PING"]), b"+PONG\r\n");
    // QUIT is allowed in subscriber mode.
    call(&mut c, &["SUBSCRIBE", "c"]);
    assert_eq!(call(&mut c, &["QUIT"]), b"+OK\r\n");
    assert!(c.closed());
}

#[test]
fn reset_leaves_subscriber_mode() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let mut p = srv.raw();
    send(&mut c, &["SUBSCRIBE", "a"]);
    c.read_reply();
    send(&mut c, &["PSUBSCRIBE", "a*"]);
    c.read_reply();
    send(&mut c, &["SSUBSCRIBE", "s"]);
    c.read_reply();
    assert_eq!(call(&mut c, &["RESET"]), b"+RESET\r\n");
    assert_eq!(call(&mut c, &["GET", "x"]), b"$-1\r\n");
    assert_eq!(call(&mut p, &["PUBLISH", "a", "x"]), b":0\r\n");
    assert_eq!(call(&mut p, &["SPUBLISH", "s", "x"]), b":0\r\n");
    assert_eq!(call(&mut p, &["PUBSUB", "NUMPAT"]), b":0\r\n");
}

#[test]
fn resp3_pushes_mixed_with_replies() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let mut p = srv.raw();
    hello3(&mut c);
    send(&mut c, &["SUBSCRIBE", "a", "b"]);
    assert_eq!(c.read_reply(), enc(3, &[B("subscribe"), B("a"), I(1)]));
    assert_eq!(c.read_reply(), enc(3, &[B("subscribe"), B("b"), I(2)]));
    // Any command works in RESP3 while subscribed.
    assert_eq!(call(&mut c, &["SET", "k", "v"]), b"+OK\r\n");
    assert_eq!(call(&mut c, &["GET", "k"]), b"$1\r\nv\r\n");
    assert_eq!(call(&mut c, &["GET", "nokey"]), b"_\r\n");
    assert_eq!(call(&mut c, &["PING"]), b"+PONG\r\n");
    assert_eq!(
        call(&mut c, &["PUBSUB", "NUMSUB", "a"]),
        b"*2\r\n$1\r\na\r\n:1\r\n"
    );
    assert_eq!(call(&mut p, &["PUBLISH", "a", "m1"]), b":1\r\n");
    assert_eq!(c.read_reply(), enc(3, &[B("message"), B("a"), B("m1")]));
    assert_eq!(
        call(&mut c, &["PSUBSCRIBE", "b*"]),
        enc(3, &[B("psubscribe"), B("b*"), I(3)])
    );
    assert_eq!(call(&mut p, &["PUBLISH", "bz", "m2"]), b":1\r\n");
    assert_eq!(
        c.read_reply(),
        enc(3, &[B("pmessage"), B("b*"), B("bz"), B("m2")])
    );
    // A message published by the client itself arrives alongside its replies.
    send(&mut c, &["PUBLISH", "a", "self"]);
    let mut got = vec![c.read_reply(), c.read_reply()];
    got.sort();
    let mut want = vec![
        b":1\r\n".to_vec(),
        enc(3, &[B("message"), B("a"), B("self")]),
    ];
    want.sort();
    assert_eq!(got, want);
    // Publish to a RESP2 and a RESP3 subscriber at once: each gets its own encoding.
    let mut c2 = srv.raw();
    send(&mut c2, &["SUBSCRIBE", "a"]);
    c2.read_reply();
    assert_eq!(call(&mut p, &["PUBLISH", "a", "both"]), b":2\r\n");
    assert_eq!(c.read_reply(), enc(3, &[B("message"), B("a"), B("both")]));
    assert_eq!(c2.read_reply(), enc(2, &[B("message"), B("a"), B("both")]));
    send(&mut c, &["UNSUBSCRIBE", "a", "b"]);
    assert_eq!(c.read_reply(), enc(3, &[B("unsubscribe"), B("a"), I(2)]));
    assert_eq!(c.read_reply(), enc(3, &[B("unsubscribe"), B("b"), I(1)]));
    assert_eq!(
        call(&mut c, &["PUNSUBSCRIBE"]),
        enc(3, &[B("punsubscribe"), B("b*"), I(0)])
    );
}

#[test]
fn pubsub_introspection() {
    let srv = TestServer::start();
    let mut a = srv.raw();
    let mut b = srv.raw();
    let mut c = srv.raw();
    send(&mut a, &["SUBSCRIBE", "news.it", "news.sport", "other"]);
    for _ in 0..3 {
        a.read_reply();
    }
    send(&mut b, &["SUBSCRIBE", "news.it"]);
    b.read_reply();
    send(&mut a, &["PSUBSCRIBE", "news.*", "x?"]);
    a.read_reply();
    a.read_reply();
    send(&mut b, &["PSUBSCRIBE", "news.*"]);
    b.read_reply();
    send(&mut b, &["SSUBSCRIBE", "sh1", "sh2"]);
    b.read_reply();
    b.read_reply();

    let sorted_bulks = |rep: Vec<u8>| -> Vec<String> {
        let t = s(&rep);
        let mut lines: Vec<String> = t
            .split("\r\n")
            .skip(1)
            .filter(|l| !l.starts_with('$') && !l.is_empty())
            .map(|l| l.to_string())
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(
        sorted_bulks(call(&mut c, &["PUBSUB", "CHANNELS"])),
        vec!["news.it", "news.sport", "other"]
    );
    assert!(call(&mut c, &["PUBSUB", "CHANNELS"]).starts_with(b"*3\r\n"));
    assert_eq!(
        sorted_bulks(call(&mut c, &["PUBSUB", "CHANNELS", "news.*"])),
        vec!["news.it", "news.sport"]
    );
    assert_eq!(call(&mut c, &["PUBSUB", "CHANNELS", "zzz*"]), b"*0\r\n");
    assert_eq!(
        call(&mut c, &["PUBSUB", "NUMSUB", "news.it", "other", "none"]),
        b"*6\r\n$7\r\nnews.it\r\n:2\r\n$5\r\nother\r\n:1\r\n$4\r\nnone\r\n:0\r\n"
    );
    assert_eq!(call(&mut c, &["PUBSUB", "NUMSUB"]), b"*0\r\n");
    // NUMPAT counts distinct patterns.
    assert_eq!(call(&mut c, &["PUBSUB", "NUMPAT"]), b":2\r\n");
    assert_eq!(
        sorted_bulks(call(&mut c, &["PUBSUB", "SHARDCHANNELS"])),
        vec!["sh1", "sh2"]
    );
    assert_eq!(
        sorted_bulks(call(&mut c, &["pubsub", "shardchannels", "*1"])),
        vec!["sh1"]
    );
    assert_eq!(
        call(&mut c, &["PUBSUB", "SHARDNUMSUB", "sh1", "news.it"]),
        b"*4\r\n$3\r\nsh1\r\n:1\r\n$7\r\nnews.it\r\n:0\r\n"
    );
    assert_eq!(call(&mut c, &["PUBSUB", "SHARDNUMSUB"]), b"*0\r\n");
    // The same in RESP3: plain arrays and integers.
    let mut c3 = srv.raw();
    hello3(&mut c3);
    assert_eq!(
        call(&mut c3, &["PUBSUB", "NUMSUB", "other"]),
        b"*2\r\n$5\r\nother\r\n:1\r\n"
    );
    assert_eq!(call(&mut c3, &["PUBSUB", "NUMPAT"]), b":2\r\n");
    assert!(call(&mut c3, &["PUBSUB", "CHANNELS"]).starts_with(b"*3\r\n"));
    // Errors.
    assert_eq!(
        s(&call(&mut c, &["PUBSUB", "CHANNELS", "a", "b"])),
        "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"
    );
    assert_eq!(
        s(&call(&mut c, &["PUBSUB", "shardchannels", "a", "b"])),
        "-ERR unknown subcommand or wrong number of arguments for 'shardchannels'. Try PUBSUB HELP.\r\n"
    );
    assert_eq!(
        s(&call(&mut c, &["PUBSUB", "NUMPAT", "x"])),
        "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"
    );
    assert_eq!(
        s(&call(&mut c, &["PUBSUB", "foo"])),
        "-ERR unknown subcommand 'foo'. Try PUBSUB HELP.\r\n"
    );
    assert_eq!(
        s(&call(&mut c, &["PUBSUB"])),
        "-ERR wrong number of arguments for 'pubsub' command\r\n"
    );
    let help = s(&call(&mut c, &["PUBSUB", "HELP"]));
    assert!(help.starts_with(
        "*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CHANNELS [<pattern>]\r\n"
    ));
    assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"));
    // Disconnects remove every subscription.
    drop(a);
    drop(b);
    eventually(|| call(&mut c, &["PUBSUB", "NUMPAT"]) == b":0\r\n");
    eventually(|| call(&mut c, &["PUBSUB", "CHANNELS"]) == b"*0\r\n");
    eventually(|| call(&mut c, &["PUBSUB", "SHARDCHANNELS"]) == b"*0\r\n");
    assert_eq!(call(&mut c, &["PUBLISH", "news.it", "x"]), b":0\r\n");
}

#[test]
fn arity_errors() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    for (args, name) in [
        (&["SUBSCRIBE"][..], "subscribe"),
        (&["PSUBSCRIBE"][..], "psubscribe"),
        (&["SSUBSCRIBE"][..], "ssubscribe"),
        (&["PUBLISH", "a"][..], "publish"),
        (&["PUBLISH", "a", "b", "c"][..], "publish"),
        (&["SPUBLISH", "a"][..], "spublish"),
    ] {
        assert_eq!(
            s(&call(&mut c, args)),
            format!("-ERR wrong number of arguments for '{name}' command\r\n")
        );
    }
}

#[test]
fn many_subscribers() {
    let srv = TestServer::start();
    let mut p = srv.raw();
    let mut subs: Vec<Raw> = (0..50).map(|_| srv.raw()).collect();
    for (i, c) in subs.iter_mut().enumerate() {
        if i % 2 == 0 {
            send(c, &["SUBSCRIBE", "fan"]);
        } else {
            hello3(c);
            send(c, &["PSUBSCRIBE", "f*"]);
        }
        c.read_reply();
    }
    for m in 0..20 {
        let payload = format!("m{m}");
        assert_eq!(call(&mut p, &["PUBLISH", "fan", &payload]), b":50\r\n");
    }
    for (i, c) in subs.iter_mut().enumerate() {
        for m in 0..20 {
            let payload = format!("m{m}");
            let want = if i % 2 == 0 {
                enc(2, &[B("message"), B("fan"), B(&payload)])
            } else {
                enc(3, &[B("pmessage"), B("f*"), B("fan"), B(&payload)])
            };
            assert_eq!(c.read_reply(), want);
        }
    }
}

/// 4 publisher threads publish 1..N tagged with their id to one channel: the subscriber
/// gets every message, and each publisher's sequence in order. A pattern subscriber too.
#[test]
fn ordering_under_concurrent_publishers() {
    const N: usize = 2000;
    const P: usize = 4;
    let srv = TestServer::start();
    let mut sub = srv.raw();
    send(&mut sub, &["SUBSCRIBE", "ord"]);
    sub.read_reply();
    let mut psub = srv.raw();
    hello3(&mut psub);
    send(&mut psub, &["PSUBSCRIBE", "o*"]);
    psub.read_reply();
    let port = srv.port;
    let pubs: Vec<_> = (0..P)
        .map(|id| {
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                // Pipelined in batches, to keep many publishes in flight.
                for chunk in (1..=N).collect::<Vec<_>>().chunks(100) {
                    for i in chunk {
                        send(&mut c, &["PUBLISH", "ord", &format!("{id}:{i}")]);
                    }
                    for _ in chunk {
                        assert_eq!(c.read_reply(), b":2\r\n");
                    }
                }
            })
        })
        .collect();
    let check = |r: &mut Raw, pattern: bool| {
        let mut last = [0usize; P];
        for _ in 0..N * P {
            let rep = s(&r.read_reply());
            let payload = rep.split("\r\n").nth(if pattern { 8 } else { 6 }).unwrap();
            let (id, i) = payload.split_once(':').unwrap();
            let (id, i): (usize, usize) = (id.parse().unwrap(), i.parse().unwrap());
            assert_eq!(i, last[id] + 1, "publisher {id} out of order");
            last[id] = i;
        }
        assert_eq!(last, [N; P]);
    };
    check(&mut sub, false);
    check(&mut psub, true);
    for t in pubs {
        t.join().unwrap();
    }
}

/// A subscriber that never reads is closed once over the pubsub output buffer limit;
/// other clients (a subscriber that keeps up, the publisher) carry on.
#[test]
fn output_buffer_limit_disconnects_slow_subscriber() {
    slow_subscriber_closed("pubsub 1mb 512kb 1");
}

/// The soft limit alone: over 256kb for more than 1 second.
#[test]
fn output_buffer_soft_limit_disconnects_slow_subscriber() {
    slow_subscriber_closed("pubsub 0 256kb 1");
}

fn slow_subscriber_closed(limit: &str) {
    let srv = TestServer::start();
    let mut cfg = srv.raw();
    assert_eq!(
        call(
            &mut cfg,
            &["CONFIG", "SET", "client-output-buffer-limit", limit]
        ),
        b"+OK\r\n"
    );
    // The slow one: small receive buffer, never reads after the confirmation.
    let slow = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    let mut slow = Raw {
        stream: std::io::BufReader::new(slow),
    };
    send(&mut slow, &["SUBSCRIBE", "big"]);
    slow.read_reply();
    // The fast one reads everything on its own thread.
    let mut fast = srv.raw();
    send(&mut fast, &["SUBSCRIBE", "big"]);
    fast.read_reply();
    let payload = "x".repeat(100 * 1024);
    let reader = std::thread::spawn(move || {
        let mut n = 0usize;
        loop {
            let rep = fast.read_reply();
            if rep.ends_with(b"$3\r\nEND\r\n") {
                return n;
            }
            assert!(rep.starts_with(b"*3\r\n$7\r\nmessage\r\n$3\r\nbig\r\n$102400\r\n"));
            n += 1;
        }
    });
    let mut p = srv.raw();
    let mut sent = 0;
    let mut receivers = 2;
    // Publish until the slow subscriber is gone (each publish reaches 2, then 1).
    while receivers == 2 {
        let rep = call(&mut p, &["PUBLISH", "big", &payload]);
        sent += 1;
        receivers = match &rep[..] {
            b":2\r\n" => 2,
            b":1\r\n" => 1,
            other => panic!("unexpected {}", s(other)),
        };
        assert!(sent < 10_000, "slow subscriber never disconnected");
        if receivers == 2 && sent % 5 == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert_eq!(
        call(&mut p, &["PUBSUB", "NUMSUB", "big"]),
        b"*2\r\n$3\r\nbig\r\n:1\r\n"
    );
    // The publisher and the fast subscriber are unaffected.
    assert_eq!(call(&mut p, &["PUBLISH", "big", &payload]), b":1\r\n");
    assert_eq!(call(&mut p, &["PING"]), b"+PONG\r\n");
    assert_eq!(call(&mut p, &["PUBLISH", "big", "END"]), b":1\r\n");
    let got = reader.join().unwrap();
    // Every message sent, plus the one after the slow subscriber left.
    assert_eq!(got, sent + 1);
    // The slow client's socket is closed: reading drains what was sent, then EOF.
    slow.stream
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match std::io::Read::read(slow.stream.get_mut(), &mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("slow subscriber not closed: {e}"),
        }
    }
}

#[test]
fn inside_multi() {
    let srv = TestServer::start();
    let mut c = srv.raw();
    let mut sub = srv.raw();
    send(&mut sub, &["SUBSCRIBE", "a"]);
    sub.read_reply();
    // PUBLISH is queued and delivers at EXEC.
    assert_eq!(call(&mut c, &["MULTI"]), b"+OK\r\n");
    assert_eq!(call(&mut c, &["PUBLISH", "a", "x"]), b"+QUEUED\r\n");
    assert_eq!(call(&mut c, &["PUBLISH", "a", "y"]), b"+QUEUED\r\n");
    assert_eq!(call(&mut c, &["EXEC"]), b"*2\r\n:1\r\n:1\r\n");
    assert_eq!(sub.read_reply(), bulks(&["message", "a", "x"]));
    assert_eq!(sub.read_reply(), bulks(&["message", "a", "y"]));
    // SUBSCRIBE in a transaction: one confirmation per channel inside EXEC's reply, exactly
    // as Redis writes it (so the array count doesn't cover them all).
    assert_eq!(call(&mut c, &["MULTI"]), b"+OK\r\n");
    assert_eq!(call(&mut c, &["SUBSCRIBE", "a", "b"]), b"+QUEUED\r\n");
    send(&mut c, &["EXEC"]);
    let mut got = c.read_reply(); // "*1" and the first confirmation
    got.extend(c.read_reply());
    let mut want = b"*1\r\n".to_vec();
    want.extend(enc(2, &[B("subscribe"), B("a"), I(1)]));
    want.extend(enc(2, &[B("subscribe"), B("b"), I(2)]));
    assert_eq!(s(&got), s(&want));
    assert_eq!(
        call(&mut c, &["GET", "k"]),
        b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(
        call(&mut c, &["MULTI"]),
        b"-ERR Can't execute 'multi': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
}

/// CLIENT LIST's omem shows what is queued for a subscriber that doesn't read, and goes
/// back to 0 once it has read everything.
#[test]
fn client_list_shows_queued_output() {
    let srv = TestServer::start();
    let mut slow = srv.raw();
    send(&mut slow, &["SUBSCRIBE", "q"]);
    slow.read_reply();
    let mut p = srv.raw();
    let payload = "z".repeat(50 * 1024);
    // 10 MB: past what the socket buffers absorb, under the default 32 MB hard limit.
    for _ in 0..200 {
        assert_eq!(call(&mut p, &["PUBLISH", "q", &payload]), b":1\r\n");
    }
    let omem = |p: &mut Raw| -> Option<u64> {
        let list = s(&call(p, &["CLIENT", "LIST"]));
        let line = list.lines().find(|l| l.contains(" sub=1 "))?;
        let f = line.split(' ').find(|f| f.starts_with("omem="))?;
        f[5..].parse().ok()
    };
    assert!(omem(&mut p).unwrap() > 0);
    for _ in 0..200 {
        let rep = slow.read_reply();
        assert_eq!(rep.len(), 50 * 1024 + 34);
    }
    eventually(|| omem(&mut p) == Some(0));
}
