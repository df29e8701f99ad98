//! Sorted set values.
//!
//! Two encodings, as in Redis:
//! - `listpack` (small sets): one buffer of `[varint len][member][f64 score]` entries in
//!   (score, member) order, about Redis's listpack size; lookups are linear scans (at most
//!   `zset-max-listpack-entries` elements).
//! - `skiplist` (big sets; the name OBJECT ENCODING reports): an order-statistic structure
//!   plus a member index, all addressed by stable `u32` node ids:
//!   * `nodes`: a slab of (member, score, hash chain link, 32-bit hash); freed slots are
//!     reused and the slab is compacted when more than half of it is free;
//!   * `buckets`: a chained hash table of node ids (power-of-two size), scanned with
//!     Redis's reverse-binary cursor, so ZSCAN keeps its guarantees across resizes;
//!   * `blocks`: the (score, member) order as a list of sorted blocks of at most
//!     `BLOCK_MAX` entries (score copy + node id), with a Fenwick tree over the block
//!     sizes: rank lookups, rank-of-position and score/lex partition points are
//!     O(log n); an insert or delete moves at most `BLOCK_MAX` entries.
//!
//! A member is stored once (in its node); the order keeps only a score and a 4-byte id.

use super::sds::Sds;
use std::cmp::Ordering;

const NIL: u32 = u32::MAX;
/// Largest block; a full block splits in two halves.
const BLOCK_MAX: usize = 512;
/// Blocks built from sorted input are filled to this size.
const BLOCK_FILL: usize = 384;

/// The `zset-max-listpack-*` limits that decide the encoding.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 128,
            max_value: 64,
        }
    }
}

/// One end of a score range (`(1.5` is exclusive).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreBound {
    pub value: f64,
    pub exclusive: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: ScoreBound,
    pub max: ScoreBound,
}

/// One end of a lex range: `-`, `+`, `[member` or `(member`.
#[derive(Clone, Debug, PartialEq)]
pub enum LexBound {
    NegInf,
    PosInf,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

fn lex_gte_min(m: &[u8], b: &LexBound) -> bool {
    match b {
        LexBound::NegInf => true,
        LexBound::PosInf => false,
        LexBound::Incl(x) => m >= &x[..],
        LexBound::Excl(x) => m > &x[..],
    }
}

fn lex_lte_max(m: &[u8], b: &LexBound) -> bool {
    match b {
        LexBound::NegInf => false,
        LexBound::PosInf => true,
        LexBound::Incl(x) => m <= &x[..],
        LexBound::Excl(x) => m < &x[..],
    }
}

/// Redis's check that a lex range can contain anything.
fn lex_nonempty(r: &LexRange) -> bool {
    let key = |b: &LexBound| -> (u8, Vec<u8>) {
        match b {
            LexBound::NegInf => (0, Vec::new()),
            LexBound::Incl(x) | LexBound::Excl(x) => (1, x.clone()),
            LexBound::PosInf => (2, Vec::new()),
        }
    };
    // `-` and `+` count as exclusive, as in Redis's zslParseLexRangeItem.
    let excl = |b: &LexBound| !matches!(b, LexBound::Incl(_));
    match key(&r.min).cmp(&key(&r.max)) {
        Ordering::Greater => false,
        Ordering::Equal => !excl(&r.min) && !excl(&r.max),
        Ordering::Less => true,
    }
}

/// A predicate true on a prefix of the (score, member) order.
#[derive(Clone, Copy)]
enum Pred<'a> {
    ScoreLt(f64),
    ScoreLe(f64),
    LexLt(&'a [u8]),
    LexLe(&'a [u8]),
    /// (score, member) < the given key.
    KeyLt(f64, &'a [u8]),
}

impl Pred<'_> {
    #[inline]
    fn test<'m>(&self, score: f64, member: impl FnOnce() -> &'m [u8]) -> bool {
        match *self {
            Pred::ScoreLt(x) => score < x,
            Pred::ScoreLe(x) => score <= x,
            Pred::LexLt(m) => member() < m,
            Pred::LexLe(m) => member() <= m,
            Pred::KeyLt(s, m) => score < s || (score == s && member() < m),
        }
    }
}

/// Compares two (score, member) keys the way Redis orders a sorted set.
pub fn key_cmp(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    if s1 < s2 {
        Ordering::Less
    } else if s1 > s2 {
        Ordering::Greater
    } else {
        m1.cmp(m2)
    }
}

#[derive(Clone, Debug)]
pub struct ZSetValue {
    enc: Enc,
}

#[derive(Clone, Debug)]
enum Enc {
    Small(Packed),
    Big(Box<Big>),
}

/// The listpack encoding: entries `[varint member length][member][f64 score, LE]` back to
/// back in one buffer, sorted by (score, member); about Redis's listpack size per entry.
#[derive(Clone, Debug, Default)]
struct Packed {
    buf: Vec<u8>,
    n: usize,
}

#[inline]
fn varint_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// A score as Redis's listpack keeps it: an integral score is stored as an integer
/// (`zzlInsertAt`'s double2ll), so -0 comes back as 0 (a skiplist keeps -0).
#[inline]
fn listpack_score(score: f64) -> f64 {
    score + 0.0
}

impl Packed {
    /// Decodes the entry at byte offset `off`: (member, score, next offset).
    #[inline]
    fn entry(&self, off: usize) -> (&[u8], f64, usize) {
        let mut len = 0usize;
        let mut shift = 0;
        let mut i = off;
        loop {
            let b = self.buf[i];
            i += 1;
            len |= ((b & 0x7f) as usize) << shift;
            if b < 0x80 {
                break;
            }
            shift += 7;
        }
        let m = &self.buf[i..i + len];
        let sc = f64::from_le_bytes(self.buf[i + len..i + len + 8].try_into().unwrap());
        (m, sc, i + len + 8)
    }

