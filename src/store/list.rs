//! List values: a chunked, packed representation in the spirit of Redis's quicklist of
//! listpacks.
//!
//! A list is a deque of nodes; each node is one byte buffer of packed entries
//! (`varint len | bytes | varint len reversed`, so it can be walked both ways) plus its
//! entry count. A node grows up to `list-max-listpack-size` (bytes when negative, entries
//! when positive, with Redis's 8 KB safety limit) before a new node starts, so a short
//! element costs its bytes plus two, and an index lookup walks node counts first.
//!
//! `OBJECT ENCODING` is "listpack" while the whole list fits one node's limit and
//! "quicklist" beyond, converting back when it shrinks under half the limit (Redis 7.2).

use super::sds::Sds;
use std::collections::VecDeque;

/// Node limits derived from `list-max-listpack-size`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub bytes: usize,
    pub count: usize,
}

impl Limit {
    /// Redis's quicklistNodeLimit (plus the 8 KB safety limit for count-based fills).
    pub fn from_fill(fill: i64) -> Limit {
        if fill >= 0 {
            Limit {
                bytes: 8192,
                count: fill.max(1) as usize,
            }
        } else {
            const LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
            let off = ((-fill - 1) as usize).min(LEVELS.len() - 1);
            Limit {
                bytes: LEVELS[off],
                count: usize::MAX,
            }
        }
    }
}

impl Default for Limit {
    fn default() -> Limit {
        Limit::from_fill(-2)
    }
}

/// An element as stored: bytes, or a canonical integer kept in binary (as listpack does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl<'a> Elem<'a> {
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Elem::Str(b) => b.to_vec(),
            Elem::Int(i) => i.to_string().into_bytes(),
        }
    }

    pub fn to_bytes(self) -> bytes::Bytes {
        match self {
            Elem::Str(b) => bytes::Bytes::copy_from_slice(b),
            Elem::Int(i) => bytes::Bytes::from(i.to_string()),
        }
    }

    /// Whether the element equals `v` (a canonical integer string is only ever stored as
    /// an integer, so the two forms never need to be compared across).
    pub fn eq_bytes(self, v: &[u8]) -> bool {
        self.matches(v, crate::util::parse_i64(v))
    }

    /// `eq_bytes` with `v` parsed once by the caller (`util::parse_i64(v)`).
    #[inline]
    pub fn matches(self, v: &[u8], v_int: Option<i64>) -> bool {
        match self {
            Elem::Str(b) => b == v,
            Elem::Int(i) => v_int == Some(i),
        }
    }
}

#[inline]
fn varint_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

/// How `v` is stored: (header value, integer bytes, payload length). The header is
/// `payload_len << 1 | is_int`; integers take the fewest little-endian bytes that
/// sign-extend back.
#[inline]
fn encode(v: &[u8]) -> (usize, [u8; 8], usize) {
    if v.len() <= 20 {
        if let Some(i) = crate::util::parse_i64(v) {
            let mut w = 1;
            while w < 8 {
                let bits = 8 * w;
                let lo = -(1i64 << (bits - 1));
                let hi = (1i64 << (bits - 1)) - 1;
                if i >= lo && i <= hi {
                    break;
                }
                w += 1;
            }
            return ((w << 1) | 1, i.to_le_bytes(), w);
        }
    }
    (v.len() << 1, [0; 8], v.len())
}

#[inline]
fn entry_size(v: &[u8]) -> usize {
    Entry::of(v).size()
}

/// An element encoded for a node: header (varint of `h`), payload, header reversed.
struct Entry {
    h: usize,
    ib: [u8; 8],
    plen: usize,
}

impl Entry {
    #[inline]
    fn of(v: &[u8]) -> Entry {
        let (h, ib, plen) = encode(v);
        Entry { h, ib, plen }
    }

    #[inline]
    fn size(&self) -> usize {
        2 * varint_len(self.h) + self.plen
    }

    /// Writes the entry of `v` into `out`, exactly `size()` bytes.
    fn write(&self, out: &mut [u8], v: &[u8]) {
        let (h, plen) = (self.h, self.plen);
        let mut n = h;
        let mut hl = 0;
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out[hl] = b;
                hl += 1;
                break;
            }
            out[hl] = b | 0x80;
            hl += 1;
        }
        if h & 1 == 1 {
            out[hl..hl + plen].copy_from_slice(&self.ib[..plen]);
        } else {
            out[hl..hl + plen].copy_from_slice(v);
        }
        for i in 0..hl {
            out[hl + plen + i] = out[hl - 1 - i];
        }
    }
}

