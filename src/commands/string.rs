//! Strings: GET, SET and the rest of Redis's t_string.c.

use crate::command::{arg, err, Ctx, LockMode, Propagate, Registry};
use crate::config::notify;
use crate::resp::Reply;
use crate::store::{Sds, StrValue, Value};
use crate::util::eq_ic;
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    r.add("get", get, LockMode::Keys);
    r.add("set", set, LockMode::Keys);
    r.add("setnx", setnx, LockMode::Keys);
    r.add("setex", setex, LockMode::Keys);
    r.add("psetex", psetex, LockMode::Keys);
    r.add("mget", mget, LockMode::Keys);
    r.add("mset", mset, LockMode::Keys);
    r.add("msetnx", msetnx, LockMode::Keys);
    r.add("getset", getset, LockMode::Keys);
    r.add("getdel", getdel, LockMode::Keys);
    r.add("getex", getex, LockMode::Keys);
    r.add("append", append, LockMode::Keys);
    r.add("strlen", strlen, LockMode::Keys);
    r.add("incr", incr, LockMode::Keys);
    r.add("decr", decr, LockMode::Keys);
    r.add("incrby", incrby, LockMode::Keys);
    r.add("decrby", decrby, LockMode::Keys);
    r.add("incrbyfloat", incrbyfloat, LockMode::Keys);
    r.add("getrange", getrange, LockMode::Keys);
    r.add("substr", getrange, LockMode::Keys);
    r.add("setrange", setrange, LockMode::Keys);
    r.add("lcs", lcs, LockMode::Keys);
}

fn b(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

fn num(n: impl ToString) -> Bytes {
    Bytes::from(n.to_string())
}

/// Reads a string value: Ok(None) if absent, WRONGTYPE for other types. Counts a keyspace
/// hit or miss (Redis's lookupKeyRead).
pub fn read_str(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::Str(s) => Ok(Some(s.to_bytes())),
            _ => Err(err::wrong_type()),
        },
    }
}

/// The largest string a command may build (`proto-max-bulk-len`).
pub fn max_string_len(ctx: &Ctx) -> u64 {
    ctx.srv
        .config
        .hot
        .proto_max_bulk_len
        .load(Ordering::Relaxed)
}

/// Redis's checkStringLength: `size + append` must stay within `proto-max-bulk-len`.
pub fn check_string_length(ctx: &Ctx, size: u64, append: u64) -> Result<(), Reply> {
    match size.checked_add(append) {
        Some(total) if total <= max_string_len(ctx) => Ok(()),
        _ => Err(Reply::err(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        )),
    }
}

/// A string key opened for in-place modification (SETRANGE, SETBIT, BITFIELD):
/// created empty-and-zero-padded if absent, grown with zero bytes to at least `min_len`.
/// Returns the buffer and whether the key was created or grown (Redis's
/// lookupStringForBitCommand). The caller reports the change (`ctx.modified`).
pub fn string_for_write<'c>(
    ctx: &'c mut Ctx,
    key: &[u8],
    min_len: usize,
) -> Result<(&'c mut Vec<u8>, bool), Reply> {
    let exists = match ctx.lookup(key) {
        None => false,
        Some(e) => match &e.value {
            Value::Str(_) => true,
            _ => return Err(err::wrong_type()),
        },
    };
    if !exists {
        // Created without counting a change: the caller reports it once.
        let db = ctx.db_index();
        let pos = ctx.pos(key);
        let entry =
            crate::store::Entry::new(Value::Str(StrValue::Buf(Box::new(vec![0u8; min_len]))));
        ctx.db_part(db, pos).put(pos.hash, key, entry);
        ctx.notify(crate::config::notify::NEW, "new", key);
    }
    let Some(Value::Str(s)) = ctx.lookup(key).map(|e| &mut e.value) else {
        unreachable!("string key just checked or created")
    };
    let v = s.make_buf(min_len);
    let mut changed = !exists;
    if v.len() < min_len {
        v.resize(min_len, 0);
        changed = true;
    }
    Ok((v, changed))
}

