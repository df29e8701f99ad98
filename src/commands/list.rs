//! Lists: Redis's t_list.c, including the blocking pops (served in place under the
//! pusher's locks, see `crate::blocking`).

use crate::command::{arg, err, BlockOn, Ctx, LockMode, Propagate, Registry};
use crate::config::notify;
use crate::resp::Reply;
use crate::store::list::{Elem, Limit, ListValue};
use crate::store::Value;
use crate::util::eq_ic;
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    r.add("lpush", lpush, LockMode::Keys);
    r.add("rpush", rpush, LockMode::Keys);
    r.add("lpushx", lpushx, LockMode::Keys);
    r.add("rpushx", rpushx, LockMode::Keys);
    r.add("lpop", lpop, LockMode::Keys);
    r.add("rpop", rpop, LockMode::Keys);
    r.add("llen", llen, LockMode::Keys);
    r.add("lindex", lindex, LockMode::Keys);
    r.add("lset", lset, LockMode::Keys);
    r.add("lrange", lrange, LockMode::Keys);
    r.add("ltrim", ltrim, LockMode::Keys);
    r.add("linsert", linsert, LockMode::Keys);
    r.add("lrem", lrem, LockMode::Keys);
    r.add("lpos", lpos, LockMode::Keys);
    r.add("lmove", lmove, LockMode::Keys);
    r.add("rpoplpush", rpoplpush, LockMode::Keys);
    r.add("lmpop", lmpop, LockMode::Keys);
    r.add("blpop", blpop, LockMode::Keys);
    r.add("brpop", brpop, LockMode::Keys);
    r.add("blmove", blmove, LockMode::Keys);
    r.add("brpoplpush", brpoplpush, LockMode::Keys);
    r.add("blmpop", blmpop, LockMode::Keys);
}

fn limit(ctx: &Ctx) -> Limit {
    Limit::from_fill(
        ctx.srv
            .config
            .hot
            .list_max_listpack_size
            .load(Ordering::Relaxed),
    )
}

/// The list at `key` for writing: Ok(None) if absent, WRONGTYPE for other types.
fn list_mut<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut ListValue>, Reply> {
    match ctx.lookup(key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::List(l) => Ok(Some(l)),
            _ => Err(err::wrong_type()),
        },
    }
}

/// The list at `key` for reading (counts keyspace hits/misses).
fn list_read<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut ListValue>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::List(l) => Ok(Some(l)),
            _ => Err(err::wrong_type()),
        },
    }
}

/// Checks that `key` is absent or a list.
fn check_list(ctx: &mut Ctx, key: &[u8]) -> Result<bool, Reply> {
    Ok(list_mut(ctx, key)?.is_some())
}

/// LEFT/RIGHT -> head?
fn parse_where(b: &[u8]) -> Result<bool, Reply> {
    if eq_ic(b, "left") {
        Ok(true)
    } else if eq_ic(b, "right") {
        Ok(false)
    } else {
        Err(err::syntax())
    }
}

fn bulk(v: Vec<u8>) -> Reply {
    Reply::Bulk(Bytes::from(v))
}

/// Bookkeeping after removing `n` elements: the event, and deleting an emptied key.
fn removed(ctx: &mut Ctx, key: &[u8], event: &'static str) {
    ctx.notify(notify::LIST, event, key);
    let empty = matches!(list_mut(ctx, key), Ok(Some(l)) if l.is_empty());
    if empty {
        ctx.delete(key);
        ctx.notify(notify::GENERIC, "del", key);
    } else {
        ctx.modified(key);
    }
}

// ---------------------------------------------------------------------------------------
// Push

fn push_generic(ctx: &mut Ctx, args: &[Bytes], head: bool, only_existing: bool) -> Reply {
    let key = &args[1];
    let lim = limit(ctx);
    let len = match tri!(list_mut(ctx, key)) {
        Some(l) => {
            for v in &args[2..] {
                l.push(v, head, lim);
            }
            l.len()
        }
        None if only_existing => return Reply::Int(0),
        None => {
            let mut l = ListValue::new();
            for v in &args[2..] {
                l.push(v, head, lim);
            }
            let n = l.len();
            ctx.set_value(key, Value::List(Box::new(l)), 0, false);
            n
        }
    };
    ctx.modified(key);
    ctx.dirty += (args.len() - 3) as u64;
    ctx.notify(notify::LIST, if head { "lpush" } else { "rpush" }, key);
    ctx.signal_ready(key);
    Reply::Int(len as i64)
}

