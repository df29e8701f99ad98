//! Sorted sets: Redis's t_zset.c commands.

use crate::command::{arg, err, BlockOn, Ctx, LockMode, Propagate, Registry};
use crate::config::notify;
use crate::resp::Reply;
use crate::store::zset::{LexBound, LexRange, Limits, ScoreBound, ScoreRange, ZSetValue};
use crate::store::{Sds, Value};
use crate::util::eq_ic;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    r.add("zadd", zadd, LockMode::Keys);
    r.add("zincrby", zincrby, LockMode::Keys);
    r.add("zrem", zrem, LockMode::Keys);
    r.add("zcard", zcard, LockMode::Keys);
    r.add("zcount", zcount, LockMode::Keys);
    r.add("zlexcount", zlexcount, LockMode::Keys);
    r.add("zscore", zscore, LockMode::Keys);
    r.add("zmscore", zmscore, LockMode::Keys);
    r.add("zrank", zrank, LockMode::Keys);
    r.add("zrevrank", zrevrank, LockMode::Keys);
    r.add("zrange", zrange, LockMode::Keys);
    r.add("zrangestore", zrangestore, LockMode::Keys);
    r.add("zrevrange", zrevrange, LockMode::Keys);
    r.add("zrangebyscore", zrangebyscore, LockMode::Keys);
    r.add("zrevrangebyscore", zrevrangebyscore, LockMode::Keys);
    r.add("zrangebylex", zrangebylex, LockMode::Keys);
    r.add("zrevrangebylex", zrevrangebylex, LockMode::Keys);
    r.add("zremrangebyrank", zremrangebyrank, LockMode::Keys);
    r.add("zremrangebyscore", zremrangebyscore, LockMode::Keys);
    r.add("zremrangebylex", zremrangebylex, LockMode::Keys);
    r.add("zpopmin", zpopmin, LockMode::Keys);
    r.add("zpopmax", zpopmax, LockMode::Keys);
    r.add("bzpopmin", bzpopmin, LockMode::Keys);
    r.add("bzpopmax", bzpopmax, LockMode::Keys);
    r.add("zmpop", zmpop, LockMode::Keys);
    r.add("bzmpop", bzmpop, LockMode::Keys);
    r.add("zrandmember", zrandmember, LockMode::Keys);
    r.add("zunion", zunion, LockMode::Keys);
    r.add("zinter", zinter, LockMode::Keys);
    r.add("zdiff", zdiff, LockMode::Keys);
    r.add("zintercard", zintercard, LockMode::Keys);
    r.add("zunionstore", zunionstore, LockMode::Keys);
    r.add("zinterstore", zinterstore, LockMode::Keys);
    r.add("zdiffstore", zdiffstore, LockMode::Keys);
    r.add("zscan", zscan, LockMode::Keys);
}

// ---------------------------------------------------------------------------------------
// Shared helpers (geo.rs uses several of them).

/// The current `zset-max-listpack-*` limits.
pub fn limits(ctx: &Ctx) -> Limits {
    let h = &ctx.srv.config.hot;
    Limits {
        max_entries: h.zset_max_listpack_entries.load(Ordering::Relaxed) as usize,
        max_value: h.zset_max_listpack_value.load(Ordering::Relaxed) as usize,
    }
}

/// The sorted set at `key` for writing: Ok(None) if absent, WRONGTYPE otherwise.
pub fn zset_mut<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut ZSetValue>, Reply> {
    match ctx.lookup(key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(err::wrong_type()),
        },
    }
}

/// The sorted set at `key` for reading (counts keyspace hits/misses).
pub fn zset_read<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a ZSetValue>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::ZSet(z) => Ok(Some(z)),
            _ => Err(err::wrong_type()),
        },
    }
}

/// Whether strtod's ERANGE is one Redis's string2d rejects: an overflow to +-HUGE_VAL or
/// an underflow to zero (a subnormal result is kept).
fn out_of_range(s: &crate::util::Strtod) -> bool {
    s.erange && (s.value.is_infinite() || s.value == 0.0)
}

/// Redis's string2d / getDoubleFromObject: the whole argument must be a number (strtod
/// syntax), no leading space, no NaN, no overflow or underflow to zero.
pub fn parse_double(b: &[u8]) -> Option<f64> {
    if b.is_empty() || b[0].is_ascii_whitespace() {
        return None;
    }
    // Plain integers of up to 15 digits (the usual scores) are exact doubles: strtod
    // gives the same value (including -0 for "-0"), so skip its NUL-terminated copy.
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if !digits.is_empty() && digits.len() <= 15 && digits.iter().all(u8::is_ascii_digit) {
        let n = digits.iter().fold(0u64, |n, &c| n * 10 + (c - b'0') as u64) as f64;
        return Some(if neg { -n } else { n });
    }
    let s = crate::util::c_strtod(b);
    if s.used != b.len() || s.value.is_nan() || out_of_range(&s) {
        return None;
    }
    Some(s.value)
}

/// A float argument with Redis's "value is not a valid float" error.
pub fn float_arg(b: &[u8]) -> Result<f64, Reply> {
    parse_double(b).ok_or_else(err::not_float)
}

/// One end of a score range (zslParseRange): strtod must consume up to the end (C's end:
/// the first NUL), NaN is refused; whitespace and overflow are accepted as Redis does.
fn parse_score_bound(b: &[u8]) -> Option<ScoreBound> {
    let (s, exclusive) = match b.first() {
        Some(b'(') => (&b[1..], true),
        _ => (b, false),
    };
    let st = crate::util::c_strtod(s);
    if st.used != crate::util::c_bytes(s).len() || st.value.is_nan() {
        return None;
    }
    Some(ScoreBound {
        value: st.value,
        exclusive,
    })
}

/// Parses a `min max` score range (Redis's zslParseRange).
pub fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, Reply> {
    match (parse_score_bound(min), parse_score_bound(max)) {
        (Some(min), Some(max)) => Ok(ScoreRange { min, max }),
        _ => Err(Reply::err("ERR min or max is not a float")),
    }
}

