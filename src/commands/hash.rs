//! Hashes: HSET and the rest of Redis's t_hash.c.

use crate::command::{arg, err, Ctx, LockMode, Propagate, Registry};
use crate::config::notify;
use crate::resp::Reply;
use crate::store::hash::{HashLimits, HashValue};
use crate::store::Value;
use crate::util::eq_ic;
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    r.add("hset", hset, LockMode::Keys);
    r.add("hmset", hset, LockMode::Keys);
    r.add("hsetnx", hsetnx, LockMode::Keys);
    r.add("hget", hget, LockMode::Keys);
    r.add("hmget", hmget, LockMode::Keys);
    r.add("hdel", hdel, LockMode::Keys);
    r.add("hlen", hlen, LockMode::Keys);
    r.add("hstrlen", hstrlen, LockMode::Keys);
    r.add("hexists", hexists, LockMode::Keys);
    r.add("hkeys", hkeys, LockMode::Keys);
    r.add("hvals", hvals, LockMode::Keys);
    r.add("hgetall", hgetall, LockMode::Keys);
    r.add("hincrby", hincrby, LockMode::Keys);
    r.add("hincrbyfloat", hincrbyfloat, LockMode::Keys);
    r.add("hrandfield", hrandfield, LockMode::Keys);
    r.add("hscan", hscan, LockMode::Keys);
}

/// The current thresholds (atomics mirrored from the config: no lock per command).
pub fn limits(ctx: &Ctx) -> HashLimits {
    let h = &ctx.srv.config.hot;
    HashLimits {
        max_entries: h.hash_max_listpack_entries.load(Ordering::Relaxed) as usize,
        max_value: h.hash_max_listpack_value.load(Ordering::Relaxed) as usize,
    }
}

/// Runs `f` on the hash at `key` for reading: Ok(None) if absent.
fn read_hash<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&HashValue) -> R,
) -> Result<Option<R>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::Hash(h) => Ok(Some(f(h))),
            _ => Err(err::wrong_type()),
        },
    }
}

/// Runs `f` on the hash at `key` for writing, creating it if absent and `create`; `f`
/// returns (result, changed). Counts the change, deletes the key if it became empty.
/// Returns (result, deleted) or None if the key is absent and not created.
fn write_hash<R>(
    ctx: &mut Ctx,
    key: &[u8],
    create: bool,
    f: impl FnOnce(&mut HashValue) -> (R, bool),
) -> Result<Option<(R, bool)>, Reply> {
    let (r, changed, empty) = match ctx.lookup(key) {
        Some(e) => match &mut e.value {
            Value::Hash(h) => {
                let (r, changed) = f(h);
                (r, changed, h.is_empty())
            }
            _ => return Err(err::wrong_type()),
        },
        None => {
            if !create {
                return Ok(None);
            }
            let mut h = HashValue::new();
            let (r, changed) = f(&mut h);
            if changed && !h.is_empty() {
                ctx.set_value(key, Value::Hash(h), 0, false);
            }
            return Ok(Some((r, false)));
        }
    };
    if empty {
        ctx.delete(key);
        return Ok(Some((r, true)));
    }
    if changed {
        ctx.modified(key);
    }
    Ok(Some((r, false)))
}

fn hset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let name = if eq_ic(&args[0], "hmset") {
        "hmset"
    } else {
        "hset"
    };
    if args.len() % 2 == 1 {
        return err::wrong_args(name);
    }
    let lim = limits(ctx);
    let key = &args[1];
    let r = write_hash(ctx, key, true, |h| {
        h.try_conversion(&args[2..], lim);
        let mut created = 0;
        for p in args[2..].chunks(2) {
            if h.set(&p[0], &p[1], lim) {
                created += 1;
            }
        }
        (created, true)
    });
    match r {
        Err(e) => e,
        Ok(r) => {
            let created = r.map(|x| x.0).unwrap_or(0);
            ctx.dirty += (args.len() as u64 - 2) / 2 - 1;
            ctx.notify(notify::HASH, "hset", key);
            if name == "hmset" {
                Reply::OK
            } else {
                Reply::Int(created)
            }
        }
    }
}