/// Appends the entry of `v` to `out`.
fn write_entry(out: &mut Vec<u8>, v: &[u8]) {
    let e = Entry::of(v);
    let at = out.len();
    out.resize(at + e.size(), 0);
    e.write(&mut out[at..], v);
}

#[inline]
fn decode(buf: &[u8], d: usize, h: usize) -> Elem<'_> {
    let n = h >> 1;
    if h & 1 == 1 {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&buf[d..d + n]);
        let shift = 64 - 8 * n as u32;
        Elem::Int((i64::from_le_bytes(b) << shift) >> shift)
    } else {
        Elem::Str(&buf[d..d + n])
    }
}

/// Reads the entry starting at `p`: (payload start, header value, next offset).
#[inline]
fn read_fwd(buf: &[u8], p: usize) -> (usize, usize, usize) {
    let mut h = 0usize;
    let mut shift = 0;
    let mut i = p;
    loop {
        let b = buf[i];
        h |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let hl = i - p;
    (i, h, i + (h >> 1) + hl)
}

/// Reads the entry ending at `e` (exclusive): (entry start, payload start, header value).
#[inline]
fn read_back(buf: &[u8], e: usize) -> (usize, usize, usize) {
    let mut h = 0usize;
    let mut shift = 0;
    let mut i = e;
    loop {
        i -= 1;
        let b = buf[i];
        h |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let hl = e - i;
    let data = i - (h >> 1);
    (data - hl, data, h)
}

/// A node: `count` packed entries in `buf[start..]`. The bytes before `start` are
/// headroom, so that pushing or popping at the list's head writes or skips an entry
/// instead of moving the whole node (Redis's listpack moves up to 8 KiB on every LPUSH
/// and LPOP). 32 bytes, as before the headroom.
#[derive(Clone, Debug, Default)]
struct Node {
    buf: Vec<u8>,
    start: u32,
    count: u32,
}

impl Node {
    fn with(v: &[u8]) -> Node {
        let mut buf = Vec::with_capacity(entry_size(v).next_power_of_two().max(16));
        write_entry(&mut buf, v);
        Node::from_vec(buf, 1)
    }

    fn from_vec(buf: Vec<u8>, count: u32) -> Node {
        Node {
            buf,
            start: 0,
            count,
        }
    }

    /// The packed entries.
    #[inline]
    fn bytes(&self) -> &[u8] {
        &self.buf[self.start as usize..]
    }

    /// Drops the first `k` bytes of the entries (whole entries, not all of them). The
    /// bytes become headroom; once it is over twice the entries (plus a little), the
    /// entries move back to the front, so a queue (RPUSH + LPOP on one node) doesn't grow
    /// its buffer without end, each move is paid for by the pops before it, and pushes
    /// and pops alternating at the head (headroom about the node's size) never move it.
    fn drop_front(&mut self, k: usize) {
        let s = self.start as usize + k;
        let live = self.buf.len() - s;
        if s > 2 * live + 64 {
            self.buf.copy_within(s.., 0);
            self.buf.truncate(live);
            self.start = 0;
        } else {
            // A node of several entries is at most 64 KiB (Limit), its headroom no more.
            self.start = s as u32;
        }
    }

    /// Keeps the first `len` bytes of the entries.
    fn truncate(&mut self, len: usize) {
        self.buf.truncate(self.start as usize + len);
    }

    /// Replaces the entry bytes `r` (offsets into `bytes()`) with `with`.
    fn splice(&mut self, r: std::ops::Range<usize>, with: Vec<u8>) {
        let s = self.start as usize;
        self.buf.splice(s + r.start..s + r.end, with);
    }

    /// Writes entry `e` of `v` before the first, into the headroom; without room, the
    /// node is copied once behind a headroom as big as itself (so a run of pushes at the
    /// head costs amortized O(1) per byte, like appending). Only for a node the entry
    /// `fits` (64 KiB at most), so offsets stay within u32.
    fn prepend(&mut self, e: &Entry, v: &[u8]) {
        let sz = e.size();
        if (self.start as usize) < sz {
            let len = self.buf.len() - self.start as usize;
            let room = sz + len.max(32);
            debug_assert!(u32::try_from(room + len).is_ok());
            let mut nb = Vec::with_capacity(room + len);
            nb.resize(room, 0);
            nb.extend_from_slice(self.bytes());
            self.buf = nb;
            self.start = room as u32;
        }
        let s = self.start as usize - sz;
        e.write(&mut self.buf[s..s + sz], v);
        self.start = s as u32;
    }

    fn fits(&self, add: usize, lim: Limit) -> bool {
        self.bytes().len() + add <= lim.bytes && (self.count as usize) < lim.count
    }

    /// Byte offset of entry `i` (walking from the nearer end).
    fn offset(&self, i: usize) -> usize {
        let c = self.count as usize;
        if i <= c / 2 {
            let mut p = 0;
            for _ in 0..i {
                p = read_fwd(self.bytes(), p).2;
            }
            p
        } else {
            let mut e = self.bytes().len();
            for _ in 0..(c - i) {
                e = read_back(self.bytes(), e).0;
            }
            e
        }
    }

    fn get(&self, i: usize) -> Elem<'_> {
        let p = self.offset(i);
        let (d, h, _) = read_fwd(self.bytes(), p);
        decode(self.bytes(), d, h)
    }

    fn iter(&self) -> NodeIter<'_> {
        NodeIter {
            buf: self.bytes(),
            p: 0,
            e: self.bytes().len(),
        }
    }

    /// Splits a node that grew beyond the limit into halves (by count).
    fn split(self) -> (Node, Node) {
        let half = self.count as usize / 2;
        let off = self.offset(half);
        let right = Node::from_vec(self.bytes()[off..].to_vec(), self.count - half as u32);
        let left = Node::from_vec(self.bytes()[..off].to_vec(), half as u32);
        (left, right)
    }
}