fn lpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, true, false)
}
fn rpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, false, false)
}
fn lpushx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, true, true)
}
fn rpushx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    push_generic(ctx, args, false, true)
}

// ---------------------------------------------------------------------------------------
// Pop

fn pop_generic(ctx: &mut Ctx, args: &[Bytes], head: bool) -> Reply {
    if args.len() > 3 {
        return err::wrong_args(if head { "lpop" } else { "rpop" });
    }
    let key = &args[1];
    let count = if args.len() == 3 {
        Some(tri!(crate::command::arg::pop_count(&args[2])))
    } else {
        None
    };
    let lim = limit(ctx);
    let Some(l) = tri!(list_mut(ctx, key)) else {
        return if count.is_some() {
            Reply::NilArray
        } else {
            Reply::Nil
        };
    };
    let reply = match count {
        None => bulk(l.pop(head, lim).unwrap()),
        Some(0) => {
            ctx.propagate = Propagate::Nothing;
            return Reply::Array(vec![]);
        }
        Some(n) => {
            let n = n.min(l.len());
            Reply::Array((0..n).map(|_| bulk(l.pop(head, lim).unwrap())).collect())
        }
    };
    removed(ctx, key, if head { "lpop" } else { "rpop" });
    reply
}

fn lpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    pop_generic(ctx, args, true)
}
fn rpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    pop_generic(ctx, args, false)
}

// ---------------------------------------------------------------------------------------
// Reads

fn llen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match tri!(list_read(ctx, &args[1])) {
        Some(l) => Reply::Int(l.len() as i64),
        None => Reply::Int(0),
    }
}

/// A Redis index (negative from the end) to a position, if in range.
fn index_of(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { len as i64 + i } else { i };
    if i < 0 || i >= len as i64 {
        None
    } else {
        Some(i as usize)
    }
}

fn lindex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some(l) = tri!(list_read(ctx, &args[1])) else {
        return Reply::Nil;
    };
    let i = tri!(arg::int(&args[2]));
    match index_of(i, l.len()) {
        Some(i) => Reply::Bulk(l.get(i).unwrap().to_bytes()),
        None => Reply::Nil,
    }
}

fn lset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let lim = limit(ctx);
    let Some(l) = tri!(list_mut(ctx, key)) else {
        return err::no_such_key();
    };
    let i = tri!(arg::int(&args[2]));
    let Some(i) = index_of(i, l.len()) else {
        return err::out_of_range();
    };
    l.set(i, &args[3], lim);
    ctx.modified(key);
    ctx.notify(notify::LIST, "lset", key);
    Reply::OK
}

/// Clamps a start/end pair like Redis's LRANGE/LTRIM: None if the range is empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut s = if start < 0 { len + start } else { start };
    let mut e = if end < 0 { len + end } else { end };
    if s < 0 {
        s = 0;
    }
    if s > e || s >= len {
        return None;
    }
    if e >= len {
        e = len - 1;
    }
    Some((s as usize, e as usize))
}

/// An array of `n` bulk strings encoded straight into one buffer (the same bytes in RESP2
/// and RESP3), without a `Reply` per element: LRANGE is a hot path.
fn raw_bulk_array<'a>(n: usize, items: impl Iterator<Item = Elem<'a>>) -> Reply {
    let mut out = Vec::with_capacity(16 + n * 24);
    out.extend_from_slice(format!("*{n}\r\n").as_bytes());
    let mut num = [0u8; 20];
    for e in items.take(n) {
        let b: &[u8] = match e {
            Elem::Str(b) => b,
            Elem::Int(i) => crate::resp::fmt_i64_pub(&mut num, i),
        };
        out.push(b'$');
        let mut lb = [0u8; 20];
        out.extend_from_slice(crate::resp::fmt_i64_pub(&mut lb, b.len() as i64));
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(b);
        out.extend_from_slice(b"\r\n");
    }
    Reply::Raw(Bytes::from(out))
}

