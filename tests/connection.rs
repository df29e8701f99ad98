//! Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET, CLIENT.

mod common;
use common::*;
use redis::Value;
use std::time::Duration;

#[test]
fn ping_echo_select_quit() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(q(&mut c, &["PING"]), s("PONG"));
    assert_eq!(q(&mut c, &["PING", "hi"]), b("hi"));
    assert_eq!(
        err_text(&q(&mut c, &["PING", "a", "b"])),
        "ERR wrong number of arguments for 'ping' command"
    );
    assert_eq!(q(&mut c, &["ECHO", "x y"]), b("x y"));
    assert_eq!(
        err_text(&q(&mut c, &["ECHO"])),
        "ERR wrong number of arguments for 'echo' command"
    );
    assert_eq!(q(&mut c, &["SELECT", "1"]), Value::Okay);
    assert_eq!(
        err_text(&q(&mut c, &["SELECT", "16"])),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SELECT", "x"])),
        "ERR value is not an integer or out of range"
    );
    let mut r = srv.raw();
    r.send(b"QUIT\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert!(r.closed());
}

#[test]
fn hello() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    r.cmd(&[b"HELLO", b"3"]);
    let reply = String::from_utf8(r.read_reply()).unwrap();
    assert!(reply.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n7.2.4\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:"), "{reply}");
    assert!(reply.ends_with("$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"), "{reply}");
    // Now RESP3: a map reply stays a map, nulls are `_`.
    r.cmd(&[b"CLIENT", b"GETNAME"]);
    assert_eq!(r.read_reply(), b"_\r\n");
    r.cmd(&[b"HELLO", b"2", b"SETNAME", b"myname"]);
    let reply = String::from_utf8(r.read_reply()).unwrap();
    assert!(reply.starts_with("*14\r\n"), "{reply}");
    assert!(reply.contains("$5\r\nproto\r\n:2\r\n"));
    r.cmd(&[b"CLIENT", b"GETNAME"]);
    assert_eq!(r.read_reply(), b"$6\r\nmyname\r\n");
    // HELLO without a version keeps the protocol.
    r.cmd(&[b"HELLO"]);
    let reply = String::from_utf8(r.read_reply()).unwrap();
    assert!(reply.contains("$5\r\nproto\r\n:2\r\n"));

    let mut c = srv.conn();
    assert_eq!(
        err_text(&q(&mut c, &["HELLO", "4"])),
        "NOPROTO unsupported protocol version"
    );
    assert_eq!(
        err_text(&q(&mut c, &["HELLO", "1"])),
        "NOPROTO unsupported protocol version"
    );
    assert_eq!(
        err_text(&q(&mut c, &["HELLO", "x"])),
        "ERR Protocol version is not an integer or out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["HELLO", "3", "FOO"])),
        "ERR Syntax error in HELLO option 'FOO'"
    );
    assert_eq!(
        err_text(&q(&mut c, &["HELLO", "3", "AUTH", "default"])),
        "ERR Syntax error in HELLO option 'AUTH'"
    );
    assert_eq!(
        err_text(&q(&mut c, &["HELLO", "3", "SETNAME", "a b"])),
        "ERR Client names cannot contain spaces, newlines or special characters."
    );
    // Without requirepass the default user takes any password.
    assert!(matches!(
        q(&mut c, &["HELLO", "2", "AUTH", "default", "whatever"]),
        Value::Array(_)
    ));
    assert_eq!(
        err_text(&q(&mut c, &["HELLO", "2", "AUTH", "bob", "x"])),
        "WRONGPASS invalid username-password pair or user is disabled."
    );
}

