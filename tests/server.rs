//! Server commands: INFO, CONFIG, COMMAND, TIME, LASTSAVE, SHUTDOWN, SLOWLOG, MONITOR,
//! LATENCY, DEBUG.

mod common;
use common::*;
use redis::Value;
use std::time::Duration;

fn field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in INFO"))
        .trim_end()
        .to_string()
}
fn arr(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        Value::Set(a) => a,
        other => panic!("not an array: {other:?}"),
    }
}

#[test]
fn info_sections_and_fields() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    q(&mut c, &["SET", "a", "1"]);
    q(&mut c, &["SET", "b", "2"]);
    q(&mut c, &["GET", "a"]);
    q(&mut c, &["GET", "nokey"]);
    q(&mut c, &["NOSUCHCOMMAND"]);
    q(&mut c, &["GET"]);
    let info = text(&q(&mut c, &["INFO"]));
    assert!(
        info.starts_with("# Server\r\nredis_version:7.2.4\r\n"),
        "{info}"
    );
    assert!(info.lines().all(|l| !l.contains('\n')));
    assert!(info.contains("\r\n\r\n# Clients\r\n"));
    for section in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Modules",
        "# Errorstats",
        "# Cluster",
        "# Keyspace",
    ] {
        assert!(info.contains(&format!("{section}\r\n")), "{section}");
    }
    assert!(!info.contains("# Commandstats"));
    assert_eq!(field(&info, "tcp_port"), srv.port.to_string());
    assert_eq!(field(&info, "redis_mode"), "standalone");
    assert!(field(&info, "uptime_in_seconds").parse::<u64>().is_ok());
    assert_eq!(field(&info, "connected_clients"), "1");
    assert_eq!(field(&info, "blocked_clients"), "0");
    let used: u64 = field(&info, "used_memory").parse().unwrap();
    assert!(used > 0);
    assert!(field(&info, "used_memory_human").ends_with(['K', 'M', 'B']));
    assert_eq!(field(&info, "maxmemory"), "0");
    assert_eq!(field(&info, "maxmemory_policy"), "noeviction");
    assert_eq!(field(&info, "rdb_changes_since_last_save"), "2");
    assert!(
        field(&info, "total_commands_processed")
            .parse::<u64>()
            .unwrap()
            >= 3
    );
    assert!(field(&info, "instantaneous_ops_per_sec")
        .parse::<u64>()
        .is_ok());
    assert_eq!(field(&info, "keyspace_hits"), "1");
    assert_eq!(field(&info, "keyspace_misses"), "1");
    assert_eq!(field(&info, "expired_keys"), "0");
    assert_eq!(field(&info, "evicted_keys"), "0");
    assert_eq!(field(&info, "role"), "master");
    assert_eq!(field(&info, "connected_slaves"), "0");
    assert_eq!(field(&info, "master_replid").len(), 40);
    assert!(field(&info, "used_cpu_sys").contains('.'));
    assert!(field(&info, "used_cpu_user").parse::<f64>().is_ok());
    assert_eq!(field(&info, "errorstat_ERR"), "count=2");
    assert_eq!(field(&info, "db0"), "keys=2,expires=0,avg_ttl=0");
    assert_eq!(field(&info, "cluster_enabled"), "0");

    // Sections by name, several at once, any case; unknown ones are ignored.
    let info = text(&q(&mut c, &["INFO", "CPU", "keyspace", "nosuch"]));
    assert!(info.starts_with("# CPU\r\n"), "{info}");
    assert!(info.contains("\r\n\r\n# Keyspace\r\ndb0:"));
    assert!(!info.contains("# Server"));
    assert_eq!(text(&q(&mut c, &["INFO", "nosuch"])), "");

    let info = text(&q(&mut c, &["INFO", "commandstats"]));
    let get = field(&info, "cmdstat_get");
    assert!(get.starts_with("calls=2,usec="), "{get}");
    assert!(get.contains(",usec_per_call="));
    assert!(get.ends_with(",rejected_calls=1,failed_calls=0"), "{get}");
    assert!(info.contains("cmdstat_info:"));

    let all = text(&q(&mut c, &["INFO", "all"]));
    assert!(all.contains("# Commandstats") && all.contains("# Server"));
    let every = text(&q(&mut c, &["INFO", "everything"]));
    assert!(every.contains("# Commandstats"));
    let default = text(&q(&mut c, &["INFO", "default"]));
    assert!(!default.contains("# Commandstats") && default.contains("# Keyspace"));

    // RESP3: a verbatim string.
    let mut r = srv.raw();
    r.cmd(&[b"HELLO", b"3"]);
    r.read_reply();
    r.cmd(&[b"INFO", b"cluster"]);
    assert_eq!(
        r.read_reply(),
        b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"
    );
}

