//! Keyspace commands: DEL, EXISTS, TYPE, RENAME, COPY, MOVE, SWAPDB, FLUSH*, KEYS, SCAN,
//! RANDOMKEY, TOUCH, OBJECT, SORT (Redis's db.c, object.c and sort.c).

use crate::command::{arg, err, Ctx, Event, LockMode, Propagate, Registry};
use crate::config::notify;
use crate::resp::Reply;
use crate::store::{list::ListValue, Entry, Sds, Value};
use crate::util::{eq_ic, glob_match};
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    r.add("del", del, LockMode::Keys);
    r.add("unlink", unlink, LockMode::Keys);
    r.add("exists", exists, LockMode::Keys);
    r.add("type", type_cmd, LockMode::Keys);
    r.add("touch", touch, LockMode::Keys);
    r.add("rename", rename, LockMode::Keys);
    r.add("renamenx", renamenx, LockMode::Keys);
    // COPY and MOVE reach another database: a shard holds every database's part for its
    // keys, so the key specs' shards are all they need.
    r.add("copy", copy, LockMode::Keys);
    r.add("move", move_cmd, LockMode::Keys);
    r.add("swapdb", swapdb, LockMode::All);
    r.add("flushdb", flushdb, LockMode::All);
    r.add("flushall", flushall, LockMode::All);
    r.add("dbsize", dbsize, LockMode::None);
    r.add("keys", keys, LockMode::None);
    r.add("scan", scan, LockMode::None);
    r.add("randomkey", randomkey, LockMode::None);
    r.add("object|encoding", object_encoding, LockMode::Keys);
    r.add("object|refcount", object_refcount, LockMode::Keys);
    r.add("object|idletime", object_idletime, LockMode::Keys);
    r.add("object|freq", object_freq, LockMode::Keys);
    r.add("object|help", object_help, LockMode::None);
    // SORT's BY/GET patterns name arbitrary keys and its STORE key is not in the key
    // specs (an "unknown" spec), so it locks every shard (see `sort`).
    r.add("sort", sort, LockMode::All);
    r.add("sort_ro", sort_ro, LockMode::All);
}

// ---------------------------------------------------------------------------------------
// Lazy free

/// Values costing more than this many allocations to free are freed on the background
/// thread by UNLINK & co. (Redis's LAZYFREE_THRESHOLD).
const LAZYFREE_THRESHOLD: usize = 64;

/// About how many allocations freeing a value takes (Redis's lazyfreeGetFreeEffort).
pub fn free_effort(v: &Value) -> usize {
    match v {
        Value::Str(_) => 1,
        Value::List(l) => l.len(),
        Value::Hash(h) => h.len(),
        Value::Set(s) => s.len(),
        Value::ZSet(z) => z.len(),
        // Streams own a tree of nodes: always worth handing off.
        Value::Stream(_) => usize::MAX,
    }
}

type Garbage = crate::memory::Garbage;

/// Drops `g` on the background "lazyfree" thread (`memory::lazy_free`, which counts it
/// for INFO).
pub fn lazy_free(g: Garbage) {
    crate::memory::lazy_free(g);
}

/// Frees a deleted value: on the background thread if `lazy` and it is big.
pub fn free_value(v: Value, lazy: bool) {
    if lazy && free_effort(&v) > LAZYFREE_THRESHOLD {
        lazy_free(Box::new(v));
    }
}

// ---------------------------------------------------------------------------------------
// DEL, UNLINK, EXISTS, TYPE, TOUCH

fn del_generic(ctx: &mut Ctx, args: &[Bytes], lazy: bool) -> Reply {
    let db = ctx.db_index();
    let mut n = 0;
    for k in &args[1..] {
        if let Some(e) = ctx.take_in(db, k) {
            ctx.notify(notify::GENERIC, "del", k);
            n += 1;
            let lazy = lazy
                || (free_effort(&e.value) > LAZYFREE_THRESHOLD
                    && ctx.srv.config.get_bool("lazyfree-lazy-user-del"));
            free_value(e.value, lazy);
        }
    }
    Reply::Int(n)
}

fn del(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    del_generic(ctx, args, false)
}

fn unlink(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    del_generic(ctx, args, true)
}

/// A read lookup that doesn't touch the LRU (Redis's LOOKUP_NOTOUCH): counts hits/misses.
fn read_notouch(ctx: &mut Ctx, key: &[u8]) -> bool {
    let no_touch = std::mem::replace(&mut ctx.client.no_touch, true);
    let r = ctx.lookup_read(key).is_some();
    ctx.client.no_touch = no_touch;
    r
}

fn exists(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut n = 0;
    for k in &args[1..] {
        if read_notouch(ctx, k) {
            n += 1;
        }
    }
    Reply::Int(n)
}

