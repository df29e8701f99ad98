//! The configuration registry.
//!
//! One table (`params::PARAMS`) describes every parameter; the file parser, the command line,
//! CONFIG GET/SET/REWRITE and INFO all go through `Config`. Values are kept in canonical
//! text form (what CONFIG GET shows); the few read on hot paths are mirrored into atomics
//! (`Hot`) whenever they change.

pub mod params;

use crate::util::{glob_match, parse_memory};
use params::{find, Kind, ParamDef, PARAMS};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicU8, Ordering};

/// Values read on hot paths, kept in sync with the registry.
#[derive(Default)]
pub struct Hot {
    pub proto_max_bulk_len: AtomicU64,
    pub query_buffer_limit: AtomicU64,
    pub maxmemory: AtomicU64,
    pub maxmemory_policy: AtomicU8,
    pub maxmemory_samples: AtomicU32,
    pub notify_flags: AtomicU32,
    pub timeout: AtomicU64,
    pub hz: AtomicU32,
    pub has_requirepass: AtomicBool,
    pub lazyfree_lazy_expire: AtomicBool,
    pub slowlog_slower_than: AtomicI64,
    pub slowlog_max_len: AtomicU64,
    pub maxclients: AtomicU64,
    pub active_expire_effort: AtomicU32,
    pub lfu_log_factor: AtomicU32,
    pub lfu_decay_time: AtomicU32,
    pub latency_threshold: AtomicU64,
    /// `busy-reply-threshold` (ms), read by every script run.
    pub busy_reply_threshold: AtomicU64,
    pub zset_max_listpack_entries: AtomicU64,
    pub zset_max_listpack_value: AtomicU64,
    pub list_max_listpack_size: AtomicI64,
    /// `client-output-buffer-limit`'s pubsub class: hard bytes, soft bytes, soft seconds.
    pub pubsub_obuf_hard: AtomicU64,
    pub pubsub_obuf_soft: AtomicU64,
    pub pubsub_obuf_secs: AtomicU64,
    pub stream_node_max_bytes: AtomicU64,
    pub stream_node_max_entries: AtomicU64,
    /// Small-collection encoding thresholds (hashes and sets).
    pub hash_max_listpack_entries: AtomicU64,
    pub hash_max_listpack_value: AtomicU64,
    pub set_max_intset_entries: AtomicU64,
    pub set_max_listpack_entries: AtomicU64,
    pub set_max_listpack_value: AtomicU64,
}

pub struct Config {
    values: RwLock<HashMap<&'static str, String>>,
    /// The config file the server was started with (for CONFIG REWRITE and INFO).
    pub file: Option<PathBuf>,
    pub hot: Hot,
    save_seen: AtomicBool,
}

/// Why a value was refused; the text follows Redis's wording.
pub type Reason = String;

