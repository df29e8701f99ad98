//! Protocol hardening: pipelining, inline commands, RESP3, limits, malformed input, and a
//! randomized no-panic test of the request parser.
#![allow(clippy::approx_constant)] // DEBUG PROTOCOL double replies 3.141, as Redis does.

mod common;
use common::*;
use redis::Value;
use std::io::{Read, Write};
use std::time::Duration;

/// Other clients are still served (the server didn't panic or wedge).
fn assert_alive(srv: &mut TestServer) {
    assert!(srv.alive(), "server process died");
    let mut r = srv.raw();
    r.send(b"PING\r\n");
    assert_eq!(r.read_reply(), b"+PONG\r\n");
}

#[test]
fn pipeline_10000_commands_in_one_write() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let mut out = Vec::new();
    for i in 0..10_000 {
        let v = i.to_string();
        out.extend_from_slice(
            format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n{}\r\n", v.len(), v).as_bytes(),
        );
    }
    out.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    // Write from another thread: the server answers while we are still sending.
    let mut w = r.stream.get_ref().try_clone().unwrap();
    let t = std::thread::spawn(move || w.write_all(&out).unwrap());
    for _ in 0..10_000 {
        assert_eq!(r.read_reply(), b"+OK\r\n");
    }
    assert_eq!(r.read_reply(), b"$4\r\n9999\r\n");
    t.join().unwrap();
}

