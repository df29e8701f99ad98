//! Differential test: Tessera vs redis-server.
//!
//! Starts a real `redis-server` and the `tessera` binary on free ports (both with
//! `--save '' --appendonly no`), sends the same commands to both and compares the
//! replies as `redis::Value`s (errors: code + message text).
//!
//! Phase 1: seeded random command sequences over a small key space, generated from
//!          the `ROWS` table (command name, argument generator). Each sequence starts
//!          from an empty database.
//! Phase 2: wrong-arity probes for every enabled command, then hand-written edge
//!          cases (`EDGE_CASES`).
//!
//! All mismatches (up to `DIFF_MAX_MISMATCHES`, default 50) are collected, printed
//! with the seed, the command, both replies and the commands that led there, and
//! then the test fails.
//!
//! Environment:
//!   DIFF_TARGET_BIN      binary to test instead of CARGO_BIN_EXE_tessera (set it to
//!                        `redis-server` to check that the harness itself is
//!                        deterministic: it must report 0 mismatches)
//!   DIFF_REDIS_BIN       reference server (default `redis-server` from PATH; if it is
//!                        not installed the test prints "skipping" and passes)
//!   DIFF_SEED            u64 seed for phase 1 (default: fixed, printed at start)
//!   DIFF_SEQUENCES       number of random sequences (default 400)
//!   DIFF_SEQ_LEN         commands per sequence (default 40)
//!   DIFF_ONLY_SEQ        run only this sequence index of phase 1 (to reproduce)
//!   DIFF_FAMILIES        command families to enable: a comma list ("string,list"),
//!                        "all", or "+list,+hash" to add to the defaults
//!   DIFF_MAX_MISMATCHES  stop after this many mismatches (default 50)
//!   DIFF_VERBOSE=1       print every command and reply
//!
//! Time-dependent replies: TTL/PTTL/EXPIRETIME/PEXPIRETIME are compared only as a
//! category (>= 0, -1, -2). Expiry arguments are chosen so that NX/XX/GT/LT outcomes
//! do not depend on the few milliseconds between the two servers: relative TTLs are
//! "tier - step*100s" (different tiers are ~115 days apart, and a later command in a
//! sequence always has a TTL at least 100 s shorter than an earlier one of the same
//! tier), absolute ones are fixed constants far in the past or future. No key is ever
//! given a TTL that can run out during the test.

use redis::{ConnectionLike, Value};
use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Families
// ---------------------------------------------------------------------------

/// Families exercised by default: everything Tessera implements that has rows here.
const FOUNDATION_FAMILIES: &[&str] = &[
    "string", "bitmap", "generic", "list", "hash", "set", "zset", "stream", "hll", "geo",
];

/// Families whose rows exist but are not run by default (none at the moment; a new family
/// can start here while it is being implemented).
const LATER_FAMILIES: &[&str] = &[];

// ---------------------------------------------------------------------------
// PRNG (xorshift64, seeded through splitmix64): reproducible, no `rand` needed.
// ---------------------------------------------------------------------------

const DEFAULT_SEED: u64 = 0x7E55_E4A0_D1FF_0001;

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x1234_5678 } else { z })
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            xs.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------
// Argument generation
// ---------------------------------------------------------------------------

type Arg = Vec<u8>;

fn a(s: impl AsRef<[u8]>) -> Arg {
    s.as_ref().to_vec()
}

/// The key space of phase 1 (includes the empty key and a binary one).
const KEYS: &[&[u8]] = &[b"k0", b"k1", b"k2", b"k3", b"k4", b"k5", b"", b"b\x00\xffk"];

/// Values: integers (incl. limits and non-canonical forms), floats, empty, binary.
const VALUES: &[&[u8]] = &[
    b"0",
    b"1",
    b"-1",
    b"42",
    b"-17",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"18446744073709551616",
    b"3.14",
    b"-0.5",
    b"1e3",
    b"inf",
    b"nan",
    b"010",
    b"+5",
    b" 12",
    b"0x1f",
    b"",
    b"abc",
    b"hello world",
    b"ohmytext",
    b"mynewtext",
    b"\x00\x01\xff\xfe",
    b"\xff\xf0\x00\x0f",
    b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghij",
];

#[rustfmt::skip]
const INTS: &[&str] = &[
    "0", "1", "-1", "2", "5", "10", "-3", "100", "-100", "1000",
    "9223372036854775807", "-9223372036854775808", "abc", "1.5", "", "+1", " 1",
];

#[rustfmt::skip]
const FLOATS: &[&str] = &[
    "0", "1", "-1", "1.5", "-2.25", "0.1", "1e2", "5.0e3", "-0", "3", "1.23456789012345678",
    "inf", "-inf", "+inf", "nan", "abc", "", "1e400", "0x10", "17e-2",
];

const FAR_FUTURE_S: &[&str] = &["4102444800", "4133980800", "32503680000"];
const FAR_FUTURE_MS: &[&str] = &["4102444800000", "4133980800000", "32503680000000"];

struct Gen {
    rng: Rng,
    /// Commands generated so far in this sequence; makes later relative TTLs shorter.
    step: u64,
}