#[test]
fn auth_and_noauth() {
    let srv = TestServer::start_with(&["--requirepass", "secret"]);
    let mut r = srv.raw();
    r.cmd(&[b"GET", b"k"]);
    assert_eq!(r.read_reply(), b"-NOAUTH Authentication required.\r\n");
    r.cmd(&[b"HELLO", b"3"]);
    assert_eq!(r.read_reply(), b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n");
    r.cmd(&[b"AUTH", b"wrong"]);
    assert_eq!(
        r.read_reply(),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    r.cmd(&[b"AUTH", b"nobody", b"secret"]);
    assert_eq!(
        r.read_reply(),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    r.cmd(&[b"AUTH", b"a", b"b", b"c"]);
    assert_eq!(r.read_reply(), b"-ERR syntax error\r\n");
    r.cmd(&[b"AUTH", b"secret"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    r.cmd(&[b"PING"]);
    assert_eq!(r.read_reply(), b"+PONG\r\n");
    // RESET deauthenticates.
    r.cmd(&[b"RESET"]);
    assert_eq!(r.read_reply(), b"+RESET\r\n");
    r.cmd(&[b"PING"]);
    assert_eq!(r.read_reply(), b"-NOAUTH Authentication required.\r\n");
    // HELLO with AUTH authenticates and switches protocol at once.
    r.cmd(&[b"HELLO", b"3", b"AUTH", b"default", b"secret"]);
    assert!(r.read_reply().starts_with(b"%7\r\n"));
    r.cmd(&[b"AUTH", b"default", b"secret"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");

    let plain = TestServer::start();
    let mut c = plain.conn();
    assert_eq!(
        err_text(&q(&mut c, &["AUTH", "x"])),
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
    );
    assert_eq!(q(&mut c, &["AUTH", "default", "x"]), Value::Okay);
    // CONFIG SET requirepass applies to new connections.
    assert_eq!(
        q(&mut c, &["CONFIG", "SET", "requirepass", "pw"]),
        Value::Okay
    );
    let mut r2 = plain.raw();
    r2.cmd(&[b"PING"]);
    assert_eq!(r2.read_reply(), b"-NOAUTH Authentication required.\r\n");
}

#[test]
fn reset_restores_defaults() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    r.cmd(&[b"HELLO", b"3"]);
    r.read_reply();
    r.cmd(&[b"SELECT", b"3"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    r.cmd(&[b"CLIENT", b"SETNAME", b"n1"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    r.cmd(&[b"CLIENT", b"NO-EVICT", b"ON"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    r.cmd(&[b"CLIENT", b"NO-TOUCH", b"ON"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    r.cmd(&[b"CLIENT", b"INFO"]);
    let info = String::from_utf8(r.read_reply()).unwrap();
    assert!(info.starts_with("="), "RESP3 verbatim: {info}");
    assert!(
        info.contains(" name=n1 ") && info.contains(" db=3 ") && info.contains("flags=eT"),
        "{info}"
    );
    r.cmd(&[b"RESET"]);
    assert_eq!(r.read_reply(), b"+RESET\r\n");
    r.cmd(&[b"CLIENT", b"INFO"]);
    let info = String::from_utf8(r.read_reply()).unwrap();
    assert!(info.starts_with("$"), "back to RESP2: {info}");
    assert!(
        info.contains(" name= ")
            && info.contains(" db=0 ")
            && info.contains(" flags=N ")
            && info.contains(" resp=2 "),
        "{info}"
    );
    // MULTI is discarded and WATCHes forgotten.
    r.cmd(&[b"WATCH", b"wk"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    r.cmd(&[b"MULTI"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    r.cmd(&[b"SET", b"wk", b"1"]);
    assert_eq!(r.read_reply(), b"+QUEUED\r\n");
    r.cmd(&[b"RESET"]);
    assert_eq!(r.read_reply(), b"+RESET\r\n");
    r.cmd(&[b"EXEC"]);
    assert_eq!(r.read_reply(), b"-ERR EXEC without MULTI\r\n");
    r.cmd(&[b"GET", b"wk"]);
    assert_eq!(r.read_reply(), b"$-1\r\n");
    // Reply mode is reset too.
    r.cmd(&[b"CLIENT", b"REPLY", b"OFF"]);
    r.cmd(&[b"RESET"]);
    assert_eq!(r.read_reply(), b"+RESET\r\n");
}

#[test]
fn client_id_name_info_list() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    let id = match q(&mut c, &["CLIENT", "ID"]) {
        Value::Int(i) => i,
        v => panic!("{v:?}"),
    };
    assert_eq!(q(&mut c, &["CLIENT", "GETNAME"]), Value::Nil);
    assert_eq!(q(&mut c, &["CLIENT", "SETNAME", "worker-1"]), Value::Okay);
    assert_eq!(q(&mut c, &["CLIENT", "GETNAME"]), b("worker-1"));
    for bad in ["a b", "a\nb", "caf\u{e9}"] {
        assert_eq!(
            err_text(&q(&mut c, &["CLIENT", "SETNAME", bad])),
            "ERR Client names cannot contain spaces, newlines or special characters."
        );
    }
    assert_eq!(q(&mut c, &["CLIENT", "SETNAME", ""]), Value::Okay);
    assert_eq!(q(&mut c, &["CLIENT", "GETNAME"]), Value::Nil);
    assert_eq!(q(&mut c, &["CLIENT", "SETNAME", "w"]), Value::Okay);

    let info = text(&q(&mut c, &["CLIENT", "INFO"]));
    assert!(
        info.starts_with(&format!("id={id} addr=127.0.0.1:")),
        "{info}"
    );
    assert!(info.ends_with('\n'));
    for field in [
        " laddr=",
        " fd=",
        " name=w ",
        " age=",
        " idle=",
        " flags=N ",
        " db=0 ",
        " sub=0 ",
        " psub=0 ",
        " ssub=0 ",
        " multi=-1 ",
        " qbuf=",
        " omem=",
        " tot-mem=",
        " cmd=client|info",
        " user=default ",
        " resp=2",
        " lib-name=",
        " lib-ver=",
    ] {
        assert!(
            info.contains(field.trim_end_matches("|info")),
            "{field} in {info}"
        );
    }

    let mut other = srv.conn();
    let other_id = match q(&mut other, &["CLIENT", "ID"]) {
        Value::Int(i) => i,
        v => panic!("{v:?}"),
    };
    let list = text(&q(&mut c, &["CLIENT", "LIST"]));
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(list.contains(" cmd=client|list "), "{list}");
    assert!(list.contains(" cmd=client|id "), "{list}");
    let list = text(&q(&mut c, &["CLIENT", "LIST", "ID", &other_id.to_string()]));
    assert_eq!(list.lines().count(), 1);
    assert!(list.starts_with(&format!("id={other_id} ")));
    let list = text(&q(&mut c, &["CLIENT", "LIST", "ID", "999999"]));
    assert_eq!(list, "");
    let list = text(&q(&mut c, &["CLIENT", "LIST", "TYPE", "normal"]));
    assert_eq!(list.lines().count(), 2);
    let list = text(&q(&mut c, &["CLIENT", "LIST", "TYPE", "pubsub"]));
    assert_eq!(list, "");
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "LIST", "TYPE", "bogus"])),
        "ERR Unknown client type 'bogus'"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "LIST", "ID", "x"])),
        "ERR Invalid client ID"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "LIST", "FOO"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "NOSUCH"])),
        "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT"])),
        "ERR wrong number of arguments for 'client' command"
    );
    match q(&mut c, &["CLIENT", "HELP"]) {
        Value::Array(lines) => {
            assert_eq!(
                lines[0],
                s("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
            );
            assert!(lines.contains(&s("KILL <ip:port>")));
            assert_eq!(lines.last(), Some(&s("    Prints this help.")));
        }
        v => panic!("{v:?}"),
    }
}

#[test]
fn client_setinfo() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(
        q(&mut c, &["CLIENT", "SETINFO", "LIB-NAME", "redis-py"]),
        Value::Okay
    );
    assert_eq!(
        q(&mut c, &["CLIENT", "SETINFO", "lib-ver", "5.0.1"]),
        Value::Okay
    );
    let info = text(&q(&mut c, &["CLIENT", "INFO"]));
    assert!(info.contains(" lib-name=redis-py lib-ver=5.0.1"), "{info}");
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "SETINFO", "lib-name", "a b"])),
        "ERR lib-name cannot contain spaces, newlines or special characters."
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "SETINFO", "LIB-VER", "1\n"])),
        "ERR LIB-VER cannot contain spaces, newlines or special characters."
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "SETINFO", "foo", "x"])),
        "ERR Unrecognized option 'foo'"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "SETINFO", "lib-name"])),
        "ERR wrong number of arguments for 'client|setinfo' command"
    );
}

