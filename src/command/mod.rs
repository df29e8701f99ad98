//! The command layer: the table, the handler signature, and `Ctx`, the handler's view of
//! the server while it runs.
//!
//! Before a handler runs, the dispatcher locks the shards its keys live in (ascending
//! order, so it is deadlock-free) and hands the guards to `Ctx`. Handlers never lock the
//! keyspace themselves; everything they read or write goes through `Ctx`, which also takes
//! care of the cross-cutting effects of a write: lazy expiry, dirty counting, keyspace
//! notifications, WATCH invalidation and propagation (AOF/replicas).

pub mod docs;
pub mod table;

pub use table::{flags, CommandSpec, CommandTable, Registry};

use crate::resp::Reply;
use crate::server::{client::Client, Server};
use crate::store::{DbShard, Entry, KeyPos, Shard, Value};
use bytes::Bytes;
use parking_lot::MutexGuard;

/// A command handler: arguments include the command name at index 0.
pub type Handler = fn(&mut Ctx, &[Bytes]) -> Reply;

/// Which shards the dispatcher locks before calling a handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    /// The shards of the keys found by the command's key specs.
    Keys,
    /// Every shard (SWAPDB, FLUSHALL, scripts touching undeclared keys...).
    All,
    /// None: the command touches no key, or visits shards one at a time itself
    /// (`Ctx::for_each_shard`), like KEYS and SCAN.
    None,
}

