//! Connections moving between worker threads (server/workers.rs): a connection that
//! moves keeps everything: its database, transaction, subscriptions, and the bytes of a
//! request it had only partly received.

mod common;
use common::*;

fn worker(r: &mut Raw) -> i64 {
    r.cmd(&[b"DEBUG", b"WORKER"]);
    let rep = String::from_utf8(r.read_reply()).unwrap();
    rep.trim_start_matches(':').trim_end().parse().unwrap()
}

#[test]
fn a_moved_connection_keeps_its_state_and_partial_request() {
    let s = TestServer::start_with(&["--io-threads", "2", "--enable-debug-command", "yes"]);
    let mut r = s.raw();
    let from = worker(&mut r);
    let to = 1 - from;
    r.cmd(&[b"SELECT", b"3"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    r.cmd(&[b"MULTI"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    r.cmd(&[b"SET", b"k", b"v"]);
    assert_eq!(r.read_reply(), b"+QUEUED\r\n");
    // The move request and the first half of the next command arrive together: the
    // half travels with the connection.
    r.send(format!("*3\r\n$5\r\nDEBUG\r\n$6\r\nWORKER\r\n$1\r\n{to}\r\n*1\r\n$4\r\nEX").as_bytes());
    assert_eq!(r.read_reply(), b"+QUEUED\r\n");
    r.send(b"EC\r\n");
    assert_eq!(r.read_reply(), b"*2\r\n+OK\r\n+OK\r\n");
    assert_eq!(worker(&mut r), to);
    r.cmd(&[b"GET", b"k"]);
    assert_eq!(r.read_reply(), b"$1\r\nv\r\n");
    // And back, as a subscriber: messages still arrive after the move.
    r.cmd(&[b"DEBUG", b"WORKER", from.to_string().as_bytes()]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    r.cmd(&[b"SUBSCRIBE", b"ch"]);
    assert_eq!(
        r.read_reply(),
        b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    let mut p = s.raw();
    p.cmd(&[b"PUBLISH", b"ch", b"hi"]);
    assert_eq!(p.read_reply(), b":1\r\n");
    assert_eq!(
        r.read_reply(),
        b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
    );
    r.cmd(&[b"PING"]);
    assert_eq!(r.read_reply(), b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    let mut c = s.raw();
    c.cmd(&[b"DEBUG", b"WORKER", b"2"]);
    assert_eq!(c.read_reply(), b"-ERR no such worker\r\n");
}