/// INFO inside MULTI/EXEC (which holds the shard locks) must not deadlock.
#[test]
fn info_inside_exec() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    r.send(b"MULTI\r\nSET a 1\r\nINFO keyspace\r\nEXEC\r\n");
    assert_eq!(r.read_reply(), b"+OK\r\n");
    assert_eq!(r.read_reply(), b"+QUEUED\r\n");
    assert_eq!(r.read_reply(), b"+QUEUED\r\n");
    let reply = String::from_utf8(r.read_reply()).unwrap();
    assert!(reply.contains("db0:keys=1,expires=0,avg_ttl=0"), "{reply}");
    let mut c = srv.conn();
    assert_eq!(q(&mut c, &["GET", "a"]), b("1"));
}

#[test]
fn config_get_set() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "maxmemory"]),
        Value::Array(vec![b("maxmemory"), b("0")])
    );
    assert_eq!(
        q(
            &mut c,
            &[
                "CONFIG",
                "SET",
                "maxmemory",
                "10mb",
                "maxmemory-policy",
                "allkeys-lru"
            ]
        ),
        Value::Okay
    );
    let v = arr(q(
        &mut c,
        &["CONFIG", "GET", "maxmemory", "maxmemory-policy"],
    ));
    assert_eq!(v.len(), 4);
    assert!(v.contains(&b("10485760")) && v.contains(&b("allkeys-lru")));
    let info = text(&q(&mut c, &["INFO", "memory"]));
    assert_eq!(field(&info, "maxmemory"), "10485760");
    assert_eq!(field(&info, "maxmemory_human"), "10.00M");
    assert_eq!(field(&info, "maxmemory_policy"), "allkeys-lru");
    // Patterns.
    let v = arr(q(&mut c, &["CONFIG", "GET", "maxmemory-*"]));
    assert!(v.len() >= 6 && v.len().is_multiple_of(2));
    assert_eq!(arr(q(&mut c, &["CONFIG", "GET", "nosuch*"])).len(), 0);
    // Atomic: one bad value rejects all.
    assert_eq!(
        err_text(&q(&mut c, &["CONFIG", "SET", "maxmemory", "20mb", "hz", "abc"])),
        "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
    );
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "maxmemory"]),
        Value::Array(vec![b("maxmemory"), b("10485760")])
    );
    assert_eq!(
        err_text(&q(
            &mut c,
            &["CONFIG", "SET", "maxmemory", "1mb", "maxmemory", "2mb"]
        )),
        "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CONFIG", "SET", "foo", "bar"])),
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CONFIG", "SET", "maxmemory"])),
        "ERR wrong number of arguments for 'config|set' command"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CONFIG", "SET", "maxmemory", "1", "hz"])),
        "ERR wrong number of arguments for 'config|set' command"
    );
    assert_eq!(
        err_text(&q(&mut c, &["CONFIG", "SET", "daemonize", "yes"])),
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
    );
    // dir changes the working directory; a bad one fails.
    let dir = std::env::temp_dir().join(format!("tessera-dir-{}", srv.port));
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.canonicalize().unwrap();
    assert_eq!(
        q(&mut c, &["CONFIG", "SET", "dir", dir.to_str().unwrap()]),
        Value::Okay
    );
    assert_eq!(
        q(&mut c, &["CONFIG", "GET", "dir"]),
        Value::Array(vec![b("dir"), b(dir.to_str().unwrap())])
    );
    assert_eq!(
        err_text(&q(&mut c, &["CONFIG", "SET", "dir", "/nonexistent/x"])),
        "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"
    );
    assert_eq!(
        q(&mut c, &["CONFIG", "SET", "loglevel", "warning"]),
        Value::Okay
    );
    // Runtime effect of a hot value: slowlog threshold.
    assert_eq!(
        q(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
        Value::Okay
    );
    q(&mut c, &["SLOWLOG", "RESET"]);
    q(&mut c, &["PING"]);
    assert!(matches!(q(&mut c, &["SLOWLOG", "LEN"]), Value::Int(n) if n >= 1));
    match q(&mut c, &["CONFIG", "HELP"]) {
        Value::Array(l) => assert_eq!(
            l[0],
            s("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        ),
        v => panic!("{v:?}"),
    }
}

#[test]
fn config_resetstat_and_rewrite() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    q(&mut c, &["GET", "x"]);
    q(&mut c, &["NOSUCH"]);
    assert_eq!(q(&mut c, &["CONFIG", "RESETSTAT"]), Value::Okay);
    let info = text(&q(&mut c, &["INFO", "everything"]));
    assert_eq!(field(&info, "keyspace_misses"), "0");
    assert_eq!(field(&info, "total_error_replies"), "0");
    assert!(!info.contains("cmdstat_get:"));
    assert!(!info.contains("errorstat_ERR"));
    assert_eq!(
        err_text(&q(&mut c, &["CONFIG", "REWRITE"])),
        "ERR The server is running without a config file"
    );

    // With a config file: REWRITE keeps comments and writes changed values.
    let (srv2, path) = TestServer::start_with_config(
        "# my comment\nmaxmemory 1mb\nhz 10\nsave \"\"\nappendonly no\n",
        &[],
    );
    let mut c2 = srv2.conn();
    assert_eq!(
        q(
            &mut c2,
            &[
                "CONFIG",
                "SET",
                "maxmemory",
                "2mb",
                "maxmemory-policy",
                "allkeys-lfu"
            ]
        ),
        Value::Okay
    );
    assert_eq!(q(&mut c2, &["CONFIG", "REWRITE"]), Value::Okay);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("# my comment\nmaxmemory 2097152\nhz 10\n"),
        "{text}"
    );
    assert!(text.contains("maxmemory-policy allkeys-lfu"), "{text}");
    // The rewritten file starts a server with the same values.
    drop(srv2);
    let (srv3, _) = TestServer::start_with_config(&text, &[]);
    let mut c3 = srv3.conn();
    assert_eq!(
        q(&mut c3, &["CONFIG", "GET", "maxmemory-policy"]),
        Value::Array(vec![b("maxmemory-policy"), b("allkeys-lfu")])
    );
}