    fn iter(&self) -> PackedIter<'_> {
        PackedIter { p: self, off: 0 }
    }

    /// All entries as (member, score) references.
    fn entries(&self) -> Vec<(&[u8], f64)> {
        let mut v = Vec::with_capacity(self.n);
        v.extend(self.iter().map(|(m, s, _)| (m, s)));
        v
    }

    /// Byte offset of the entry with rank `r` (the end offset when r == n).
    fn offset_of(&self, r: usize) -> usize {
        if r >= self.n {
            return self.buf.len();
        }
        self.iter()
            .nth(r)
            .map(|(_, _, off)| off)
            .unwrap_or(self.buf.len())
    }

    fn find(&self, member: &[u8]) -> Option<(usize, usize, f64)> {
        self.iter()
            .enumerate()
            .find(|(_, (m, _, _))| *m == member)
            .map(|(i, (_, s, off))| (i, off, s))
    }

    fn insert_sorted(&mut self, member: &[u8], score: f64) {
        let at = self
            .iter()
            .find(|(m, s, _)| !key_cmp(*s, m, score, member).is_lt())
            .map(|(_, _, off)| off)
            .unwrap_or(self.buf.len());
        let mut enc = Vec::with_capacity(varint_len(member.len()) + member.len() + 8);
        let mut v = member.len();
        while v >= 0x80 {
            enc.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        enc.push(v as u8);
        enc.extend_from_slice(member);
        enc.extend_from_slice(&listpack_score(score).to_le_bytes());
        self.buf.reserve_exact(enc.len());
        self.buf.splice(at..at, enc);
        self.n += 1;
    }

    fn remove_at(&mut self, off: usize) -> (Sds, f64) {
        let (m, s, next) = self.entry(off);
        let m = Sds::new(m);
        self.buf.drain(off..next);
        self.n -= 1;
        (m, s)
    }

    fn from_vec(v: &[(Sds, f64)]) -> Packed {
        let mut p = Packed::default();
        let bytes: usize = v
            .iter()
            .map(|(m, _)| varint_len(m.len()) + m.len() + 8)
            .sum();
        p.buf.reserve_exact(bytes);
        for (m, s) in v {
            let mut l = m.len();
            while l >= 0x80 {
                p.buf.push((l as u8 & 0x7f) | 0x80);
                l >>= 7;
            }
            p.buf.push(l as u8);
            p.buf.extend_from_slice(m);
            p.buf.extend_from_slice(&listpack_score(*s).to_le_bytes());
        }
        p.n = v.len();
        p
    }

    fn to_vec(&self) -> Vec<(Sds, f64)> {
        self.iter().map(|(m, s, _)| (Sds::new(m), s)).collect()
    }
}

/// Iterates (member, score, offset of this entry).
struct PackedIter<'a> {
    p: &'a Packed,
    off: usize,
}

impl<'a> Iterator for PackedIter<'a> {
    type Item = (&'a [u8], f64, usize);
    fn next(&mut self) -> Option<Self::Item> {
        if self.off >= self.p.buf.len() {
            return None;
        }
        let at = self.off;
        let (m, s, next) = self.p.entry(at);
        self.off = next;
        Some((m, s, at))
    }
}

impl Default for ZSetValue {
    fn default() -> Self {
        ZSetValue::new()
    }
}

impl ZSetValue {
    /// An empty listpack-encoded set.
    pub fn new() -> ZSetValue {
        ZSetValue {
            enc: Enc::Small(Packed::default()),
        }
    }

    /// An empty set whose encoding suits `n` elements of at most `max_len` bytes (Redis's
    /// zsetTypeCreate).
    pub fn with_hint(n: usize, max_len: usize, lim: &Limits) -> ZSetValue {
        if n > lim.max_entries || max_len > lim.max_value {
            ZSetValue {
                enc: Enc::Big(Box::new(Big::new())),
            }
        } else {
            ZSetValue::new()
        }
    }

    /// Builds a set from pairs sorted by (score, member) with unique members, choosing the
    /// encoding from the limits (as Redis's zsetConvertToListpackIfNeeded after a store).
    pub fn from_sorted(v: Vec<(Sds, f64)>, lim: &Limits) -> ZSetValue {
        let max_len = v.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        if v.len() <= lim.max_entries && max_len <= lim.max_value {
            ZSetValue {
                enc: Enc::Small(Packed::from_vec(&v)),
            }
        } else {
            ZSetValue {
                enc: Enc::Big(Box::new(Big::from_sorted(v))),
            }
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self.enc {
            Enc::Small(_) => "listpack",
            Enc::Big(_) => "skiplist",
        }
    }

    /// Switches a listpack-encoded set to the skiplist encoding (no-op otherwise).
    pub fn convert_to_skiplist(&mut self) {
        if let Enc::Small(p) = &self.enc {
            let v = p.to_vec();
            self.enc = Enc::Big(Box::new(Big::from_sorted(v)));
        }
    }

    pub fn is_listpack(&self) -> bool {
        matches!(self.enc, Enc::Small(_))
    }

    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Small(p) => p.n,
            Enc::Big(b) => b.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.enc {
            Enc::Small(p) => p.find(member).map(|(_, _, s)| s),
            Enc::Big(b) => b.find(member).map(|id| b.nodes[id as usize].score),
        }
    }

