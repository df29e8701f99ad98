//! Differential rows of the hash, list and set families: every command of each, with its
//! options and error cases (see `ROWS` in tests/differential.rs for the format).
//!
//! Elements, fields and members come mostly from `g.member()` (10 short strings, four of
//! them integers, so sets switch between intset and listpack/hashtable) and sometimes
//! from `g.val()` (limits, non-canonical integers, binary, a 92-byte value that makes
//! hashes/sets leave their compact encodings). Rare "bulk" rows add 120-200 entries at
//! once, so that collections also cross the 128-entry listpack limits and lists span
//! several quicklist nodes.
//!
//! Replies that are random by specification (SRANDMEMBER, HRANDFIELD, SPOP) use
//! `Norm::Random` and are checked by `check_random`: the reply must have the oracle's
//! shape, and what Tessera picked must be consistent with Tessera's own data. After a
//! SPOP the two servers' sets may hold different members; `check_random` then makes
//! Tessera's set equal to the oracle's again (SADD/SREM of the difference, so the key
//! and its TTL stay as they were).
//!
//! Blocking commands only ever get a tiny timeout (0.001 s) or an invalid one: they
//! either find an element at once or time out after a millisecond or two.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

// ---------------------------------------------------------------------------
// Argument helpers
// ---------------------------------------------------------------------------

/// A list element / set member / hash field: mostly from the small member pool.
fn elem(g: &mut Gen) -> Arg {
    if g.rng.chance(15) {
        g.val()
    } else {
        g.member()
    }
}

fn elems(g: &mut Gen, lo: i64, hi: i64) -> Vec<Arg> {
    let n = g.rng.range(lo, hi);
    (0..n).map(|_| elem(g)).collect()
}

/// LEFT/RIGHT (BEFORE/AFTER, ...), now and then something invalid.
fn dir(g: &mut Gen, ok: &[&str]) -> Arg {
    if g.rng.chance(4) {
        g.lit(&["UP", "", "LEFTRIGHT"])
    } else {
        g.kw_of(ok)
    }
}

/// A count for the `count` forms (LPOP/SPOP/LMPOP ...), now and then invalid.
fn count(g: &mut Gen) -> Arg {
    if g.rng.chance(15) {
        g.lit(&[
            "0",
            "-1",
            "abc",
            "9223372036854775807",
            "-9223372036854775808",
            "1.5",
            "",
        ])
    } else {
        a(g.rng.range(1, 5).to_string())
    }
}

/// SCAN cursor: 0 (in any spelling strtoul reads as 0), or (rarely) an invalid one.
/// Non-zero valid cursors ("-1" is one) are left out: where a collection is a real hash
/// table (7.0 keeps every set with a non-integer member in one) they depend on its
/// bucket layout.
fn cursor(g: &mut Gen) -> Arg {
    if g.rng.chance(8) {
        g.lit(&[
            "abc",
            "",
            "-0",
            "+0",
            " 0",
            "0 ",
            "18446744073709551616",
            "1.5",
            "0x0",
        ])
    } else {
        a("0")
    }
}

/// SCAN options. A valid COUNT is always given and always >= 1000, so that Redis walks
/// every bucket of any table here (at most 256) and returns everything with cursor 0 in
/// one call even for a real hash table (default COUNT 10 could stop part way through).
fn scan_opts(g: &mut Gen) -> Vec<Arg> {
    let mut opts: Vec<Vec<Arg>> = Vec::new();
    if g.rng.chance(40) {
        let p = g.lit(&["*", "a*", "[a-c]", "1*", "?", "*0", "nomatch", "\\*", ""]);
        opts.push(vec![g.kw("MATCH"), p]);
    }
    if g.rng.chance(6) {
        opts.push(vec![g.kw("COUNT"), g.lit(&["0", "-1", "abc", ""])]);
    } else {
        opts.push(vec![
            g.kw("COUNT"),
            g.lit(&["1000", "100000", "9223372036854775807"]),
        ]);
    }
    if g.rng.chance(4) {
        opts.push(vec![g.lit(&["TYPE", "FOO", "NOVALUES"])]);
    }
    g.rng.shuffle(&mut opts);
    opts.into_iter().flatten().collect()
}