fn get(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match read_str(ctx, &args[1]) {
        Ok(Some(b)) => Reply::Bulk(b),
        Ok(None) => Reply::Nil,
        Err(e) => e,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// SET/GETEX options (Redis's parseExtendedStringArgumentsOrReply).
#[derive(Default)]
struct ExtArgs {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(Unit, Bytes)>,
}

fn parse_ext(args: &[Bytes], start: usize, is_set: bool) -> Result<ExtArgs, Reply> {
    let mut o = ExtArgs::default();
    let mut j = start;
    while j < args.len() {
        let a = &args[j];
        let next = args.get(j + 1);
        let unit = if eq_ic(a, "ex") {
            Some(Unit::Ex)
        } else if eq_ic(a, "px") {
            Some(Unit::Px)
        } else if eq_ic(a, "exat") {
            Some(Unit::ExAt)
        } else if eq_ic(a, "pxat") {
            Some(Unit::PxAt)
        } else {
            None
        };
        if is_set && eq_ic(a, "nx") && !o.xx {
            o.nx = true;
        } else if is_set && eq_ic(a, "xx") && !o.nx {
            o.xx = true;
        } else if is_set && eq_ic(a, "get") {
            o.get = true;
        } else if is_set && eq_ic(a, "keepttl") && !o.persist && o.expire.is_none() {
            o.keep_ttl = true;
        } else if !is_set && eq_ic(a, "persist") && o.expire.is_none() && !o.keep_ttl {
            o.persist = true;
        } else if let (Some(u), Some(next)) = (unit, next) {
            // The same unit may repeat (the last one wins); units may not be mixed.
            if o.keep_ttl || o.persist || o.expire.as_ref().is_some_and(|(p, _)| *p != u) {
                return Err(err::syntax());
            }
            o.expire = Some((u, next.clone()));
            j += 1;
        } else {
            return Err(err::syntax());
        }
        j += 1;
    }
    Ok(o)
}

/// The absolute expiry (Unix ms) for an EX/PX/EXAT/PXAT argument, with Redis's errors
/// (getExpireMillisecondsOrReply).
fn expire_ms(ctx: &Ctx, cmd: &str, unit: Unit, v: &[u8]) -> Result<u64, Reply> {
    let v = arg::int(v)?;
    let seconds = matches!(unit, Unit::Ex | Unit::ExAt);
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(err::invalid_expire(cmd));
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if matches!(unit, Unit::Ex | Unit::Px) {
        ms = ms
            .checked_add(ctx.now as i64)
            .ok_or_else(|| err::invalid_expire(cmd))?;
    }
    Ok(ms as u64)
}

/// The common part of SET, SETNX, SETEX and PSETEX (Redis's setGenericCommand).
#[allow(clippy::too_many_arguments)]
fn set_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    cmd: &str,
    key: &Bytes,
    val: &Bytes,
    o: &ExtArgs,
    ok_reply: Reply,
    abort_reply: Reply,
) -> Reply {
    let expire = match &o.expire {
        None => None,
        Some((u, v)) => match expire_ms(ctx, cmd, *u, v) {
            Ok(ms) => Some(ms),
            Err(e) => return e,
        },
    };
    let mut old = None;
    if o.get {
        match read_str(ctx, key) {
            Ok(v) => old = v,
            Err(e) => return e,
        }
    }
    let old_reply = |old: Option<Bytes>| old.map(Reply::Bulk).unwrap_or(Reply::Nil);
    if o.nx || o.xx {
        // NX and XX exclude each other: NX aborts if the key exists, XX if it doesn't.
        let found = if o.get {
            old.is_some()
        } else {
            ctx.exists(key)
        };
        if found == o.nx {
            ctx.propagate = Propagate::Nothing;
            return if o.get { old_reply(old) } else { abort_reply };
        }
    }
    ctx.set_value(
        key,
        Value::Str(StrValue::from_bytes(val)),
        expire.unwrap_or(0),
        o.keep_ttl,
    );
    ctx.notify(notify::STRING, "set", key);
    if let Some(at) = expire {
        // Replayed with an absolute time so AOF/replicas agree on when it expires.
        ctx.rewrite_as(vec![vec![
            b("SET"),
            key.clone(),
            val.clone(),
            b("PXAT"),
            num(at),
        ]]);
        ctx.notify(notify::GENERIC, "expire", key);
    } else if o.get {
        // Propagated without GET (which may be repeated).
        let argv = args
            .iter()
            .enumerate()
            .filter(|(j, a)| *j < 3 || !eq_ic(a, "get"))
            .map(|(_, a)| a.clone())
            .collect();
        ctx.rewrite_as(vec![argv]);
    }
    if o.get {
        old_reply(old)
    } else {
        ok_reply
    }
}

fn set(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let o = match parse_ext(args, 3, true) {
        Ok(o) => o,
        Err(e) => return e,
    };
    set_generic(
        ctx,
        args,
        "set",
        &args[1],
        &args[2],
        &o,
        Reply::OK,
        Reply::Nil,
    )
}

fn setnx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let o = ExtArgs {
        nx: true,
        ..Default::default()
    };
    set_generic(
        ctx,
        args,
        "setnx",
        &args[1],
        &args[2],
        &o,
        Reply::Int(1),
        Reply::Int(0),
    )
}

