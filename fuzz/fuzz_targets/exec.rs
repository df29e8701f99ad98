//! Runs sequences of real commands in-process through `server::dispatch::execute`, the way
//! a connection does, on a server reset before each input. No command may panic (or hang, or
//! allocate without bound), whatever its arguments.
//!
//! The input is decoded into commands, so that the fuzzer spends its time inside command
//! code rather than on "unknown command" errors:
//! - a header byte: which of two clients runs the command (low bit) and how many
//!   arguments follow the name (0..=6);
//! - a byte picking the command (or `container|subcommand`) from the command table;
//! - per argument, a byte: below 0xE0 it picks a token (keys, numbers, options, IDs,
//!   small scripts, ...), above it takes 0..=7 raw bytes from the input.
//!
//! Two clients make blocking commands meaningful: one blocks (BLPOP, XREADGROUP ...), the
//! other serves it; a blocked client that is given another command first times out, as
//! its deadline would.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run -a -O exec` from the repository root.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use tessera::blocking::WaitState;
use tessera::config::Config;
use tessera::server::client::{Client, ClientInfo};
use tessera::server::{dispatch, Server};

/// Commands that would leave the process, touch files, or turn the connection into
/// something else; everything else in the table is fair game.
const SKIP: &[&str] = &[
    "shutdown",
    "debug",
    "monitor",
    "client|kill",
    "save",
    "bgsave",
    "bgrewriteaof",
    "config|rewrite",
    "replicaof",
    "slaveof",
    "sync",
    "psync",
    "failover",
];

const TOKENS: &[&str] = &[
    // keys (two share a hash tag, so multi-key commands on them lock one shard)
    "k",
    "k2",
    "{k}3",
    "{k}4",
    "s",
    "dst",
    // fields / members / values
    "a",
    "b",
    "c",
    "f",
    "v",
    "",
    "hello world",
    "x\r\ny",
    // numbers
    "0",
    "1",
    "2",
    "3",
    "5",
    "10",
    "100",
    "1000",
    "-1",
    "-2",
    "-10",
    "-100",
    "1.5",
    "-1.5",
    "0.5",
    "1e3",
    "3.0e-2",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "18446744073709551615",
    "4294967295",
    "4294967296",
    "2147483647",
    "-2147483648",
    "1.7976931348623157e308",
    "0x10",
    " 1",
    "1 ",
    "01",
    "1000000",
    // expiry / set options
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "KEEPTTL",
    "PERSIST",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "GET",
    // ranges / scoring
    "WITHSCORES",
    "WITHSCORE",
    "LIMIT",
    "BYSCORE",
    "BYLEX",
    "REV",
    "(1",
    "(a",
    "[a",
    "[z",
    "-",
    "+",
    "(",
    "[",
    "WEIGHTS",
    "AGGREGATE",
    "SUM",
    "MIN",
    "MAX",
    // scan / sort
    "MATCH",
    "COUNT",
    "TYPE",
    "*",
    "k*",
    "[a-",
    "\\",
    "STORE",
    "BY",
    "nosort",
    "ASC",
    "DESC",
    "ALPHA",
    "STOREDIST",
    "STOREDIST",
    "ANY",
    "RANK",
    "MAXLEN",
    // lists
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    // streams
    "0-0",
    "0-1",
    "1-1",
    "1-*",
    "$",
    ">",
    "~",
    "=",
    "MINID",
    "NOMKSTREAM",
    "GROUP",
    "g",
    "consumer",
    "STREAMS",
    "BLOCK",
    "NOACK",
    "IDLE",
    "TIME",
    "RETRYCOUNT",
    "FORCE",
    "JUSTID",
    "LASTID",
    "ENTRIESREAD",
    "MKSTREAM",
    "CREATE",
    "SETID",
    "DESTROY",
    "CREATECONSUMER",
    "DELCONSUMER",
    "FULL",
    "CONSUMERS",
    "STREAM",
    "GROUPS",
    "18446744073709551615-18446744073709551615",
    // bits
    "BIT",
    "BYTE",
    "u8",
    "i16",
    "u63",
    "i64",
    "#1",
    "OVERFLOW",
    "WRAP",
    "SAT",
    "FAIL",
    "SET",
    "INCRBY",
    "AND",
    "OR",
    "XOR",
    "NOT",
    // geo
    "13.361389",
    "38.115556",
    "FROMMEMBER",
    "FROMLONLAT",
    "BYRADIUS",
    "BYBOX",
    "km",
    "m",
    "WITHCOORD",
    "WITHDIST",
    "WITHHASH",
    // misc options
    "ABSTTL",
    "REPLACE",
    "DB",
    "IDLETIME",
    "FREQ",
    "COPY",
    "KEYS",
    "AUTH",
    "SETNAME",
    "ON",
    "OFF",
    "SKIP",
    "YES",
    "NO",
    "maxmemory",
    "maxmemory-policy",
    "allkeys-lfu",
    "notify-keyspace-events",
    "KEA",
    "list-max-listpack-size",
    "hash-max-listpack-entries",
    "zset-max-listpack-entries",
    "set-max-intset-entries",
    // scripting
    "return 1",
    "return redis.call('set',KEYS[1],ARGV[1])",
    "return redis.call('lpush',KEYS[1],'a')",
    "return redis.pcall('incr',KEYS[1])",
    "return {1,'a',{2,false}}",
    "return redis.error_reply('E x')",
    "redis.setresp(3); return redis.call('hgetall',KEYS[1])",
    "#!lua flags=no-writes\nreturn redis.call('get',KEYS[1])",
    "#!lua name=lib\nredis.register_function('f', function(k, a) return redis.call('get', k[1]) end)",
    "lib",
    "FLUSH",
    "LOAD",
    // ids
    "__keyspace@0__:k",
];

