//! Sets: SADD and the rest of Redis's t_set.c.

use super::hash::{parse_cursor, parse_scan_opts, rng, scan_reply};
use crate::command::{arg, err, Ctx, LockMode, Propagate, Registry};
use crate::config::notify;
use crate::resp::Reply;
use crate::store::set::{SetLimits, SetValue};
use crate::store::{Sds, Value};
use crate::util::eq_ic;
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    r.add("sadd", sadd, LockMode::Keys);
    r.add("srem", srem, LockMode::Keys);
    r.add("scard", scard, LockMode::Keys);
    r.add("sismember", sismember, LockMode::Keys);
    r.add("smismember", smismember, LockMode::Keys);
    r.add("smembers", smembers, LockMode::Keys);
    r.add("srandmember", srandmember, LockMode::Keys);
    r.add("spop", spop, LockMode::Keys);
    r.add("smove", smove, LockMode::Keys);
    r.add("sinter", sinter, LockMode::Keys);
    r.add("sintercard", sintercard, LockMode::Keys);
    r.add("sinterstore", sinterstore, LockMode::Keys);
    r.add("sunion", sunion, LockMode::Keys);
    r.add("sunionstore", sunionstore, LockMode::Keys);
    r.add("sdiff", sdiff, LockMode::Keys);
    r.add("sdiffstore", sdiffstore, LockMode::Keys);
    r.add("sscan", sscan, LockMode::Keys);
}

/// The current thresholds (atomics mirrored from the config).
pub fn limits(ctx: &Ctx) -> SetLimits {
    let h = &ctx.srv.config.hot;
    SetLimits {
        max_intset: h.set_max_intset_entries.load(Ordering::Relaxed) as usize,
        max_entries: h.set_max_listpack_entries.load(Ordering::Relaxed) as usize,
        max_value: h.set_max_listpack_value.load(Ordering::Relaxed) as usize,
    }
}

fn read_set<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&SetValue) -> R,
) -> Result<Option<R>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::Set(s) => Ok(Some(f(s))),
            _ => Err(err::wrong_type()),
        },
    }
}

/// Runs `f` on an existing set for writing; `f` returns (result, changed). Deletes the
/// key when it becomes empty. Returns (result, deleted), or None if absent.
fn write_set<R>(
    ctx: &mut Ctx,
    key: &[u8],
    f: impl FnOnce(&mut SetValue) -> (R, bool),
) -> Result<Option<(R, bool)>, Reply> {
    let (r, changed, empty) = match ctx.lookup(key) {
        None => return Ok(None),
        Some(e) => match &mut e.value {
            Value::Set(s) => {
                let (r, c) = f(s);
                (r, c, s.is_empty())
            }
            _ => return Err(err::wrong_type()),
        },
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

fn sadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let lim = limits(ctx);
    let key = &args[1];
    let add_all = |s: &mut SetValue| {
        let mut n = 0;
        for m in &args[2..] {
            if s.add(m, lim) {
                n += 1;
            }
        }
        n
    };
    let added = match write_set(ctx, key, |s| {
        let n = add_all(s);
        (n, n > 0)
    }) {
        Err(e) => return e,
        Ok(Some((n, _))) => n,
        Ok(None) => {
            let mut s = SetValue::create(&args[2], args.len() - 2, lim);
            let n = add_all(&mut s);
            ctx.set_value(key, Value::Set(s), 0, false);
            n
        }
    };
    if added > 0 {
        ctx.dirty += added as u64 - 1;
        ctx.notify(notify::SET, "sadd", key);
    } else {
        ctx.propagate = Propagate::Nothing;
    }
    Reply::Int(added)
}

fn srem(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let r = write_set(ctx, key, |s| {
        let mut n = 0;
        for m in &args[2..] {
            if s.remove(m) {
                n += 1;
                if s.is_empty() {
                    break;
                }
            }
        }
        (n, n > 0)
    });
    match r {
        Err(e) => e,
        Ok(Some((n, deleted))) if n > 0 => {
            ctx.dirty += n as u64 - 1;
            ctx.notify(notify::SET, "srem", key);
            if deleted {
                ctx.notify(notify::GENERIC, "del", key);
            }
            Reply::Int(n)
        }
        Ok(_) => {
            ctx.propagate = Propagate::Nothing;
            Reply::Int(0)
        }
    }
}

fn scard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match read_set(ctx, &args[1], |s| s.len()) {
        Err(e) => e,
        Ok(n) => Reply::Int(n.unwrap_or(0) as i64),
    }
}

