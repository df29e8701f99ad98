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

#[inline]
fn varint_len(mut n: usize) -> usize {
    let mut l = 1;
    while n >= 0x80 {
        n >>= 7;
        l += 1;
    }
    l
}

#[inline]
fn entry_size(len: usize) -> usize {
    2 * varint_len(len) + len
}

fn write_entry(out: &mut Vec<u8>, v: &[u8]) {
    let start = out.len();
    let mut n = v.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    let hl = out.len() - start;
    out.extend_from_slice(v);
    for i in (0..hl).rev() {
        let b = out[start + i];
        out.push(b);
    }
}

/// Reads the entry starting at `p`: (data start, data len, next offset).
#[inline]
fn read_fwd(buf: &[u8], p: usize) -> (usize, usize, usize) {
    let mut n = 0usize;
    let mut shift = 0;
    let mut i = p;
    loop {
        let b = buf[i];
        n |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let hl = i - p;
    (i, n, i + n + hl)
}

/// Reads the entry ending at `e` (exclusive): (entry start, data start, data len).
#[inline]
fn read_back(buf: &[u8], e: usize) -> (usize, usize, usize) {
    let mut n = 0usize;
    let mut shift = 0;
    let mut i = e;
    loop {
        i -= 1;
        let b = buf[i];
        n |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let hl = e - i;
    let data = i - n;
    (data - hl, data, n)
}

#[derive(Clone, Debug, Default)]
struct Node {
    buf: Vec<u8>,
    count: u32,
}

impl Node {
    fn with(v: &[u8]) -> Node {
        let mut buf = Vec::with_capacity(entry_size(v.len()).next_power_of_two().max(16));
        write_entry(&mut buf, v);
        Node { buf, count: 1 }
    }

    fn fits(&self, add: usize, lim: Limit) -> bool {
        self.buf.len() + add <= lim.bytes && (self.count as usize) < lim.count
    }

    /// Byte offset of entry `i` (walking from the nearer end).
    fn offset(&self, i: usize) -> usize {
        let c = self.count as usize;
        if i <= c / 2 {
            let mut p = 0;
            for _ in 0..i {
                p = read_fwd(&self.buf, p).2;
            }
            p
        } else {
            let mut e = self.buf.len();
            for _ in 0..(c - i) {
                e = read_back(&self.buf, e).0;
            }
            e
        }
    }

    fn get(&self, i: usize) -> &[u8] {
        let p = self.offset(i);
        let (d, n, _) = read_fwd(&self.buf, p);
        &self.buf[d..d + n]
    }

    fn iter(&self) -> NodeIter<'_> {
        NodeIter {
            buf: &self.buf,
            p: 0,
            e: self.buf.len(),
        }
    }

    /// Splits a node that grew beyond the limit into halves (by count).
    fn split(self) -> (Node, Node) {
        let half = self.count as usize / 2;
        let off = self.offset(half);
        let right = Node {
            buf: self.buf[off..].to_vec(),
            count: self.count - half as u32,
        };
        let mut lb = self.buf;
        lb.truncate(off);
        lb.shrink_to_fit();
        (
            Node {
                buf: lb,
                count: half as u32,
            },
            right,
        )
    }
}

struct NodeIter<'a> {
    buf: &'a [u8],
    p: usize,
    e: usize,
}

impl<'a> Iterator for NodeIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.p >= self.e {
            return None;
        }
        let (d, n, next) = read_fwd(self.buf, self.p);
        self.p = next;
        Some(&self.buf[d..d + n])
    }
}