fn setex_generic(ctx: &mut Ctx, args: &[Bytes], cmd: &str, unit: Unit) -> Reply {
    let o = ExtArgs {
        expire: Some((unit, args[2].clone())),
        ..Default::default()
    };
    set_generic(
        ctx,
        args,
        cmd,
        &args[1],
        &args[3],
        &o,
        Reply::OK,
        Reply::Nil,
    )
}

fn setex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    setex_generic(ctx, args, "setex", Unit::Ex)
}

fn psetex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    setex_generic(ctx, args, "psetex", Unit::Px)
}

fn mget(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut out = Vec::with_capacity(args.len() - 1);
    for key in &args[1..] {
        let r = match ctx.lookup_read(key) {
            Some(e) => match &e.value {
                Value::Str(s) => Reply::Bulk(s.to_bytes()),
                _ => Reply::Nil,
            },
            None => Reply::Nil,
        };
        out.push(r);
    }
    Reply::Array(out)
}

fn mset_generic(ctx: &mut Ctx, args: &[Bytes], nx: bool) -> Reply {
    if args.len().is_multiple_of(2) {
        return err::wrong_args(if nx { "msetnx" } else { "mset" });
    }
    if nx {
        for pair in args[1..].chunks(2) {
            if ctx.exists(&pair[0]) {
                return Reply::Int(0);
            }
        }
    }
    for pair in args[1..].chunks(2) {
        ctx.set_value(&pair[0], Value::str(&pair[1]), 0, false);
        ctx.notify(notify::STRING, "set", &pair[0]);
    }
    if nx {
        Reply::Int(1)
    } else {
        Reply::OK
    }
}

fn mset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    mset_generic(ctx, args, false)
}

fn msetnx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    mset_generic(ctx, args, true)
}

fn getset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let old = match read_str(ctx, &args[1]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    ctx.set_value(&args[1], Value::str(&args[2]), 0, false);
    ctx.notify(notify::STRING, "set", &args[1]);
    ctx.rewrite_as(vec![vec![b("SET"), args[1].clone(), args[2].clone()]]);
    old.map(Reply::Bulk).unwrap_or(Reply::Nil)
}

fn getdel(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let old = match read_str(ctx, &args[1]) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::Nil,
        Err(e) => return e,
    };
    if ctx.delete(&args[1]) {
        ctx.rewrite_as(vec![vec![b("DEL"), args[1].clone()]]);
        ctx.notify(notify::GENERIC, "del", &args[1]);
    }
    Reply::Bulk(old)
}

fn getex(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let o = match parse_ext(args, 2, false) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let val = match read_str(ctx, key) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::Nil,
        Err(e) => return e,
    };
    let expire = match &o.expire {
        None => None,
        Some((u, v)) => match expire_ms(ctx, "getex", *u, v) {
            Ok(ms) => Some((*u, ms)),
            Err(e) => return e,
        },
    };
    match expire {
        Some((Unit::ExAt | Unit::PxAt, at)) if at <= ctx.now => {
            // An absolute time already in the past deletes the key.
            ctx.delete(key);
            ctx.rewrite_as(vec![vec![b("DEL"), key.clone()]]);
            ctx.notify(notify::GENERIC, "del", key);
        }
        Some((_, at)) => {
            ctx.set_expire(key, at);
            ctx.rewrite_as(vec![vec![b("PEXPIREAT"), key.clone(), num(at)]]);
            ctx.notify(notify::GENERIC, "expire", key);
        }
        None if o.persist => {
            let has_ttl = ctx.lookup(key).is_some_and(|e| e.expire_at() != 0);
            if has_ttl {
                ctx.set_expire(key, 0);
                ctx.rewrite_as(vec![vec![b("PERSIST"), key.clone()]]);
                ctx.notify(notify::GENERIC, "persist", key);
            }
        }
        None => {}
    }
    Reply::Bulk(val)
}