#[test]
fn command_introspection() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    let count = match q(&mut c, &["COMMAND", "COUNT"]) {
        Value::Int(n) => n,
        v => panic!("{v:?}"),
    };
    let all = arr(q(&mut c, &["COMMAND"]));
    assert_eq!(all.len() as i64, count);
    // COMMAND INFO get: name, arity, flags, first, last, step, ACL categories, tips,
    // key specs, subcommands.
    let info = arr(q(&mut c, &["COMMAND", "INFO", "get", "nosuch"]));
    assert_eq!(info[1], Value::Nil);
    let get = arr(info[0].clone());
    assert_eq!(get[0], b("get"));
    assert_eq!(get[1], Value::Int(2));
    assert_eq!(arr(get[2].clone()), vec![s("readonly"), s("fast")]);
    assert_eq!(&get[3..6], &[Value::Int(1), Value::Int(1), Value::Int(1)]);
    assert_eq!(
        arr(get[6].clone()),
        vec![s("@read"), s("@string"), s("@fast")]
    );
    assert_eq!(arr(get[7].clone()), vec![]);
    let specs = arr(get[8].clone());
    assert_eq!(specs.len(), 1);
    let spec = format!("{:?}", specs[0]);
    for part in [
        "\"RO\"",
        "\"access\"",
        "begin_search",
        "index",
        "find_keys",
        "range",
        "lastkey",
        "keystep",
        "limit",
    ] {
        assert!(spec.contains(part), "{part} in {spec}");
    }
    let set = arr(arr(q(&mut c, &["COMMAND", "INFO", "SET"]))[0].clone());
    assert_eq!(&set[3..6], &[Value::Int(1), Value::Int(1), Value::Int(1)]);
    assert_eq!(set[1], Value::Int(-3));
    // Containers list their subcommands; subcommands can be asked for directly.
    let config = arr(arr(q(&mut c, &["COMMAND", "INFO", "config"]))[0].clone());
    let subs = arr(config[9].clone());
    assert!(subs.iter().any(|s| arr(s.clone())[0] == b("config|get")));
    let cg = arr(arr(q(&mut c, &["COMMAND", "INFO", "config|get"]))[0].clone());
    assert_eq!(cg[1], Value::Int(-3));
    assert_eq!(
        arr(cg[6].clone()),
        vec![s("@admin"), s("@slow"), s("@dangerous")]
    );

    // LIST and filters.
    let list = arr(q(&mut c, &["COMMAND", "LIST"]));
    assert!(list.contains(&b("get")) && list.contains(&b("config|get")));
    let list = arr(q(
        &mut c,
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*"],
    ));
    assert!(list.contains(&b("config")) && list.contains(&b("config|set")));
    assert!(!list.contains(&b("get")));
    let list = arr(q(
        &mut c,
        &["COMMAND", "LIST", "FILTERBY", "ACLCAT", "string"],
    ));
    assert!(list.contains(&b("get")) && !list.contains(&b("ping")));
    assert_eq!(
        arr(q(&mut c, &["COMMAND", "LIST", "FILTERBY", "MODULE", "x"])),
        vec![]
    );
    assert_eq!(
        err_text(&q(&mut c, &["COMMAND", "LIST", "FILTERBY", "FOO", "x"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["COMMAND", "LIST", "FOO"])),
        "ERR syntax error"
    );

    // GETKEYS / GETKEYSANDFLAGS.
    assert_eq!(
        q(&mut c, &["COMMAND", "GETKEYS", "del", "a", "b"]),
        Value::Array(vec![b("a"), b("b")])
    );
    assert_eq!(
        q(&mut c, &["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"]),
        Value::Array(vec![Value::Array(vec![
            b("k"),
            Value::Array(vec![s("RW"), s("access"), s("update"), s("variable_flags")])
        ])])
    );
    assert_eq!(
        err_text(&q(&mut c, &["COMMAND", "GETKEYS", "nosuch", "a"])),
        "ERR Invalid command specified"
    );
    assert_eq!(
        err_text(&q(&mut c, &["COMMAND", "GETKEYS", "ping", "x"])),
        "ERR The command has no key arguments"
    );
    assert_eq!(
        err_text(&q(&mut c, &["COMMAND", "GETKEYS", "get", "a", "b"])),
        "ERR Invalid number of arguments specified for command"
    );
    assert_eq!(
        err_text(&q(&mut c, &["COMMAND", "GETKEYS", "get"])),
        "ERR Invalid number of arguments specified for command"
    );
    assert_eq!(
        err_text(&q(&mut c, &["COMMAND", "GETKEYS"])),
        "ERR wrong number of arguments for 'command|getkeys' command"
    );
    match q(&mut c, &["COMMAND", "HELP"]) {
        Value::Array(l) => assert_eq!(
            l[0],
            s("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        ),
        v => panic!("{v:?}"),
    }
}

#[test]
fn command_docs() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    r.cmd(&[b"HELLO", b"3"]);
    r.read_reply();
    r.cmd(&[b"COMMAND", b"DOCS", b"get", b"nosuch"]);
    let reply = String::from_utf8(r.read_reply()).unwrap();
    assert!(
        reply.starts_with("%1\r\n$3\r\nget\r\n%4\r\n$7\r\nsummary\r\n"),
        "{reply}"
    );
    assert!(reply.contains("$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n"));
    assert!(
        reply.contains(
            "$9\r\narguments\r\n*1\r\n%4\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\ntype\r\n$3\r\nkey\r\n"
        ),
        "{reply}"
    );
    assert!(reply.contains("$14\r\nkey_spec_index\r\n:0\r\n"));
    // SET's optional arguments carry tokens and flags (redis-cli builds hints from them).
    r.cmd(&[b"COMMAND", b"DOCS", b"set"]);
    let reply = String::from_utf8(r.read_reply()).unwrap();
    assert!(reply.contains("$5\r\ntoken\r\n$2\r\nNX\r\n"), "{reply}");
    assert!(
        reply.contains("$5\r\nflags\r\n~1\r\n+optional\r\n"),
        "{reply}"
    );
    assert!(reply.contains("$5\r\noneof\r\n"));
    // Containers document their subcommands.
    r.cmd(&[b"COMMAND", b"DOCS", b"config"]);
    let reply = String::from_utf8(r.read_reply()).unwrap();
    assert!(reply.contains("$11\r\nsubcommands\r\n") && reply.contains("$10\r\nconfig|get\r\n"));
    // All commands.
    let mut c = srv.conn();
    let n = match q(&mut c, &["COMMAND", "COUNT"]) {
        Value::Int(n) => n as usize,
        v => panic!("{v:?}"),
    };
    assert_eq!(arr(q(&mut c, &["COMMAND", "DOCS"])).len(), n * 2);
}

#[test]
fn time_lastsave() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    let t = arr(q(&mut c, &["TIME"]));
    let secs: u64 = text(&t[0]).parse().unwrap();
    let us: u64 = text(&t[1]).parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(secs.abs_diff(now) < 5 && us < 1_000_000);
    match q(&mut c, &["LASTSAVE"]) {
        Value::Int(n) => assert!((n as u64).abs_diff(now) < 60),
        v => panic!("{v:?}"),
    }
}