/// Names of the runnable commands, `container|sub` for subcommands, sorted.
fn commands(srv: &Server) -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut v = Vec::new();
        for c in srv.cmds.iter() {
            if c.subcommands.is_empty() || c.arity == -1 {
                v.push(c.name.clone());
            }
            for s in c.subcommands.values() {
                v.push(s.name.clone());
            }
        }
        v.retain(|n| !SKIP.contains(&n.as_str()));
        v.sort();
        v
    })
}

struct Cl {
    client: Client,
    _rx: tokio::sync::mpsc::UnboundedReceiver<Bytes>,
}

fn new_client(srv: &Server) -> Cl {
    let id = srv.next_client_id.fetch_add(1, Ordering::Relaxed);
    let info = Arc::new(ClientInfo::new(
        id,
        format!("127.0.0.1:{}", 40000 + id),
        "127.0.0.1:6379".into(),
        id as i64,
    ));
    srv.clients.lock().insert(id, info.clone());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    Cl {
        client: Client::new(info, true, tx),
        _rx: rx,
    }
}

fn emit(r: Option<tessera::resp::Reply>, proto: u8) {
    if let Some(r) = r {
        let mut out = Vec::new();
        r.write_to(&mut out, proto);
    }
}

/// Runs one command for `c` as the connection loop would, blocking aside: a command that
/// blocks leaves its waiter in `c.client.waiter`.
fn run(srv: &Server, c: &mut Cl, args: &[Bytes]) {
    let outcome = dispatch::execute(srv, &mut c.client, args);
    if outcome.block.is_some() && c.client.waiter.is_some() {
        return;
    }
    emit(outcome.reply, c.client.proto);
}

/// Ends a block the way a timeout does.
fn time_out(srv: &Server, c: &mut Cl) {
    if let Some(w) = c.client.waiter.take() {
        let st = std::mem::replace(&mut *w.state.lock(), WaitState::Cancelled);
        tessera::blocking::finish(srv, &w);
        if let WaitState::Served(r) = st {
            emit(Some(r), c.client.proto);
        }
    }
}

