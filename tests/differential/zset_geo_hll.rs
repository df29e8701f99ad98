//! Differential rows for sorted sets, geo and HyperLogLog: see `ROWS` in
//! tests/differential.rs for the format.
//!
//! Key space: the shared `g.key()` keys, so zsets, geo sets (zsets too), HLLs (strings)
//! and the other families' values meet and WRONGTYPE paths run. Extra keys: `zbig` holds
//! a sorted set large enough (> 128 entries) to use the skiplist encoding, `zlex0` and
//! `zlex1` small sets whose members all score 0. Only their own ZADD rows add to them,
//! other rows just read, remove or pop, so their lex order always agrees with their
//! score order. The lex range commands only run on them: a lex range over a set whose
//! members have different scores is unspecified (Redis walks the listpack linearly, or
//! the skiplist along its random levels, and stops at the first member out of range).

use super::*;

// ---------------------------------------------------------------------------
// Sorted sets
// ---------------------------------------------------------------------------

const BIG_KEY: &str = "zbig";

/// Keys whose members all have score 0 (only `gen_zadd_lex` adds to them), for the lex
/// range commands: see the module doc.
const LEX_KEYS: &[&str] = &["zlex0", "zlex1"];

/// A sorted-set key that is sometimes the big skiplist-encoded one or a lex one
/// (read-only and order-preserving rows only, see the module doc).
fn zkey(g: &mut Gen) -> Arg {
    match g.rng.below(100) {
        0..=9 => a(BIG_KEY),
        10..=17 => a(g.rng.pick(LEX_KEYS)),
        _ => g.key(),
    }
}

/// The key of a lex range command: a set whose lex order agrees with its score order
/// (or a missing key).
fn lex_key(g: &mut Gen) -> Arg {
    match g.rng.below(100) {
        0..=74 => a(g.rng.pick(LEX_KEYS)),
        75..=94 => a(BIG_KEY),
        _ => a("nokey"),
    }
}

/// A member: mostly the shared ones (so sets, hashes and zsets overlap), sometimes
/// extra ones for lex ordering, and rarely one longer than 64 bytes (which converts a
/// zset to the skiplist encoding, where -0 stays -0).
fn zmember(g: &mut Gen) -> Arg {
    match g.rng.below(40) {
        0..=5 => g.lit(&["aa", "ab", "b\x00", "bb", "z", "Z", "m050", "m100"]),
        6 if g.rng.chance(30) => {
            a("a-member-name-that-is-longer-than-sixty-four-bytes-0123456789abcdefghij")
        }
        _ => g.member(),
    }
}

#[rustfmt::skip]
const ZSCORES: &[&str] = &[
    "0", "0", "1", "1", "2", "3", "-1", "1.5", "-2.5", "10", "100", "5", "0.1", "-0",
    "inf", "-inf", "+inf", "1e300",
];

/// A score: mostly valid (few distinct values, so ties happen), sometimes anything.
fn zscore(g: &mut Gen) -> Arg {
    if g.rng.chance(10) {
        g.float()
    } else {
        a(g.rng.pick(ZSCORES))
    }
}

/// A score range bound: inclusive/exclusive numbers, infinities, the odd invalid one.
fn score_bound(g: &mut Gen) -> Arg {
    match g.rng.below(25) {
        0 => g.lit(&["abc", "(", "((1", "nan", "(nan", "[1", "", "1x", "(inf)"]),
        1..=4 => g.lit(&["-inf", "+inf", "inf", "(-inf", "(+inf", "(inf", "-INF"]),
        _ => {
            let v = *g.rng.pick(&[
                "0", "1", "2", "3", "-1", "1.5", "5", "10", "-2.5", "100", "0.1",
            ]);
            if g.rng.chance(30) {
                a(format!("({v}"))
            } else {
                a(v)
            }
        }
    }
}

