//! Lua scripting: EVAL/EVALSHA/_RO, SCRIPT *, the sandbox, reply conversions in both RESP
//! versions, the bundled libraries (cjson, cmsgpack, struct, bit), busy scripts and
//! SCRIPT KILL, scripts in MULTI, and real-world scripts under concurrent load.
//!
//! `tests/data/scripting_{libs,core}.txt` hold scripts; the `.golden` files hold the exact
//! replies redis-server 7.0 gave to each (first under RESP2, then under RESP3, the
//! `script: <sha>` part of errors normalized to `SHA`).

mod common;
use common::*;
use redis::Value;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

/// The error text of a reply, or "" for a non-error.
fn etext(v: &Value) -> String {
    match v {
        Value::ServerError(_) => err_text(v),
        _ => String::new(),
    }
}

fn normalize_sha(reply: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(reply.len());
    let pat = b"script: ";
    let mut i = 0;
    while i < reply.len() {
        if reply[i..].starts_with(pat)
            && reply.len() >= i + pat.len() + 40
            && reply[i + pat.len()..i + pat.len() + 40]
                .iter()
                .all(|c| c.is_ascii_hexdigit())
        {
            out.extend_from_slice(b"script: SHA");
            i += pat.len() + 40;
        } else {
            out.push(reply[i]);
            i += 1;
        }
    }
    out
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Runs every script of `tests/data/<name>.txt` with EVAL under RESP2 and RESP3 and
/// compares the exact reply bytes with redis-server's.
fn golden(name: &str) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let cases: Vec<String> = std::fs::read_to_string(format!("{dir}{name}.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let golden: Vec<String> = std::fs::read_to_string(format!("{dir}{name}.golden"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(golden.len(), cases.len() * 2);
    let s = TestServer::start();
    let mut r = s.raw();
    let mut failures = Vec::new();
    for (pi, proto) in ["2", "3"].iter().enumerate() {
        r.cmd(&[b"HELLO", proto.as_bytes()]);
        r.read_reply();
        for (i, script) in cases.iter().enumerate() {
            r.cmd(&[b"EVAL", script.as_bytes(), b"0"]);
            let got = normalize_sha(&r.read_reply());
            let want = unhex(&golden[pi * cases.len() + i]);
            if got != want {
                failures.push(format!(
                    "RESP{proto} {script}\n  want {:?}\n  got  {:?}",
                    String::from_utf8_lossy(&want),
                    String::from_utf8_lossy(&got)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn libraries_match_redis() {
    golden("scripting_libs");
}

#[test]
fn sandbox_and_conversions_match_redis() {
    golden("scripting_core");
}

#[test]
fn eval_evalsha_script_cache() {
    let s = TestServer::start();
    let mut c = s.conn();
    let body = "return {KEYS[1], ARGV[1], #KEYS, #ARGV}";
    let sha = match q(&mut c, &["SCRIPT", "LOAD", body]) {
        Value::BulkString(b) => String::from_utf8(b).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(sha.len(), 40);
    assert_eq!(
        q(
            &mut c,
            &["EVAL", &format!("return redis.sha1hex({body:?})"), "0"]
        ),
        bulk(&sha)
    );
    assert_eq!(
        q(&mut c, &["EVALSHA", &sha, "1", "k", "a", "b"]),
        Value::Array(vec![bulk("k"), bulk("a"), Value::Int(1), Value::Int(2)])
    );
    assert_eq!(
        q(&mut c, &["EVALSHA", &sha.to_uppercase(), "0"]),
        Value::Array(vec![])
    );
    assert_eq!(
        q(
            &mut c,
            &[
                "SCRIPT",
                "EXISTS",
                &sha,
                "0000000000000000000000000000000000000000"
            ]
        ),
        Value::Array(vec![Value::Int(1), Value::Int(0)])
    );
    assert_eq!(q(&mut c, &["SCRIPT", "FLUSH"]), Value::Okay);
    assert_eq!(
        err_text(&q(&mut c, &["EVALSHA", &sha, "0"])),
        "NOSCRIPT No matching script. Please use EVAL."
    );
    assert_eq!(q(&mut c, &["SCRIPT", "FLUSH", "ASYNC"]), Value::Okay);
    assert_eq!(
        err_text(&q(&mut c, &["SCRIPT", "FLUSH", "LAZY"])),
        "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
    );
    // EVAL caches the script: EVALSHA works after it.
    q(&mut c, &["EVAL", body, "0"]);
    assert_eq!(q(&mut c, &["EVALSHA", &sha, "0"]), Value::Array(vec![]));
    assert_eq!(
        err_text(&q(&mut c, &["EVAL", "return 1", "-1"])),
        "ERR Number of keys can't be negative"
    );
    assert_eq!(
        err_text(&q(&mut c, &["EVAL", "return 1", "2", "a"])),
        "ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(
        err_text(&q(&mut c, &["EVAL", "return 1", "x"])),
        "ERR value is not an integer or out of range"
    );
    assert!(err_text(&q(&mut c, &["EVAL", "return +", "0"]))
        .starts_with("ERR Error compiling script (new function): user_script:1:"));
    assert!(matches!(q(&mut c, &["SCRIPT", "HELP"]), Value::Array(v) if v.len() > 5));
}

#[test]
fn read_only_scripts() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SET", "k", "v"]);
    assert_eq!(
        q(
            &mut c,
            &["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k"]
        ),
        bulk("v")
    );
    let e = err_text(&q(
        &mut c,
        &[
            "EVAL_RO",
            "return redis.call('set', KEYS[1], 'x')",
            "1",
            "k",
        ],
    ));
    assert!(
        e.starts_with("ERR Write commands are not allowed from read-only scripts. script: "),
        "{e}"
    );
    let sha = match q(&mut c, &["SCRIPT", "LOAD", "return redis.call('del', 'k')"]) {
        Value::BulkString(b) => String::from_utf8(b).unwrap(),
        other => panic!("{other:?}"),
    };
    let e = err_text(&q(&mut c, &["EVALSHA_RO", &sha, "0"]));
    assert!(
        e.starts_with("ERR Write commands are not allowed from read-only scripts."),
        "{e}"
    );
    // pcall hands the error back as a table.
    assert_eq!(
        q(
            &mut c,
            &["EVAL_RO", "return redis.pcall('set', 'k', 'x')['err']", "0"]
        ),
        bulk("ERR Write commands are not allowed from read-only scripts.")
    );
    assert_eq!(q(&mut c, &["GET", "k"]), bulk("v"));
}

#[test]
fn select_inside_script_does_not_leak() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["SET", "where", "db0"]);
    assert_eq!(
        q(
            &mut c,
            &[
                "EVAL",
                "redis.call('select', 5) redis.call('set', 'where', 'db5') return redis.call('get', 'where')",
                "0"
            ]
        ),
        bulk("db5")
    );
    assert_eq!(q(&mut c, &["GET", "where"]), bulk("db0"));
    q(&mut c, &["SELECT", "5"]);
    assert_eq!(q(&mut c, &["GET", "where"]), bulk("db5"));
}

#[test]
fn scripts_inside_multi() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(q(&mut c, &["MULTI"]), Value::Okay);
    q(
        &mut c,
        &["EVAL", "return redis.call('incr', KEYS[1])", "1", "n"],
    );
    q(
        &mut c,
        &["EVAL", "return redis.call('incrby', KEYS[1], 10)", "1", "n"],
    );
    q(&mut c, &["EVAL", "return redis.call('nosuch')", "0"]);
    q(&mut c, &["FCALL", "nosuch", "0"]);
    match q(&mut c, &["EXEC"]) {
        Value::Array(v) => {
            assert_eq!(v[0], Value::Int(1));
            assert_eq!(v[1], Value::Int(11));
            assert!(err_text(&v[2]).starts_with("ERR Unknown Redis command called from script"));
            assert_eq!(err_text(&v[3]), "ERR Function not found");
        }
        other => panic!("{other:?}"),
    }
    // WATCH + a script touching the watched key from another client aborts the EXEC.
    let mut c2 = s.conn();
    q(&mut c, &["WATCH", "n"]);
    q(
        &mut c2,
        &["EVAL", "return redis.call('incr', KEYS[1])", "1", "n"],
    );
    q(&mut c, &["MULTI"]);
    q(&mut c, &["GET", "n"]);
    assert_eq!(q(&mut c, &["EXEC"]), Value::Nil);
}

#[test]
fn blocking_commands_do_not_block_in_scripts() {
    let s = TestServer::start();
    let mut c = s.conn();
    // Redis 7.2 runs blocking commands from scripts as their non-blocking form
    // (7.0 refused them with "This Redis command is not allowed from script").
    let r = q(
        &mut c,
        &["EVAL", "return redis.call('blpop', 'nolist', 0)", "0"],
    );
    assert!(
        r == Value::Nil || etext(&r).contains("not allowed from script"),
        "{r:?}"
    );
    q(&mut c, &["RPUSH", "l", "a"]);
    let r = q(&mut c, &["EVAL", "return redis.call('blpop', 'l', 0)", "0"]);
    assert!(
        r == Value::Array(vec![bulk("l"), bulk("a")]) || etext(&r).contains("not allowed"),
        "{r:?}"
    );
}

#[test]
fn resp3_caller_conversions() {
    let s = TestServer::start();
    let mut c = s.conn3();
    q(&mut c, &["HSET", "h", "f", "v"]);
    assert_eq!(
        q(
            &mut c,
            &[
                "EVAL",
                "redis.setresp(3) return redis.call('hgetall', 'h')",
                "0"
            ]
        ),
        Value::Map(vec![(bulk("f"), bulk("v"))])
    );
    assert_eq!(
        q(&mut c, &["EVAL", "return redis.call('hgetall', 'h')", "0"]),
        Value::Array(vec![bulk("f"), bulk("v")])
    );
    assert_eq!(
        q(&mut c, &["EVAL", "redis.setresp(3) return true", "0"]),
        Value::Boolean(true)
    );
    assert_eq!(
        q(&mut c, &["EVAL", "return {double=1.5}", "0"]),
        Value::Double(1.5)
    );
    // A RESP2 caller of the same script gets the RESP2 forms.
    let mut c2 = s.conn();
    assert_eq!(
        q(
            &mut c2,
            &[
                "EVAL",
                "redis.setresp(3) return redis.call('hgetall', 'h')",
                "0"
            ]
        ),
        Value::Array(vec![bulk("f"), bulk("v")])
    );
    assert_eq!(
        q(&mut c2, &["EVAL", "redis.setresp(3) return true", "0"]),
        Value::Int(1)
    );
    assert_eq!(
        q(&mut c2, &["EVAL", "return {double=1.5}", "0"]),
        bulk("1.5")
    );
}

/// Waits until `c` gets -BUSY for PING (the script passed busy-reply-threshold).
fn wait_busy(c: &mut redis::Connection) {
    for _ in 0..500 {
        let r = q(c, &["PING"]);
        if etext(&r).starts_with("BUSY") {
            assert_eq!(
                err_text(&r),
                "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("never got BUSY");
}

#[test]
fn script_kill_busy_loop() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(
        q(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "100"]),
        Value::Okay
    );
    assert_eq!(
        err_text(&q(&mut c, &["SCRIPT", "KILL"])),
        "NOTBUSY No scripts in execution right now."
    );
    let url = s.url();
    let runner = std::thread::spawn(move || {
        let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
        q(
            &mut c,
            &["EVAL", "local i = 0 while true do i = i + 1 end", "0"],
        )
    });
    std::thread::sleep(Duration::from_millis(50));
    wait_busy(&mut c);
    // FUNCTION KILL doesn't kill an EVAL script.
    assert_eq!(
        err_text(&q(&mut c, &["FUNCTION", "KILL"])),
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    );
    assert_eq!(q(&mut c, &["SCRIPT", "KILL"]), Value::Okay);
    let r = runner.join().unwrap();
    assert!(
        err_text(&r).starts_with("ERR Script killed by user with SCRIPT KILL..."),
        "{r:?}"
    );
    assert_eq!(q(&mut c, &["PING"]), Value::SimpleString("PONG".into()));
    assert_eq!(q(&mut c, &["SET", "after", "1"]), Value::Okay);
}

/// A script that ran fast before runs inline on its connection's worker; if it then runs
/// away, a client that connects meanwhile is placed on another worker, gets -BUSY and can
/// SCRIPT KILL it. (Clients already on the script's worker wait for it to end: the
/// documented cost of running known-fast scripts inline.)
#[test]
fn known_fast_script_that_runs_away_can_be_killed() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "100"]);
    let body = "if ARGV[1] == 'spin' then while true do end end return 1";
    let mut runner = s.raw();
    for _ in 0..3 {
        runner.cmd(&[b"EVAL", body.as_bytes(), b"0", b"fast"]);
        assert_eq!(runner.read_reply(), b":1\r\n");
    }
    runner.cmd(&[b"EVAL", body.as_bytes(), b"0", b"spin"]);
    // Connect until a client gets -BUSY. One that connected before the script started
    // may sit on its worker: it answers nothing (short timeout) and is dropped.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut fresh = loop {
        assert!(Instant::now() < deadline, "never got BUSY");
        let mut r = s.raw();
        r.stream
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        r.cmd(&[b"PING"]);
        let mut line = Vec::new();
        let _ = std::io::BufRead::read_until(&mut r.stream, b'\n', &mut line);
        if line.starts_with(b"-BUSY") {
            break r;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    fresh.cmd(&[b"SCRIPT", b"KILL"]);
    assert_eq!(fresh.read_reply(), b"+OK\r\n");
    let killed = String::from_utf8(runner.read_reply()).unwrap();
    assert!(
        killed.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
        "{killed}"
    );
    assert_eq!(q(&mut c, &["PING"]), Value::SimpleString("PONG".into()));
}

#[test]
fn unkillable_after_write_then_shutdown_nosave() {
    let mut s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "100"]);
    let url = s.url();
    let _runner = std::thread::spawn(move || {
        let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
        // The server goes away mid-script: the reply is an EOF.
        let _ = redis::cmd("EVAL")
            .arg("redis.call('set', 'x', '1') while true do end")
            .arg(0)
            .query::<Value>(&mut c);
    });
    std::thread::sleep(Duration::from_millis(50));
    wait_busy(&mut c);
    assert_eq!(
        err_text(&q(&mut c, &["SCRIPT", "KILL"])),
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
    );
    // SHUTDOWN NOSAVE still works while the script runs.
    let mut r = s.raw();
    r.cmd(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(r.closed());
    assert!(
        s.wait_exit(Duration::from_secs(10)).is_some(),
        "server didn't exit on SHUTDOWN NOSAVE during a busy script"
    );
}

#[test]
fn script_effects_are_atomic_under_concurrency() {
    let s = TestServer::start();
    let threads = 6;
    let per = 200;
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let url = s.url();
            std::thread::spawn(move || {
                let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
                for _ in 0..per {
                    // Read-modify-write in Lua: atomic, so no update is lost.
                    q(
                        &mut c,
                        &[
                            "EVAL",
                            "local v = tonumber(redis.call('get', KEYS[1]) or '0') redis.call('set', KEYS[1], v + 1) redis.call('rpush', KEYS[2], v) return v",
                            "2",
                            "ctr",
                            "seen",
                        ],
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut c = s.conn();
    assert_eq!(
        q(&mut c, &["GET", "ctr"]),
        bulk(&(threads * per).to_string())
    );
    // Every intermediate value was seen exactly once.
    match q(&mut c, &["LRANGE", "seen", "0", "-1"]) {
        Value::Array(v) => {
            let mut n: Vec<i64> = v
                .iter()
                .map(|x| match x {
                    Value::BulkString(b) => String::from_utf8_lossy(b).parse().unwrap(),
                    _ => panic!(),
                })
                .collect();
            n.sort();
            assert_eq!(n, (0..(threads * per) as i64).collect::<Vec<_>>());
        }
        other => panic!("{other:?}"),
    }
}

const RELEASE: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

#[test]
fn distributed_lock() {
    let s = TestServer::start();
    let threads = 6;
    let per = 25;
    let holders = Arc::new(AtomicUsize::new(0));
    let violation = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let url = s.url();
            let holders = holders.clone();
            let violation = violation.clone();
            std::thread::spawn(move || {
                let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
                for i in 0..per {
                    let token = format!("{t}-{i}");
                    loop {
                        let r = q(&mut c, &["SET", "lock", &token, "NX", "PX", "10000"]);
                        if r == Value::Okay {
                            break;
                        }
                        std::thread::yield_now();
                    }
                    if holders.fetch_add(1, Ordering::SeqCst) != 0 {
                        violation.store(true, Ordering::SeqCst);
                    }
                    // Unprotected read-modify-write: only safe under the lock.
                    let v: i64 = match q(&mut c, &["GET", "counter"]) {
                        Value::BulkString(b) => String::from_utf8_lossy(&b).parse().unwrap(),
                        _ => 0,
                    };
                    q(&mut c, &["SET", "counter", &(v + 1).to_string()]);
                    holders.fetch_sub(1, Ordering::SeqCst);
                    // A wrong token never releases someone else's lock.
                    assert_eq!(
                        q(&mut c, &["EVAL", RELEASE, "1", "lock", "not-mine"]),
                        Value::Int(0)
                    );
                    assert_eq!(
                        q(&mut c, &["EVAL", RELEASE, "1", "lock", &token]),
                        Value::Int(1)
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert!(!violation.load(Ordering::SeqCst), "two holders at once");
    let mut c = s.conn();
    assert_eq!(
        q(&mut c, &["GET", "counter"]),
        bulk(&(threads * per).to_string())
    );
}

const RATE_LIMIT: &str = r#"
local key, now, window, limit, id = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local n = redis.call('ZCARD', key)
if n < limit then
  redis.call('ZADD', key, now, id)
  redis.call('PEXPIRE', key, window)
  return 1
end
return 0
"#;

#[test]
fn sliding_window_rate_limiter() {
    let s = TestServer::start();
    let mut c = s.conn();
    let threads = 8;
    let per = 50;
    let limit = 100;
    let allowed = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let url = s.url();
            let allowed = allowed.clone();
            std::thread::spawn(move || {
                let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
                for i in 0..per {
                    // A fixed "now" keeps every request inside the window.
                    let r = q(
                        &mut c,
                        &[
                            "EVAL",
                            RATE_LIMIT,
                            "1",
                            "rl",
                            "1000000",
                            "60000",
                            &limit.to_string(),
                            &format!("{t}:{i}"),
                        ],
                    );
                    if r == Value::Int(1) {
                        allowed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(allowed.load(Ordering::SeqCst), limit);
    assert_eq!(q(&mut c, &["ZCARD", "rl"]), Value::Int(limit as i64));
    // Later, the window slid past every entry: allowed again, old entries trimmed.
    assert_eq!(
        q(
            &mut c,
            &["EVAL", RATE_LIMIT, "1", "rl", "2000000", "60000", "100", "late"]
        ),
        Value::Int(1)
    );
    assert_eq!(q(&mut c, &["ZCARD", "rl"]), Value::Int(1));
}

const MOVE_TO_ACTIVE: &str = r#"
local jobId = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
if not jobId then return false end
local jobKey = KEYS[3] .. jobId
redis.call('HSET', jobKey, 'processedOn', ARGV[1], 'worker', ARGV[2])
return {jobId, redis.call('HGET', jobKey, 'data')}
"#;

const COMPLETE: &str = r#"
if redis.call('LREM', KEYS[1], 1, ARGV[1]) ~= 1 then return redis.error_reply('ERR job not active') end
redis.call('HSET', KEYS[3] .. ARGV[1], 'finishedOn', ARGV[2])
return redis.call('SADD', KEYS[2], ARGV[1])
"#;

#[test]
fn job_queue_move_to_active() {
    let s = TestServer::start();
    let mut c = s.conn();
    let jobs = 300;
    for i in 0..jobs {
        q(
            &mut c,
            &["HSET", &format!("job:{i}"), "data", &format!("payload-{i}")],
        );
        q(&mut c, &["LPUSH", "wait", &i.to_string()]);
    }
    let workers = 4;
    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let url = s.url();
            std::thread::spawn(move || {
                let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
                let mut got = Vec::new();
                loop {
                    let r = q(
                        &mut c,
                        &[
                            "EVAL",
                            MOVE_TO_ACTIVE,
                            "3",
                            "wait",
                            "active",
                            "job:",
                            "123",
                            &w.to_string(),
                        ],
                    );
                    match r {
                        Value::Nil => break,
                        Value::Array(v) => {
                            let id = match &v[0] {
                                Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                                _ => panic!(),
                            };
                            assert_eq!(v[1], bulk(&format!("payload-{id}")));
                            assert_eq!(
                                q(
                                    &mut c,
                                    &[
                                        "EVAL",
                                        COMPLETE,
                                        "3",
                                        "active",
                                        "completed",
                                        "job:",
                                        &id,
                                        "456"
                                    ]
                                ),
                                Value::Int(1)
                            );
                            got.push(id.parse::<usize>().unwrap());
                        }
                        other => panic!("{other:?}"),
                    }
                }
                got
            })
        })
        .collect();
    let mut all: Vec<usize> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort();
    assert_eq!(all, (0..jobs).collect::<Vec<_>>(), "each job exactly once");
    assert_eq!(q(&mut c, &["LLEN", "active"]), Value::Int(0));
    assert_eq!(q(&mut c, &["LLEN", "wait"]), Value::Int(0));
    assert_eq!(q(&mut c, &["SCARD", "completed"]), Value::Int(jobs as i64));
    assert_eq!(q(&mut c, &["HGET", "job:7", "finishedOn"]), bulk("456"));
    // FIFO: the first job pushed was the first one moved.
    assert_eq!(
        err_text(&q(
            &mut c,
            &[
                "EVAL",
                COMPLETE,
                "3",
                "active",
                "completed",
                "job:",
                "1",
                "0"
            ]
        )),
        "ERR job not active"
    );
}

#[test]
fn redis_log_writes_to_the_log() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(
        q(
            &mut c,
            &[
                "EVAL",
                "redis.log(redis.LOG_WARNING, 'marker', 42) return 1",
                "0"
            ]
        ),
        Value::Int(1)
    );
}

#[test]
fn monitor_shows_script_commands_as_lua() {
    use std::io::{BufRead, BufReader, Write};
    let s = TestServer::start();
    let mut m = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    m.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    m.write_all(b"MONITOR\r\n").unwrap();
    let mut rd = BufReader::new(m);
    let mut line = String::new();
    rd.read_line(&mut line).unwrap();
    assert_eq!(line, "+OK\r\n");
    let mut c = s.conn();
    q(
        &mut c,
        &[
            "EVAL",
            "redis.call('select', 3) return redis.call('set', KEYS[1], 'v')",
            "1",
            "mk",
        ],
    );
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains("lua] \"set\"")) {
        line.clear();
        rd.read_line(&mut line).unwrap();
        lines.push(line.clone());
    }
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("[0 lua] \"select\" \"3\"\r\n")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("[3 lua] \"set\" \"mk\" \"v\"\r\n")),
        "{lines:?}"
    );
}

#[test]
fn watch_races_with_scripts() {
    // Optimistic WATCH increments from some threads, script increments from others: no
    // update is lost, and every successful EXEC saw an unchanged key.
    let s = TestServer::start();
    let watchers = 4;
    let scripters = 3;
    let per = 60;
    let mut handles = Vec::new();
    for _ in 0..watchers {
        let url = s.url();
        handles.push(std::thread::spawn(move || {
            let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
            let mut done = 0;
            let mut retries = 0;
            while done < per {
                q(&mut c, &["WATCH", "wctr"]);
                let v: i64 = match q(&mut c, &["GET", "wctr"]) {
                    Value::BulkString(b) => String::from_utf8_lossy(&b).parse().unwrap(),
                    _ => 0,
                };
                q(&mut c, &["MULTI"]);
                q(&mut c, &["SET", "wctr", &(v + 1).to_string()]);
                match q(&mut c, &["EXEC"]) {
                    Value::Array(_) => done += 1,
                    Value::Nil => retries += 1,
                    other => panic!("{other:?}"),
                }
            }
            retries
        }));
    }
    for _ in 0..scripters {
        let url = s.url();
        handles.push(std::thread::spawn(move || {
            let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
            for _ in 0..per {
                q(
                    &mut c,
                    &["EVAL", "return redis.call('incr', KEYS[1])", "1", "wctr"],
                );
            }
            0
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    let mut c = s.conn();
    assert_eq!(
        q(&mut c, &["GET", "wctr"]),
        bulk(&((watchers + scripters) * per).to_string())
    );
}

/// Found by the exec fuzz target: the Lua instruction hook also fires while Lua runs
/// outside a script (a library's top-level code in FUNCTION LOAD); with the last script's
/// start time it flagged "over the busy threshold" and nothing cleared it, so every later
/// command got -BUSY with no script running. (Same replies as redis-server.)
#[test]
fn no_busy_after_lua_runs_outside_a_script() {
    let s = TestServer::start();
    let mut c = s.conn();
    q(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "0"]);
    assert_eq!(q(&mut c, &["EVAL", "return 1", "0"]), Value::Int(1));
    let lib = "#!lua name=slowlib\nlocal n = 0\nfor i = 1, 50000 do n = n + i end\nredis.register_function('f', function() return n end)";
    assert_eq!(q(&mut c, &["FUNCTION", "LOAD", lib]), bulk("slowlib"));
    assert_eq!(q(&mut c, &["SET", "k", "v"]), Value::Okay);
    assert_eq!(q(&mut c, &["GET", "k"]), bulk("v"));
    assert_eq!(q(&mut c, &["FCALL", "f", "0"]), Value::Int(1250025000));
}
