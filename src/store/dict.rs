//! The per-shard key table: a chained hash table like Redis's `dict`.
//!
//! Why not `HashMap`: SCAN must return every key present for the whole scan at least once,
//! even while the table grows or shrinks, and eviction/expiry need cheap random sampling.
//! Both need stable access by bucket index, which a chained power-of-two table with Redis's
//! reverse-binary cursor gives us. Resizing is done in one step (a shard is small: the
//! keyspace is split over many shards), never during an iteration because all access is
//! under the shard lock.
//!
//! Nodes don't store the hash (as Redis's dictEntry doesn't): every caller hashes keys
//! with `store::hash_bytes`, so a resize recomputes it. That keeps a keyspace node at 64
//! bytes (key, entry, next) instead of jemalloc's 80-byte class, and a set member's node
//! at 32 instead of 48.

use super::hash_bytes;
use super::sds::Sds;

pub struct Node<V> {
    pub key: Sds,
    pub val: V,
    next: Option<Box<Node<V>>>,
}

impl<V> Node<V> {
    /// The key's hash (`store::hash_bytes`), recomputed.
    #[inline]
    pub fn hash(&self) -> u64 {
        hash_bytes(&self.key)
    }
}

/// A prefetch hint for the cache line holding `*p`. A hint only: it never faults.
#[inline(always)]
fn prefetch<T>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching reads nothing architecturally; `p` is a valid reference anyway.
    #[allow(unused_unsafe)]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            p as *const T as *const i8,
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

pub struct Dict<V> {
    table: Vec<Option<Box<Node<V>>>>,
    len: usize,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Dict {
            table: Vec::new(),
            len: 0,
        }
    }
}

const MIN_SIZE: usize = 4;

