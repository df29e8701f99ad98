//! Redis functions: FUNCTION LOAD/DELETE/FLUSH/LIST/STATS/DUMP/RESTORE/KILL/HELP, FCALL and
//! FCALL_RO.
//!
//! `tests/data/functions_cmds.json` is a sequence of commands; `functions.golden` holds the
//! exact replies redis-server 7.0 gave to it (RESP2 pass, then RESP3 pass).
//! `function_dump_redis70.bin` is a FUNCTION DUMP payload made by redis-server 7.0 (two
//! libraries, one LZF-compressed).

mod common;
use common::*;
use redis::Value;
use std::time::Duration;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn normalize_sha(reply: &[u8]) -> Vec<u8> {
    let s = String::from_utf8_lossy(reply).into_owned();
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find("script: ") {
        out.push_str(&rest[..i + 8]);
        rest = &rest[i + 8..];
        if rest.len() >= 40 && rest[..40].chars().all(|c| c.is_ascii_hexdigit()) {
            out.push_str("SHA");
            rest = &rest[40..];
        }
    }
    out.push_str(rest);
    out.into_bytes()
}

/// Minimal JSON reader for the command file: an array of arrays of strings.
fn parse_cmds(text: &str) -> Vec<Vec<String>> {
    let mut cmds = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    let mut chars = text.chars().peekable();
    let mut depth = 0;
    while let Some(c) = chars.next() {
        match c {
            '[' => {
                depth += 1;
                if depth == 2 {
                    cur = Some(Vec::new());
                }
            }
            ']' => {
                if depth == 2 {
                    cmds.push(cur.take().unwrap());
                }
                depth -= 1;
            }
            '"' => {
                let mut s = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next().unwrap() {
                            'n' => s.push('\n'),
                            't' => s.push('\t'),
                            'u' => {
                                let h: String = (0..4).map(|_| chars.next().unwrap()).collect();
                                s.push(
                                    char::from_u32(u32::from_str_radix(&h, 16).unwrap()).unwrap(),
                                );
                            }
                            other => s.push(other),
                        },
                        other => s.push(other),
                    }
                }
                cur.as_mut().unwrap().push(s);
            }
            _ => {}
        }
    }
    cmds
}