#[test]
fn client_kill() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    let mut victim = srv.raw();
    victim.cmd(&[b"CLIENT", b"ID"]);
    let id_line = String::from_utf8(victim.read_reply()).unwrap();
    let vid = id_line.trim()[1..].to_string();
    victim.cmd(&[b"CLIENT", b"INFO"]);
    let info = String::from_utf8(victim.read_reply()).unwrap();
    let addr = info
        .split_whitespace()
        .find_map(|f| f.strip_prefix("addr="))
        .unwrap()
        .to_string();
    // Old form.
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "KILL", "1.2.3.4:5"])),
        "ERR No such client"
    );
    assert_eq!(q(&mut c, &["CLIENT", "KILL", &addr]), Value::Okay);
    assert!(victim.closed());

    // New form: ID, ADDR, LADDR, TYPE, USER, SKIPME, MAXAGE.
    let mut v2 = srv.raw();
    v2.cmd(&[b"CLIENT", b"ID"]);
    let v2id = String::from_utf8(v2.read_reply()).unwrap().trim()[1..].to_string();
    assert_eq!(q(&mut c, &["CLIENT", "KILL", "ID", &vid]), Value::Int(0));
    assert_eq!(q(&mut c, &["CLIENT", "KILL", "ID", &v2id]), Value::Int(1));
    assert!(v2.closed());
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "KILL", "ID", "x"])),
        "ERR client-id should be greater than 0"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "KILL", "TYPE", "x"])),
        "ERR Unknown client type 'x'"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "KILL", "FOO", "x"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "KILL", "ID", "1", "SKIPME"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "KILL", "SKIPME", "maybe"])),
        "ERR syntax error"
    );
    // SKIPME yes (default): killing all normal clients spares the caller.
    let mut v3 = srv.raw();
    v3.cmd(&[b"PING"]);
    v3.read_reply();
    assert_eq!(
        q(&mut c, &["CLIENT", "KILL", "TYPE", "normal"]),
        Value::Int(1)
    );
    assert!(v3.closed());
    assert_eq!(q(&mut c, &["PING"]), s("PONG"));
    // MAXAGE: nobody is a day old.
    assert_eq!(
        q(&mut c, &["CLIENT", "KILL", "MAXAGE", "86400"]),
        Value::Int(0)
    );
    assert_eq!(
        q(
            &mut c,
            &["CLIENT", "KILL", "USER", "default", "LADDR", "1.1.1.1:1"]
        ),
        Value::Int(0)
    );
    // SKIPME no kills the caller after its reply.
    let mut me = srv.raw();
    me.cmd(&[b"CLIENT", b"KILL", b"TYPE", b"normal", b"SKIPME", b"no"]);
    assert_eq!(me.read_reply(), b":2\r\n");
    assert!(me.closed());
}