fn parse_lex_bound(b: &[u8]) -> Option<LexBound> {
    match b.first() {
        Some(b'+') if b.len() == 1 => Some(LexBound::PosInf),
        Some(b'-') if b.len() == 1 => Some(LexBound::NegInf),
        Some(b'[') => Some(LexBound::Incl(b[1..].to_vec())),
        Some(b'(') => Some(LexBound::Excl(b[1..].to_vec())),
        _ => None,
    }
}

pub fn parse_lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, Reply> {
    match (parse_lex_bound(min), parse_lex_bound(max)) {
        (Some(min), Some(max)) => Ok(LexRange { min, max }),
        _ => Err(Reply::err("ERR min or max not valid string range item")),
    }
}

/// Appends a (member, score) to a reply: flat in RESP2 (and without scores), a
/// [member, score] pair in RESP3 when `pairs`.
fn push_elem(out: &mut Vec<Reply>, m: &[u8], s: f64, withscores: bool, pairs: bool) {
    if !withscores {
        out.push(Reply::bulk(m));
    } else if pairs {
        out.push(Reply::Array(vec![Reply::bulk(m), Reply::Double(s)]));
    } else {
        out.push(Reply::bulk(m));
        out.push(Reply::Double(s));
    }
}

/// Deletes `key` if its sorted set became empty, with the `del` event.
fn delete_if_empty(ctx: &mut Ctx, key: &[u8]) {
    let empty = matches!(zset_mut(ctx, key), Ok(Some(z)) if z.is_empty());
    if empty {
        ctx.delete(key);
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// Stores a result set at `dst` (replacing whatever was there), or deletes `dst` when the
/// result is empty. Returns the reply (the number of elements) and emits `event`.
pub fn store_result(
    ctx: &mut Ctx,
    dst: &[u8],
    mut items: Vec<(Sds, f64)>,
    event: &'static str,
) -> Reply {
    if items.is_empty() {
        if ctx.delete(dst) {
            ctx.notify(notify::GENERIC, "del", dst);
        }
        return Reply::Int(0);
    }
    items.sort_by(|a, b| crate::store::zset::key_cmp(a.1, &a.0, b.1, &b.0));
    let n = items.len();
    let lim = limits(ctx);
    let z = ZSetValue::from_sorted(items, &lim);
    ctx.set_value(dst, Value::ZSet(Box::new(z)), 0, false);
    ctx.notify(notify::ZSET, event, dst);
    ctx.signal_ready(dst);
    Reply::Int(n as i64)
}

// ---------------------------------------------------------------------------------------
// ZADD / ZINCRBY

#[derive(Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// The outcome of ZADD over a set of pairs.
pub struct AddResult {
    pub added: i64,
    pub updated: i64,
    pub processed: i64,
    pub last_score: f64,
    pub nan: bool,
}

fn zadd_pairs(
    ctx: &mut Ctx,
    key: &[u8],
    f: &AddFlags,
    pairs: &[(f64, &[u8])],
) -> Result<AddResult, Reply> {
    let lim = limits(ctx);
    // Redis 7.2 sizes a new set from the element count and the first member's length,
    // and converts an existing listpack up front only for the element count.
    let first_len = pairs.first().map(|(_, m)| m.len()).unwrap_or(0);
    let mut res = AddResult {
        added: 0,
        updated: 0,
        processed: 0,
        last_score: 0.0,
        nan: false,
    };
    let mut created = None;
    let z: &mut ZSetValue = match zset_mut(ctx, key)? {
        Some(z) => {
            if z.is_listpack() && pairs.len() > lim.max_entries {
                z.convert_to_skiplist();
            }
            z
        }
        None => {
            if f.xx {
                return Ok(res);
            }
            created = Some(ZSetValue::with_hint(pairs.len(), first_len, &lim));
            created.as_mut().unwrap()
        }
    };
    for &(score, member) in pairs {
        let cur = z.score(member);
        match cur {
            Some(cur) => {
                if f.nx {
                    continue;
                }
                let mut score = score;
                if f.incr {
                    score += cur;
                    if score.is_nan() {
                        res.nan = true;
                        break;
                    }
                }
                if (f.lt && score >= cur) || (f.gt && score <= cur) {
                    continue;
                }
                res.last_score = score;
                res.processed += 1;
                if score != cur {
                    z.insert(member, score, &lim);
                    res.updated += 1;
                }
            }
            None => {
                if f.xx {
                    continue;
                }
                z.insert(member, score, &lim);
                res.added += 1;
                res.processed += 1;
                res.last_score = score;
            }
        }
    }
    match created {
        Some(z) => {
            if !z.is_empty() {
                ctx.set_value(key, Value::ZSet(Box::new(z)), 0, false);
            }
        }
        None => {
            if res.added + res.updated > 0 {
                ctx.modified(key);
            }
        }
    }
    if res.added + res.updated > 0 {
        ctx.notify(notify::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
        if res.added > 0 {
            ctx.signal_ready(key);
        }
    }
    Ok(res)
}

fn zadd_generic(ctx: &mut Ctx, args: &[Bytes], incr_cmd: bool) -> Reply {
    let key = &args[1];
    let mut f = AddFlags {
        incr: incr_cmd,
        ..Default::default()
    };
    let mut idx = 2;
    if !incr_cmd {
        while idx < args.len() {
            let a = &args[idx];
            if eq_ic(a, "nx") {
                f.nx = true;
            } else if eq_ic(a, "xx") {
                f.xx = true;
            } else if eq_ic(a, "ch") {
                f.ch = true;
            } else if eq_ic(a, "incr") {
                f.incr = true;
            } else if eq_ic(a, "gt") {
                f.gt = true;
            } else if eq_ic(a, "lt") {
                f.lt = true;
            } else {
                break;
            }
            idx += 1;
        }
    }
    let rest = &args[idx..];
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return err::syntax();
    }
    if f.nx && f.xx {
        return Reply::err("ERR XX and NX options at the same time are not compatible");
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Reply::err("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if f.incr && rest.len() > 2 {
        return Reply::err("ERR INCR option supports a single increment-element pair");
    }
    let mut pairs = Vec::with_capacity(rest.len() / 2);
    for p in rest.chunks(2) {
        let s = tri!(float_arg(&p[0]));
        pairs.push((s, &p[1][..]));
    }
    let res = tri!(zadd_pairs(ctx, key, &f, &pairs));
    if res.nan {
        return Reply::err("ERR resulting score is not a number (NaN)");
    }
    if res.added + res.updated == 0 {
        ctx.propagate = Propagate::Nothing;
    }
    if f.incr {
        if res.processed > 0 {
            Reply::Double(res.last_score)
        } else {
            Reply::Nil
        }
    } else if f.ch {
        Reply::Int(res.added + res.updated)
    } else {
        Reply::Int(res.added)
    }
}

fn zadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zadd_generic(ctx, args, false)
}

fn zincrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zadd_generic(ctx, args, true)
}

/// ZADD used by GEOADD: flags parsed by the caller.
pub fn geo_zadd(
    ctx: &mut Ctx,
    key: &[u8],
    nx: bool,
    xx: bool,
    ch: bool,
    pairs: &[(f64, &[u8])],
) -> Result<Reply, Reply> {
    let f = AddFlags {
        nx,
        xx,
        ch,
        ..Default::default()
    };
    let res = zadd_pairs(ctx, key, &f, pairs)?;
    Ok(Reply::Int(if ch {
        res.added + res.updated
    } else {
        res.added
    }))
}

// ---------------------------------------------------------------------------------------
// Simple reads and removals

fn zrem(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let mut n = 0;
    {
        let Some(z) = tri!(zset_mut(ctx, key)) else {
            return Reply::Int(0);
        };
        for m in &args[2..] {
            if z.remove(m).is_some() {
                n += 1;
                if z.is_empty() {
                    break;
                }
            }
        }
    }
    if n > 0 {
        ctx.modified(key);
        ctx.notify(notify::ZSET, "zrem", key);
        delete_if_empty(ctx, key);
    } else {
        ctx.propagate = Propagate::Nothing;
    }
    Reply::Int(n)
}

fn zcard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match tri!(zset_read(ctx, &args[1])) {
        Some(z) => Reply::Int(z.len() as i64),
        None => Reply::Int(0),
    }
}