/// Delivers the replies writers served in place to blocked clients.
fn settle(srv: &Server, clients: &mut [Cl]) {
    for c in clients.iter_mut() {
        let Some(w) = c.client.waiter.clone() else {
            continue;
        };
        let st = {
            let mut st = w.state.lock();
            if !matches!(&*st, WaitState::Served(_)) {
                continue;
            }
            std::mem::replace(&mut *st, WaitState::Cancelled)
        };
        c.client.waiter = None;
        tessera::blocking::finish(srv, &w);
        if let WaitState::Served(r) = st {
            emit(Some(r), c.client.proto);
        }
    }
}

fn new_server() -> Server {
    let config = Config::new();
    config
        .load_text(
            "databases 16\nshards 4\nenable-debug-command no\nlua-time-limit 100\n",
            "fuzz",
            0,
        )
        .expect("config");
    Server::new(config)
}

/// Building a server costs milliseconds (command table, Lua): one serves every input,
/// and is brought back to its initial state before each.
fn server() -> &'static Server {
    static SRV: OnceLock<Server> = OnceLock::new();
    SRV.get_or_init(new_server)
}

const RESET: &[&[&str]] = &[
    &["flushall", "sync"],
    &["script", "flush", "sync"],
    &["function", "flush", "sync"],
    &["config", "resetstat"],
    &["slowlog", "reset"],
    &["latency", "reset"],
    &["client", "unpause"],
    &[
        "config",
        "set",
        "maxmemory",
        "0",
        "maxmemory-policy",
        "noeviction",
        "notify-keyspace-events",
        "",
        "list-max-listpack-size",
        "-2",
        "hash-max-listpack-entries",
        "128",
        "zset-max-listpack-entries",
        "128",
        "set-max-intset-entries",
        "512",
        "lua-time-limit",
        "100",
        "slowlog-log-slower-than",
        "10000",
        "latency-monitor-threshold",
        "0",
        "timeout",
        "0",
    ],
];

/// Set when an input ran a scripting command: flushing scripts builds a new Lua state,
/// which costs more than a typical input, so it's done only when needed.
static SCRIPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

fn reset(srv: &Server) {
    let mut c = new_client(srv);
    let scripted = SCRIPTED.swap(false, Ordering::Relaxed);
    for cmd in RESET {
        if !scripted && matches!(cmd[0], "script" | "function") {
            continue;
        }
        let args: Vec<Bytes> = cmd
            .iter()
            .map(|a| Bytes::from_static(a.as_bytes()))
            .collect();
        let o = dispatch::execute(srv, &mut c.client, &args);
        if let Some(tessera::resp::Reply::Error(e)) = o.reply {
            panic!("reset {cmd:?}: {e:?}");
        }
    }
    srv.clients.lock().remove(&c.client.info.id);
}

/// `FUZZ_SEEDS=<dir>`: encodes the command sequences of `seeds/exec.txt` (one command
/// per line, quoted like redis-cli input, `@client N` switches the client, a blank line ends a sequence) into seed
/// inputs in `<dir>` (once; run with `-runs=1`). Tokens not in `TOKENS` go raw (up to 7 bytes).
fn write_seeds(dir: &str, names: &[String]) {
    let text = include_str!("../seeds/exec.txt");
    let mut n = 0;
    for seq in text.split("\n\n") {
        let mut out = Vec::new();
        let mut client = 0u8;
        for line in seq.lines().filter(|l| !l.starts_with('#')) {
            let words = tessera::resp::split_args(line.as_bytes()).expect("seed quoting");
            let words: Vec<String> = words
                .into_iter()
                .map(|w| String::from_utf8(w).unwrap())
                .collect();
            let words: Vec<&str> = words.iter().map(|w| w.as_str()).collect();
            if words.is_empty() {
                continue;
            }
            if words[0] == "@client" {
                client = words[1].parse().unwrap();
                continue;
            }
            let two = words
                .get(1)
                .map(|w| format!("{}|{}", words[0], w.to_lowercase()));
            let (idx, rest) = match two.and_then(|t| names.iter().position(|n| *n == t)) {
                Some(i) => (i, &words[2..]),
                None => match names.iter().position(|n| *n == words[0]) {
                    Some(i) => (i, &words[1..]),
                    None => {
                        eprintln!("seed: not in the table, skipped: {line}");
                        continue;
                    }
                },
            };
            let rest = &rest[..rest.len().min(6)];
            out.push(client | (rest.len() as u8) << 1 | ((idx >> 8) as u8) << 4);
            out.push(idx as u8);
            for w in rest {
                match TOKENS.iter().position(|t| *t == *w) {
                    Some(t) => out.push(t as u8),
                    None => {
                        let b = &w.as_bytes()[..w.len().min(7)];
                        out.push(0xE0 | b.len() as u8);
                        out.extend_from_slice(b);
                    }
                }
            }
        }
        if !out.is_empty() {
            std::fs::write(format!("{dir}/seed-{n:03}"), &out).unwrap();
            n += 1;
        }
    }
    eprintln!("{n} seeds written to {dir}");
}

