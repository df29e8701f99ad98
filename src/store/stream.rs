//! Stream values: entries packed into nodes, consumer groups with their pending lists.
//!
//! Like Redis's radix tree of listpacks, entries live in nodes keyed by their first ("master")
//! ID in a `BTreeMap`. A node is one byte buffer holding up to `stream-node-max-entries`
//! entries (or `stream-node-max-bytes` bytes). The node starts with the field names of its
//! first entry; an entry with the same field names stores only its values. IDs are stored as
//! varint deltas from the master ID. So appending is amortized O(1), a range read is
//! O(log n + returned), and a small entry costs a dozen bytes.
//!
//! Entry layout inside a node buffer (after the master header `nfields, name*`):
//! `ms delta << 2 | own-fields flag` (or `2 | flag, ms delta` for huge deltas), `seq` (delta from the master's seq when the ms delta
//! is 0, else absolute), then either `value*` (the master's fields) or
//! `nfields, (field, value)*`. A string is `len << 1` + bytes; a canonical integer is
//! stored as `zigzag << 1 | 1` alone. All integers are LEB128 varints.

use super::sds::Sds;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A stream entry ID: `<ms>-<seq>`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID (None on overflow), as Redis's streamIncrID.
    pub fn incr(self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                None
            } else {
                Some(StreamId::new(self.ms + 1, 0))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous ID (None on underflow), as Redis's streamDecrID.
    pub fn decr(self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                None
            } else {
                Some(StreamId::new(self.ms - 1, u64::MAX))
            }
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl fmt::Debug for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// The "invalid" value of a group's entries-read counter (Redis's SCG_INVALID_ENTRIES_READ).
pub const INVALID_ENTRIES_READ: i64 = -1;

/// A pending (delivered, not yet acknowledged) entry of a consumer group.
#[derive(Clone, Debug)]
pub struct Nack {
    pub delivery_time: u64,
    pub delivery_count: u64,
    pub consumer: Sds,
}

#[derive(Clone, Debug)]
pub struct Consumer {
    /// Last attempted interaction (Unix ms).
    pub seen_time: u64,
    /// Last successful interaction (Unix ms), -1 if never.
    pub active_time: i64,
    /// IDs of this consumer's pending entries.
    pub pel: BTreeSet<StreamId>,
}

impl Consumer {
    pub fn new(now: u64) -> Consumer {
        Consumer {
            seen_time: now,
            active_time: -1,
            pel: BTreeSet::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Group {
    pub last_id: StreamId,
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Sds, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Removes a pending entry from the group and its consumer's list.
    pub fn remove_nack(&mut self, id: StreamId) -> Option<Nack> {
        let n = self.pel.remove(&id)?;
        if let Some(c) = self.consumers.get_mut(&n.consumer) {
            c.pel.remove(&id);
        }
        Some(n)
    }

    /// Assigns a pending entry to `consumer` (creating the NACK if needed).
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], now: u64) {
        let old = self.pel.get(&id).map(|n| n.consumer.clone());
        if let Some(o) = old {
            if let Some(c) = self.consumers.get_mut(&o) {
                c.pel.remove(&id);
            }
        }
        self.pel.insert(
            id,
            Nack {
                delivery_time: now,
                delivery_count: 1,
                consumer: Sds::new(consumer),
            },
        );
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }
}

/// A field or value of an entry, borrowed from its node: bytes, or an integer that was
/// stored compactly (a canonical decimal string, given back as the same text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val<'a> {
    Bytes(&'a [u8]),
    Int(i64),
}

impl Val<'_> {
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Val::Bytes(b) => b.to_vec(),
            Val::Int(i) => i.to_string().into_bytes(),
        }
    }

    pub fn to_bytes(&self) -> bytes::Bytes {
        match self {
            Val::Bytes(b) => bytes::Bytes::copy_from_slice(b),
            Val::Int(i) => bytes::Bytes::from(i.to_string()),
        }
    }

    fn eq_bytes(&self, o: &[u8]) -> bool {
        match self {
            Val::Bytes(b) => *b == o,
            Val::Int(i) => crate::util::parse_i64(o) == Some(*i),
        }
    }
}

/// Fields and values of one entry, borrowed from its node.
pub type Fields<'a> = Vec<(Val<'a>, Val<'a>)>;