/// Bulk rows: 120-200 entries at once, some of them from the usual pools.
fn bulk_entries(g: &mut Gen, prefix: &str) -> Vec<Arg> {
    let n = g.rng.range(120, 200);
    let ints = g.rng.chance(30);
    (0..n)
        .map(|i| {
            if g.rng.chance(10) {
                elem(g)
            } else if ints {
                a((i * 7 - 300).to_string())
            } else {
                a(format!("{prefix}{i}"))
            }
        })
        .collect()
}

fn gen_bulk_push(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    args.extend(bulk_entries(g, "e"));
    args
}

fn gen_bulk_hset(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    for f in bulk_entries(g, "f") {
        args.push(f);
        args.push(g.val());
    }
    args
}

// ---------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------

fn gen_hset(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    let n = g.rng.range(1, 3);
    for _ in 0..n {
        args.push(elem(g));
        args.push(g.val());
    }
    if g.rng.chance(5) {
        args.push(elem(g)); // a field without a value
    }
    args
}

/// The count of SRANDMEMBER/HRANDFIELD: small, either sign (negative: repeats allowed),
/// `odd_pct`% of the time a limit, a big one or an invalid one.
fn random_count(g: &mut Gen, odd_pct: u64) -> Arg {
    if g.rng.chance(odd_pct) {
        g.lit(&[
            "abc",
            "-9223372036854775808",
            "9223372036854775807",
            "100",
            "-100",
            "1.5",
        ])
    } else {
        a(g.rng.range(-5, 5).to_string())
    }
}

fn gen_hrandfield(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    if g.rng.chance(25) {
        return args;
    }
    args.push(random_count(g, 10));
    if g.rng.chance(50) {
        args.push(g.kw("WITHVALUES"));
    } else if g.rng.chance(3) {
        args.push(a("WITHSCORES"));
    }
    args
}

fn gen_hscan(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key(), cursor(g)];
    args.extend(scan_opts(g));
    args
}

// ---------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------

fn gen_push(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    args.extend(elems(g, 1, 3));
    args
}

fn gen_pop(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    if g.rng.chance(40) {
        args.push(count(g));
    }
    args
}

fn gen_lset(g: &mut Gen) -> Vec<Arg> {
    vec![g.key(), g.index(), elem(g)]
}

fn gen_linsert(g: &mut Gen) -> Vec<Arg> {
    vec![g.key(), dir(g, &["BEFORE", "AFTER"]), elem(g), elem(g)]
}

fn gen_lrem(g: &mut Gen) -> Vec<Arg> {
    let c = if g.rng.chance(8) {
        g.lit(&["abc", "9223372036854775807", "-9223372036854775808", "1.5"])
    } else {
        a(g.rng.range(-3, 3).to_string())
    };
    vec![g.key(), c, elem(g)]
}

fn gen_lpos(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key(), elem(g)];
    let mut opts: Vec<Vec<Arg>> = Vec::new();
    if g.rng.chance(40) {
        let r = if g.rng.chance(15) {
            g.lit(&[
                "0",
                "abc",
                "-9223372036854775808",
                "9223372036854775807",
                "-9223372036854775807",
            ])
        } else {
            g.lit(&["1", "2", "3", "-1", "-2", "-3"])
        };
        opts.push(vec![g.kw("RANK"), r]);
    }
    if g.rng.chance(40) {
        let c = if g.rng.chance(15) {
            g.lit(&["-1", "abc", "9223372036854775807"])
        } else {
            a(g.rng.range(0, 3).to_string())
        };
        opts.push(vec![g.kw("COUNT"), c]);
    }
    if g.rng.chance(30) {
        let m = if g.rng.chance(15) {
            g.lit(&["-1", "abc", "9223372036854775807"])
        } else {
            a(g.rng.range(0, 4).to_string())
        };
        opts.push(vec![g.kw("MAXLEN"), m]);
    }
    if g.rng.chance(3) {
        opts.push(vec![g.lit(&["FOO", "RANK", "COUNT"])]);
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts.into_iter().flatten());
    args
}