#[test]
fn slowlog() {
    let srv = TestServer::start_with(&["--slowlog-log-slower-than", "0"]);
    let mut c = srv.conn();
    assert_eq!(q(&mut c, &["SLOWLOG", "RESET"]), Value::Okay);
    q(&mut c, &["CLIENT", "SETNAME", "sl"]);
    q(&mut c, &["SET", "k", "v"]);
    let entries = arr(q(&mut c, &["SLOWLOG", "GET", "1"]));
    assert_eq!(entries.len(), 1);
    let e = arr(entries[0].clone());
    assert_eq!(e.len(), 6);
    assert!(matches!(e[0], Value::Int(_)) && matches!(e[1], Value::Int(_)));
    assert_eq!(e[3], Value::Array(vec![b("SET"), b("k"), b("v")]));
    assert!(text(&e[4]).starts_with("127.0.0.1:"));
    assert_eq!(e[5], b("sl"));
    assert!(matches!(q(&mut c, &["SLOWLOG", "LEN"]), Value::Int(n) if n >= 3));
    assert!(arr(q(&mut c, &["SLOWLOG", "GET", "-1"])).len() >= 3);
    assert!(arr(q(&mut c, &["SLOWLOG", "GET"])).len() >= 3);
    assert_eq!(arr(q(&mut c, &["SLOWLOG", "GET", "0"])).len(), 0);
    assert_eq!(
        err_text(&q(&mut c, &["SLOWLOG", "GET", "-2"])),
        "ERR count should be greater than or equal to -1"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SLOWLOG", "GET", "x"])),
        "ERR count should be greater than or equal to -1"
    );
    assert_eq!(q(&mut c, &["SLOWLOG", "RESET"]), Value::Okay);
    assert!(matches!(q(&mut c, &["SLOWLOG", "LEN"]), Value::Int(n) if n <= 1));
    assert!(matches!(q(&mut c, &["SLOWLOG", "HELP"]), Value::Array(_)));
}