fn type_cmd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let no_touch = std::mem::replace(&mut ctx.client.no_touch, true);
    let t = ctx.lookup_read(&args[1]).map(|e| e.value.type_name());
    ctx.client.no_touch = no_touch;
    Reply::status(t.unwrap_or("none"))
}

fn touch(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    // TOUCH touches even for a client in CLIENT NO-TOUCH mode, as in Redis.
    let no_touch = std::mem::replace(&mut ctx.client.no_touch, false);
    let mut n = 0;
    for k in &args[1..] {
        if ctx.lookup_read(k).is_some() {
            n += 1;
        }
    }
    ctx.client.no_touch = no_touch;
    Reply::Int(n)
}

// ---------------------------------------------------------------------------------------
// RENAME, RENAMENX, COPY, MOVE, SWAPDB

fn rename_generic(ctx: &mut Ctx, args: &[Bytes], nx: bool) -> Reply {
    let (src, dst) = (&args[1], &args[2]);
    let db = ctx.db_index();
    if ctx.lookup(src).is_none() {
        return err::no_such_key();
    }
    if src == dst {
        ctx.propagate = Propagate::Nothing;
        return if nx { Reply::Int(0) } else { Reply::OK };
    }
    if ctx.exists(dst) {
        if nx {
            ctx.propagate = Propagate::Nothing;
            return Reply::Int(0);
        }
        if let Some(old) = ctx.take_in(db, dst) {
            let lazy = free_effort(&old.value) > LAZYFREE_THRESHOLD
                && ctx.srv.config.get_bool("lazyfree-lazy-server-del");
            free_value(old.value, lazy);
        }
    }
    let e = ctx.take_in(db, src).expect("looked up above");
    let wakes = may_unblock(&e.value);
    ctx.put_entry_in(db, dst, e);
    if wakes {
        ctx.signal_ready(dst);
    }
    ctx.notify(notify::GENERIC, "rename_from", src);
    ctx.notify(notify::GENERIC, "rename_to", dst);
    if nx {
        Reply::Int(1)
    } else {
        Reply::OK
    }
}

fn rename(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    rename_generic(ctx, args, true)
}

/// Whether a key appearing with this value can serve a blocked client (BLPOP, BZPOPMIN,
/// XREAD...): Redis's dbAdd signals such keys as ready.
fn may_unblock(v: &Value) -> bool {
    matches!(v, Value::List(_) | Value::ZSet(_) | Value::Stream(_))
}

fn same_object() -> Reply {
    Reply::err("ERR source and destination objects are the same")
}

fn copy(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let src_db = ctx.db_index();
    let mut dst_db = src_db;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        let additional = args.len() - j - 1;
        if eq_ic(&args[j], "replace") {
            replace = true;
        } else if eq_ic(&args[j], "db") && additional >= 1 {
            dst_db = match super::parse_db(ctx.srv, &args[j + 1]) {
                Ok(d) => d,
                Err(e) => return e,
            };
            j += 1;
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let (src, dst) = (&args[1], &args[2]);
    if src_db == dst_db && src == dst {
        return same_object();
    }
    ctx.propagate = Propagate::Nothing;
    let (value, expire_at) = match ctx.lookup_read(src) {
        None => return Reply::Int(0),
        Some(e) => (e.value.clone(), e.expire_at()),
    };
    if ctx.lookup_in(dst_db, dst).is_some() {
        if !replace {
            return Reply::Int(0);
        }
        ctx.delete_in(dst_db, dst);
    }
    let wakes = may_unblock(&value);
    let mut entry = Entry::new(value);
    if ctx.srv.lfu_policy() {
        entry.set_lru(crate::store::lfu::new_word());
    }
    entry.set_expire_at(expire_at);
    ctx.put_entry_in(dst_db, dst, entry);
    if wakes {
        ctx.ready_keys.push((dst_db, dst.clone()));
    }
    ctx.propagate = Propagate::AsIs;
    ctx.notify_in(dst_db, notify::GENERIC, "copy_to", dst);
    Reply::Int(1)
}

fn move_cmd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let src_db = ctx.db_index();
    let dst_db = match super::parse_db(ctx.srv, &args[2]) {
        Ok(d) => d,
        Err(e) => return e,
    };
    if src_db == dst_db {
        return same_object();
    }
    ctx.propagate = Propagate::Nothing;
    if ctx.lookup(key).is_none() || ctx.lookup_in(dst_db, key).is_some() {
        return Reply::Int(0);
    }
    let e = ctx.take_in(src_db, key).expect("looked up above");
    let wakes = may_unblock(&e.value);
    ctx.put_entry_in(dst_db, key, e);
    if wakes {
        ctx.ready_keys.push((dst_db, key.clone()));
    }
    ctx.propagate = Propagate::AsIs;
    ctx.notify_in(src_db, notify::GENERIC, "move_from", key);
    ctx.notify_in(dst_db, notify::GENERIC, "move_to", key);
    Reply::Int(1)
}

