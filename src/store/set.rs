//! Set values, with Redis 7.2's three encodings: a sorted integer array (intset) while
//! every member is an integer and there are at most `set-max-intset-entries`; a packed
//! sequence (listpack) while small (`set-max-listpack-entries` / `-value`); a `Dict`
//! beyond that. Conversions go one way only, like Redis.

use super::dict::Dict;
use super::hash_bytes;
use super::packed::raw;
use super::sds::Sds;

#[derive(Clone, Copy, Debug)]
pub struct SetLimits {
    pub max_intset: usize,
    pub max_entries: usize,
    pub max_value: usize,
}

impl Default for SetLimits {
    fn default() -> Self {
        SetLimits {
            max_intset: 512,
            max_entries: 128,
            max_value: 64,
        }
    }
}

impl SetLimits {
    fn intset_max(&self) -> usize {
        self.max_intset.min(1 << 30)
    }
}

/// Tag byte of a small set holding packed entries (listpack); intsets have their
/// integer width (2, 4 or 8) there instead.
const LP: u8 = 0;

fn width_for(v: i64) -> usize {
    if v >= i16::MIN as i64 && v <= i16::MAX as i64 {
        2
    } else if v >= i32::MIN as i64 && v <= i32::MAX as i64 {
        4
    } else {
        8
    }
}

/// Intset operations on a small set's buffer: `[width][v0][v1]...`, sorted integers
/// stored little-endian at the smallest width that holds them all.
mod iset {
    pub fn len(b: &[u8]) -> usize {
        (b.len() - 1) / b[0] as usize
    }
    #[inline]
    pub fn get(b: &[u8], i: usize) -> i64 {
        let w = b[0] as usize;
        let s = &b[1 + i * w..1 + (i + 1) * w];
        match w {
            2 => i16::from_le_bytes([s[0], s[1]]) as i64,
            4 => i32::from_le_bytes([s[0], s[1], s[2], s[3]]) as i64,
            _ => i64::from_le_bytes(s.try_into().unwrap()),
        }
    }
    /// Ok(index) if present, Err(insertion point) if not.
    pub fn search(b: &[u8], v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, len(b));
        while lo < hi {
            let mid = (lo + hi) / 2;
            let m = get(b, mid);
            if m == v {
                return Ok(mid);
            } else if m < v {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Err(lo)
    }
    pub fn iter(b: &[u8]) -> impl Iterator<Item = i64> + '_ {
        (0..len(b)).map(move |i| get(b, i))
    }
    fn build(vals: impl Iterator<Item = i64>, n: usize, w: usize) -> Box<[u8]> {
        let mut out = Vec::with_capacity(1 + n * w);
        out.push(w as u8);
        for v in vals {
            out.extend_from_slice(&v.to_le_bytes()[..w]);
        }
        out.into_boxed_slice()
    }
    pub fn insert(bx: &mut Box<[u8]>, v: i64) -> bool {
        let pos = match search(bx, v) {
            Ok(_) => return false,
            Err(p) => p,
        };
        let w = (bx[0] as usize).max(super::width_for(v));
        let n = len(bx);
        let b: &[u8] = bx;
        let vals = (0..pos)
            .map(|i| get(b, i))
            .chain(std::iter::once(v))
            .chain((pos..n).map(|i| get(b, i)));
        let nb = build(vals, n + 1, w);
        *bx = nb;
        true
    }
    pub fn remove(bx: &mut Box<[u8]>, v: i64) -> bool {
        let pos = match search(bx, v) {
            Ok(p) => p,
            Err(_) => return false,
        };
        let w = bx[0] as usize;
        let mut vec = std::mem::take(bx).into_vec();
        vec.drain(1 + pos * w..1 + (pos + 1) * w);
        *bx = vec.into_boxed_slice();
        true
    }
    /// Length of the longest member as text (for the listpack conversion check).
    pub fn max_text_len(b: &[u8]) -> usize {
        let n = len(b);
        if n == 0 {
            return 0;
        }
        get(b, 0)
            .to_string()
            .len()
            .max(get(b, n - 1).to_string().len())
    }
}

pub enum SetValue {
    /// A small set in one buffer: `[LP][packed entries]` (listpack) or
    /// `[width][integers]` (intset). One variant keeps `SetValue` at 16 bytes.
    Small(Box<[u8]>),
    Table(Box<Dict<()>>),
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::Small(Box::new([2]))
    }
}