fn sismember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match read_set(ctx, &args[1], |s| s.contains(&args[2])) {
        Err(e) => e,
        Ok(b) => Reply::Int(b.unwrap_or(false) as i64),
    }
}

fn smismember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let ms = &args[2..];
    match read_set(ctx, &args[1], |s| {
        ms.iter()
            .map(|m| Reply::Int(s.contains(m) as i64))
            .collect()
    }) {
        Err(e) => e,
        Ok(Some(v)) => Reply::Array(v),
        Ok(None) => Reply::Array(vec![Reply::Int(0); ms.len()]),
    }
}

fn members_reply(s: &SetValue) -> Vec<Reply> {
    let mut out = Vec::with_capacity(s.len());
    s.for_each(|m| out.push(Reply::bulk(m)));
    out
}

fn smembers(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match read_set(ctx, &args[1], members_reply) {
        Err(e) => e,
        Ok(v) => Reply::Set(v.unwrap_or_default()),
    }
}

const OUT_OF_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

fn srandmember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    if args.len() > 3 {
        return err::syntax();
    }
    if args.len() == 2 {
        let mut rng = rng();
        return match read_set(ctx, key, |s| s.random(&mut rng)) {
            Err(e) => e,
            Ok(m) => m.flatten().map(|m| Reply::bulk(&m)).unwrap_or(Reply::Nil),
        };
    }
    let l = match arg::int(&args[2]) {
        Ok(i64::MIN) => return Reply::err(OUT_OF_RANGE),
        Ok(v) => v,
        Err(e) => return e,
    };
    let r = read_set(ctx, key, |s| {
        let size = s.len();
        let mut rng = rng();
        if l == 0 {
            return Vec::new();
        }
        if l < 0 || l == 1 {
            return (0..l.unsigned_abs())
                .map(|_| Reply::bulk(s.random(&mut rng).unwrap()))
                .collect();
        }
        let count = l as usize;
        if count >= size {
            return members_reply(s);
        }
        random_subset(s, count, &mut rng)
            .iter()
            .map(Reply::bulk)
            .collect()
    });
    match r {
        Err(e) => e,
        Ok(v) => Reply::Array(v.unwrap_or_default()),
    }
}