struct NodeIter<'a> {
    buf: &'a [u8],
    p: usize,
    e: usize,
}

impl<'a> NodeIter<'a> {
    /// The next entry's raw bytes (header to trailer), to copy it unchanged.
    fn next_raw(&mut self) -> Option<(&'a [u8], Elem<'a>)> {
        if self.p >= self.e {
            return None;
        }
        let (d, h, next) = read_fwd(self.buf, self.p);
        let raw = &self.buf[self.p..next];
        self.p = next;
        Some((raw, decode(self.buf, d, h)))
    }
}

impl<'a> Iterator for NodeIter<'a> {
    type Item = Elem<'a>;
    fn next(&mut self) -> Option<Elem<'a>> {
        if self.p >= self.e {
            return None;
        }
        let (d, h, next) = read_fwd(self.buf, self.p);
        self.p = next;
        Some(decode(self.buf, d, h))
    }
}

impl<'a> DoubleEndedIterator for NodeIter<'a> {
    fn next_back(&mut self) -> Option<Elem<'a>> {
        if self.p >= self.e {
            return None;
        }
        let (s, d, h) = read_back(self.buf, self.e);
        self.e = s;
        Some(decode(self.buf, d, h))
    }
}

#[derive(Clone, Debug, Default)]
pub struct ListValue {
    nodes: VecDeque<Node>,
    len: usize,
    quick: bool,
}

impl ListValue {
    pub fn new() -> ListValue {
        ListValue::default()
    }

    pub fn encoding(&self) -> &'static str {
        if self.quick {
            "quicklist"
        } else {
            "listpack"
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes used by the packed entries (for MEMORY USAGE-style estimates).
    pub fn mem_bytes(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| n.buf.capacity() + 32)
            .sum::<usize>()
            + 48
    }

    fn grown(&mut self, lim: Limit) {
        if !self.quick
            && (self.nodes.len() > 1
                || self
                    .nodes
                    .front()
                    .is_some_and(|n| n.bytes().len() > lim.bytes || n.count as usize > lim.count))
        {
            self.quick = true;
        }
    }

    /// Redis's listTypeTryConvertQuicklist after a shrinking operation.
    fn shrunk(&mut self, lim: Limit) {
        if self.quick && self.nodes.len() <= 1 {
            let (b, c) = self
                .nodes
                .front()
                .map(|n| (n.bytes().len(), n.count as usize))
                .unwrap_or((0, 0));
            if b <= lim.bytes / 2 && c <= lim.count / 2 {
                self.quick = false;
            }
        }
    }