/// A lex range bound: `[x`, `(x`, `-`, `+`, or (rarely) an invalid one.
fn lex_bound(g: &mut Gen) -> Arg {
    match g.rng.below(20) {
        0 => g.lit(&["a", "", "*", "1", "]a", "-a", "+b"]),
        1..=4 => g.lit(&["-", "+"]),
        _ => {
            let v = *g.rng.pick(&[
                "a", "b", "c", "d", "1", "10", "2", "-3", "", "aa", "bb", "1.5", "m0", "m05", "m1",
                "z",
            ]);
            let p = *g.rng.pick(&["[", "("]);
            a(format!("{p}{v}"))
        }
    }
}

/// A rank index for ZRANGE / ZREMRANGEBYRANK.
fn rank(g: &mut Gen) -> Arg {
    match g.rng.below(15) {
        0 => g.lit(&[
            "9223372036854775807",
            "-9223372036854775808",
            "x",
            "1.5",
            "(1",
        ]),
        1 => g.lit(&["100", "-100", "130", "-131"]),
        _ => a(g.rng.range(-4, 4).to_string()),
    }
}

fn count_arg(g: &mut Gen) -> Arg {
    g.lit(&[
        "0", "1", "1", "2", "2", "3", "5", "10", "-1", "-3", "x", "200",
    ])
}

/// `LIMIT offset count`.
fn limit(g: &mut Gen) -> Vec<Arg> {
    let off = g.lit(&["0", "0", "1", "2", "-1", "5", "x"]);
    let cnt = g.lit(&["1", "2", "3", "-1", "0", "10", "-5", "x"]);
    vec![g.kw("LIMIT"), off, cnt]
}

fn gen_zadd(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    let mut opts: Vec<Arg> = Vec::new();
    let mut incr = false;
    for (opt, pct) in [
        ("NX", 12),
        ("XX", 12),
        ("GT", 10),
        ("LT", 10),
        ("CH", 20),
        ("INCR", 12),
    ] {
        if g.rng.chance(pct) {
            incr |= opt == "INCR";
            opts.push(g.kw(opt));
        }
    }
    if g.rng.chance(3) {
        opts.push(g.lit(&["FOO", "NXX"]));
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts);
    let n = if incr && g.rng.chance(90) {
        1
    } else {
        g.rng.range(1, 4)
    };
    for _ in 0..n {
        args.push(zscore(g));
        args.push(zmember(g));
    }
    if g.rng.chance(3) {
        args.push(zscore(g)); // odd pair count: syntax error
    }
    args
}

/// ZADD of members that all share score 0, so lex ranges are well defined.
fn gen_zadd_lex(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![a(g.rng.pick(LEX_KEYS))];
    for _ in 0..g.rng.range(1, 5) {
        args.push(a("0"));
        args.push(zmember(g));
    }
    args
}

/// The big (skiplist) zset: 140 members `m000`.. with scores in the same order (ties
/// of three). No -0 here: 7.0 builds a new zset as a listpack first (which turns -0
/// into 0) and converts it after 128 entries, 7.2 (#12185) creates the skiplist up
/// front and keeps -0. (A long member makes a skiplist with -0 in both.)
fn gen_zadd_big(_g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![a(BIG_KEY)];
    for i in 0..140 {
        args.push(a((i / 3).to_string()));
        args.push(a(format!("m{i:03}")));
    }
    args
}

fn gen_zincrby(g: &mut Gen) -> Vec<Arg> {
    vec![g.key(), zscore(g), zmember(g)]
}

fn gen_key_members(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![zkey(g)];
    for _ in 0..g.rng.range(1, 3) {
        args.push(zmember(g));
    }
    args
}

fn gen_zrank(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![zkey(g), zmember(g)];
    if g.rng.chance(15) {
        // 7.2 only; see known_version_difference.
        args.push(g.kw_of(&["WITHSCORE", "WITHSCORE", "WITHSCORES"]));
    }
    args
}