impl Gen {
    fn new(seed: u64, seq: u64) -> Gen {
        Gen {
            rng: Rng::new(seed ^ seq.wrapping_mul(0xA24B_AED4_963E_E407)),
            step: 0,
        }
    }
    fn key(&mut self) -> Arg {
        a(self.rng.pick(KEYS))
    }
    /// A stream ID from a small space (so IDs collide and ordering errors happen), with
    /// the odd invalid one.
    fn stream_id(&mut self) -> Arg {
        if self.rng.chance(5) {
            return a(self
                .rng
                .pick(&["0-0", "abc", "1-x", "-1", "18446744073709551615-1"]));
        }
        a(format!("{}-{}", self.rng.range(1, 6), self.rng.range(0, 3)))
    }
    fn small_count(&mut self) -> Arg {
        a(self.rng.range(0, 5).to_string())
    }
    fn keys(&mut self, lo: i64, hi: i64) -> Vec<Arg> {
        let n = self.rng.range(lo, hi);
        (0..n).map(|_| self.key()).collect()
    }
    fn val(&mut self) -> Arg {
        a(self.rng.pick(VALUES))
    }
    fn int(&mut self) -> Arg {
        a(self.rng.pick(INTS))
    }
    /// An integer argument that is valid 90% of the time.
    fn int_mostly_valid(&mut self) -> Arg {
        if self.rng.chance(10) {
            self.int()
        } else {
            a(*self.rng.pick(&[
                "0",
                "1",
                "-1",
                "2",
                "5",
                "100",
                "-100",
                "127",
                "-128",
                "255",
                "9223372036854775807",
            ]))
        }
    }
    fn float(&mut self) -> Arg {
        a(self.rng.pick(FLOATS))
    }
    /// Small index for GETRANGE/BITCOUNT/...: mostly -12..=12, sometimes extreme.
    fn index(&mut self) -> Arg {
        if self.rng.chance(8) {
            a(*self.rng.pick(&[
                "9223372036854775807",
                "-9223372036854775808",
                "100",
                "-100",
                "x",
            ]))
        } else {
            a(self.rng.range(-12, 12).to_string())
        }
    }
    /// An option keyword, sometimes in lower/mixed case.
    fn kw(&mut self, s: &str) -> Arg {
        match self.rng.below(10) {
            0 => a(s.to_ascii_lowercase()),
            1 => {
                let mut v = s.to_ascii_lowercase().into_bytes();
                if let Some(c) = v.first_mut() {
                    c.make_ascii_uppercase();
                }
                v
            }
            _ => a(s),
        }
    }
    /// One of a fixed list of literal arguments.
    fn lit(&mut self, xs: &[&str]) -> Arg {
        a(*self.rng.pick(xs))
    }
    /// Timeout of a blocking command: 1 ms (the harness sets hz 500 so that Redis notices
    /// it in time), or an invalid one. Never 0, never long.
    fn blocking_timeout(&mut self) -> Arg {
        if self.rng.chance(10) {
            self.lit(&["-1", "abc", "-0.5", "", "1x", "-0.01"])
        } else {
            a("0.001")
        }
    }
    /// A numkeys argument followed by that many keys from `key`; sometimes numkeys
    /// disagrees with the keys given.
    fn numkeys_and(&mut self, key: fn(&mut Gen) -> Arg) -> Vec<Arg> {
        let n = self.rng.range(1, 3);
        let mut args = vec![a(n.to_string())];
        args.extend((0..n).map(|_| key(self)));
        if self.rng.chance(8) {
            args[0] = self.lit(&["0", "-1", "abc", "x", "4", "5", "9223372036854775807"]);
        }
        args
    }
    /// One of `options`, as a keyword (see `kw`).
    fn kw_of(&mut self, options: &[&str]) -> Arg {
        let s = *self.rng.pick(options);
        self.kw(s)
    }
    fn tier(&mut self) -> u64 {
        self.rng.range(1, 4) as u64
    }
    /// Relative expiry in seconds (see the module doc), sometimes invalid / non-positive.
    fn ttl_s(&mut self) -> Arg {
        if self.rng.chance(10) {
            return a(*self
                .rng
                .pick(&["0", "-1", "-100", "abc", "9223372036854775807", "1.5"]));
        }
        let t = self.tier();
        a((t * 10_000_000 - self.step * 100).to_string())
    }
    fn ttl_ms(&mut self) -> Arg {
        if self.rng.chance(10) {
            return a(*self
                .rng
                .pick(&["0", "-1", "-100000", "abc", "9223372036854775807"]));
        }
        let t = self.tier();
        a((t * 10_000_000_000 - self.step * 100_000).to_string())
    }
    /// Absolute expiry in seconds: the distant past or a fixed far future.
    fn at_s(&mut self) -> Arg {
        if self.rng.chance(25) {
            a(*self.rng.pick(&["1", "0", "-5"]))
        } else {
            a(self.rng.pick(FAR_FUTURE_S))
        }
    }
    fn at_ms(&mut self) -> Arg {
        if self.rng.chance(25) {
            a(*self.rng.pick(&["1", "0", "-5"]))
        } else {
            a(self.rng.pick(FAR_FUTURE_MS))
        }
    }
    /// Expiry for SET/GETEX. SET never gets a past absolute time: Redis keeps such a
    /// key until it is touched, so DBSIZE would depend on the active expire cycle.
    fn expiry_opt(&mut self, allow_past_abs: bool) -> Vec<Arg> {
        match self.rng.below(5) {
            0 => vec![self.kw("EX"), self.ttl_s()],
            1 => vec![self.kw("PX"), self.ttl_ms()],
            2 => {
                let t = if allow_past_abs {
                    self.at_s()
                } else {
                    a(self.rng.pick(FAR_FUTURE_S))
                };
                vec![self.kw("EXAT"), t]
            }
            3 => {
                let t = if allow_past_abs {
                    self.at_ms()
                } else {
                    a(self.rng.pick(FAR_FUTURE_MS))
                };
                vec![self.kw("PXAT"), t]
            }
            _ => vec![self.kw("EX"), self.ttl_s()],
        }
    }
    fn expire_flags(&mut self) -> Vec<Arg> {
        let n = match self.rng.below(10) {
            0..=3 => 0,
            4..=8 => 1,
            _ => 2,
        };
        (0..n)
            .map(|_| {
                let f = *self.rng.pick(&["NX", "XX", "GT", "LT"]);
                self.kw(f)
            })
            .collect()
    }
    fn bit_offset(&mut self) -> Arg {
        match self.rng.below(20) {
            0 => a(*self.rng.pick(&["-1", "abc", "4294967296", "1.5"])),
            1..=3 => a(self.rng.range(0, 2000).to_string()),
            _ => a(self.rng.range(0, 100).to_string()),
        }
    }
    fn bitfield_type(&mut self) -> Arg {
        if self.rng.chance(3) {
            return a(*self.rng.pick(&["u64", "i65", "i0", "x8", "u"]));
        }
        a(*self.rng.pick(&[
            "i1", "i5", "i8", "i16", "i32", "i63", "i64", "u1", "u5", "u8", "u16", "u32", "u63",
        ]))
    }
    fn bitfield_offset(&mut self) -> Arg {
        match self.rng.below(10) {
            0 => a(format!("#{}", self.rng.range(0, 3))),
            1 if self.rng.chance(40) => a(*self.rng.pick(&["-1", "abc", "#-1"])),
            _ => a(self.rng.range(0, 96).to_string()),
        }
    }
    fn member(&mut self) -> Arg {
        a(*self
            .rng
            .pick(&["a", "b", "c", "d", "1", "2", "10", "-3", "1.5", ""]))
    }
}

// ---------------------------------------------------------------------------
// The command table: (family, command name, reply normalisation, weight, generator)
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Debug)]
enum Norm {
    /// Compare the full Value.
    Exact,
    /// Integer TTL-like reply: compare only as >=0 / -1 / -2.
    Ttl,
    /// Array whose order is unspecified (KEYS, SMEMBERS): compare sorted.
    Sorted,
    /// Flat field/value array whose pair order is unspecified (HGETALL): sort pairs.
    SortedPairs,
    /// SCAN-like `[cursor, [elements]]`: the elements compared sorted (SSCAN).
    ScanSorted,
    /// SCAN-like `[cursor, [field, value, ...]]`: the pairs compared sorted (HSCAN).
    ScanPairs,
    /// A random pick (SRANDMEMBER, HRANDFIELD, SPOP): checked by
    /// `collections::check_random` (shape, and consistency with the data).
    Random,
    /// A random reply compared by shape only (ZRANDMEMBER with a count): every bulk
    /// string becomes a placeholder; nil, integers, errors and array lengths stay.
    Shape,
}

type ArgGen = fn(&mut Gen) -> Vec<Arg>;

struct Row {
    family: &'static str,
    name: &'static str,
    norm: Norm,
    weight: u32,
    gen: ArgGen,
}

const fn row(family: &'static str, name: &'static str, weight: u32, gen: ArgGen) -> Row {
    Row {
        family,
        name,
        norm: Norm::Exact,
        weight,
        gen,
    }
}
const fn row_n(
    family: &'static str,
    name: &'static str,
    norm: Norm,
    weight: u32,
    gen: ArgGen,
) -> Row {
    Row {
        family,
        name,
        norm,
        weight,
        gen,
    }
}

fn gen_set(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key(), g.val()];
    let mut opts: Vec<Vec<Arg>> = Vec::new();
    match g.rng.below(10) {
        0..=1 => opts.push(vec![g.kw("NX")]),
        2..=3 => opts.push(vec![g.kw("XX")]),
        4 => {
            opts.push(vec![g.kw("NX")]);
            opts.push(vec![g.kw("XX")]);
        }
        _ => {}
    }
    if g.rng.chance(25) {
        opts.push(vec![g.kw("GET")]);
    }
    match g.rng.below(10) {
        0..=2 => opts.push(g.expiry_opt(false)),
        3 => opts.push(vec![g.kw("KEEPTTL")]),
        4 => {
            // conflicting expiry options -> syntax error
            opts.push(g.expiry_opt(false));
            if g.rng.chance(50) {
                opts.push(vec![g.kw("KEEPTTL")]);
            } else {
                opts.push(g.expiry_opt(false));
            }
        }
        5 if g.rng.chance(30) => opts.push(vec![a(*g.rng.pick(&["EX", "PX", "FOO", "GETT"]))]),
        _ => {}
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts.into_iter().flatten());
    args
}

fn gen_pairs(g: &mut Gen) -> Vec<Arg> {
    let n = g.rng.range(1, 3);
    let mut args = Vec::new();
    for _ in 0..n {
        args.push(g.key());
        args.push(g.val());
    }
    args
}

fn gen_getex(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    match g.rng.below(10) {
        0..=2 => {}
        3..=7 => args.extend(g.expiry_opt(true)),
        8 => args.push(g.kw("PERSIST")),
        _ => {
            args.extend(g.expiry_opt(true));
            args.push(g.kw("PERSIST"));
        }
    }
    args
}

fn gen_lcs(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key(), g.key()];
    let mut opts: Vec<Vec<Arg>> = Vec::new();
    if g.rng.chance(30) {
        opts.push(vec![g.kw("LEN")]);
    }
    if g.rng.chance(50) {
        opts.push(vec![g.kw("IDX")]);
    }
    if g.rng.chance(30) {
        let n = a(*g.rng.pick(&["0", "1", "2", "3", "5", "-1", "x"]));
        opts.push(vec![g.kw("MINMATCHLEN"), n]);
    }
    if g.rng.chance(30) {
        opts.push(vec![g.kw("WITHMATCHLEN")]);
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts.into_iter().flatten());
    args
}