fn append(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let add = &args[2];
    let cur_len = match ctx.lookup(key) {
        None => None,
        Some(e) => match &e.value {
            Value::Str(s) => Some(s.len()),
            _ => return err::wrong_type(),
        },
    };
    let total = match cur_len {
        None => {
            ctx.set_value(key, Value::str(add), 0, false);
            add.len()
        }
        Some(len) => {
            if let Err(e) = check_string_length(ctx, len as u64, add.len() as u64) {
                return e;
            }
            let Some(Value::Str(s)) = ctx.lookup(key).map(|e| &mut e.value) else {
                unreachable!()
            };
            let v = s.make_buf(len + add.len());
            v.extend_from_slice(add);
            let total = v.len();
            ctx.modified(key);
            total
        }
    };
    ctx.notify(notify::STRING, "append", key);
    Reply::Int(total as i64)
}

fn strlen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match ctx.lookup_read(&args[1]) {
        None => Reply::Int(0),
        Some(e) => match &e.value {
            Value::Str(s) => Reply::Int(s.len() as i64),
            _ => err::wrong_type(),
        },
    }
}

/// INCR/DECR/INCRBY/DECRBY (Redis's incrDecrCommand). The TTL is kept.
fn incr_decr(ctx: &mut Ctx, key: &Bytes, incr: i64) -> Reply {
    let new = match ctx.lookup(key) {
        Some(e) => {
            let old = match &e.value {
                Value::Str(StrValue::Int(i)) => *i,
                Value::Str(s) => {
                    let mut buf = [0u8; 20];
                    match crate::util::parse_i64(s.bytes(&mut buf)) {
                        Some(i) => i,
                        None => return err::not_int(),
                    }
                }
                _ => return err::wrong_type(),
            };
            let Some(new) = old.checked_add(incr) else {
                return err::overflow();
            };
            // Updated in place: the entry keeps its TTL.
            e.value = Value::Str(StrValue::Int(new));
            ctx.modified(key);
            new
        }
        None => {
            ctx.set_value(key, Value::Str(StrValue::Int(incr)), 0, false);
            incr
        }
    };
    ctx.notify(notify::STRING, "incrby", key);
    Reply::Int(new)
}

fn incr(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    incr_decr(ctx, &args[1], 1)
}

fn decr(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    incr_decr(ctx, &args[1], -1)
}

fn incrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match arg::int(&args[2]) {
        Ok(v) => incr_decr(ctx, &args[1], v),
        Err(e) => e,
    }
}

fn decrby(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match arg::int(&args[2]) {
        Ok(i64::MIN) => Reply::err("ERR decrement would overflow"),
        Ok(v) => incr_decr(ctx, &args[1], -v),
        Err(e) => e,
    }
}

fn incrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let cur = match ctx.lookup(key) {
        None => None,
        Some(e) => match &e.value {
            Value::Str(s) => Some(s.to_vec()),
            _ => return err::wrong_type(),
        },
    };
    let base: &[u8] = cur.as_deref().unwrap_or(b"0");
    let new = match crate::native::ld_add(base, &args[2]) {
        Ok(v) => v,
        Err(crate::native::LdError::NanOrInf) => {
            return Reply::err("ERR increment would produce NaN or Infinity")
        }
        Err(_) => return err::not_float(),
    };
    let reply = Bytes::copy_from_slice(&new);
    // Stored as a string, as Redis does (OBJECT ENCODING says embstr even for "3").
    let value = Value::Str(StrValue::Raw(Sds::from_vec(new)));
    match cur {
        Some(_) => {
            if let Some(e) = ctx.lookup(key) {
                e.value = value;
            }
            ctx.modified(key);
        }
        None => ctx.set_value(key, value, 0, false),
    }
    ctx.notify(notify::STRING, "incrbyfloat", key);
    // Replayed as the final value so float formatting can't make replicas diverge.
    ctx.rewrite_as(vec![vec![
        b("SET"),
        key.clone(),
        reply.clone(),
        b("KEEPTTL"),
    ]]);
    Reply::Bulk(reply)
}

