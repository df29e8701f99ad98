//! Every configuration parameter, once: name, aliases, type, default, mutability.
//!
//! Parameters that a later capability will implement (replication, ACL, ...) are listed with
//! Redis's defaults already, so stock redis.conf files and `--param value` flags load.

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Bool,
    Int(i64, i64),
    /// A memory size: accepts units (1gb, 100mb, 1k), CONFIG GET shows bytes.
    Mem(i64, i64),
    Enum(&'static [&'static str]),
    Str,
    /// `save "<seconds> <changes> ..."`
    Save,
    /// `notify-keyspace-events` flag letters.
    Notify,
    /// `client-output-buffer-limit <class> <hard> <soft> <seconds> ...`
    ClientOutputBufferLimit,
    /// A space-separated list given as several arguments (bind, replicaof, ...).
    List,
}

#[derive(Clone, Copy, Debug)]
pub struct ParamDef {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub kind: Kind,
    pub default: &'static str,
    pub mutable: bool,
}

const fn p(name: &'static str, kind: Kind, default: &'static str, mutable: bool) -> ParamDef {
    ParamDef {
        name,
        aliases: &[],
        kind,
        default,
        mutable,
    }
}

const fn pa(
    name: &'static str,
    aliases: &'static [&'static str],
    kind: Kind,
    default: &'static str,
    mutable: bool,
) -> ParamDef {
    ParamDef {
        name,
        aliases,
        kind,
        default,
        mutable,
    }
}

const I: i64 = i32::MAX as i64;
const L: i64 = i64::MAX;
const YESNO_LOCAL: &[&str] = &["no", "yes", "local"];

pub const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];

use Kind::*;