    pub fn push_back(&mut self, v: &[u8], lim: Limit) {
        let sz = entry_size(v);
        match self.nodes.back_mut() {
            Some(n) if n.fits(sz, lim) => {
                write_entry(&mut n.buf, v);
                n.count += 1;
            }
            _ => self.nodes.push_back(Node::with(v)),
        }
        self.len += 1;
        self.grown(lim);
    }

    pub fn push_front(&mut self, v: &[u8], lim: Limit) {
        let e = Entry::of(v);
        match self.nodes.front_mut() {
            Some(n) if n.fits(e.size(), lim) => {
                n.prepend(&e, v);
                n.count += 1;
            }
            _ => self.nodes.push_front(Node::with(v)),
        }
        self.len += 1;
        self.grown(lim);
    }

    pub fn push(&mut self, v: &[u8], head: bool, lim: Limit) {
        if head {
            self.push_front(v, lim)
        } else {
            self.push_back(v, lim)
        }
    }

    pub fn pop_front(&mut self, lim: Limit) -> Option<Vec<u8>> {
        let n = self.nodes.front_mut()?;
        let (d, h, next) = read_fwd(n.bytes(), 0);
        let v = decode(n.bytes(), d, h).to_vec();
        n.count -= 1;
        if n.count == 0 {
            self.nodes.pop_front();
        } else {
            n.drop_front(next);
        }
        self.len -= 1;
        self.shrunk(lim);
        Some(v)
    }

    pub fn pop_back(&mut self, lim: Limit) -> Option<Vec<u8>> {
        let n = self.nodes.back_mut()?;
        let (s, d, h) = read_back(n.bytes(), n.bytes().len());
        let v = decode(n.bytes(), d, h).to_vec();
        n.count -= 1;
        if n.count == 0 {
            self.nodes.pop_back();
        } else {
            n.truncate(s);
        }
        self.len -= 1;
        self.shrunk(lim);
        Some(v)
    }

    pub fn pop(&mut self, head: bool, lim: Limit) -> Option<Vec<u8>> {
        if head {
            self.pop_front(lim)
        } else {
            self.pop_back(lim)
        }
    }

