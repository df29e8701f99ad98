//! Hash values: a packed field/value sequence while small (Redis's listpack encoding), a
//! `Dict` beyond `hash-max-listpack-entries` / `hash-max-listpack-value` (never back).

use super::dict::Dict;
use super::hash_bytes;
use super::packed::Packed;
use super::sds::Sds;

/// The conversion thresholds (from the config, read once per command).
#[derive(Clone, Copy, Debug)]
pub struct HashLimits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Default for HashLimits {
    fn default() -> Self {
        HashLimits {
            max_entries: 128,
            max_value: 64,
        }
    }
}

pub enum HashValue {
    /// field, value, field, value, ... in insertion order.
    Packed(Packed),
    Table(Box<Dict<Sds>>),
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::Packed(Packed::new())
    }
}

impl Clone for HashValue {
    fn clone(&self) -> Self {
        match self {
            HashValue::Packed(p) => HashValue::Packed(p.clone()),
            HashValue::Table(d) => {
                let mut n = Dict::new();
                for e in d.iter() {
                    n.insert_new(e.hash(), e.key.clone(), e.val.clone());
                }
                HashValue::Table(Box::new(n))
            }
        }
    }
}

impl std::fmt::Debug for HashValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        self.for_each(|k, v| {
            m.entry(&String::from_utf8_lossy(k), &String::from_utf8_lossy(v));
        });
        m.finish()
    }
}

impl HashValue {
    pub fn new() -> HashValue {
        HashValue::default()
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            HashValue::Packed(_) => "listpack",
            HashValue::Table(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            HashValue::Packed(p) => p.count() / 2,
            HashValue::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            HashValue::Packed(p) => p.is_empty(),
            HashValue::Table(d) => d.is_empty(),
        }
    }

    /// Offset of the field's entry in a packed hash.
    fn packed_find(p: &Packed, field: &[u8]) -> Option<usize> {
        let mut it = p.iter_off();
        while let Some((off, f)) = it.next() {
            if f == field {
                return Some(off);
            }
            it.next();
        }
        None
    }