fn lrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let start = tri!(arg::int(&args[2]));
    let end = tri!(arg::int(&args[3]));
    let in_exec = ctx.in_exec;
    let Some(l) = tri!(list_read(ctx, &args[1])) else {
        return Reply::Array(vec![]);
    };
    match clamp_range(start, end, l.len()) {
        None => Reply::Array(vec![]),
        // Scripts convert replies to Lua values: give them the structured form.
        Some((s, e)) if in_exec => Reply::Array(
            l.iter_from(s)
                .take(e + 1 - s)
                .map(|x| Reply::Bulk(x.to_bytes()))
                .collect(),
        ),
        Some((s, e)) => raw_bulk_array(e + 1 - s, l.iter_from(s)),
    }
}

fn ltrim(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let start = tri!(arg::int(&args[2]));
    let end = tri!(arg::int(&args[3]));
    let lim = limit(ctx);
    let Some(l) = tri!(list_mut(ctx, key)) else {
        return Reply::OK;
    };
    match clamp_range(start, end, l.len()) {
        None => l.clear(),
        Some((s, e)) => l.trim(s, e, lim),
    }
    ctx.notify(notify::LIST, "ltrim", key);
    removed_silent(ctx, key);
    Reply::OK
}

/// Deletes an emptied list (with its `del` event), else marks it modified.
fn removed_silent(ctx: &mut Ctx, key: &[u8]) {
    let empty = matches!(list_mut(ctx, key), Ok(Some(l)) if l.is_empty());
    if empty {
        ctx.delete(key);
        ctx.notify(notify::GENERIC, "del", key);
    } else {
        ctx.modified(key);
    }
}

fn linsert(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let after = if eq_ic(&args[2], "after") {
        true
    } else if eq_ic(&args[2], "before") {
        false
    } else {
        return err::syntax();
    };
    let lim = limit(ctx);
    let Some(l) = tri!(list_mut(ctx, key)) else {
        return Reply::Int(0);
    };
    let pivot: &[u8] = &args[3];
    let pi = crate::util::parse_i64(pivot);
    let Some(pos) = l.iter().position(|e| e.matches(pivot, pi)) else {
        ctx.propagate = Propagate::Nothing;
        return Reply::Int(-1);
    };
    l.insert(if after { pos + 1 } else { pos }, &args[4], lim);
    let n = l.len();
    ctx.modified(key);
    ctx.notify(notify::LIST, "linsert", key);
    Reply::Int(n as i64)
}

fn lrem(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let count = tri!(arg::int(&args[2]));
    let lim = limit(ctx);
    let Some(l) = tri!(list_mut(ctx, key)) else {
        return Reply::Int(0);
    };
    let n = l.remove_eq(&args[3], count.unsigned_abs() as usize, count < 0, lim);
    if n > 0 {
        ctx.notify(notify::LIST, "lrem", key);
        removed_silent(ctx, key);
    }
    Reply::Int(n as i64)
}