fn swapdb(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let ndbs = ctx.srv.store.ndbs() as i64;
    let Some(a) = crate::util::parse_i64(&args[1]).filter(|v| i32::try_from(*v).is_ok()) else {
        return Reply::err("ERR invalid first DB index");
    };
    let Some(b) = crate::util::parse_i64(&args[2]).filter(|v| i32::try_from(*v).is_ok()) else {
        return Reply::err("ERR invalid second DB index");
    };
    if a < 0 || a >= ndbs || b < 0 || b >= ndbs {
        return err::db_index_out_of_range();
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        ctx.for_each_shard(|s| {
            // WATCHes on keys existing in either database are invalidated (Redis's
            // touchAllWatchedKeysInDb); they stay with their database index, so only the
            // data moves.
            s.dbs[a].touch_all_watched(Some(&s.dbs[b]));
            s.dbs[b].touch_all_watched(Some(&s.dbs[a]));
            let (lo, hi) = s.dbs.split_at_mut(a.max(b));
            let (x, y) = (&mut lo[a.min(b)], &mut hi[0]);
            std::mem::swap(&mut x.dict, &mut y.dict);
            std::mem::swap(&mut x.volatile, &mut y.volatile);
            std::mem::swap(&mut x.expire_cursor, &mut y.expire_cursor);
            std::mem::swap(&mut x.avg_ttl, &mut y.avg_ttl);
        });
    }
    ctx.dirty += 1;
    // Clients blocked on keys of either database may now find their key (Redis's
    // scanDatabaseForReadyKeys after a swap).
    for db in [a, b] {
        for k in ctx.srv.waiters.keys_in(db) {
            if ctx.lookup_in(db, &k).is_some() {
                ctx.ready_keys.push((db, k));
            }
        }
    }
    Reply::OK
}

// ---------------------------------------------------------------------------------------
// FLUSHDB, FLUSHALL, DBSIZE

/// `[ASYNC|SYNC]`: Ok(true) to free in the background.
fn flush_mode(ctx: &Ctx, args: &[Bytes]) -> Result<bool, Reply> {
    match args.len() {
        1 => Ok(ctx.srv.config.get_bool("lazyfree-lazy-user-flush")),
        2 if eq_ic(&args[1], "async") => Ok(true),
        2 if eq_ic(&args[1], "sync") => Ok(false),
        _ => Err(err::syntax()),
    }
}

/// Empties database `db` (None = all) in every shard; returns the number of keys removed.
fn empty_data(ctx: &mut Ctx, db: Option<usize>, lazy: bool) -> u64 {
    let mut removed = 0u64;
    let mut garbage = Vec::new();
    ctx.for_each_shard(|s| {
        for (i, part) in s.dbs.iter_mut().enumerate() {
            if db.is_none_or(|d| d == i) && !part.is_empty() {
                part.touch_all_watched(None);
                removed += part.len() as u64;
                garbage.push(part.clear());
            }
        }
    });
    if lazy && removed > LAZYFREE_THRESHOLD as u64 {
        lazy_free(Box::new(garbage));
    }
    removed
}

fn flushdb(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let lazy = match flush_mode(ctx, args) {
        Ok(l) => l,
        Err(e) => return e,
    };
    let db = ctx.db_index();
    ctx.dirty += empty_data(ctx, Some(db), lazy) + 1;
    Reply::OK
}

fn flushall(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let lazy = match flush_mode(ctx, args) {
        Ok(l) => l,
        Err(e) => return e,
    };
    ctx.dirty += empty_data(ctx, None, lazy) + 1;
    Reply::OK
}

fn dbsize(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let db = ctx.db_index();
    let mut n = 0;
    ctx.for_each_shard(|s| n += s.dbs[db].len());
    Reply::Int(n as i64)
}

// ---------------------------------------------------------------------------------------
// KEYS, SCAN, RANDOMKEY

fn keys(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let db = ctx.db_index();
    let now = ctx.now;
    let pattern = &args[1][..];
    let all = pattern == b"*";
    let mut out = Vec::new();
    ctx.for_each_shard(|s| {
        for node in s.dbs[db].dict.iter() {
            if node.val.is_expired(now) {
                continue;
            }
            if all || glob_match(pattern, &node.key, false) {
                out.push(Reply::Bulk(Bytes::copy_from_slice(&node.key)));
            }
        }
    });
    Reply::Array(out)
}