/// Shard guards held for the duration of a command (or of a whole EXEC/script).
pub struct Locks<'a> {
    store: &'a crate::store::Store,
    held: smallvec::SmallVec<[(usize, MutexGuard<'a, Shard>); 8]>,
    /// Index in `held` of the shard used last (a handler touches the same shard several
    /// times in a row: lookup, write, modified); only a hint, checked before use.
    last: usize,
}

impl<'a> Locks<'a> {
    pub fn none(store: &'a crate::store::Store) -> Locks<'a> {
        Locks {
            store,
            held: smallvec::SmallVec::new(),
            last: 0,
        }
    }

    /// Locks the given shards in ascending order.
    pub fn acquire(
        store: &'a crate::store::Store,
        shards: impl IntoIterator<Item = usize>,
    ) -> Locks<'a> {
        let mut shards: smallvec::SmallVec<[usize; 16]> = shards.into_iter().collect();
        shards.sort_unstable();
        shards.dedup();
        let held = shards.into_iter().map(|s| (s, store.lock(s))).collect();
        Locks {
            store,
            held,
            last: 0,
        }
    }

    /// Like `acquire`, but gives up (releasing what it took) while a script has been
    /// running past busy-reply-threshold: the caller replies -BUSY instead of parking a
    /// worker thread behind the script.
    pub fn acquire_unless_busy(
        store: &'a crate::store::Store,
        mut shards: smallvec::SmallVec<[usize; 16]>,
        busy: &crate::scripting::Busy,
    ) -> Option<Locks<'a>> {
        let mut locks = Locks::none(store);
        locks.lock_unless_busy(&mut shards, busy).map(|_| locks)
    }

    /// `acquire_unless_busy` in place, for guards that hold nothing yet (the dispatcher's
    /// `Ctx`: no moving of the guard list around). `shards` is sorted and deduplicated.
    /// On None (a busy script) nothing is held; otherwise whether it had to wait for a
    /// lock (then the caller's clock reading from before is stale).
    pub fn lock_unless_busy(
        &mut self,
        shards: &mut smallvec::SmallVec<[usize; 16]>,
        busy: &crate::scripting::Busy,
    ) -> Option<bool> {
        debug_assert!(self.held.is_empty());
        // Already strictly ascending (LockMode::All, one key) needs no sort.
        if shards.len() > 1 && !shards.windows(2).all(|w| w[0] < w[1]) {
            shards.sort_unstable();
            shards.dedup();
        }
        let store = self.store;
        // Scripts lock every shard: size the guard list once instead of growing it.
        self.held.reserve(shards.len());
        let mut waited = false;
        for &s in shards.iter() {
            if let Some(g) = store.try_lock(s) {
                self.held.push((s, g));
                continue;
            }
            waited = true;
            loop {
                if let Some(g) = store.try_lock_for(s, std::time::Duration::from_millis(5)) {
                    self.held.push((s, g));
                    break;
                }
                if busy.is_busy() {
                    self.held.clear();
                    return None;
                }
            }
        }
        Some(waited)
    }

    pub fn all(store: &'a crate::store::Store) -> Locks<'a> {
        Locks::acquire(store, 0..store.nshards())
    }

    /// Makes sure `shards` are held, without ever waiting for a lock out of ascending
    /// order: shards above the highest held are locked, lower ones only if free right now.
    /// Returns false if one could not be taken (the caller must retry with other locks).
    pub fn ensure(&mut self, shards: &[usize]) -> bool {
        let mut want: Vec<usize> = shards
            .iter()
            .copied()
            .filter(|s| !self.held.iter().any(|(h, _)| h == s))
            .collect();
        want.sort_unstable();
        want.dedup();
        for s in want {
            let max = self.held.iter().map(|(h, _)| *h).max();
            if max.is_none_or(|m| m < s) {
                self.held.push((s, self.store.lock(s)));
            } else if let Some(g) = self.store.try_lock(s) {
                self.held.push((s, g));
            } else {
                return false;
            }
        }
        true
    }

    /// Whether the shard is locked by these guards.
    pub fn holds(&self, idx: usize) -> bool {
        self.held.iter().any(|(s, _)| *s == idx)
    }

    pub fn holds_all(&self) -> bool {
        self.held.len() == self.store.nshards()
    }

    #[inline]
    fn shard(&mut self, idx: usize) -> &mut Shard {
        if self.held.get(self.last).is_some_and(|(s, _)| *s == idx) {
            return &mut self.held[self.last].1;
        }
        self.shard_slow(idx)
    }

    #[inline(never)]
    fn shard_slow(&mut self, idx: usize) -> &mut Shard {
        if let Some(p) = self.held.iter().position(|(s, _)| *s == idx) {
            self.last = p;
            return &mut self.held[p].1;
        }
        // A handler touched a key its key specs didn't declare. Taking the lock is only
        // safe if it keeps the ascending order; otherwise it is a bug in the command's
        // lock mode (use LockMode::All for commands with undeclared keys).
        let max = self.held.iter().map(|(s, _)| *s).max();
        assert!(
            max.is_none_or(|m| m < idx),
            "shard {idx} accessed without lock (held: {:?})",
            self.held.iter().map(|(s, _)| *s).collect::<Vec<_>>()
        );
        self.held.push((idx, self.store.lock(idx)));
        &mut self.held.last_mut().unwrap().1
    }
}

/// A keyspace notification waiting to be published (after the locks are released).
pub struct Event {
    pub flag: u32,
    pub event: &'static str,
    pub key: Bytes,
    pub db: usize,
}

/// How a write command is propagated to the AOF and replicas.
#[derive(Debug, Default)]
pub enum Propagate {
    /// As received, if the command changed anything (`dirty > 0`).
    #[default]
    AsIs,
    /// Nothing (a read, or a write that changed nothing).
    Nothing,
    /// These commands instead (e.g. `SET k v PXAT <abs>` for `SET k v EX 10`).
    Rewritten(Vec<Vec<Bytes>>),
}

/// A request to block the client (BLPOP and friends): the connection waits until one of the
/// keys is signalled or the deadline passes, then runs the command again.
#[derive(Debug, Clone)]
pub struct BlockOn {
    pub keys: Vec<Bytes>,
    /// Absolute deadline in Unix ms; None = forever.
    pub deadline: Option<u64>,
    /// Arguments to run on wake instead of the original ones (e.g. XREAD with `$`
    /// resolved to the last ID at the time it blocked).
    pub rerun_args: Option<Vec<Bytes>>,
    /// The value type ("list", "zset", "stream") a key must hold to serve the client.
    pub serves_on: &'static str,
    /// Also run the command when the key is deleted or changes type (XREADGROUP, which
    /// then answers -NOGROUP; Redis's `unblock_on_nokey`).
    pub unblock_on_nokey: bool,
}

pub struct Ctx<'a> {
    pub srv: &'a Server,
    pub client: &'a mut Client,
    pub locks: Locks<'a>,
    /// Command start time (Unix ms): one clock reading per command, as Redis does, so a
    /// key can't expire halfway through a command.
    pub now: u64,
    /// Changes made by this command (feeds `rdb_changes_since_last_save` and propagation).
    pub dirty: u64,
    pub events: Vec<Event>,
    pub propagate: Propagate,
    pub block: Option<BlockOn>,
    /// Keys whose waiters should be woken (a push to a list a client is blocked on).
    pub ready_keys: Vec<(usize, Bytes)>,
    /// True while running inside EXEC or a script (blocking commands don't block there).
    pub in_exec: bool,
    /// Inside EXEC/a script: whether MULTI was already fed to AOF/replicas, so the
    /// effects of the whole transaction replay atomically (closed by EXEC).
    pub multi_emitted: bool,
    /// The position of the command's first key, computed by the dispatcher for locking:
    /// (address, length) of that argument's bytes and its position. See `remember_pos`.
    first_key: Option<(usize, usize, KeyPos)>,
}