fn gen_lmove(g: &mut Gen) -> Vec<Arg> {
    vec![
        g.key(),
        g.key(),
        dir(g, &["LEFT", "RIGHT"]),
        dir(g, &["LEFT", "RIGHT"]),
    ]
}

fn gen_lmpop(g: &mut Gen) -> Vec<Arg> {
    let mut args = g.numkeys_and(Gen::key);
    args.push(dir(g, &["LEFT", "RIGHT"]));
    if g.rng.chance(40) {
        args.push(g.kw("COUNT"));
        args.push(count(g));
    }
    if g.rng.chance(3) {
        args.push(g.lit(&["COUNT", "FOO"]));
    }
    args
}

fn gen_bpop(g: &mut Gen) -> Vec<Arg> {
    let mut args = g.keys(1, 3);
    args.push(g.blocking_timeout());
    args
}

fn gen_blmove(g: &mut Gen) -> Vec<Arg> {
    let mut args = gen_lmove(g);
    args.push(g.blocking_timeout());
    args
}

fn gen_blmpop(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.blocking_timeout()];
    args.extend(gen_lmpop(g));
    args
}

// ---------------------------------------------------------------------------
// Sets
// ---------------------------------------------------------------------------

fn gen_srandmember(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    if g.rng.chance(30) {
        return args;
    }
    args.push(random_count(g, 12));
    args
}

fn gen_spop(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    if g.rng.chance(50) {
        let c = if g.rng.chance(15) {
            g.lit(&[
                "-1",
                "abc",
                "9223372036854775807",
                "100",
                "1.5",
                "-9223372036854775808",
            ])
        } else {
            a(g.rng.range(0, 5).to_string())
        };
        args.push(c);
    }
    args
}

fn gen_smove(g: &mut Gen) -> Vec<Arg> {
    vec![g.key(), g.key(), elem(g)]
}

fn gen_sintercard(g: &mut Gen) -> Vec<Arg> {
    let mut args = g.numkeys_and(Gen::key);
    if g.rng.chance(40) {
        args.push(g.kw("LIMIT"));
        let l = if g.rng.chance(15) {
            g.lit(&["-1", "abc", "9223372036854775807", ""])
        } else {
            a(g.rng.range(0, 4).to_string())
        };
        args.push(l);
    }
    args
}

fn gen_sstore(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    args.extend(g.keys(1, 3));
    args
}

fn gen_sscan(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key(), cursor(g)];
    args.extend(scan_opts(g));
    args
}