#[test]
fn monitor() {
    let srv = TestServer::start();
    let mut m = srv.raw();
    m.cmd(&[b"MONITOR"]);
    assert_eq!(m.read_reply(), b"+OK\r\n");
    let mut c = srv.conn();
    q(&mut c, &["SET", "mk", "a b\"c"]);
    // The client library's own handshake (CLIENT SETINFO) may come first.
    let mut line = String::from_utf8(m.read_reply()).unwrap();
    while !line.contains("\"SET\"") {
        line = String::from_utf8(m.read_reply()).unwrap();
    }
    assert!(line.starts_with('+'), "{line}");
    assert!(line.ends_with(" \"SET\" \"mk\" \"a b\\\"c\"\r\n"), "{line}");
    assert!(line.contains(" [0 127.0.0.1:"));
}

#[test]
fn latency_monitor_records_slow_commands() {
    let srv = TestServer::start_with(&[
        "--enable-debug-command",
        "yes",
        "--latency-monitor-threshold",
        "100",
    ]);
    let mut c = srv.conn();
    assert_eq!(
        err_text(&q(&mut c, &["LATENCY", "GRAPH", "command"])),
        "ERR No samples available for event 'command'"
    );
    assert_eq!(q(&mut c, &["DEBUG", "SLEEP", "0.25"]), Value::Okay);
    let latest = arr(q(&mut c, &["LATENCY", "LATEST"]));
    assert_eq!(latest.len(), 1);
    let e = arr(latest[0].clone());
    assert_eq!(e[0], b("command"));
    assert!(
        matches!(e[2], Value::Int(ms) if (250..5000).contains(&ms)),
        "{e:?}"
    );
    assert_eq!(e[2], e[3]);
    let h = arr(q(&mut c, &["LATENCY", "HISTORY", "command"]));
    assert_eq!(h.len(), 1);
    assert_eq!(arr(h[0].clone())[1], e[2]);
    assert!(text(&q(&mut c, &["LATENCY", "DOCTOR"])).contains("1. command: 1 latency spikes"));
    assert!(text(&q(&mut c, &["LATENCY", "GRAPH", "command"])).starts_with("command - high "));
    assert_eq!(q(&mut c, &["LATENCY", "RESET", "nosuch"]), Value::Int(0));
    assert_eq!(q(&mut c, &["LATENCY", "RESET"]), Value::Int(1));
    assert_eq!(q(&mut c, &["LATENCY", "LATEST"]), Value::Array(vec![]));
}

