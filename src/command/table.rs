//! The command table: Redis 7.2's command facts (arity, flags, ACL categories, key specs,
//! syntax) from `commands.tsv`, joined with the handlers the families register.
//! Commands without a handler are not in the table, so they are "unknown" like in Redis.

use super::{Handler, LockMode};
use crate::util::Counter;
use ahash::AHashMap;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

static TSV: &str = include_str!("commands.tsv");

/// Command flags, as in Redis's `CMD_*`.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const SENTINEL: u32 = 1 << 14;
    pub const ONLY_SENTINEL: u32 = 1 << 15;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 16;
    pub const PROTECTED: u32 = 1 << 17;
    pub const NO_ASYNC_LOADING: u32 = 1 << 18;
    pub const NO_MULTI: u32 = 1 << 19;
    pub const MOVABLE_KEYS: u32 = 1 << 20;
    pub const ALLOW_BUSY: u32 = 1 << 21;
    pub const TOUCHES_ARBITRARY_KEYS: u32 = 1 << 22;

    pub const NAMES: &[(&str, u32)] = &[
        ("write", WRITE),
        ("readonly", READONLY),
        ("denyoom", DENYOOM),
        ("admin", ADMIN),
        ("pubsub", PUBSUB),
        ("noscript", NOSCRIPT),
        ("blocking", BLOCKING),
        ("loading", LOADING),
        ("stale", STALE),
        ("skip_monitor", SKIP_MONITOR),
        ("skip_slowlog", SKIP_SLOWLOG),
        ("fast", FAST),
        ("no_auth", NO_AUTH),
        ("may_replicate", MAY_REPLICATE),
        ("sentinel", SENTINEL),
        ("only_sentinel", ONLY_SENTINEL),
        ("no_mandatory_keys", NO_MANDATORY_KEYS),
        ("protected", PROTECTED),
        ("no_async_loading", NO_ASYNC_LOADING),
        ("no_multi", NO_MULTI),
        ("movablekeys", MOVABLE_KEYS),
        ("allow_busy", ALLOW_BUSY),
        ("touches_arbitrary_keys", TOUCHES_ARBITRARY_KEYS),
    ];
}

#[derive(Clone, Debug, PartialEq)]
pub enum BeginSearch {
    Index(i32),
    Keyword { keyword: String, start_from: i32 },
    Unknown,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FindKeys {
    Range {
        last_key: i32,
        step: i32,
        limit: i32,
    },
    KeyNum {
        key_num_idx: i32,
        first_key: i32,
        step: i32,
    },
    Unknown,
}

#[derive(Clone, Debug)]
pub struct KeySpec {
    pub begin: BeginSearch,
    pub find: FindKeys,
    pub flags: Vec<String>,
}

/// Argument positions of a command's keys (inline for the usual few keys).
pub type KeyPositions = smallvec::SmallVec<[usize; 16]>;

/// Per-command statistics for INFO commandstats.
#[derive(Default, Debug)]
pub struct CmdStats {
    pub calls: Counter,
    pub usec: Counter,
    pub rejected: Counter,
    pub failed: Counter,
    /// Latency histogram (LATENCY HISTOGRAM, INFO latencystats).
    pub hist: LatencyHist,
}

/// Per-command latency histogram: bucket `b` counts calls that took at most 2^b
/// microseconds (and more than 2^(b-1)). Striped like `Counter`, so threads don't share
/// a cache line on every call.
#[derive(Default, Debug)]
pub struct LatencyHist {
    rows: [HistRow; crate::util::COUNTER_STRIPES],
}

#[repr(align(64))]
#[derive(Default, Debug)]
struct HistRow([std::sync::atomic::AtomicU64; 32]);

impl LatencyHist {
    /// Counts one call's duration.
    #[inline]
    pub fn record(&self, usec: u64) {
        let b = if usec <= 1 {
            0
        } else {
            (64 - (usec - 1).leading_zeros()) as usize
        };
        self.rows[crate::util::counter_stripe()].0[b.min(31)].fetch_add(1, Ordering::Relaxed);
    }

    /// Calls per bucket, summed over the stripes.
    pub fn counts(&self) -> [u64; 32] {
        let mut out = [0u64; 32];
        for r in &self.rows {
            for (o, c) in out.iter_mut().zip(r.0.iter()) {
                *o += c.load(Ordering::Relaxed);
            }
        }
        out
    }