#[rustfmt::skip]
pub const ROWS: &[Row] = &[
    // --- hash ---
    row("hash", "HSET", 5, gen_hset),
    row("hash", "HSETNX", 2, |g| vec![g.key(), elem(g), g.val()]),
    row("hash", "HMSET", 2, gen_hset),
    row("hash", "HGET", 2, |g| vec![g.key(), elem(g)]),
    row("hash", "HMGET", 2, |g| {
        let mut v = vec![g.key()];
        v.extend(elems(g, 1, 4));
        v
    }),
    row("hash", "HDEL", 2, |g| {
        let mut v = vec![g.key()];
        v.extend(elems(g, 1, 3));
        v
    }),
    row("hash", "HLEN", 1, |g| vec![g.key()]),
    row("hash", "HSTRLEN", 1, |g| vec![g.key(), elem(g)]),
    row("hash", "HEXISTS", 1, |g| vec![g.key(), elem(g)]),
    row_n("hash", "HKEYS", Norm::Sorted, 1, |g| vec![g.key()]),
    row_n("hash", "HVALS", Norm::Sorted, 1, |g| vec![g.key()]),
    row_n("hash", "HGETALL", Norm::SortedPairs, 2, |g| vec![g.key()]),
    row("hash", "HINCRBY", 2, |g| vec![g.key(), elem(g), g.int()]),
    row("hash", "HINCRBYFLOAT", 2, |g| vec![g.key(), elem(g), g.float()]),
    row_n("hash", "HRANDFIELD", Norm::Random, 2, gen_hrandfield),
    row_n("hash", "HSCAN", Norm::ScanPairs, 1, gen_hscan),
    row("hash", "HSET", 1, gen_bulk_hset),
    // --- list ---
    row("list", "LPUSH", 4, gen_push),
    row("list", "RPUSH", 4, gen_push),
    row("list", "LPUSHX", 1, gen_push),
    row("list", "RPUSHX", 1, gen_push),
    row("list", "LPOP", 2, gen_pop),
    row("list", "RPOP", 2, gen_pop),
    row("list", "LLEN", 1, |g| vec![g.key()]),
    row("list", "LINDEX", 1, |g| vec![g.key(), g.index()]),
    row("list", "LSET", 1, gen_lset),
    row("list", "LRANGE", 3, |g| vec![g.key(), g.index(), g.index()]),
    row("list", "LTRIM", 1, |g| vec![g.key(), g.index(), g.index()]),
    row("list", "LINSERT", 2, gen_linsert),
    row("list", "LREM", 2, gen_lrem),
    row("list", "LPOS", 3, gen_lpos),
    row("list", "LMOVE", 2, gen_lmove),
    row("list", "RPOPLPUSH", 1, |g| vec![g.key(), g.key()]),
    row("list", "LMPOP", 2, gen_lmpop),
    row("list", "BLPOP", 1, gen_bpop),
    row("list", "BRPOP", 1, gen_bpop),
    row("list", "BLMOVE", 1, gen_blmove),
    row("list", "BRPOPLPUSH", 1, |g| vec![g.key(), g.key(), g.blocking_timeout()]),
    row("list", "BLMPOP", 1, gen_blmpop),
    row("list", "RPUSH", 1, gen_bulk_push),
    // --- set ---
    row("set", "SADD", 5, gen_push),
    row("set", "SREM", 2, gen_push),
    row("set", "SCARD", 1, |g| vec![g.key()]),
    row("set", "SISMEMBER", 1, |g| vec![g.key(), elem(g)]),
    row("set", "SMISMEMBER", 1, gen_push),
    row_n("set", "SMEMBERS", Norm::Sorted, 2, |g| vec![g.key()]),
    row_n("set", "SRANDMEMBER", Norm::Random, 2, gen_srandmember),
    row_n("set", "SPOP", Norm::Random, 2, gen_spop),
    row("set", "SMOVE", 2, gen_smove),
    row_n("set", "SINTER", Norm::Sorted, 1, |g| g.keys(1, 3)),
    row("set", "SINTERCARD", 1, gen_sintercard),
    row_n("set", "SUNION", Norm::Sorted, 1, |g| g.keys(1, 3)),
    row_n("set", "SDIFF", Norm::Sorted, 1, |g| g.keys(1, 3)),
    row("set", "SINTERSTORE", 1, gen_sstore),
    row("set", "SUNIONSTORE", 1, gen_sstore),
    row("set", "SDIFFSTORE", 1, gen_sstore),
    row_n("set", "SSCAN", Norm::ScanSorted, 1, gen_sscan),
    row("set", "SADD", 1, gen_bulk_push),
];

// ---------------------------------------------------------------------------
// Random replies
// ---------------------------------------------------------------------------