/// `count` distinct random members (count < size).
fn random_subset(s: &SetValue, count: usize, rng: &mut impl FnMut() -> u64) -> Vec<Sds> {
    let size = s.len();
    if count * 3 > size || !matches!(s, SetValue::Table(_)) {
        let mut all = s.members();
        for i in 0..count {
            let j = i + (rng() % (all.len() - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(count);
        all
    } else {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let m = s.random(rng).unwrap();
            if seen.insert(m.clone()) {
                out.push(m);
            }
        }
        out
    }
}

fn spop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    if args.len() > 3 {
        return err::syntax();
    }
    if args.len() == 2 {
        let mut rng = rng();
        let r = write_set(ctx, key, |s| {
            let m = s.random(&mut rng).unwrap();
            s.remove(&m);
            (m, true)
        });
        return match r {
            Err(e) => e,
            Ok(None) => {
                ctx.propagate = Propagate::Nothing;
                Reply::Nil
            }
            Ok(Some((m, deleted))) => {
                let m = Bytes::copy_from_slice(&m);
                ctx.notify(notify::SET, "spop", key);
                if deleted {
                    ctx.notify(notify::GENERIC, "del", key);
                }
                ctx.rewrite_as(vec![vec![
                    Bytes::from_static(b"SREM"),
                    key.clone(),
                    m.clone(),
                ]]);
                Reply::Bulk(m)
            }
        };
    }
    let count = tri!(crate::command::arg::pop_count(&args[2]));
    // Type check first, as lookupKeyWriteOrReply + checkType do.
    match ctx.lookup(key) {
        None => {
            ctx.propagate = Propagate::Nothing;
            return Reply::Set(Vec::new());
        }
        Some(e) if !matches!(e.value, Value::Set(_)) => return err::wrong_type(),
        _ => {}
    }
    if count == 0 {
        ctx.propagate = Propagate::Nothing;
        return Reply::Set(Vec::new());
    }
    let mut rng = rng();
    let r = write_set(ctx, key, |s| {
        if count >= s.len() {
            let all = members_reply(s);
            *s = SetValue::new();
            return ((all, None), true);
        }
        let picked = random_subset(s, count, &mut rng);
        for m in &picked {
            s.remove(m);
        }
        let out = picked.iter().map(Reply::bulk).collect();
        ((out, Some(picked)), true)
    });
    let ((out, picked), _deleted) = match r {
        Err(e) => return e,
        Ok(Some(x)) => x,
        Ok(None) => unreachable!(),
    };
    ctx.notify(notify::SET, "spop", key);
    match picked {
        None => {
            ctx.notify(notify::GENERIC, "del", key);
            ctx.rewrite_as(vec![vec![Bytes::from_static(b"DEL"), key.clone()]]);
        }
        Some(picked) => {
            let cmds = picked
                .chunks(1024)
                .map(|c| {
                    let mut v = vec![Bytes::from_static(b"SREM"), key.clone()];
                    v.extend(c.iter().map(|m| Bytes::copy_from_slice(m)));
                    v
                })
                .collect();
            ctx.rewrite_as(cmds);
        }
    }
    Reply::Set(out)
}

fn smove(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (src, dst, m) = (&args[1], &args[2], &args[3]);
    let lim = limits(ctx);
    match ctx.lookup(src) {
        None => {
            ctx.propagate = Propagate::Nothing;
            return Reply::Int(0);
        }
        Some(e) if !matches!(e.value, Value::Set(_)) => return err::wrong_type(),
        _ => {}
    }
    let dst_exists = match ctx.lookup(dst) {
        None => false,
        Some(e) if !matches!(e.value, Value::Set(_)) => return err::wrong_type(),
        _ => true,
    };
    if src == dst {
        ctx.propagate = Propagate::Nothing;
        return match read_set(ctx, src, |s| s.contains(m)) {
            Ok(Some(true)) => Reply::Int(1),
            Ok(_) => Reply::Int(0),
            Err(e) => e,
        };
    }
    let removed = match write_set(ctx, src, |s| {
        let r = s.remove(m);
        (r, r)
    }) {
        Ok(Some(x)) => x,
        _ => unreachable!(),
    };
    if !removed.0 {
        ctx.propagate = Propagate::Nothing;
        return Reply::Int(0);
    }
    ctx.notify(notify::SET, "srem", src);
    if removed.1 {
        ctx.notify(notify::GENERIC, "del", src);
    }
    let added = if dst_exists {
        matches!(
            write_set(ctx, dst, |s| {
                let a = s.add(m, lim);
                (a, a)
            }),
            Ok(Some((true, _)))
        )
    } else {
        let mut s = SetValue::create(m, 1, lim);
        s.add(m, lim);
        ctx.set_value(dst, Value::Set(s), 0, false);
        true
    };
    if added {
        ctx.notify(notify::SET, "sadd", dst);
    } else {
        // Redis signals the destination as modified even when it already had the member.
        ctx.modified(dst);
    }
    Reply::Int(1)
}

/// Checks the types of the source keys; returns their sizes (None = missing).
fn source_sizes(ctx: &mut Ctx, keys: &[Bytes]) -> Result<Vec<Option<usize>>, Reply> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        out.push(read_set(ctx, k, |s| s.len())?);
    }
    Ok(out)
}

/// Runs `f` on the set at `key`, known to exist and be a set (no stats, no events).
fn with_set<R>(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(&SetValue) -> R) -> R {
    match ctx.lookup(key) {
        Some(e) => match &e.value {
            Value::Set(s) => f(s),
            _ => unreachable!(),
        },
        None => unreachable!(),
    }
}

/// The intersection's members, in the order of the smallest set; stops at `limit`
/// members (0 = no limit). None if a source is missing (empty result).
fn inter(ctx: &mut Ctx, keys: &[Bytes], limit: usize) -> Result<Option<Vec<Sds>>, Reply> {
    let sizes = source_sizes(ctx, keys)?;
    if sizes.iter().any(|s| s.is_none()) {
        return Ok(None);
    }
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| sizes[i].unwrap());
    let mut cand = with_set(ctx, &keys[order[0]], |s| s.members());
    for &i in &order[1..] {
        if cand.is_empty() {
            break;
        }
        let key = &keys[i];
        if *key == keys[order[0]] {
            continue;
        }
        with_set(ctx, key, |s| cand.retain(|m| s.contains(m)));
    }
    if limit > 0 {
        cand.truncate(limit);
    }
    Ok(Some(cand))
}

fn build_set(members: &[Sds], lim: SetLimits) -> SetValue {
    let mut s = SetValue::new();
    for m in members {
        s.add(m, lim);
    }
    s
}