    /// Sets `member`'s score, adding it if absent; returns true if it was added. Converts
    /// to the skiplist encoding when the listpack limits are crossed.
    pub fn insert(&mut self, member: &[u8], score: f64, lim: &Limits) -> bool {
        if let Enc::Small(p) = &mut self.enc {
            if let Some((_, off, old)) = p.find(member) {
                if old == score {
                    return false;
                }
                p.remove_at(off);
                p.insert_sorted(member, score);
                return false;
            }
            if p.n < lim.max_entries && member.len() <= lim.max_value {
                p.insert_sorted(member, score);
                return true;
            }
            let v = p.to_vec();
            self.enc = Enc::Big(Box::new(Big::from_sorted(v)));
        }
        match &mut self.enc {
            Enc::Big(b) => b.insert(member, score),
            Enc::Small(_) => unreachable!(),
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.enc {
            Enc::Small(p) => {
                let (_, off, _) = p.find(member)?;
                Some(p.remove_at(off).1)
            }
            Enc::Big(b) => b.remove(member),
        }
    }

    /// 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match &self.enc {
            Enc::Small(p) => p.find(member).map(|(i, _, _)| i),
            Enc::Big(b) => {
                let id = b.find(member)?;
                let score = b.nodes[id as usize].score;
                Some(b.partition(Pred::KeyLt(score, member)))
            }
        }
    }

    /// The element at ascending rank `r` (< len).
    pub fn get(&self, r: usize) -> (&[u8], f64) {
        match &self.enc {
            Enc::Small(p) => {
                let (m, s, _) = p.entry(p.offset_of(r));
                (m, s)
            }
            Enc::Big(b) => {
                let (bi, i) = b.at(r);
                let blk = &b.blocks[bi];
                (b.member(blk.ids[i]), blk.scores[i])
            }
        }
    }

    fn partition(&self, p: Pred) -> usize {
        match &self.enc {
            Enc::Small(v) => v
                .iter()
                .position(|(m, s, _)| !p.test(s, || m))
                .unwrap_or(v.n),
            Enc::Big(b) => b.partition(p),
        }
    }

    /// The ranks `lo..hi` of the elements inside a score range (empty if hi <= lo).
    pub fn score_ranks(&self, r: &ScoreRange) -> (usize, usize) {
        let lo = self.partition(if r.min.exclusive {
            Pred::ScoreLe(r.min.value)
        } else {
            Pred::ScoreLt(r.min.value)
        });
        let hi = self.partition(if r.max.exclusive {
            Pred::ScoreLt(r.max.value)
        } else {
            Pred::ScoreLe(r.max.value)
        });
        (lo, hi.max(lo))
    }

    /// The ranks `lo..hi` of the elements inside a lex range, found as Redis walks forward
    /// (first element >= min, then on while <= max). Meaningful when all scores are
    /// equal; with mixed scores the listpack encoding gives Redis's exact answer.
    pub fn lex_ranks(&self, r: &LexRange) -> (usize, usize) {
        self.lex_ranks_dir(r, false)
    }

    /// As `lex_ranks`, but found as Redis walks backward (ZREVRANGEBYLEX).
    pub fn lex_ranks_rev(&self, r: &LexRange) -> (usize, usize) {
        self.lex_ranks_dir(r, true)
    }

    fn lex_ranks_dir(&self, r: &LexRange, rev: bool) -> (usize, usize) {
        let n = self.len();
        if n == 0 || !lex_nonempty(r) {
            return (0, 0);
        }
        // Redis's zslIsInLexRange: the last element must be >= min, the first <= max.
        if !lex_gte_min(self.get(n - 1).0, &r.min) || !lex_lte_max(self.get(0).0, &r.max) {
            return (0, 0);
        }
        match &self.enc {
            Enc::Small(p) => {
                let v = p.entries();
                if !rev {
                    let Some(lo) = v.iter().position(|(m, _)| lex_gte_min(m, &r.min)) else {
                        return (0, 0);
                    };
                    let mut hi = lo;
                    while hi < n && lex_lte_max(v[hi].0, &r.max) {
                        hi += 1;
                    }
                    (lo, hi)
                } else {
                    let Some(last) = v.iter().rposition(|(m, _)| lex_lte_max(m, &r.max)) else {
                        return (0, 0);
                    };
                    let mut lo = last + 1;
                    while lo > 0 && lex_gte_min(v[lo - 1].0, &r.min) {
                        lo -= 1;
                    }
                    (lo, last + 1)
                }
            }
            Enc::Big(_) => {
                let lo = match &r.min {
                    LexBound::NegInf => 0,
                    LexBound::PosInf => n,
                    LexBound::Incl(m) => self.partition(Pred::LexLt(m)),
                    LexBound::Excl(m) => self.partition(Pred::LexLe(m)),
                };
                let hi = match &r.max {
                    LexBound::NegInf => 0,
                    LexBound::PosInf => n,
                    LexBound::Incl(m) => self.partition(Pred::LexLe(m)),
                    LexBound::Excl(m) => self.partition(Pred::LexLt(m)),
                };
                (lo, hi.max(lo))
            }
        }
    }

