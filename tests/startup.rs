//! Startup: command line, config files (and their errors), a stock redis.conf, CONFIG
//! REWRITE round trip, SIGTERM.

mod common;
use common::*;
use redis::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "tessera-startup-{tag}-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the binary to completion (it must exit by itself), returning (code, stdout+stderr).
fn run(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// Starts the binary with `args` and waits until it answers PING.
fn spawn(args: &[&str], port: u16) -> std::process::Child {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            panic!("server exited early: {st}");
        }
        if let Ok(c) = redis::Client::open(format!("redis://127.0.0.1:{port}/")) {
            if let Ok(mut con) = c.get_connection() {
                if q(&mut con, &["PING"]) == Value::SimpleString("PONG".into()) {
                    return child;
                }
            }
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn conn(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .get_connection()
        .unwrap()
}

fn wait_exit(child: &mut std::process::Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(st)) = child.try_wait() {
            return st.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}

#[test]
fn help_and_version() {
    let (code, out) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Usage: tessera"), "{out}");
    assert!(out.contains("--port 7777"));
    for flag in ["--version", "-v"] {
        let (code, out) = run(&[flag]);
        assert_eq!(code, 0);
        assert!(
            out.starts_with(&format!("Tessera server v={} ", env!("CARGO_PKG_VERSION"))),
            "{out}"
        );
    }
}

#[test]
fn config_file_errors() {
    let dir = tmpdir("errors");
    let bad = dir.join("bad.conf");
    std::fs::write(&bad, "# comment\nport 7000\nbogus-directive 2\n").unwrap();
    let (code, out) = run(&[bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("*** FATAL CONFIG FILE ERROR"), "{out}");
    assert!(
        out.contains(&format!("at line 3 of {}", bad.display())),
        "{out}"
    );
    assert!(out.contains(">>> 'bogus-directive 2'"));
    assert!(out.contains("Bad directive or wrong number of arguments"));

    std::fs::write(&bad, "maxmemory lots\n").unwrap();
    let (code, out) = run(&[bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains("at line 1 of") && out.contains(">>> 'maxmemory lots'"),
        "{out}"
    );
    assert!(out.contains("argument must be a memory value"));

    std::fs::write(&bad, "maxmemory-policy sometimes\n").unwrap();
    let (code, out) = run(&[bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains("argument(s) must be one of the following"),
        "{out}"
    );

    std::fs::write(&bad, "appendonly maybe\n").unwrap();
    let (code, out) = run(&[bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("argument must be 'yes' or 'no'"), "{out}");

    std::fs::write(&bad, "port 1 2\n").unwrap();
    let (code, _) = run(&[bad.to_str().unwrap()]);
    assert_eq!(code, 1);

    std::fs::write(&bad, "requirepass \"unbalanced\n").unwrap();
    let (code, out) = run(&[bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("Unbalanced quotes"), "{out}");

    let (code, out) = run(&[dir.join("missing.conf").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("can't open config file"), "{out}");

    // Command-line values are checked the same way.
    let (code, out) = run(&["--port", "abc"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(">>> 'port abc'") && out.contains("command line"),
        "{out}"
    );
    let (code, out) = run(&["--no-such-param", "1"]);
    assert_eq!(code, 1);
    assert!(out.contains("Bad directive"), "{out}");
}

#[test]
fn stock_debian_redis_conf() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/redis.conf");
    let dir = tmpdir("stock");
    let port = free_port();
    let ps = port.to_string();
    let mut child = spawn(
        &[
            fixture,
            "--port",
            &ps,
            "--daemonize",
            "no",
            "--supervised",
            "no",
            "--pidfile",
            "",
            "--logfile",
            "",
            "--dir",
            dir.to_str().unwrap(),
        ],
        port,
    );
    let mut c = conn(port);
    assert_eq!(q(&mut c, &["SET", "k", "v"]), Value::Okay);
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "port"]),
        Value::Array(vec![b("port"), b(&ps)])
    );
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "daemonize"]),
        Value::Array(vec![b("daemonize"), b("no")])
    );
    // Values from the file itself (Debian's file sets these).
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "databases"]),
        Value::Array(vec![b("databases"), b("16")])
    );
    let info = match q(&mut c, &["INFO", "server"]) {
        Value::BulkString(v) => String::from_utf8(v).unwrap(),
        v => panic!("{v:?}"),
    };
    assert!(info.contains("config_file:/"), "{info}");
    let mut r = Raw::connect(port);
    r.cmd(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(r.closed());
    assert_eq!(wait_exit(&mut child), Some(0));
}