/// Same kind of reply: equal integers/status/errors, bulk vs bulk (any content), nil vs
/// nil, arrays of the same length whose elements have the same shape.
fn bulks(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::BulkString(b) => vec![b.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|x| match x {
                Value::BulkString(b) => Some(b.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn fetch(con: &mut redis::Connection, argv: Vec<Arg>) -> Vec<Vec<u8>> {
    send(con, &argv).map(|v| bulks(&v)).unwrap_or_default()
}

fn distinct(xs: &[Vec<u8>]) -> bool {
    xs.iter().collect::<BTreeSet<_>>().len() == xs.len()
}

/// Checks a reply of SRANDMEMBER / HRANDFIELD / SPOP (see the module doc). Errors must
/// be identical; otherwise Tessera's reply must have the oracle's shape and be made of
/// Tessera's own members (distinct where the command promises that). A failed check is
/// explained on stderr and counts as a mismatch.
fn check_random_inner(d: &mut Diff, argv: &[Arg], r: &Reply, t: &Reply) -> Result<(), String> {
    let (Ok(rv), Ok(tv)) = (r, t) else {
        return Err("transport error".into());
    };
    if matches!(rv, Value::ServerError(_)) || matches!(tv, Value::ServerError(_)) {
        return if same(r, t) || known_version_difference(argv, r, t) {
            Ok(())
        } else {
            Err("different errors".into())
        };
    }
    // Norm::Shape's normalization: bulk strings blanked, structure kept.
    if shape(rv.clone()) != shape(tv.clone()) {
        return Err("replies of different shapes".into());
    }
    let name = argv[0].to_ascii_uppercase();
    let key = argv[1].clone();
    let count: Option<i64> = argv
        .get(2)
        .and_then(|c| std::str::from_utf8(c).ok()?.parse().ok());
    let picked = bulks(tv);
    match name.as_slice() {
        b"SRANDMEMBER" => {
            let members: BTreeSet<_> = fetch(&mut d.tcon, vec![a("SMEMBERS"), key])
                .into_iter()
                .collect();
            if let Some(x) = picked.iter().find(|x| !members.contains(*x)) {
                return Err(format!("picked {} which is not a member", escape(x)));
            }
            if count.is_some_and(|c| c >= 0) && !distinct(&picked) {
                return Err("picked a member twice for a positive count".into());
            }
        }
        b"HRANDFIELD" => {
            let all = fetch(&mut d.tcon, vec![a("HGETALL"), key]);
            let map: BTreeMap<_, _> = all
                .chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect();
            let withvalues = argv.len() == 4;
            let fields: Vec<Vec<u8>> = if withvalues {
                for p in picked.chunks(2) {
                    if map.get(&p[0]) != Some(&p[1]) {
                        return Err(format!(
                            "picked the pair {} {} which is not in the hash",
                            escape(&p[0]),
                            escape(&p[1])
                        ));
                    }
                }
                picked.chunks(2).map(|p| p[0].clone()).collect()
            } else {
                picked.clone()
            };
            if let Some(x) = fields.iter().find(|x| !map.contains_key(*x)) {
                return Err(format!("picked {} which is not a field", escape(x)));
            }
            if count.is_some_and(|c| c >= 0) && !distinct(&fields) {
                return Err("picked a field twice for a positive count".into());
            }
        }
        b"SPOP" => {
            let popped_r = bulks(rv);
            let rest_r: BTreeSet<_> = fetch(&mut d.rcon, vec![a("SMEMBERS"), key.clone()])
                .into_iter()
                .collect();
            let rest_t: BTreeSet<_> = fetch(&mut d.tcon, vec![a("SMEMBERS"), key.clone()])
                .into_iter()
                .collect();
            if !distinct(&picked) {
                return Err("popped a member twice".into());
            }
            if let Some(x) = picked.iter().find(|x| rest_t.contains(*x)) {
                return Err(format!("popped {} but it is still a member", escape(x)));
            }
            let before_r: BTreeSet<_> = rest_r.iter().cloned().chain(popped_r).collect();
            let before_t: BTreeSet<_> = rest_t.iter().cloned().chain(picked).collect();
            if before_r != before_t {
                return Err("popped + remaining members differ from the oracle's".into());
            }
            // Make Tessera's set equal to the oracle's again (same size: add first).
            let add: Vec<Arg> = rest_r.difference(&rest_t).cloned().collect();
            let rem: Vec<Arg> = rest_t.difference(&rest_r).cloned().collect();
            if !add.is_empty() {
                let mut argv = vec![a("SADD"), key.clone()];
                argv.extend(add);
                let _ = send(&mut d.tcon, &argv);
                let mut argv = vec![a("SREM"), key];
                argv.extend(rem);
                let _ = send(&mut d.tcon, &argv);
            }
        }
        _ => return Err("no random check for this command".into()),
    }
    Ok(())
}

/// `Norm::Random`: see `check_random_inner`.
pub fn check_random(d: &mut Diff, argv: &[Arg], r: &Reply, t: &Reply) -> bool {
    match check_random_inner(d, argv, r, t) {
        Ok(()) => true,
        Err(why) => {
            eprintln!("random reply check failed for {}: {why}", render_cmd(argv));
            false
        }
    }
}
