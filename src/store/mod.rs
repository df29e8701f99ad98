//! The sharded keyspace.
//!
//! Keys hash to one of N shards (N a power of two). A shard holds, for every database, the
//! entries whose key hashes to it, so one shard lock covers a key in all databases (MOVE
//! and SWAPDB stay simple). Keys with a `{hashtag}` hash by the tag only, so related keys
//! share a shard and multi-key commands on them lock one shard.
//!
//! Nothing here locks by itself: the command layer (`command::Ctx`) decides which shards a
//! command needs, locks them in ascending order and hands the guards to the handler.

pub mod dict;
pub mod hash;
pub mod list;
pub mod packed;
pub mod sds;
pub mod set;
pub mod stream;
pub mod value;
pub mod zset;

pub use dict::Dict;
pub use sds::Sds;
pub use value::{Entry, StrValue, Value};

use parking_lot::{Mutex, MutexGuard};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

fn hasher() -> &'static ahash::RandomState {
    static H: OnceLock<ahash::RandomState> = OnceLock::new();
    H.get_or_init(ahash::RandomState::new)
}

/// The hash used for keys (randomly seeded per process, like Redis's siphash seed).
#[inline]
pub fn hash_bytes(b: &[u8]) -> u64 {
    hasher().hash_one(b)
}

/// The part of the key that decides its shard: the content of the first non-empty `{...}`,
/// as Redis Cluster's hash tags.
#[inline]
pub fn hash_tag(key: &[u8]) -> &[u8] {
    // Most keys are short: a word-at-a-time scan beats memchr's setup there.
    let open = if key.len() <= 32 {
        find_short(key, b'{')
    } else {
        memchr::memchr(b'{', key)
    };
    if let Some(s) = open {
        if let Some(e) = memchr::memchr(b'}', &key[s + 1..]) {
            if e > 0 {
                return &key[s + 1..s + 1 + e];
            }
        }
    }
    key
}