fn getrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (mut start, mut end) = match (arg::int(&args[2]), arg::int(&args[3])) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let e = match ctx.lookup_read(&args[1]) {
        None => return Reply::Bulk(Bytes::new()),
        Some(e) => e,
    };
    let Value::Str(s) = &e.value else {
        return err::wrong_type();
    };
    let mut buf = [0u8; 20];
    let bytes = s.bytes(&mut buf);
    let len = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Reply::Bulk(Bytes::new());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Reply::Bulk(Bytes::new());
    }
    Reply::bulk(&bytes[start as usize..=end as usize])
}

fn setrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let value = &args[3];
    let offset = match arg::int(&args[2]) {
        Ok(v) if v < 0 => return Reply::err("ERR offset is out of range"),
        Ok(v) => v as u64,
        Err(e) => return e,
    };
    let cur_len = match ctx.lookup(key) {
        None => None,
        Some(e) => match &e.value {
            Value::Str(s) => Some(s.len()),
            _ => return err::wrong_type(),
        },
    };
    if value.is_empty() {
        // Setting nothing: the current length (0 for a missing key), no change.
        return Reply::Int(cur_len.unwrap_or(0) as i64);
    }
    if let Err(e) = check_string_length(ctx, offset, value.len() as u64) {
        return e;
    }
    let end = offset as usize + value.len();
    let (buf, _) = match string_for_write(ctx, key, end) {
        Ok(v) => v,
        Err(e) => return e,
    };
    buf[offset as usize..end].copy_from_slice(value);
    let total = buf.len();
    ctx.modified(key);
    ctx.notify(notify::STRING, "setrange", key);
    Reply::Int(total as i64)
}

fn lcs(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let read = |ctx: &mut Ctx, key: &[u8]| -> Result<Vec<u8>, ()> {
        match ctx.lookup_read(key) {
            None => Ok(Vec::new()),
            Some(e) => match &e.value {
                Value::Str(s) => Ok(s.to_vec()),
                _ => Err(()),
            },
        }
    };
    let (a, b) = match (read(ctx, &args[1]), read(ctx, &args[2])) {
        (Ok(a), Ok(b)) => (a, b),
        _ => return Reply::err("ERR The specified keys must contain string values"),
    };
    let (mut getidx, mut getlen, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        let more = j + 1 < args.len();
        if eq_ic(opt, "idx") {
            getidx = true;
        } else if eq_ic(opt, "len") {
            getlen = true;
        } else if eq_ic(opt, "withmatchlen") {
            withmatchlen = true;
        } else if eq_ic(opt, "minmatchlen") && more {
            match arg::int(&args[j + 1]) {
                Ok(v) => minmatchlen = v.max(0),
                Err(e) => return e,
            }
            j += 1;
        } else {
            return err::syntax();
        }
        j += 1;
    }
    if getidx && getlen {
        return Reply::err("ERR If you want both the length and indexes, please just use IDX.");
    }
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        return Reply::err("ERR String too long for LCS");
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells * 4 > max_string_len(ctx) {
        return Reply::err(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
    }
    // lcs[i][j]: LCS length of a[..i] and b[..j].
    let w = blen + 1;
    let mut t = vec![0u32; cells as usize];
    for i in 1..=alen {
        for jj in 1..=blen {
            t[i * w + jj] = if a[i - 1] == b[jj - 1] {
                t[(i - 1) * w + jj - 1] + 1
            } else {
                t[(i - 1) * w + jj].max(t[i * w + jj - 1])
            };
        }
    }
    let total = t[alen * w + blen];
    if getlen && !getidx {
        return Reply::Int(total as i64);
    }
    // Walk back from the end, collecting the LCS and (for IDX) the matching ranges, in
    // Redis's order (last match first).
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut ranges = Vec::new();
    let (mut i, mut jj) = (alen, blen);
    let unset = alen;
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (unset, 0, 0, 0);
    while i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == unset {
                a_start = i - 1;
                a_end = i - 1;
                b_start = jj - 1;
                b_end = jj - 1;
            } else if a_start == i && b_start == jj {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            if t[(i - 1) * w + jj] > t[i * w + jj - 1] {
                i -= 1;
            } else {
                jj -= 1;
            }
            if a_start != unset {
                emit = true;
            }
        }
        if emit {
            let match_len = (a_end - a_start + 1) as i64;
            if getidx && (minmatchlen == 0 || match_len >= minmatchlen) {
                let mut r = vec![
                    Reply::Array(vec![Reply::Int(a_start as i64), Reply::Int(a_end as i64)]),
                    Reply::Array(vec![Reply::Int(b_start as i64), Reply::Int(b_end as i64)]),
                ];
                if withmatchlen {
                    r.push(Reply::Int(match_len));
                }
                ranges.push(Reply::Array(r));
            }
            a_start = unset;
        }
    }
    if getidx {
        Reply::Map(vec![
            (Reply::bulk_static(b"matches"), Reply::Array(ranges)),
            (Reply::bulk_static(b"len"), Reply::Int(total as i64)),
        ])
    } else {
        Reply::Bulk(Bytes::from(result))
    }
}