fn gen_range(g: &mut Gen) -> Vec<Arg> {
    vec![g.key(), g.index(), g.index()]
}

fn gen_setrange(g: &mut Gen) -> Vec<Arg> {
    let off = match g.rng.below(20) {
        0 => a(*g.rng.pick(&["-1", "abc", "536870912"])),
        _ => a(g.rng.range(0, 24).to_string()),
    };
    vec![g.key(), off, g.val()]
}

fn gen_bitcount(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    match g.rng.below(10) {
        0..=2 => {}
        3 => args.push(g.index()), // start without end: syntax error
        4..=6 => {
            args.push(g.index());
            args.push(g.index());
        }
        _ => {
            args.push(g.index());
            args.push(g.index());
            args.push(g.kw_of(&["BYTE", "BIT", "BIT", "BITS"]));
        }
    }
    args
}

fn gen_bitpos(g: &mut Gen) -> Vec<Arg> {
    let bit = a(*g.rng.pick(&["0", "1", "0", "1", "2", "-1"]));
    let mut args = vec![g.key(), bit];
    match g.rng.below(8) {
        0..=2 => {}
        3..=4 => args.push(g.index()),
        5..=6 => {
            args.push(g.index());
            args.push(g.index());
        }
        _ => {
            args.push(g.index());
            args.push(g.index());
            args.push(g.kw_of(&["BYTE", "BIT", "BIT", "BITS"]));
        }
    }
    args
}

fn gen_bitop(g: &mut Gen) -> Vec<Arg> {
    let op = *g
        .rng
        .pick(&["AND", "OR", "XOR", "NOT", "NOT", "AND", "OR", "XOR", "DIFF"]);
    let mut args = vec![g.kw(op), g.key()];
    let n = if op == "NOT" && g.rng.chance(80) {
        1
    } else {
        g.rng.range(1, 3)
    };
    args.extend((0..n).map(|_| g.key()));
    args
}

fn bitfield_ops(g: &mut Gen, read_only: bool) -> Vec<Arg> {
    let mut args = vec![g.key()];
    let n = g.rng.range(1, 3);
    for _ in 0..n {
        let choice = if read_only && g.rng.chance(90) {
            0
        } else {
            g.rng.below(4)
        };
        match choice {
            0 => {
                args.push(g.kw("GET"));
                args.push(g.bitfield_type());
                args.push(g.bitfield_offset());
            }
            1 => {
                args.push(g.kw("SET"));
                args.push(g.bitfield_type());
                args.push(g.bitfield_offset());
                args.push(g.int_mostly_valid());
            }
            2 => {
                args.push(g.kw("INCRBY"));
                args.push(g.bitfield_type());
                args.push(g.bitfield_offset());
                args.push(g.int_mostly_valid());
            }
            _ => {
                args.push(g.kw("OVERFLOW"));
                let o = *g.rng.pick(&["WRAP", "SAT", "FAIL", "FAIL", "SATURATE"]);
                args.push(g.kw(o));
            }
        }
    }
    args
}

fn gen_bitfield(g: &mut Gen) -> Vec<Arg> {
    bitfield_ops(g, false)
}

fn gen_bitfield_ro(g: &mut Gen) -> Vec<Arg> {
    bitfield_ops(g, true)
}

fn gen_copy(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key(), g.key()];
    if g.rng.chance(30) {
        args.push(g.kw("REPLACE"));
    }
    if g.rng.chance(10) {
        args.push(g.kw("DB"));
        args.push(a("0"));
    }
    args
}

fn gen_expire(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key(), g.ttl_s()];
    args.extend(g.expire_flags());
    args
}

fn gen_pexpire(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key(), g.ttl_ms()];
    args.extend(g.expire_flags());
    args
}

fn gen_expireat(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key(), g.at_s()];
    args.extend(g.expire_flags());
    args
}

fn gen_pexpireat(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key(), g.at_ms()];
    args.extend(g.expire_flags());
    args
}

fn gen_keys_pattern(g: &mut Gen) -> Vec<Arg> {
    vec![a(*g
        .rng
        .pick(&["*", "k*", "k?", "[a-k]*", "*0", "b*", "nomatch*"]))]
}

// --- later families (disabled by default, see LATER_FAMILIES) ---

fn gen_sort(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    if g.rng.chance(40) {
        args.push(g.kw("LIMIT"));
        args.push(a(g.rng.range(-1, 3).to_string()));
        args.push(a(g.rng.range(-1, 4).to_string()));
    }
    if g.rng.chance(50) {
        args.push(g.kw("ALPHA"));
    }
    if g.rng.chance(40) {
        args.push(g.kw_of(&["ASC", "DESC"]));
    }
    args
}

const ROWS: &[Row] = &[
    // --- string ---
    row("string", "GET", 8, |g| vec![g.key()]),
    row("string", "SET", 10, gen_set),
    row("string", "SETNX", 2, |g| vec![g.key(), g.val()]),
    row("string", "MGET", 2, |g| g.keys(1, 4)),
    row("string", "MSET", 2, gen_pairs),
    row("string", "MSETNX", 2, gen_pairs),
    row("string", "GETSET", 2, |g| vec![g.key(), g.val()]),
    row("string", "GETDEL", 2, |g| vec![g.key()]),
    row("string", "GETEX", 3, gen_getex),
    row("string", "APPEND", 3, |g| vec![g.key(), g.val()]),
    row("string", "STRLEN", 2, |g| vec![g.key()]),
    row("string", "INCR", 3, |g| vec![g.key()]),
    row("string", "DECR", 2, |g| vec![g.key()]),
    row("string", "INCRBY", 3, |g| vec![g.key(), g.int()]),
    row("string", "DECRBY", 2, |g| vec![g.key(), g.int()]),
    row("string", "INCRBYFLOAT", 4, |g| vec![g.key(), g.float()]),
    row("string", "GETRANGE", 3, gen_range),
    row("string", "SUBSTR", 1, gen_range),
    row("string", "SETRANGE", 3, gen_setrange),
    row("string", "LCS", 3, gen_lcs),
    // --- bitmap ---
    row("bitmap", "SETBIT", 4, |g| {
        let bit = if g.rng.chance(8) {
            a(*g.rng.pick(&["2", "-1", "x"]))
        } else {
            a(*g.rng.pick(&["0", "1", "1"]))
        };
        vec![g.key(), g.bit_offset(), bit]
    }),
    row("bitmap", "GETBIT", 3, |g| vec![g.key(), g.bit_offset()]),
    row("bitmap", "BITCOUNT", 3, gen_bitcount),
    row("bitmap", "BITPOS", 3, gen_bitpos),
    row("bitmap", "BITOP", 3, gen_bitop),
    row("bitmap", "BITFIELD", 4, gen_bitfield),
    row("bitmap", "BITFIELD_RO", 2, gen_bitfield_ro),
    // --- generic ---
    row("generic", "DEL", 3, |g| g.keys(1, 3)),
    row("generic", "UNLINK", 1, |g| g.keys(1, 3)),
    row("generic", "EXISTS", 3, |g| g.keys(1, 4)),
    row("generic", "TYPE", 2, |g| vec![g.key()]),
    row("generic", "RENAME", 2, |g| vec![g.key(), g.key()]),
    row("generic", "RENAMENX", 2, |g| vec![g.key(), g.key()]),
    row("generic", "COPY", 2, gen_copy),
    row("generic", "EXPIRE", 3, gen_expire),
    row("generic", "PEXPIRE", 2, gen_pexpire),
    row("generic", "EXPIREAT", 2, gen_expireat),
    row("generic", "PEXPIREAT", 2, gen_pexpireat),
    row("generic", "PERSIST", 2, |g| vec![g.key()]),
    row_n("generic", "TTL", Norm::Ttl, 3, |g| vec![g.key()]),
    row_n("generic", "PTTL", Norm::Ttl, 2, |g| vec![g.key()]),
    row_n("generic", "EXPIRETIME", Norm::Ttl, 1, |g| vec![g.key()]),
    row_n("generic", "PEXPIRETIME", Norm::Ttl, 1, |g| vec![g.key()]),
    row("generic", "TOUCH", 1, |g| g.keys(1, 3)),
    row("generic", "DBSIZE", 1, |_| vec![]),
    row_n("generic", "KEYS", Norm::Sorted, 1, gen_keys_pattern),
    // --- list, hash, set: see tests/differential/collections.rs ---
    row("list", "SORT", 2, gen_sort),
    // --- zset, hll, geo: see tests/differential/zset_geo_hll.rs ---
    // --- stream (explicit IDs only: `*` would differ between the servers) ---
    row("stream", "XADD", 4, |g| {
        let mut v = vec![g.key()];
        if g.rng.chance(15) {
            v.extend([a("MAXLEN"), g.small_count()]);
        }
        v.extend([g.stream_id(), a("f"), g.val()]);
        if g.rng.chance(10) {
            v.push(a("g"));
        }
        v
    }),
    row("stream", "XLEN", 1, |g| vec![g.key()]),
    row("stream", "XRANGE", 2, |g| {
        let mut v = vec![g.key(), a("-"), a("+")];
        if g.rng.chance(40) {
            v.extend([a("COUNT"), g.small_count()]);
        }
        v
    }),
    row("stream", "XREVRANGE", 1, |g| {
        vec![g.key(), a("+"), g.stream_id(), a("COUNT"), g.small_count()]
    }),
    row("stream", "XDEL", 1, |g| vec![g.key(), g.stream_id()]),
    row("stream", "XTRIM", 1, |g| {
        vec![g.key(), a("MAXLEN"), g.small_count()]
    }),
    row("stream", "XSETID", 1, |g| vec![g.key(), g.stream_id()]),
    row("stream", "XGROUP", 2, |g| {
        let mut v = vec![
            a("CREATE"),
            g.key(),
            a("grp"),
            a(g.rng.pick(&["0", "$", "2-1"])),
        ];
        if g.rng.chance(50) {
            v.push(a("MKSTREAM"));
        }
        v
    }),
    row("stream", "XREADGROUP", 2, |g| {
        vec![
            a("GROUP"),
            a("grp"),
            a(g.rng.pick(&["alice", "bob"])),
            a("COUNT"),
            g.small_count(),
            a("STREAMS"),
            g.key(),
            a(g.rng.pick(&[">", ">", "0"])),
        ]
    }),
    row("stream", "XACK", 1, |g| {
        vec![g.key(), a("grp"), g.stream_id()]
    }),
    row("stream", "XPENDING", 1, |g| vec![g.key(), a("grp")]),
];