    /// Calls `f` on the elements with ranks `start..end`, ascending or (rev) descending.
    pub fn walk(&self, start: usize, end: usize, rev: bool, mut f: impl FnMut(&[u8], f64)) {
        let end = end.min(self.len());
        if start >= end {
            return;
        }
        match &self.enc {
            Enc::Small(p) => {
                if rev {
                    for (m, s) in p.entries()[start..end].iter().rev() {
                        f(m, *s);
                    }
                } else {
                    for (m, s, _) in p.iter().skip(start).take(end - start) {
                        f(m, s);
                    }
                }
            }
            Enc::Big(b) => b.walk(start, end, rev, f),
        }
    }

    /// Removes the elements with ranks `start..end` and returns them in ascending order.
    pub fn remove_range(&mut self, start: usize, end: usize) -> Vec<(Sds, f64)> {
        let end = end.min(self.len());
        if start >= end {
            return Vec::new();
        }
        match &mut self.enc {
            Enc::Small(p) => {
                let a = p.offset_of(start);
                let b = p.offset_of(end);
                let out: Vec<(Sds, f64)> = PackedIter { p, off: a }
                    .take(end - start)
                    .map(|(m, s, _)| (Sds::new(m), s))
                    .collect();
                p.buf.drain(a..b);
                p.n -= end - start;
                out
            }
            Enc::Big(b) => b.remove_range(start, end),
        }
    }

    /// One ZSCAN step. The listpack encoding returns everything with cursor 0 (as Redis);
    /// the skiplist encoding visits one hash bucket per call of `f`'s batch.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], f64)) -> u64 {
        match &self.enc {
            Enc::Small(p) => {
                for (m, s, _) in p.iter() {
                    f(m, s);
                }
                0
            }
            Enc::Big(b) => {
                let mut cursor = cursor;
                let mut visited = 0;
                let mut steps = count.max(1) * 10;
                loop {
                    cursor = b.scan_bucket(cursor, |m, s| {
                        visited += 1;
                        f(m, s)
                    });
                    steps -= 1;
                    if cursor == 0 || visited >= count || steps == 0 {
                        break;
                    }
                }
                cursor
            }
        }
    }

    /// Approximate heap bytes (for MEMORY USAGE-style estimates).
    pub fn heap_size(&self) -> usize {
        match &self.enc {
            Enc::Small(p) => p.buf.capacity(),
            Enc::Big(b) => {
                b.nodes.capacity() * std::mem::size_of::<Node>()
                    + b.buckets.capacity() * 4
                    + b.blocks
                        .iter()
                        .map(|k| k.ids.capacity() * 12)
                        .sum::<usize>()
                    + b.nodes.iter().map(|n| n.member.heap_size()).sum::<usize>()
            }
        }
    }
}

/// Accessors other families (SORT, RDB, ...) rely on; keep them when changing the
/// representation.
impl ZSetValue {
    /// All (member, score) pairs by ascending score, then member.
    pub fn members(&self) -> Vec<(Sds, f64)> {
        let mut v = Vec::with_capacity(self.len());
        self.walk(0, self.len(), false, |m, s| v.push((Sds::new(m), s)));
        v
    }
}

#[derive(Clone, Debug)]
struct Node {
    member: Sds,
    score: f64,
    /// Next node in the hash chain, or the next free slot.
    next: u32,
    hash: u32,
}

#[derive(Clone, Debug, Default)]
struct Block {
    scores: Vec<f64>,
    ids: Vec<u32>,
}

impl Block {
    fn len(&self) -> usize {
        self.ids.len()
    }
}

#[derive(Clone, Debug)]
struct Big {
    nodes: Vec<Node>,
    free: u32,
    nfree: usize,
    buckets: Vec<u32>,
    len: usize,
    blocks: Vec<Block>,
    /// Fenwick tree over block sizes (1-based).
    fen: Vec<usize>,
}

#[inline]
fn hash32(m: &[u8]) -> u32 {
    super::hash_bytes(m) as u32
}

impl Big {
    fn new() -> Big {
        Big {
            nodes: Vec::new(),
            free: NIL,
            nfree: 0,
            buckets: Vec::new(),
            len: 0,
            blocks: Vec::new(),
            fen: vec![0],
        }
    }

    fn from_sorted(v: Vec<(Sds, f64)>) -> Big {
        let mut b = Big::new();
        b.nodes.reserve_exact(v.len());
        let mut blk = Block::default();
        for (m, s) in v {
            let id = b.nodes.len() as u32;
            let hash = hash32(&m);
            b.nodes.push(Node {
                member: m,
                score: s,
                next: NIL,
                hash,
            });
            if blk.len() == BLOCK_FILL {
                b.blocks.push(std::mem::take(&mut blk));
            }
            blk.scores.push(s);
            blk.ids.push(id);
        }
        if blk.len() > 0 {
            b.blocks.push(blk);
        }
        b.len = b.nodes.len();
        b.rehash(b.len.next_power_of_two().max(4));
        b.fen_build();
        b
    }