/// Keyspace-notification flag bits (Redis's NOTIFY_*).
pub mod notify {
    pub const KEYSPACE: u32 = 1 << 0; // K
    pub const KEYEVENT: u32 = 1 << 1; // E
    pub const GENERIC: u32 = 1 << 2; // g
    pub const STRING: u32 = 1 << 3; // $
    pub const LIST: u32 = 1 << 4; // l
    pub const SET: u32 = 1 << 5; // s
    pub const HASH: u32 = 1 << 6; // h
    pub const ZSET: u32 = 1 << 7; // z
    pub const EXPIRED: u32 = 1 << 8; // x
    pub const EVICTED: u32 = 1 << 9; // e
    pub const STREAM: u32 = 1 << 10; // t
    pub const KEY_MISS: u32 = 1 << 11; // m
    pub const LOADED: u32 = 1 << 12; // module only
    pub const MODULE: u32 = 1 << 13; // d
    pub const NEW: u32 = 1 << 14; // n
    /// 'A': g$lshzxetd
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// Parses notify-keyspace-events letters into flags (Redis's keyspaceEventsStringToFlags).
pub fn notify_flags_from_str(s: &str) -> Option<u32> {
    use notify::*;
    let mut f = 0;
    for c in s.chars() {
        f |= match c {
            'A' => ALL,
            'g' => GENERIC,
            '$' => STRING,
            'l' => LIST,
            's' => SET,
            'h' => HASH,
            'z' => ZSET,
            'x' => EXPIRED,
            'e' => EVICTED,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            't' => STREAM,
            'm' => KEY_MISS,
            'd' => MODULE,
            'n' => NEW,
            _ => return None,
        };
    }
    Some(f)
}

/// Flags back to letters, in Redis's order (keyspaceEventsFlagsToString).
pub fn notify_flags_to_string(f: u32) -> String {
    use notify::*;
    let mut s = String::new();
    if f & ALL == ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
        ] {
            if f & bit != 0 {
                s.push(c);
            }
        }
    }
    if f & KEYSPACE != 0 {
        s.push('K');
    }
    if f & KEYEVENT != 0 {
        s.push('E');
    }
    if f & KEY_MISS != 0 {
        s.push('m');
    }
    if f & NEW != 0 {
        s.push('n');
    }
    s
}

fn range_err(min: i64, max: i64) -> Reason {
    format!("argument must be between {min} and {max} inclusive")
}

/// Validates `args` for parameter `def`, returning the canonical text.
fn canonical(def: &ParamDef, args: &[String], current: Option<&str>) -> Result<String, Reason> {
    let joined = args.join(" ");
    match def.kind {
        Kind::Bool => match joined.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int(min, max) => {
            // Redis accepts memory units for numeric configs too (e.g. 1k).
            let v = joined
                .parse::<i64>()
                .ok()
                .or_else(|| parse_memory(&joined))
                .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
            if v < min || v > max {
                return Err(range_err(min, max));
            }
            Ok(v.to_string())
        }
        Kind::Mem(min, max) => {
            let v = parse_memory(&joined)
                .ok_or_else(|| "argument must be a memory value".to_string())?;
            if v < min || v > max {
                return Err(range_err(min, max));
            }
            Ok(v.to_string())
        }
        Kind::Enum(opts) => {
            let l = joined.to_ascii_lowercase();
            if opts.contains(&l.as_str()) {
                Ok(l)
            } else {
                Err(format!(
                    "argument(s) must be one of the following: {}",
                    opts.join(", ")
                ))
            }
        }
        Kind::Str | Kind::List => Ok(joined),
        Kind::Save => {
            let parts: Vec<&str> = joined.split_whitespace().collect();
            if parts.is_empty() {
                return Ok(String::new());
            }
            if !parts.len().is_multiple_of(2) || parts.iter().any(|p| p.parse::<u64>().is_err()) {
                return Err("Invalid save parameters".into());
            }
            Ok(parts.join(" "))
        }
        Kind::Notify => notify_flags_from_str(&joined)
            .map(notify_flags_to_string)
            .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        Kind::ClientOutputBufferLimit => {
            let parts: Vec<&str> = joined.split_whitespace().collect();
            if !parts.len().is_multiple_of(4) {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let mut classes: Vec<(String, [i64; 3])> = Vec::new();
            for cur in current
                .unwrap_or(def.default)
                .split_whitespace()
                .collect::<Vec<_>>()
                .chunks(4)
            {
                if cur.len() == 4 {
                    let n = |s: &str| s.parse::<i64>().unwrap_or(0);
                    classes.push((cur[0].to_string(), [n(cur[1]), n(cur[2]), n(cur[3])]));
                }
            }
            for c in parts.chunks(4) {
                let class = match c[0].to_ascii_lowercase().as_str() {
                    "normal" => "normal",
                    "slave" | "replica" => "slave",
                    "pubsub" => "pubsub",
                    _ => {
                        return Err(
                            "Invalid client class specified in buffer limit configuration.".into(),
                        )
                    }
                };
                let hard = parse_memory(c[1]);
                let soft = parse_memory(c[2]);
                let secs = c[3].parse::<i64>().ok();
                let (Some(h), Some(s), Some(t)) = (hard, soft, secs) else {
                    return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into());
                };
                if h < 0 || s < 0 || t < 0 {
                    return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into());
                }
                if let Some(e) = classes.iter_mut().find(|(n, _)| n == class) {
                    e.1 = [h, s, t];
                }
            }
            Ok(classes
                .iter()
                .map(|(n, v)| format!("{n} {} {} {}", v[0], v[1], v[2]))
                .collect::<Vec<_>>()
                .join(" "))
        }
    }
}