/// The SCAN cursor spans shards: the low bits are the shard index (the number of shards
/// is a power of two), the high bits the `Dict::scan` cursor inside that shard's part of
/// the database. Shards are visited in order, each with Redis's reverse-binary cursor, so
/// a key present for the whole scan is returned at least once however tables are resized
/// in between, and no lock is held between calls.
fn scan(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let cursor = match super::hash::parse_cursor(&args[1]) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let mut count: usize = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut typ: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let more = i + 1 < args.len();
        if eq_ic(&args[i], "count") && more {
            match arg::int(&args[i + 1]) {
                Ok(c) if c >= 1 => count = c as usize,
                Ok(_) => return err::syntax(),
                Err(e) => return e,
            }
        } else if eq_ic(&args[i], "match") && more {
            pattern = Some(&args[i + 1]);
        } else if eq_ic(&args[i], "type") && more {
            typ = Some(&args[i + 1]);
        } else {
            return err::syntax();
        }
        i += 2;
    }
    if pattern == Some(b"*") {
        pattern = None;
    }
    let srv = ctx.srv;
    let db = ctx.db_index();
    let now = ctx.now;
    let n = srv.store.nshards() as u64;
    let bits = n.trailing_zeros();
    let mut shard = cursor & (n - 1);
    let mut dc = cursor >> bits;
    let max_iter = count.saturating_mul(10);
    let mut iters = 0usize;
    let mut found: Vec<Reply> = Vec::new();
    let want_events = super::expire::wants_expired_events(srv);
    let mut events: Vec<Event> = Vec::new();
    let next = loop {
        ctx.with_shard(shard as usize, |s| {
            let part = &mut s.dbs[db];
            let mut expired: Vec<(u64, Sds)> = Vec::new();
            loop {
                dc = part.dict.scan(dc, |node| {
                    if node.val.is_expired(now) {
                        expired.push((node.hash(), node.key.clone()));
                        return;
                    }
                    if let Some(p) = pattern {
                        if !glob_match(p, &node.key, false) {
                            return;
                        }
                    }
                    if let Some(t) = typ {
                        if !eq_ic(t, node.val.value.type_name()) {
                            return;
                        }
                    }
                    found.push(Reply::Bulk(Bytes::copy_from_slice(&node.key)));
                });
                iters += 1;
                if dc == 0 || found.len() >= count || iters >= max_iter {
                    break;
                }
            }
            for (h, k) in expired {
                if let Some(ev) = super::expire::remove_expired(srv, part, db, h, &k) {
                    if want_events {
                        events.push(ev);
                    }
                }
            }
        });
        if dc == 0 {
            shard += 1;
            if shard == n {
                break 0;
            }
        }
        if found.len() >= count || iters >= max_iter {
            break (dc << bits) | shard;
        }
    };
    ctx.events.extend(events);
    Reply::Array(vec![
        Reply::Bulk(Bytes::from(next.to_string())),
        Reply::Array(found),
    ])
}

fn randomkey(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let srv = ctx.srv;
    let db = ctx.db_index();
    let now = ctx.now;
    let want_events = super::expire::wants_expired_events(srv);
    let mut rng = || rand::random::<u64>();
    // Every miss deletes an expired key, so this ends; the bound is a safety net.
    for _ in 0..10_000 {
        // Pick a shard weighted by its number of keys, then a key inside it.
        let mut sizes = Vec::with_capacity(srv.store.nshards());
        ctx.for_each_shard(|s| sizes.push(s.dbs[db].len()));
        let total: usize = sizes.iter().sum();
        if total == 0 {
            return Reply::Nil;
        }
        let mut r = (rng() % total as u64) as usize;
        let mut shard = 0;
        for (i, &sz) in sizes.iter().enumerate() {
            if r < sz {
                shard = i;
                break;
            }
            r -= sz;
        }
        let picked = ctx.with_shard(shard, |s| {
            let part = &mut s.dbs[db];
            let node = part.dict.random(&mut rng)?;
            if node.val.is_expired(now) {
                let (h, k) = (node.hash(), node.key.clone());
                return Some(Err(super::expire::remove_expired(srv, part, db, h, &k)));
            }
            Some(Ok(Bytes::copy_from_slice(&node.key)))
        });
        match picked {
            Some(Ok(k)) => return Reply::Bulk(k),
            Some(Err(Some(ev))) if want_events => ctx.events.push(ev),
            _ => {}
        }
    }
    Reply::Nil
}

// ---------------------------------------------------------------------------------------
// OBJECT

/// OBJECT's lookup: no LRU touch, no keymiss event.
fn object_lookup<R>(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(&Entry) -> R) -> Option<R> {
    let no_touch = std::mem::replace(&mut ctx.client.no_touch, true);
    let srv = ctx.srv;
    let r = ctx.lookup(key).map(|e| f(e));
    srv.stats.count_lookup(r.is_some());
    ctx.client.no_touch = no_touch;
    r
}