/// The first `b` in a short slice, eight bytes at a time.
#[inline]
fn find_short(hay: &[u8], b: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pat = LO * b as u64;
    let mut i = 0;
    while i + 8 <= hay.len() {
        let w = u64::from_le_bytes(hay[i..i + 8].try_into().unwrap()) ^ pat;
        // The lowest set bit marks the first zero byte of `w` exactly.
        let t = w.wrapping_sub(LO) & !w & HI;
        if t != 0 {
            return Some(i + (t.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&c| c == b).map(|p| i + p)
}

/// A key's place: the shard it lives in and its hash inside the shard's dict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyPos {
    pub shard: usize,
    pub hash: u64,
}

/// Seconds clock used for LRU idle times (updated by the server cron).
static LRU_CLOCK: AtomicU32 = AtomicU32::new(0);

pub fn lru_clock() -> u32 {
    LRU_CLOCK.load(Ordering::Relaxed)
}

/// Whether the eviction policy is an LFU one (new entries then start with an LFU word).
static LFU_MODE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[inline]
pub fn lfu_mode() -> bool {
    LFU_MODE.load(Ordering::Relaxed)
}

pub fn set_lfu_mode(on: bool) {
    LFU_MODE.store(on, Ordering::Relaxed);
}

/// The LRU/LFU word of a new entry (Redis's createObject: LFU_INIT_VAL under LFU).
#[inline]
pub fn new_lru_word() -> u32 {
    if LFU_MODE.load(Ordering::Relaxed) {
        lfu::new_word()
    } else {
        lru_clock()
    }
}

/// Redis's LRU_CLOCK_MAX: the clock and entries' LRU words have 24 bits.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

pub fn update_lru_clock() {
    LRU_CLOCK.store(
        (crate::util::now_ms() / 1000) as u32 & LRU_CLOCK_MAX,
        Ordering::Relaxed,
    );
}

/// Seconds since an entry's LRU word was set (Redis's estimateObjectIdleTime: the 24-bit
/// clock wraps every 194 days).
pub fn lru_idle_secs(lru: u32) -> u64 {
    let now = lru_clock();
    if now >= lru {
        (now - lru) as u64
    } else {
        (now + (LRU_CLOCK_MAX - lru)) as u64
    }
}

/// A client's WATCH flag: set when a watched key changes, checked by EXEC.
pub type WatchFlag = std::sync::Arc<std::sync::atomic::AtomicBool>;

/// One database's part of a shard.
#[derive(Default)]
pub struct DbShard {
    pub dict: Dict<Entry>,
    /// Keys with an expiry in this part (skips the active expiry scan when zero).
    pub volatile: usize,
    /// Where the active expiry cycle continues.
    pub expire_cursor: u64,
    /// Running estimate of the remaining TTL (ms) of the keys with an expiry, from the
    /// active cycle's samples, as Redis's `db->avg_ttl` (INFO keyspace `avg_ttl`).
    pub avg_ttl: u64,
    /// WATCHed keys of this part and the flags of the clients watching them. Kept in the
    /// shard so a writer, already holding the shard lock, invalidates them for free.
    pub watchers: std::collections::HashMap<Sds, Vec<(u64, WatchFlag)>>,
}

impl DbShard {
    pub fn len(&self) -> usize {
        self.dict.len()
    }
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Raw lookup, no expiry check.
    pub fn get(&self, hash: u64, key: &[u8]) -> Option<&Entry> {
        self.dict.get(hash, key)
    }

    pub fn get_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut Entry> {
        self.dict.get_mut(hash, key)
    }

    /// Inserts or replaces an entry, keeping the volatile count right.
    pub fn put(&mut self, hash: u64, key: &[u8], entry: Entry) -> Option<Entry> {
        let volatile = entry.expire_at() != 0;
        let old = self.dict.insert(hash, key, entry);
        if let Some(o) = &old {
            if o.expire_at() != 0 {
                self.volatile -= 1;
            }
        }
        if volatile {
            self.volatile += 1;
        }
        old
    }

    pub fn remove(&mut self, hash: u64, key: &[u8]) -> Option<(Sds, Entry)> {
        let r = self.dict.remove(hash, key);
        if let Some((_, e)) = &r {
            if e.expire_at() != 0 {
                self.volatile -= 1;
            }
        }
        r
    }

    /// Sets or clears the expiry of an existing key. Returns false if the key is absent.
    pub fn set_expire(&mut self, hash: u64, key: &[u8], at: u64) -> bool {
        match self.dict.get_mut(hash, key) {
            Some(e) => {
                if e.expire_at() == 0 && at != 0 {
                    self.volatile += 1;
                } else if e.expire_at() != 0 && at == 0 {
                    self.volatile -= 1;
                }
                e.set_expire_at(at);
                true
            }
            None => false,
        }
    }

    /// Marks the clients watching `key` (Redis's touchWatchedKey).
    #[inline]
    pub fn touch_watched(&self, key: &[u8]) {
        if self.watchers.is_empty() {
            return;
        }
        if let Some(v) = self.watchers.get(key) {
            for (_, f) in v {
                f.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
    }

    /// Marks the clients watching keys that exist here or in `other` (FLUSHDB, SWAPDB:
    /// Redis's touchAllWatchedKeysInDb).
    pub fn touch_all_watched(&self, other: Option<&DbShard>) {
        for (k, v) in &self.watchers {
            let exists = self.dict.get(hash_bytes(k), k).is_some()
                || other.is_some_and(|o| o.dict.get(hash_bytes(k), k).is_some());
            if exists {
                for (_, f) in v {
                    f.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            }
        }
    }

    pub fn clear(&mut self) -> Dict<Entry> {
        self.volatile = 0;
        self.expire_cursor = 0;
        self.avg_ttl = 0;
        std::mem::take(&mut self.dict)
    }
}

pub struct Shard {
    pub dbs: Vec<DbShard>,
}

pub struct Store {
    shards: Box<[Mutex<Shard>]>,
    shift: u32,
    ndbs: usize,
}

impl Store {
    /// `nshards` is rounded up to a power of two.
    pub fn new(nshards: usize, ndbs: usize) -> Store {
        let n = nshards.max(1).next_power_of_two();
        let shards = (0..n)
            .map(|_| {
                Mutex::new(Shard {
                    dbs: (0..ndbs).map(|_| DbShard::default()).collect(),
                })
            })
            .collect();
        Store {
            shards,
            shift: 64 - n.trailing_zeros(),
            ndbs,
        }
    }

    pub fn nshards(&self) -> usize {
        self.shards.len()
    }

    pub fn ndbs(&self) -> usize {
        self.ndbs
    }

    #[inline]
    pub fn pos(&self, key: &[u8]) -> KeyPos {
        let hash = hash_bytes(key);
        let tag = hash_tag(key);
        let shard_hash = if tag.len() == key.len() {
            hash
        } else {
            hash_bytes(tag)
        };
        let shard = if self.shift >= 64 {
            0
        } else {
            (shard_hash >> self.shift) as usize
        };
        KeyPos { shard, hash }
    }

    #[inline]
    pub fn shard_of(&self, key: &[u8]) -> usize {
        self.pos(key).shard
    }

    pub fn lock(&self, shard: usize) -> MutexGuard<'_, Shard> {
        self.shards[shard].lock()
    }

    pub fn try_lock_for(
        &self,
        shard: usize,
        timeout: std::time::Duration,
    ) -> Option<MutexGuard<'_, Shard>> {
        self.shards[shard].try_lock_for(timeout)
    }

    pub fn try_lock(&self, shard: usize) -> Option<MutexGuard<'_, Shard>> {
        self.shards[shard].try_lock()
    }

    /// Starts fetching the keys of a batch of pipelined requests into cache, so that
    /// running them doesn't wait on memory twice per key (bucket slot, then node): every
    /// slot is requested first, then every chain head, each stage overlapping the misses
    /// of all the keys. A shard busy elsewhere is skipped (a hint is not worth a wait).
    pub fn prefetch(&self, db: usize, keys: &[KeyPos]) {
        for stage in 0..2 {
            for k in keys {
                if let Some(g) = self.shards[k.shard].try_lock() {
                    let Some(d) = g.dbs.get(db) else { return };
                    if stage == 0 {
                        d.dict.prefetch_slot(k.hash);
                    } else {
                        d.dict.prefetch_head(k.hash);
                    }
                }
            }
        }
    }

    /// Number of keys and of keys with an expiry in database `db` (locks each shard briefly).
    pub fn db_stats(&self, db: usize) -> (usize, usize) {
        let mut keys = 0;
        let mut volatile = 0;
        for s in self.shards.iter() {
            let g = s.lock();
            keys += g.dbs[db].len();
            volatile += g.dbs[db].volatile;
        }
        (keys, volatile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_short_finds_the_first() {
        for len in 0..=32usize {
            for at in 0..=len {
                let mut v: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                // bytes that differ from '{' by one bit or a borrow away
                for (i, c) in v.iter_mut().enumerate() {
                    if i % 3 == 0 {
                        *c = b'{' - 1;
                    } else if i % 5 == 0 {
                        *c = b'{' + 1;
                    }
                }
                if at < len {
                    v[at] = b'{';
                    if at + 3 < len {
                        v[at + 3] = b'{';
                    }
                }
                let want = v.iter().position(|&c| c == b'{');
                assert_eq!(find_short(&v, b'{'), want, "{v:?}");
            }
        }
    }

    #[test]
    fn hashtags_share_a_shard() {
        let s = Store::new(64, 16);
        assert_eq!(s.shard_of(b"{user1}.a"), s.shard_of(b"{user1}.b"));
        assert_eq!(hash_tag(b"a{}b"), b"a{}b");
        assert_eq!(hash_tag(b"a{x}b{y}"), b"x");
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }
}

/// Records an access to an entry in its LRU/LFU word, as the eviction policy needs it.
#[inline]
pub fn touch_entry(e: &mut Entry, srv: &crate::server::Server) {
    if srv.lfu_policy() {
        e.set_lru(lfu::touch(e.lru(), srv));
    } else {
        e.set_lru(lru_clock());
    }
}

/// Redis's LFU: the word holds 16 bits of "last decrement time" in minutes and an 8-bit
/// logarithmic access counter.
pub mod lfu {
    use std::sync::atomic::Ordering;

    pub const INIT_VAL: u32 = 5;

    pub fn minutes() -> u32 {
        ((crate::util::now_ms() / 60_000) & 0xffff) as u32
    }

    pub fn new_word() -> u32 {
        (minutes() << 8) | INIT_VAL
    }

    fn elapsed(last: u32) -> u32 {
        let now = minutes();
        if now >= last {
            now - last
        } else {
            65535 - last + now
        }
    }

    /// The counter after decay (LFUDecrAndReturn).
    pub fn decayed(word: u32, decay_time: u32) -> u32 {
        // Masked: a word written under an LRU policy must not make the subtraction wrap.
        let last = (word >> 8) & 0xffff;
        let counter = word & 0xff;
        let periods = elapsed(last).checked_div(decay_time).unwrap_or(0);
        counter.saturating_sub(periods)
    }

    pub fn touch(word: u32, srv: &crate::server::Server) -> u32 {
        let h = &srv.config.hot;
        let decay = h.lfu_decay_time.load(Ordering::Relaxed);
        let factor = h.lfu_log_factor.load(Ordering::Relaxed) as f64;
        let mut counter = decayed(word, decay);
        // LFULogIncr: probabilistic increment, harder as the counter grows.
        if counter < 255 {
            let r: f64 = rand::random();
            let base = counter.saturating_sub(INIT_VAL) as f64;
            let p = 1.0 / (base * factor + 1.0);
            if r < p {
                counter += 1;
            }
        }
        (minutes() << 8) | counter
    }
}