    /// (node index, index inside the node) of element `i` (< len).
    fn locate(&self, i: usize) -> (usize, usize) {
        if i < self.len / 2 {
            let mut i = i;
            for (ni, n) in self.nodes.iter().enumerate() {
                if i < n.count as usize {
                    return (ni, i);
                }
                i -= n.count as usize;
            }
        } else {
            let mut from_end = self.len - i; // >= 1
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                if from_end <= n.count as usize {
                    return (ni, n.count as usize - from_end);
                }
                from_end -= n.count as usize;
            }
        }
        unreachable!("index within length")
    }

    pub fn get(&self, i: usize) -> Option<Elem<'_>> {
        if i >= self.len {
            return None;
        }
        let (ni, k) = self.locate(i);
        Some(self.nodes[ni].get(k))
    }

    /// Replaces element `i` (< len).
    pub fn set(&mut self, i: usize, v: &[u8], lim: Limit) {
        let (ni, k) = self.locate(i);
        let n = &mut self.nodes[ni];
        let p = n.offset(k);
        let end = read_fwd(n.bytes(), p).2;
        let mut e = Vec::with_capacity(entry_size(v));
        write_entry(&mut e, v);
        n.splice(p..end, e);
        self.fix_node(ni, lim);
        self.grown(lim);
        self.shrunk(lim);
    }

    /// Inserts `v` so that it becomes element `i` (0..=len).
    pub fn insert(&mut self, i: usize, v: &[u8], lim: Limit) {
        if i == 0 {
            return self.push_front(v, lim);
        }
        if i >= self.len {
            return self.push_back(v, lim);
        }
        let (ni, k) = self.locate(i);
        let n = &mut self.nodes[ni];
        let p = n.offset(k);
        let mut e = Vec::with_capacity(entry_size(v));
        write_entry(&mut e, v);
        n.splice(p..p, e);
        n.count += 1;
        self.len += 1;
        self.fix_node(ni, lim);
        self.grown(lim);
    }

    /// Splits node `ni` if it went over the limit.
    fn fix_node(&mut self, ni: usize, lim: Limit) {
        let n = &self.nodes[ni];
        if n.count > 1 && (n.bytes().len() > lim.bytes || n.count as usize > lim.count) {
            let n = self.nodes.remove(ni).unwrap();
            let (a, b) = n.split();
            self.nodes.insert(ni, b);
            self.nodes.insert(ni, a);
        }
    }

    /// Keeps elements `start..=end` (already clamped, start <= end < len); clears otherwise.
    pub fn trim(&mut self, start: usize, end: usize, lim: Limit) {
        let keep = end + 1 - start;
        // Drop from the tail.
        let mut rtrim = self.len - end - 1;
        while rtrim > 0 {
            let n = self.nodes.back_mut().unwrap();
            if n.count as usize <= rtrim {
                rtrim -= n.count as usize;
                self.nodes.pop_back();
            } else {
                let c = n.count as usize;
                let off = n.offset(c - rtrim);
                n.truncate(off);
                n.count -= rtrim as u32;
                rtrim = 0;
            }
        }
        let mut ltrim = start;
        while ltrim > 0 {
            let n = self.nodes.front_mut().unwrap();
            if n.count as usize <= ltrim {
                ltrim -= n.count as usize;
                self.nodes.pop_front();
            } else {
                let off = n.offset(ltrim);
                n.drop_front(off);
                n.count -= ltrim as u32;
                ltrim = 0;
            }
        }
        self.len = keep;
        self.compact(lim);
        self.shrunk(lim);
    }

    pub fn clear(&mut self) {
        self.nodes.clear();
        self.len = 0;
    }

    /// Removes up to `count` (0 = all) elements equal to `v`, from the head or the tail.
    /// Returns how many were removed.
    pub fn remove_eq(&mut self, v: &[u8], count: usize, from_tail: bool, lim: Limit) -> usize {
        let mut removed = 0;
        let vi = crate::util::parse_i64(v);
        let limit = if count == 0 { usize::MAX } else { count };
        let order: Vec<usize> = if from_tail {
            (0..self.nodes.len()).rev().collect()
        } else {
            (0..self.nodes.len()).collect()
        };
        for ni in order {
            if removed >= limit {
                break;
            }
            let n = &self.nodes[ni];
            // Which entries of this node go (by position).
            let mut drop = vec![false; n.count as usize];
            let mut any = false;
            if from_tail {
                for (k, e) in n.iter().rev().enumerate() {
                    if removed >= limit {
                        break;
                    }
                    if e.matches(v, vi) {
                        drop[n.count as usize - 1 - k] = true;
                        removed += 1;
                        any = true;
                    }
                }
            } else {
                for (k, e) in n.iter().enumerate() {
                    if removed >= limit {
                        break;
                    }
                    if e.matches(v, vi) {
                        drop[k] = true;
                        removed += 1;
                        any = true;
                    }
                }
            }
            if !any {
                continue;
            }
            let mut nb = Vec::with_capacity(n.bytes().len());
            let mut cnt = 0u32;
            let mut it = n.iter();
            let mut k = 0;
            while let Some((raw, _)) = it.next_raw() {
                if !drop[k] {
                    nb.extend_from_slice(raw);
                    cnt += 1;
                }
                k += 1;
            }
            let n = &mut self.nodes[ni];
            *n = Node::from_vec(nb, cnt);
        }
        if removed > 0 {
            self.nodes.retain(|n| n.count > 0);
            self.len -= removed;
            self.compact(lim);
            self.shrunk(lim);
        }
        removed
    }

    /// Merges neighbouring nodes that together fit in one.
    fn compact(&mut self, lim: Limit) {
        if self.nodes.len() < 2 {
            return;
        }
        let mut out: VecDeque<Node> = VecDeque::with_capacity(self.nodes.len());
        for n in self.nodes.drain(..) {
            if let Some(last) = out.back_mut() {
                if last.bytes().len() + n.bytes().len() <= lim.bytes
                    && (last.count + n.count) as usize <= lim.count
                {
                    last.buf.extend_from_slice(n.bytes());
                    last.count += n.count;
                    continue;
                }
            }
            out.push_back(n);
        }
        self.nodes = out;
    }

    /// Elements head to tail.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Elem<'_>> + '_ {
        self.nodes.iter().flat_map(|n| n.iter())
    }

    /// Elements from index `i` on, head to tail.
    pub fn iter_from(&self, i: usize) -> impl Iterator<Item = Elem<'_>> + '_ {
        let (ni, k) = if i >= self.len {
            (self.nodes.len(), 0)
        } else {
            self.locate(i)
        };
        self.nodes
            .iter()
            .skip(ni)
            .enumerate()
            .flat_map(move |(j, n)| n.iter().skip(if j == 0 { k } else { 0 }))
    }

    /// Elements from index `i` down to the head.
    pub fn iter_rev_from(&self, i: usize) -> impl Iterator<Item = Elem<'_>> + '_ {
        let skip_back = self.len.saturating_sub(i + 1);
        self.iter().rev().skip(skip_back)
    }
}