impl<'a> Ctx<'a> {
    pub fn new(srv: &'a Server, client: &'a mut Client, locks: Locks<'a>) -> Ctx<'a> {
        let mut ctx = Ctx::unlocked(srv, client);
        ctx.locks = locks;
        ctx.now = crate::util::now_ms();
        ctx
    }

    /// A context holding no locks and no clock reading yet: the dispatcher locks into
    /// `ctx.locks` in place, then sets `now` (after any wait for the locks, as before).
    #[inline]
    pub fn unlocked(srv: &'a Server, client: &'a mut Client) -> Ctx<'a> {
        Ctx {
            srv,
            client,
            locks: Locks::none(&srv.store),
            now: 0,
            dirty: 0,
            events: Vec::new(),
            propagate: Propagate::AsIs,
            block: None,
            ready_keys: Vec::new(),
            in_exec: false,
            multi_emitted: false,
            first_key: None,
        }
    }

    /// Remembers the position of a key argument so that `pos` needn't hash it again.
    /// `key` must be one of the arguments of the command this context runs, alive for
    /// the context's whole life (the dispatcher's case): then no other bytes can share
    /// its address and length, so a match by address is a match by content.
    #[inline]
    pub fn remember_pos(&mut self, key: &Bytes, pos: KeyPos) {
        self.first_key = Some((key.as_ptr() as usize, key.len(), pos));
    }

    pub fn db_index(&self) -> usize {
        self.client.db
    }

    pub fn resp3(&self) -> bool {
        self.client.proto >= 3
    }

    #[inline]
    pub fn pos(&self, key: &[u8]) -> KeyPos {
        if let Some((addr, len, pos)) = self.first_key {
            if key.as_ptr() as usize == addr && key.len() == len {
                return pos;
            }
        }
        self.srv.store.pos(key)
    }

    /// The part of database `db` that lives in the (locked) shard of `pos`.
    pub fn db_part(&mut self, db: usize, pos: KeyPos) -> &mut DbShard {
        &mut self.locks.shard(pos.shard).dbs[db]
    }

    /// Looks a key up in the current database, deleting it first if it has expired.
    /// Updates the LRU/LFU word unless the client is in NO-TOUCH mode.
    pub fn lookup(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let db = self.client.db;
        self.lookup_in(db, key)
    }

    pub fn lookup_in(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        let pos = self.pos(key);
        self.lookup_at(db, pos, key)
    }

    /// The lookup proper, with the key's position already computed: one hash, one probe.
    fn lookup_at(&mut self, db: usize, pos: KeyPos, key: &[u8]) -> Option<&mut Entry> {
        let now = self.now;
        let touch = !self.client.no_touch;
        let srv = self.srv;
        let e: *mut Entry = self.db_part(db, pos).get_mut(pos.hash, key)?;
        // SAFETY: `e` points into a dict of a shard whose guard `self.locks` holds for the
        // whole command, and nothing touches that dict between here and the return (the
        // expired branch stops using `e` before deleting). The raw pointer only works
        // around the borrow checker's conditional-return limitation (NLL problem case 3).
        if unsafe { (*e).is_expired(now) } {
            self.expire_now(db, pos, key);
            return None;
        }
        let e = unsafe { &mut *e };
        if touch {
            crate::store::touch_entry(e, srv);
        }
        Some(e)
    }