    pub fn reset(&self) {
        for r in &self.rows {
            for c in &r.0 {
                c.store(0, Ordering::Relaxed);
            }
        }
    }
}

pub struct CommandSpec {
    /// Full lowercase name: `get`, or `config|get` for a subcommand.
    pub name: String,
    pub group: String,
    pub since: String,
    pub arity: i32,
    pub flags: u32,
    pub acl_categories: Vec<String>,
    pub key_specs: Vec<KeySpec>,
    pub deprecated: bool,
    pub syntax: String,
    pub handler: Option<Handler>,
    pub lock: LockMode,
    pub subcommands: AHashMap<String, Arc<CommandSpec>>,
    pub stats: CmdStats,
}

impl CommandSpec {
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    pub fn is_write(&self) -> bool {
        self.has(flags::WRITE)
    }

    /// The name as Redis prints it in errors and stats (`config|get`).
    pub fn full_name(&self) -> &str {
        &self.name
    }

    /// Whether `argc` arguments (the name included) satisfy the arity: exactly `arity`
    /// if positive, at least `-arity` if negative (Redis's arity check).
    #[inline]
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity > 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// Calls `f` with each key position (the same positions `key_positions` lists), for
    /// callers that only need to map them (no intermediate list).
    #[inline]
    pub fn each_key_position(&self, args: &[bytes::Bytes], mut f: impl FnMut(usize)) {
        self.for_each_key(args, |i, _| f(i));
    }

    /// Positions of the key arguments, from the key specs (Redis's getKeysUsingKeySpecs).
    pub fn key_positions(&self, args: &[bytes::Bytes]) -> KeyPositions {
        let mut out = KeyPositions::new();
        self.for_each_key(args, |i, _| out.push(i));
        out
    }

    /// (key position, index of the key spec that found it), for COMMAND GETKEYSANDFLAGS.
    pub fn key_positions_by_spec(&self, args: &[bytes::Bytes]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        self.for_each_key(args, |i, spec| out.push((i, spec)));
        out
    }

    fn for_each_key(&self, args: &[bytes::Bytes], mut out: impl FnMut(usize, usize)) {
        let argc = args.len() as i32;
        for (spec_idx, spec) in self.key_specs.iter().enumerate() {
            let first = match &spec.begin {
                BeginSearch::Index(i) => *i,
                BeginSearch::Keyword {
                    keyword,
                    start_from,
                } => {
                    let (start, end, step) = if *start_from >= 0 {
                        (*start_from, argc - 1, 1)
                    } else {
                        (argc + *start_from, 0, -1)
                    };
                    let mut i = start;
                    let mut found = None;
                    while (step > 0 && i <= end) || (step < 0 && i >= end) {
                        if i >= 0
                            && i < argc
                            && args[i as usize].eq_ignore_ascii_case(keyword.as_bytes())
                        {
                            found = Some(i + 1);
                            break;
                        }
                        i += step;
                    }
                    match found {
                        Some(f) => f,
                        None => continue,
                    }
                }
                BeginSearch::Unknown => continue,
            };
            if first >= argc || first < 0 {
                continue;
            }
            match &spec.find {
                FindKeys::Range {
                    last_key,
                    step,
                    limit,
                } => {
                    let last = if *last_key >= 0 {
                        first + last_key
                    } else if *limit <= 1 {
                        argc + last_key
                    } else {
                        first + ((argc - first) / limit + last_key)
                    };
                    let step = (*step).max(1);
                    let mut i = first;
                    while i <= last && i < argc {
                        out(i as usize, spec_idx);
                        i += step;
                    }
                }
                FindKeys::KeyNum {
                    key_num_idx,
                    first_key,
                    step,
                } => {
                    let idx = first + key_num_idx;
                    if idx >= argc {
                        continue;
                    }
                    let Some(n) = crate::util::parse_i64(&args[idx as usize]) else {
                        continue;
                    };
                    if n <= 0 {
                        continue;
                    }
                    let start = first + first_key;
                    let step = (*step).max(1);
                    for k in 0..n.min(argc as i64) as i32 {
                        let p = start + k * step;
                        if p >= argc {
                            break;
                        }
                        out(p as usize, spec_idx);
                    }
                }
                FindKeys::Unknown => {}
            }
        }
    }
}

fn parse_key_specs(s: &str) -> Vec<KeySpec> {
    let mut out = Vec::new();
    for spec in s.split(';').filter(|x| !x.is_empty()) {
        let parts: Vec<&str> = spec.split('/').collect();
        let begin = parts.first().copied().unwrap_or("unknown");
        let find = parts.get(1).copied().unwrap_or("unknown");
        let flags = parts
            .get(2)
            .map(|f| f.split(',').map(|x| x.to_string()).collect())
            .unwrap_or_default();
        let begin = if let Some(i) = begin.strip_prefix("index:") {
            BeginSearch::Index(i.parse().unwrap_or(0))
        } else if let Some(k) = begin.strip_prefix("keyword:") {
            let (kw, from) = k.split_once('@').unwrap_or((k, "0"));
            BeginSearch::Keyword {
                keyword: kw.to_string(),
                start_from: from.parse().unwrap_or(0),
            }
        } else {
            BeginSearch::Unknown
        };
        let nums = |x: &str| -> Vec<i32> { x.split(',').map(|n| n.parse().unwrap_or(0)).collect() };
        let find = if let Some(r) = find.strip_prefix("range:") {
            let n = nums(r);
            FindKeys::Range {
                last_key: n.first().copied().unwrap_or(0),
                step: n.get(1).copied().unwrap_or(1),
                limit: n.get(2).copied().unwrap_or(0),
            }
        } else if let Some(r) = find.strip_prefix("keynum:") {
            let n = nums(r);
            FindKeys::KeyNum {
                key_num_idx: n.first().copied().unwrap_or(0),
                first_key: n.get(1).copied().unwrap_or(1),
                step: n.get(2).copied().unwrap_or(1),
            }
        } else {
            FindKeys::Unknown
        };
        out.push(KeySpec { begin, find, flags });
    }
    out
}

fn parse_flags(s: &str) -> u32 {
    let mut f = 0;
    for name in s.split(',').filter(|x| !x.is_empty()) {
        if let Some((_, bit)) = flags::NAMES.iter().find(|(n, _)| *n == name) {
            f |= bit;
        }
    }
    f
}

/// A row of the TSV before a handler is attached.
struct Meta {
    name: String,
    group: String,
    since: String,
    arity: i32,
    flags: u32,
    acl: Vec<String>,
    key_specs: Vec<KeySpec>,
    deprecated: bool,
    syntax: String,
}

fn load_meta() -> HashMap<String, Meta> {
    let mut out = HashMap::new();
    for line in TSV.lines().skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        if c.len() < 9 {
            continue;
        }
        let key_specs = parse_key_specs(c[6]);
        let mut flags = parse_flags(c[4]);
        if key_specs.iter().any(|k| {
            matches!(k.begin, BeginSearch::Keyword { .. } | BeginSearch::Unknown)
                || matches!(k.find, FindKeys::KeyNum { .. } | FindKeys::Unknown)
        }) {
            flags |= flags::MOVABLE_KEYS;
        }
        out.insert(
            c[0].to_string(),
            Meta {
                name: c[0].to_string(),
                group: c[1].to_string(),
                since: c[2].to_string(),
                arity: c[3].parse().unwrap_or(0),
                flags,
                acl: c[5]
                    .split(',')
                    .filter(|x| !x.is_empty())
                    .map(|x| x.to_string())
                    .collect(),
                key_specs,
                deprecated: c[7] == "DEPRECATED",
                syntax: c[8].to_string(),
            },
        );
    }
    out
}