impl<'a> DoubleEndedIterator for NodeIter<'a> {
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.p >= self.e {
            return None;
        }
        let (s, d, n) = read_back(self.buf, self.e);
        self.e = s;
        Some(&self.buf[d..d + n])
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
                    .is_some_and(|n| n.buf.len() > lim.bytes || n.count as usize > lim.count))
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
                .map(|n| (n.buf.len(), n.count as usize))
                .unwrap_or((0, 0));
            if b <= lim.bytes / 2 && c <= lim.count / 2 {
                self.quick = false;
            }
        }
    }

    pub fn push_back(&mut self, v: &[u8], lim: Limit) {
        let sz = entry_size(v.len());
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
        let sz = entry_size(v.len());
        match self.nodes.front_mut() {
            Some(n) if n.fits(sz, lim) => {
                let mut e = Vec::with_capacity(sz);
                write_entry(&mut e, v);
                n.buf.splice(0..0, e);
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
        let (d, l, next) = read_fwd(&n.buf, 0);
        let v = n.buf[d..d + l].to_vec();
        n.count -= 1;
        if n.count == 0 {
            self.nodes.pop_front();
        } else {
            n.buf.drain(..next);
        }
        self.len -= 1;
        self.shrunk(lim);
        Some(v)
    }

    pub fn pop_back(&mut self, lim: Limit) -> Option<Vec<u8>> {
        let n = self.nodes.back_mut()?;
        let (s, d, l) = read_back(&n.buf, n.buf.len());
        let v = n.buf[d..d + l].to_vec();
        n.count -= 1;
        if n.count == 0 {
            self.nodes.pop_back();
        } else {
            n.buf.truncate(s);
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

    pub fn get(&self, i: usize) -> Option<&[u8]> {
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
        let end = read_fwd(&n.buf, p).2;
        let mut e = Vec::with_capacity(entry_size(v.len()));
        write_entry(&mut e, v);
        n.buf.splice(p..end, e);
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
        let mut e = Vec::with_capacity(entry_size(v.len()));
        write_entry(&mut e, v);
        n.buf.splice(p..p, e);
        n.count += 1;
        self.len += 1;
        self.fix_node(ni, lim);
        self.grown(lim);
    }

    /// Splits node `ni` if it went over the limit.
    fn fix_node(&mut self, ni: usize, lim: Limit) {
        let n = &self.nodes[ni];
        if n.count > 1 && (n.buf.len() > lim.bytes || n.count as usize > lim.count) {
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
                n.buf.truncate(off);
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
                n.buf.drain(..off);
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
                    if e == v {
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
                    if e == v {
                        drop[k] = true;
                        removed += 1;
                        any = true;
                    }
                }
            }
            if !any {
                continue;
            }
            let mut nb = Vec::with_capacity(n.buf.len());
            let mut cnt = 0u32;
            for (k, e) in n.iter().enumerate() {
                if !drop[k] {
                    write_entry(&mut nb, e);
                    cnt += 1;
                }
            }
            let n = &mut self.nodes[ni];
            n.buf = nb;
            n.count = cnt;
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
                if last.buf.len() + n.buf.len() <= lim.bytes
                    && (last.count + n.count) as usize <= lim.count
                {
                    last.buf.extend_from_slice(&n.buf);
                    last.count += n.count;
                    continue;
                }
            }
            out.push_back(n);
        }
        self.nodes = out;
    }

    /// Elements head to tail.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.nodes.iter().flat_map(|n| n.iter())
    }

    /// Elements from index `i` on, head to tail.
    pub fn iter_from(&self, i: usize) -> impl Iterator<Item = &[u8]> + '_ {
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
    pub fn iter_rev_from(&self, i: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let skip_back = self.len.saturating_sub(i + 1);
        self.iter().rev().skip(skip_back)
    }
}

/// Accessors other families (SORT, RDB, ...) rely on; keep them when changing the
/// representation.
impl ListValue {
    /// All elements, head to tail.
    pub fn members(&self) -> Vec<Sds> {
        self.iter().map(Sds::new).collect()
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
        let got: Vec<&[u8]> = l.iter().collect();
        let want: Vec<&[u8]> = m.iter().map(|v| v.as_slice()).collect();
        assert_eq!(got, want);
        let rev: Vec<&[u8]> = l.iter().rev().collect();
        let wrev: Vec<&[u8]> = m.iter().rev().map(|v| v.as_slice()).collect();
        assert_eq!(rev, wrev);
        for (i, v) in m.iter().enumerate() {
            assert_eq!(l.get(i), Some(v.as_slice()));
        }
        assert_eq!(
            l.nodes.iter().map(|n| n.count as usize).sum::<usize>(),
            l.len
        );
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
                let v: Vec<u8> = (0..len).map(|_| r.gen_range(b'a'..b'd')).collect();
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
                        let t: Vec<u8> = vec![b'a'; r.gen_range(0..2)];
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
                let a: Vec<&[u8]> = l.iter_from(i).collect();
                let b: Vec<&[u8]> = m.iter().skip(i).map(|v| v.as_slice()).collect();
                assert_eq!(a, b);
                let a: Vec<&[u8]> = l.iter_rev_from(i).collect();
                let b: Vec<&[u8]> = m.iter().take(i + 1).rev().map(|v| v.as_slice()).collect();
                assert_eq!(a, b);
            }
        }
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