/// ZRANGE / ZRANGESTORE arguments from the source key on.
fn zrange_args(g: &mut Gen, store: bool) -> Vec<Arg> {
    let mode = g.rng.below(10);
    let mut args = match mode {
        0..=3 => vec![zkey(g), rank(g), rank(g)],
        4..=6 => vec![zkey(g), score_bound(g), score_bound(g)],
        _ => vec![lex_key(g), lex_bound(g), lex_bound(g)],
    };
    let mut opts: Vec<Vec<Arg>> = Vec::new();
    match mode {
        4..=6 if g.rng.chance(92) => opts.push(vec![g.kw("BYSCORE")]),
        7..=9 if g.rng.chance(92) => opts.push(vec![g.kw("BYLEX")]),
        _ if g.rng.chance(4) => opts.push(vec![g.kw("BYSCORE"), g.kw("BYLEX")]),
        _ => {}
    }
    if g.rng.chance(30) {
        opts.push(vec![g.kw("REV")]);
    }
    if g.rng.chance(30) {
        opts.push(limit(g));
    }
    if g.rng.chance(if store { 4 } else { 40 }) {
        opts.push(vec![g.kw("WITHSCORES")]);
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts.into_iter().flatten());
    args
}

fn gen_zrange(g: &mut Gen) -> Vec<Arg> {
    zrange_args(g, false)
}

fn gen_zrangestore(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    args.extend(zrange_args(g, true));
    args
}

fn gen_zrevrange(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![zkey(g), rank(g), rank(g)];
    if g.rng.chance(40) {
        args.push(g.kw("WITHSCORES"));
    }
    args
}

fn gen_zrangebyscore(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![zkey(g), score_bound(g), score_bound(g)];
    let mut opts: Vec<Vec<Arg>> = Vec::new();
    if g.rng.chance(40) {
        opts.push(vec![g.kw("WITHSCORES")]);
    }
    if g.rng.chance(30) {
        opts.push(limit(g));
    }
    if g.rng.chance(3) {
        opts.push(vec![g.kw("REV")]); // not an option of the old form
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts.into_iter().flatten());
    args
}

fn gen_zrangebylex(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![lex_key(g), lex_bound(g), lex_bound(g)];
    if g.rng.chance(30) {
        args.extend(limit(g));
    }
    if g.rng.chance(4) {
        args.push(g.kw("WITHSCORES"));
    }
    args
}

fn gen_pop(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![zkey(g)];
    if g.rng.chance(50) {
        args.push(count_arg(g));
    }
    args
}

/// `numkeys key... MIN|MAX [COUNT n]` (ZMPOP / BZMPOP), sometimes malformed.
fn mpop_args(g: &mut Gen) -> Vec<Arg> {
    let mut args = g.numkeys_and(zkey);
    if g.rng.chance(95) {
        args.push(g.kw_of(&["MIN", "MAX"]));
    } else {
        args.push(a("MID"));
    }
    if g.rng.chance(50) {
        args.push(g.kw("COUNT"));
        args.push(count_arg(g));
    }
    args
}

fn gen_bzpop(g: &mut Gen) -> Vec<Arg> {
    let mut args: Vec<Arg> = (0..g.rng.range(1, 3)).map(|_| zkey(g)).collect();
    args.push(g.blocking_timeout());
    args
}

fn gen_bzmpop(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.blocking_timeout()];
    args.extend(mpop_args(g));
    args
}

/// ZRANDMEMBER with a count covering the whole set: Redis then returns the whole set
/// (in set order), compared with pairs sorted. (If the harness drops WITHSCORES, the
/// member list is still deterministic; without a count the reply would be random, so
/// there is no such row without WITHSCORES.)
fn gen_zrandmember_all_scores(g: &mut Gen) -> Vec<Arg> {
    let count = g.lit(&["200", "1000", "9223372036854775807"]);
    vec![zkey(g), count, g.kw("WITHSCORES")]
}

/// Any ZRANDMEMBER (compared by shape only).
fn gen_zrandmember(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![zkey(g)];
    if g.rng.chance(80) {
        args.push(g.lit(&[
            "0",
            "1",
            "2",
            "5",
            "-1",
            "-5",
            "x",
            "-9223372036854775808",
            "9223372036854775807",
        ]));
        if g.rng.chance(40) {
            args.push(g.kw("WITHSCORES"));
        }
    }
    args
}