#[test]
fn inline_commands() {
    let mut srv = TestServer::start();
    let mut r = srv.raw();
    r.send(b"SET \"a b\" 'c d'\r\nGET \"a b\"\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_eq!(r.read_reply(), b"$3\r\nc d\r\n");
    // Escapes in double quotes; LF-only line ends; blank lines are skipped.
    r.send(b"SET k \"x\\x41\\n\"\n\r\n\nGET k\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_eq!(r.read_reply(), b"$3\r\nxA\n\r\n");
    r.send(b"\"foo\\x41\" bar\r\n");
    assert_eq!(
        r.read_reply(),
        b"-ERR unknown command 'fooA', with args beginning with: 'bar' \r\n"
    );
    // A NUL ends an inline line, as in Redis (the rest is ignored).
    r.send(b"SET nul v\0 ignored\r\nGET nul\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_eq!(r.read_reply(), b"$1\r\nv\r\n");
    r.send(b"PING \0\0\0\r\n");
    assert_eq!(r.read_reply(), b"+PONG\r\n");
    r.send(b"SET \"a\r\n");
    assert_eq!(
        r.read_reply(),
        b"-ERR Protocol error: unbalanced quotes in request\r\n"
    );
    assert!(r.closed());
    assert_alive(&mut srv);
}

#[test]
fn resp3_types_via_debug_protocol() {
    let srv = TestServer::start_with(&["--enable-debug-command", "yes"]);
    let mut r = srv.raw();
    let cases3: &[(&str, &[u8])] = &[
        ("string", b"$11\r\nHello World\r\n"),
        ("integer", b":12345\r\n"),
        ("double", b",3.141\r\n"),
        ("bignum", b"(1234567999999999999999999999999999999\r\n"),
        ("null", b"_\r\n"),
        ("array", b"*3\r\n:0\r\n:1\r\n:2\r\n"),
        ("set", b"~3\r\n:0\r\n:1\r\n:2\r\n"),
        ("map", b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"),
        ("verbatim", b"=29\r\ntxt:This is a verbatim\nstring\r\n"),
        ("true", b"#t\r\n"),
        ("false", b"#f\r\n"),
    ];
    let cases2: &[(&str, &[u8])] = &[
        ("string", b"$11\r\nHello World\r\n"),
        ("integer", b":12345\r\n"),
        ("double", b"$5\r\n3.141\r\n"),
        (
            "bignum",
            b"$37\r\n1234567999999999999999999999999999999\r\n",
        ),
        ("null", b"$-1\r\n"),
        ("array", b"*3\r\n:0\r\n:1\r\n:2\r\n"),
        ("set", b"*3\r\n:0\r\n:1\r\n:2\r\n"),
        ("map", b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n"),
        (
            "attrib",
            b"$39\r\nSome real reply following the attribute\r\n",
        ),
        ("push", b"-ERR RESP2 is not supported by this command\r\n"),
        ("verbatim", b"$25\r\nThis is a verbatim\nstring\r\n"),
        ("true", b":1\r\n"),
        ("false", b":0\r\n"),
    ];
    for (t, want) in cases2 {
        r.cmd(&[b"DEBUG", b"PROTOCOL", t.as_bytes()]);
        assert_eq!(r.read_reply(), *want, "RESP2 {t}");
    }
    r.cmd(&[b"HELLO", b"3"]);
    r.read_reply();
    for (t, want) in cases3 {
        r.cmd(&[b"DEBUG", b"PROTOCOL", t.as_bytes()]);
        assert_eq!(r.read_reply(), *want, "RESP3 {t}");
    }
    // Attribute and push replies are followed by the real reply: compare the raw bytes.
    r.cmd(&[b"DEBUG", b"PROTOCOL", b"attrib"]);
    r.cmd(&[b"PING"]);
    let want: &[u8] = b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n+PONG\r\n";
    let mut got = vec![0u8; want.len()];
    r.stream.read_exact(&mut got).unwrap();
    assert_eq!(got, want);
    r.cmd(&[b"DEBUG", b"PROTOCOL", b"push"]);
    r.cmd(&[b"PING"]);
    let want: &[u8] = b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n+PONG\r\n";
    let mut got = vec![0u8; want.len()];
    r.stream.read_exact(&mut got).unwrap();
    assert_eq!(got, want);
    // The redis crate understands all of it over RESP3.
    let mut c = srv.conn3();
    assert_eq!(
        q(&mut c, &["DEBUG", "PROTOCOL", "double"]),
        Value::Double(3.141)
    );
    assert_eq!(
        q(&mut c, &["DEBUG", "PROTOCOL", "true"]),
        Value::Boolean(true)
    );
    assert!(matches!(
        q(&mut c, &["DEBUG", "PROTOCOL", "map"]),
        Value::Map(_)
    ));
    assert!(matches!(
        q(&mut c, &["DEBUG", "PROTOCOL", "set"]),
        Value::Set(_)
    ));
}

#[test]
fn malformed_requests() {
    let mut srv = TestServer::start();
    let cases: &[(&[u8], &[u8])] = &[
        (
            b"*abc\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*3000000000\r\n",
            b"-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1\r\n$abc\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$-5\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*2\r\n$3\r\nGET\r\n:1\r\n",
            b"-ERR Protocol error: expected '$', got ':'\r\n",
        ),
    ];
    for (input, want) in cases {
        let mut r = srv.raw();
        r.send(input);
        assert_eq!(
            r.read_reply(),
            *want,
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert!(r.closed());
        assert_alive(&mut srv);
    }
    // A negative multibulk count is an empty request, as in Redis.
    let mut r = srv.raw();
    r.send(b"*-5\r\nPING\r\n");
    assert_eq!(r.read_reply(), b"+PONG\r\n");
    // Too long inline request / header without CRLF.
    for prefix in [&b""[..], b"*", b"*1\r\n$"] {
        let mut r = srv.raw();
        let mut big = prefix.to_vec();
        big.extend(std::iter::repeat_n(b'1', 70 * 1024));
        let _ = r.stream.get_mut().write_all(&big);
        let reply = r.read_reply();
        assert!(
            reply.starts_with(b"-ERR Protocol error: too big"),
            "{:?}",
            String::from_utf8_lossy(&reply)
        );
        assert_alive(&mut srv);
    }
}

#[test]
fn unauthenticated_limits() {
    let mut srv = TestServer::start_with(&["--requirepass", "pw"]);
    let cases: &[(&[u8], &[u8])] = &[
        (
            b"*11\r\n",
            b"-ERR Protocol error: unauthenticated multibulk length\r\n",
        ),
        (
            b"*2\r\n$16385\r\n",
            b"-ERR Protocol error: unauthenticated bulk length\r\n",
        ),
    ];
    for (input, want) in cases {
        let mut r = srv.raw();
        r.send(input);
        assert_eq!(r.read_reply(), *want);
        assert!(r.closed());
    }
    // Within the limits, and after AUTH, requests are served normally.
    let mut r = srv.raw();
    let big = vec![b'x'; 16384];
    r.cmd(&[b"AUTH", &big]);
    assert_eq!(
        r.read_reply(),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    r.cmd(&[b"AUTH", b"pw"]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    let args: Vec<&[u8]> = std::iter::once(&b"DEL"[..])
        .chain(std::iter::repeat_n(&b"k"[..], 20))
        .collect();
    r.cmd(&args);
    assert_eq!(r.read_reply(), b":0\r\n");
    let v = vec![b'v'; 100_000];
    r.cmd(&[b"SET", b"k", &v]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert!(srv.alive());
}

#[test]
fn proto_max_bulk_len() {
    let mut srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(
        q(&mut c, &["CONFIG", "SET", "proto-max-bulk-len", "1mb"]),
        Value::Okay
    );
    let mut r = srv.raw();
    r.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n");
    assert_eq!(
        r.read_reply(),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(r.closed());
    // At the limit is fine.
    let mut r = srv.raw();
    let v = vec![b'x'; 1024 * 1024];
    r.cmd(&[b"SET", b"k", &v]);
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_alive(&mut srv);
}

#[test]
fn client_query_buffer_limit() {
    let mut srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(
        q(
            &mut c,
            &["CONFIG", "SET", "client-query-buffer-limit", "1mb"]
        ),
        Value::Okay
    );
    // An argument bigger than the query buffer limit: the client is disconnected
    // without a reply, as Redis does.
    let mut r = srv.raw();
    r.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n");
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..40 {
        if r.stream.get_mut().write_all(&chunk).is_err() {
            break;
        }
    }
    assert!(r.closed());
    let info = match q(&mut c, &["INFO", "stats"]) {
        Value::BulkString(b) => String::from_utf8(b).unwrap(),
        v => panic!("{v:?}"),
    };
    assert!(
        info.contains("client_query_buffer_limit_disconnections:1\r\n"),
        "{info}"
    );
    assert_alive(&mut srv);
}

#[test]
fn query_buffer_limit_counts_parsed_arguments() {
    let mut srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(
        q(
            &mut c,
            &["CONFIG", "SET", "client-query-buffer-limit", "1mb"]
        ),
        Value::Okay
    );
    // Many arguments, each small, in a request that never completes: the memory they
    // hold counts against the limit.
    let mut r = srv.raw();
    r.send(b"*1000\r\n$3\r\nDEL\r\n");
    let arg = format!("$65536\r\n{}\r\n", "k".repeat(65536));
    for _ in 0..40 {
        if r.stream.get_mut().write_all(arg.as_bytes()).is_err() {
            break;
        }
    }
    assert!(r.closed());
    let info = match q(&mut c, &["INFO", "stats"]) {
        Value::BulkString(b) => String::from_utf8(b).unwrap(),
        v => panic!("{v:?}"),
    };
    assert!(
        info.contains("client_query_buffer_limit_disconnections:1\r\n"),
        "{info}"
    );
    assert_alive(&mut srv);
    // A complete request under the limit is served.
    let mut r = srv.raw();
    let k = vec![b'k'; 65536];
    let mut args: Vec<&[u8]> = vec![b"DEL"];
    args.extend(std::iter::repeat_n(&k[..], 10));
    r.cmd(&args);
    assert_eq!(r.read_reply(), b":0\r\n");
}

#[test]
fn huge_bulk_declared_but_not_sent() {
    let mut srv = TestServer::start();
    let mut r = srv.raw();
    r.send(b"*2\r\n$3\r\nGET\r\n$400000000\r\nabc");
    // The server waits for the rest; meanwhile everyone else is served.
    std::thread::sleep(Duration::from_millis(100));
    assert_alive(&mut srv);
    let mut c = srv.conn();
    assert_eq!(q(&mut c, &["SET", "x", "1"]), Value::Okay);
    drop(r);
    std::thread::sleep(Duration::from_millis(100));
    assert_alive(&mut srv);
}

#[test]
fn random_garbage_never_kills_the_server() {
    let mut srv = TestServer::start();
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let seeds: &[&[u8]] = &[
        b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
        b"PING\r\n",
        b"SET \"a\\x00b\" 'c'\r\n",
        b"*1\r\n$4\r\nPING\r\n",
        b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n",
        b"*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$1\r\nx\r\n",
    ];
    for round in 0..200 {
        let mut input = Vec::new();
        for _ in 0..1 + rng.below_usize(4) {
            input.extend_from_slice(seeds[rng.below_usize(seeds.len())]);
        }
        for _ in 0..rng.below_usize(6) {
            if input.is_empty() {
                break;
            }
            let pos = rng.below_usize(input.len());
            match rng.below_usize(4) {
                0 => input[pos] = rng.next() as u8,
                1 => {
                    input.insert(pos, b"\r\n*$-0123456789\"'\\ "[rng.below_usize(19)]);
                }
                2 => {
                    input.remove(pos);
                }
                _ => input.truncate(pos),
            }
        }
        let mut s = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let _ = s.write_all(&input);
        let mut sink = [0u8; 4096];
        let _ = s.read(&mut sink);
        drop(s);
        if round % 20 == 0 {
            assert_alive(&mut srv);
        }
    }
    assert_alive(&mut srv);
}

/// Feeds a few hundred thousand random and mutated inputs to the request parser, split
/// into random chunks, checking it never panics and that its results are sane: every
/// parsed request's arguments are views of bytes that were sent, the buffer only shrinks
/// by what was consumed, and an error is final (the connection would close).
#[test]
fn parser_randomized_no_panic() {
    use bytes::BytesMut;
    use tessera::resp::{Limits, RequestParser};
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    let seeds: &[&[u8]] = &[
        b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
        b"PING\r\n",
        b"SET \"a b\" 'c d'\r\n",
        b"SET \"\\x41\\n\" x\n",
        b"*0\r\n",
        b"*-1\r\n",
        b"*1\r\n$0\r\n\r\n",
        b"\r\n",
    ];
    let limits_for = |unauthenticated| Limits {
        max_bulk_len: 1 << 20,
        max_multibulk_len: 1 << 20,
        unauthenticated,
    };
    let mut parsed = 0u64;
    let mut errors = 0u64;
    for iter in 0..300_000u32 {
        let mut input: Vec<u8> = Vec::new();
        if iter % 4 == 0 {
            // Pure random bytes, biased towards protocol characters.
            let alphabet = b"*$\r\n0123456789-+: \"'\\xabc";
            for _ in 0..rng.below_usize(64) {
                if rng.below_usize(3) == 0 {
                    input.push(rng.next() as u8);
                } else {
                    input.push(alphabet[rng.below_usize(alphabet.len())]);
                }
            }
        } else {
            for _ in 0..1 + rng.below_usize(3) {
                input.extend_from_slice(seeds[rng.below_usize(seeds.len())]);
            }
            for _ in 0..rng.below_usize(4) {
                if input.is_empty() {
                    break;
                }
                let pos = rng.below_usize(input.len());
                match rng.below_usize(5) {
                    0 => input[pos] = rng.next() as u8,
                    1 => input.insert(pos, b"\r\n*$-0123456789\"'\\ "[rng.below_usize(19)]),
                    2 => {
                        input.remove(pos);
                    }
                    3 => {
                        // A huge declared length.
                        let n = format!("{}", rng.next() % 100_000_000_000);
                        input.splice(pos..pos, n.bytes());
                    }
                    _ => input.truncate(pos),
                }
            }
        }
        let limits = limits_for(iter % 3 == 0);
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut fed = 0;
        let mut total_arg_bytes = 0usize;
        'feed: while fed < input.len() {
            let n = 1 + rng.below_usize(input.len() - fed);
            buf.extend_from_slice(&input[fed..fed + n]);
            fed += n;
            loop {
                let before = buf.len();
                assert!(buf.capacity() <= 8 << 20, "buffer grew on {input:?}");
                match p.parse(&mut buf, &limits) {
                    Ok(Some(args)) => {
                        parsed += 1;
                        assert!(buf.len() <= before);
                        for a in &args {
                            total_arg_bytes += a.len();
                        }
                        assert!(total_arg_bytes <= input.len());
                    }
                    Ok(None) => {
                        assert_eq!(buf.len(), buf.len().min(before));
                        break;
                    }
                    Err(e) => {
                        errors += 1;
                        assert!(!e.0.is_empty() && !e.0.contains('\n'), "{:?}", e.0);
                        break 'feed;
                    }
                }
            }
        }
    }
    // Both outcomes were exercised.
    assert!(
        parsed > 10_000 && errors > 1_000,
        "parsed={parsed} errors={errors}"
    );
}

/// Requests are parsed in batches (their keys prefetched) before they run: the effects
/// must still be those of running them one by one, in order, across SELECT, beyond one
/// batch, and up to a malformed request that ends the connection.
#[test]
fn pipelined_batches_run_in_order_up_to_a_protocol_error() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let mut packet = Vec::new();
    let enc = |args: &[&str]| {
        let mut v = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            v.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        v
    };
    packet.extend(enc(&["SET", "a", "db0"]));
    packet.extend(enc(&["SELECT", "1"]));
    packet.extend(enc(&["SET", "a", "db1"]));
    packet.extend(enc(&["GET", "a"]));
    packet.extend(enc(&["SELECT", "0"]));
    packet.extend(enc(&["GET", "a"]));
    for _ in 0..100 {
        packet.extend(enc(&["INCR", "n"]));
    }
    packet.extend_from_slice(b"GET a\r\n");
    packet.extend_from_slice(b"*1\r\n$abc\r\n");
    packet.extend(enc(&["SET", "after", "error"]));
    r.send(&packet);
    for want in [
        &b"+OK\r\n"[..],
        b"+OK\r\n",
        b"+OK\r\n",
        b"$3\r\ndb1\r\n",
        b"+OK\r\n",
        b"$3\r\ndb0\r\n",
    ] {
        assert_eq!(r.read_reply(), want);
    }
    for i in 1..=100 {
        assert_eq!(r.read_reply(), format!(":{i}\r\n").into_bytes());
    }
    assert_eq!(r.read_reply(), b"$3\r\ndb0\r\n");
    assert_eq!(
        r.read_reply(),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    assert!(r.closed());
    let mut c = srv.conn();
    assert_eq!(q(&mut c, &["EXISTS", "after"]), Value::Int(0));
    assert_eq!(q(&mut c, &["GET", "n"]), Value::BulkString(b"100".to_vec()));
}