fn zcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let r = tri!(parse_score_range(&args[2], &args[3]));
    match tri!(zset_read(ctx, &args[1])) {
        Some(z) => {
            let (lo, hi) = z.score_ranks(&r);
            Reply::Int((hi - lo) as i64)
        }
        None => Reply::Int(0),
    }
}

fn zlexcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let r = tri!(parse_lex_range(&args[2], &args[3]));
    match tri!(zset_read(ctx, &args[1])) {
        Some(z) => {
            let (lo, hi) = z.lex_ranks(&r);
            Reply::Int((hi - lo) as i64)
        }
        None => Reply::Int(0),
    }
}

fn zscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match tri!(zset_read(ctx, &args[1])).and_then(|z| z.score(&args[2])) {
        Some(s) => Reply::Double(s),
        None => Reply::Nil,
    }
}

fn zmscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let z = tri!(zset_read(ctx, &args[1]));
    Reply::Array(
        args[2..]
            .iter()
            .map(|m| match z.and_then(|z| z.score(m)) {
                Some(s) => Reply::Double(s),
                None => Reply::Nil,
            })
            .collect(),
    )
}

fn zrank_generic(ctx: &mut Ctx, args: &[Bytes], rev: bool) -> Reply {
    let mut withscore = false;
    // As Redis 7.2: more than one option is an arity error, a wrong one a syntax error.
    if args.len() > 4 {
        return err::wrong_args(if rev { "zrevrank" } else { "zrank" });
    }
    if args.len() == 4 {
        if !eq_ic(&args[3], "withscore") {
            return err::syntax();
        }
        withscore = true;
    }
    let nil = if withscore {
        Reply::NilArray
    } else {
        Reply::Nil
    };
    let Some(z) = tri!(zset_read(ctx, &args[1])) else {
        return nil;
    };
    match z.rank(&args[2]) {
        None => nil,
        Some(r) => {
            let n = z.len();
            let rank = if rev { n - 1 - r } else { r } as i64;
            if withscore {
                let s = z.get(r).1;
                Reply::Array(vec![Reply::Int(rank), Reply::Double(s)])
            } else {
                Reply::Int(rank)
            }
        }
    }
}

fn zrank(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zrank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zrank_generic(ctx, args, true)
}

// ---------------------------------------------------------------------------------------
// ZRANGE and friends

#[derive(Clone, Copy, PartialEq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    Auto,
    Forward,
    Reverse,
}

/// The elements a range command selects, in reply order.
fn range_select(
    z: &ZSetValue,
    rt: RangeType,
    rev: bool,
    min: &[u8],
    max: &[u8],
    offset: i64,
    limit: i64,
) -> Result<Vec<(Sds, f64)>, Reply> {
    let n = z.len() as i64;
    let mut out = Vec::new();
    let (lo, hi) = match rt {
        RangeType::Rank | RangeType::Auto => {
            let mut start = arg::int(min)?;
            let mut end = arg::int(max)?;
            if start < 0 {
                start += n;
            }
            if end < 0 {
                end += n;
            }
            if start < 0 {
                start = 0;
            }
            if start > end || start >= n {
                return Ok(out);
            }
            if end >= n {
                end = n - 1;
            }
            let (a, b) = if rev {
                ((n - 1 - end) as usize, (n - start) as usize)
            } else {
                (start as usize, end as usize + 1)
            };
            z.walk(a, b, rev, |m, s| out.push((Sds::new(m), s)));
            return Ok(out);
        }
        RangeType::Score => z.score_ranks(&parse_score_range(min, max)?),
        RangeType::Lex if rev => z.lex_ranks_rev(&parse_lex_range(min, max)?),
        RangeType::Lex => z.lex_ranks(&parse_lex_range(min, max)?),
    };
    if offset < 0 {
        return Ok(out);
    }
    let avail = hi - lo;
    let offset = offset as usize;
    if offset >= avail {
        return Ok(out);
    }
    let take = if limit < 0 {
        avail - offset
    } else {
        (limit as usize).min(avail - offset)
    };
    let (a, b) = if rev {
        (hi - offset - take, hi - offset)
    } else {
        (lo + offset, lo + offset + take)
    };
    z.walk(a, b, rev, |m, s| out.push((Sds::new(m), s)));
    Ok(out)
}