// ---------------------------------------------------------------------------
// Phase 2: hand-written edge cases. Each case runs on an empty database; every
// reply (set-up commands included) is compared. Syntax: words separated by spaces,
// "double quotes" for empty strings / spaces, \xHH escapes inside quotes.
// ---------------------------------------------------------------------------

#[rustfmt::skip]
const EDGE_CASES: &[(&str, &[&str])] = &[
    // SET options
    ("string", &["SET k v EX 0", "SET k v EX -1", "SET k v PX 0", "SET k v EX abc", "EXISTS k"]),
    ("string", &["SET k v EX 10 PX 100", "SET k v NX XX", "SET k v KEEPTTL EX 10", "SET k v EX", "SET k v FOO"]),
    ("string", &["SET k v EX 9223372036854775807", "SET k v PX 9223372036854775807", "SET k v EXAT 0"]),
    ("string", &["SET k v GET", "SET k w GET", "SET k x NX GET", "SET k2 y XX GET", "MGET k k2"]),
    ("string", &["SET k v EXAT 1", "EXISTS k", "GET k"]),
    ("string", &["SET k v EX 1000", "SET k w KEEPTTL", "TTL k", "SET k x", "TTL k", "PTTL nokey"]),
    ("string", &["SET k v PXAT 32503680000000", "PEXPIRETIME k", "EXPIRETIME k", "GETEX k PERSIST", "TTL k"]),
    ("string", &["set k v ex 100 nx", "Set k v Xx Get", "sEt k \"\" keepttl", "STRLEN k"]),
    // INCR family
    ("string", &["SET k abc", "INCR k", "DECR k", "INCRBY k 1", "INCRBYFLOAT k 1"]),
    ("string", &["SET k 9223372036854775807", "INCR k", "INCRBY k 1", "DECRBY k -1", "GET k"]),
    ("string", &["SET k -9223372036854775808", "DECR k", "DECRBY k 1", "INCRBY k -1", "GET k"]),
    ("string", &["DECRBY k -9223372036854775808", "INCRBY k 9223372036854775808", "INCRBY k 1.5", "INCRBY k \"\""]),
    ("string", &["SET k \" 1\"", "INCR k", "SET k \"1 \"", "INCR k", "SET k 010", "INCR k", "SET k +5", "INCR k"]),
    ("string", &["SET k 18446744073709551616", "INCR k", "SET k \"\"", "INCR k", "SET k 0x10", "INCR k"]),
    ("string", &["INCRBYFLOAT k 1e400", "INCRBYFLOAT k inf", "INCRBYFLOAT k -inf", "INCRBYFLOAT k nan", "EXISTS k"]),
    ("string", &["SET k 1.5", "INCRBYFLOAT k 0.1", "INCRBYFLOAT k -1.6", "INCRBYFLOAT k 1.23456789012345678", "GET k"]),
    ("string", &["SET k 3.0e3", "INCRBYFLOAT k 1", "INCRBYFLOAT k2 5.0e3", "INCRBYFLOAT k3 -0", "INCRBYFLOAT k4 17e-2"]),
    ("string", &["SET k 10", "INCRBYFLOAT k 1e308", "INCRBYFLOAT k 1e308", "GET k", "INCR k"]),
    ("string", &["SET k 1e3", "INCR k", "INCRBYFLOAT k 0", "GET k", "INCR k"]),
    ("string", &["SET k inf", "INCRBYFLOAT k 1", "SET k \" 1.5\"", "INCRBYFLOAT k 1", "SET k 1.5", "INCRBYFLOAT k \" 1\""]),
    // GETRANGE / SETRANGE / APPEND / STRLEN
    ("string", &["GETRANGE k 0 -1", "SUBSTR k 0 -1", "STRLEN k"]),
    ("string", &["SET k \"Hello World\"", "GETRANGE k -5 -1", "GETRANGE k 5 2", "GETRANGE k -100 100", "GETRANGE k 0 9223372036854775807", "GETRANGE k -1 -5", "GETRANGE k 11 11", "GETRANGE k x 1"]),
    ("string", &["SET k 12345", "GETRANGE k 1 2", "APPEND k 6", "GET k", "SUBSTR k -3 -2"]),
    ("string", &["SETRANGE k -1 x", "SETRANGE k 536870912 x", "SETRANGE k abc x", "SETRANGE k 5 \"\"", "EXISTS k"]),
    ("string", &["SETRANGE k 3 abc", "GET k", "SETRANGE k 1 \"\\xff\"", "GET k", "SETRANGE k 0 \"\"", "STRLEN k"]),
    ("string", &["SET k 42", "SETRANGE k 1 7", "GET k", "APPEND k 0", "INCR k"]),
    ("string", &["APPEND k \"\"", "EXISTS k", "STRLEN k", "APPEND k \"a\\x00b\"", "GET k", "STRLEN k"]),
    // GETDEL / GETEX / GETSET / MSET / MSETNX / MGET
    ("string", &["GETDEL k", "SET k v", "GETDEL k", "EXISTS k", "GETSET k v", "GETSET k w", "GET k"]),
    ("string", &["GETEX k", "SET k v", "GETEX k EX 0", "GETEX k PX -1", "GETEX k EX 10 PX 10", "GETEX k PERSIST EX 10", "GETEX k FOO", "TTL k"]),
    ("string", &["SET k v", "GETEX k EXAT 1", "EXISTS k", "SET k v", "GETEX k PXAT 32503680000000", "TTL k", "GETEX k PERSIST", "TTL k"]),
    ("string", &["MSET k", "MSET k v k2", "MSET k v k v2", "GET k", "MSETNX k x k3 y", "MGET k k3 nokey", "MSETNX k4 a k5 b", "MGET k4 k5"]),
    ("string", &["MSETNX k a k b", "GET k", "MSET \"\" empty", "GET \"\"", "EXISTS \"\""]),
    // LCS
    ("string", &["SET a ohmytext", "SET b mynewtext", "LCS a b", "LCS a b LEN", "LCS a b IDX", "LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN", "LCS a b LEN IDX", "LCS a nokey", "LCS nokey nokey2 IDX"]),
    ("string", &["SET a ohmytext", "SET b mynewtext", "LCS a b IDX WITHMATCHLEN", "LCS a b MINMATCHLEN -1 IDX", "LCS a b MINMATCHLEN x", "LCS a b FOO", "LCS a"]),
    ("string", &["SET a 12345", "SET b 2345", "LCS a b", "LCS a b IDX", "SET c \"\"", "LCS a c IDX WITHMATCHLEN"]),
    // bitmaps
    ("bitmap", &["SETBIT k 4294967296 1", "SETBIT k -1 1", "SETBIT k 7 2", "SETBIT k 7 -1", "SETBIT k abc 1", "EXISTS k"]),
    ("bitmap", &["SETBIT k 7 1", "SETBIT k 7 1", "SETBIT k 7 0", "GET k", "GETBIT k 4294967296", "GETBIT k 100", "GETBIT nokey 0", "STRLEN k"]),
    ("bitmap", &["SET k \"\\xff\\xf0\\x00\"", "BITCOUNT k", "BITCOUNT k 0 -1 BIT", "BITCOUNT k 1 1", "BITCOUNT k 5 30 BIT", "BITCOUNT k 0", "BITCOUNT k 0 -1 BYTE", "BITCOUNT k 0 -1 BITS", "BITCOUNT nokey 0 -1"]),
    ("bitmap", &["SET k \"\\xff\\xf0\\x00\"", "BITPOS k 0", "BITPOS k 1", "BITPOS k 0 1", "BITPOS k 1 2", "BITPOS k 1 2 -1 BIT", "BITPOS k 0 0 -1 BIT", "BITPOS k 0 0 11 BIT", "BITPOS k 2", "BITPOS k 1 0 -1 FOO"]),
    ("bitmap", &["BITPOS nokey 0", "BITPOS nokey 1", "SET k \"\\xff\\xff\"", "BITPOS k 0", "BITPOS k 0 0 -1", "BITPOS k 0 0", "SET k \"\"", "BITPOS k 0", "BITPOS k 1"]),
    ("bitmap", &["SET a abc", "SET b \"\\x01\\x02\"", "BITOP NOT d a b", "BITOP AND d", "BITOP FOO d a", "BITOP AND d a b", "GET d", "BITOP OR d a b", "GET d", "BITOP XOR d a b", "GET d", "BITOP NOT d b", "GET d"]),
    ("bitmap", &["SET a abc", "BITOP OR d nokey1 nokey2", "EXISTS d", "BITOP AND a a nokey", "GET a", "BITOP NOT d nokey", "EXISTS d"]),
    ("bitmap", &["BITFIELD k GET i64 0", "BITFIELD k GET u64 0", "BITFIELD k GET i0 0", "BITFIELD k GET u63 0", "BITFIELD k SET i8 0 200", "BITFIELD k GET u8 0", "GET k", "BITFIELD k GET i8 -1"]),
    ("bitmap", &["BITFIELD k SET u8 0 255 GET u8 0", "BITFIELD k INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1", "BITFIELD k OVERFLOW FAIL INCRBY u8 0 1", "BITFIELD k OVERFLOW WRAP INCRBY i8 8 200", "BITFIELD k OVERFLOW FOO", "BITFIELD k GET i8 #1 SET i8 #1 -5 GET i8 #1", "BITFIELD k INCRBY i64 0 9223372036854775807", "BITFIELD k"]),
    ("bitmap", &["BITFIELD k SET i8 0 1.5", "BITFIELD k SET i8 0 abc", "BITFIELD k GET", "BITFIELD k FOO i8 0", "BITFIELD_RO k SET i8 0 1", "BITFIELD_RO k GET u8 0 GET i4 4", "BITFIELD_RO k INCRBY i8 0 1", "EXISTS k"]),
    ("bitmap", &["SET k 42", "SETBIT k 0 1", "GET k", "INCR k", "BITCOUNT k", "BITFIELD k GET u8 0"]),
    // generic
    ("generic", &["RENAME nokey x", "RENAMENX nokey x", "SET k v", "RENAME k k", "RENAMENX k k", "RENAME k k2", "EXISTS k k2", "RENAMENX k2 k2", "GET k2"]),
    ("generic", &["SET k v", "SET k2 w", "RENAMENX k k2", "RENAME k k2", "GET k2", "EXISTS k"]),
    ("generic", &["SET k v", "EXPIRE k 1000", "RENAME k k2", "TTL k2", "COPY k2 k3", "TTL k3", "COPY k2 k3", "COPY k2 k3 REPLACE", "COPY k2 k2", "COPY nokey k4", "COPY k2 k4 DB 0", "COPY k2 k4 FOO"]),
    ("generic", &["SET k v", "EXPIRE k 100 NX XX", "EXPIRE k 100 GT LT", "EXPIRE k 100 NX GT", "EXPIRE k 100 FOO", "EXPIRE k abc", "EXPIRE k 1.5", "TTL k"]),
    ("generic", &["SET k v", "EXPIRE k 9223372036854775807", "PEXPIRE k 9223372036854775807", "EXPIREAT k 9223372036854775807", "EXPIRE k -9223372036854775808", "EXISTS k"]),
    ("generic", &["SET k v", "EXPIRE k 100 XX", "EXPIRE k 100 NX", "EXPIRE k 200 NX", "EXPIRE k 50 GT", "EXPIRE k 500 GT", "EXPIRE k 5000 LT", "EXPIRE k 50 LT", "PERSIST k", "EXPIRE k 100 GT", "EXPIRE k 100 LT", "TTL k"]),
    ("generic", &["SET k v", "EXPIRE k -1", "EXISTS k", "SET k v", "PEXPIRE k 0", "EXISTS k", "SET k v", "EXPIREAT k 1", "EXISTS k", "SET k v", "PEXPIREAT k 1 GT", "EXISTS k", "DBSIZE"]),
    ("generic", &["PERSIST nokey", "TTL nokey", "PTTL nokey", "EXPIRETIME nokey", "SET k v", "TTL k", "PERSIST k", "EXPIRE nokey 100", "EXPIRETIME k", "PEXPIRETIME k"]),
    ("generic", &["SET k v", "SET k2 v", "EXISTS k k k nokey", "TOUCH k nokey k2", "DEL k k nokey", "UNLINK k2 k2", "DBSIZE", "TYPE k", "TYPE nokey"]),
    ("generic", &["SET k v", "SET \"\" e", "SET \"b\\x00\\xffk\" bin", "KEYS *", "KEYS k*", "KEYS \"b\\x00*\"", "KEYS [", "DBSIZE", "TYPE \"\""]),
    // arity, unknown commands, case
    ("generic", &["GET", "SET k", "GETRANGE k 0", "DEL", "EXISTS", "EXPIRE k", "TTL", "DBSIZE x", "BITOP", "INCR k k", "STRLEN a b"]),
    ("generic", &["FOOBAR", "FOOBAR a b", "get k", "GeT k", "\"\"", "\"GET k\"", "SET \"\" \"\"", "GET \"\""]),
    // SORT (list family): guarded, lists may not exist yet
    ("list", &["RPUSH l 3 1 2 10", "SORT l", "SORT l DESC", "SORT l ALPHA", "SORT l LIMIT 1 2", "SORT l DESC LIMIT 0 2 ALPHA", "SORT l LIMIT 0", "SORT l FOO", "SORT nokey"]),
    ("list", &["RPUSH l b a c 1", "SORT l", "SORT l ALPHA DESC", "SET s abc", "SORT s", "SORT l LIMIT -1 2", "SORT l LIMIT 1 -1"]),
    // WRONGTYPE: string/bitmap/generic commands against other types
    ("list", &["RPUSH l a", "GET l", "SET l x GET", "INCR l", "INCRBYFLOAT l 1", "APPEND l x", "STRLEN l", "SETRANGE l 0 x", "GETRANGE l 0 1", "GETDEL l", "GETEX l", "GETSET l x"]),
    ("list", &["RPUSH l a", "SET k v", "SETBIT l 0 1", "GETBIT l 0", "BITCOUNT l", "BITPOS l 1", "BITOP AND d l k", "BITFIELD l GET u8 0", "LCS l k", "MGET l k", "TYPE l", "RENAME l l2", "TYPE l2", "COPY l2 l3", "TYPE l3"]),
    ("list", &["RPUSH l a", "SET l x", "TYPE l", "GET l", "RPUSH l b", "MSETNX l 1", "MSET l 1", "GET l", "LPUSH k a"]),
    ("hash", &["HSET h f v", "GET h", "INCR h", "SETBIT h 0 1", "TYPE h", "EXPIRE h 100", "TTL h", "SET h v NX", "SET h v XX", "GET h"]),
    ("set", &["SADD s a", "GET s", "APPEND s x", "BITFIELD_RO s GET u8 0", "TYPE s", "DEL s", "TYPE s"]),
    ("zset", &["ZADD z 1 a", "GET z", "DECRBY z 1", "LCS z z", "TYPE z", "SET z v KEEPTTL", "TYPE z"]),
];

