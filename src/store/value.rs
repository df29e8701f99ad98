//! Values and keyspace entries.

use super::sds::Sds;
use super::{
    hash::HashValue, list::ListValue, set::SetValue, stream::StreamValue, zset::ZSetValue,
};

/// A string value: integers that fit in i64 (and print back identically) are stored as
/// numbers, as Redis's `OBJ_ENCODING_INT` does.
#[derive(Clone, Debug)]
pub enum StrValue {
    Int(i64),
    Raw(Sds),
    /// A string modified in place (APPEND, SETRANGE, SETBIT, BITFIELD): a growable buffer
    /// with spare capacity, like an sds with free space, so repeated appends are amortized
    /// O(1). OBJECT ENCODING reports it as `raw`, as Redis does after such commands.
    Buf(Box<Vec<u8>>),
}

/// Redis's SDS_MAX_PREALLOC: growth doubles the buffer up to this much spare room.
const MAX_PREALLOC: usize = 1024 * 1024;

impl StrValue {
    /// Stores `b` compactly: as an integer when its canonical text is `b`.
    pub fn from_bytes(b: &[u8]) -> StrValue {
        if b.len() <= 20 {
            if let Some(i) = crate::util::parse_i64(b) {
                return StrValue::Int(i);
            }
        }
        StrValue::Raw(Sds::new(b))
    }

    /// The value's bytes; integers are formatted into `buf`.
    pub fn bytes<'a>(&'a self, buf: &'a mut [u8; 20]) -> &'a [u8] {
        match self {
            StrValue::Int(i) => crate::resp::fmt_i64_pub(buf, *i),
            StrValue::Raw(s) => s.as_bytes(),
            StrValue::Buf(v) => v,
        }
    }

    /// The value as a growable buffer (converting it to `Buf` if needed), with room for at
    /// least `min_len` bytes: grows like `sdsMakeRoomFor` (double while under 1MB, then
    /// +1MB) so repeated appends are amortized O(1).
    pub fn make_buf(&mut self, min_len: usize) -> &mut Vec<u8> {
        if !matches!(self, StrValue::Buf(_)) {
            let mut buf = [0u8; 20];
            let cur = self.bytes(&mut buf);
            let mut v = Vec::with_capacity(cur.len().max(min_len));
            v.extend_from_slice(cur);
            *self = StrValue::Buf(Box::new(v));
        }
        let StrValue::Buf(v) = self else {
            unreachable!()
        };
        if min_len > v.capacity() {
            let target = if min_len < MAX_PREALLOC {
                min_len * 2
            } else {
                min_len + MAX_PREALLOC
            };
            v.reserve_exact(target - v.len());
        }
        v
    }

    /// Heap bytes owned beyond the value itself (for memory accounting).
    pub fn heap_size(&self) -> usize {
        match self {
            StrValue::Int(_) => 0,
            StrValue::Raw(s) => s.heap_size(),
            StrValue::Buf(v) => std::mem::size_of::<Vec<u8>>() + v.capacity(),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut buf = [0u8; 20];
        self.bytes(&mut buf).to_vec()
    }

    pub fn to_bytes(&self) -> bytes::Bytes {
        let mut buf = [0u8; 20];
        bytes::Bytes::copy_from_slice(self.bytes(&mut buf))
    }

    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(i) => {
                let mut buf = [0u8; 20];
                crate::resp::fmt_i64_pub(&mut buf, *i).len()
            }
            StrValue::Raw(s) => s.len(),
            StrValue::Buf(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Debug)]
pub enum Value {
    Str(StrValue),
    List(Box<ListValue>),
    Hash(Box<HashValue>),
    Set(Box<SetValue>),
    ZSet(Box<ZSetValue>),
    Stream(Box<StreamValue>),
}

impl Value {
    pub fn str(b: &[u8]) -> Value {
        Value::Str(StrValue::from_bytes(b))
    }

    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(StrValue::Int(_)) => "int",
            Value::Str(StrValue::Raw(s)) => {
                if s.len() <= 44 {
                    "embstr"
                } else {
                    "raw"
                }
            }
            Value::Str(StrValue::Buf(_)) => "raw",
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
        }
    }
}

/// One key's entry: value, absolute expiry (Unix ms, 0 = none), and the LRU/LFU word the
/// eviction policies use (LRU: seconds clock; LFU: 16-bit minutes + 8-bit log counter).
#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    pub expire_at: u64,
    pub lru: u32,
}

impl Entry {
    pub fn new(value: Value) -> Entry {
        Entry {
            value,
            expire_at: 0,
            lru: super::new_lru_word(),
        }
    }

    #[inline]
    pub fn is_expired(&self, now: u64) -> bool {
        self.expire_at != 0 && self.expire_at <= now
    }
}