    #[inline]
    fn member(&self, id: u32) -> &[u8] {
        &self.nodes[id as usize].member
    }

    // ---- hash index ----

    fn find(&self, m: &[u8]) -> Option<u32> {
        if self.buckets.is_empty() {
            return None;
        }
        let h = hash32(m);
        let mut id = self.buckets[(h as usize) & (self.buckets.len() - 1)];
        while id != NIL {
            let n = &self.nodes[id as usize];
            if n.hash == h && &n.member[..] == m {
                return Some(id);
            }
            id = n.next;
        }
        None
    }

    fn rehash(&mut self, size: usize) {
        let mut buckets = vec![NIL; size];
        let mask = size - 1;
        for blk in &self.blocks {
            for &id in &blk.ids {
                let n = &mut self.nodes[id as usize];
                let i = (n.hash as usize) & mask;
                n.next = buckets[i];
                buckets[i] = id;
            }
        }
        self.buckets = buckets;
    }

    fn hash_link(&mut self, id: u32) {
        if self.len >= self.buckets.len() {
            // Grow first (relinks every node currently in the order; `id` isn't in it yet).
            let size = (self.len + 1).next_power_of_two().max(4);
            self.rehash(size);
        }
        let mask = self.buckets.len() - 1;
        let i = (self.nodes[id as usize].hash as usize) & mask;
        self.nodes[id as usize].next = self.buckets[i];
        self.buckets[i] = id;
    }

    fn hash_unlink(&mut self, id: u32) {
        let mask = self.buckets.len() - 1;
        let i = (self.nodes[id as usize].hash as usize) & mask;
        let next = self.nodes[id as usize].next;
        if self.buckets[i] == id {
            self.buckets[i] = next;
            return;
        }
        let mut cur = self.buckets[i];
        while cur != NIL {
            let n = self.nodes[cur as usize].next;
            if n == id {
                self.nodes[cur as usize].next = next;
                return;
            }
            cur = n;
        }
        unreachable!("zset node missing from its hash chain");
    }