/// Keys the edge cases use (deleted when FLUSHALL is not available).
#[rustfmt::skip]
const EDGE_KEYS: &[&[u8]] = &[
    b"k", b"k2", b"k3", b"k4", b"k5", b"a", b"b", b"c", b"d", b"l", b"l2", b"l3", b"h", b"s", b"z",
    b"x", b"nokey", b"",
];

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

struct Server {
    name: &'static str,
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

fn find_in_path(bin: &str) -> Option<PathBuf> {
    if bin.contains('/') {
        return Path::new(bin).is_file().then(|| PathBuf::from(bin));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(bin))
            .find(|p| p.is_file())
    })
}

fn start_server(name: &'static str, bin: &Path, port: u16) -> Server {
    let dir = std::env::temp_dir().join(format!(
        "tessera-diff-{}-{}-{}",
        std::process::id(),
        name,
        port
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let child = Command::new(bin)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name} ({}): {e}", bin.display()));
    Server {
        name,
        child,
        port,
        dir,
    }
}

fn connect(port: u16) -> redis::RedisResult<redis::Connection> {
    use redis::IntoConnectionInfo;
    let info = ("127.0.0.1", port)
        .into_connection_info()?
        .set_redis_settings(redis::RedisConnectionInfo::default().set_skip_set_lib_name());
    let client = redis::Client::open(info)?;
    let con = client.get_connection_with_timeout(Duration::from_secs(5))?;
    con.set_read_timeout(Some(Duration::from_secs(10)))?;
    con.set_write_timeout(Some(Duration::from_secs(10)))?;
    Ok(con)
}

/// Waits until the server answers PING, returns a connection.
fn wait_ready(server: &mut Server) -> redis::Connection {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!(
                "{} exited during start-up ({status}); log:\n{}",
                server.name,
                server.log()
            );
        }
        if let Ok(mut con) = connect(server.port) {
            if let Ok(Value::SimpleString(s)) = con.req_command(&redis::cmd("PING")) {
                if s == "PONG" {
                    return con;
                }
            }
        }
        if Instant::now() > deadline {
            panic!(
                "{} did not answer PING on port {}; log:\n{}",
                server.name,
                server.port,
                server.log()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// Replies: normalisation, rendering, comparison
// ---------------------------------------------------------------------------

type Reply = Result<Value, String>;

fn send(con: &mut redis::Connection, argv: &[Arg]) -> Reply {
    let mut c = redis::Cmd::new();
    for x in argv {
        c.arg(&x[..]);
    }
    con.req_command(&c)
        .map_err(|e| format!("client/transport error: {e}"))
}

fn normalize(norm: Norm, v: Value) -> Value {
    match (norm, v) {
        (Norm::Ttl, Value::Int(n)) => Value::SimpleString(
            match n {
                -1 => "<ttl -1: no expiry>",
                -2 => "<ttl -2: no key>",
                n if n >= 0 => "<ttl >= 0>",
                _ => "<ttl < -2 (!)>",
            }
            .to_string(),
        ),
        (Norm::Sorted, Value::Array(mut items)) => {
            items.sort_by_key(render);
            Value::Array(items)
        }
        (Norm::SortedPairs, Value::Array(items)) if items.len() % 2 == 0 => {
            let mut pairs: Vec<(Value, Value)> = Vec::new();
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            pairs.sort_by_key(|(k, v)| (render(k), render(v)));
            Value::Array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect())
        }
        (Norm::ScanSorted | Norm::ScanPairs, Value::Array(mut items)) if items.len() == 2 => {
            let inner = if norm == Norm::ScanSorted {
                Norm::Sorted
            } else {
                Norm::SortedPairs
            };
            let elements = normalize(inner, items.pop().unwrap());
            items.push(elements);
            Value::Array(items)
        }
        (Norm::Shape, v) => shape(v),
        (_, v) => v,
    }
}

fn shape(v: Value) -> Value {
    match v {
        Value::BulkString(_) => Value::SimpleString("<bulk>".into()),
        Value::Array(items) => Value::Array(items.into_iter().map(shape).collect()),
        v => v,
    }
}

fn escape(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s.push('"');
    s
}

/// An exact, readable rendering of a Value (distinct Values render differently).
fn render(v: &Value) -> String {
    match v {
        Value::Nil => "(nil)".into(),
        Value::Int(n) => format!("(integer) {n}"),
        Value::BulkString(b) => escape(b),
        Value::SimpleString(s) => format!("+{s}"),
        Value::Okay => "+OK".into(),
        Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(render).collect::<Vec<_>>().join(", ")
            )
        }
        Value::Set(items) => {
            format!(
                "~[{}]",
                items.iter().map(render).collect::<Vec<_>>().join(", ")
            )
        }
        Value::Map(pairs) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{} => {}", render(k), render(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Double(d) => format!("(double) {d:?}"),
        Value::Boolean(b) => format!("(boolean) {b}"),
        Value::ServerError(e) => format!("(error) {} {}", e.code(), e.details().unwrap_or("")),
        other => format!("{other:?}"),
    }
}