fn hsetnx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let lim = limits(ctx);
    let key = &args[1];
    let r = write_hash(ctx, key, true, |h| {
        if h.contains(&args[2]) {
            return (false, false);
        }
        h.try_conversion(&[&args[2], &args[3]], lim);
        h.set(&args[2], &args[3], lim);
        (true, true)
    });
    match r {
        Err(e) => e,
        Ok(Some((true, _))) => {
            ctx.notify(notify::HASH, "hset", key);
            Reply::Int(1)
        }
        Ok(_) => {
            ctx.propagate = Propagate::Nothing;
            Reply::Int(0)
        }
    }
}

fn hget(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match read_hash(ctx, &args[1], |h| h.get(&args[2]).map(Reply::bulk)) {
        Err(e) => e,
        Ok(v) => v.flatten().unwrap_or(Reply::Nil),
    }
}

fn hmget(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let fields = &args[2..];
    match read_hash(ctx, &args[1], |h| {
        fields
            .iter()
            .map(|f| h.get(f).map(Reply::bulk).unwrap_or(Reply::Nil))
            .collect()
    }) {
        Err(e) => e,
        Ok(Some(v)) => Reply::Array(v),
        Ok(None) => Reply::Array(vec![Reply::Nil; fields.len()]),
    }
}

fn hdel(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let r = write_hash(ctx, key, false, |h| {
        let mut n = 0;
        for f in &args[2..] {
            if h.remove(f) {
                n += 1;
                if h.is_empty() {
                    break;
                }
            }
        }
        (n, n > 0)
    });
    match r {
        Err(e) => e,
        Ok(None) => Reply::Int(0),
        Ok(Some((n, deleted))) => {
            if n > 0 {
                ctx.dirty += n as u64 - 1;
                ctx.notify(notify::HASH, "hdel", key);
                if deleted {
                    ctx.notify(notify::GENERIC, "del", key);
                }
            } else {
                ctx.propagate = Propagate::Nothing;
            }
            Reply::Int(n)
        }
    }
}

fn hlen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match read_hash(ctx, &args[1], |h| h.len()) {
        Err(e) => e,
        Ok(n) => Reply::Int(n.unwrap_or(0) as i64),
    }
}

fn hstrlen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match read_hash(ctx, &args[1], |h| h.get(&args[2]).map(|v| v.len())) {
        Err(e) => e,
        Ok(n) => Reply::Int(n.flatten().unwrap_or(0) as i64),
    }
}

fn hexists(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match read_hash(ctx, &args[1], |h| h.contains(&args[2])) {
        Err(e) => e,
        Ok(b) => Reply::Int(b.unwrap_or(false) as i64),
    }
}

fn hkeys(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    getall(ctx, &args[1], true, false)
}

fn hvals(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    getall(ctx, &args[1], false, true)
}

fn hgetall(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    getall(ctx, &args[1], true, true)
}

fn getall(ctx: &mut Ctx, key: &[u8], keys: bool, vals: bool) -> Reply {
    let r = read_hash(ctx, key, |h| {
        if keys && vals {
            let mut out = Vec::with_capacity(h.len());
            h.for_each(|k, v| out.push((Reply::bulk(k), Reply::bulk(v))));
            Reply::Map(out)
        } else {
            let mut out = Vec::with_capacity(h.len());
            h.for_each(|k, v| out.push(Reply::bulk(if keys { k } else { v })));
            Reply::Array(out)
        }
    });
    match r {
        Err(e) => e,
        Ok(Some(r)) => r,
        Ok(None) if keys && vals => Reply::Map(Vec::new()),
        Ok(None) => Reply::Array(Vec::new()),
    }
}

fn hincrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let incr = match arg::int(&args[3]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let lim = limits(ctx);
    let key = &args[1];
    let r = write_hash(ctx, key, true, |h| {
        let cur = match h.get(&args[2]) {
            None => 0,
            Some(v) => match crate::util::parse_i64(v) {
                Some(x) => x,
                None => return (Err(Reply::err("ERR hash value is not an integer")), false),
            },
        };
        let new = match cur.checked_add(incr) {
            Some(n) => n,
            None => return (Err(err::overflow()), false),
        };
        h.set(&args[2], new.to_string().as_bytes(), lim);
        (Ok(new), true)
    });
    match r {
        Err(e) | Ok(Some((Err(e), _))) => e,
        Ok(Some((Ok(n), _))) => {
            ctx.notify(notify::HASH, "hincrby", key);
            Reply::Int(n)
        }
        Ok(None) => unreachable!(),
    }
}