fuzz_target!(|data: &[u8]| {
    let srv = server();
    static SEEDED: std::sync::Once = std::sync::Once::new();
    if let Some(dir) = std::env::var_os("FUZZ_SEEDS") {
        SEEDED.call_once(|| write_seeds(&dir.to_string_lossy(), commands(srv)));
    }
    reset(srv);
    let names = commands(srv);
    let mut clients = vec![new_client(srv), new_client(srv)];
    let mut i = 0;
    let mut n = 0;
    while i + 1 < data.len() && n < 32 {
        n += 1;
        let head = data[i];
        // The table has more than 256 names: one header bit extends the index.
        let idx = data[i + 1] as usize | (((head >> 4) & 1) as usize) << 8;
        let name = &names[idx % names.len()];
        i += 2;
        let mut args: Vec<Bytes> = name
            .split('|')
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect();
        for _ in 0..((head >> 1) & 7).min(6) {
            let Some(&t) = data.get(i) else { break };
            i += 1;
            if t < 0xE0 {
                args.push(Bytes::from_static(
                    TOKENS[t as usize % TOKENS.len()].as_bytes(),
                ));
            } else {
                let len = ((t & 7) as usize).min(data.len() - i);
                args.push(Bytes::copy_from_slice(&data[i..i + len]));
                i += len;
            }
        }
        let c = &mut clients[(head & 1) as usize];
        if ["eval", "script", "function", "fcall"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            SCRIPTED.store(true, Ordering::Relaxed);
        }
        // The whole command table with docs: correct, but slow enough (tens of ms) to
        // turn into "slow unit" noise when repeated.
        if args.len() <= 2 && matches!(name.as_str(), "command" | "command|docs") {
            continue;
        }
        // A negative count asks for that many random picks, repeats allowed: valid in
        // Redis too (which also builds the whole reply), but billions of them exhaust
        // memory in any server. Not a bug to find again and again.
        if matches!(name.as_str(), "hrandfield" | "srandmember" | "zrandmember")
            && args
                .get(2)
                .and_then(|c| std::str::from_utf8(c).ok()?.parse::<i64>().ok())
                .is_some_and(|c| c < -100_000)
        {
            continue;
        }
        if std::env::var_os("FUZZ_TRACE").is_some() {
            let shown: Vec<String> = args
                .iter()
                .map(|a| format!("{:?}", String::from_utf8_lossy(a)))
                .collect();
            eprintln!("client {}: {}", head & 1, shown.join(" "));
        }
        // A blocked connection runs nothing else: its block ends first (as a timeout).
        time_out(srv, c);
        run(srv, c, &args);
        settle(srv, &mut clients);
    }
    for mut c in clients {
        time_out(srv, &mut c);
        tessera::commands::transaction::on_disconnect(srv, &mut c.client);
        srv.clients.lock().remove(&c.client.info.id);
        tessera::commands::on_disconnect(srv, &c.client.info);
    }
});