fn sinter(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match inter(ctx, &args[1..], 0) {
        Err(e) => e,
        Ok(v) => Reply::Set(v.unwrap_or_default().iter().map(Reply::bulk).collect()),
    }
}

fn sintercard(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let numkeys = match crate::util::parse_i64(&args[1]) {
        Some(n) if n > 0 => n as usize,
        _ => return Reply::err("ERR numkeys should be greater than 0"),
    };
    if numkeys > args.len() - 2 {
        return Reply::err("ERR Number of keys can't be greater than number of args");
    }
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if eq_ic(&args[i], "limit") && i + 1 < args.len() {
            match crate::util::parse_i64(&args[i + 1]) {
                Some(l) if l >= 0 => limit = l as usize,
                _ => return Reply::err("ERR LIMIT can't be negative"),
            }
            i += 2;
        } else {
            return err::syntax();
        }
    }
    match inter(ctx, &args[2..2 + numkeys], limit) {
        Err(e) => e,
        Ok(v) => Reply::Int(v.map(|v| v.len()).unwrap_or(0) as i64),
    }
}

/// Stores `result` at `dst` (or deletes `dst` if empty) as the *STORE commands do.
fn store_result(ctx: &mut Ctx, dst: &[u8], result: SetValue, event: &'static str) -> Reply {
    let n = result.len();
    if n > 0 {
        ctx.set_value(dst, Value::Set(result), 0, false);
        ctx.notify(notify::SET, event, dst);
    } else if ctx.delete(dst) {
        ctx.notify(notify::GENERIC, "del", dst);
    } else {
        ctx.propagate = Propagate::Nothing;
    }
    Reply::Int(n as i64)
}

fn sinterstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let lim = limits(ctx);
    match inter(ctx, &args[2..], 0) {
        Err(e) => e,
        Ok(v) => {
            let s = build_set(&v.unwrap_or_default(), lim);
            store_result(ctx, &args[1], s, "sinterstore")
        }
    }
}

/// SUNION / SDIFF into a new set built as Redis builds its temporary set.
fn union_diff(ctx: &mut Ctx, keys: &[Bytes], diff: bool) -> Result<SetValue, Reply> {
    let lim = limits(ctx);
    let sizes = source_sizes(ctx, keys)?;
    let mut out = SetValue::new();
    let add_all = |ctx: &mut Ctx, k: &[u8], out: &mut SetValue| {
        with_set(ctx, k, |s| {
            s.for_each(|m| {
                out.add(m, lim);
            })
        })
    };
    if !diff {
        for (i, k) in keys.iter().enumerate() {
            if sizes[i].is_some() {
                add_all(ctx, k, &mut out);
            }
        }
        return Ok(out);
    }
    if sizes[0].is_none() {
        return Ok(out);
    }
    add_all(ctx, &keys[0], &mut out);
    for (i, k) in keys.iter().enumerate().skip(1) {
        if out.is_empty() {
            break;
        }
        if sizes[i].is_none() {
            continue;
        }
        if *k == keys[0] {
            return Ok(SetValue::new());
        }
        with_set(ctx, k, |s| {
            if s.len() < out.len() {
                s.for_each(|m| {
                    out.remove(m);
                });
            } else {
                for m in out.members() {
                    if s.contains(&m) {
                        out.remove(&m);
                    }
                }
            }
        });
    }
    Ok(out)
}

fn sunion(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match union_diff(ctx, &args[1..], false) {
        Err(e) => e,
        Ok(s) => Reply::Set(members_reply(&s)),
    }
}

fn sdiff(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match union_diff(ctx, &args[1..], true) {
        Err(e) => e,
        Ok(s) => Reply::Set(members_reply(&s)),
    }
}

fn sunionstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match union_diff(ctx, &args[2..], false) {
        Err(e) => e,
        Ok(s) => store_result(ctx, &args[1], s, "sunionstore"),
    }
}

fn sdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match union_diff(ctx, &args[2..], true) {
        Err(e) => e,
        Ok(s) => store_result(ctx, &args[1], s, "sdiffstore"),
    }
}

fn sscan(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let cursor = match parse_cursor(&args[2]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let r = read_set(ctx, &args[1], |s| {
        let o = parse_scan_opts(&args[3..])?;
        let pat = o.pattern.as_deref();
        let mut items = Vec::new();
        let mut cursor = cursor;
        let mut max_iter = o.count * 10;
        loop {
            cursor = s.scan(cursor, |m| {
                if pat.is_none_or(|p| crate::util::glob_match(p, m, false)) {
                    items.push(Reply::bulk(m));
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
