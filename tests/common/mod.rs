//! Shared harness for integration tests: starts the real `tessera` binary on a free port
//! and talks to it through the `redis` crate or a raw socket. The server is killed when the
//! handle drops.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TestServer {
    pub port: u16,
    child: Child,
}

/// A free TCP port on 127.0.0.1 (bind to port 0, read it back, release it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl TestServer {
    /// Starts with `--save '' --appendonly no` plus `extra` flags.
    pub fn start() -> TestServer {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> TestServer {
        for _ in 0..5 {
            let port = free_port();
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
            cmd.args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
            let child = cmd.spawn().expect("start tessera");
            let mut s = TestServer { port, child };
            if s.wait_ready() {
                return s;
            }
            let _ = s.child.kill();
        }
        panic!("tessera did not start");
    }

    /// Starts with a config file's text (written to a temp file) plus extra flags.
    pub fn start_with_config(text: &str, extra: &[&str]) -> (TestServer, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "tessera-test-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("redis.conf");
        std::fs::write(&path, text).unwrap();
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .arg(&path)
            .args(["--port", &port.to_string(), "--dir", dir.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tessera");
        let mut s = TestServer { port, child };
        assert!(s.wait_ready(), "tessera did not start with config");
        (s, path)
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.write_all(b"PING\r\n");
                let mut buf = [0u8; 7];
                // A server with requirepass answers NOAUTH: it is up all the same.
                if s.read_exact(&mut buf).is_ok() && (&buf == b"+PONG\r\n" || &buf == b"-NOAUTH") {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A synchronous `redis` crate connection.
    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// A RESP3 connection.
    pub fn conn3(&self) -> redis::Connection {
        redis::Client::open(format!("{}?protocol=resp3", self.url()))
            .unwrap()
            .get_connection()
            .unwrap()
    }

    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to exit (e.g. after SHUTDOWN), returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a command with the `redis` crate and returns the raw `redis::Value`
/// (errors come back as `Value::ServerError`, so their exact text can be asserted).
pub fn q(con: &mut redis::Connection, args: &[&str]) -> redis::Value {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    qc(con, &c)
}

/// Sends a prepared `redis::Cmd`, returning the raw reply (errors as `Value::ServerError`).
pub fn qc(con: &mut redis::Connection, c: &redis::Cmd) -> redis::Value {
    use redis::ConnectionLike;
    match con.req_packed_command(&c.get_packed_command()) {
        Ok(v) => v,
        Err(e) => panic!("transport error for {c:?}: {e}"),
    }
}

/// The error text of a reply (`ERR syntax error`), panicking if it isn't an error.
pub fn err_text(v: &redis::Value) -> String {
    match v {
        redis::Value::ServerError(e) => {
            let code = e.code();
            match e.details() {
                Some(d) => format!("{code} {d}"),
                None => code.to_string(),
            }
        }
        other => panic!("expected an error reply, got {other:?}"),
    }
}

/// A raw socket client: write bytes, read back exact RESP bytes.
pub struct Raw {
    pub stream: BufReader<TcpStream>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Raw {
            stream: BufReader::new(s),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.get_mut().write_all(bytes).unwrap();
    }

    /// Sends a command as a RESP multibulk.
    pub fn cmd(&mut self, args: &[&[u8]]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.send(&out);
    }

    /// Reads one complete RESP reply (any type, nested) and returns its exact bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.read_into(&mut out);
        out
    }

    fn read_line(&mut self, out: &mut Vec<u8>) -> String {
        let mut line = Vec::new();
        self.stream.read_until(b'\n', &mut line).unwrap();
        assert!(!line.is_empty(), "connection closed");
        out.extend_from_slice(&line);
        String::from_utf8_lossy(&line[..line.len().saturating_sub(2)]).into_owned()
    }

    fn read_into(&mut self, out: &mut Vec<u8>) {
        let line = self.read_line(out);
        let (t, rest) = line.split_at(1);
        match t {
            "+" | "-" | ":" | "_" | "," | "#" | "(" => {}
            "$" | "=" | "!" => {
                let n: i64 = rest.parse().unwrap();
                if n >= 0 {
                    let mut buf = vec![0u8; n as usize + 2];
                    self.stream.read_exact(&mut buf).unwrap();
                    out.extend_from_slice(&buf);
                }
            }
            "*" | "~" | ">" => {
                let n: i64 = rest.parse().unwrap();
                for _ in 0..n.max(0) {
                    self.read_into(out);
                }
            }
            "%" | "|" => {
                let n: i64 = rest.parse().unwrap();
                for _ in 0..n.max(0) * 2 {
                    self.read_into(out);
                }
            }
            _ => panic!("bad reply type in {line:?}"),
        }
    }

    /// True if the server closed the connection (EOF) within the read timeout.
    pub fn closed(&mut self) -> bool {
        let mut buf = [0u8; 1];
        matches!(self.stream.read(&mut buf), Ok(0) | Err(_))
    }
}

// ---------------------------------------------------------------------------------------
// Reply helpers shared by the family tests.

/// Sends a space-separated command on a raw connection, returns the exact RESP reply as text.
pub fn run(c: &mut Raw, cmd: &str) -> String {
    let args: Vec<&[u8]> = cmd.split(' ').map(|a| a.as_bytes()).collect();
    c.cmd(&args);
    String::from_utf8_lossy(&c.read_reply()).into_owned()
}

/// Switches a raw connection to RESP3; false if the server has no HELLO.
pub fn hello3(c: &mut Raw) -> bool {
    !run(c, "HELLO 3").starts_with("-ERR unknown command")
}

/// A command and the exact bytes of its expected reply.
pub type Case = (&'static [&'static str], &'static [u8]);

/// Runs each command and compares the exact reply bytes.
pub fn check_table(c: &mut Raw, table: &[Case]) {
    for (args, want) in table {
        let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
        c.cmd(&a);
        let got = c.read_reply();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(want),
            "reply to {args:?}"
        );
    }
}

/// RESP2 array of bulk strings; the item `(nil)` stands for a null bulk.
pub fn bulks(items: &[&str]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        if *i == "(nil)" {
            s.push_str("$-1\r\n");
        } else {
            s.push_str(&format!("${}\r\n{}\r\n", i.len(), i));
        }
    }
    s
}

/// RESP integer reply.
pub fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// RESP bulk string reply.
pub fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

/// RESP error reply.
pub fn err(s: &str) -> String {
    format!("-{s}\r\n")
}

/// OBJECT ENCODING of a key, if the server has OBJECT.
pub fn encoding(c: &mut Raw, key: &str) -> Option<String> {
    let r = run(c, &format!("OBJECT ENCODING {key}"));
    if r.starts_with("-ERR unknown command") {
        return None;
    }
    Some(r.lines().nth(1).unwrap_or("").to_string())
}

/// Bulk strings of an array (or set) reply, sorted (for replies in hash order).
pub fn sorted(c: &mut redis::Connection, args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = match q(c, args) {
        redis::Value::Array(a) | redis::Value::Set(a) => a
            .into_iter()
            .map(|x| match x {
                redis::Value::BulkString(b) => String::from_utf8(b).unwrap(),
                o => panic!("{o:?}"),
            })
            .collect(),
        o => panic!("{args:?}: {o:?}"),
    };
    v.sort();
    v
}

/// `redis::Value` of a simple string.
pub fn s(v: &str) -> redis::Value {
    redis::Value::SimpleString(v.into())
}

/// `redis::Value` of a bulk string.
pub fn b(v: &str) -> redis::Value {
    redis::Value::BulkString(v.as_bytes().to_vec())
}

/// The text of a string reply (bulk, verbatim or simple).
pub fn text(v: &redis::Value) -> String {
    match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::VerbatimString { text, .. } => text.clone(),
        redis::Value::SimpleString(s) => s.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

/// Whether the server knows a command.
pub fn have(c: &mut redis::Connection, name: &str) -> bool {
    match q(c, &[name]) {
        redis::Value::ServerError(_) => {
            !err_text(&q(c, &[name])).starts_with("ERR unknown command")
        }
        _ => true,
    }
}

/// Creates a non-string key with whichever collection command exists.
pub fn make_non_string(c: &mut redis::Connection, key: &str) -> bool {
    for (cmd, args) in [
        ("lpush", vec!["a"]),
        ("hset", vec!["f", "v"]),
        ("sadd", vec!["m"]),
        ("zadd", vec!["1", "m"]),
    ] {
        if have(c, cmd) {
            let mut a = vec![cmd, key];
            a.extend(args);
            q(c, &a);
            return true;
        }
    }
    false
}

// ---------------------------------------------------------------------------------------
// Randomised comparisons with a real redis-server.

/// xorshift64* (deterministic, seeded).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545F4914F6CDD1D)
    }
    /// In `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// In `0..n`, as usize.
    pub fn below_usize(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// In `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A real redis-server on a free port (killed on drop).
pub struct RedisServer {
    child: Child,
    pub port: u16,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `redis-server --save '' --appendonly no` on a free port; None if it isn't
/// installed or doesn't accept connections within 4 s.
pub fn start_redis() -> Option<RedisServer> {
    let port = free_port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let r = RedisServer { child, port };
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(r);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}