/// An error while loading a config file or the command line, reported as Redis does.
#[derive(Debug)]
pub struct LoadError {
    pub origin: String,
    pub line_no: usize,
    pub line: String,
    pub reason: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "\n*** FATAL CONFIG FILE ERROR (Tessera {}) ***\nReading the configuration file, at line {} of {}\n>>> '{}'\n{}",
            env!("CARGO_PKG_VERSION"),
            self.line_no,
            self.origin,
            self.line,
            self.reason
        )
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

impl Config {
    pub fn new() -> Config {
        let mut values = HashMap::new();
        for d in PARAMS {
            values.insert(d.name, d.default.to_string());
        }
        let cwd = std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| ".".into());
        values.insert("dir", cwd);
        let c = Config {
            values: RwLock::new(values),
            file: None,
            hot: Hot::default(),
            save_seen: AtomicBool::new(false),
        };
        for d in PARAMS {
            c.apply_hot(d.name);
        }
        c
    }

    /// The canonical value of a parameter (panics on an unknown name: a programming error).
    pub fn get(&self, name: &str) -> String {
        let def = find(name).unwrap_or_else(|| panic!("unknown config parameter {name}"));
        self.values.read()[def.name].clone()
    }

    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name) == "yes"
    }

    pub fn get_i64(&self, name: &str) -> i64 {
        self.get(name).parse().unwrap_or(0)
    }

    /// CONFIG GET: every (name, value) whose name or alias matches one of the patterns.
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let values = self.values.read();
        let mut out: Vec<(String, String)> = Vec::new();
        for d in PARAMS {
            for name in std::iter::once(&d.name).chain(d.aliases.iter()) {
                if patterns
                    .iter()
                    .any(|p| glob_match(p, name.as_bytes(), true))
                    && !out.iter().any(|(n, _)| n == name)
                {
                    out.push((name.to_string(), values[d.name].clone()));
                }
            }
        }
        out
    }

    /// Sets one parameter from its textual arguments (file, command line, CONFIG SET).
    pub fn set(&self, name: &str, args: &[String], at_startup: bool) -> Result<(), Reason> {
        self.set_many(&[(name.to_string(), args.to_vec())], at_startup)
    }

    /// Sets several parameters atomically: all are validated first, then all applied.
    pub fn set_many(
        &self,
        pairs: &[(String, Vec<String>)],
        at_startup: bool,
    ) -> Result<(), Reason> {
        let mut staged: Vec<(&'static ParamDef, String)> = Vec::new();
        {
            let values = self.values.read();
            for (name, args) in pairs {
                let lname = name.to_ascii_lowercase();
                let def = find(&lname).ok_or_else(|| format!("Unknown option '{name}'"))?;
                if !at_startup && !def.mutable {
                    return Err(format!(
                        "CONFIG SET failed (possibly related to argument '{lname}') - can't set immutable config"
                    ));
                }
                if staged.iter().any(|(d, _)| d.name == def.name) {
                    return Err(format!(
                        "CONFIG SET failed (possibly related to argument '{lname}') - duplicate parameter"
                    ));
                }
                let v = canonical(def, args, Some(&values[def.name])).map_err(|r| {
                    if at_startup {
                        r
                    } else {
                        format!("CONFIG SET failed (possibly related to argument '{lname}') - {r}")
                    }
                })?;
                staged.push((def, v));
            }
        }
        let mut values = self.values.write();
        for (def, v) in &staged {
            values.insert(def.name, v.clone());
        }
        drop(values);
        for (def, _) in &staged {
            self.apply_hot(def.name);
        }
        Ok(())
    }

    fn apply_hot(&self, name: &'static str) {
        let h = &self.hot;
        let v = self.values.read()[name].clone();
        let num = || v.parse::<i64>().unwrap_or(0);
        // Parameters mirrored as plain numbers.
        let u64s: [(&str, &AtomicU64); 17] = [
            ("busy-reply-threshold", &h.busy_reply_threshold),
            ("proto-max-bulk-len", &h.proto_max_bulk_len),
            ("client-query-buffer-limit", &h.query_buffer_limit),
            ("maxmemory", &h.maxmemory),
            ("timeout", &h.timeout),
            ("slowlog-max-len", &h.slowlog_max_len),
            ("maxclients", &h.maxclients),
            ("latency-monitor-threshold", &h.latency_threshold),
            ("zset-max-listpack-entries", &h.zset_max_listpack_entries),
            ("zset-max-listpack-value", &h.zset_max_listpack_value),
            ("stream-node-max-bytes", &h.stream_node_max_bytes),
            ("stream-node-max-entries", &h.stream_node_max_entries),
            ("hash-max-listpack-entries", &h.hash_max_listpack_entries),
            ("hash-max-listpack-value", &h.hash_max_listpack_value),
            ("set-max-intset-entries", &h.set_max_intset_entries),
            ("set-max-listpack-entries", &h.set_max_listpack_entries),
            ("set-max-listpack-value", &h.set_max_listpack_value),
        ];
        let u32s: [(&str, &AtomicU32); 4] = [
            ("maxmemory-samples", &h.maxmemory_samples),
            ("active-expire-effort", &h.active_expire_effort),
            ("lfu-log-factor", &h.lfu_log_factor),
            ("lfu-decay-time", &h.lfu_decay_time),
        ];
        if let Some((_, a)) = u64s.iter().find(|(n, _)| *n == name) {
            a.store(num() as u64, Ordering::Relaxed);
            return;
        }
        if let Some((_, a)) = u32s.iter().find(|(n, _)| *n == name) {
            a.store(num() as u32, Ordering::Relaxed);
            return;
        }
        match name {
            "maxmemory-policy" => {
                h.maxmemory_policy.store(
                    params::POLICIES.iter().position(|p| *p == v).unwrap_or(7) as u8,
                    Ordering::Relaxed,
                );
                crate::store::set_lfu_mode(v.ends_with("-lfu"));
            }
            "notify-keyspace-events" => h
                .notify_flags
                .store(notify_flags_from_str(&v).unwrap_or(0), Ordering::Relaxed),
            "hz" => h.hz.store(num().clamp(1, 500) as u32, Ordering::Relaxed),
            "requirepass" => h.has_requirepass.store(!v.is_empty(), Ordering::Relaxed),
            "lazyfree-lazy-expire" => h.lazyfree_lazy_expire.store(v == "yes", Ordering::Relaxed),
            "slowlog-log-slower-than" => h.slowlog_slower_than.store(num(), Ordering::Relaxed),
            "list-max-listpack-size" => h.list_max_listpack_size.store(num(), Ordering::Relaxed),
            "client-output-buffer-limit" => {
                let parts: Vec<&str> = v.split_whitespace().collect();
                for c in parts.chunks(4) {
                    if c.len() == 4 && c[0] == "pubsub" {
                        let n = |s: &str| s.parse::<u64>().unwrap_or(0);
                        h.pubsub_obuf_hard.store(n(c[1]), Ordering::Relaxed);
                        h.pubsub_obuf_soft.store(n(c[2]), Ordering::Relaxed);
                        h.pubsub_obuf_secs.store(n(c[3]), Ordering::Relaxed);
                    }
                }
            }
            _ => {}
        }
    }

    /// Loads redis.conf-syntax text. `origin` names the file (or "command line") in errors.
    pub fn load_text(&self, text: &str, origin: &str, depth: usize) -> Result<(), LoadError> {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: String| LoadError {
                origin: origin.to_string(),
                line_no: i + 1,
                line: line.to_string(),
                reason,
            };
            let Some(args) = crate::resp::split_args(line.as_bytes()) else {
                return Err(err("Unbalanced quotes in configuration line".into()));
            };
            if args.is_empty() {
                continue;
            }
            let args: Vec<String> = args
                .into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect();
            let name = args[0].to_ascii_lowercase();
            match name.as_str() {
                "include" => {
                    if args.len() != 2 {
                        return Err(err("Bad directive or wrong number of arguments".into()));
                    }
                    if depth > 16 {
                        return Err(err("Too many nested includes".into()));
                    }
                    let text = std::fs::read_to_string(&args[1])
                        .map_err(|e| err(format!("Can't open included file: {e}")))?;
                    self.load_text(&text, &args[1], depth + 1)?;
                    continue;
                }
                // Accepted for compatibility; ACL users, renames and modules are not
                // supported, and Redis itself tolerates these in a stock redis.conf.
                "rename-command" | "user" | "sentinel" => continue,
                "loadmodule" => return Err(err("Modules are not supported".into())),
                _ => {}
            }
            let Some(def) = find(&name) else {
                return Err(err("Bad directive or wrong number of arguments".into()));
            };
            let vals = &args[1..];
            let ok_arity = match def.kind {
                Kind::List | Kind::Save | Kind::ClientOutputBufferLimit | Kind::Str => true,
                _ => vals.len() == 1,
            };
            if !ok_arity {
                return Err(err("Bad directive or wrong number of arguments".into()));
            }
            // `save` lines accumulate in a file; an empty `save ""` resets.
            let vals: Vec<String> = if def.name == "save" && !vals.is_empty() && !vals[0].is_empty()
            {
                // The first `save` line replaces the default, later ones add to it.
                if self.save_seen.swap(true, Ordering::Relaxed) {
                    vec![format!("{} {}", self.get("save"), vals.join(" "))]
                } else {
                    vals.to_vec()
                }
            } else {
                vals.to_vec()
            };
            self.set(def.name, &vals, true).map_err(err)?;
        }
        Ok(())
    }

    /// CONFIG REWRITE: updates the config file in place, keeping comments and order, and
    /// appends parameters that differ from their default.
    pub fn rewrite(&self) -> Result<(), String> {
        let Some(path) = &self.file else {
            return Err("ERR The server is running without a config file".into());
        };
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let values = self.values.read().clone();
        let mut written: Vec<&'static str> = Vec::new();
        let mut out = String::new();
        for raw in text.lines() {
            if raw.starts_with("# Generated by CONFIG REWRITE") {
                continue;
            }
            let line = raw.trim();
            let name = line
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let def = if line.starts_with('#') {
                None
            } else {
                find(&name)
            };
            match def {
                Some(d) => {
                    if written.contains(&d.name) {
                        continue;
                    }
                    written.push(d.name);
                    out.push_str(&format_param(d, &values[d.name]));
                    out.push('\n');
                }
                None => {
                    out.push_str(raw);
                    out.push('\n');
                }
            }
        }
        let mut header = false;
        for d in PARAMS {
            if written.contains(&d.name) {
                continue;
            }
            let v = &values[d.name];
            let default = if d.name == "dir" {
                v.as_str()
            } else {
                d.default
            };
            if v != default {
                if !header {
                    out.push_str("# Generated by CONFIG REWRITE\n");
                    header = true;
                }
                out.push_str(&format_param(d, v));
                out.push('\n');
            }
        }
        let tmp = path.with_extension("tmp-rewrite");
        std::fs::write(&tmp, out)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| format!("ERR Rewriting config file: {e}"))
    }
}