/// ZUNION/ZINTER[STORE] options: WEIGHTS, AGGREGATE (and WITHSCORES unless storing).
fn setop_opts(g: &mut Gen, nkeys: usize, store: bool) -> Vec<Arg> {
    let mut opts: Vec<Vec<Arg>> = Vec::new();
    if g.rng.chance(35) {
        let n = if g.rng.chance(90) { nkeys } else { nkeys + 1 };
        let mut w = vec![g.kw("WEIGHTS")];
        for _ in 0..n {
            w.push(g.lit(&["1", "2", "0", "-1", "0.5", "1", "inf", "-inf", "x", "3"]));
        }
        opts.push(w);
    }
    if g.rng.chance(35) {
        let agg = *g
            .rng
            .pick(&["SUM", "MIN", "MAX", "SUM", "MIN", "MAX", "AVG"]);
        opts.push(vec![g.kw("AGGREGATE"), g.kw(agg)]);
    }
    if g.rng.chance(if store { 3 } else { 40 }) {
        opts.push(vec![g.kw("WITHSCORES")]);
    }
    g.rng.shuffle(&mut opts);
    opts.into_iter().flatten().collect()
}

fn gen_zsetop(g: &mut Gen) -> Vec<Arg> {
    let mut args = g.numkeys_and(zkey);
    let n = args.len() - 1;
    args.extend(setop_opts(g, n, false));
    args
}

fn gen_zsetop_store(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    let mut rest = g.numkeys_and(zkey);
    let n = rest.len() - 1;
    rest.extend(setop_opts(g, n, true));
    args.extend(rest);
    args
}

fn gen_zdiff(g: &mut Gen) -> Vec<Arg> {
    let mut args = g.numkeys_and(zkey);
    if g.rng.chance(40) {
        args.push(g.kw("WITHSCORES"));
    }
    if g.rng.chance(3) {
        args.push(g.kw("AGGREGATE"));
        args.push(a("SUM"));
    }
    args
}

fn gen_zdiffstore(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    args.extend(g.numkeys_and(zkey));
    if g.rng.chance(3) {
        args.push(g.kw("WITHSCORES"));
    }
    args
}

fn gen_zintercard(g: &mut Gen) -> Vec<Arg> {
    let mut args = g.numkeys_and(zkey);
    if g.rng.chance(40) {
        args.push(g.kw("LIMIT"));
        args.push(g.lit(&["0", "1", "2", "5", "-1", "x"]));
    }
    args
}

/// ZSCAN from cursor 0 with a large COUNT: one call returns the whole set in both
/// encodings (compared with pairs sorted, see Norm::ScanPairs). A small COUNT would stop
/// a skiplist's (hash table) scan at a point that depends on the hash function.
fn gen_zscan(g: &mut Gen) -> Vec<Arg> {
    let cursor = if g.rng.chance(5) {
        g.lit(&["abc", "-x", "1.5"])
    } else {
        a("0")
    };
    let mut args = vec![zkey(g), cursor];
    let mut opts: Vec<Vec<Arg>> = Vec::new();
    if g.rng.chance(40) {
        let p = *g
            .rng
            .pick(&["*", "a*", "m0*", "?", "[a-c]", "*0", "1*", "nomatch"]);
        opts.push(vec![g.kw("MATCH"), a(p)]);
    }
    let c = *g
        .rng
        .pick(&["1000", "1000", "1000", "100000", "1000", "0", "x", "-1"]);
    opts.push(vec![g.kw("COUNT"), a(c)]);
    if g.rng.chance(3) {
        opts.push(vec![g.kw("TYPE"), a("zset")]); // SCAN-only option: syntax error
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts.into_iter().flatten());
    args
}

// ---------------------------------------------------------------------------
// HyperLogLog
// ---------------------------------------------------------------------------

fn gen_pfadd(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    for _ in 0..g.rng.range(0, 4) {
        args.push(if g.rng.chance(70) {
            zmember(g)
        } else {
            a(format!("e{}", g.rng.range(0, 3000)))
        });
    }
    args
}