    /// A read lookup: counts keyspace hits/misses like Redis's lookupKeyRead.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let srv = self.srv;
        let db = self.client.db;
        let pos = self.pos(key);
        let e: Option<*mut Entry> = self.lookup_at(db, pos, key).map(|e| e as *mut Entry);
        srv.stats.count_lookup(e.is_some());
        match e {
            // SAFETY: as in `lookup_at`; `count_lookup` touches only counters.
            Some(e) => Some(unsafe { &mut *e }),
            None => {
                self.notify(crate::config::notify::KEY_MISS, "keymiss", key);
                None
            }
        }
    }

    /// Whether the key exists (expiry-aware), without touching its LRU.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        let no_touch = std::mem::replace(&mut self.client.no_touch, true);
        let r = self.lookup(key).is_some();
        self.client.no_touch = no_touch;
        r
    }

    /// Deletes an expired key through the one expiry path (`expire::remove_expired`:
    /// stats, WATCH, DEL/UNLINK to AOF/replicas) and queues its `expired` event.
    fn expire_now(&mut self, db: usize, pos: KeyPos, key: &[u8]) {
        let srv = self.srv;
        let part = self.db_part(db, pos);
        if let Some(ev) = crate::commands::expire::remove_expired(srv, part, db, pos.hash, key) {
            self.events.push(ev);
        }
    }

    /// Stores a value under `key`, replacing any old value. `expire_at` is the absolute
    /// expiry (0 = none); with `keep_ttl` the old key's expiry is kept instead.
    pub fn set_value(&mut self, key: &[u8], value: Value, expire_at: u64, keep_ttl: bool) {
        let db = self.client.db;
        self.set_value_in(db, key, value, expire_at, keep_ttl);
    }

    pub fn set_value_in(
        &mut self,
        db: usize,
        key: &[u8],
        value: Value,
        expire_at: u64,
        keep_ttl: bool,
    ) {
        let pos = self.pos(key);
        let now = self.now;
        let lfu = self.srv.lfu_policy();
        let part = self.db_part(db, pos);
        // One probe for everything the old entry tells us.
        let (is_new, old_expire, was_stream, old_lru) = match part.get(pos.hash, key) {
            Some(e) if !e.is_expired(now) => (
                false,
                e.expire_at(),
                matches!(e.value, Value::Stream(_)),
                Some(e.lru()),
            ),
            Some(e) => (true, 0, matches!(e.value, Value::Stream(_)), None),
            None => (true, 0, false, None),
        };
        let replaces_stream = was_stream && !matches!(value, Value::Stream(_));
        let blockable = matches!(value, Value::List(_) | Value::ZSet(_) | Value::Stream(_));
        let mut entry = Entry::new(value);
        if lfu {
            // A new object starts with LFU_INIT_VAL, as in Redis.
            entry.set_lru(crate::store::lfu::new_word());
        }
        entry.set_expire_at(if keep_ttl { old_expire } else { expire_at });
        // An overwrite keeps the LFU counter (Redis's dbSetValue under an LFU policy).
        if let Some(lru) = old_lru.filter(|_| crate::store::lfu_mode()) {
            entry.set_lru(lru);
        }
        part.put(pos.hash, key, entry);
        self.modified_at(db, pos, key);
        if blockable {
            self.signal_ready_in(db, key);
        }
        if is_new {
            self.notify_in(db, crate::config::notify::NEW, "new", key);
        }
        if replaces_stream {
            self.signal_deleted_stream(db, key);
        }
    }

    /// Deletes a key (expiry-aware). Returns whether it existed.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let db = self.client.db;
        self.delete_in(db, key)
    }

    pub fn delete_in(&mut self, db: usize, key: &[u8]) -> bool {
        let was_stream = match self.lookup_in(db, key) {
            None => return false,
            Some(e) => matches!(e.value, Value::Stream(_)),
        };
        let pos = self.pos(key);
        self.db_part(db, pos).remove(pos.hash, key);
        self.modified_at(db, pos, key);
        if was_stream {
            self.signal_deleted_stream(db, key);
        }
        true
    }

    /// A stream key went away (deleted, renamed, overwritten): clients blocked in
    /// XREADGROUP on it must be woken to get their error (Redis 7.2 signals deleted keys).
    fn signal_deleted_stream(&mut self, db: usize, key: &[u8]) {
        self.ready_keys.push((db, Bytes::copy_from_slice(key)));
    }

    /// Removes and returns a key's entry (expiry-aware), e.g. for RENAME/MOVE.
    pub fn take_in(&mut self, db: usize, key: &[u8]) -> Option<Entry> {
        self.lookup_in(db, key)?;
        let pos = self.pos(key);
        let e = self.db_part(db, pos).remove(pos.hash, key).map(|(_, e)| e);
        self.modified_at(db, pos, key);
        if matches!(
            e,
            Some(Entry {
                value: Value::Stream(_),
                ..
            })
        ) {
            self.signal_deleted_stream(db, key);
        }
        e
    }

    /// Puts a whole entry (value + expiry) under a key, e.g. for RENAME/MOVE/COPY.
    pub fn put_entry_in(&mut self, db: usize, key: &[u8], entry: Entry) {
        let blockable = matches!(
            entry.value,
            Value::List(_) | Value::ZSet(_) | Value::Stream(_)
        );
        let pos = self.pos(key);
        let now = self.now;
        let part = self.db_part(db, pos);
        let is_new = !matches!(part.get(pos.hash, key), Some(e) if !e.is_expired(now));
        part.put(pos.hash, key, entry);
        self.modified_at(db, pos, key);
        if blockable {
            self.signal_ready_in(db, key);
        }
        if is_new {
            self.notify_in(db, crate::config::notify::NEW, "new", key);
        }
    }

    /// Sets the expiry of an existing key (0 removes it).
    pub fn set_expire(&mut self, key: &[u8], at: u64) -> bool {
        let db = self.client.db;
        let pos = self.pos(key);
        let r = self.db_part(db, pos).set_expire(pos.hash, key, at);
        if r {
            self.modified_at(db, pos, key);
        }
        r
    }

    /// Call after changing a key in place (through `lookup`): counts the change and
    /// invalidates WATCHes on it (Redis's signalModifiedKey + dirty++).
    pub fn modified(&mut self, key: &[u8]) {
        let db = self.client.db;
        self.modified_in(db, key);
    }

    pub fn modified_in(&mut self, db: usize, key: &[u8]) {
        let pos = self.pos(key);
        self.modified_at(db, pos, key);
    }

    /// `modified_in` for callers that already hold the key's position (no rehash).
    fn modified_at(&mut self, db: usize, pos: KeyPos, key: &[u8]) {
        self.dirty += 1;
        self.db_part(db, pos).touch_watched(key);
    }

    /// Queues a keyspace notification for `key` in the current database.
    pub fn notify(&mut self, flag: u32, event: &'static str, key: &[u8]) {
        let db = self.client.db;
        self.notify_in(db, flag, event, key);
    }

    pub fn notify_in(&mut self, db: usize, flag: u32, event: &'static str, key: &[u8]) {
        let enabled = self
            .srv
            .config
            .hot
            .notify_flags
            .load(std::sync::atomic::Ordering::Relaxed);
        if enabled & flag == 0
            || enabled & (crate::config::notify::KEYSPACE | crate::config::notify::KEYEVENT) == 0
        {
            return;
        }
        self.events.push(Event {
            flag,
            event,
            key: Bytes::copy_from_slice(key),
            db,
        });
    }

    /// Marks a key as ready for clients blocked on it (list push, ZADD, XADD).
    pub fn signal_ready(&mut self, key: &[u8]) {
        let db = self.client.db;
        self.signal_ready_in(db, key);
    }

    pub fn signal_ready_in(&mut self, db: usize, key: &[u8]) {
        // Waiters register under their keys' locks, so a writer holding the key's lock
        // sees them here.
        if self.srv.waiters.is_empty() {
            return;
        }
        if !self.ready_keys.iter().any(|(d, k)| *d == db && k == key) {
            self.ready_keys.push((db, Bytes::copy_from_slice(key)));
        }
    }

    /// Runs `f` on every shard's part of database `db`. Uses the held locks if the command
    /// holds them all (EXEC, scripts), otherwise locks one shard at a time: a KEYS or
    /// DBSIZE never stops the whole server.
    pub fn for_each_shard(&mut self, mut f: impl FnMut(&mut Shard)) {
        if self.locks.holds_all() || !self.locks.held.is_empty() {
            for i in 0..self.srv.store.nshards() {
                f(self.locks.shard(i));
            }
        } else {
            for i in 0..self.srv.store.nshards() {
                let mut g = self.srv.store.lock(i);
                f(&mut g);
            }
        }
    }

    /// Runs `f` on one shard (locking it unless already held).
    pub fn with_shard<R>(&mut self, idx: usize, f: impl FnOnce(&mut Shard) -> R) -> R {
        if self.locks.held.is_empty() {
            let mut g = self.srv.store.lock(idx);
            f(&mut g)
        } else {
            f(self.locks.shard(idx))
        }
    }

    /// Propagates these commands instead of the one received.
    pub fn rewrite_as(&mut self, cmds: Vec<Vec<Bytes>>) {
        match &mut self.propagate {
            Propagate::Rewritten(v) => v.extend(cmds),
            p => *p = Propagate::Rewritten(cmds),
        }
    }
}