/// One config line for CONFIG REWRITE.
fn format_param(d: &ParamDef, v: &str) -> String {
    match d.kind {
        Kind::Save if v.is_empty() => "save \"\"".into(),
        Kind::Save => {
            let parts: Vec<&str> = v.split_whitespace().collect();
            parts
                .chunks(2)
                .map(|c| format!("save {}", c.join(" ")))
                .collect::<Vec<_>>()
                .join("\n")
        }
        Kind::ClientOutputBufferLimit => {
            let parts: Vec<&str> = v.split_whitespace().collect();
            parts
                .chunks(4)
                .map(|c| format!("client-output-buffer-limit {}", c.join(" ")))
                .collect::<Vec<_>>()
                .join("\n")
        }
        Kind::List if !v.is_empty() => format!("{} {v}", d.name),
        _ => format!("{} {}", d.name, quote(v)),
    }
}

fn quote(v: &str) -> String {
    if !v.is_empty() && !v.contains([' ', '"', '\'', '\\']) && v.is_ascii() {
        v.to_string()
    } else {
        let mut s = String::from("\"");
        for c in v.chars() {
            match c {
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                c => s.push(c),
            }
        }
        s.push('"');
        s
    }
}

/// Turns `--port 7000 --save "" --loglevel debug` into config-file text, as Redis does:
/// every `--name` starts a new line, following arguments are its values.
pub fn args_to_config_text(args: &[String]) -> String {
    let mut out = String::new();
    let mut first = true;
    for a in args {
        if let Some(name) = a.strip_prefix("--") {
            if !first {
                out.push('\n');
            }
            first = false;
            out.push_str(name);
        } else {
            out.push(' ');
            out.push_str(&quote_arg(a));
        }
    }
    out.push('\n');
    out
}