fn render_reply(r: &Reply) -> String {
    match r {
        Ok(v) => render(v),
        Err(e) => format!("<{e}>"),
    }
}

fn same(a: &Reply, b: &Reply) -> bool {
    match (a, b) {
        (Ok(Value::ServerError(x)), Ok(Value::ServerError(y))) => {
            x.code() == y.code() && x.details() == y.details()
        }
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn render_cmd(argv: &[Arg]) -> String {
    argv.iter()
        .map(|x| {
            if !x.is_empty()
                && x.iter()
                    .all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
            {
                String::from_utf8_lossy(x).into_owned()
            } else {
                escape(x)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits an edge-case line into arguments: whitespace-separated words, "quoted"
/// strings with \xHH, \n, \r, \t, \\ and \" escapes.
fn split_line(line: &str) -> Vec<Arg> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let mut cur = Vec::new();
        if b[i] == b'"' {
            i += 1;
            loop {
                assert!(i < b.len(), "unterminated quote in edge case: {line}");
                match b[i] {
                    b'"' => {
                        i += 1;
                        break;
                    }
                    b'\\' => {
                        let e = b[i + 1];
                        i += 2;
                        match e {
                            b'x' => {
                                let h = std::str::from_utf8(&b[i..i + 2]).unwrap();
                                cur.push(u8::from_str_radix(h, 16).unwrap());
                                i += 2;
                            }
                            b'n' => cur.push(b'\n'),
                            b'r' => cur.push(b'\r'),
                            b't' => cur.push(b'\t'),
                            other => cur.push(other),
                        }
                    }
                    c => {
                        cur.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < b.len() && b[i] != b' ' {
                cur.push(b[i]);
                i += 1;
            }
        }
        out.push(cur);
    }
    out
}

// ---------------------------------------------------------------------------
// The comparison driver
// ---------------------------------------------------------------------------

struct Mismatch {
    phase: String,
    command: String,
    redis: String,
    tessera: String,
    history: Vec<String>,
}

struct Diff {
    redis: Server,
    target: Server,
    rcon: redis::Connection,
    tcon: redis::Connection,
    seed: u64,
    max_mismatches: usize,
    verbose: bool,
    mismatches: Vec<Mismatch>,
    compared: usize,
}

impl Diff {
    fn full(&self) -> bool {
        self.mismatches.len() >= self.max_mismatches
    }

    /// Re-opens a connection after a transport error; panics (with the mismatches so
    /// far) if the server is gone.
    fn reconnect(&mut self, which_target: bool) {
        let server = if which_target {
            &mut self.target
        } else {
            &mut self.redis
        };
        let mut result = Err(String::new());
        for _ in 0..5 {
            result = match server.child.try_wait() {
                Ok(Some(status)) => Err(format!(
                    "{} died ({status}); log tail:\n{}",
                    server.name,
                    tail(&server.log(), 40)
                )),
                _ => connect(server.port)
                    .map_err(|e| format!("cannot reconnect to {}: {e}", server.name)),
            };
            if result.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        match result {
            Ok(c) if which_target => self.tcon = c,
            Ok(c) => self.rcon = c,
            Err(msg) => self.fail_now(&msg),
        }
    }

    fn fail_now(&self, msg: &str) -> ! {
        print_mismatches(&self.mismatches, self.seed);
        panic!("differential test aborted: {msg} (seed {:#x})", self.seed);
    }

    /// Sends argv to both servers; returns false (and records a mismatch) if the
    /// replies differ.
    fn compare(&mut self, phase: &str, argv: &[Arg], norm: Norm, history: &[String]) -> bool {
        let r = send(&mut self.rcon, argv).map(|v| normalize(norm, v));
        let t = send(&mut self.tcon, argv).map(|v| normalize(norm, v));
        self.compared += 1;
        if self.verbose {
            println!(
                "{phase}: {}  -> redis {} | tessera {}",
                render_cmd(argv),
                render_reply(&r),
                render_reply(&t)
            );
        }
        let ok = if norm == Norm::Random {
            collections::check_random(self, argv, &r, &t)
        } else {
            same(&r, &t) || known_version_difference(argv, &r, &t)
        };
        if !ok {
            self.mismatches.push(Mismatch {
                phase: phase.to_string(),
                command: render_cmd(argv),
                redis: render_reply(&r),
                tessera: render_reply(&t),
                history: history.to_vec(),
            });
        }
        // After a transport error (timeout, dropped connection) start a new connection,
        // or abort with everything collected so far if the server is gone.
        if r.is_err() {
            self.reconnect(false);
        }
        if t.is_err() {
            self.reconnect(true);
        }
        ok
    }

    /// Empties both databases (FLUSHALL, or DEL of every key the test uses if the
    /// server has no FLUSHALL yet).
    fn reset(&mut self) {
        for target in [false, true] {
            let con = if target {
                &mut self.tcon
            } else {
                &mut self.rcon
            };
            let ok = matches!(send(con, &[a("FLUSHALL")]), Ok(Value::Okay));
            if !ok {
                let mut argv = vec![a("DEL")];
                argv.extend(KEYS.iter().chain(EDGE_KEYS).map(a));
                let _ = send(con, &argv);
            }
        }
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn print_mismatches(ms: &[Mismatch], seed: u64) {
    for (i, m) in ms.iter().enumerate() {
        eprintln!("---- mismatch #{} [{}] (seed {:#x})", i + 1, m.phase, seed);
        if !m.history.is_empty() {
            eprintln!("  after (same database, from empty):");
            for h in &m.history {
                eprintln!("    {h}");
            }
        }
        eprintln!("  command: {}", m.command);
        eprintln!("  redis:   {}", m.redis);
        eprintln!("  tessera: {}", m.tessera);
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => {
            let v = v.trim();
            let parsed = if let Some(h) = v.strip_prefix("0x") {
                u64::from_str_radix(h, 16)
            } else {
                v.parse()
            };
            parsed.unwrap_or_else(|_| panic!("{name} must be an integer, got {v:?}"))
        }
        Err(_) => default,
    }
}

fn enabled_families() -> Vec<String> {
    let mut fams: Vec<String> = FOUNDATION_FAMILIES.iter().map(|s| s.to_string()).collect();
    if let Ok(spec) = std::env::var("DIFF_FAMILIES") {
        let spec = spec.trim();
        if spec == "all" {
            fams.extend(LATER_FAMILIES.iter().map(|s| s.to_string()));
        } else if spec.split(',').all(|f| f.trim().starts_with('+')) {
            fams.extend(
                spec.split(',')
                    .map(|f| f.trim().trim_start_matches('+').to_string()),
            );
        } else {
            fams = spec
                .split(',')
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty())
                .collect();
        }
    }
    fams.sort();
    fams.dedup();
    fams
}

/// Replies that differ because Tessera implements Redis 7.2 and the oracle here is 7.0
/// (each entry names the 7.2 change), or because of an oracle bug (named too).
fn known_version_difference(argv: &[Arg], r: &Reply, t: &Reply) -> bool {
    let name = argv[0].to_ascii_uppercase();
    match (name.as_slice(), r, t) {
        // 7.2 (#11734): BITCOUNT/BITPOS validate their arguments before looking at the key;
        // 7.0 answers 0 / -1 for a missing key and WRONGTYPE for another type first.
        (b"BITCOUNT" | b"BITPOS", Ok(Value::Int(0 | -1)), Ok(Value::ServerError(_))) => true,
        (b"BITCOUNT" | b"BITPOS", Ok(Value::ServerError(re)), Ok(Value::ServerError(te))) => {
            re.code() == "WRONGTYPE" && te.code() == "ERR"
        }
        // 7.2 (#12167): LPOS reads RANK in -LONG_MAX..LONG_MAX and stops there; 7.0 takes
        // LONG_MIN (whose negation overflows to a rank of -1) and goes on parsing.
        (b"LPOS", _, Ok(Value::ServerError(te))) => {
            te.details().is_some_and(|d| {
                d.starts_with("value is out of range, value must between -9223372036854775807")
            }) && argv
                .windows(2)
                .any(|w| w[0].eq_ignore_ascii_case(b"RANK") && w[1] == b"-9223372036854775808")
        }
        // Not a version difference but an oracle bug (7.0 and 7.2 alike): SORT tests
        // `errno == ERANGE` after strtod without clearing errno first, so after any
        // earlier overflowing parse on the same connection (ZADD k 1e400 m) a SORT of
        // plain numbers fails. Tessera sorts them.
        (b"SORT" | b"SORT_RO", Ok(Value::ServerError(re)), Ok(Value::Array(els))) => {
            let plain = !argv
                .iter()
                .any(|a| a.eq_ignore_ascii_case(b"by") || a.eq_ignore_ascii_case(b"get"));
            // (strtod takes "" as 0.)
            let numbers = els.iter().all(|e| match e {
                Value::BulkString(b) if b.is_empty() => true,
                Value::BulkString(b) => std::str::from_utf8(b)
                    .ok()
                    .and_then(|x| x.parse::<f64>().ok())
                    .is_some_and(|x| x.is_finite()),
                _ => false,
            });
            plain
                && numbers
                && re
                    .details()
                    .is_some_and(|d| d.contains("scores can't be converted into double"))
        }
        // 7.2 words the unbalanced XREAD/XREADGROUP error per command ('xreadgroup', '>').
        (b"XREAD" | b"XREADGROUP", Ok(Value::ServerError(re)), Ok(Value::ServerError(te))) => {
            re.details().is_some_and(|d| d.starts_with("Unbalanced"))
                && te.details().is_some_and(|d| d.starts_with("Unbalanced"))
        }
        // 7.2 added ZRANK/ZREVRANK ... WITHSCORE (#11235); 7.0 has arity 3. Tessera's
        // reply must still have the 7.2 shape: nil, [rank, score], or an error.
        (b"ZRANK" | b"ZREVRANK", Ok(Value::ServerError(re)), Ok(tv)) if argv.len() == 4 => {
            let withscore = argv[3].eq_ignore_ascii_case(b"withscore");
            re.details()
                .is_some_and(|d| d.starts_with("wrong number of arguments"))
                && match tv {
                    Value::Nil => withscore,
                    Value::Array(x) => {
                        withscore && matches!(x.as_slice(), [Value::Int(_), Value::BulkString(_)])
                    }
                    Value::ServerError(te) if te.code() == "WRONGTYPE" => withscore,
                    Value::ServerError(te) => !withscore && te.details() == Some("syntax error"),
                    _ => false,
                }
        }
        // Not a version difference: SORT ALPHA (without STORE) compares with strcoll(), so
        // values equal up to their first NUL ("" and "\x00\x01") tie and keep the input's
        // order, which for a set is its hash-table iteration order (unspecified). Same
        // values, same order but within such ties.
        (b"SORT" | b"SORT_RO", Ok(Value::Array(x)), Ok(Value::Array(y))) if x.len() == y.len() => {
            let c_str = |v: &Value| match v {
                Value::BulkString(b) => b.split(|&c| c == 0).next().map(<[u8]>::to_vec),
                _ => None,
            };
            let (mut xs, mut ys) = (x.clone(), y.clone());
            xs.sort_by_key(render);
            ys.sort_by_key(render);
            argv.iter().any(|a| a.eq_ignore_ascii_case(b"ALPHA"))
                && xs == ys
                && x.iter().zip(y).all(|(p, q)| c_str(p) == c_str(q))
        }
        // 7.2 replies doubles in the shortest form that round-trips (fpconv); 7.0 used
        // %.17g. Same number, different digits (also in nested arrays: ZMPOP, ZSCAN).
        (_, Ok(a), Ok(b)) => same_doubles(a, b),
        _ => false,
    }
}

/// Equal, except for bulk strings that are the same double in different digits.
fn same_doubles(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::BulkString(x), Value::BulkString(y)) => x == y || same_double(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_doubles(x, y))
        }
        (x, y) => x == y,
    }
}

/// Both texts are numbers with a fraction or exponent and parse to the same f64.
fn same_double(a: &[u8], b: &[u8]) -> bool {
    let parse = |x: &[u8]| {
        let s = std::str::from_utf8(x).ok()?;
        if !s.contains(['.', 'e']) && !s.contains("inf") {
            return None;
        }
        s.parse::<f64>().ok()
    };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

// Rows of the collection families live in their own files (the generators share `Gen`).
#[path = "differential/collections.rs"]
mod collections;
#[path = "differential/zset_geo_hll.rs"]
mod zset_geo_hll;

/// Every command row: the base table and the families' own tables.
fn all_rows() -> impl Iterator<Item = &'static Row> {
    ROWS.iter()
        .chain(collections::ROWS)
        .chain(zset_geo_hll::ROWS)
}

fn norm_for(name: &[u8]) -> Norm {
    all_rows()
        .find(|r| r.name.as_bytes().eq_ignore_ascii_case(name))
        .map_or(Norm::Exact, |r| r.norm)
}

#[test]
fn differential_against_redis() {
    let redis_bin_name = std::env::var("DIFF_REDIS_BIN").unwrap_or_else(|_| "redis-server".into());
    let Some(redis_bin) = find_in_path(&redis_bin_name) else {
        println!("skipping: redis-server not installed");
        return;
    };
    let target_bin = match std::env::var("DIFF_TARGET_BIN") {
        Ok(b) => find_in_path(&b).unwrap_or_else(|| panic!("DIFF_TARGET_BIN={b} not found")),
        Err(_) => PathBuf::from(env!("CARGO_BIN_EXE_tessera")),
    };

    let seed = env_u64("DIFF_SEED", DEFAULT_SEED);
    let sequences = env_u64("DIFF_SEQUENCES", 400);
    let seq_len = env_u64("DIFF_SEQ_LEN", 40);
    let only_seq = std::env::var("DIFF_ONLY_SEQ")
        .ok()
        .map(|_| env_u64("DIFF_ONLY_SEQ", 0));
    let max_mismatches = env_u64("DIFF_MAX_MISMATCHES", 50).max(1) as usize;
    let verbose = std::env::var("DIFF_VERBOSE").is_ok_and(|v| v != "0" && !v.is_empty());
    let families = enabled_families();

    // Hold both listeners while picking ports so the two ports differ.
    let (rport, tport) = {
        let l1 = TcpListener::bind("127.0.0.1:0").unwrap();
        let l2 = TcpListener::bind("127.0.0.1:0").unwrap();
        (
            l1.local_addr().unwrap().port(),
            l2.local_addr().unwrap().port(),
        )
    };
    let mut redis_srv = start_server("redis", &redis_bin, rport);
    let mut target_srv = start_server("tessera", &target_bin, tport);
    let mut rcon = wait_ready(&mut redis_srv);
    let mut tcon = wait_ready(&mut target_srv);
    // Blocking list commands in the rows time out after 1 ms, and Redis looks at
    // blocked clients' timeouts once per 1/hz (100 ms by default): make that 2 ms.
    for con in [&mut rcon, &mut tcon] {
        let _ = send(con, &[a("CONFIG"), a("SET"), a("hz"), a("500")]);
    }

    println!(
        "differential: seed={seed:#x} sequences={sequences}x{seq_len} families={families:?}\n  redis:   {} (port {rport})\n  tessera: {} (port {tport})",
        redis_bin.display(),
        target_bin.display()
    );

    let mut d = Diff {
        redis: redis_srv,
        target: target_srv,
        rcon,
        tcon,
        seed,
        max_mismatches,
        verbose,
        mismatches: Vec::new(),
        compared: 0,
    };

    let rows: Vec<&Row> = all_rows()
        .filter(|r| families.iter().any(|f| f == r.family))
        .collect();
    assert!(
        !rows.is_empty(),
        "no command rows enabled (families {families:?})"
    );
    let total_weight: u64 = rows.iter().map(|r| r.weight as u64).sum();

    // ---- phase 1: random sequences ----
    let seqs: Vec<u64> = match only_seq {
        Some(s) => vec![s],
        None => (0..sequences).collect(),
    };
    for seq in seqs {
        if d.full() {
            break;
        }
        d.reset();
        let mut g = Gen::new(seed, seq);
        let mut history: Vec<String> = Vec::new();
        for _ in 0..seq_len {
            let mut pick = g.rng.below(total_weight);
            let row = rows
                .iter()
                .find(|r| {
                    if pick < r.weight as u64 {
                        true
                    } else {
                        pick -= r.weight as u64;
                        false
                    }
                })
                .unwrap();
            let name = if g.rng.chance(5) {
                row.name.to_ascii_lowercase()
            } else {
                row.name.to_string()
            };
            let mut argv = vec![a(name)];
            argv.extend((row.gen)(&mut g));
            g.step += 1;
            // arity / syntax mutations
            match g.rng.below(100) {
                0..=2 if argv.len() > 1 => {
                    argv.pop();
                }
                3..=4 => argv.push(a("extra")),
                _ => {}
            }
            let phase = format!("random seq {seq} step {}", history.len());
            if !d.compare(&phase, &argv, row.norm, &history) {
                // The databases may now differ: drop the rest of this sequence.
                break;
            }
            history.push(render_cmd(&argv));
        }
    }
    let phase1_compared = d.compared;

    // ---- phase 2a: wrong arity for every enabled command ----
    let mut names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    names.dedup();
    for name in names {
        for extra in [0usize, 1, 7] {
            if d.full() {
                break;
            }
            d.reset();
            let mut argv = vec![a(name)];
            argv.extend((0..extra).map(|i| a(format!("x{i}"))));
            d.compare("arity", &argv, norm_for(name.as_bytes()), &[]);
        }
    }

    // ---- phase 2b: edge cases ----
    let mut skipped = 0;
    for (i, (family, lines)) in EDGE_CASES.iter().enumerate() {
        if d.full() {
            break;
        }
        if !families.iter().any(|f| f == family) {
            skipped += 1;
            continue;
        }
        d.reset();
        let mut history = Vec::new();
        for line in lines.iter() {
            let argv = split_line(line);
            let norm = norm_for(&argv[0]);
            if !d.compare(&format!("edge case #{i} ({family})"), &argv, norm, &history) {
                break;
            }
            history.push(render_cmd(&argv));
        }
    }

    println!(
        "differential: compared {} replies ({} random, {} arity/edge); {} edge cases skipped (family disabled); {} mismatch(es)",
        d.compared,
        phase1_compared,
        d.compared - phase1_compared,
        skipped,
        d.mismatches.len()
    );
    if !d.mismatches.is_empty() {
        print_mismatches(&d.mismatches, seed);
        panic!(
            "{} mismatch(es) between redis-server and tessera{} (seed {seed:#x}; reproduce one random \
             sequence with DIFF_SEED={seed:#x} DIFF_ONLY_SEQ=<n>); see the list above",
            d.mismatches.len(),
            if d.full() { " (stopped at DIFF_MAX_MISMATCHES)" } else { "" },
        );
    }
}