#[derive(Clone, Debug, Default)]
struct Node {
    buf: Vec<u8>,
    /// Live entries.
    live: u32,
    /// Entries ever appended (live + deleted): decides when the node is full, as Redis
    /// counts deleted entries too.
    added: u32,
    /// Length of the master header.
    hdr: u32,
    /// ID of the last entry appended, even if deleted since (Redis keeps deleted entries
    /// in the listpack, and approximate MINID trimming looks at the last one).
    last_added: StreamId,
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

#[inline]
fn get_varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut v: u64 = 0;
    let mut shift = 0;
    loop {
        let b = buf[*pos];
        *pos += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

/// A string is stored as `varint(len << 1)` + bytes, except a canonical integer that fits
/// in 62 bits, stored as `varint(zigzag(i) << 1 | 1)` (like listpack's integer encodings).
fn put_val(buf: &mut Vec<u8>, v: &[u8]) {
    if v.len() <= 19 {
        if let Some(i) = crate::util::parse_i64(v) {
            if (-(1i64 << 61)..(1i64 << 61)).contains(&i) {
                let z = ((i << 1) ^ (i >> 63)) as u64;
                put_varint(buf, (z << 1) | 1);
                return;
            }
        }
    }
    put_varint(buf, (v.len() as u64) << 1);
    buf.extend_from_slice(v);
}

#[inline]
fn get_val<'a>(buf: &'a [u8], pos: &mut usize) -> Val<'a> {
    let t = get_varint(buf, pos);
    if t & 1 == 1 {
        let z = t >> 1;
        Val::Int(((z >> 1) as i64) ^ -((z & 1) as i64))
    } else {
        let n = (t >> 1) as usize;
        let s = &buf[*pos..*pos + n];
        *pos += n;
        Val::Bytes(s)
    }
}

#[inline]
fn skip_val(buf: &[u8], pos: &mut usize) {
    let t = get_varint(buf, pos);
    if t & 1 == 0 {
        *pos += (t >> 1) as usize;
    }
}

fn val_len(v: &[u8]) -> usize {
    v.len() + 2
}

impl Node {
    fn master_fields(&self) -> Vec<Val<'_>> {
        let mut pos = 0;
        let n = get_varint(&self.buf, &mut pos) as usize;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(get_val(&self.buf, &mut pos));
        }
        out
    }

    /// Reads an entry header: (own fields?, ID).
    #[inline]
    fn header(&self, master_id: StreamId, pos: &mut usize) -> (bool, StreamId) {
        let buf = &self.buf[..];
        let h = get_varint(buf, pos);
        let own = h & 1 == 1;
        let dms = if h & 2 == 0 {
            h >> 2
        } else {
            get_varint(buf, pos)
        };
        let s = get_varint(buf, pos);
        let id = if dms == 0 {
            StreamId::new(master_id.ms, master_id.seq + s)
        } else {
            StreamId::new(master_id.ms + dms, s)
        };
        (own, id)
    }

    /// Decodes the entry at `pos`: its ID and fields; advances `pos`.
    fn decode<'a>(
        &'a self,
        master_id: StreamId,
        master: &[Val<'a>],
        pos: &mut usize,
        fields: &mut Fields<'a>,
    ) -> StreamId {
        let (own, id) = self.header(master_id, pos);
        self.decode_body(own, master, pos, fields);
        id
    }

    /// Skips the fields of an entry whose header was read.
    fn skip_body(&self, own: bool, nmaster: usize, pos: &mut usize) {
        let buf = &self.buf[..];
        let n = if !own {
            nmaster
        } else {
            get_varint(buf, pos) as usize * 2
        };
        for _ in 0..n {
            skip_val(buf, pos);
        }
    }

    /// Decodes the fields of an entry whose header was read.
    fn decode_body<'a>(
        &'a self,
        own: bool,
        master: &[Val<'a>],
        pos: &mut usize,
        fields: &mut Fields<'a>,
    ) {
        fields.clear();
        let buf = &self.buf[..];
        if !own {
            for f in master {
                let v = get_val(buf, pos);
                fields.push((*f, v));
            }
        } else {
            let n = get_varint(buf, pos) as usize;
            for _ in 0..n {
                let f = get_val(buf, pos);
                let v = get_val(buf, pos);
                fields.push((f, v));
            }
        }
    }

    /// Skips the entry at `pos`, returning its ID.
    fn skip(&self, master_id: StreamId, nmaster: usize, pos: &mut usize) -> StreamId {
        let (own, id) = self.header(master_id, pos);
        self.skip_body(own, nmaster, pos);
        id
    }

    fn nmaster(&self) -> usize {
        let mut pos = 0;
        get_varint(&self.buf, &mut pos) as usize
    }

    /// (id, start, end) of every entry, in order.
    fn offsets(&self, master_id: StreamId) -> Vec<(StreamId, usize, usize)> {
        let nm = self.nmaster();
        let mut out = Vec::with_capacity(self.live as usize);
        let mut pos = self.hdr as usize;
        while pos < self.buf.len() {
            let start = pos;
            let id = self.skip(master_id, nm, &mut pos);
            out.push((id, start, pos));
        }
        out
    }

    fn same_as_master(&self, fv: &[&[u8]]) -> bool {
        let mut pos = 0;
        let n = get_varint(&self.buf, &mut pos) as usize;
        if n * 2 != fv.len() {
            return false;
        }
        for f in fv.iter().step_by(2) {
            if !get_val(&self.buf, &mut pos).eq_bytes(f) {
                return false;
            }
        }
        true
    }

    fn append(&mut self, master_id: StreamId, id: StreamId, fv: &[&[u8]]) {
        let same = self.same_as_master(fv);
        let buf = &mut self.buf;
        let dms = id.ms - master_id.ms;
        let own = if same { 0 } else { 1 };
        if dms < 1 << 62 {
            put_varint(buf, (dms << 2) | own);
        } else {
            put_varint(buf, 2 | own);
            put_varint(buf, dms);
        }
        put_varint(
            buf,
            if dms == 0 {
                id.seq - master_id.seq
            } else {
                id.seq
            },
        );
        if same {
            for v in fv.iter().skip(1).step_by(2) {
                put_val(buf, v);
            }
        } else {
            put_varint(buf, (fv.len() / 2) as u64);
            for x in fv {
                put_val(buf, x);
            }
        }
        self.live += 1;
        self.added += 1;
        self.last_added = id;
    }

    fn new_with_master(fv: &[&[u8]]) -> Node {
        let mut buf = Vec::new();
        let n = fv.len() / 2;
        put_varint(&mut buf, n as u64);
        for f in fv.iter().step_by(2) {
            put_val(&mut buf, f);
        }
        let hdr = buf.len() as u32;
        Node {
            buf,
            live: 0,
            added: 0,
            hdr,
            last_added: StreamId::MIN,
        }
    }
}

