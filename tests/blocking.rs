//! Blocking list commands with several clients: FIFO serving, timeouts, wake-ups, the
//! atomic serve of a push to its waiters, chained BLMOVEs, CLIENT UNBLOCK.

mod common;
use common::*;
use std::time::Duration;

fn cmd(r: &mut Raw, line: &str) {
    let args: Vec<&[u8]> = line.split(' ').map(|a| a.as_bytes()).collect();
    r.cmd(&args);
}

fn call(r: &mut Raw, line: &str) -> String {
    cmd(r, line);
    String::from_utf8(r.read_reply()).unwrap()
}

/// Waits until `n` clients are blocked: through INFO when it reports `blocked_clients`,
/// else a pause long enough for the server to have seen the command.
fn wait_blocked(s: &TestServer, n: usize) {
    let mut r = s.raw();
    for _ in 0..500 {
        let info = call(&mut r, "INFO clients");
        let Some(p) = info.find("blocked_clients:") else {
            std::thread::sleep(Duration::from_millis(150));
            return;
        };
        let v: usize = info[p + 16..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap();
        if v == n {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("clients did not block");
}

fn arr(items: &[&str]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(&format!("${}\r\n{}\r\n", i.len(), i));
    }
    s
}

#[test]
fn waiters_are_served_first_blocked_first_served() {
    let s = TestServer::start();
    let mut w: Vec<Raw> = (0..3).map(|_| s.raw()).collect();
    for (i, c) in w.iter_mut().enumerate() {
        cmd(c, "BLPOP k 0");
        wait_blocked(&s, i + 1);
    }
    let mut p = s.raw();
    assert_eq!(call(&mut p, "RPUSH k a b c"), ":3\r\n");
    assert_eq!(
        String::from_utf8(w[0].read_reply()).unwrap(),
        arr(&["k", "a"])
    );
    assert_eq!(
        String::from_utf8(w[1].read_reply()).unwrap(),
        arr(&["k", "b"])
    );
    assert_eq!(
        String::from_utf8(w[2].read_reply()).unwrap(),
        arr(&["k", "c"])
    );
    assert_eq!(call(&mut p, "LLEN k"), ":0\r\n");
    // Three separate pushes, three more waiters, same order.
    for (i, c) in w.iter_mut().enumerate() {
        cmd(c, "BRPOP k 0");
        wait_blocked(&s, i + 1);
    }
    for v in ["x", "y", "z"] {
        assert_eq!(call(&mut p, &format!("LPUSH k {v}")), ":1\r\n");
    }
    for (c, v) in w.iter_mut().zip(["x", "y", "z"]) {
        assert_eq!(String::from_utf8(c.read_reply()).unwrap(), arr(&["k", v]));
    }
}

#[test]
fn timeouts() {
    let s = TestServer::start();
    let mut c = s.raw();
    assert_eq!(call(&mut c, "BLPOP k 0.1"), "*-1\r\n");
    assert_eq!(call(&mut c, "BRPOP k1 k2 0.05"), "*-1\r\n");
    assert_eq!(call(&mut c, "BLMOVE k d LEFT LEFT 0.1"), "$-1\r\n");
    assert_eq!(call(&mut c, "BRPOPLPUSH k d 0.1"), "$-1\r\n");
    assert_eq!(call(&mut c, "BLMPOP 0.1 2 k1 k2 LEFT COUNT 2"), "*-1\r\n");
    assert_eq!(call(&mut c, "BLPOP k 0.001"), "*-1\r\n");
    assert_eq!(call(&mut c, "BLPOP k 0.0001"), "*-1\r\n");
    // Redis 7.2's timeout parsing (a long double, times 1000, ceiling).
    for (t, e) in [
        ("inf", "-ERR timeout is out of range\r\n"),
        ("1e30", "-ERR timeout is out of range\r\n"),
        ("9223372036854775807", "-ERR timeout is out of range\r\n"),
        ("-inf", "-ERR timeout is negative\r\n"),
        ("-1", "-ERR timeout is negative\r\n"),
        ("nan", "-ERR timeout is not a float or out of range\r\n"),
        ("1x", "-ERR timeout is not a float or out of range\r\n"),
    ] {
        assert_eq!(call(&mut c, &format!("BLPOP k {t}")), e, "timeout {t}");
        assert_eq!(call(&mut c, &format!("BLMOVE k d LEFT LEFT {t}")), e);
    }
    assert_eq!(call(&mut c, "PING"), "+PONG\r\n");
}

#[test]
fn zero_timeout_blocks_until_served() {
    let s = TestServer::start();
    let mut c = s.raw();
    cmd(&mut c, "BLPOP k 0");
    wait_blocked(&s, 1);
    std::thread::sleep(Duration::from_millis(300));
    let mut p = s.raw();
    assert_eq!(call(&mut p, "RPUSH k v"), ":1\r\n");
    assert_eq!(String::from_utf8(c.read_reply()).unwrap(), arr(&["k", "v"]));
}

#[test]
fn wakes_on_any_of_several_keys() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut p = s.raw();
    cmd(&mut c, "BLPOP k1 k2 k3 0");
    wait_blocked(&s, 1);
    assert_eq!(call(&mut p, "RPUSH k3 v"), ":1\r\n");
    assert_eq!(
        String::from_utf8(c.read_reply()).unwrap(),
        arr(&["k3", "v"])
    );
    // Same key twice: served once.
    cmd(&mut c, "BLPOP k k 0");
    wait_blocked(&s, 1);
    assert_eq!(call(&mut p, "RPUSH k a b"), ":2\r\n");
    assert_eq!(String::from_utf8(c.read_reply()).unwrap(), arr(&["k", "a"]));
    assert_eq!(call(&mut p, "LRANGE k 0 -1"), arr(&["b"]));
    // BLMPOP with COUNT, served from the key that got elements.
    cmd(&mut c, "BLMPOP 0 2 m1 m2 RIGHT COUNT 2");
    wait_blocked(&s, 1);
    assert_eq!(call(&mut p, "RPUSH m2 a b c"), ":3\r\n");
    assert_eq!(
        String::from_utf8(c.read_reply()).unwrap(),
        "*2\r\n$2\r\nm2\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n"
    );
    // Variadic push: the waiter gets the head after the whole push.
    cmd(&mut c, "BLPOP v 0");
    wait_blocked(&s, 1);
    assert_eq!(call(&mut p, "LPUSH v foo bar"), ":2\r\n");
    assert_eq!(
        String::from_utf8(c.read_reply()).unwrap(),
        arr(&["v", "bar"])
    );
    assert_eq!(call(&mut p, "LRANGE v 0 -1"), arr(&["foo"]));
}

#[test]
fn push_is_served_before_the_pusher_runs_anything_else() {
    let s = TestServer::start();
    for _ in 0..20 {
        let mut a = s.raw();
        let mut b = s.raw();
        cmd(&mut a, "BLPOP k 0");
        wait_blocked(&s, 1);
        // Pipelined: the waiter must get x, B's LPOP must find nothing.
        b.send(b"*3\r\n$5\r\nLPUSH\r\n$1\r\nk\r\n$1\r\nx\r\n*2\r\n$4\r\nLPOP\r\n$1\r\nk\r\n");
        assert_eq!(String::from_utf8(b.read_reply()).unwrap(), ":1\r\n");
        assert_eq!(String::from_utf8(b.read_reply()).unwrap(), "$-1\r\n");
        assert_eq!(String::from_utf8(a.read_reply()).unwrap(), arr(&["k", "x"]));
    }
}

#[test]
fn key_deleted_or_retyped_while_blocked() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut p = s.raw();
    cmd(&mut c, "BLPOP k 0");
    wait_blocked(&s, 1);
    // A string under the key doesn't serve (nor disturb) the list waiter.
    assert_eq!(call(&mut p, "SET k str"), "+OK\r\n");
    assert_eq!(
        call(&mut p, "LPUSH k a"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(call(&mut p, "DEL k"), ":1\r\n");
    assert_eq!(call(&mut p, "RPUSH k v"), ":1\r\n");
    assert_eq!(String::from_utf8(c.read_reply()).unwrap(), arr(&["k", "v"]));
}

/// A waiter for another type ahead in the queue doesn't hold up the ones behind it
/// (Redis checks each blocked client's type in turn).
#[test]
fn a_waiter_for_another_type_does_not_block_the_queue() {
    let s = TestServer::start();
    let mut z = s.raw();
    let mut l = s.raw();
    let mut p = s.raw();
    cmd(&mut z, "BZPOPMIN k 0");
    wait_blocked(&s, 1);
    cmd(&mut l, "BLPOP k 0");
    wait_blocked(&s, 2);
    assert_eq!(call(&mut p, "LPUSH k x"), ":1\r\n");
    assert_eq!(String::from_utf8(l.read_reply()).unwrap(), arr(&["k", "x"]));
    assert_eq!(call(&mut p, "EXISTS k"), ":0\r\n");
    // The zset waiter is still blocked, and served by a zset under the key.
    assert_eq!(call(&mut p, "ZADD k 1 m"), ":1\r\n");
    assert_eq!(
        String::from_utf8(z.read_reply()).unwrap(),
        "*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n1\r\n"
    );
}

#[test]
fn wrong_type_destination_errors_and_keeps_the_source() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut p = s.raw();
    assert_eq!(call(&mut p, "SET target nolist"), "+OK\r\n");
    cmd(&mut c, "BRPOPLPUSH blist target 0");
    wait_blocked(&s, 1);
    assert_eq!(call(&mut p, "RPUSH blist a b c"), ":3\r\n");
    assert_eq!(
        String::from_utf8(c.read_reply()).unwrap(),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(call(&mut p, "LRANGE blist 0 -1"), arr(&["a", "b", "c"]));
    // Wrong source type: an immediate error, no blocking.
    assert_eq!(
        call(&mut c, "BLPOP target 0"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
}

#[test]
fn blmove_chains_to_a_client_blocked_on_the_destination() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut b = s.raw();
    let mut p = s.raw();
    cmd(&mut a, "BLPOP dst 0");
    wait_blocked(&s, 1);
    cmd(&mut b, "BLMOVE src dst RIGHT LEFT 0");
    wait_blocked(&s, 2);
    assert_eq!(call(&mut p, "RPUSH src v"), ":1\r\n");
    assert_eq!(String::from_utf8(b.read_reply()).unwrap(), "$1\r\nv\r\n");
    assert_eq!(
        String::from_utf8(a.read_reply()).unwrap(),
        arr(&["dst", "v"])
    );
    assert_eq!(call(&mut p, "LLEN src"), ":0\r\n");
    assert_eq!(call(&mut p, "LLEN dst"), ":0\r\n");
}

#[test]
fn circular_and_self_referential_moves() {
    let s = TestServer::start();
    let mut a = s.raw();
    let mut b = s.raw();
    let mut p = s.raw();
    cmd(&mut a, "BRPOPLPUSH blist blist 0");
    wait_blocked(&s, 1);
    assert_eq!(call(&mut p, "RPUSH blist a b c"), ":3\r\n");
    assert_eq!(String::from_utf8(a.read_reply()).unwrap(), "$1\r\nc\r\n");
    assert_eq!(call(&mut p, "LRANGE blist 0 -1"), arr(&["c", "a", "b"]));

    cmd(&mut a, "BRPOPLPUSH l1 l2 0");
    wait_blocked(&s, 1);
    cmd(&mut b, "BRPOPLPUSH l2 l1 0");
    wait_blocked(&s, 2);
    assert_eq!(call(&mut p, "RPUSH l1 foo"), ":1\r\n");
    assert_eq!(String::from_utf8(a.read_reply()).unwrap(), "$3\r\nfoo\r\n");
    assert_eq!(String::from_utf8(b.read_reply()).unwrap(), "$3\r\nfoo\r\n");
    assert_eq!(call(&mut p, "LRANGE l1 0 -1"), arr(&["foo"]));
    assert_eq!(call(&mut p, "LLEN l2"), ":0\r\n");
}

#[test]
fn pipelined_commands_wait_behind_a_blocked_one() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut p = s.raw();
    c.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n");
    wait_blocked(&s, 1);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(call(&mut p, "RPUSH k v"), ":1\r\n");
    assert_eq!(String::from_utf8(c.read_reply()).unwrap(), arr(&["k", "v"]));
    assert_eq!(String::from_utf8(c.read_reply()).unwrap(), "+PONG\r\n");
}

#[test]
fn a_closed_waiter_is_not_served() {
    let s = TestServer::start();
    let mut p = s.raw();
    {
        let mut c = s.raw();
        cmd(&mut c, "BLPOP k 0");
        wait_blocked(&s, 1);
    }
    wait_blocked(&s, 0);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(call(&mut p, "RPUSH k v"), ":1\r\n");
    assert_eq!(call(&mut p, "LRANGE k 0 -1"), arr(&["v"]));
}

#[test]
fn many_clients_moving_tokens_never_lose_one() {
    // Workers BLMOVE tokens around a ring of keys in different shards; every token must
    // survive (and nothing may deadlock).
    let s = TestServer::start_with(&["--shards", "4"]);
    let keys = 8;
    let tokens = 3;
    let mut p = s.raw();
    for t in 0..tokens {
        call(&mut p, &format!("RPUSH q{} t{t}", t % keys));
    }
    let port = s.port;
    let handles: Vec<_> = (0..keys)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = Raw::connect(port);
                for _ in 0..150 {
                    let line = format!("BLMOVE q{} q{} LEFT RIGHT 0.05", i, (i + 1) % keys);
                    let r = call(&mut c, &line);
                    assert!(r.starts_with('$'), "{r}");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut total = 0;
    for i in 0..keys {
        let r = call(&mut p, &format!("LLEN q{i}"));
        total += r[1..r.len() - 2].parse::<usize>().unwrap();
    }
    assert_eq!(total, tokens);
}

#[test]
fn client_unblock_timeout_and_error() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut p = s.raw();
    let id = call(&mut c, "CLIENT ID");
    if !id.starts_with(':') {
        eprintln!("CLIENT is another family's and not here: skipping");
        return;
    }
    let id = id[1..id.len() - 2].to_string();
    cmd(&mut c, "BLPOP k 0");
    wait_blocked(&s, 1);
    assert_eq!(call(&mut p, &format!("CLIENT UNBLOCK {id}")), ":1\r\n");
    assert_eq!(String::from_utf8(c.read_reply()).unwrap(), "*-1\r\n");
    cmd(&mut c, "BLMOVE k d LEFT LEFT 0");
    wait_blocked(&s, 1);
    assert_eq!(
        call(&mut p, &format!("CLIENT UNBLOCK {id} TIMEOUT")),
        ":1\r\n"
    );
    assert_eq!(String::from_utf8(c.read_reply()).unwrap(), "$-1\r\n");
    cmd(&mut c, "BRPOP k 0");
    wait_blocked(&s, 1);
    assert_eq!(
        call(&mut p, &format!("CLIENT UNBLOCK {id} ERROR")),
        ":1\r\n"
    );
    assert_eq!(
        String::from_utf8(c.read_reply()).unwrap(),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    assert_eq!(call(&mut p, &format!("CLIENT UNBLOCK {id}")), ":0\r\n");
    // Still usable, and not served later.
    assert_eq!(call(&mut p, "RPUSH k v"), ":1\r\n");
    assert_eq!(call(&mut c, "LPOP k"), "$1\r\nv\r\n");
}

#[test]
fn blocking_inside_multi_does_not_block() {
    let s = TestServer::start();
    let mut c = s.raw();
    if call(&mut c, "MULTI") != "+OK\r\n" {
        eprintln!("MULTI is another family's and not here: skipping");
        return;
    }
    assert_eq!(call(&mut c, "BLPOP k 0"), "+QUEUED\r\n");
    assert_eq!(call(&mut c, "BLMOVE k d LEFT LEFT 0"), "+QUEUED\r\n");
    assert_eq!(call(&mut c, "BLMPOP 0 1 k LEFT"), "+QUEUED\r\n");
    assert_eq!(call(&mut c, "EXEC"), "*3\r\n*-1\r\n$-1\r\n*-1\r\n");
    // A push and a delete in one transaction don't wake a waiter.
    let mut w = s.raw();
    cmd(&mut w, "BLPOP list 0");
    wait_blocked(&s, 1);
    for l in ["MULTI", "LPUSH list a", "DEL list", "EXEC"] {
        call(&mut c, l);
    }
    assert_eq!(call(&mut c, "LPUSH list b"), ":1\r\n");
    assert_eq!(
        String::from_utf8(w.read_reply()).unwrap(),
        arr(&["list", "b"])
    );
}