fn lpos(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let a = &args[j];
        if eq_ic(a, "rank") && more {
            j += 1;
            let v = tri!(arg::int(&args[j]));
            if v == i64::MIN {
                return Reply::err(
                    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                );
            }
            if v == 0 {
                return Reply::err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
            }
            rank = v;
        } else if eq_ic(a, "count") && more {
            j += 1;
            // getPositiveLongFromObjectOrReply with a message: a non-integer gets it too.
            match crate::util::parse_i64(&args[j]) {
                Some(v) if v >= 0 => count = Some(v as usize),
                _ => return Reply::err("ERR COUNT can't be negative"),
            }
        } else if eq_ic(a, "maxlen") && more {
            j += 1;
            match crate::util::parse_i64(&args[j]) {
                Some(v) if v >= 0 => maxlen = v as usize,
                _ => return Reply::err("ERR MAXLEN can't be negative"),
            }
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let Some(l) = tri!(list_read(ctx, &args[1])) else {
        return if count.is_some() {
            Reply::Array(vec![])
        } else {
            Reply::Nil
        };
    };
    let ele: &[u8] = &args[2];
    let len = l.len();
    let from_tail = rank < 0;
    let rank = rank.unsigned_abs() as usize;
    let want = match count {
        Some(0) => usize::MAX,
        Some(c) => c,
        None => 1,
    };
    let scan = if maxlen == 0 { len } else { maxlen.min(len) };
    let mut out = Vec::new();
    let mut matches = 0usize;
    let needle = crate::util::parse_i64(ele);
    let mut check = |idx: usize, e: Elem, out: &mut Vec<Reply>| -> bool {
        if e.matches(ele, needle) {
            matches += 1;
            if matches >= rank {
                out.push(Reply::Int(idx as i64));
                if out.len() >= want {
                    return true;
                }
            }
        }
        false
    };
    if from_tail {
        for (k, e) in l.iter().rev().take(scan).enumerate() {
            if check(len - 1 - k, e, &mut out) {
                break;
            }
        }
    } else {
        for (k, e) in l.iter().take(scan).enumerate() {
            if check(k, e, &mut out) {
                break;
            }
        }
    }
    match count {
        Some(_) => Reply::Array(out),
        None => out.pop().unwrap_or(Reply::Nil),
    }
}

// ---------------------------------------------------------------------------------------
// Moves

/// LMOVE's core once `src` is known to be a non-empty list: checks `dst`'s type, moves one
/// element, replies with it.
fn lmove_core(ctx: &mut Ctx, src: &[u8], dst: &[u8], from_head: bool, to_head: bool) -> Reply {
    tri!(check_list(ctx, dst));
    let lim = limit(ctx);
    let v = {
        let l = list_mut(ctx, src).unwrap().unwrap();
        l.pop(from_head, lim).unwrap()
    };
    // Push to the destination (which may be the source itself).
    match list_mut(ctx, dst).unwrap() {
        Some(l) => l.push(&v, to_head, lim),
        None => {
            let mut l = ListValue::new();
            l.push(&v, to_head, lim);
            ctx.set_value(dst, Value::List(Box::new(l)), 0, false);
        }
    }
    ctx.modified(dst);
    ctx.notify(notify::LIST, if to_head { "lpush" } else { "rpush" }, dst);
    ctx.signal_ready(dst);
    removed(ctx, src, if from_head { "lpop" } else { "rpop" });
    bulk(v)
}

fn lmove_generic(ctx: &mut Ctx, args: &[Bytes], from_head: bool, to_head: bool) -> Reply {
    let (src, dst) = (&args[1], &args[2]);
    match tri!(list_mut(ctx, src)) {
        None => Reply::Nil,
        Some(l) if l.is_empty() => Reply::Nil,
        Some(_) => lmove_core(ctx, src, dst, from_head, to_head),
    }
}

fn lmove(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let from = tri!(parse_where(&args[3]));
    let to = tri!(parse_where(&args[4]));
    lmove_generic(ctx, args, from, to)
}

fn rpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    lmove_generic(ctx, args, false, true)
}

fn where_name(head: bool) -> Bytes {
    Bytes::from_static(if head { b"LEFT" } else { b"RIGHT" })
}

fn blmove_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    from: bool,
    to: bool,
    timeout: &[u8],
    as_rpoplpush: bool,
) -> Reply {
    let deadline = tri!(arg::timeout(timeout, ctx.now));
    let (src, dst) = (&args[1], &args[2]);
    if tri!(list_mut(ctx, src)).is_none() {
        if ctx.in_exec {
            return Reply::Nil;
        }
        ctx.block = Some(BlockOn {
            keys: vec![src.clone()],
            deadline,
            rerun_args: None,
            serves_on: "list",
            unblock_on_nokey: false,
        });
        return Reply::Nil;
    }
    let r = lmove_core(ctx, src, dst, from, to);
    if !r.is_error() {
        ctx.rewrite_as(vec![if as_rpoplpush {
            vec![Bytes::from_static(b"RPOPLPUSH"), src.clone(), dst.clone()]
        } else {
            vec![
                Bytes::from_static(b"LMOVE"),
                src.clone(),
                dst.clone(),
                where_name(from),
                where_name(to),
            ]
        }]);
    }
    r
}

fn blmove(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let from = tri!(parse_where(&args[3]));
    let to = tri!(parse_where(&args[4]));
    blmove_generic(ctx, args, from, to, &args[5], false)
}