impl<V> Dict<V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn buckets(&self) -> usize {
        self.table.len()
    }

    #[inline]
    fn idx(&self, hash: u64) -> usize {
        (hash as usize) & (self.table.len() - 1)
    }

    /// Asks the CPU to fetch the bucket slot of `hash` into cache, without waiting for it
    /// (first stage of a batch prefetch: `Store::prefetch`).
    #[inline]
    pub fn prefetch_slot(&self, hash: u64) {
        if !self.table.is_empty() {
            prefetch(&self.table[self.idx(hash)]);
        }
    }

    /// Second stage: the first node of the bucket's chain (the slot should be cached by now).
    #[inline]
    pub fn prefetch_head(&self, hash: u64) {
        if !self.table.is_empty() {
            if let Some(n) = self.table[self.idx(hash)].as_deref() {
                prefetch(n);
            }
        }
    }

    pub fn get(&self, hash: u64, key: &[u8]) -> Option<&V> {
        if self.table.is_empty() {
            return None;
        }
        let mut cur = self.table[self.idx(hash)].as_deref();
        while let Some(n) = cur {
            if n.key.as_bytes() == key {
                return Some(&n.val);
            }
            cur = n.next.as_deref();
        }
        None
    }

    pub fn get_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut V> {
        self.get_node_mut(hash, key).map(|n| &mut n.val)
    }

    pub fn get_node_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut Node<V>> {
        if self.table.is_empty() {
            return None;
        }
        let i = self.idx(hash);
        let mut cur = self.table[i].as_deref_mut();
        while let Some(n) = cur {
            if n.key.as_bytes() == key {
                return Some(n);
            }
            cur = n.next.as_deref_mut();
        }
        None
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, hash: u64, key: &[u8], val: V) -> Option<V> {
        if let Some(n) = self.get_node_mut(hash, key) {
            return Some(std::mem::replace(&mut n.val, val));
        }
        self.insert_new(hash, Sds::new(key), val);
        None
    }

    /// Inserts a key known to be absent.
    pub fn insert_new(&mut self, hash: u64, key: Sds, val: V) {
        if self.len >= self.table.len() {
            self.resize((self.len + 1).next_power_of_two().max(MIN_SIZE));
        }
        let i = self.idx(hash);
        let next = self.table[i].take();
        self.table[i] = Some(Box::new(Node { key, val, next }));
        self.len += 1;
    }

    pub fn remove(&mut self, hash: u64, key: &[u8]) -> Option<(Sds, V)> {
        if self.table.is_empty() {
            return None;
        }
        let i = self.idx(hash);
        let mut link = &mut self.table[i];
        loop {
            match link {
                None => return None,
                Some(n) if n.key.as_bytes() == key => {
                    let mut node = link.take().unwrap();
                    *link = node.next.take();
                    self.len -= 1;
                    self.maybe_shrink();
                    return Some((node.key, node.val));
                }
                Some(n) => link = &mut n.next,
            }
        }
    }

    fn maybe_shrink(&mut self) {
        let size = self.table.len();
        if size > MIN_SIZE && self.len * 8 < size {
            self.resize(self.len.next_power_of_two().max(MIN_SIZE));
        }
    }

    fn resize(&mut self, new_size: usize) {
        let mut new_table: Vec<Option<Box<Node<V>>>> = Vec::with_capacity(new_size);
        new_table.resize_with(new_size, || None);
        let mask = new_size - 1;
        for slot in self.table.iter_mut() {
            let mut cur = slot.take();
            while let Some(mut n) = cur {
                cur = n.next.take();
                let j = (hash_bytes(&n.key) as usize) & mask;
                n.next = new_table[j].take();
                new_table[j] = Some(n);
            }
        }
        self.table = new_table;
    }

    pub fn clear(&mut self) {
        // Drop chains iteratively so long chains can't overflow the stack.
        for slot in self.table.iter_mut() {
            let mut cur = slot.take();
            while let Some(mut n) = cur {
                cur = n.next.take();
            }
        }
        self.table = Vec::new();
        self.len = 0;
    }

    /// Visits one bucket (all its entries) and returns the next cursor, 0 when done.
    /// Redis's reverse-binary increment: keys present for the whole scan are visited at
    /// least once even if the table is resized between calls.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&Node<V>)) -> u64 {
        if self.table.is_empty() {
            return 0;
        }
        let mask = (self.table.len() - 1) as u64;
        let mut cur = self.table[(cursor & mask) as usize].as_deref();
        while let Some(n) = cur {
            f(n);
            cur = n.next.as_deref();
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// Mutable variant of `scan` (active expiry uses it to inspect entries).
    pub fn scan_keys(&self, cursor: u64, out: &mut Vec<(u64, Sds)>) -> u64 {
        self.scan(cursor, |n| out.push((n.hash(), n.key.clone())))
    }

    /// A random entry: a random non-empty bucket, then a random node in its chain.
    pub fn random(&self, rng: &mut impl FnMut() -> u64) -> Option<&Node<V>> {
        if self.len == 0 {
            return None;
        }
        let mask = self.table.len() - 1;
        loop {
            let i = (rng() as usize) & mask;
            if let Some(head) = self.table[i].as_deref() {
                let mut chain = 0;
                let mut cur = Some(head);
                while let Some(n) = cur {
                    chain += 1;
                    cur = n.next.as_deref();
                }
                let mut pick = (rng() as usize) % chain;
                let mut cur = head;
                while pick > 0 {
                    cur = cur.next.as_deref().unwrap();
                    pick -= 1;
                }
                return Some(cur);
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Node<V>> {
        self.table.iter().flat_map(|slot| {
            let mut cur = slot.as_deref();
            std::iter::from_fn(move || {
                let n = cur?;
                cur = n.next.as_deref();
                Some(n)
            })
        })
    }
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(k: &[u8]) -> u64 {
        crate::store::hash_bytes(k)
    }

    #[test]
    fn node_sizes() {
        // jemalloc classes: 32 and 64 bytes (the next ones up are 48 and 80).
        assert_eq!(std::mem::size_of::<Node<crate::store::Entry>>(), 64);
        assert_eq!(std::mem::size_of::<Node<()>>(), 32);
    }

    #[test]
    fn insert_get_remove() {
        let mut d = Dict::new();
        for i in 0..1000u32 {
            let k = i.to_string();
            assert!(d.insert(h(k.as_bytes()), k.as_bytes(), i).is_none());
        }
        assert_eq!(d.len(), 1000);
        assert_eq!(d.get(h(b"77"), b"77"), Some(&77));
        for i in 0..990u32 {
            let k = i.to_string();
            assert_eq!(d.remove(h(k.as_bytes()), k.as_bytes()).unwrap().1, i);
        }
        assert_eq!(d.len(), 10);
        assert!(d.buckets() <= 64);
    }

    #[test]
    fn scan_survives_growth() {
        let mut d = Dict::new();
        for i in 0..100u32 {
            let k = format!("k{i}");
            d.insert(h(k.as_bytes()), k.as_bytes(), ());
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = d.scan(cursor, |n| {
                seen.insert(n.key.clone());
            });
            round += 1;
            if round == 5 {
                for i in 100..5000u32 {
                    let k = format!("k{i}");
                    d.insert(h(k.as_bytes()), k.as_bytes(), ());
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..100u32 {
            assert!(seen.contains(&Sds::from(format!("k{i}").as_str())));
        }
    }
}