fn object_encoding(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match object_lookup(ctx, &args[2], |e| e.value.encoding()) {
        Some(enc) => Reply::bulk(enc),
        None => Reply::Nil,
    }
}

/// Shared integers 0..10000 (OBJ_SHARED_INTEGERS) report INT_MAX as Redis does, unless
/// maxmemory with an LRU/LFU policy disables sharing.
fn object_refcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let h = &ctx.srv.config.hot;
    let policy = h.maxmemory_policy.load(Ordering::Relaxed);
    let sharing = h.maxmemory.load(Ordering::Relaxed) == 0 || !matches!(policy, 0 | 1 | 4 | 5);
    match object_lookup(
        ctx,
        &args[2],
        |e| matches!(e.value, Value::Str(crate::store::StrValue::Int(i)) if (0..10000).contains(&i)),
    ) {
        Some(true) if sharing => Reply::Int(i32::MAX as i64),
        Some(_) => Reply::Int(1),
        None => Reply::Nil,
    }
}

fn object_idletime(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let lfu = ctx.srv.lfu_policy();
    let Some(lru) = object_lookup(ctx, &args[2], |e| e.lru()) else {
        return Reply::Nil;
    };
    if lfu {
        return Reply::err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    }
    Reply::Int(crate::store::lru_idle_secs(lru) as i64)
}

fn object_freq(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let lfu = ctx.srv.lfu_policy();
    let decay = ctx.srv.config.hot.lfu_decay_time.load(Ordering::Relaxed);
    let Some(word) = object_lookup(ctx, &args[2], |e| e.lru()) else {
        return Reply::Nil;
    };
    if !lfu {
        return Reply::err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    }
    Reply::Int(crate::store::lfu::decayed(word, decay) as i64)
}

fn object_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    const LINES: &[&str] = &[
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(LINES.iter().map(|l| Reply::status(*l)).collect())
}

// ---------------------------------------------------------------------------------------
// SORT, SORT_RO
//
// Locking: BY and GET patterns name keys that can be anywhere, and STORE's destination is
// an "unknown" key spec the dispatcher can't find, so SORT and SORT_RO are registered with
// LockMode::All: the whole command is atomic, also inside EXEC and scripts. Locking only
// the sorted key (and STORE's) when there is no pattern would need the lock mode to
// depend on the arguments, which the dispatcher doesn't offer; SORT is rarely hot.

fn sort(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    sort_generic(ctx, args, true)
}