/// Where an XADD got its ID from.
pub enum AddId {
    /// `*`
    Auto,
    /// `<ms>-*`
    AutoSeq(u64),
    /// `<ms>-<seq>`
    Explicit(StreamId),
}

#[derive(Debug, PartialEq, Eq)]
pub enum AddError {
    /// The ID is equal or smaller than the top item (or the sequence overflowed).
    NotGreater,
}

/// How to trim (XADD/XTRIM options).
#[derive(Clone, Copy, Debug)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Debug, Default)]
pub struct StreamValue {
    nodes: BTreeMap<StreamId, Node>,
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    pub entries_added: u64,
    pub groups: BTreeMap<Sds, Group>,
    /// ID of the last live entry (cached: XREAD asks on every call).
    last_entry: Option<StreamId>,
}

impl StreamValue {
    pub fn new() -> StreamValue {
        StreamValue::default()
    }

    pub fn len(&self) -> usize {
        self.length as usize
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Number of nodes (XINFO's radix-tree-keys).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes used, roughly (MEMORY USAGE).
    pub fn mem_usage(&self) -> usize {
        let mut n = std::mem::size_of::<StreamValue>();
        for node in self.nodes.values() {
            n += node.buf.capacity() + 48;
        }
        for (_, g) in self.groups.iter() {
            n += 64 + g.pel.len() * 64 + g.consumers.len() * 80;
        }
        n
    }

    /// Appends an entry. `fv` alternates field and value (even length, at least 2).
    pub fn add(
        &mut self,
        id: AddId,
        fv: &[&[u8]],
        now: u64,
        max_entries: u64,
        max_bytes: u64,
    ) -> Result<StreamId, AddError> {
        let id = match id {
            AddId::Auto => {
                if now > self.last_id.ms {
                    StreamId::new(now, 0)
                } else {
                    self.last_id.incr().ok_or(AddError::NotGreater)?
                }
            }
            AddId::AutoSeq(ms) => {
                if self.last_id.ms == ms {
                    if self.last_id.seq == u64::MAX {
                        return Err(AddError::NotGreater);
                    }
                    StreamId::new(ms, self.last_id.seq + 1)
                } else {
                    StreamId::new(ms, 0)
                }
            }
            AddId::Explicit(id) => id,
        };
        if id <= self.last_id {
            return Err(AddError::NotGreater);
        }
        let entry_bytes: usize = fv.iter().map(|x| val_len(x)).sum();
        let mut need_new = true;
        if let Some((_, node)) = self.nodes.iter_mut().next_back() {
            need_new = false;
            if (max_bytes > 0 && (node.buf.len() + entry_bytes + 8) as u64 >= max_bytes)
                || (max_entries > 0 && node.added as u64 >= max_entries)
            {
                need_new = true;
            }
            if need_new {
                node.buf.shrink_to_fit();
            }
        }
        if need_new {
            self.nodes.insert(id, Node::new_with_master(fv));
        }
        let (mid, node) = self.nodes.iter_mut().next_back().unwrap();
        node.append(*mid, id, fv);
        if self.length == 0 {
            self.first_id = id;
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        self.last_entry = Some(id);
        Ok(id)
    }

    /// Calls `f` for each entry with `start <= id <= end`, ascending (or descending with
    /// `rev`), until it returns false.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        mut f: impl FnMut(StreamId, &Fields) -> bool,
    ) {
        if start > end {
            return;
        }
        let mut fields: Fields = Vec::new();
        if !rev {
            // The node that may hold `start`: the last one whose master ID <= start.
            let first_key = self
                .nodes
                .range(..=start)
                .next_back()
                .map(|(k, _)| *k)
                .unwrap_or(start);
            for (mid, node) in self.nodes.range(first_key..) {
                if *mid > end {
                    return;
                }
                let master = node.master_fields();
                let mut pos = node.hdr as usize;
                while pos < node.buf.len() {
                    let (own, id) = node.header(*mid, &mut pos);
                    if id < start {
                        node.skip_body(own, master.len(), &mut pos);
                        continue;
                    }
                    if id > end {
                        return;
                    }
                    node.decode_body(own, &master, &mut pos, &mut fields);
                    if !f(id, &fields) {
                        return;
                    }
                }
            }
        } else {
            for (mid, node) in self.nodes.range(..=end).rev() {
                let master = node.master_fields();
                let offs = node.offsets(*mid);
                for &(id, s, _) in offs.iter().rev() {
                    if id > end {
                        continue;
                    }
                    if id < start {
                        return;
                    }
                    let mut pos = s;
                    node.decode(*mid, &master, &mut pos, &mut fields);
                    if !f(id, &fields) {
                        return;
                    }
                }
            }
        }
    }

    /// The entry with this exact ID, copied out.
    pub fn get(&self, id: StreamId) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = None;
        self.range(id, id, false, |_, fs| {
            out = Some(fs.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect());
            false
        });
        out
    }

    pub fn exists(&self, id: StreamId) -> bool {
        let mut found = false;
        self.range(id, id, false, |_, _| {
            found = true;
            false
        });
        found
    }

    /// ID of the first / last live entry.
    pub fn first_entry_id(&self) -> Option<StreamId> {
        let mut r = None;
        self.range(StreamId::MIN, StreamId::MAX, false, |id, _| {
            r = Some(id);
            false
        });
        r
    }

    pub fn last_entry_id(&self) -> Option<StreamId> {
        self.last_entry
    }

    fn compute_last_entry(&self) -> Option<StreamId> {
        // Nodes emptied by a partial trim may hold no live entry.
        self.nodes
            .iter()
            .rev()
            .find_map(|(mid, node)| node.offsets(*mid).last().map(|x| x.0))
    }

    /// Deletes one entry. Returns whether it existed.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&mid, node)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let offs = node.offsets(mid);
        let Some(&(_, s, e)) = offs.iter().find(|x| x.0 == id) else {
            return false;
        };
        node.buf.drain(s..e);
        node.live -= 1;
        if node.live == 0 {
            // An emptied node goes away, as in Redis.
            self.nodes.remove(&mid);
        }
        self.length -= 1;
        if self.last_entry == Some(id) {
            self.last_entry = self.compute_last_entry();
        }
        true
    }