/// Redis's zrangeGenericCommand. `argc_start` is the index of the source key.
fn zrange_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    argc_start: usize,
    store: Option<&Bytes>,
    mut rt: RangeType,
    mut dir: Dir,
) -> Reply {
    let key = &args[argc_start];
    let mut minidx = argc_start + 1;
    let mut maxidx = argc_start + 2;
    let mut withscores = false;
    let mut offset: i64 = 0;
    let mut limit: i64 = -1;
    let mut j = argc_start + 3;
    while j < args.len() {
        let a = &args[j];
        let left = args.len() - j - 1;
        if store.is_none() && eq_ic(a, "withscores") {
            withscores = true;
        } else if eq_ic(a, "limit") && left >= 2 {
            offset = tri!(arg::int(&args[j + 1]));
            limit = tri!(arg::int(&args[j + 2]));
            j += 2;
        } else if dir == Dir::Auto && eq_ic(a, "rev") {
            dir = Dir::Reverse;
        } else if rt == RangeType::Auto && eq_ic(a, "bylex") {
            rt = RangeType::Lex;
        } else if rt == RangeType::Auto && eq_ic(a, "byscore") {
            rt = RangeType::Score;
        } else {
            return err::syntax();
        }
        j += 1;
    }
    if dir == Dir::Auto {
        dir = Dir::Forward;
    }
    if rt == RangeType::Auto {
        rt = RangeType::Rank;
    }
    if limit != -1 && rt == RangeType::Rank {
        return Reply::err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && rt == RangeType::Lex {
        return Reply::err("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    let rev = dir == Dir::Reverse;
    if rev && rt != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    // Validate the range before looking the key up, as Redis does.
    match rt {
        RangeType::Rank | RangeType::Auto => {
            tri!(arg::int(&args[minidx]));
            tri!(arg::int(&args[maxidx]));
        }
        RangeType::Score => {
            tri!(parse_score_range(&args[minidx], &args[maxidx]));
        }
        RangeType::Lex => {
            tri!(parse_lex_range(&args[minidx], &args[maxidx]));
        }
    }
    let items = match tri!(zset_read(ctx, key)) {
        None => Vec::new(),
        Some(z) => tri!(range_select(
            z,
            rt,
            rev,
            &args[minidx],
            &args[maxidx],
            offset,
            limit
        )),
    };
    if let Some(dst) = store {
        return store_result(ctx, dst, items, "zrangestore");
    }
    let pairs = ctx.resp3();
    let mut out = Vec::with_capacity(items.len() * if withscores { 2 } else { 1 });
    for (m, s) in &items {
        push_elem(&mut out, m, *s, withscores, pairs);
    }
    Reply::Array(out)
}

fn zrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zrange_generic(ctx, args, 1, None, RangeType::Auto, Dir::Auto)
}

fn zrangestore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let dst = args[1].clone();
    zrange_generic(ctx, args, 2, Some(&dst), RangeType::Auto, Dir::Auto)
}

fn zrevrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zrange_generic(ctx, args, 1, None, RangeType::Rank, Dir::Reverse)
}

fn zrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zrange_generic(ctx, args, 1, None, RangeType::Score, Dir::Forward)
}

fn zrevrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zrange_generic(ctx, args, 1, None, RangeType::Score, Dir::Reverse)
}

fn zrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zrange_generic(ctx, args, 1, None, RangeType::Lex, Dir::Forward)
}

fn zrevrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zrange_generic(ctx, args, 1, None, RangeType::Lex, Dir::Reverse)
}

// ---------------------------------------------------------------------------------------
// ZREMRANGEBY*

fn zremrange_generic(ctx: &mut Ctx, args: &[Bytes], rt: RangeType) -> Reply {
    let key = &args[1];
    enum R {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let range = match rt {
        RangeType::Score => R::Score(tri!(parse_score_range(&args[2], &args[3]))),
        RangeType::Lex => R::Lex(tri!(parse_lex_range(&args[2], &args[3]))),
        _ => R::Rank(tri!(arg::int(&args[2])), tri!(arg::int(&args[3]))),
    };
    let removed = {
        let Some(z) = tri!(zset_mut(ctx, key)) else {
            return Reply::Int(0);
        };
        let (a, b) = match range {
            R::Rank(mut start, mut end) => {
                let n = z.len() as i64;
                if start < 0 {
                    start += n;
                }
                if end < 0 {
                    end += n;
                }
                if start < 0 {
                    start = 0;
                }
                if start > end || start >= n {
                    (0, 0)
                } else {
                    (start as usize, (end.min(n - 1) + 1) as usize)
                }
            }
            R::Score(r) => z.score_ranks(&r),
            R::Lex(r) => z.lex_ranks(&r),
        };
        z.remove_range(a, b).len()
    };
    if removed > 0 {
        ctx.modified(key);
        let ev = match rt {
            RangeType::Score => "zremrangebyscore",
            RangeType::Lex => "zremrangebylex",
            _ => "zremrangebyrank",
        };
        ctx.notify(notify::ZSET, ev, key);
        delete_if_empty(ctx, key);
    } else {
        ctx.propagate = Propagate::Nothing;
    }
    Reply::Int(removed as i64)
}

fn zremrangebyrank(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zremrange_generic(ctx, args, RangeType::Rank)
}

fn zremrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zremrange_generic(ctx, args, RangeType::Score)
}

fn zremrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zremrange_generic(ctx, args, RangeType::Lex)
}

// ---------------------------------------------------------------------------------------
// Pops

/// A popped key and its elements.
type Popped = (Bytes, Vec<(Sds, f64)>);