#[test]
fn command_line_overrides_file() {
    let (srv, _path) = TestServer::start_with_config(
        "maxmemory 1mb\nmaxmemory-policy allkeys-lru\nhz 15\n",
        &["--maxmemory", "1gb", "--hz", "20"],
    );
    let mut c = srv.conn();
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "maxmemory"]),
        Value::Array(vec![b("maxmemory"), b("1073741824")])
    );
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "hz"]),
        Value::Array(vec![b("hz"), b("20")])
    );
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "maxmemory-policy"]),
        Value::Array(vec![b("maxmemory-policy"), b("allkeys-lru")])
    );
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "port"]),
        Value::Array(vec![b("port"), b(&srv.port.to_string())])
    );
}

#[test]
fn config_rewrite_round_trip_with_stock_conf() {
    let dir = tmpdir("rewrite");
    let conf = dir.join("redis.conf");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/redis.conf"),
        &conf,
    )
    .unwrap();
    let port = free_port();
    let ps = port.to_string();
    let args = [
        conf.to_str().unwrap(),
        "--port",
        &ps,
        "--daemonize",
        "no",
        "--supervised",
        "no",
        "--pidfile",
        "",
        "--logfile",
        "",
        "--dir",
        dir.to_str().unwrap(),
    ];
    let mut child = spawn(&args, port);
    let mut c = conn(port);
    assert_eq!(
        q(
            &mut c,
            &[
                "CONFIG",
                "SET",
                "maxmemory",
                "64mb",
                "maxmemory-policy",
                "volatile-lfu",
                "notify-keyspace-events",
                "KEA"
            ]
        ),
        Value::Okay
    );
    assert_eq!(q(&mut c, &["CONFIG", "REWRITE"]), Value::Okay);
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(text.contains("\nmaxmemory 67108864\n"), "maxmemory line");
    assert!(text.contains("\nmaxmemory-policy volatile-lfu\n"));
    assert!(
        text.starts_with("# Redis configuration file example."),
        "comments kept"
    );
    // Restart from the rewritten file: the values survive.
    let port = free_port();
    let ps = port.to_string();
    let mut args2 = args;
    args2[2] = &ps;
    let mut child = spawn(&args2, port);
    let mut c = conn(port);
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "maxmemory"]),
        Value::Array(vec![b("maxmemory"), b("67108864")])
    );
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "maxmemory-policy"]),
        Value::Array(vec![b("maxmemory-policy"), b("volatile-lfu")])
    );
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "notify-keyspace-events"]),
        Value::Array(vec![b("notify-keyspace-events"), b("AKE")])
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn sigterm_exits_zero_and_logs() {
    let dir = tmpdir("sigterm");
    let log = dir.join("tessera.log");
    let port = free_port();
    let ps = port.to_string();
    let mut child = spawn(
        &[
            "--port",
            &ps,
            "--save",
            "",
            "--logfile",
            log.to_str().unwrap(),
        ],
        port,
    );
    // A connected client must not keep the server alive.
    let mut c = conn(port);
    assert_eq!(q(&mut c, &["PING"]), Value::SimpleString("PONG".into()));
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(wait_exit(&mut child), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains(" * Ready to accept connections tcp"),
        "{text}"
    );
    assert!(
        text.contains(" # Received SIGTERM scheduling shutdown..."),
        "{text}"
    );
    assert!(text.contains(" # User requested shutdown..."));
    assert!(text.contains(" # Redis is now ready to exit, bye bye..."));
    // Redis's line format: `pid:M dd Mon yyyy hh:mm:ss.mmm <level> message`.
    let first = text.lines().next().unwrap();
    let (pid, rest) = first.split_once(":M ").unwrap();
    assert_eq!(pid, child.id().to_string());
    assert_eq!(rest.as_bytes()[2], b' ');
}