/// Redis's lookupKeyByPattern: `#` is the element itself; otherwise the first `*` is
/// replaced by the element and the key read as a string, or with `->field` as a hash
/// field.
fn lookup_by_pattern(ctx: &mut Ctx, pat: &[u8], subst: &[u8]) -> Option<Bytes> {
    if pat == b"#" {
        return Some(Bytes::copy_from_slice(subst));
    }
    let star = memchr::memchr(b'*', pat)?;
    let rest = &pat[star + 1..];
    let (post, field) = match memchr::memmem::find(rest, b"->") {
        Some(f) if f + 2 < rest.len() => (&rest[..f], Some(&rest[f + 2..])),
        _ => (rest, None),
    };
    let mut key = Vec::with_capacity(star + subst.len() + post.len());
    key.extend_from_slice(&pat[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(post);
    let e = ctx.lookup_read(&key)?;
    match (field, &e.value) {
        (Some(f), Value::Hash(h)) => h.get(f).map(Bytes::copy_from_slice),
        (None, Value::Str(s)) => Some(s.to_bytes()),
        _ => None,
    }
}

/// A SORT score as Redis reads it: strtod on the C string must consume all of it, without
/// ERANGE or NaN (the empty string is 0). Redis doesn't clear errno first; we do.
fn sort_score(b: &[u8]) -> Option<f64> {
    let s = crate::util::c_strtod(b);
    (s.used == crate::util::c_bytes(b).len() && !s.erange && !s.value.is_nan()).then_some(s.value)
}

struct SortItem {
    obj: Sds,
    score: f64,
    cmp: Option<Bytes>,
}

fn sort_generic(ctx: &mut Ctx, args: &[Bytes], readonly: bool) -> Reply {
    let mut desc = false;
    let mut alpha = false;
    let mut limit_start: i64 = 0;
    let mut limit_count: i64 = -1;
    let mut dontsort = false;
    let mut sortby: Option<Bytes> = None;
    let mut gets: Vec<Bytes> = Vec::new();
    let mut store: Option<Bytes> = None;
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = &args[j];
        if eq_ic(a, "asc") {
            desc = false;
        } else if eq_ic(a, "desc") {
            desc = true;
        } else if eq_ic(a, "alpha") {
            alpha = true;
        } else if eq_ic(a, "limit") && left >= 2 {
            limit_start = match arg::int(&args[j + 1]) {
                Ok(v) => v,
                Err(e) => return e,
            };
            limit_count = match arg::int(&args[j + 2]) {
                Ok(v) => v,
                Err(e) => return e,
            };
            j += 2;
        } else if !readonly && eq_ic(a, "store") && left >= 1 {
            store = Some(args[j + 1].clone());
            j += 1;
        } else if eq_ic(a, "by") && left >= 1 {
            // A BY pattern without '*' is constant: nothing to sort by.
            dontsort = memchr::memchr(b'*', &args[j + 1]).is_none();
            sortby = Some(args[j + 1].clone());
            j += 1;
        } else if eq_ic(a, "get") && left >= 1 {
            gets.push(args[j + 1].clone());
            j += 1;
        } else {
            return err::syntax();
        }
        j += 1;
    }
    ctx.propagate = Propagate::Nothing;

    // The elements, in the value's own order (sets: unspecified).
    enum Kind {
        List,
        Set,
        ZSet,
    }
    let (kind, elems): (Kind, Vec<Sds>) = match ctx.lookup_read(&args[1]) {
        None => (Kind::List, Vec::new()),
        Some(e) => match &e.value {
            Value::List(l) => (Kind::List, l.members()),
            Value::Set(s) => (Kind::Set, s.members()),
            Value::ZSet(z) => (
                Kind::ZSet,
                z.members().into_iter().map(|(m, _)| m).collect(),
            ),
            _ => return err::wrong_type(),
        },
    };
    // A set has no order of its own: when the result is stored (or replicated through a
    // script), sort it so every replica agrees.
    if dontsort && matches!(kind, Kind::Set) && (store.is_some() || ctx.in_exec) {
        dontsort = false;
        alpha = true;
        sortby = None;
    }

    let len = elems.len() as i64;
    let mut start = limit_start.max(0);
    let mut end = if limit_count < 0 {
        len - 1
    } else {
        start.saturating_add(limit_count).saturating_sub(1)
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }

    let mut items: Vec<SortItem>;
    let mk = |obj: Sds| SortItem {
        obj,
        score: 0.0,
        cmp: None,
    };
    if dontsort && !matches!(kind, Kind::Set) {
        // Lists and sorted sets keep their order (reversed by DESC); LIMIT picks the range.
        items = Vec::new();
        if end >= start {
            let n = (end - start + 1) as usize;
            if desc {
                items.extend(elems.into_iter().rev().skip(start as usize).take(n).map(mk));
            } else {
                items.extend(elems.into_iter().skip(start as usize).take(n).map(mk));
            }
        }
        end -= start;
        start = 0;
    } else {
        items = elems.into_iter().map(mk).collect();
    }

    let mut conversion_error = false;
    if !dontsort {
        for it in items.iter_mut() {
            let byval: Bytes = match &sortby {
                Some(p) => match lookup_by_pattern(ctx, p, &it.obj) {
                    Some(v) => v,
                    None => continue,
                },
                None => Bytes::new(),
            };
            if alpha {
                if sortby.is_some() {
                    it.cmp = Some(byval);
                }
            } else {
                let src: &[u8] = if sortby.is_some() { &byval } else { &it.obj };
                match sort_score(src) {
                    Some(v) => it.score = v,
                    None => conversion_error = true,
                }
            }
        }
        let bypattern = sortby.is_some();
        // ALPHA: without STORE Redis compares with strcoll(), i.e. as C strings (up to the
        // first NUL; the C/C.UTF-8 collation is strcmp's); with STORE byte by byte. Like
        // glibc's qsort, the sort is stable, so elements that compare equal keep their order.
        let binary = store.is_some();
        let collate = |x: &[u8], y: &[u8]| {
            if binary {
                x.cmp(y)
            } else {
                crate::util::c_bytes(x).cmp(crate::util::c_bytes(y))
            }
        };
        items.sort_by(|a, b| {
            let c = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.obj.cmp(&b.obj))
            } else if bypattern {
                match (&a.cmp, &b.cmp) {
                    (Some(x), Some(y)) => collate(x, y),
                    (x, y) => x.is_some().cmp(&y.is_some()),
                }
            } else {
                collate(&a.obj, &b.obj)
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        });
    }

    let outputlen = if end < start {
        0
    } else {
        let n = (end - start + 1) as usize;
        if gets.is_empty() {
            n
        } else {
            n * gets.len()
        }
    };
    if conversion_error {
        return Reply::err("ERR One or more scores can't be converted into double");
    }
    let range = if end < start {
        &items[0..0]
    } else {
        &items[start as usize..=end as usize]
    };
    match store {
        None => {
            let mut out = Vec::with_capacity(outputlen);
            for it in range {
                if gets.is_empty() {
                    out.push(Reply::Bulk(Bytes::copy_from_slice(&it.obj)));
                }
                for g in &gets {
                    out.push(match lookup_by_pattern(ctx, g, &it.obj) {
                        Some(v) => Reply::Bulk(v),
                        None => Reply::Nil,
                    });
                }
            }
            Reply::Array(out)
        }
        Some(dst) => {
            let mut out: Vec<Sds> = Vec::with_capacity(outputlen);
            for it in range {
                if gets.is_empty() {
                    out.push(it.obj.clone());
                }
                for g in &gets {
                    let v = lookup_by_pattern(ctx, g, &it.obj).unwrap_or_default();
                    out.push(Sds::new(&v));
                }
            }
            ctx.propagate = Propagate::AsIs;
            if outputlen > 0 {
                let list = Value::List(Box::new(ListValue::from_members(out)));
                ctx.set_value(&dst, list, 0, false);
                ctx.signal_ready(&dst);
                ctx.dirty += outputlen as u64 - 1;
                ctx.notify(notify::LIST, "sortstore", &dst);
            } else if ctx.delete(&dst) {
                ctx.notify(notify::GENERIC, "del", &dst);
            }
            Reply::Int(outputlen as i64)
        }
    }
}