/// Runs handlers directly to check what integration tests can't see yet: how a command is
/// propagated (AOF/replicas) and which keyspace events it queues.
#[cfg(test)]
pub(crate) mod testkit {
    use crate::command::{Ctx, Locks, Propagate};
    use crate::resp::Reply;
    use crate::server::client::{Client, ClientInfo};
    use crate::server::Server;
    use bytes::Bytes;
    use std::sync::Arc;

    pub struct Kit {
        pub srv: Server,
        pub client: Client,
    }

    /// What one command did.
    pub struct Ran {
        pub reply: Reply,
        /// Commands fed to AOF/replicas, space-joined ("SET k v PXAT 123").
        pub propagated: Vec<String>,
        /// Keyspace events as "event:key".
        pub events: Vec<String>,
        pub now: u64,
    }

    impl Kit {
        pub fn new() -> Kit {
            let srv = Server::new(crate::config::Config::default());
            srv.config.hot.notify_flags.store(
                crate::config::notify::ALL
                    | crate::config::notify::KEYSPACE
                    | crate::config::notify::KEYEVENT,
                std::sync::atomic::Ordering::Relaxed,
            );
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            let info = Arc::new(ClientInfo::new(1, "test".into(), "test".into(), -1));
            Kit {
                srv,
                client: Client::new(info, true, tx),
            }
        }