#[test]
fn client_reply_modes() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    r.cmd(&[b"CLIENT", b"REPLY", b"OFF"]);
    r.cmd(&[b"SET", b"k", b"1"]);
    r.cmd(&[b"CLIENT", b"REPLY", b"ON"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    r.cmd(&[b"CLIENT", b"REPLY", b"SKIP"]);
    r.cmd(&[b"SET", b"k", b"2"]);
    r.cmd(&[b"GET", b"k"]);
    assert_eq!(r.read_reply(), b"$1\r\n2\r\n");
    r.cmd(&[b"CLIENT", b"REPLY", b"MAYBE"]);
    assert_eq!(r.read_reply(), b"-ERR syntax error\r\n");
}

#[test]
fn client_no_evict_no_touch_errors() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(q(&mut c, &["CLIENT", "NO-EVICT", "on"]), Value::Okay);
    assert_eq!(q(&mut c, &["CLIENT", "NO-EVICT", "off"]), Value::Okay);
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "NO-EVICT", "x"])),
        "ERR syntax error"
    );
    assert_eq!(q(&mut c, &["CLIENT", "NO-TOUCH", "ON"]), Value::Okay);
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "NO-TOUCH", "x"])),
        "ERR syntax error"
    );
}

#[test]
fn client_pause_unpause() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "PAUSE", "x"])),
        "ERR timeout is not an integer or out of range"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "PAUSE", "-1"])),
        "ERR timeout is negative"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "PAUSE", "10", "SOME"])),
        "ERR CLIENT PAUSE mode must be WRITE or ALL"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "PAUSE", "10", "WRITE", "x"])),
        "ERR syntax error"
    );
    // WRITE pause: reads go through, writes wait until UNPAUSE.
    assert_eq!(
        q(&mut c, &["CLIENT", "PAUSE", "100000", "WRITE"]),
        Value::Okay
    );
    let mut w = srv.raw();
    w.cmd(&[b"GET", b"k"]);
    assert_eq!(w.read_reply(), b"$-1\r\n");
    w.cmd(&[b"SET", b"k", b"v"]);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(q(&mut c, &["CLIENT", "UNPAUSE"]), Value::Okay);
    assert_eq!(w.read_reply(), b"+OK\r\n");
    // ALL pause also holds reads.
    assert_eq!(
        q(&mut c, &["CLIENT", "PAUSE", "100000", "ALL"]),
        Value::Okay
    );
    w.cmd(&[b"GET", b"k"]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(q(&mut c, &["CLIENT", "UNPAUSE"]), Value::Okay);
    assert_eq!(w.read_reply(), b"$1\r\nv\r\n");
}