/// Accessors other families (SORT, RDB, ...) rely on; keep them when changing the
/// representation.
impl ListValue {
    /// All elements, head to tail.
    pub fn members(&self) -> Vec<Sds> {
        self.iter().map(|e| Sds::from_vec(e.to_vec())).collect()
    }
    pub fn from_members(v: Vec<Sds>) -> ListValue {
        let mut l = ListValue::new();
        let lim = Limit::default();
        for m in v {
            l.push_back(&m, lim);
        }
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_check(l: &ListValue, m: &VecDeque<Vec<u8>>) {
        assert_eq!(l.len(), m.len());
        let got: Vec<Vec<u8>> = l.iter().map(|e| e.to_vec()).collect();
        let want: Vec<Vec<u8>> = m.iter().cloned().collect();
        assert_eq!(got, want);
        let rev: Vec<Vec<u8>> = l.iter().rev().map(|e| e.to_vec()).collect();
        let wrev: Vec<Vec<u8>> = m.iter().rev().cloned().collect();
        assert_eq!(rev, wrev);
        for (i, v) in m.iter().enumerate() {
            assert_eq!(l.get(i).map(|e| e.to_vec()), Some(v.clone()));
        }
        assert_eq!(
            l.nodes.iter().map(|n| n.count as usize).sum::<usize>(),
            l.len
        );
    }

    #[test]
    fn a_queue_on_one_node_keeps_its_buffer_small() {
        let lim = Limit::from_fill(-2);
        let mut l = ListValue::new();
        for i in 0..10 {
            l.push_back(format!("item-{i}").as_bytes(), lim);
        }
        for i in 10..200_000 {
            l.push_back(format!("item-{i}").as_bytes(), lim);
            assert_eq!(
                l.pop_front(lim),
                Some(format!("item-{}", i - 10).into_bytes())
            );
        }
        assert_eq!(l.nodes.len(), 1);
        // 10 entries of ~13 bytes; the headroom left by pops is bounded by them.
        assert!(l.nodes[0].buf.len() < 1024, "{}", l.nodes[0].buf.len());
        assert!(l.mem_bytes() < 4096, "{}", l.mem_bytes());
    }

    #[test]
    fn random_ops_match_a_model() {
        use rand::Rng;
        let mut r = rand::thread_rng();
        for fill in [-2i64, 4, 1, -1] {
            let lim = Limit::from_fill(fill);
            let mut l = ListValue::new();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for step in 0..3000 {
                let len = if r.gen_bool(0.05) {
                    r.gen_range(100..400)
                } else {
                    r.gen_range(0..12)
                };
                let v: Vec<u8> = match r.gen_range(0..4) {
                    0 => r.gen_range(-300i64..300).to_string().into_bytes(),
                    1 => [
                        i64::MIN,
                        i64::MAX,
                        -1,
                        0,
                        1 << 40,
                        -(1 << 23),
                        1 << 23,
                        127,
                        128,
                    ][r.gen_range(0..9)]
                    .to_string()
                    .into_bytes(),
                    2 => b"007".to_vec(),
                    _ => (0..len).map(|_| r.gen_range(b'a'..b'd')).collect(),
                };
                match r.gen_range(0..10) {
                    0..=2 => {
                        l.push_back(&v, lim);
                        m.push_back(v);
                    }
                    3 | 4 => {
                        l.push_front(&v, lim);
                        m.push_front(v);
                    }
                    5 => assert_eq!(l.pop_front(lim), m.pop_front()),
                    6 => assert_eq!(l.pop_back(lim), m.pop_back()),
                    7 if !m.is_empty() => {
                        let i = r.gen_range(0..=m.len());
                        l.insert(i, &v, lim);
                        m.insert(i, v);
                    }
                    8 if !m.is_empty() => {
                        let i = r.gen_range(0..m.len());
                        l.set(i, &v, lim);
                        m[i] = v;
                    }
                    9 if step % 50 == 0 && !m.is_empty() => {
                        let s = r.gen_range(0..m.len());
                        let e = r.gen_range(s..m.len());
                        l.trim(s, e, lim);
                        let kept: VecDeque<Vec<u8>> =
                            m.iter().skip(s).take(e + 1 - s).cloned().collect();
                        m = kept;
                    }
                    _ => {
                        let t: Vec<u8> = match r.gen_range(0..3) {
                            0 => vec![b'a'; r.gen_range(0..2)],
                            1 => r.gen_range(-3i64..3).to_string().into_bytes(),
                            _ => b"007".to_vec(),
                        };
                        let c = r.gen_range(0..3);
                        let tail = r.gen_bool(0.5);
                        let n = l.remove_eq(&t, c, tail, lim);
                        let mut removed = 0;
                        let limit = if c == 0 { usize::MAX } else { c };
                        let idx: Vec<usize> = if tail {
                            (0..m.len()).rev().collect()
                        } else {
                            (0..m.len()).collect()
                        };
                        let mut drop = vec![false; m.len()];
                        for i in idx {
                            if removed < limit && m[i] == t {
                                drop[i] = true;
                                removed += 1;
                            }
                        }
                        let mut k = 0;
                        m.retain(|_| {
                            k += 1;
                            !drop[k - 1]
                        });
                        assert_eq!(n, removed);
                    }
                }
                if step % 97 == 0 {
                    model_check(&l, &m);
                }
            }
            model_check(&l, &m);
            for i in [0, 1, m.len() / 2, m.len().saturating_sub(1)] {
                let a: Vec<Vec<u8>> = l.iter_from(i).map(|e| e.to_vec()).collect();
                let b: Vec<Vec<u8>> = m.iter().skip(i).cloned().collect();
                assert_eq!(a, b);
                let a: Vec<Vec<u8>> = l.iter_rev_from(i).map(|e| e.to_vec()).collect();
                let b: Vec<Vec<u8>> = m.iter().take(i + 1).rev().cloned().collect();
                assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn integers_round_trip_in_few_bytes() {
        let lim = Limit::default();
        let vals: Vec<i64> = vec![
            0,
            1,
            -1,
            127,
            -128,
            128,
            32767,
            -32768,
            1 << 23,
            -(1 << 23) - 1,
            i32::MAX as i64,
            i64::MAX,
            i64::MIN,
        ];
        let mut l = ListValue::new();
        for v in &vals {
            l.push_back(v.to_string().as_bytes(), lim);
        }
        for (i, v) in vals.iter().enumerate() {
            assert_eq!(l.get(i), Some(Elem::Int(*v)));
            assert!(l.get(i).unwrap().eq_bytes(v.to_string().as_bytes()));
        }
        // Not canonical: kept as strings.
        for s in ["01", "+1", "-0", " 1", "1.0", "99999999999999999999"] {
            l.push_back(s.as_bytes(), lim);
            assert_eq!(l.get(l.len() - 1), Some(Elem::Str(s.as_bytes())));
        }
        let mut small = ListValue::new();
        small.push_back(b"123456", lim);
        assert_eq!(small.nodes[0].bytes().len(), 5);
    }

    #[test]
    fn encoding_follows_the_limit() {
        let lim = Limit::from_fill(4);
        let mut l = ListValue::new();
        for i in 0..4 {
            l.push_back(format!("{i}").as_bytes(), lim);
        }
        assert_eq!(l.encoding(), "listpack");
        l.push_back(b"x", lim);
        assert_eq!(l.encoding(), "quicklist");
        l.pop_back(lim);
        assert_eq!(l.encoding(), "quicklist");
        l.pop_back(lim);
        l.pop_back(lim);
        assert_eq!(l.encoding(), "listpack");
        let mut big = ListValue::new();
        big.push_back(&[b'x'; 9000], Limit::default());
        assert_eq!(big.encoding(), "quicklist");
    }
}