#[test]
fn replies_match_redis() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let cmds = parse_cmds(&std::fs::read_to_string(format!("{dir}functions_cmds.json")).unwrap());
    let golden: Vec<String> = std::fs::read_to_string(format!("{dir}functions.golden"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(golden.len(), cmds.len() * 2);
    let s = TestServer::start();
    let mut r = s.raw();
    let mut failures = Vec::new();
    for (pi, proto) in ["2", "3"].iter().enumerate() {
        r.cmd(&[b"HELLO", proto.as_bytes()]);
        r.read_reply();
        for (i, c) in cmds.iter().enumerate() {
            let args: Vec<&[u8]> = c.iter().map(|a| a.as_bytes()).collect();
            r.cmd(&args);
            let got = normalize_sha(&r.read_reply());
            let want = unhex(&golden[pi * cmds.len() + i]);
            if got != want {
                failures.push(format!(
                    "RESP{proto} {c:?}\n  want {:?}\n  got  {:?}",
                    String::from_utf8_lossy(&want),
                    String::from_utf8_lossy(&got)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn dump(c: &mut redis::Connection) -> Vec<u8> {
    match q(c, &["FUNCTION", "DUMP"]) {
        Value::BulkString(b) => b,
        other => panic!("{other:?}"),
    }
}

fn restore(c: &mut redis::Connection, payload: &[u8], policy: Option<&str>) -> Value {
    let mut cmd = redis::cmd("FUNCTION");
    cmd.arg("RESTORE").arg(payload);
    if let Some(p) = policy {
        cmd.arg(p);
    }
    qc(c, &cmd)
}

#[test]
fn restore_a_dump_made_by_redis() {
    let payload = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/function_dump_redis70.bin"
    ))
    .unwrap();
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(restore(&mut c, &payload, None), Value::Okay);
    assert_eq!(q(&mut c, &["FCALL", "bf7", "0"]), Value::Int(7));
    assert_eq!(q(&mut c, &["FCALL", "bf29", "0"]), Value::Int(29));
    assert_eq!(
        q(&mut c, &["FCALL", "sm", "0"]),
        Value::BulkString(b"hi".to_vec())
    );
    // APPEND (the default) refuses an existing library; REPLACE and FLUSH take it.
    assert_eq!(
        err_text(&restore(&mut c, &payload, None)),
        "ERR Library small already exists"
    );
    assert_eq!(
        err_text(&restore(&mut c, &payload, Some("APPEND"))),
        "ERR Library small already exists"
    );
    assert_eq!(restore(&mut c, &payload, Some("REPLACE")), Value::Okay);
    assert_eq!(restore(&mut c, &payload, Some("FLUSH")), Value::Okay);
    // A corrupted payload fails the checksum.
    let mut bad = payload.clone();
    bad[5] ^= 1;
    assert_eq!(
        err_text(&restore(&mut c, &bad, Some("FLUSH"))),
        "ERR DUMP payload version or checksum are wrong"
    );
    // Our own dump round-trips, and its checksum is Redis's CRC64.
    let mine = dump(&mut c);
    assert_eq!(&mine[mine.len() - 10..mine.len() - 8], &[10, 0]);
    q(&mut c, &["FUNCTION", "FLUSH"]);
    assert_eq!(dump(&mut c), EMPTY_DUMP_REDIS70);
    assert_eq!(restore(&mut c, &mine, None), Value::Okay);
    assert_eq!(q(&mut c, &["FCALL", "bf0", "0"]), Value::Int(0));
    // A library whose functions clash with another library's: nothing is restored.
    q(&mut c, &["FUNCTION", "FLUSH"]);
    q(
        &mut c,
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=other\nredis.register_function('sm', function() return 'other' end)",
        ],
    );
    assert_eq!(
        err_text(&restore(&mut c, &payload, Some("REPLACE"))),
        "ERR Function sm already exists"
    );
    assert_eq!(
        q(&mut c, &["FCALL", "sm", "0"]),
        Value::BulkString(b"other".to_vec())
    );
    assert_eq!(
        err_text(&q(&mut c, &["FCALL", "bf1", "0"])),
        "ERR Function not found"
    );
}

#[test]
fn function_kill_and_stats_while_busy() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "100"]);
    q(
        &mut c,
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=spin\nredis.register_function('spin', function() while true do end end)",
        ],
    );
    let url = s.url();
    let runner = std::thread::spawn(move || {
        let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
        q(&mut c, &["FCALL", "spin", "0"])
    });
    let mut busy = false;
    for _ in 0..500 {
        if let Value::ServerError(_) = q(&mut c, &["PING"]) {
            busy = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(busy, "never got BUSY");
    match q(&mut c, &["FUNCTION", "STATS"]) {
        Value::Array(v) => {
            assert_eq!(v[0], Value::BulkString(b"running_script".to_vec()));
            match &v[1] {
                Value::Array(r) => {
                    assert_eq!(r[1], Value::BulkString(b"spin".to_vec()));
                    assert_eq!(
                        r[3],
                        Value::Array(vec![
                            Value::BulkString(b"FCALL".to_vec()),
                            Value::BulkString(b"spin".to_vec()),
                            Value::BulkString(b"0".to_vec()),
                        ])
                    );
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err_text(&q(&mut c, &["PING"])),
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    );
    assert_eq!(
        err_text(&q(&mut c, &["SCRIPT", "KILL"])),
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    );
    assert_eq!(q(&mut c, &["FUNCTION", "KILL"]), Value::Okay);
    let r = runner.join().unwrap();
    assert!(
        err_text(&r).starts_with("ERR Script killed by user with"),
        "{r:?}"
    );
    assert_eq!(q(&mut c, &["PING"]), Value::SimpleString("PONG".into()));
}

#[test]
fn fcall_ro_and_no_writes() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(
        &mut c,
        &["FUNCTION", "LOAD", "#!lua name=rw\nredis.register_function{function_name='sneaky', callback=function(k) return redis.call('set', k[1], 'x') end, flags={'no-writes'}}\nredis.register_function('writer', function(k) return redis.call('set', k[1], 'y') end)"],
    );
    // A no-writes function can't write, even through FCALL.
    let e = err_text(&q(&mut c, &["FCALL", "sneaky", "1", "k"]));
    assert!(e.starts_with("ERR Write commands are not allowed from read-only scripts. script: sneaky, on @user_function:2."), "{e}");
    assert_eq!(
        err_text(&q(&mut c, &["FCALL_RO", "writer", "1", "k"])),
        "ERR Can not execute a script with write flag using *_ro command."
    );
    assert_eq!(q(&mut c, &["FCALL", "writer", "1", "k"]), Value::Okay);
    assert_eq!(q(&mut c, &["GET", "k"]), Value::BulkString(b"y".to_vec()));
    // Functions survive SCRIPT FLUSH; FUNCTION FLUSH removes them.
    q(&mut c, &["SCRIPT", "FLUSH"]);
    assert_eq!(q(&mut c, &["FCALL", "writer", "1", "k"]), Value::Okay);
    q(&mut c, &["FUNCTION", "FLUSH"]);
    assert_eq!(
        err_text(&q(&mut c, &["FCALL", "writer", "1", "k"])),
        "ERR Function not found"
    );
}

#[test]
fn functions_in_multi_and_concurrently() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(
        &mut c,
        &["FUNCTION", "LOAD", "#!lua name=ctr\nredis.register_function('bump', function(k, a) local v = tonumber(redis.call('get', k[1]) or '0') + tonumber(a[1]) redis.call('set', k[1], v) return v end)"],
    );
    q(&mut c, &["MULTI"]);
    q(&mut c, &["FCALL", "bump", "1", "n", "5"]);
    q(&mut c, &["FCALL", "bump", "1", "n", "5"]);
    assert_eq!(
        q(&mut c, &["EXEC"]),
        Value::Array(vec![Value::Int(5), Value::Int(10)])
    );
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = s.url();
            std::thread::spawn(move || {
                let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
                for _ in 0..100 {
                    q(&mut c, &["FCALL", "bump", "1", "n", "1"]);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(q(&mut c, &["GET", "n"]), Value::BulkString(b"410".to_vec()));
}

/// FUNCTION DUMP of redis-server 7.0 with no libraries: RDB version 10 + CRC64.
const EMPTY_DUMP_REDIS70: &[u8] = &[0x0a, 0x00, 0x5d, 0x9b, 0x5c, 0x40, 0x0f, 0x7f, 0xa2, 0xda];

/// A library whose top-level code never ends is stopped after 500 ms with Redis's error,
/// and the server goes on serving (loads included).
#[test]
fn function_load_times_out() {
    let s = TestServer::start();
    let mut c = s.conn();
    let r = q(
        &mut c,
        &["FUNCTION", "LOAD", "#!lua name=spin\nwhile true do end"],
    );
    assert_eq!(
        err_text(&r),
        "ERR Error registering functions: ERR FUNCTION LOAD timeout"
    );
    assert_eq!(q(&mut c, &["PING"]), Value::SimpleString("PONG".into()));
    let ok = "#!lua name=ok\nredis.register_function('f', function() return 1 end)";
    assert_eq!(
        q(&mut c, &["FUNCTION", "LOAD", ok]),
        Value::BulkString(b"ok".to_vec())
    );
    assert_eq!(q(&mut c, &["FCALL", "f", "0"]), Value::Int(1));
}