#[test]
fn latency() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(q(&mut c, &["LATENCY", "LATEST"]), Value::Array(vec![]));
    assert_eq!(
        q(&mut c, &["LATENCY", "HISTORY", "command"]),
        Value::Array(vec![])
    );
    assert_eq!(q(&mut c, &["LATENCY", "RESET"]), Value::Int(0));
    assert!(text(&q(&mut c, &["LATENCY", "DOCTOR"])).contains("no latency spike"));
    q(&mut c, &["SET", "k", "v"]);
    q(&mut c, &["SET", "k", "v"]);
    let h = arr(q(&mut c, &["LATENCY", "HISTOGRAM", "set", "get"]));
    assert_eq!(h[0], b("set"));
    assert_eq!(h.len(), 2);
    // {calls: 2, histogram_usec: {1: n, 2: n, 4: n, ..., 2^k: 2}} (cumulative).
    let m = arr(h[1].clone());
    assert_eq!(m[0], b("calls"));
    assert_eq!(m[1], Value::Int(2));
    assert_eq!(m[2], b("histogram_usec"));
    let buckets = arr(m[3].clone());
    assert!(!buckets.is_empty() && buckets.len().is_multiple_of(2));
    assert_eq!(buckets[0], Value::Int(1));
    assert_eq!(buckets.last(), Some(&Value::Int(2)));
    let info = text(&q(&mut c, &["INFO", "latencystats"]));
    assert!(info.starts_with("# Latencystats\r\n"), "{info}");
    let line = field(&info, "latency_percentiles_usec_set");
    let parts: Vec<&str> = line.split(',').collect();
    assert_eq!(parts.len(), 3, "{line}");
    assert!(
        parts[0].starts_with("p50=")
            && parts[1].starts_with("p99=")
            && parts[2].starts_with("p99.9=")
    );
    assert!(parts[0].ends_with(".000"));
    assert!(text(&q(&mut c, &["INFO", "everything"])).contains("# Latencystats"));
    assert!(!text(&q(&mut c, &["INFO"])).contains("# Latencystats"));
    assert!(matches!(q(&mut c, &["LATENCY", "HELP"]), Value::Array(_)));
}