    /// Deletes entries with `id`, updating first_id and max_deleted_id as XDEL does.
    pub fn xdel(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first = false;
        for &id in ids {
            if self.delete(id) {
                if id == self.first_id {
                    first = true;
                }
                if id > self.max_deleted_id {
                    self.max_deleted_id = id;
                }
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.length == 0 {
                self.first_id = StreamId::MIN;
            } else if first {
                self.first_id = self.first_entry_id().unwrap_or_default();
            }
        }
        deleted
    }

    /// Trims as Redis's streamTrim: whole nodes first; with `approx` only whole nodes;
    /// `limit` (0 = none) caps the entries removed. Returns the number removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted: u64 = 0;
        loop {
            if let Trim::MaxLen(max) = how {
                if self.length <= max {
                    break;
                }
            }
            let Some((&mid, node)) = self.nodes.iter().next() else {
                break;
            };
            let entries = node.live as u64;
            if limit > 0 && deleted + entries > limit {
                break;
            }
            let remove_node = match how {
                Trim::MaxLen(max) => self.length - entries >= max,
                Trim::MinId(min) => node.last_added < min,
            };
            if remove_node {
                self.nodes.remove(&mid);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            // Trim entries inside this node.
            let node = self.nodes.get_mut(&mid).unwrap();
            let offs = node.offsets(mid);
            let mut cut_to = node.hdr as usize;
            let mut n = 0u64;
            for &(id, _, e) in &offs {
                let stop = match how {
                    Trim::MaxLen(max) => self.length - n <= max,
                    Trim::MinId(min) => id >= min,
                };
                if stop {
                    break;
                }
                cut_to = e;
                n += 1;
            }
            let hdr = node.hdr as usize;
            node.buf.drain(hdr..cut_to);
            node.live -= n as u32;
            self.length -= n;
            deleted += n;
            // Like Redis, a node emptied by a partial trim stays (until trimmed whole).
            break;
        }
        if deleted > 0 {
            self.first_id = if self.length > 0 {
                self.first_entry_id().unwrap_or_default()
            } else {
                StreamId::MIN
            };
            if self.length == 0 {
                self.last_entry = None;
            }
        }
        deleted
    }

    /// Whether (start, end) (None = open) may hold a deleted entry (streamRangeHasTombstones).
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        let s = start.unwrap_or(StreamId::MIN);
        let e = end.unwrap_or(StreamId::MAX);
        s <= self.max_deleted_id && self.max_deleted_id <= e
    }