/// Pops up to `count` elements from the first non-empty key of `keys`. Ok(None) if every
/// key is missing. Emits events and deletes an emptied key.
fn pop_first(
    ctx: &mut Ctx,
    keys: &[Bytes],
    max: bool,
    count: usize,
) -> Result<Option<Popped>, Reply> {
    for key in keys {
        let popped = {
            let Some(z) = zset_mut(ctx, key)? else {
                continue;
            };
            if z.is_empty() {
                continue;
            }
            let n = z.len();
            let k = count.min(n);
            let mut v = if max {
                z.remove_range(n - k, n)
            } else {
                z.remove_range(0, k)
            };
            if max {
                v.reverse();
            }
            v
        };
        if !popped.is_empty() {
            ctx.modified(key);
            ctx.notify(notify::ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
            delete_if_empty(ctx, key);
        }
        return Ok(Some((key.clone(), popped)));
    }
    Ok(None)
}

fn zpop_generic(ctx: &mut Ctx, args: &[Bytes], max: bool) -> Reply {
    if args.len() > 3 {
        return err::syntax();
    }
    let count = if args.len() == 3 {
        Some(tri!(crate::command::arg::pop_count(&args[2])))
    } else {
        None
    };
    let nested = ctx.resp3() && count.is_some();
    if tri!(zset_mut(ctx, &args[1])).is_none() || count == Some(0) {
        ctx.propagate = Propagate::Nothing;
        return Reply::Array(vec![]);
    }
    let Some((_, items)) = tri!(pop_first(ctx, &args[1..2], max, count.unwrap_or(1))) else {
        return Reply::Array(vec![]);
    };
    let mut out = Vec::new();
    for (m, s) in &items {
        push_elem(&mut out, m, *s, true, nested);
    }
    Reply::Array(out)
}

fn zpopmin(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zpop_generic(ctx, args, false)
}

fn zpopmax(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    zpop_generic(ctx, args, true)
}

fn pop_name(max: bool) -> Bytes {
    Bytes::from_static(if max { b"ZPOPMAX" } else { b"ZPOPMIN" })
}

fn bzpop_generic(ctx: &mut Ctx, args: &[Bytes], max: bool) -> Reply {
    let deadline = tri!(arg::timeout(&args[args.len() - 1], ctx.now));
    let keys = &args[1..args.len() - 1];
    // WRONGTYPE on any key before the first non-empty one, as Redis.
    for key in keys {
        let Some(z) = tri!(zset_mut(ctx, key)) else {
            continue;
        };
        if z.is_empty() {
            continue;
        }
        let (k, items) = tri!(pop_first(ctx, std::slice::from_ref(key), max, 1)).unwrap();
        ctx.rewrite_as(vec![vec![pop_name(max), k.clone()]]);
        let mut out = vec![Reply::Bulk(k)];
        for (m, s) in &items {
            push_elem(&mut out, m, *s, true, false);
        }
        return Reply::Array(out);
    }
    if ctx.in_exec {
        return Reply::NilArray;
    }
    ctx.block = Some(BlockOn {
        keys: keys.to_vec(),
        deadline,
        rerun_args: None,
        serves_on: "zset",
        unblock_on_nokey: false,
    });
    Reply::NilArray
}

fn bzpopmin(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bzpop_generic(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bzpop_generic(ctx, args, true)
}

/// Parses `numkeys key... MIN|MAX [COUNT n]` starting at `numkeys_idx`.
fn parse_mpop(args: &[Bytes], numkeys_idx: usize) -> Result<(Vec<Bytes>, bool, usize), Reply> {
    let numkeys = crate::util::parse_i64(&args[numkeys_idx])
        .filter(|n| *n >= 1)
        .ok_or_else(|| Reply::err("ERR numkeys should be greater than 0"))?;
    // Checked: numkeys near i64::MAX must be a syntax error, not an overflow.
    let where_idx = numkeys
        .checked_add(numkeys_idx as i64 + 1)
        .filter(|w| *w < args.len() as i64)
        .ok_or_else(err::syntax)? as usize;
    let max = if eq_ic(&args[where_idx], "min") {
        false
    } else if eq_ic(&args[where_idx], "max") {
        true
    } else {
        return Err(err::syntax());
    };
    let mut count: i64 = -1;
    let mut j = where_idx + 1;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if count == -1 && eq_ic(&args[j], "count") && more > 0 {
            j += 1;
            count = crate::util::parse_i64(&args[j])
                .filter(|n| *n >= 1)
                .ok_or_else(|| Reply::err("ERR count should be greater than 0"))?;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    let keys = args[numkeys_idx + 1..where_idx].to_vec();
    Ok((keys, max, count as usize))
}

fn mpop_reply(key: Bytes, items: &[(Sds, f64)]) -> Reply {
    let mut inner = Vec::new();
    for (m, s) in items {
        push_elem(&mut inner, m, *s, true, true);
    }
    Reply::Array(vec![Reply::Bulk(key), Reply::Array(inner)])
}

fn zmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (keys, max, count) = tri!(parse_mpop(args, 1));
    // WRONGTYPE on the first existing key that is not a zset.
    for key in &keys {
        if tri!(zset_mut(ctx, key)).is_some() {
            break;
        }
    }
    match tri!(pop_first(ctx, &keys, max, count)) {
        None => {
            ctx.propagate = Propagate::Nothing;
            Reply::NilArray
        }
        Some((k, items)) => {
            ctx.rewrite_as(vec![vec![
                pop_name(max),
                k.clone(),
                Bytes::from(count.to_string()),
            ]]);
            mpop_reply(k, &items)
        }
    }
}

fn bzmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    // Redis parses numkeys, MIN|MAX and COUNT first, the timeout last.
    let (keys, max, count) = tri!(parse_mpop(args, 2));
    let deadline = tri!(arg::timeout(&args[1], ctx.now));
    for key in &keys {
        let Some(z) = tri!(zset_mut(ctx, key)) else {
            continue;
        };
        if z.is_empty() {
            continue;
        }
        let (k, items) = tri!(pop_first(ctx, std::slice::from_ref(key), max, count)).unwrap();
        ctx.rewrite_as(vec![vec![
            pop_name(max),
            k.clone(),
            Bytes::from(count.to_string()),
        ]]);
        return mpop_reply(k, &items);
    }
    if ctx.in_exec {
        return Reply::NilArray;
    }
    ctx.block = Some(BlockOn {
        keys,
        deadline,
        rerun_args: None,
        serves_on: "zset",
        unblock_on_nokey: false,
    });
    Reply::NilArray
}

// ---------------------------------------------------------------------------------------
// ZRANDMEMBER

fn zrandmember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    use rand::Rng;
    if args.len() >= 3 {
        let l = match crate::util::parse_i64(&args[2]) {
            None => return err::not_int(),
            Some(v) if v == i64::MIN => {
                return Reply::err(
                    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                )
            }
            Some(v) => v,
        };
        let withscores;
        if args.len() > 4 || (args.len() == 4 && !eq_ic(&args[3], "withscores")) {
            return err::syntax();
        } else if args.len() == 4 {
            withscores = true;
            if !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
                return Reply::err("ERR value is out of range");
            }
        } else {
            withscores = false;
        }
        let pairs = ctx.resp3();
        let Some(z) = tri!(zset_read(ctx, &args[1])) else {
            return Reply::Array(vec![]);
        };
        let n = z.len();
        if l == 0 || n == 0 {
            return Reply::Array(vec![]);
        }
        let mut rng = rand::thread_rng();
        let mut out = Vec::new();
        if l < 0 || l == 1 {
            let count = l.unsigned_abs() as usize;
            for _ in 0..count {
                let (m, s) = z.get(rng.gen_range(0..n));
                push_elem(&mut out, m, s, withscores, pairs);
            }
            return Reply::Array(out);
        }
        let count = l as usize;
        if count >= n {
            // The whole set, in Redis's iterator order (from the tail).
            z.walk(0, n, true, |m, s| {
                push_elem(&mut out, m, s, withscores, pairs)
            });
            return Reply::Array(out);
        }
        // Distinct ranks: a partial Fisher-Yates over the ranks when the sample is a large
        // part of the set, random picks with rejection otherwise.
        let ranks: Vec<usize> = if count * 3 > n {
            let mut all: Vec<usize> = (0..n).collect();
            for i in 0..count {
                let j = rng.gen_range(i..n);
                all.swap(i, j);
            }
            all.truncate(count);
            all
        } else {
            let mut seen = std::collections::HashSet::with_capacity(count);
            let mut v = Vec::with_capacity(count);
            while v.len() < count {
                let r = rng.gen_range(0..n);
                if seen.insert(r) {
                    v.push(r);
                }
            }
            v
        };
        for r in ranks {
            let (m, s) = z.get(r);
            push_elem(&mut out, m, s, withscores, pairs);
        }
        return Reply::Array(out);
    }
    let Some(z) = tri!(zset_read(ctx, &args[1])) else {
        return Reply::Nil;
    };
    if z.is_empty() {
        return Reply::Nil;
    }
    let r = rand::thread_rng().gen_range(0..z.len());
    Reply::bulk(z.get(r).0)
}