/// Events and propagation, checked on the handler's effects directly (the integration
/// tests can't see them until pub/sub and replication exist).
#[cfg(test)]
mod tests {
    use crate::command::{Ctx, Locks, Propagate};
    use crate::resp::Reply;
    use crate::server::client::{Client, ClientInfo};
    use crate::server::{dispatch, Server};
    use bytes::Bytes;
    use std::sync::Arc;

    struct T {
        srv: Server,
        client: Client,
    }

    type Effects = (
        Reply,
        Vec<(String, String, usize)>,
        Option<Vec<Vec<String>>>,
    );

    impl T {
        fn new() -> T {
            let srv = Server::new(crate::config::Config::new());
            srv.config
                .set_many(
                    &[("notify-keyspace-events".into(), vec!["KEA".into()])],
                    false,
                )
                .unwrap();
            let info = Arc::new(ClientInfo::new(1, "test".into(), "test".into(), -1));
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            T {
                srv,
                client: Client::new(info, true, tx),
            }
        }

        /// Runs a command; returns its reply, events (event, key, db) and what it
        /// propagates (None = nothing).
        fn run(&mut self, args: &[&str]) -> Effects {
            let args: Vec<Bytes> = args
                .iter()
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect();
            let cmd = dispatch::lookup(&self.srv, &args).unwrap();
            let locks = match dispatch::shards_for(&self.srv, cmd, &args) {
                None => Locks::none(&self.srv.store),
                Some(s) => Locks::acquire(&self.srv.store, s),
            };
            let mut ctx = Ctx::new(&self.srv, &mut self.client, locks);
            let reply = (cmd.handler.unwrap())(&mut ctx, &args);
            let events = ctx
                .events
                .iter()
                .map(|e| {
                    (
                        e.event.to_string(),
                        String::from_utf8_lossy(&e.key).into_owned(),
                        e.db,
                    )
                })
                .collect();
            let s = |v: &Vec<Bytes>| {
                v.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect::<Vec<_>>()
            };
            let prop = if ctx.dirty == 0 {
                None
            } else {
                match &ctx.propagate {
                    Propagate::AsIs if cmd.is_write() => Some(vec![s(&args)]),
                    Propagate::Rewritten(c) => Some(c.iter().map(s).collect()),
                    _ => None,
                }
            };
            (reply, events, prop)
        }
    }

    fn ev(list: &[(&str, &str, usize)]) -> Vec<(String, String, usize)> {
        list.iter()
            .map(|(e, k, d)| (e.to_string(), k.to_string(), *d))
            .collect()
    }

    fn p(cmds: &[&[&str]]) -> Option<Vec<Vec<String>>> {
        Some(
            cmds.iter()
                .map(|c| c.iter().map(|s| s.to_string()).collect())
                .collect(),
        )
    }