    /// The logical read counter of `id` if it can be known
    /// (streamEstimateDistanceFromFirstEverEntry); INVALID_ENTRIES_READ otherwise.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            if id < self.first_id {
                return (self.entries_added - self.length) as i64;
            } else if id == self.first_id {
                return (self.entries_added - self.length + 1) as i64;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag, None when it can't be computed (streamReplyWithCGLag).
    pub fn group_lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != INVALID_ENTRIES_READ
            && !self.range_has_tombstones(Some(g.last_id), None)
        {
            return Some(self.entries_added as i64 - g.entries_read);
        }
        let er = self.estimate_distance(g.last_id);
        if er != INVALID_ENTRIES_READ {
            Some(self.entries_added as i64 - er)
        } else {
            None
        }
    }

    /// Moves a group's last delivered ID forward to `id`, keeping its read counter as
    /// Redis does when delivering entries.
    pub fn advance_group(&mut self, group: &[u8], id: StreamId) {
        let has_tomb = self.range_has_tombstones(Some(id), None);
        let est = self.estimate_distance(id);
        let added = self.entries_added;
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        if id > g.last_id {
            if g.entries_read != INVALID_ENTRIES_READ && !has_tomb {
                g.entries_read += 1;
            } else if added > 0 {
                g.entries_read = est;
            }
            g.last_id = id;
        }
    }

    /// The node count of Redis's radix tree over the same node keys (XINFO's
    /// radix-tree-nodes): 16-byte big-endian IDs in a maximally compressed radix tree have a
    /// node at the root, at each branching prefix, at each child of a branching prefix, and
    /// at each key. Branching prefixes are the common prefixes of neighbouring keys.
    pub fn rax_nodes(&self) -> usize {
        fn enc(id: &StreamId) -> [u8; 16] {
            let mut k = [0u8; 16];
            k[..8].copy_from_slice(&id.ms.to_be_bytes());
            k[8..].copy_from_slice(&id.seq.to_be_bytes());
            k
        }
        fn prefix(k: &[u8; 16], len: usize) -> (u8, [u8; 16]) {
            let mut p = [0u8; 16];
            p[..len].copy_from_slice(&k[..len]);
            (len as u8, p)
        }
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(enc).collect();
        let mut set: std::collections::HashSet<(u8, [u8; 16])> =
            std::collections::HashSet::with_capacity(keys.len() * 3 + 1);
        set.insert((0, [0u8; 16]));
        for (i, k) in keys.iter().enumerate() {
            set.insert((16, *k));
            if let Some(n) = keys.get(i + 1) {
                let l = k.iter().zip(n.iter()).take_while(|(a, b)| a == b).count();
                set.insert(prefix(k, l));
                set.insert(prefix(k, l + 1));
                set.insert(prefix(n, l + 1));
            }
        }
        set.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(s: &StreamValue) -> Vec<StreamId> {
        let mut v = Vec::new();
        s.range(StreamId::MIN, StreamId::MAX, false, |id, _| {
            v.push(id);
            true
        });
        v
    }

    #[test]
    fn values_round_trip() {
        let mut s = StreamValue::new();
        let vals: Vec<&[u8]> = vec![
            b"0",
            b"-5",
            b"007",
            b"-0",
            b"+1",
            b" 1",
            b"",
            b"2305843009213693951",
            b"2305843009213693952",
            b"-2305843009213693952",
            b"-2305843009213693953",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"12345678901234567890",
            b"x",
        ];
        for (i, v) in vals.iter().enumerate() {
            // Fields that look like integers too, and a master field set to compare with.
            let fv: Vec<&[u8]> = vec![b"1", v, v, b"v"];
            s.add(
                AddId::Explicit(StreamId::new(1, i as u64 + 1)),
                &fv,
                0,
                4,
                0,
            )
            .unwrap();
        }
        for (i, v) in vals.iter().enumerate() {
            let e = s.get(StreamId::new(1, i as u64 + 1)).unwrap();
            assert_eq!(e[0], (b"1".to_vec(), v.to_vec()));
            assert_eq!(e[1], (v.to_vec(), b"v".to_vec()));
        }
    }

    #[test]
    fn add_range_delete_trim() {
        let mut s = StreamValue::new();
        for i in 1..=250u64 {
            let v = i.to_string();
            let fv: Vec<&[u8]> = if i % 7 == 0 {
                vec![b"x", v.as_bytes()]
            } else {
                vec![b"a", v.as_bytes(), b"b", b"2"]
            };
            s.add(AddId::Explicit(StreamId::new(i, i)), &fv, 0, 100, 4096)
                .unwrap();
        }
        assert_eq!(s.len(), 250);
        assert_eq!(s.node_count(), 3);
        assert_eq!(ids(&s).len(), 250);
        let mut rev = Vec::new();
        s.range(StreamId::new(5, 0), StreamId::new(150, 0), true, |id, f| {
            rev.push((id, f.len()));
            true
        });
        assert_eq!(rev.len(), 145);
        assert_eq!(rev[0].0, StreamId::new(149, 149));
        assert_eq!(s.get(StreamId::new(7, 7)).unwrap()[0].0, b"x".to_vec());
        assert_eq!(s.get(StreamId::new(8, 8)).unwrap().len(), 2);
        assert!(s.delete(StreamId::new(8, 8)));
        assert!(!s.delete(StreamId::new(8, 8)));
        assert_eq!(s.len(), 249);
        assert_eq!(s.trim(Trim::MaxLen(200), true, 0), 0);
        assert_eq!(s.trim(Trim::MaxLen(150), true, 0), 99);
        assert_eq!(s.trim(Trim::MaxLen(120), false, 0), 30);
        assert_eq!(s.len(), 120);
        assert_eq!(s.first_id, StreamId::new(131, 131));
        assert_eq!(s.trim(Trim::MinId(StreamId::new(200, 0)), false, 0), 69);
        assert_eq!(s.first_entry_id(), Some(StreamId::new(200, 200)));
        assert_eq!(s.last_entry_id(), Some(StreamId::new(250, 250)));
        assert_eq!(s.last_entry_id(), s.compute_last_entry());
        assert!(s.delete(StreamId::new(250, 250)));
        assert_eq!(s.last_entry_id(), Some(StreamId::new(249, 249)));
        assert_eq!(s.last_entry_id(), s.compute_last_entry());
        assert!(s
            .add(
                AddId::Explicit(StreamId::new(250, 250)),
                &[b"a", b"b"],
                0,
                100,
                0
            )
            .is_err());
        assert_eq!(
            s.add(AddId::AutoSeq(250), &[b"a", b"b"], 0, 100, 0),
            Ok(StreamId::new(250, 251))
        );
        assert_eq!(
            s.add(AddId::Auto, &[b"a", b"b"], 5, 100, 0),
            Ok(StreamId::new(250, 252))
        );
    }
}