/// HINCRBYFLOAT's arithmetic: `cur + incr`, formatted as Redis's `ld2string(LD_STR_HUMAN)`
/// does. Redis computes in long double with "%.17Lf"; this uses f64 and the shortest
/// representation that round-trips. ONE function so it can be switched to the shared
/// exact long-double helper.
fn incr_float(cur: &[u8], incr: &[u8]) -> Result<Vec<u8>, Reply> {
    // Exactly as Redis: long double arithmetic and "%.17Lf" formatting (src/native).
    use crate::native::{ld_add, LdError};
    ld_add(cur, incr).map_err(|e| match e {
        LdError::BadValue => Reply::err("ERR hash value is not a float"),
        LdError::BadIncr => err::not_float(),
        LdError::NanOrInf => Reply::err("ERR increment would produce NaN or Infinity"),
    })
}

fn hincrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match crate::native::ld_valid(&args[3]) {
        None => return err::not_float(),
        Some(true) => return Reply::err("ERR value is NaN or Infinity"),
        _ => {}
    }
    let lim = limits(ctx);
    let key = &args[1];
    let r = write_hash(ctx, key, true, |h| {
        let cur = h.get(&args[2]).unwrap_or(b"0");
        match incr_float(cur, &args[3]) {
            Err(e) => (Err(e), false),
            Ok(new) => {
                h.set(&args[2], &new, lim);
                (Ok(new), true)
            }
        }
    });
    match r {
        Err(e) | Ok(Some((Err(e), _))) => e,
        Ok(Some((Ok(new), _))) => {
            let new = Bytes::from(new);
            ctx.notify(notify::HASH, "hincrbyfloat", key);
            ctx.rewrite_as(vec![vec![
                Bytes::from_static(b"HSET"),
                key.clone(),
                args[2].clone(),
                new.clone(),
            ]]);
            Reply::Bulk(new)
        }
        Ok(None) => unreachable!(),
    }
}

pub fn rng() -> impl FnMut() -> u64 {
    use rand::{Rng, SeedableRng};
    let mut r = rand::rngs::SmallRng::from_entropy();
    move || r.gen()
}

fn hrandfield(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    if args.len() == 2 {
        let mut rng = rng();
        return match read_hash(ctx, key, |h| {
            h.random_pair(&mut rng).map(|p| Reply::bulk(p.0))
        }) {
            Err(e) => e,
            Ok(r) => r.flatten().unwrap_or(Reply::Nil),
        };
    }
    let l = match arg::int(&args[2]) {
        Ok(v) if v == i64::MIN => {
            return Reply::err(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            )
        }
        Ok(v) => v,
        Err(e) => return e,
    };
    let withvalues = match args.len() {
        3 => false,
        4 if eq_ic(&args[3], "withvalues") => true,
        _ => return err::syntax(),
    };
    if withvalues && !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
        return Reply::err("ERR value is out of range");
    }
    let resp3 = ctx.resp3();
    let item = |f: &[u8], v: &[u8], out: &mut Vec<Reply>| {
        if !withvalues {
            out.push(Reply::bulk(f));
        } else if resp3 {
            out.push(Reply::Array(vec![Reply::bulk(f), Reply::bulk(v)]));
        } else {
            out.push(Reply::bulk(f));
            out.push(Reply::bulk(v));
        }
    };
    let r = read_hash(ctx, key, |h| {
        let size = h.len();
        let mut out = Vec::new();
        let mut rng = rng();
        if l == 0 {
            return Reply::Array(out);
        }
        if l < 0 || l == 1 {
            // With repetition.
            let count = l.unsigned_abs();
            for _ in 0..count {
                let (f, v) = h.random_pair(&mut rng).unwrap();
                item(f, v, &mut out);
            }
            return Reply::Array(out);
        }
        let count = l as usize;
        if count >= size {
            h.for_each(|f, v| item(f, v, &mut out));
            return Reply::Array(out);
        }
        let mut pairs: Vec<(&[u8], &[u8])> = Vec::new();
        if count * 3 > size || matches!(h, HashValue::Packed(_)) {
            let mut all: Vec<(&[u8], &[u8])> = Vec::with_capacity(size);
            collect_pairs(h, &mut all);
            // Partial Fisher-Yates: a uniform random subset of `count`.
            for i in 0..count {
                let j = i + (rng() % (all.len() - i) as u64) as usize;
                all.swap(i, j);
            }
            all.truncate(count);
            pairs = all;
        } else {
            let mut seen = std::collections::HashSet::new();
            while pairs.len() < count {
                let (f, v) = h.random_pair(&mut rng).unwrap();
                if seen.insert(f) {
                    pairs.push((f, v));
                }
            }
        }
        for (f, v) in pairs {
            item(f, v, &mut out);
        }
        Reply::Array(out)
    });
    match r {
        Err(e) => e,
        Ok(Some(r)) => r,
        Ok(None) => Reply::Array(Vec::new()),
    }
}