// ---------------------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF and their STORE forms, ZINTERCARD

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggr {
    Sum,
    Min,
    Max,
}

fn aggregate(a: Aggr, target: &mut f64, v: f64) {
    match a {
        Aggr::Sum => {
            *target += v;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggr::Min => {
            if v < *target {
                *target = v;
            }
        }
        Aggr::Max => {
            if v > *target {
                *target = v;
            }
        }
    }
}

/// One input of a set operation: a sorted set, a plain set (scores 1), or nothing.
enum Src {
    None,
    Z(Vec<(Sds, f64)>, HashMap<Sds, f64>),
}

impl Src {
    fn len(&self) -> usize {
        match self {
            Src::None => 0,
            Src::Z(v, _) => v.len(),
        }
    }
    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::None => None,
            Src::Z(_, h) => h.get(m).copied(),
        }
    }
}

fn load_src(ctx: &mut Ctx, key: &[u8], need_index: bool) -> Result<Src, Reply> {
    let items: Vec<(Sds, f64)> = match ctx.lookup_read(key) {
        None => return Ok(Src::None),
        Some(e) => match &e.value {
            Value::ZSet(z) => z.members(),
            Value::Set(s) => s.members().into_iter().map(|m| (m, 1.0)).collect(),
            _ => return Err(err::wrong_type()),
        },
    };
    let idx = if need_index {
        items.iter().cloned().collect()
    } else {
        HashMap::new()
    };
    Ok(Src::Z(items, idx))
}

struct SetOpArgs {
    op: SetOp,
    store: Option<Bytes>,
    cardinality_only: bool,
}