#[test]
fn shutdown_with_clients_connected() {
    let mut srv = TestServer::start();
    let mut idle = srv.raw();
    idle.cmd(&[b"PING"]);
    idle.read_reply();
    let mut c = srv.conn();
    assert_eq!(
        err_text(&q(&mut c, &["SHUTDOWN", "ABORT"])),
        "ERR No shutdown in progress."
    );
    assert_eq!(
        err_text(&q(&mut c, &["SHUTDOWN", "FOO"])),
        "ERR syntax error"
    );
    assert_eq!(
        err_text(&q(&mut c, &["SHUTDOWN", "SAVE", "NOSAVE"])),
        "ERR syntax error"
    );
    let mut r = srv.raw();
    r.cmd(&[b"SHUTDOWN", b"NOSAVE", b"NOW", b"FORCE"]);
    assert!(r.closed());
    assert_eq!(srv.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(idle.closed());
}

#[test]
fn debug_gating() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    assert_eq!(
        err_text(&q(&mut c, &["DEBUG", "SLEEP", "0"])),
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
    );
    let local = TestServer::start_with(&["--enable-debug-command", "local"]);
    let mut c = local.conn();
    assert_eq!(q(&mut c, &["DEBUG", "SLEEP", "0"]), Value::Okay);
}

#[test]
fn debug_subcommands() {
    let srv = TestServer::start_with(&["--enable-debug-command", "yes"]);
    let mut c = srv.conn();
    assert_eq!(q(&mut c, &["DEBUG", "SLEEP", "0.01"]), Value::Okay);
    assert_eq!(q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), Value::Okay);
    assert_eq!(q(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), Value::Okay);
    assert_eq!(
        err_text(&q(&mut c, &["DEBUG", "OBJECT", "nokey"])),
        "ERR no such key"
    );
    q(&mut c, &["SET", "foo", "bar"]);
    let o = text(&q(&mut c, &["DEBUG", "OBJECT", "foo"]));
    assert!(
        o.starts_with("Value at:0x")
            && o.contains(" refcount:1 encoding:embstr serializedlength:4 lru:"),
        "{o}"
    );
    assert!(o.contains(" lru_seconds_idle:"));
    // Digests match real Redis for the same data (checked against redis-server 7.0).
    assert_eq!(
        q(&mut c, &["DEBUG", "DIGEST-VALUE", "foo", "nokey"]),
        Value::Array(vec![
            s("68467c70ae30376e7ce005bcc8827f5ba7fd67dc"),
            s("0000000000000000000000000000000000000000")
        ])
    );
    assert_eq!(
        q(&mut c, &["DEBUG", "DIGEST"]),
        s("d2ab4820c1be0580ea28efbfe8bfa1dc05bb802a")
    );
    q(&mut c, &["DEL", "foo"]);
    assert_eq!(
        q(&mut c, &["DEBUG", "DIGEST"]),
        s("0000000000000000000000000000000000000000")
    );
    let before = field(&text(&q(&mut c, &["INFO", "replication"])), "master_replid");
    assert_eq!(q(&mut c, &["DEBUG", "CHANGE-REPL-ID"]), Value::Okay);
    let after = field(&text(&q(&mut c, &["INFO", "replication"])), "master_replid");
    assert_ne!(before, after);
    assert_eq!(
        q(&mut c, &["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"]),
        Value::Okay
    );
    assert_eq!(
        err_text(&q(&mut c, &["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "abc"])),
        "ERR argument must be a memory value bigger than 1 and smaller than 4gb"
    );
    assert_eq!(
        err_text(&q(&mut c, &["DEBUG", "LISTPACK", "nokey"])),
        "ERR no such key"
    );
    assert_eq!(
        q(&mut c, &["DEBUG", "STRINGMATCH-LEN"]),
        s("Apparently Redis did not crash: test passed")
    );
    assert_eq!(q(&mut c, &["DEBUG", "JMAP"]), Value::Okay);
    assert_eq!(q(&mut c, &["DEBUG", "LOG", "hello"]), Value::Okay);
    assert_eq!(
        err_text(&q(&mut c, &["DEBUG", "ERROR", "MYERR boom"])),
        "MYERR boom"
    );
    assert_eq!(
        err_text(&q(&mut c, &["DEBUG", "FOO"])),
        "ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP."
    );
    assert_eq!(
        err_text(&q(&mut c, &["DEBUG", "PROTOCOL", "x"])),
        "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
    );
    match q(&mut c, &["DEBUG", "HELP"]) {
        Value::Array(l) => assert_eq!(
            l[0],
            s("DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        ),
        v => panic!("{v:?}"),
    }
}

/// DEBUG DIGEST / DIGEST-VALUE of every type match real Redis (values from redis-server
/// 7.0 for the same commands). Runs only when the collection families are present.
#[test]
fn debug_digest_matches_redis_for_collections() {
    let srv = TestServer::start_with(&["--enable-debug-command", "yes"]);
    let mut c = srv.conn();
    for cmd in [
        &["RPUSH", "l", "a", "b", "c"][..],
        &["SADD", "s", "a", "b"],
        &["HSET", "h", "a", "1", "b", "2"],
        &["ZADD", "z", "1", "a", "2.5", "b"],
        &["SET", "foo", "bar"],
        &["EXPIRE", "l", "100"],
    ] {
        if let Value::ServerError(e) = q(&mut c, cmd) {
            eprintln!("skipping: {} not available ({e:?})", cmd[0]);
            return;
        }
    }
    assert_eq!(
        q(&mut c, &["DEBUG", "DIGEST-VALUE", "l", "s", "h", "z"]),
        Value::Array(vec![
            s("6d72d37ef94804fd783118395e81c3da7f08be0a"),
            s("dd99329063ca0f1f28df2ac68d94b82fd95501c6"),
            s("6c8f22b3bf510fdcfd6122dd0f908a80e88243bf"),
            s("c45c5b051acd64070e5ed1a949939d5145f806c5"),
        ])
    );
    assert_eq!(
        q(&mut c, &["DEBUG", "DIGEST"]),
        s("5acaf1ff48e1f8bf599ea63f9c8294bd7f34b3f9")
    );
}