fn collect_pairs<'a>(h: &'a HashValue, out: &mut Vec<(&'a [u8], &'a [u8])>) {
    match h {
        HashValue::Packed(p) => {
            let mut it = p.iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                out.push((k, v));
            }
        }
        HashValue::Table(d) => {
            for n in d.iter() {
                out.push((&n.key[..], &n.val[..]));
            }
        }
    }
}

/// HSCAN/SSCAN/ZSCAN options after the cursor: (pattern, count).
pub struct ScanOpts {
    pub pattern: Option<Bytes>,
    pub count: usize,
}

/// A SCAN cursor as Redis 7.2's parseScanCursorOrReply reads it: `strtoul(s, &end, 10)`
/// on the C string (up to the first NUL), rejected only if it starts with whitespace,
/// leaves characters unparsed or overflows. So "" is cursor 0, a sign is accepted and
/// "-1" wraps to 18446744073709551615.
pub fn parse_cursor(b: &[u8]) -> Result<u64, Reply> {
    let invalid = || Reply::err("ERR invalid cursor");
    let s = crate::util::c_bytes(b);
    let (neg, digits) = match s.first() {
        None => return Ok(0),
        Some(b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') => return Err(invalid()),
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        Some(_) => (false, s),
    };
    if digits.is_empty() {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(invalid());
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// The MATCH/COUNT options of HSCAN/SSCAN/ZSCAN (no TYPE: that is SCAN's only). A lone
/// `*` is no pattern, as in Redis's scanGenericCommand (the glob itself doesn't match an
/// empty member).
pub fn parse_scan_opts(args: &[Bytes]) -> Result<ScanOpts, Reply> {
    let mut o = ScanOpts {
        pattern: None,
        count: 10,
    };
    let mut i = 0;
    while i < args.len() {
        let more = args.len() - i >= 2;
        if eq_ic(&args[i], "count") && more {
            let c = arg::int(&args[i + 1])?;
            if c < 1 {
                return Err(err::syntax());
            }
            o.count = c as usize;
        } else if eq_ic(&args[i], "match") && more {
            let p = &args[i + 1];
            o.pattern = if &p[..] == b"*" {
                None
            } else {
                Some(p.clone())
            };
        } else {
            return Err(err::syntax());
        }
        i += 2;
    }
    Ok(o)
}

/// The reply of a *SCAN: [cursor, [items...]].
pub fn scan_reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(Bytes::from(cursor.to_string())),
        Reply::Array(items),
    ])
}

fn hscan(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let cursor = match parse_cursor(&args[2]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let r = read_hash(ctx, &args[1], |h| {
        let o = parse_scan_opts(&args[3..])?;
        let mut items = Vec::new();
        let mut cursor = cursor;
        let pat = o.pattern.as_deref();
        let mut max_iter = o.count * 10;
        loop {
            cursor = h.scan(cursor, |f, v| {
                if pat.is_none_or(|p| crate::util::glob_match(p, f, false)) {
                    items.push(Reply::bulk(f));
                    items.push(Reply::bulk(v));
                }
            });
            max_iter -= 1;
            if cursor == 0 || max_iter == 0 || items.len() >= o.count {
                break;
            }
        }
        Ok(scan_reply(cursor, items))
    });
    match r {
        Err(e) | Ok(Some(Err(e))) => e,
        Ok(Some(Ok(r))) => r,
        Ok(None) => scan_reply(0, Vec::new()),
    }
}