fn setop_generic(ctx: &mut Ctx, args: &[Bytes], numkeys_idx: usize, o: SetOpArgs) -> Reply {
    let name = crate::util::lower(&args[0]);
    let setnum = tri!(arg::int(&args[numkeys_idx]));
    if setnum < 1 {
        return Reply::Error(
            format!("ERR at least 1 input key is needed for '{name}' command").into(),
        );
    }
    if setnum > (args.len() - (numkeys_idx + 1)) as i64 {
        return err::syntax();
    }
    let setnum = setnum as usize;
    let keys = &args[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    // Type checks come before option parsing.
    for k in keys {
        if let Some(e) = ctx.lookup(k) {
            if !matches!(e.value, Value::ZSet(_) | Value::Set(_)) {
                return err::wrong_type();
            }
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut aggr = Aggr::Sum;
    let mut withscores = false;
    let mut limit: i64 = 0;
    let mut j = numkeys_idx + 1 + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        let a = &args[j];
        if o.op != SetOp::Diff && !o.cardinality_only && remaining > setnum && eq_ic(a, "weights") {
            j += 1;
            for w in weights.iter_mut() {
                *w = match parse_double(&args[j]) {
                    Some(v) => v,
                    None => return Reply::err("ERR weight value is not a float"),
                };
                j += 1;
            }
        } else if o.op != SetOp::Diff
            && !o.cardinality_only
            && remaining >= 2
            && eq_ic(a, "aggregate")
        {
            let v = &args[j + 1];
            aggr = if eq_ic(v, "sum") {
                Aggr::Sum
            } else if eq_ic(v, "min") {
                Aggr::Min
            } else if eq_ic(v, "max") {
                Aggr::Max
            } else {
                return err::syntax();
            };
            j += 2;
        } else if o.store.is_none() && !o.cardinality_only && eq_ic(a, "withscores") {
            withscores = true;
            j += 1;
        } else if o.cardinality_only && remaining >= 2 && eq_ic(a, "limit") {
            limit = match crate::util::parse_i64(&args[j + 1]) {
                Some(v) if v >= 0 => v,
                _ => return Reply::err("ERR LIMIT can't be negative"),
            };
            j += 2;
        } else {
            return err::syntax();
        }
    }
    let need_index = o.op != SetOp::Union;
    let mut srcs = Vec::with_capacity(setnum);
    for k in keys {
        srcs.push(tri!(load_src(ctx, k, need_index)));
    }
    let mut result: Vec<(Sds, f64)> = Vec::new();
    match o.op {
        SetOp::Inter => {
            // Walk the smallest input, probe the others.
            let mut order: Vec<usize> = (0..setnum).collect();
            order.sort_by_key(|&i| srcs[i].len());
            if srcs[order[0]].len() > 0 {
                let first = order[0];
                if let Src::Z(items, _) = &srcs[first] {
                    'outer: for (m, s) in items {
                        let mut score = weights[first] * s;
                        if score.is_nan() {
                            score = 0.0;
                        }
                        for &i in &order[1..] {
                            match srcs[i].score(m) {
                                None => continue 'outer,
                                // No NaN fix-up here (as Redis): SUM turns a NaN total
                                // into 0, MIN/MAX ignore a NaN value.
                                Some(v) => aggregate(aggr, &mut score, weights[i] * v),
                            }
                        }
                        result.push((m.clone(), score));
                        if o.cardinality_only && limit > 0 && result.len() as i64 >= limit {
                            break;
                        }
                    }
                }
            }
        }
        SetOp::Union => {
            let mut acc: HashMap<Sds, f64> = HashMap::new();
            for (i, src) in srcs.iter().enumerate() {
                if let Src::Z(items, _) = src {
                    for (m, s) in items {
                        let mut v = weights[i] * s;
                        if v.is_nan() {
                            v = 0.0;
                        }
                        match acc.get_mut(m) {
                            Some(t) => aggregate(aggr, t, v),
                            None => {
                                acc.insert(m.clone(), v);
                            }
                        }
                    }
                }
            }
            result = acc.into_iter().collect();
        }
        SetOp::Diff => {
            if let Src::Z(items, _) = &srcs[0] {
                for (m, s) in items {
                    if srcs[1..].iter().all(|o| o.score(m).is_none()) {
                        result.push((m.clone(), *s));
                    }
                }
            }
        }
    }
    if o.cardinality_only {
        return Reply::Int(result.len() as i64);
    }
    if let Some(dst) = &o.store {
        let ev = match o.op {
            SetOp::Union => "zunionstore",
            SetOp::Inter => "zinterstore",
            SetOp::Diff => "zdiffstore",
        };
        return store_result(ctx, dst, result, ev);
    }
    result.sort_by(|a, b| crate::store::zset::key_cmp(a.1, &a.0, b.1, &b.0));
    let pairs = ctx.resp3();
    let mut out = Vec::new();
    for (m, s) in &result {
        push_elem(&mut out, m, *s, withscores, pairs);
    }
    Reply::Array(out)
}

/// ZUNION/ZINTER/ZDIFF/ZINTERCARD, and with `store` the *STORE forms (destination first,
/// numkeys after it).
fn setop_cmd(
    ctx: &mut Ctx,
    args: &[Bytes],
    op: SetOp,
    store: bool,
    cardinality_only: bool,
) -> Reply {
    let o = SetOpArgs {
        op,
        store: store.then(|| args[1].clone()),
        cardinality_only,
    };
    setop_generic(ctx, args, if store { 2 } else { 1 }, o)
}

fn zunion(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    setop_cmd(ctx, args, SetOp::Union, false, false)
}

fn zinter(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    setop_cmd(ctx, args, SetOp::Inter, false, false)
}

fn zdiff(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    setop_cmd(ctx, args, SetOp::Diff, false, false)
}

fn zintercard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    setop_cmd(ctx, args, SetOp::Inter, false, true)
}

fn zunionstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    setop_cmd(ctx, args, SetOp::Union, true, false)
}

fn zinterstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    setop_cmd(ctx, args, SetOp::Inter, true, false)
}

fn zdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    setop_cmd(ctx, args, SetOp::Diff, true, false)
}

// ---------------------------------------------------------------------------------------
// ZSCAN

fn zscan(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let cursor = tri!(super::hash::parse_cursor(&args[2]));
    let Some(z) = tri!(zset_read(ctx, &args[1])) else {
        return Reply::Array(vec![Reply::bulk_static(b"0"), Reply::Array(vec![])]);
    };
    let opts = tri!(super::hash::parse_scan_opts(&args[3..]));
    let mut items = Vec::new();
    let next = z.scan(cursor, opts.count, |m, s| {
        if let Some(p) = opts.pattern.as_deref() {
            if !crate::util::glob_match(p, m, false) {
                return;
            }
        }
        items.push(Reply::bulk(m));
        items.push(Reply::Bulk(Bytes::from(crate::resp::format_double(s))));
    });
    super::hash::scan_reply(next, items)
}

#[cfg(test)]
mod tests {
    use crate::commands::string::testkit::{Kit, Ran};

    fn p(r: &Ran) -> Vec<&str> {
        r.propagated.iter().map(|s| s.as_str()).collect()
    }
    fn ev(r: &Ran) -> Vec<&str> {
        r.events.iter().map(|s| s.as_str()).collect()
    }

    #[test]
    fn parse_double_integer_fast_path_matches_strtod() {
        for t in [
            "0",
            "-0",
            "7",
            "-7",
            "007",
            "123456789012345",
            "-999999999999999",
            "10",
            "1e3",
            "1234567890123456",
            "-",
            "",
            "+5",
            "1.5",
            " 1",
            "5 ",
        ] {
            let b = t.as_bytes();
            let general = if b.is_empty() || b[0].is_ascii_whitespace() {
                None
            } else {
                let s = crate::util::c_strtod(b);
                (s.used == b.len() && !s.value.is_nan() && !super::out_of_range(&s))
                    .then_some(s.value)
            };
            let fast = super::parse_double(b);
            assert_eq!(fast.map(f64::to_bits), general.map(f64::to_bits), "{t:?}");
        }
    }