/// Builder the families register their handlers with.
pub struct Registry {
    meta: HashMap<String, Meta>,
    registered: Vec<(String, Handler, LockMode)>,
}

impl Registry {
    /// Registers `handler` for command `name` (`get`, or `config|get` for a subcommand).
    /// The lock mode says which shards the dispatcher locks before calling it.
    pub fn add(&mut self, name: &str, handler: Handler, lock: LockMode) {
        assert!(
            self.meta.contains_key(name),
            "command {name} is not in commands.tsv"
        );
        self.registered.push((name.to_string(), handler, lock));
    }
}

pub struct CommandTable {
    /// The top-level commands in an open-addressed table hashed by case-folded name, so
    /// the per-request lookup neither copies, lowercases nor validates the name first.
    slots: Box<[Option<Arc<CommandSpec>>]>,
    len: usize,
}

/// FNV-1a over the name with ASCII letters folded to lowercase (`| 0x20` also folds a few
/// non-letters together; the name comparison after the probe sorts those out).
#[inline]
fn name_hash(name: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in name {
        h = (h ^ (b | 0x20) as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ (h >> 29)
}

/// Placeholder handler for container commands (their subcommands do the work).
fn container_handler(_: &mut super::Ctx, _: &[bytes::Bytes]) -> crate::resp::Reply {
    crate::resp::Reply::err("ERR missing subcommand")
}

impl CommandTable {
    pub fn build(register: impl FnOnce(&mut Registry)) -> CommandTable {
        let mut reg = Registry {
            meta: load_meta(),
            registered: Vec::new(),
        };
        register(&mut reg);
        let mut top: HashMap<String, CommandSpec> = HashMap::new();
        let mut subs: Vec<CommandSpec> = Vec::new();
        let make = |m: &Meta, handler: Option<Handler>, lock: LockMode| CommandSpec {
            name: m.name.clone(),
            group: m.group.clone(),
            since: m.since.clone(),
            arity: m.arity,
            flags: m.flags,
            acl_categories: m.acl.clone(),
            key_specs: m.key_specs.clone(),
            deprecated: m.deprecated,
            syntax: m.syntax.clone(),
            handler,
            lock,
            subcommands: AHashMap::new(),
            stats: CmdStats::default(),
        };
        for (name, h, lock) in &reg.registered {
            let m = &reg.meta[name];
            if let Some((parent, _)) = name.split_once('|') {
                subs.push(make(m, Some(*h), *lock));
                if !top.contains_key(parent) {
                    let pm = &reg.meta[parent];
                    top.insert(
                        parent.to_string(),
                        make(pm, Some(container_handler), LockMode::None),
                    );
                }
            } else {
                top.insert(name.clone(), make(m, Some(*h), *lock));
            }
        }
        for s in subs {
            let (parent, child) = s.name.split_once('|').unwrap();
            let (parent, child) = (parent.to_string(), child.to_string());
            top.get_mut(&parent)
                .unwrap()
                .subcommands
                .insert(child, Arc::new(s));
        }
        let len = top.len();
        let size = (len * 4).next_power_of_two().max(64);
        let mut slots: Box<[Option<Arc<CommandSpec>>]> = vec![None; size].into_boxed_slice();
        for (name, spec) in top {
            let mut i = name_hash(name.as_bytes()) as usize & (size - 1);
            while slots[i].is_some() {
                i = (i + 1) & (size - 1);
            }
            slots[i] = Some(Arc::new(spec));
        }
        CommandTable { slots, len }
    }

    /// Looks up a top-level command by its (any-case) name.
    pub fn get(&self, name: &[u8]) -> Option<&Arc<CommandSpec>> {
        if name.len() > 64 {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = name_hash(name) as usize & mask;
        loop {
            match &self.slots[i] {
                None => return None,
                Some(spec) if spec.name.as_bytes().eq_ignore_ascii_case(name) => return Some(spec),
                Some(_) => i = (i + 1) & mask,
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<CommandSpec>> {
        self.slots.iter().flatten()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Resets the per-command statistics (CONFIG RESETSTAT).
    pub fn reset_stats(&self) {
        for c in self.iter() {
            for s in std::iter::once(c).chain(c.subcommands.values()) {
                s.stats.calls.store(0, Ordering::Relaxed);
                s.stats.usec.store(0, Ordering::Relaxed);
                s.stats.rejected.store(0, Ordering::Relaxed);
                s.stats.failed.store(0, Ordering::Relaxed);
                s.stats.hist.reset();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn spec(name: &str) -> CommandSpec {
        let meta = load_meta();
        let m = &meta[name];
        CommandSpec {
            name: m.name.clone(),
            group: m.group.clone(),
            since: m.since.clone(),
            arity: m.arity,
            flags: m.flags,
            acl_categories: m.acl.clone(),
            key_specs: m.key_specs.clone(),
            deprecated: false,
            syntax: String::new(),
            handler: None,
            lock: LockMode::Keys,
            subcommands: AHashMap::new(),
            stats: CmdStats::default(),
        }
    }

    fn args(s: &str) -> Vec<Bytes> {
        s.split(' ').map(|x| Bytes::from(x.to_string())).collect()
    }

    #[test]
    fn lookup_any_case() {
        let t = crate::commands::build_table();
        assert!(t.len() > 200);
        for c in t.iter() {
            assert_eq!(t.get(c.name.as_bytes()).unwrap().name, c.name);
            let upper = c.name.to_ascii_uppercase();
            assert_eq!(t.get(upper.as_bytes()).unwrap().name, c.name);
        }
        assert!(t.get(b"nosuchcommand").is_none());
        assert!(t.get(b"").is_none());
        assert!(t.get(b"GET\xff").is_none());
        assert!(t.get(b"gEt").is_some());
        assert!(t.get(b"ge").is_none());
    }

    #[test]
    fn key_positions() {
        assert_eq!(spec("get").key_positions(&args("get k")).to_vec(), vec![1]);
        assert_eq!(
            spec("mset").key_positions(&args("mset a 1 b 2")).to_vec(),
            vec![1, 3]
        );
        assert_eq!(
            spec("del").key_positions(&args("del a b c")).to_vec(),
            vec![1, 2, 3]
        );
        assert_eq!(
            spec("blpop").key_positions(&args("blpop a b 0")).to_vec(),
            vec![1, 2]
        );
        assert_eq!(
            spec("zunionstore")
                .key_positions(&args("zunionstore d 2 a b weights 1 2"))
                .to_vec(),
            vec![1, 3, 4]
        );
        assert_eq!(
            spec("xread")
                .key_positions(&args("xread count 1 streams a b 0 0"))
                .to_vec(),
            vec![4, 5]
        );
        assert_eq!(
            spec("eval").key_positions(&args("eval s 1 k a")).to_vec(),
            vec![3]
        );
        assert!(spec("mset").has(flags::DENYOOM));
    }
}