/// Many elements at once: crosses the sparse→dense conversion (3000 sparse bytes)
/// now and then, and produces sparse runs of every kind before that.
fn gen_pfadd_many(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    let n = *g.rng.pick(&[50, 200, 400, 800, 1500, 2500]);
    let base = g.rng.range(0, 4) * 500;
    for i in 0..n {
        args.push(a(format!("e{}", base + i)));
    }
    args
}

fn gen_pfcount(g: &mut Gen) -> Vec<Arg> {
    if g.rng.chance(60) {
        vec![g.key()]
    } else {
        g.keys(2, 3)
    }
}

fn gen_pfmerge(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    args.extend(g.keys(0, 3));
    args
}

/// `HYLL`, encoding, 3 unused bytes, 8 bytes of cached cardinality (little endian, MSB
/// of the last byte set = cache invalid), then the registers.
fn hll_blob(encoding: u8, card: [u8; 8], body: &[u8]) -> Vec<u8> {
    let mut v = b"HYLL".to_vec();
    v.push(encoding);
    v.extend([0, 0, 0]);
    v.extend(card);
    v.extend(body);
    v
}

const CARD_INVALID: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 0x80];

/// SET of a hand-made HLL value: valid sparse/dense ones (also with a cached cardinality
/// that PFCOUNT must return as is), corrupted ones (INVALIDOBJ) and foreign ones (WRONGTYPE).
fn gen_set_hll(g: &mut Gen) -> Vec<Arg> {
    // Sparse opcodes: XZERO (01xxxxxx yyyyyyyy, len-1 in 14 bits), ZERO (00xxxxxx,
    // len-1), VAL (1vvvvvxx, value-1, len-1).
    let xzero = |n: u16| {
        let l = n - 1;
        [0x40 | (l >> 8) as u8, (l & 0xff) as u8]
    };
    let blob = match g.rng.below(12) {
        // empty sparse HLL, cache invalid / valid (0) / valid (stale 5)
        0 => hll_blob(1, CARD_INVALID, &xzero(16384)),
        1 => hll_blob(1, [0; 8], &xzero(16384)),
        2 => hll_blob(1, [5, 0, 0, 0, 0, 0, 0, 0], &xzero(16384)),
        // sparse: VAL 3 x2 somewhere in the middle
        3 => {
            let mut body = xzero(1000).to_vec();
            body.push(0x80 | (2 << 2) | 1);
            body.extend(xzero(16384 - 1002));
            hll_blob(1, CARD_INVALID, &body)
        }
        // corrupted sparse: too few registers, too many registers
        4 => hll_blob(1, CARD_INVALID, &xzero(16000)),
        5 => {
            let mut body = xzero(16384).to_vec();
            body.push(0x05);
            hll_blob(1, CARD_INVALID, &body)
        }
        // dense, all registers 0 (12288 bytes of 6-bit registers)
        6 => hll_blob(0, CARD_INVALID, &vec![0; 12288]),
        // dense of the wrong length
        7 => hll_blob(0, CARD_INVALID, &[0; 100]),
        // unknown encoding, wrong magic, too short
        8 => hll_blob(2, CARD_INVALID, &xzero(16384)),
        9 => b"HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff".to_vec(),
        10 => b"HYLL\x01".to_vec(),
        _ => g.val(),
    };
    vec![g.key(), blob]
}

fn gen_pfdebug(g: &mut Gen) -> Vec<Arg> {
    let sub = *g
        .rng
        .pick(&["ENCODING", "ENCODING", "TODENSE", "DECODE", "GETREG", "FOO"]);
    vec![g.kw(sub), g.key()]
}

// ---------------------------------------------------------------------------
// Geo
// ---------------------------------------------------------------------------