/// Standard error replies, worded as Redis words them.
pub mod err {
    use crate::resp::Reply;

    pub fn wrong_type() -> Reply {
        Reply::err("WRONGTYPE Operation against a key holding the wrong kind of value")
    }
    pub fn syntax() -> Reply {
        Reply::err("ERR syntax error")
    }
    pub fn not_int() -> Reply {
        Reply::err("ERR value is not an integer or out of range")
    }
    pub fn not_float() -> Reply {
        Reply::err("ERR value is not a valid float")
    }
    pub fn no_such_key() -> Reply {
        Reply::err("ERR no such key")
    }
    pub fn overflow() -> Reply {
        Reply::err("ERR increment or decrement would overflow")
    }
    pub fn out_of_range() -> Reply {
        Reply::err("ERR index out of range")
    }
    pub fn wrong_args(cmd: &str) -> Reply {
        Reply::Error(format!("ERR wrong number of arguments for '{cmd}' command").into())
    }
    pub fn invalid_expire(cmd: &str) -> Reply {
        Reply::Error(format!("ERR invalid expire time in '{cmd}' command").into())
    }
    pub fn db_index_out_of_range() -> Reply {
        Reply::err("ERR DB index is out of range")
    }
    pub fn unknown_subcommand(sub: &[u8], cmd: &str) -> Reply {
        Reply::Error(
            format!(
                "ERR unknown subcommand '{}'. Try {} HELP.",
                String::from_utf8_lossy(sub),
                cmd.to_ascii_uppercase()
            )
            .into(),
        )
    }
}

