//! Set values, with Redis 7.2's three encodings: a sorted integer array (intset) while
//! every member is an integer and there are at most `set-max-intset-entries`; a packed
//! sequence (listpack) while small (`set-max-listpack-entries` / `-value`); a `Dict`
//! beyond that. Conversions go one way only, like Redis.

use super::dict::Dict;
use super::hash_bytes;
use super::packed::Packed;
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

/// Sorted integers, stored little-endian at the smallest width (2, 4 or 8 bytes) that
/// holds them all: `[width][v0][v1]...`. Empty = no bytes.
#[derive(Clone, Default)]
pub struct IntSet(Box<[u8]>);

fn width_for(v: i64) -> usize {
    if v >= i16::MIN as i64 && v <= i16::MAX as i64 {
        2
    } else if v >= i32::MIN as i64 && v <= i32::MAX as i64 {
        4
    } else {
        8
    }
}

impl IntSet {
    fn width(&self) -> usize {
        if self.0.is_empty() {
            2
        } else {
            self.0[0] as usize
        }
    }
    pub fn len(&self) -> usize {
        if self.0.is_empty() {
            0
        } else {
            (self.0.len() - 1) / self.width()
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        let w = self.width();
        let s = &self.0[1 + i * w..1 + (i + 1) * w];
        match w {
            2 => i16::from_le_bytes([s[0], s[1]]) as i64,
            4 => i32::from_le_bytes([s[0], s[1], s[2], s[3]]) as i64,
            _ => i64::from_le_bytes(s.try_into().unwrap()),
        }
    }
    /// Ok(index) if present, Err(insertion point) if not.
    pub fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let m = self.get(mid);
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
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
    fn build(vals: impl ExactSizeIterator<Item = i64>, w: usize) -> IntSet {
        let mut out = Vec::with_capacity(1 + vals.len() * w);
        out.push(w as u8);
        for v in vals {
            out.extend_from_slice(&v.to_le_bytes()[..w]);
        }
        if out.len() == 1 {
            return IntSet::default();
        }
        IntSet(out.into_boxed_slice())
    }
    pub fn insert(&mut self, v: i64) -> bool {
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(p) => p,
        };
        let w = self.width().max(width_for(v));
        let n = self.len();
        let vals = (0..pos)
            .map(|i| self.get(i))
            .chain(std::iter::once(v))
            .chain((pos..n).map(|i| self.get(i)));
        let mut out = Vec::with_capacity(1 + (n + 1) * w);
        out.push(w as u8);
        for x in vals {
            out.extend_from_slice(&x.to_le_bytes()[..w]);
        }
        self.0 = out.into_boxed_slice();
        true
    }
    pub fn remove(&mut self, v: i64) -> bool {
        let pos = match self.search(v) {
            Ok(p) => p,
            Err(_) => return false,
        };
        let w = self.width();
        let n = self.len();
        let vals = (0..n).filter(|&i| i != pos).map(|i| self.get(i));
        *self = IntSet::build(vals.collect::<Vec<_>>().into_iter(), w);
        true
    }
    /// Length of the longest member as text (for the listpack conversion check).
    fn max_text_len(&self) -> usize {
        if self.is_empty() {
            return 0;
        }
        let a = self.get(0).to_string().len();
        let b = self.get(self.len() - 1).to_string().len();
        a.max(b)
    }
}

pub enum SetValue {
    Ints(IntSet),
    Packed(Packed),
    Table(Box<Dict<()>>),
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::Ints(IntSet::default())
    }
}