    #[test]
    fn events_and_propagation() {
        let mut k = Kit::new();
        let r = k.run("ZADD z 1 a 2 b 3 c");
        assert_eq!(
            (p(&r), ev(&r)),
            (vec!["ZADD z 1 a 2 b 3 c"], vec!["zadd:z"])
        );
        let r = k.run("ZADD z 1 a");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
        let r = k.run("ZADD z XX 1 nope");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
        let r = k.run("ZINCRBY z 1 a");
        assert_eq!(ev(&r), vec!["zincr:z"]);
        let r = k.run("ZADD z INCR 1 a");
        assert_eq!(ev(&r), vec!["zincr:z"]);
        let r = k.run("ZREM z nope");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
        let r = k.run("ZREM z a");
        assert_eq!(ev(&r), vec!["zrem:z"]);
        let r = k.run("ZREMRANGEBYSCORE z 100 200");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
        let r = k.run("ZREMRANGEBYSCORE z 2 2");
        assert_eq!(ev(&r), vec!["zremrangebyscore:z"]);
        let r = k.run("ZREMRANGEBYRANK z 0 0");
        assert_eq!(ev(&r), vec!["zremrangebyrank:z", "del:z"]);
        k.run("ZADD l 0 a 0 b");
        let r = k.run("ZREMRANGEBYLEX l - +");
        assert_eq!(ev(&r), vec!["zremrangebylex:l", "del:l"]);
        k.run("ZADD z 1 a 2 b 3 c 4 d");
        let r = k.run("ZPOPMIN z");
        assert_eq!((p(&r), ev(&r)), (vec!["ZPOPMIN z"], vec!["zpopmin:z"]));
        let r = k.run("BZPOPMAX z 0");
        assert_eq!((p(&r), ev(&r)), (vec!["ZPOPMAX z"], vec!["zpopmax:z"]));
        let r = k.run("ZMPOP 2 none z MAX COUNT 5");
        assert_eq!(
            (p(&r), ev(&r)),
            (vec!["ZPOPMAX z 5"], vec!["zpopmax:z", "del:z"])
        );
        k.run("ZADD z 1 a 2 b");
        let r = k.run("BZMPOP 0 1 z MIN");
        assert_eq!(p(&r), vec!["ZPOPMIN z 1"]);
        let r = k.run("ZUNIONSTORE d 1 z");
        assert_eq!(ev(&r), vec!["zunionstore:d"]);
        let r = k.run("ZINTERSTORE d 1 z");
        assert_eq!(ev(&r), vec!["zinterstore:d"]);
        let r = k.run("ZDIFFSTORE d 1 z");
        assert_eq!(ev(&r), vec!["zdiffstore:d"]);
        let r = k.run("ZRANGESTORE d z 0 -1");
        assert_eq!(ev(&r), vec!["zrangestore:d"]);
        let r = k.run("ZDIFFSTORE d 2 z z");
        assert_eq!(ev(&r), vec!["del:d"]);
        let r = k.run("ZDIFFSTORE d 2 z z");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
    }

    /// RESP3 shapes through the handlers (HELLO comes from another family).
    #[test]
    fn resp3_shapes() {
        let mut k = Kit::new();
        k.client.proto = 3;
        let r3 =
            |k: &mut Kit, line: &str| String::from_utf8(k.run(line).reply.to_bytes(3)).unwrap();
        r3(&mut k, "ZADD z 1 a 2 b 3 c 1.5 d");
        assert_eq!(
            r3(&mut k, "ZRANGE z 0 1 WITHSCORES"),
            "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nd\r\n,1.5\r\n"
        );
        assert_eq!(r3(&mut k, "ZSCORE z d"), ",1.5\r\n");
        assert_eq!(r3(&mut k, "ZMSCORE z a nope"), "*2\r\n,1\r\n_\r\n");
        assert_eq!(r3(&mut k, "ZRANK z d WITHSCORE"), "*2\r\n:1\r\n,1.5\r\n");
        assert_eq!(r3(&mut k, "ZRANK z nope WITHSCORE"), "_\r\n");
        assert_eq!(r3(&mut k, "ZADD z XX INCR 1 nope"), "_\r\n");
        assert_eq!(r3(&mut k, "ZPOPMIN z"), "*2\r\n$1\r\na\r\n,1\r\n");
        assert_eq!(r3(&mut k, "ZPOPMAX z 1"), "*1\r\n*2\r\n$1\r\nc\r\n,3\r\n");
        assert_eq!(
            r3(&mut k, "ZMPOP 1 z MIN"),
            "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nd\r\n,1.5\r\n"
        );
        assert_eq!(r3(&mut k, "ZMPOP 1 nokey MIN"), "_\r\n");
        assert_eq!(
            r3(&mut k, "BZPOPMIN z 0"),
            "*3\r\n$1\r\nz\r\n$1\r\nb\r\n,2\r\n"
        );
        r3(&mut k, "ZADD z 3 c");
        assert_eq!(
            r3(&mut k, "ZRANDMEMBER z -2 WITHSCORES"),
            "*2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nc\r\n,3\r\n"
        );
        assert_eq!(
            r3(&mut k, "ZUNION 1 z WITHSCORES"),
            "*1\r\n*2\r\n$1\r\nc\r\n,3\r\n"
        );
        // ZSCAN scores stay bulk strings.
        assert_eq!(
            r3(&mut k, "ZSCAN z 0"),
            "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n"
        );
        r3(&mut k, "GEOADD g 13.361389 38.115556 Palermo");
        assert_eq!(
            r3(&mut k, "GEOPOS g Palermo nope"),
            "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n"
        );
        assert_eq!(
            r3(&mut k, "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST WITHCOORD"),
            "*1\r\n*3\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n"
        );
    }

    #[test]
    fn geo_events_and_propagation() {
        let mut k = Kit::new();
        let r = k.run("GEOADD g CH 13.361389 38.115556 Palermo 15.087269 37.502669 Catania");
        assert_eq!(
            (p(&r), ev(&r)),
            (
                vec!["ZADD g CH 3479099956230698 Palermo 3479447370796909 Catania"],
                vec!["zadd:g"]
            )
        );
        let r = k.run("GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km");
        assert_eq!(ev(&r), vec!["geosearchstore:d"]);
        let r = k.run("GEORADIUS g 15 37 200 km STORE d");
        assert_eq!(ev(&r), vec!["georadiusstore:d"]);
        let r = k.run("GEORADIUS g 15 37 1 m STOREDIST d");
        assert_eq!(ev(&r), vec!["del:d"]);
    }
}