#[test]
fn client_unblock() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(q(&mut c, &["CLIENT", "UNBLOCK", "99999"]), Value::Int(0));
    let my_id = match q(&mut c, &["CLIENT", "ID"]) {
        Value::Int(i) => i.to_string(),
        v => panic!("{v:?}"),
    };
    assert_eq!(q(&mut c, &["CLIENT", "UNBLOCK", &my_id]), Value::Int(0));
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "UNBLOCK", &my_id, "FOO"])),
        "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CLIENT", "UNBLOCK", "abc"])),
        "ERR value is not an integer or out of range"
    );
    // With a blocking command (only if the list family is present in this build).
    let mut probe = srv.conn();
    if matches!(
        q(&mut probe, &["BLPOP", "nokey", "0.01"]),
        Value::ServerError(_)
    ) {
        return;
    }
    let mut blocked = srv.raw();
    blocked.cmd(&[b"CLIENT", b"ID"]);
    let bid = String::from_utf8(blocked.read_reply()).unwrap().trim()[1..].to_string();
    blocked.cmd(&[b"BLPOP", b"nokey", b"0"]);
    wait_blocked(&mut c, 1);
    assert_eq!(q(&mut c, &["CLIENT", "UNBLOCK", &bid]), Value::Int(1));
    assert_eq!(blocked.read_reply(), b"*-1\r\n");
    blocked.cmd(&[b"BLPOP", b"nokey", b"0"]);
    wait_blocked(&mut c, 1);
    assert_eq!(
        q(&mut c, &["CLIENT", "UNBLOCK", &bid, "ERROR"]),
        Value::Int(1)
    );
    assert_eq!(
        blocked.read_reply(),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
}

fn wait_blocked(c: &mut redis::Connection, n: usize) {
    for _ in 0..500 {
        let info = text(&q(c, &["INFO", "clients"]));
        if info.contains(&format!("blocked_clients:{n}\r\n")) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("client did not block");
}