/// Argument parsing helpers with Redis's error replies.
pub mod arg {
    use super::err;
    use crate::resp::Reply;

    pub fn int(b: &[u8]) -> Result<i64, Reply> {
        crate::util::parse_i64(b).ok_or_else(err::not_int)
    }

    pub fn float(b: &[u8]) -> Result<f64, Reply> {
        crate::util::parse_f64(b).ok_or_else(err::not_float)
    }

    /// A non-negative integer (Redis's "value is out of range, must be positive").
    pub fn positive(b: &[u8]) -> Result<i64, Reply> {
        let v = int(b)?;
        if v < 0 {
            return Err(Reply::err("ERR value is out of range, must be positive"));
        }
        Ok(v)
    }

    /// A count for LPOP/RPOP/SPOP/ZPOPMIN...: Redis's getPositiveLongFromObjectOrReply,
    /// where any bad value (not an integer, or negative) gets the same error.
    pub fn pop_count(b: &[u8]) -> Result<usize, Reply> {
        match crate::util::parse_i64(b) {
            Some(v) if v >= 0 => Ok(v as usize),
            _ => Err(Reply::err("ERR value is out of range, must be positive")),
        }
    }

    /// A blocking timeout in seconds (may be fractional) to an absolute deadline.
    pub fn timeout(b: &[u8], now_ms: u64) -> Result<Option<u64>, Reply> {
        // Redis 7.2's getTimeoutFromObjectOrReply: a long double (inf included), times
        // 1000, over LLONG_MAX is out of range, ceil to ms, negative is an error.
        let secs = crate::util::parse_f64(b)
            .ok_or_else(|| Reply::err("ERR timeout is not a float or out of range"))?;
        let ms = (secs * 1000.0).ceil();
        if ms > i64::MAX as f64 {
            return Err(Reply::err("ERR timeout is out of range"));
        }
        if ms < 0.0 {
            return Err(Reply::err("ERR timeout is negative"));
        }
        let ms = ms as u64;
        if ms == 0 {
            return Ok(None);
        }
        if ms > i64::MAX as u64 - now_ms {
            return Err(Reply::err("ERR timeout is out of range"));
        }
        Ok(Some(now_ms + ms))
    }
}
