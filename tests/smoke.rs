//! The server starts, answers, and survives bad input.

mod common;
use common::*;
use redis::Value;

#[test]
fn ping_set_get() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(q(&mut c, &["PING"]), Value::SimpleString("PONG".into()));
    assert_eq!(q(&mut c, &["SET", "k", "v"]), Value::Okay);
    assert_eq!(q(&mut c, &["GET", "k"]), Value::BulkString(b"v".to_vec()));
    assert_eq!(
        err_text(&q(&mut c, &["NOSUCHCMD", "a"])),
        "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' "
    );
}

#[test]
fn protocol_error_closes_only_that_client() {
    let s = TestServer::start();
    let mut bad = s.raw();
    bad.send(b"*1\r\n+foo\r\n");
    assert_eq!(
        bad.read_reply(),
        b"-ERR Protocol error: expected '$', got '+'\r\n"
    );
    assert!(bad.closed());
    let mut c = s.conn();
    assert_eq!(q(&mut c, &["PING"]), Value::SimpleString("PONG".into()));
}