/// redis.conf.example lists every parameter with its default: uncommenting all of them
/// gives a file Tessera starts with, and with the same values as no file at all.
#[test]
fn example_config_is_valid_and_complete() {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/redis.conf.example"))
            .unwrap();
    let mut conf = String::new();
    let mut names = Vec::new();
    let mut prev_header: Option<String> = None;
    for line in example.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            if let Some(h) = &prev_header {
                if rest.starts_with(&format!("{h} ")) {
                    conf.push_str(rest);
                    conf.push('\n');
                    continue;
                }
            }
            prev_header = rest
                .split_once(": ")
                .map(|(n, _)| n.to_string())
                .filter(|n| !n.contains(' '));
            if let Some(h) = &prev_header {
                names.push(h.clone());
            }
        }
    }
    assert!(names.len() > 100, "{}", names.len());
    let (srv, _) = TestServer::start_with_config(&conf, &["--save", "", "--appendonly", "no"]);
    let plain = TestServer::start();
    let mut c = srv.conn();
    let mut p = plain.conn();
    for n in &names {
        if ["port", "dir", "save"].contains(&n.as_str()) {
            continue;
        }
        assert_eq!(
            q(&mut c, &["CONFIG", "GET", n]),
            q(&mut p, &["CONFIG", "GET", n]),
            "{n}"
        );
    }
}

/// `tessera - --param value`: the config file is read from standard input.
#[test]
fn config_from_stdin() {
    use std::io::Write;
    let port = free_port();
    let mut child = Command::new(BIN)
        .args(["-", "--maxmemory", "1gb"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        write!(stdin, "port {port}\nmaxmemory 5mb\nsave \"\"\n").unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut c = loop {
        if let Ok(c) = redis::Client::open(format!("redis://127.0.0.1:{port}/")) {
            if let Ok(con) = c.get_connection() {
                break con;
            }
        }
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(30));
    };
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "maxmemory"]),
        Value::Array(vec![b("maxmemory"), b("1073741824")])
    );
    let _ = child.kill();
    let _ = child.wait();
}

fn pid_alive(pid: &str) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| s.contains(") Z "))
            .unwrap_or(true)
}

#[test]
fn daemonize_and_pidfile() {
    let dir = tmpdir("daemon");
    let pidfile = dir.join("tessera.pid");
    let log = dir.join("tessera.log");
    let port = free_port();
    let ps = port.to_string();
    // The launching process returns at once with 0; the daemon keeps serving.
    let (code, _) = run(&[
        "--port",
        &ps,
        "--daemonize",
        "yes",
        "--pidfile",
        pidfile.to_str().unwrap(),
        "--logfile",
        log.to_str().unwrap(),
        "--save",
        "",
    ]);
    assert_eq!(code, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut c = loop {
        if let Ok(c) = redis::Client::open(format!("redis://127.0.0.1:{port}/")) {
            if let Ok(con) = c.get_connection() {
                break con;
            }
        }
        assert!(Instant::now() < deadline, "daemon did not start");
        std::thread::sleep(Duration::from_millis(30));
    };
    assert_eq!(q(&mut c, &["PING"]), Value::SimpleString("PONG".into()));
    let pid = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .to_string();
    assert!(pid_alive(&pid));
    let info = match q(&mut c, &["INFO", "server"]) {
        Value::BulkString(v) => String::from_utf8(v).unwrap(),
        v => panic!("{v:?}"),
    };
    assert!(info.contains(&format!("process_id:{pid}\r\n")), "{info}");
    let mut r = Raw::connect(port);
    r.cmd(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(r.closed());
    let deadline = Instant::now() + Duration::from_secs(10);
    while pid_alive(&pid) {
        assert!(Instant::now() < deadline, "daemon did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!pidfile.exists(), "pid file removed on exit");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("Removing the pid file."), "{text}");
}

#[test]
fn supervised_systemd_notifies_ready() {
    let dir = tmpdir("notify");
    let sock_path = dir.join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let port = free_port();
    let mut child = Command::new(BIN)
        .args([
            "--port",
            &port.to_string(),
            "--supervised",
            "systemd",
            "--save",
            "",
        ])
        .env("NOTIFY_SOCKET", &sock_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 256];
    let n = sock.recv(&mut buf).expect("READY notification");
    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(msg.contains("READY=1"), "{msg}");
    // Ready means ready: it answers right away.
    let mut c = conn(port);
    assert_eq!(q(&mut c, &["PING"]), Value::SimpleString("PONG".into()));
    let _ = child.kill();
    let _ = child.wait();
}