fn brpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    blmove_generic(ctx, args, false, true, &args[3], true)
}

// ---------------------------------------------------------------------------------------
// Multi-key pops

/// Pops up to `count` from the first non-empty list among `keys`: Ok(None) if all are
/// empty. Replies `[key, [elements]]` and propagates as `LPOP/RPOP key n`.
fn mpop_first(
    ctx: &mut Ctx,
    keys: &[Bytes],
    head: bool,
    count: usize,
) -> Result<Option<Reply>, Reply> {
    let lim = limit(ctx);
    for key in keys {
        let Some(l) = list_mut(ctx, key)? else {
            continue;
        };
        if l.is_empty() {
            continue;
        }
        let n = count.min(l.len());
        let items: Vec<Reply> = (0..n).map(|_| bulk(l.pop(head, lim).unwrap())).collect();
        removed(ctx, key, if head { "lpop" } else { "rpop" });
        ctx.rewrite_as(vec![vec![
            Bytes::from_static(if head { b"LPOP" } else { b"RPOP" }),
            key.clone(),
            Bytes::from(n.to_string()),
        ]]);
        return Ok(Some(Reply::Array(vec![
            Reply::Bulk(key.clone()),
            Reply::Array(items),
        ])));
    }
    Ok(None)
}

/// Parses `numkeys key... LEFT|RIGHT [COUNT n]` starting at `args[at]`.
fn parse_mpop(args: &[Bytes], at: usize) -> Result<(Vec<Bytes>, bool, usize), Reply> {
    let numkeys = match crate::util::parse_i64(&args[at]) {
        Some(n) if n > 0 => n as usize,
        _ => return Err(Reply::err("ERR numkeys should be greater than 0")),
    };
    let where_idx = at + 1 + numkeys;
    if numkeys > args.len() || where_idx >= args.len() {
        return Err(err::syntax());
    }
    let head = parse_where(&args[where_idx])?;
    let mut count: Option<usize> = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count.is_none() && eq_ic(&args[j], "count") && j + 1 < args.len() {
            j += 1;
            match crate::util::parse_i64(&args[j]) {
                Some(n) if n > 0 => count = Some(n as usize),
                _ => return Err(Reply::err("ERR count should be greater than 0")),
            }
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    Ok((args[at + 1..where_idx].to_vec(), head, count.unwrap_or(1)))
}

fn lmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (keys, head, count) = tri!(parse_mpop(args, 1));
    match tri!(mpop_first(ctx, &keys, head, count)) {
        Some(r) => r,
        None => Reply::NilArray,
    }
}

fn blmpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (keys, head, count) = tri!(parse_mpop(args, 2));
    let deadline = tri!(arg::timeout(&args[1], ctx.now));
    match tri!(mpop_first(ctx, &keys, head, count)) {
        Some(r) => r,
        None => block_on(ctx, keys, deadline),
    }
}

fn block_on(ctx: &mut Ctx, keys: Vec<Bytes>, deadline: Option<u64>) -> Reply {
    if ctx.in_exec {
        return Reply::NilArray;
    }
    ctx.block = Some(BlockOn {
        keys,
        deadline,
        rerun_args: None,
        serves_on: "list",
        unblock_on_nokey: false,
    });
    Reply::NilArray
}

fn bpop_generic(ctx: &mut Ctx, args: &[Bytes], head: bool) -> Reply {
    let deadline = tri!(arg::timeout(&args[args.len() - 1], ctx.now));
    let keys = &args[1..args.len() - 1];
    let lim = limit(ctx);
    for key in keys {
        let Some(l) = tri!(list_mut(ctx, key)) else {
            continue;
        };
        if l.is_empty() {
            continue;
        }
        let v = l.pop(head, lim).unwrap();
        removed(ctx, key, if head { "lpop" } else { "rpop" });
        ctx.rewrite_as(vec![vec![
            Bytes::from_static(if head { b"LPOP" } else { b"RPOP" }),
            key.clone(),
        ]]);
        return Reply::Array(vec![Reply::Bulk(key.clone()), bulk(v)]);
    }
    block_on(ctx, keys.to_vec(), deadline)
}

fn blpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bpop_generic(ctx, args, true)
}
fn brpop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bpop_generic(ctx, args, false)
}