    /// Converts to the table representation (no-op if already there).
    pub fn convert_to_table(&mut self) {
        if let HashValue::Packed(p) = self {
            let mut d = Dict::new();
            let mut it = p.iter();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                d.insert_new(hash_bytes(f), Sds::new(f), Sds::new(v));
            }
            *self = HashValue::Table(Box::new(d));
        }
    }

    /// Redis's hashTypeTryConversion: before adding these field/value arguments, switch to
    /// the table if there are too many or one is too long.
    pub fn try_conversion<A: AsRef<[u8]>>(&mut self, args: &[A], lim: HashLimits) {
        if let HashValue::Packed(_) = self {
            if args.len() / 2 > lim.max_entries
                || args.iter().any(|a| a.as_ref().len() > lim.max_value)
            {
                self.convert_to_table();
            }
        }
    }

    /// Sets a field; returns true if it is new. Converts when a threshold is crossed.
    pub fn set(&mut self, field: &[u8], value: &[u8], lim: HashLimits) -> bool {
        if let HashValue::Packed(_) = self {
            if field.len() > lim.max_value || value.len() > lim.max_value {
                self.convert_to_table();
            }
        }
        match self {
            HashValue::Packed(p) => {
                if let Some(off) = Self::packed_find(p, field) {
                    let voff = p.entry_at(off).1;
                    if p.entry_at(voff).0 != value {
                        p.replace_at(voff, value);
                    }
                    return false;
                }
                p.push(&[field, value]);
                if p.count() / 2 > lim.max_entries {
                    self.convert_to_table();
                }
                true
            }
            HashValue::Table(d) => {
                let h = hash_bytes(field);
                match d.get_mut(h, field) {
                    Some(v) => {
                        *v = Sds::new(value);
                        false
                    }
                    None => {
                        d.insert_new(h, Sds::new(field), Sds::new(value));
                        true
                    }
                }
            }
        }
    }

    /// Removes a field; returns whether it existed.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            HashValue::Packed(p) => match Self::packed_find(p, field) {
                Some(off) => {
                    p.remove_at(off, 2);
                    true
                }
                None => false,
            },
            HashValue::Table(d) => d.remove(hash_bytes(field), field).is_some(),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Calls `f` for every (field, value), in storage order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &[u8])) {
        match self {
            HashValue::Packed(p) => {
                let mut it = p.iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    f(k, v);
                }
            }
            HashValue::Table(d) => {
                for n in d.iter() {
                    f(&n.key, &n.val);
                }
            }
        }
    }

    /// The i-th pair in storage order of a packed hash, or a random pair of a table
    /// (`rng` picks). Used by HRANDFIELD.
    pub fn random_pair(&self, rng: &mut impl FnMut() -> u64) -> Option<(&[u8], &[u8])> {
        match self {
            HashValue::Packed(p) => {
                let n = p.count() / 2;
                if n == 0 {
                    return None;
                }
                let i = (rng() % n as u64) as usize;
                let mut it = p.iter().skip(2 * i);
                Some((it.next()?, it.next()?))
            }
            HashValue::Table(d) => d.random(rng).map(|n| (&n.key[..], &n.val[..])),
        }
    }

    /// One HSCAN step: calls `f` for the pairs of one bucket (or all pairs of a packed
    /// hash) and returns the next cursor.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], &[u8])) -> u64 {
        match self {
            HashValue::Packed(_) => {
                self.for_each(f);
                0
            }
            HashValue::Table(d) => d.scan(cursor, |n| f(&n.key, &n.val)),
        }
    }

    /// Builds a hash from pairs (later duplicates win), choosing the encoding by `lim`.
    pub fn from_pairs_with(pairs: Vec<(Sds, Sds)>, lim: HashLimits) -> HashValue {
        let mut h = HashValue::new();
        if pairs.len() > lim.max_entries {
            h.convert_to_table();
        }
        for (k, v) in pairs {
            h.set(&k, &v, lim);
        }
        h
    }
}

/// Accessors other families (SORT, RDB, ...) rely on; keep them when changing the
/// representation.
impl HashValue {
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            HashValue::Packed(p) => {
                let off = Self::packed_find(p, field)?;
                let voff = p.entry_at(off).1;
                Some(p.entry_at(voff).0)
            }
            HashValue::Table(d) => d.get(hash_bytes(field), field).map(|v| v.as_bytes()),
        }
    }
    /// All (field, value) pairs, in no particular order.
    pub fn pairs(&self) -> Vec<(Sds, Sds)> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|k, v| out.push((Sds::new(k), Sds::new(v))));
        out
    }
    /// Builds a hash from pairs with Redis's default thresholds (RDB loading, ...).
    pub fn from_pairs(pairs: Vec<(Sds, Sds)>) -> HashValue {
        Self::from_pairs_with(pairs, HashLimits::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert!(std::mem::size_of::<HashValue>() <= 24);
        let lim = HashLimits {
            max_entries: 3,
            max_value: 5,
        };
        let mut h = HashValue::new();
        assert!(h.set(b"a", b"1", lim));
        assert!(!h.set(b"a", b"22", lim));
        assert!(h.set(b"b", b"2", lim));
        assert_eq!(h.get(b"a"), Some(&b"22"[..]));
        assert_eq!(h.encoding(), "listpack");
        assert!(h.set(b"c", b"3", lim));
        assert_eq!(h.encoding(), "listpack");
        assert!(h.set(b"d", b"4", lim));
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 4);
        assert!(h.remove(b"a"));
        assert_eq!(h.get(b"b"), Some(&b"2"[..]));
        let mut h = HashValue::new();
        h.set(b"a", b"123456", lim);
        assert_eq!(h.encoding(), "hashtable");
    }
}