fn quote_arg(a: &str) -> String {
    if a.is_empty() {
        return "\"\"".into();
    }
    if a.contains([' ', '"', '\'', '\\']) {
        quote(a)
    } else {
        a.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_get() {
        let c = Config::new();
        c.set("maxmemory", &["1gb".into()], false).unwrap();
        assert_eq!(c.get("maxmemory"), "1073741824");
        assert!(c.set("port", &["1".into()], false).is_err());
        let e = c
            .set("maxmemory-policy", &["bogus".into()], false)
            .unwrap_err();
        assert!(e.contains("must be one of the following"), "{e}");
        c.set("notify-keyspace-events", &["KEA".into()], false)
            .unwrap();
        assert_eq!(c.get("notify-keyspace-events"), "AKE");
        assert_eq!(c.get_matching(&[b"maxmemory-p*"]).len(), 1);
    }

    #[test]
    fn atomic_set_many() {
        let c = Config::new();
        let r = c.set_many(
            &[
                ("maxmemory".into(), vec!["10mb".into()]),
                ("hz".into(), vec!["abc".into()]),
            ],
            false,
        );
        assert!(r.is_err());
        assert_eq!(c.get("maxmemory"), "0");
    }

    #[test]
    fn file_and_args() {
        let c = Config::new();
        let text = args_to_config_text(&[
            "--port".into(),
            "7000".into(),
            "--save".into(),
            "".into(),
            "--appendonly".into(),
            "no".into(),
        ]);
        c.load_text(&text, "command line", 0).unwrap();
        assert_eq!(c.get("port"), "7000");
        assert_eq!(c.get("save"), "");
        let e = c.load_text("port 1\nbogus 2\n", "x.conf", 0).unwrap_err();
        assert_eq!(e.line_no, 2);
        assert!(e.to_string().contains("Bad directive"));
    }
}