impl Clone for SetValue {
    fn clone(&self) -> Self {
        match self {
            SetValue::Small(b) => SetValue::Small(b.clone()),
            SetValue::Table(d) => {
                let mut n = Dict::new();
                for e in d.iter() {
                    n.insert_new(e.hash(), e.key.clone(), ());
                }
                SetValue::Table(Box::new(n))
            }
        }
    }
}

impl std::fmt::Debug for SetValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_set();
        self.for_each(|m| {
            l.entry(&String::from_utf8_lossy(m));
        });
        l.finish()
    }
}

impl SetValue {
    /// Redis's setTypeCreate: the encoding a new set gets from its first member and the
    /// number of members about to be added.
    pub fn create(first: &[u8], size_hint: usize, lim: SetLimits) -> SetValue {
        if crate::util::parse_i64(first).is_some() && size_hint <= lim.intset_max() {
            SetValue::default()
        } else if size_hint <= lim.max_entries {
            SetValue::Small(Box::new([LP]))
        } else {
            SetValue::Table(Box::default())
        }
    }

    /// An empty set that starts as an intset (what SINTERSTORE & co. build into).
    pub fn new() -> SetValue {
        SetValue::default()
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            SetValue::Small(b) if b[0] == LP => "listpack",
            SetValue::Small(_) => "intset",
            SetValue::Table(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SetValue::Small(b) if b[0] == LP => raw::iter(b, 1).count(),
            SetValue::Small(b) => iset::len(b),
            SetValue::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            SetValue::Small(b) => b.len() == 1,
            SetValue::Table(d) => d.is_empty(),
        }
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            SetValue::Small(b) if b[0] == LP => raw::iter(b, 1).any(|e| e == m),
            SetValue::Small(b) => match crate::util::parse_i64(m) {
                Some(v) => iset::search(b, v).is_ok(),
                None => false,
            },
            SetValue::Table(d) => d.get(hash_bytes(m), m).is_some(),
        }
    }

    /// Calls `f` with every member (integers formatted), in storage order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        match self {
            SetValue::Small(b) if b[0] == LP => raw::iter(b, 1).for_each(f),
            SetValue::Small(b) => {
                let mut buf = [0u8; 20];
                for v in iset::iter(b) {
                    f(crate::resp::fmt_i64_pub(&mut buf, v));
                }
            }
            SetValue::Table(d) => d.iter().for_each(|n| f(&n.key)),
        }
    }

    pub fn convert_to_table(&mut self, size_hint: usize) {
        if let SetValue::Table(_) = self {
            return;
        }
        let mut d = Dict::new();
        let _ = size_hint;
        self.for_each(|m| d.insert_new(hash_bytes(m), Sds::new(m), ()));
        *self = SetValue::Table(Box::new(d));
    }

    fn convert_to_packed(&mut self) {
        if let SetValue::Small(b) = self {
            if b[0] != LP {
                let vals: Vec<String> = iset::iter(b).map(|v| v.to_string()).collect();
                let refs: Vec<&[u8]> = vals.iter().map(|s| s.as_bytes()).collect();
                let mut nb: Box<[u8]> = Box::new([LP]);
                raw::push(&mut nb, &refs);
                *b = nb;
            }
        }
    }

    /// Adds a member; returns true if it was new. Converts as Redis's setTypeAdd does.
    pub fn add(&mut self, m: &[u8], lim: SetLimits) -> bool {
        match self {
            SetValue::Small(b) if b[0] == LP => {
                let mut n = 0;
                for e in raw::iter(b, 1) {
                    if e == m {
                        return false;
                    }
                    n += 1;
                }
                if n < lim.max_entries && m.len() <= lim.max_value {
                    raw::push(b, &[m]);
                    true
                } else {
                    self.convert_to_table(n + 1);
                    self.add(m, lim)
                }
            }
            SetValue::Small(b) => {
                if let Some(v) = crate::util::parse_i64(m) {
                    if !iset::insert(b, v) {
                        return false;
                    }
                    if iset::len(b) > lim.intset_max() {
                        self.convert_to_table(0);
                    }
                    return true;
                }
                let n = iset::len(b);
                if n < lim.max_entries
                    && m.len() <= lim.max_value
                    && iset::max_text_len(b) <= lim.max_value
                {
                    self.convert_to_packed();
                } else {
                    self.convert_to_table(n + 1);
                }
                self.add(m, lim)
            }
            SetValue::Table(d) => {
                let h = hash_bytes(m);
                if d.get(h, m).is_some() {
                    return false;
                }
                d.insert_new(h, Sds::new(m), ());
                true
            }
        }
    }

    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            SetValue::Small(b) if b[0] == LP => {
                let off = raw::iter_off(b, 1).find(|(_, e)| *e == m).map(|x| x.0);
                match off {
                    Some(off) => {
                        raw::remove_at(b, off, 1);
                        true
                    }
                    None => false,
                }
            }
            SetValue::Small(b) => match crate::util::parse_i64(m) {
                Some(v) => iset::remove(b, v),
                None => false,
            },
            SetValue::Table(d) => d.remove(hash_bytes(m), m).is_some(),
        }
    }

    /// A random member (uniform for intset/listpack; Redis's bucket-then-chain pick for
    /// the table).
    pub fn random(&self, rng: &mut impl FnMut() -> u64) -> Option<Sds> {
        match self {
            SetValue::Small(b) if b[0] == LP => {
                let n = raw::iter(b, 1).count();
                if n == 0 {
                    return None;
                }
                raw::iter(b, 1)
                    .nth((rng() % n as u64) as usize)
                    .map(Sds::new)
            }
            SetValue::Small(b) => {
                let n = iset::len(b);
                if n == 0 {
                    return None;
                }
                let v = iset::get(b, (rng() % n as u64) as usize);
                Some(Sds::from(v.to_string().as_str()))
            }
            SetValue::Table(d) => d.random(rng).map(|n| n.key.clone()),
        }
    }

    /// One SSCAN step: members of one bucket (all of a compact set); returns the next
    /// cursor.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8])) -> u64 {
        match self {
            SetValue::Table(d) => d.scan(cursor, |n| f(&n.key)),
            _ => {
                self.for_each(f);
                0
            }
        }
    }

    /// Builds a set from members with these thresholds, as SADD of them all would.
    pub fn from_members_with(members: &[Sds], lim: SetLimits) -> SetValue {
        let mut s = match members.first() {
            Some(m) => SetValue::create(m, members.len(), lim),
            None => SetValue::new(),
        };
        for m in members {
            s.add(m, lim);
        }
        s
    }
}