/// Real places (longitude, latitude) plus two of the shared zset members, so geo sets
/// and zsets mix.
#[rustfmt::skip]
const PLACES: &[(&str, &str, &str)] = &[
    ("Palermo", "13.361389", "38.115556"),
    ("Catania", "15.087269", "37.502669"),
    ("Rome", "12.496365", "41.902782"),
    ("Paris", "2.352222", "48.856613"),
    ("London", "-0.127758", "51.507351"),
    ("NYC", "-74.005941", "40.712784"),
    ("Sydney", "151.209295", "-33.86882"),
    ("Tokyo", "139.691706", "35.689487"),
    ("a", "0", "0"),
    ("b", "-179.99", "85.05"),
];

/// Geo commands use the shared keys only: `zbig` and the lex keys hold many members at
/// one position (equal distances), and with COUNT Redis orders the nearest ones with its
/// partial quicksort (pqsort, not stable), so ties come out in an order Tessera's stable
/// sort does not reproduce. Ties among the small keys are rare (distinct places).
fn geo_key(g: &mut Gen) -> Arg {
    g.key()
}

fn place_name(g: &mut Gen) -> Arg {
    if g.rng.chance(15) {
        zmember(g)
    } else {
        a(g.rng.pick(PLACES).0)
    }
}

/// A longitude/latitude pair: near a place, somewhere else, or invalid.
fn lonlat(g: &mut Gen) -> [Arg; 2] {
    match g.rng.below(12) {
        0 => {
            let (lo, la) = *g.rng.pick(&[
                ("181", "10"),
                ("-180.5", "0"),
                ("10", "85.06"),
                ("10", "-86"),
                ("x", "1"),
                ("1", ""),
                ("inf", "0"),
                ("nan", "1"),
            ]);
            [a(lo), a(la)]
        }
        1..=2 => {
            let (lo, la) = *g.rng.pick(&[
                ("0", "0"),
                ("180", "85.05112878"),
                ("-180", "-85.05112878"),
                ("15", "37"),
                ("100", "-10"),
                ("-73.9", "40.7"),
                ("179.9", "0"),
            ]);
            [a(lo), a(la)]
        }
        _ => {
            let p = g.rng.pick(PLACES);
            [a(p.1), a(p.2)]
        }
    }
}

fn unit(g: &mut Gen) -> Arg {
    if g.rng.chance(4) {
        g.lit(&["yd", "", "kms"])
    } else {
        g.kw_of(&["m", "km", "km", "mi", "ft"])
    }
}

fn radius(g: &mut Gen) -> Arg {
    if g.rng.chance(5) {
        g.lit(&["-1", "x", "inf", "nan"])
    } else {
        g.lit(&[
            "0", "1", "100", "200", "500", "1000", "3000", "5000", "20000", "0.5",
        ])
    }
}

fn gen_geoadd(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key()];
    let mut opts: Vec<Arg> = Vec::new();
    for (opt, pct) in [("NX", 15), ("XX", 15), ("CH", 25)] {
        if g.rng.chance(pct) {
            opts.push(g.kw(opt));
        }
    }
    if g.rng.chance(3) {
        opts.push(a("GT"));
    }
    g.rng.shuffle(&mut opts);
    args.extend(opts);
    for _ in 0..g.rng.range(1, 3) {
        if g.rng.chance(80) {
            let p = g.rng.pick(PLACES);
            args.extend([a(p.1), a(p.2), a(p.0)]);
        } else {
            let [lo, la] = lonlat(g);
            args.extend([lo, la, place_name(g)]);
        }
    }
    if g.rng.chance(3) {
        args.pop(); // missing member
    }
    args
}

fn gen_geo_members(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![geo_key(g)];
    for _ in 0..g.rng.range(1, 3) {
        args.push(place_name(g));
    }
    args
}

fn gen_geodist(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![geo_key(g), place_name(g), place_name(g)];
    if g.rng.chance(60) {
        args.push(unit(g));
    }
    args
}