        pub fn run(&mut self, line: &str) -> Ran {
            let args: Vec<Bytes> = line
                .split(' ')
                .map(|s| Bytes::copy_from_slice(s.as_bytes()))
                .collect();
            let cmd = crate::server::dispatch::lookup(&self.srv, &args).expect("known command");
            let handler = cmd.handler.expect("handler");
            let locks = Locks::all(&self.srv.store);
            let mut ctx = Ctx::new(&self.srv, &mut self.client, locks);
            let reply = handler(&mut ctx, &args);
            let join = |v: &[Bytes]| {
                v.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let propagated = if ctx.dirty == 0 {
                Vec::new()
            } else {
                match std::mem::take(&mut ctx.propagate) {
                    Propagate::AsIs => vec![join(&args)],
                    Propagate::Nothing => Vec::new(),
                    Propagate::Rewritten(cmds) => cmds.iter().map(|c| join(c)).collect(),
                }
            };
            let events = ctx
                .events
                .iter()
                .map(|e| format!("{}:{}", e.event, String::from_utf8_lossy(&e.key)))
                .collect();
            Ran {
                reply,
                propagated,
                events,
                now: ctx.now,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::Kit;
    use crate::resp::Reply;

    fn p(r: &super::testkit::Ran) -> Vec<&str> {
        r.propagated.iter().map(|s| s.as_str()).collect()
    }
    fn ev(r: &super::testkit::Ran) -> Vec<&str> {
        r.events.iter().map(|s| s.as_str()).collect()
    }

    #[test]
    fn set_propagation_and_events() {
        let mut k = Kit::new();
        let r = k.run("SET k v");
        assert_eq!((p(&r), ev(&r)), (vec!["SET k v"], vec!["set:k"]));
        let r = k.run("SET k v EX 100");
        let at = r.now + 100_000;
        assert_eq!(p(&r), vec![format!("SET k v PXAT {at}")]);
        assert_eq!(ev(&r), vec!["set:k", "expire:k"]);
        let r = k.run("SET k v PX 100");
        assert_eq!(p(&r), vec![format!("SET k v PXAT {}", r.now + 100)]);
        let r = k.run("SET k v EXAT 2000000000");
        assert_eq!(p(&r), vec!["SET k v PXAT 2000000000000"]);
        let r = k.run("SET k v2 GET KEEPTTL get");
        assert_eq!(r.reply, Reply::bulk("v"));
        assert_eq!(p(&r), vec!["SET k v2 KEEPTTL"]);
        let r = k.run("SET k v NX");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
        let r = k.run("SETEX k 10 v");
        assert_eq!(p(&r), vec![format!("SET k v PXAT {}", r.now + 10_000)]);
        let r = k.run("PSETEX k 10 v");
        assert_eq!(p(&r), vec![format!("SET k v PXAT {}", r.now + 10)]);
        let r = k.run("SETNX k v");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
        let r = k.run("SETNX k2 v");
        assert_eq!((p(&r), ev(&r)), (vec!["SETNX k2 v"], vec!["set:k2"]));
        let r = k.run("MSET a 1 b 2");
        assert_eq!(
            (p(&r), ev(&r)),
            (vec!["MSET a 1 b 2"], vec!["set:a", "set:b"])
        );
        let r = k.run("MSETNX a 1 c 2");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
        let r = k.run("GETSET a 5");
        assert_eq!((p(&r), ev(&r)), (vec!["SET a 5"], vec!["set:a"]));
    }

    #[test]
    fn getex_getdel_propagation_and_events() {
        let mut k = Kit::new();
        k.run("SET k v");
        let r = k.run("GETEX k EX 100");
        assert_eq!(p(&r), vec![format!("PEXPIREAT k {}", r.now + 100_000)]);
        assert_eq!(ev(&r), vec!["expire:k"]);
        let r = k.run("GETEX k PERSIST");
        assert_eq!((p(&r), ev(&r)), (vec!["PERSIST k"], vec!["persist:k"]));
        let r = k.run("GETEX k PERSIST");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
        let r = k.run("GETEX k");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
        let r = k.run("GETEX k PXAT 1");
        assert_eq!((p(&r), ev(&r)), (vec!["DEL k"], vec!["del:k"]));
        assert_eq!(r.reply, Reply::bulk("v"));
        k.run("SET k v");
        let r = k.run("GETDEL k");
        assert_eq!((p(&r), ev(&r)), (vec!["DEL k"], vec!["del:k"]));
        let r = k.run("GETDEL k");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
    }

    #[test]
    fn numeric_and_range_events() {
        let mut k = Kit::new();
        let r = k.run("INCR n");
        assert_eq!((p(&r), ev(&r)), (vec!["INCR n"], vec!["incrby:n"]));
        let r = k.run("DECRBY n 5");
        assert_eq!(ev(&r), vec!["incrby:n"]);
        let r = k.run("INCRBYFLOAT f 0.1");
        assert_eq!(p(&r), vec!["SET f 0.1 KEEPTTL"]);
        assert_eq!(ev(&r), vec!["incrbyfloat:f"]);
        let r = k.run("INCRBYFLOAT f 0.2");
        assert_eq!(p(&r), vec!["SET f 0.3 KEEPTTL"]);
        let r = k.run("INCRBYFLOAT f x");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
        let r = k.run("APPEND s abc");
        assert_eq!((p(&r), ev(&r)), (vec!["APPEND s abc"], vec!["append:s"]));
        let r = k.run("APPEND s ");
        assert_eq!(ev(&r), vec!["append:s"]);
        let r = k.run("SETRANGE s 1 x");
        assert_eq!(
            (p(&r), ev(&r)),
            (vec!["SETRANGE s 1 x"], vec!["setrange:s"])
        );
        let r = k.run("SETRANGE s 1 ");
        assert_eq!((p(&r), ev(&r)), (vec![], vec![]));
    }
}