/// Accessors other families (SORT, RDB, ...) rely on; keep them when changing the
/// representation.
impl SetValue {
    /// All members, in no particular order.
    pub fn members(&self) -> Vec<Sds> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|m| out.push(Sds::new(m)));
        out
    }
    /// Builds a set with Redis's default thresholds (RDB loading, ...).
    pub fn from_members(members: Vec<Sds>) -> SetValue {
        Self::from_members_with(&members, SetLimits::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_widths() {
        let lim = SetLimits::default();
        let mut s = SetValue::new();
        for v in [5i64, -3, 5, 1 << 40, 70000] {
            s.add(v.to_string().as_bytes(), lim);
        }
        assert_eq!(s.encoding(), "intset");
        assert_eq!(
            s.members(),
            ["-3", "5", "70000", "1099511627776"].map(Sds::from)
        );
        assert!(s.remove(b"5"));
        assert!(!s.remove(b"6"));
        assert!(!s.remove(b"x"));
        assert_eq!(s.members(), ["-3", "70000", "1099511627776"].map(Sds::from));
        assert!(std::mem::size_of::<SetValue>() <= 16);
    }

    #[test]
    fn conversions() {
        let lim = SetLimits {
            max_intset: 3,
            max_entries: 4,
            max_value: 5,
        };
        let mut s = SetValue::create(b"1", 1, lim);
        for m in ["1", "2", "3"] {
            assert!(s.add(m.as_bytes(), lim));
        }
        assert_eq!(s.encoding(), "intset");
        s.add(b"a", lim);
        assert_eq!(s.encoding(), "listpack");
        assert!(s.contains(b"2"));
        assert_eq!(s.members(), ["1", "2", "3", "a"].map(Sds::from));
        s.add(b"b", lim);
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 5);
        let mut s = SetValue::create(b"1", 1, lim);
        for m in ["1", "2", "3", "4"] {
            s.add(m.as_bytes(), lim);
        }
        assert_eq!(s.encoding(), "hashtable");
        let mut s = SetValue::create(b"x", 1, lim);
        assert!(s.add(b"x", lim));
        assert!(s.remove(b"x"));
        assert!(s.is_empty());
        s.add(b"toolong", lim);
        assert_eq!(s.encoding(), "hashtable");
    }
}