/// The options shared by GEORADIUS* and GEOSEARCH*: ASC/DESC, COUNT n [ANY], WITH*.
fn geo_opts(g: &mut Gen, with: bool, opts: &mut Vec<Vec<Arg>>) {
    if g.rng.chance(50) {
        opts.push(vec![g.kw_of(&["ASC", "DESC"])]);
    }
    if g.rng.chance(35) {
        let n = g.lit(&["1", "2", "3", "5", "0", "-1", "x"]);
        let mut c = vec![g.kw("COUNT"), n];
        if g.rng.chance(35) {
            c.push(g.kw("ANY"));
        }
        opts.push(c);
    } else if g.rng.chance(3) {
        opts.push(vec![g.kw("ANY")]);
    }
    let p = if with { 35 } else { 4 };
    for w in ["WITHCOORD", "WITHDIST", "WITHHASH"] {
        if g.rng.chance(p) {
            opts.push(vec![g.kw(w)]);
        }
    }
}

fn geosearch_args(g: &mut Gen, store: bool) -> Vec<Arg> {
    let mut opts: Vec<Vec<Arg>> = Vec::new();
    match g.rng.below(20) {
        0..=9 => opts.push(vec![g.kw("FROMMEMBER"), place_name(g)]),
        10..=18 => {
            let [lo, la] = lonlat(g);
            opts.push(vec![g.kw("FROMLONLAT"), lo, la]);
        }
        _ => {} // neither: error
    }
    match g.rng.below(20) {
        0..=10 => opts.push(vec![g.kw("BYRADIUS"), radius(g), unit(g)]),
        11..=18 => opts.push(vec![g.kw("BYBOX"), radius(g), radius(g), unit(g)]),
        _ => {}
    }
    if g.rng.chance(3) {
        opts.push(vec![g.kw("FROMMEMBER"), place_name(g)]); // twice: syntax error
    }
    geo_opts(g, !store, &mut opts);
    if store && g.rng.chance(40) {
        opts.push(vec![g.kw("STOREDIST")]);
    }
    g.rng.shuffle(&mut opts);
    opts.into_iter().flatten().collect()
}

fn gen_geosearch(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![geo_key(g)];
    args.extend(geosearch_args(g, false));
    args
}

fn gen_geosearchstore(g: &mut Gen) -> Vec<Arg> {
    let mut args = vec![g.key(), geo_key(g)];
    args.extend(geosearch_args(g, true));
    args
}

/// GEORADIUS[BYMEMBER][_RO] options; `ro` forms get STORE rarely (a syntax error there).
fn georadius_opts(g: &mut Gen, ro: bool) -> Vec<Arg> {
    let mut opts: Vec<Vec<Arg>> = Vec::new();
    let store = g.rng.chance(if ro { 3 } else { 30 });
    let with = !store || g.rng.chance(10);
    geo_opts(g, with, &mut opts);
    if store {
        let o = g.kw_of(&["STORE", "STOREDIST"]);
        opts.push(vec![o, g.key()]);
    }
    g.rng.shuffle(&mut opts);
    opts.into_iter().flatten().collect()
}

fn gen_georadius(g: &mut Gen, ro: bool) -> Vec<Arg> {
    let [lo, la] = lonlat(g);
    let mut args = vec![geo_key(g), lo, la, radius(g), unit(g)];
    args.extend(georadius_opts(g, ro));
    args
}

fn gen_georadiusbymember(g: &mut Gen, ro: bool) -> Vec<Arg> {
    let mut args = vec![geo_key(g), place_name(g), radius(g), unit(g)];
    args.extend(georadius_opts(g, ro));
    args
}

