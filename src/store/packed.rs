//! `Packed`: the compact representation of small hashes and sets (Redis's listpack role).
//!
//! One exact-size heap block holding a sequence of entries, each a LEB128 length followed
//! by its bytes. Lookups are linear scans, which is what small collections want: no per
//! element allocation, no hash table. Insertion order is kept (as listpack does), so
//! HGETALL/SMEMBERS of a small collection list elements in the order they were added.

#[derive(Clone, Default)]
pub struct Packed(Box<[u8]>);

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

#[inline]
fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Bytes an entry of `n` bytes takes (prefix included).
#[inline]
pub fn entry_size(n: usize) -> usize {
    let mut p = 1;
    let mut m = n >> 7;
    while m != 0 {
        p += 1;
        m >>= 7;
    }
    p + n
}

/// The same operations on a raw buffer whose entries start at `start` (sets keep an
/// encoding tag byte in front).
pub mod raw {
    use super::{entry_size, put_len, PackedIter};

    #[inline]
    pub fn entry_at(b: &[u8], off: usize) -> (&[u8], usize) {
        let mut n = 0usize;
        let mut shift = 0;
        let mut i = off;
        loop {
            let c = b[i];
            i += 1;
            n |= ((c & 0x7f) as usize) << shift;
            if c & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        (&b[i..i + n], i + n)
    }

    pub fn iter(b: &[u8], start: usize) -> PackedIter<'_> {
        PackedIter { b, off: start }
    }

    /// (offset, entry) pairs.
    pub fn iter_off(b: &[u8], start: usize) -> impl Iterator<Item = (usize, &[u8])> {
        let mut off = start;
        std::iter::from_fn(move || {
            if off >= b.len() {
                return None;
            }
            let (e, next) = entry_at(b, off);
            let at = off;
            off = next;
            Some((at, e))
        })
    }

    pub fn push(bx: &mut Box<[u8]>, items: &[&[u8]]) {
        let extra: usize = items.iter().map(|i| entry_size(i.len())).sum();
        let mut v = std::mem::take(bx).into_vec();
        v.reserve_exact(extra);
        for i in items {
            put_len(&mut v, i.len());
            v.extend_from_slice(i);
        }
        *bx = v.into_boxed_slice();
    }

    pub fn remove_at(bx: &mut Box<[u8]>, off: usize, n: usize) {
        let mut end = off;
        for _ in 0..n {
            end = entry_at(bx, end).1;
        }
        let mut v = std::mem::take(bx).into_vec();
        v.drain(off..end);
        *bx = v.into_boxed_slice();
    }

    pub fn replace_at(bx: &mut Box<[u8]>, off: usize, new: &[u8]) {
        let (old, end) = entry_at(bx, off);
        if old.len() == new.len() {
            let start = end - old.len();
            bx[start..end].copy_from_slice(new);
            return;
        }
        let mut enc = Vec::with_capacity(entry_size(new.len()));
        put_len(&mut enc, new.len());
        enc.extend_from_slice(new);
        let mut v = std::mem::take(bx).into_vec();
        v.splice(off..end, enc);
        *bx = v.into_boxed_slice();
    }
}

impl Packed {
    pub fn new() -> Packed {
        Packed::default()
    }

    /// Total bytes used (for memory accounting).
    pub fn bytes(&self) -> usize {
        self.0.len()
    }

    /// The entry starting at `off`: (its bytes, offset of the next entry).
    #[inline]
    pub fn entry_at(&self, off: usize) -> (&[u8], usize) {
        raw::entry_at(&self.0, off)
    }

    pub fn iter(&self) -> PackedIter<'_> {
        raw::iter(&self.0, 0)
    }

    /// Iterator over (offset, entry).
    pub fn iter_off(&self) -> impl Iterator<Item = (usize, &[u8])> {
        raw::iter_off(&self.0, 0)
    }

    /// Number of entries (a scan).
    pub fn count(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends entries.
    pub fn push(&mut self, items: &[&[u8]]) {
        raw::push(&mut self.0, items)
    }

    /// Removes `n` consecutive entries starting at offset `off`.
    pub fn remove_at(&mut self, off: usize, n: usize) {
        raw::remove_at(&mut self.0, off, n)
    }

    /// Replaces the entry at `off` with `new`.
    pub fn replace_at(&mut self, off: usize, new: &[u8]) {
        raw::replace_at(&mut self.0, off, new)
    }
}

pub struct PackedIter<'a> {
    b: &'a [u8],
    off: usize,
}

impl<'a> Iterator for PackedIter<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.off >= self.b.len() {
            return None;
        }
        let (e, next) = raw::entry_at(self.b, self.off);
        self.off = next;
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn push_remove_replace() {
        let mut p = Packed::new();
        let big = vec![b'x'; 300];
        p.push(&[b"a", &big, b""]);
        assert_eq!(p.count(), 3);
        assert_eq!(p.iter().nth(1).unwrap(), &big[..]);
        let off = p.iter_off().nth(1).unwrap().0;
        p.replace_at(off, b"yy");
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![&b"a"[..], b"yy", b""]);
        p.remove_at(0, 2);
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![&b""[..]]);
        assert_eq!(p.bytes(), 1);
    }
}