    fn scan_bucket(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut id = self.buckets[(cursor & mask) as usize];
        while id != NIL {
            let n = &self.nodes[id as usize];
            f(&n.member, n.score);
            id = n.next;
        }
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    // ---- slab ----

    fn alloc(&mut self, member: &[u8], score: f64) -> u32 {
        let node = Node {
            member: Sds::new(member),
            score,
            next: NIL,
            hash: hash32(member),
        };
        if self.free != NIL {
            let id = self.free;
            self.free = self.nodes[id as usize].next;
            self.nfree -= 1;
            self.nodes[id as usize] = node;
            id
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        }
    }

    fn release(&mut self, id: u32) -> Sds {
        let n = &mut self.nodes[id as usize];
        let m = std::mem::replace(&mut n.member, Sds::empty());
        n.next = self.free;
        self.free = id;
        self.nfree += 1;
        m
    }

    /// Renumbers nodes in order, dropping free slots, when most of the slab is free; also
    /// shrinks the hash table like Redis's dict does.
    fn maybe_compact(&mut self) {
        if self.nfree > 64 && self.nfree > self.len {
            let mut nodes = Vec::with_capacity(self.len);
            for blk in &mut self.blocks {
                for id in blk.ids.iter_mut() {
                    let n = &mut self.nodes[*id as usize];
                    nodes.push(Node {
                        member: std::mem::replace(&mut n.member, Sds::empty()),
                        score: n.score,
                        next: NIL,
                        hash: n.hash,
                    });
                    *id = (nodes.len() - 1) as u32;
                }
            }
            self.nodes = nodes;
            self.free = NIL;
            self.nfree = 0;
            self.rehash(self.len.next_power_of_two().max(4));
        } else if self.buckets.len() > 4 && self.len * 8 < self.buckets.len() {
            self.rehash(self.len.next_power_of_two().max(4));
        }
    }

    // ---- order ----

    fn fen_build(&mut self) {
        let n = self.blocks.len();
        self.fen.clear();
        self.fen.resize(n + 1, 0);
        for i in 1..=n {
            self.fen[i] += self.blocks[i - 1].len();
            let j = i + (i & i.wrapping_neg());
            if j <= n {
                let v = self.fen[i];
                self.fen[j] += v;
            }
        }
    }

    fn fen_add(&mut self, b: usize, delta: isize) {
        let n = self.blocks.len();
        let mut i = b + 1;
        while i <= n {
            self.fen[i] = self.fen[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Number of elements in blocks `0..b`.
    fn fen_prefix(&self, b: usize) -> usize {
        let mut i = b;
        let mut s = 0;
        while i > 0 {
            s += self.fen[i];
            i -= i & i.wrapping_neg();
        }
        s
    }

    /// (block, offset) of rank `r` (< len).
    fn at(&self, r: usize) -> (usize, usize) {
        let n = self.blocks.len();
        let mut pos = 0;
        let mut rem = r;
        let mut step = if n == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        while step > 0 {
            if pos + step <= n && self.fen[pos + step] <= rem {
                pos += step;
                rem -= self.fen[pos];
            }
            step >>= 1;
        }
        (pos, rem)
    }

    /// (block, offset) of the first element failing `p`; (last block, its len) if none.
    fn locate(&self, p: Pred) -> (usize, usize) {
        let b = self.blocks.partition_point(|blk| {
            let i = blk.len() - 1;
            p.test(blk.scores[i], || self.member(blk.ids[i]))
        });
        if b == self.blocks.len() {
            return match self.blocks.last() {
                Some(l) => (b - 1, l.len()),
                None => (0, 0),
            };
        }
        let blk = &self.blocks[b];
        let mut lo = 0;
        let mut hi = blk.len();
        while lo < hi {
            let mid = (lo + hi) / 2;
            if p.test(blk.scores[mid], || self.member(blk.ids[mid])) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (b, lo)
    }

    fn partition(&self, p: Pred) -> usize {
        if self.blocks.is_empty() {
            return 0;
        }
        let (b, i) = self.locate(p);
        self.fen_prefix(b) + i
    }

    fn order_insert(&mut self, id: u32, score: f64) {
        if self.blocks.is_empty() {
            self.blocks.push(Block {
                scores: vec![score],
                ids: vec![id],
            });
            self.fen_build();
            return;
        }
        let m = self.member(id);
        let (b, i) = self.locate(Pred::KeyLt(score, m));
        let blk = &mut self.blocks[b];
        blk.scores.insert(i, score);
        blk.ids.insert(i, id);
        if blk.len() > BLOCK_MAX {
            let half = blk.len() / 2;
            let tail = Block {
                scores: blk.scores.split_off(half),
                ids: blk.ids.split_off(half),
            };
            blk.scores.shrink_to(BLOCK_MAX);
            blk.ids.shrink_to(BLOCK_MAX);
            self.blocks.insert(b + 1, tail);
            self.fen_build();
        } else {
            self.fen_add(b, 1);
        }
    }

    fn order_remove(&mut self, id: u32, score: f64) {
        let m = self.member(id);
        let (b, i) = self.locate(Pred::KeyLt(score, m));
        debug_assert_eq!(self.blocks[b].ids[i], id);
        let blk = &mut self.blocks[b];
        blk.scores.remove(i);
        blk.ids.remove(i);
        let l = blk.len();
        if l == 0 {
            self.blocks.remove(b);
            self.fen_build();
        } else if l < BLOCK_MAX / 8 && self.try_merge(b) {
            self.fen_build();
        } else {
            self.fen_add(b, -1);
        }
    }

    /// Merges block `b` with a neighbour if both are small. Returns whether it did.
    fn try_merge(&mut self, b: usize) -> bool {
        let l = self.blocks[b].len();
        let (left, right) =
            if b + 1 < self.blocks.len() && l + self.blocks[b + 1].len() <= BLOCK_MAX / 2 {
                (b, b + 1)
            } else if b > 0 && l + self.blocks[b - 1].len() <= BLOCK_MAX / 2 {
                (b - 1, b)
            } else {
                return false;
            };
        let r = self.blocks.remove(right);
        let lb = &mut self.blocks[left];
        lb.scores.extend_from_slice(&r.scores);
        lb.ids.extend_from_slice(&r.ids);
        true
    }

    fn insert(&mut self, member: &[u8], score: f64) -> bool {
        if let Some(id) = self.find(member) {
            let old = self.nodes[id as usize].score;
            if old == score {
                return false;
            }
            self.order_remove(id, old);
            self.nodes[id as usize].score = score;
            self.order_insert(id, score);
            return false;
        }
        let id = self.alloc(member, score);
        // Link before entering the order: a rehash relinks the nodes found in the order.
        self.hash_link(id);
        self.order_insert(id, score);
        self.len += 1;
        true
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let id = self.find(member)?;
        let score = self.nodes[id as usize].score;
        self.order_remove(id, score);
        self.hash_unlink(id);
        self.release(id);
        self.len -= 1;
        self.maybe_compact();
        Some(score)
    }

    fn walk(&self, start: usize, end: usize, rev: bool, mut f: impl FnMut(&[u8], f64)) {
        let mut left = end - start;
        if !rev {
            let (mut b, mut i) = self.at(start);
            while left > 0 {
                let blk = &self.blocks[b];
                while i < blk.len() && left > 0 {
                    f(self.member(blk.ids[i]), blk.scores[i]);
                    i += 1;
                    left -= 1;
                }
                b += 1;
                i = 0;
            }
        } else {
            let (mut b, i) = self.at(end - 1);
            let mut i = i as isize;
            while left > 0 {
                let blk = &self.blocks[b];
                while i >= 0 && left > 0 {
                    f(self.member(blk.ids[i as usize]), blk.scores[i as usize]);
                    i -= 1;
                    left -= 1;
                }
                if b == 0 {
                    break;
                }
                b -= 1;
                i = self.blocks[b].len() as isize - 1;
            }
        }
    }

    fn remove_range(&mut self, start: usize, end: usize) -> Vec<(Sds, f64)> {
        let mut out = Vec::with_capacity(end - start);
        let (mut b, mut i) = self.at(start);
        let mut left = end - start;
        let mut emptied = false;
        let mut touched: smallvec::SmallVec<[(usize, usize); 4]> = smallvec::SmallVec::new();
        while left > 0 {
            let take = left.min(self.blocks[b].len() - i);
            for j in i..i + take {
                let (id, s) = (self.blocks[b].ids[j], self.blocks[b].scores[j]);
                self.hash_unlink(id);
                let m = self.release(id);
                out.push((m, s));
            }
            self.blocks[b].ids.drain(i..i + take);
            self.blocks[b].scores.drain(i..i + take);
            if self.blocks[b].len() == 0 {
                emptied = true;
            }
            touched.push((b, take));
            left -= take;
            b += 1;
            i = 0;
        }
        self.len -= out.len();
        if emptied {
            self.blocks.retain(|k| k.len() > 0);
            self.fen_build();
        } else {
            for (b, n) in touched {
                self.fen_add(b, -(n as isize));
            }
        }
        self.maybe_compact();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: deterministic, good enough for test sequences.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545F4914F6CDD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// The model: a sorted Vec.
    #[derive(Default)]
    struct Model(Vec<(Vec<u8>, f64)>);
    impl Model {
        fn sort(&mut self) {
            self.0.sort_by(|a, b| key_cmp(a.1, &a.0, b.1, &b.0));
        }
        fn insert(&mut self, m: &[u8], s: f64) -> bool {
            let added = match self.0.iter_mut().find(|(mm, _)| mm == m) {
                Some(e) => {
                    e.1 = s;
                    false
                }
                None => {
                    self.0.push((m.to_vec(), s));
                    true
                }
            };
            self.sort();
            added
        }
        fn remove(&mut self, m: &[u8]) -> Option<f64> {
            let p = self.0.iter().position(|(mm, _)| mm == m)?;
            Some(self.0.remove(p).1)
        }
        fn in_score(&self, r: &ScoreRange, s: f64) -> bool {
            (if r.min.exclusive {
                s > r.min.value
            } else {
                s >= r.min.value
            }) && (if r.max.exclusive {
                s < r.max.value
            } else {
                s <= r.max.value
            })
        }
        fn in_lex(&self, r: &LexRange, m: &[u8]) -> bool {
            let lo = match &r.min {
                LexBound::NegInf => true,
                LexBound::PosInf => false,
                LexBound::Incl(x) => m >= &x[..],
                LexBound::Excl(x) => m > &x[..],
            };
            let hi = match &r.max {
                LexBound::NegInf => false,
                LexBound::PosInf => true,
                LexBound::Incl(x) => m <= &x[..],
                LexBound::Excl(x) => m < &x[..],
            };
            lo && hi
        }
    }

    fn all(z: &ZSetValue) -> Vec<(Vec<u8>, f64)> {
        let mut v = Vec::new();
        z.walk(0, z.len(), false, |m, s| v.push((m.to_vec(), s)));
        v
    }

    fn check_ranges(z: &ZSetValue, model: &Model, rng: &mut Rng, lex_only: bool) {
        let n = model.0.len();
        // Rank ranges, both directions.
        if n > 0 {
            let a = rng.below(n as u64) as usize;
            let b = a + rng.below((n - a) as u64 + 3) as usize;
            let mut fw = Vec::new();
            z.walk(a, b, false, |m, s| fw.push((m.to_vec(), s)));
            assert_eq!(fw, model.0[a..b.min(n)].to_vec());
            let mut bw = Vec::new();
            z.walk(a, b, true, |m, s| bw.push((m.to_vec(), s)));
            let mut exp = model.0[a..b.min(n)].to_vec();
            exp.reverse();
            assert_eq!(bw, exp);
            let r = rng.below(n as u64) as usize;
            let (m, s) = z.get(r);
            assert_eq!((m.to_vec(), s), model.0[r].clone());
            assert_eq!(z.rank(&model.0[r].0), Some(r));
        }
        // Score ranges.
        let pick = |rng: &mut Rng| -> f64 {
            match rng.below(6) {
                0 => f64::NEG_INFINITY,
                1 => f64::INFINITY,
                _ => (rng.below(200) as f64 - 100.0) / 4.0,
            }
        };
        let sr = ScoreRange {
            min: ScoreBound {
                value: pick(rng),
                exclusive: rng.below(2) == 0,
            },
            max: ScoreBound {
                value: pick(rng),
                exclusive: rng.below(2) == 0,
            },
        };
        let (lo, hi) = z.score_ranks(&sr);
        let exp: Vec<_> = model
            .0
            .iter()
            .filter(|(_, s)| model.in_score(&sr, *s))
            .cloned()
            .collect();
        let mut got = Vec::new();
        z.walk(lo, hi, false, |m, s| got.push((m.to_vec(), s)));
        assert_eq!(got, exp, "score range {sr:?}");
        // Lex ranges (meaningful with equal scores).
        if lex_only {
            let pickl = |rng: &mut Rng| -> LexBound {
                let m = format!("m{}", rng.below(300)).into_bytes();
                match rng.below(6) {
                    0 => LexBound::NegInf,
                    1 => LexBound::PosInf,
                    2 | 3 => LexBound::Incl(m),
                    _ => LexBound::Excl(m),
                }
            };
            let lr = LexRange {
                min: pickl(rng),
                max: pickl(rng),
            };
            let (lo, hi) = z.lex_ranks(&lr);
            let exp: Vec<_> = model
                .0
                .iter()
                .filter(|(m, _)| model.in_lex(&lr, m))
                .cloned()
                .collect();
            let mut got = Vec::new();
            z.walk(lo, hi, false, |m, s| got.push((m.to_vec(), s)));
            assert_eq!(got, exp, "lex range {lr:?}");
        }
    }

    fn run(seed: u64, ops: usize, universe: u64, lex_only: bool, lim: Limits) {
        let mut rng = Rng(seed);
        let mut z = ZSetValue::new();
        let mut model = Model::default();
        let mut saw_big = false;
        for step in 0..ops {
            let m = format!("m{}", rng.below(universe)).into_bytes();
            let score = if lex_only {
                0.0
            } else {
                (rng.below(80) as f64 - 40.0) / 2.0
            };
            match rng.below(10) {
                0..=4 => assert_eq!(z.insert(&m, score, &lim), model.insert(&m, score)),
                5 | 6 => assert_eq!(z.remove(&m), model.remove(&m)),
                7 => {
                    // ZINCRBY
                    let old = model.0.iter().find(|(mm, _)| *mm == m).map(|x| x.1);
                    let new = old.unwrap_or(0.0) + score;
                    z.insert(&m, new, &lim);
                    model.insert(&m, new);
                }
                8 => {
                    // ZREMRANGEBYRANK / BYSCORE / BYLEX on a small slice
                    let n = model.0.len();
                    if n > 0 {
                        let (a, b) = match rng.below(3) {
                            0 => {
                                let a = rng.below(n as u64) as usize;
                                (a, (a + rng.below(8) as usize + 1).min(n))
                            }
                            1 => {
                                let x = (rng.below(80) as f64 - 40.0) / 2.0;
                                z.score_ranks(&ScoreRange {
                                    min: ScoreBound {
                                        value: x,
                                        exclusive: false,
                                    },
                                    max: ScoreBound {
                                        value: x + 0.5,
                                        exclusive: true,
                                    },
                                })
                            }
                            _ => {
                                let x = format!("m{}", rng.below(universe)).into_bytes();
                                let mut y = x.clone();
                                y.push(b'5');
                                z.lex_ranks(&LexRange {
                                    min: LexBound::Incl(x),
                                    max: LexBound::Excl(y),
                                })
                            }
                        };
                        let removed = z.remove_range(a, b);
                        let exp: Vec<_> = model.0.drain(a..b).collect();
                        let removed: Vec<_> =
                            removed.into_iter().map(|(m, s)| (m.to_vec(), s)).collect();
                        assert_eq!(removed, exp);
                    }
                }
                _ => check_ranges(&z, &model, &mut rng, lex_only),
            }
            assert_eq!(z.len(), model.0.len(), "step {step}");
            if !z.is_listpack() {
                saw_big = true;
            }
            if step % 97 == 0 {
                assert_eq!(all(&z), model.0);
                for (m, s) in &model.0 {
                    assert_eq!(z.score(m), Some(*s));
                }
            }
        }
        assert_eq!(all(&z), model.0);
        assert!(saw_big || universe <= lim.max_entries as u64);
    }

    #[test]
    fn model_small_universe() {
        run(
            7,
            20000,
            150,
            false,
            Limits {
                max_entries: 64,
                max_value: 64,
            },
        );
    }

    #[test]
    fn model_big_universe() {
        run(
            11,
            20000,
            3000,
            false,
            Limits {
                max_entries: 16,
                max_value: 64,
            },
        );
    }

    #[test]
    fn model_lex() {
        run(13, 15000, 2000, true, Limits::default());
    }

    #[test]
    fn many_blocks() {
        let lim = Limits::default();
        let mut z = ZSetValue::new();
        let mut rng = Rng(5);
        let mut model = Model::default();
        for i in 0..20000u64 {
            let m = format!("k{i}").into_bytes();
            let s = rng.below(1000) as f64;
            z.insert(&m, s, &lim);
            model.0.push((m, s));
        }
        model.sort();
        assert_eq!(all(&z), model.0);
        for _ in 0..200 {
            check_ranges(&z, &model, &mut rng, false);
        }
        // Pop from both ends until nearly empty: exercises merges and compaction.
        while z.len() > 10 {
            let n = z.len();
            let front = z.remove_range(0, 37.min(n));
            let exp: Vec<_> = model.0.drain(0..37.min(n)).collect();
            assert_eq!(
                front
                    .into_iter()
                    .map(|(m, s)| (m.to_vec(), s))
                    .collect::<Vec<_>>(),
                exp
            );
            let n = z.len();
            if n == 0 {
                break;
            }
            let (m, _) = z.get(n - 1);
            let m = m.to_vec();
            z.remove(&m);
            model.0.pop();
            if z.len().is_multiple_of(7) {
                check_ranges(&z, &model, &mut rng, false);
            }
        }
        assert_eq!(all(&z), model.0);
    }

    #[test]
    fn scan_sees_everything() {
        let lim = Limits::default();
        let mut z = ZSetValue::new();
        for i in 0..1000 {
            z.insert(format!("x{i}").as_bytes(), i as f64, &lim);
        }
        let mut seen = std::collections::HashSet::new();
        let mut c = 0;
        loop {
            c = z.scan(c, 10, |m, _| {
                seen.insert(m.to_vec());
            });
            if c == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
    }
}