pub const ROWS: &[Row] = &[
    // --- zset ---
    row("zset", "ZADD", 8, gen_zadd),
    row("zset", "ZADD", 2, gen_zadd_lex),
    row("zset", "ZADD", 1, gen_zadd_big),
    row("zset", "ZINCRBY", 2, gen_zincrby),
    row("zset", "ZREM", 2, gen_key_members),
    row("zset", "ZCARD", 1, |g| vec![geo_key(g)]),
    row("zset", "ZCOUNT", 2, |g| {
        vec![geo_key(g), score_bound(g), score_bound(g)]
    }),
    row("zset", "ZLEXCOUNT", 2, |g| {
        vec![lex_key(g), lex_bound(g), lex_bound(g)]
    }),
    row("zset", "ZSCORE", 2, |g| vec![geo_key(g), zmember(g)]),
    row("zset", "ZMSCORE", 1, gen_key_members),
    row("zset", "ZRANK", 2, gen_zrank),
    row("zset", "ZREVRANK", 1, gen_zrank),
    row("zset", "ZRANGE", 6, gen_zrange),
    row("zset", "ZRANGESTORE", 2, gen_zrangestore),
    row("zset", "ZREVRANGE", 1, gen_zrevrange),
    row("zset", "ZRANGEBYSCORE", 2, gen_zrangebyscore),
    row("zset", "ZREVRANGEBYSCORE", 2, gen_zrangebyscore),
    row("zset", "ZRANGEBYLEX", 2, gen_zrangebylex),
    row("zset", "ZREVRANGEBYLEX", 2, gen_zrangebylex),
    row("zset", "ZREMRANGEBYRANK", 1, |g| {
        vec![geo_key(g), rank(g), rank(g)]
    }),
    row("zset", "ZREMRANGEBYSCORE", 1, |g| {
        vec![geo_key(g), score_bound(g), score_bound(g)]
    }),
    row("zset", "ZREMRANGEBYLEX", 1, |g| {
        vec![lex_key(g), lex_bound(g), lex_bound(g)]
    }),
    row("zset", "ZPOPMIN", 1, gen_pop),
    row("zset", "ZPOPMAX", 1, gen_pop),
    row("zset", "ZMPOP", 1, mpop_args),
    row("zset", "BZPOPMIN", 1, gen_bzpop),
    row("zset", "BZPOPMAX", 1, gen_bzpop),
    row("zset", "BZMPOP", 1, gen_bzmpop),
    row_n(
        "zset",
        "ZRANDMEMBER",
        Norm::SortedPairs,
        1,
        gen_zrandmember_all_scores,
    ),
    row_n("zset", "ZRANDMEMBER", Norm::Shape, 1, gen_zrandmember),
    row("zset", "ZUNION", 2, gen_zsetop),
    row("zset", "ZINTER", 2, gen_zsetop),
    row("zset", "ZDIFF", 1, gen_zdiff),
    row("zset", "ZUNIONSTORE", 2, gen_zsetop_store),
    row("zset", "ZINTERSTORE", 2, gen_zsetop_store),
    row("zset", "ZDIFFSTORE", 1, gen_zdiffstore),
    row("zset", "ZINTERCARD", 1, gen_zintercard),
    row_n("zset", "ZSCAN", Norm::ScanPairs, 1, gen_zscan),
    // --- hll ---
    row("hll", "PFADD", 6, gen_pfadd),
    row("hll", "PFADD", 1, gen_pfadd_many),
    row("hll", "PFCOUNT", 4, gen_pfcount),
    row("hll", "PFMERGE", 2, gen_pfmerge),
    row("hll", "GET", 3, |g| vec![g.key()]),
    row("hll", "SET", 1, gen_set_hll),
    row("hll", "PFDEBUG", 1, gen_pfdebug),
    // --- geo ---
    row("geo", "GEOADD", 6, gen_geoadd),
    row("geo", "GEOPOS", 2, gen_geo_members),
    row("geo", "GEODIST", 2, gen_geodist),
    row("geo", "GEOHASH", 1, gen_geo_members),
    row("geo", "GEOSEARCH", 5, gen_geosearch),
    row("geo", "GEOSEARCHSTORE", 2, gen_geosearchstore),
    row("geo", "GEORADIUS", 1, |g| gen_georadius(g, false)),
    row("geo", "GEORADIUS_RO", 1, |g| gen_georadius(g, true)),
    row("geo", "GEORADIUSBYMEMBER", 1, |g| {
        gen_georadiusbymember(g, false)
    }),
    row("geo", "GEORADIUSBYMEMBER_RO", 1, |g| {
        gen_georadiusbymember(g, true)
    }),
];