    #[test]
    fn generic_events() {
        let mut t = T::new();
        t.run(&["set", "a", "1"]);
        let (_, e, _) = t.run(&["del", "a", "nokey"]);
        assert_eq!(e, ev(&[("del", "a", 0)]));
        t.run(&["set", "a", "1"]);
        let (_, e, _) = t.run(&["unlink", "a"]);
        assert_eq!(e, ev(&[("del", "a", 0)]));
        t.run(&["set", "a", "1"]);
        let (_, e, p1) = t.run(&["rename", "a", "b"]);
        assert_eq!(e, ev(&[("rename_from", "a", 0), ("rename_to", "b", 0)]));
        assert_eq!(p1, p(&[&["rename", "a", "b"]]));
        let (_, e, p1) = t.run(&["rename", "b", "b"]);
        assert!(e.is_empty());
        assert_eq!(p1, None);
        let (_, e, _) = t.run(&["copy", "b", "c", "db", "2"]);
        assert_eq!(e, ev(&[("copy_to", "c", 2)]));
        let (_, e, _) = t.run(&["move", "b", "3"]);
        assert_eq!(e, ev(&[("move_from", "b", 0), ("move_to", "b", 3)]));
        let (r, e, p1) = t.run(&["move", "nokey", "3"]);
        assert_eq!(r, Reply::Int(0));
        assert!(e.is_empty());
        assert_eq!(p1, None);
        let (_, e, p1) = t.run(&["flushall"]);
        assert!(e.is_empty());
        assert_eq!(p1, p(&[&["flushall"]]));
    }

    #[test]
    fn expire_events_and_propagation() {
        let mut t = T::new();
        t.run(&["set", "k", "v"]);
        let (r, e, p1) = t.run(&["expire", "k", "100", "nx"]);
        assert_eq!(r, Reply::Int(1));
        assert_eq!(e, ev(&[("expire", "k", 0)]));
        let p1 = p1.unwrap();
        assert_eq!(p1[0][0], "PEXPIREAT");
        assert_eq!(p1[0][1], "k");
        let at: u64 = p1[0][2].parse().unwrap();
        assert!(at > crate::util::now_ms() + 90_000);
        assert_eq!(p1[0][3], "nx");
        // PEXPIREAT is propagated as received.
        let (_, _, p1) = t.run(&["pexpireat", "k", "99999999999999"]);
        assert_eq!(p1.unwrap()[0][..3], ["PEXPIREAT", "k", "99999999999999"]);
        // A refused condition changes nothing.
        let (r, e, p1) = t.run(&["expire", "k", "1", "gt"]);
        assert_eq!(r, Reply::Int(0));
        assert!(e.is_empty());
        assert_eq!(p1, None);
        let (_, e, p1) = t.run(&["persist", "k"]);
        assert_eq!(e, ev(&[("persist", "k", 0)]));
        assert_eq!(p1, p(&[&["persist", "k"]]));
        let (_, e, p1) = t.run(&["persist", "k"]);
        assert!(e.is_empty());
        assert_eq!(p1, None);
        // In the past: deleted, `del` event, propagated as DEL.
        let (r, e, p1) = t.run(&["expire", "k", "-1"]);
        assert_eq!(r, Reply::Int(1));
        assert_eq!(e, ev(&[("del", "k", 0)]));
        assert_eq!(p1, p(&[&["DEL", "k"]]));
        t.srv
            .config
            .set_many(
                &[("lazyfree-lazy-expire".into(), vec!["yes".into()])],
                false,
            )
            .unwrap();
        t.run(&["set", "k", "v"]);
        let (_, _, p1) = t.run(&["pexpireat", "k", "1"]);
        assert_eq!(p1, p(&[&["UNLINK", "k"]]));
        // Lazy expiry: `expired` event; the command itself propagates nothing.
        t.run(&["set", "k", "v", "px", "1"]);
        std::thread::sleep(std::time::Duration::from_millis(5));
        let (r, e, p1) = t.run(&["expire", "k", "100"]);
        assert_eq!(r, Reply::Int(0));
        assert_eq!(e, ev(&[("expired", "k", 0)]));
        assert_eq!(p1, None);
        // SORT ... STORE.
        let (r, e, _) = t.run(&["sort", "nokey", "store", "dst"]);
        assert_eq!(r, Reply::Int(0));
        assert!(e.is_empty());
    }

    #[test]
    fn active_cycle_expires_and_counts() {
        let mut t = T::new();
        for i in 0..300 {
            t.run(&["set", &format!("k{i}"), "v", "px", "1"]);
        }
        // Many in one shard (hash tag): the cycle returns to it after its lock cap.
        for i in 0..3000 {
            t.run(&["set", &format!("{{tag}}{i}"), "v", "px", "1"]);
        }
        t.run(&["set", "stay", "v", "ex", "100"]);
        std::thread::sleep(std::time::Duration::from_millis(5));
        let mut st = super::super::expire::ActiveExpire::default();
        for _ in 0..20 {
            st.cycle(&t.srv, 1_000_000);
        }
        assert_eq!(t.run(&["dbsize"]).0, Reply::Int(1));
        assert_eq!(
            t.srv
                .stats
                .expired_keys
                .load(std::sync::atomic::Ordering::Relaxed),
            3300
        );
    }
}