impl Clone for SetValue {
    fn clone(&self) -> Self {
        match self {
            SetValue::Ints(i) => SetValue::Ints(i.clone()),
            SetValue::Packed(p) => SetValue::Packed(p.clone()),
            SetValue::Table(d) => {
                let mut n = Dict::new();
                for e in d.iter() {
                    n.insert_new(e.hash, e.key.clone(), ());
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
            SetValue::Ints(IntSet::default())
        } else if size_hint <= lim.max_entries {
            SetValue::Packed(Packed::new())
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
            SetValue::Ints(_) => "intset",
            SetValue::Packed(_) => "listpack",
            SetValue::Table(_) => "hashtable",
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SetValue::Ints(i) => i.len(),
            SetValue::Packed(p) => p.count(),
            SetValue::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            SetValue::Ints(i) => i.is_empty(),
            SetValue::Packed(p) => p.is_empty(),
            SetValue::Table(d) => d.is_empty(),
        }
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            SetValue::Ints(i) => match crate::util::parse_i64(m) {
                Some(v) => i.search(v).is_ok(),
                None => false,
            },
            SetValue::Packed(p) => p.iter().any(|e| e == m),
            SetValue::Table(d) => d.get(hash_bytes(m), m).is_some(),
        }
    }

    /// Calls `f` with every member (integers formatted), in storage order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8])) {
        match self {
            SetValue::Ints(i) => {
                let mut buf = [0u8; 20];
                for v in i.iter() {
                    f(crate::resp::fmt_i64_pub(&mut buf, v));
                }
            }
            SetValue::Packed(p) => p.iter().for_each(f),
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
        if let SetValue::Ints(i) = self {
            let vals: Vec<String> = i.iter().map(|v| v.to_string()).collect();
            let mut p = Packed::new();
            let refs: Vec<&[u8]> = vals.iter().map(|s| s.as_bytes()).collect();
            p.push(&refs);
            *self = SetValue::Packed(p);
        }
    }

    /// Adds a member; returns true if it was new. Converts as Redis's setTypeAdd does.
    pub fn add(&mut self, m: &[u8], lim: SetLimits) -> bool {
        match self {
            SetValue::Ints(i) => {
                if let Some(v) = crate::util::parse_i64(m) {
                    if !i.insert(v) {
                        return false;
                    }
                    if i.len() > lim.intset_max() {
                        self.convert_to_table(0);
                    }
                    return true;
                }
                let n = i.len();
                if n < lim.max_entries
                    && m.len() <= lim.max_value
                    && i.max_text_len() <= lim.max_value
                {
                    self.convert_to_packed();
                } else {
                    self.convert_to_table(n + 1);
                }
                self.add(m, lim)
            }
            SetValue::Packed(p) => {
                let mut n = 0;
                for e in p.iter() {
                    if e == m {
                        return false;
                    }
                    n += 1;
                }
                if n < lim.max_entries && m.len() <= lim.max_value {
                    p.push(&[m]);
                    true
                } else {
                    self.convert_to_table(n + 1);
                    self.add(m, lim)
                }
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
            SetValue::Ints(i) => match crate::util::parse_i64(m) {
                Some(v) => i.remove(v),
                None => false,
            },
            SetValue::Packed(p) => {
                let off = p.iter_off().find(|(_, e)| *e == m).map(|x| x.0);
                match off {
                    Some(off) => {
                        p.remove_at(off, 1);
                        true
                    }
                    None => false,
                }
            }
            SetValue::Table(d) => d.remove(hash_bytes(m), m).is_some(),
        }
    }

    /// A random member (uniform for intset/listpack; Redis's bucket-then-chain pick for
    /// the table).
    pub fn random(&self, rng: &mut impl FnMut() -> u64) -> Option<Sds> {
        match self {
            SetValue::Ints(i) => {
                if i.is_empty() {
                    return None;
                }
                let v = i.get((rng() % i.len() as u64) as usize);
                Some(Sds::from(v.to_string().as_str()))
            }
            SetValue::Packed(p) => {
                let n = p.count();
                if n == 0 {
                    return None;
                }
                p.iter().nth((rng() % n as u64) as usize).map(Sds::new)
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
        let mut i = IntSet::default();
        assert!(i.insert(5));
        assert!(i.insert(-3));
        assert!(!i.insert(5));
        assert!(i.insert(1 << 40));
        assert!(i.insert(70000));
        assert_eq!(i.iter().collect::<Vec<_>>(), vec![-3, 5, 70000, 1 << 40]);
        assert!(i.remove(5));
        assert!(!i.remove(6));
        assert_eq!(i.iter().collect::<Vec<_>>(), vec![-3, 70000, 1 << 40]);
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
        s.add(b"b", lim);
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 5);
        let mut s = SetValue::create(b"1", 1, lim);
        for m in ["1", "2", "3", "4"] {
            s.add(m.as_bytes(), lim);
        }
        assert_eq!(s.encoding(), "hashtable");
        let mut s = SetValue::create(b"x", 1, lim);
        s.add(b"toolong", lim);
        assert_eq!(s.encoding(), "hashtable");
    }
}