pub static PARAMS: &[ParamDef] = &[
    // Network and clients.
    p("bind", List, "127.0.0.1 -::1", true),
    p("bind-source-addr", Str, "", true),
    p("port", Int(0, 65535), "6379", false),
    p("tls-port", Int(0, 65535), "0", false),
    p("protected-mode", Bool, "yes", true),
    p("tcp-backlog", Int(0, I), "511", false),
    p("unixsocket", Str, "", false),
    p("unixsocketperm", Int(0, 0o777), "0", false),
    p("timeout", Int(0, I), "0", true),
    p("tcp-keepalive", Int(0, I), "300", true),
    p("maxclients", Int(1, I), "10000", true),
    p("maxmemory-clients", Mem(0, L), "0", true),
    p("requirepass", Str, "", true),
    p("masterauth", Str, "", true),
    p("masteruser", Str, "", true),
    p("aclfile", Str, "", false),
    p("acllog-max-len", Int(0, L), "128", true),
    p(
        "acl-pubsub-default",
        Enum(&["resetchannels", "allchannels"]),
        "resetchannels",
        true,
    ),
    p("proto-max-bulk-len", Mem(1024 * 1024, L), "536870912", true),
    p(
        "client-query-buffer-limit",
        Mem(1024 * 1024, L),
        "1073741824",
        true,
    ),
    p(
        "client-output-buffer-limit",
        ClientOutputBufferLimit,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        true,
    ),
    // Threads and shards.
    p("io-threads", Int(1, 128), "1", false),
    p("io-threads-do-reads", Bool, "no", false),
    p("shards", Int(0, 4096), "0", false),
    // General.
    p("daemonize", Bool, "no", false),
    p(
        "supervised",
        Enum(&["upstart", "systemd", "auto", "no"]),
        "no",
        false,
    ),
    p("pidfile", Str, "", false),
    p(
        "loglevel",
        Enum(&["debug", "verbose", "notice", "warning", "nothing"]),
        "notice",
        true,
    ),
    p("logfile", Str, "", false),
    p("syslog-enabled", Bool, "no", false),
    p("syslog-ident", Str, "redis", false),
    p(
        "syslog-facility",
        Enum(&[
            "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
        ]),
        "local0",
        false,
    ),
    p("crash-log-enabled", Bool, "yes", true),
    p("crash-memcheck-enabled", Bool, "yes", true),
    p("databases", Int(1, I), "16", false),
    p("always-show-logo", Bool, "no", false),
    p("set-proc-title", Bool, "yes", false),
    p(
        "proc-title-template",
        Str,
        "{title} {listen-addr} {server-mode}",
        true,
    ),
    p("locale-collate", Str, "", true),
    p("hz", Int(0, I), "10", true),
    p("dynamic-hz", Bool, "yes", true),
    p("enable-debug-command", Enum(YESNO_LOCAL), "no", false),
    p("enable-protected-configs", Enum(YESNO_LOCAL), "no", false),
    p("enable-module-command", Enum(YESNO_LOCAL), "no", false),
    p("notify-keyspace-events", Notify, "", true),
    p("ignore-warnings", Str, "", true),
    p(
        "oom-score-adj",
        Enum(&["no", "yes", "relative", "absolute"]),
        "no",
        true,
    ),
    p("oom-score-adj-values", Str, "0 200 800", true),
    p("disable-thp", Bool, "yes", false),
    p("jemalloc-bg-thread", Bool, "yes", true),
    p("activerehashing", Bool, "yes", true),
    p("active-expire-effort", Int(1, 10), "1", true),
    p("activedefrag", Bool, "no", true),
    p("latency-monitor-threshold", Int(0, L), "0", true),
    p("latency-tracking", Bool, "yes", true),
    p("latency-tracking-info-percentiles", Str, "50 99 99.9", true),
    p("slowlog-log-slower-than", Int(-1, L), "10000", true),
    p("slowlog-max-len", Int(0, L), "128", true),
    p("shutdown-timeout", Int(0, I), "10", true),
    p("shutdown-on-sigint", Str, "default", true),
    p("shutdown-on-sigterm", Str, "default", true),
    p("cluster-enabled", Bool, "no", false),
    p("cluster-config-file", Str, "nodes.conf", false),
    p("cluster-node-timeout", Int(0, L), "15000", true),
    p("hide-user-data-from-log", Bool, "no", true),
    // Memory and eviction.
    p("maxmemory", Mem(0, L), "0", true),
    p("maxmemory-policy", Enum(POLICIES), "noeviction", true),
    p("maxmemory-samples", Int(1, 64), "5", true),
    p("maxmemory-eviction-tenacity", Int(0, 100), "10", true),
    p("lfu-log-factor", Int(0, I), "10", true),
    p("lfu-decay-time", Int(0, I), "1", true),
    p("lazyfree-lazy-eviction", Bool, "no", true),
    p("lazyfree-lazy-expire", Bool, "no", true),
    p("lazyfree-lazy-server-del", Bool, "no", true),
    p("lazyfree-lazy-user-del", Bool, "no", true),
    p("lazyfree-lazy-user-flush", Bool, "no", true),
    p("replica-lazy-flush", Bool, "no", true),
    pa(
        "replica-ignore-maxmemory",
        &["slave-ignore-maxmemory"],
        Bool,
        "yes",
        true,
    ),
    // Encodings of small collections.
    pa(
        "hash-max-listpack-entries",
        &["hash-max-ziplist-entries"],
        Int(0, L),
        "128",
        true,
    ),
    pa(
        "hash-max-listpack-value",
        &["hash-max-ziplist-value"],
        Int(0, L),
        "64",
        true,
    ),
    pa(
        "list-max-listpack-size",
        &["list-max-ziplist-size"],
        Int(i32::MIN as i64, I),
        "-2",
        true,
    ),
    p("list-compress-depth", Int(0, I), "0", true),
    p("set-max-intset-entries", Int(0, I), "512", true),
    p("set-max-listpack-entries", Int(0, L), "128", true),
    p("set-max-listpack-value", Int(0, L), "64", true),
    pa(
        "zset-max-listpack-entries",
        &["zset-max-ziplist-entries"],
        Int(0, L),
        "128",
        true,
    ),
    pa(
        "zset-max-listpack-value",
        &["zset-max-ziplist-value"],
        Int(0, L),
        "64",
        true,
    ),
    p("hll-sparse-max-bytes", Mem(0, L), "3000", true),
    p("stream-node-max-bytes", Mem(0, L), "4096", true),
    p("stream-node-max-entries", Int(0, L), "100", true),
    // Persistence.
    p("save", Save, "3600 1 300 100 60 10000", true),
    p("dir", Str, "", true),
    p("dbfilename", Str, "dump.rdb", true),
    p("rdbcompression", Bool, "yes", true),
    p("rdbchecksum", Bool, "yes", false),
    p("rdb-del-sync-files", Bool, "no", true),
    p("rdb-save-incremental-fsync", Bool, "yes", true),
    p("rdb-key-save-delay", Int(i32::MIN as i64, I), "0", true),
    p("stop-writes-on-bgsave-error", Bool, "yes", true),
    p(
        "sanitize-dump-payload",
        Enum(&["no", "yes", "clients"]),
        "no",
        true,
    ),
    p("appendonly", Bool, "no", true),
    p("appendfilename", Str, "appendonly.aof", false),
    p("appenddirname", Str, "appendonlydir", false),
    p(
        "appendfsync",
        Enum(&["always", "everysec", "no"]),
        "everysec",
        true,
    ),
    p("no-appendfsync-on-rewrite", Bool, "no", true),
    p("auto-aof-rewrite-percentage", Int(0, I), "100", true),
    p("auto-aof-rewrite-min-size", Mem(0, L), "67108864", true),
    p("aof-load-truncated", Bool, "yes", true),
    p("aof-use-rdb-preamble", Bool, "yes", true),
    p("aof-timestamp-enabled", Bool, "no", true),
    p("aof-rewrite-incremental-fsync", Bool, "yes", true),
    // Replication.
    pa("replicaof", &["slaveof"], List, "", true),
    pa("replica-read-only", &["slave-read-only"], Bool, "yes", true),
    pa(
        "replica-serve-stale-data",
        &["slave-serve-stale-data"],
        Bool,
        "yes",
        true,
    ),
    pa(
        "replica-priority",
        &["slave-priority"],
        Int(0, I),
        "100",
        true,
    ),
    p("replica-announced", Bool, "yes", true),
    pa("replica-announce-ip", &["slave-announce-ip"], Str, "", true),
    pa(
        "replica-announce-port",
        &["slave-announce-port"],
        Int(0, 65535),
        "0",
        true,
    ),
    p("repl-diskless-sync", Bool, "yes", true),
    p("repl-diskless-sync-delay", Int(0, I), "5", true),
    p("repl-diskless-sync-max-replicas", Int(0, I), "0", true),
    p(
        "repl-diskless-load",
        Enum(&["disabled", "on-empty-db", "swapdb"]),
        "disabled",
        true,
    ),
    p("repl-backlog-size", Mem(1, L), "1048576", true),
    p("repl-backlog-ttl", Int(0, I), "3600", true),
    p("repl-timeout", Int(1, I), "60", true),
    pa(
        "repl-ping-replica-period",
        &["repl-ping-slave-period"],
        Int(1, I),
        "10",
        true,
    ),
    p("repl-disable-tcp-nodelay", Bool, "no", true),
    pa(
        "min-replicas-to-write",
        &["min-slaves-to-write"],
        Int(0, I),
        "0",
        true,
    ),
    pa(
        "min-replicas-max-lag",
        &["min-slaves-max-lag"],
        Int(0, I),
        "10",
        true,
    ),
    p(
        "propagation-error-behavior",
        Enum(&["ignore", "panic", "panic-on-replicas"]),
        "ignore",
        true,
    ),
    // Scripting.
    pa(
        "busy-reply-threshold",
        &["lua-time-limit"],
        Int(0, L),
        "5000",
        true,
    ),
    p("lua-replicate-commands", Bool, "yes", true),
];

pub fn find(name: &str) -> Option<&'static ParamDef> {
    PARAMS
        .iter()
        .find(|d| d.name == name || d.aliases.contains(&name))
}
