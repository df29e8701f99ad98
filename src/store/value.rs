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
    Hash(HashValue),
    Set(SetValue),
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
/// eviction policies use (LRU: 24-bit seconds clock; LFU: 16-bit minutes + 8-bit log
/// counter; 24 bits as Redis's `robj.lru`).
///
/// Expiry and LRU word share one `u64`, so an entry is 32 bytes and a keyspace node 64
/// (jemalloc's class below 80): bits 0..24 hold the LRU word, bits 24..63 the expiry as an
/// offset from `EXPIRE_BASE` (+1; 0 = no expiry), which covers 2025..2042. An expiry
/// outside that range is stored whole with the top bit set; such an entry then has no LRU
/// word of its own (it reads as just created), the only thing the packing gives up. The
/// consequence differs from Redis: OBJECT IDLETIME reads 0 and OBJECT FREQ 5 for such
/// keys, and the LRU/LFU eviction policies see them as fresh, so they are evicted last
/// (volatile-ttl and the random policies are unaffected). Accepted because expiries set
/// before 2025 are past (the key is gone) and ones beyond 2042 are rare.
#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    meta: u64,
}

const LRU_MASK: u64 = (1 << 24) - 1;
/// 2025-01-01 00:00:00 UTC in Unix ms.
const EXPIRE_BASE: u64 = 1_735_689_600_000;
/// Largest packed expiry field (39 bits).
const EXPIRE_FIELD_MAX: u64 = (1 << 39) - 1;
const WIDE: u64 = 1 << 63;

impl Entry {
    pub fn new(value: Value) -> Entry {
        Entry {
            value,
            meta: super::new_lru_word() as u64 & LRU_MASK,
        }
    }

    /// Absolute expiry in Unix ms, 0 = none.
    #[inline]
    pub fn expire_at(&self) -> u64 {
        if self.meta & WIDE != 0 {
            self.meta & !WIDE
        } else {
            match self.meta >> 24 {
                0 => 0,
                f => EXPIRE_BASE + f - 1,
            }
        }
    }

    pub fn set_expire_at(&mut self, at: u64) {
        let lru = self.lru() as u64 & LRU_MASK;
        self.meta = if at == 0 {
            lru
        } else if at >= EXPIRE_BASE && at - EXPIRE_BASE < EXPIRE_FIELD_MAX {
            ((at - EXPIRE_BASE + 1) << 24) | lru
        } else {
            // Expiry times are at most i64::MAX (Redis's limit), so 63 bits hold them.
            WIDE | at.min(i64::MAX as u64)
        };
    }

    /// The LRU/LFU word (24 bits).
    #[inline]
    pub fn lru(&self) -> u32 {
        if self.meta & WIDE != 0 {
            super::new_lru_word() & LRU_MASK as u32
        } else {
            (self.meta & LRU_MASK) as u32
        }
    }

    #[inline]
    pub fn set_lru(&mut self, word: u32) {
        if self.meta & WIDE == 0 {
            self.meta = (self.meta & !LRU_MASK) | (word as u64 & LRU_MASK);
        }
    }

    #[inline]
    pub fn is_expired(&self, now: u64) -> bool {
        let at = self.expire_at();
        at != 0 && at <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_packing() {
        assert_eq!(std::mem::size_of::<Entry>(), 32);
        let mut e = Entry::new(Value::str(b"x"));
        e.set_lru(0xabcdef);
        for at in [
            0,
            1,
            EXPIRE_BASE - 1,
            EXPIRE_BASE,
            EXPIRE_BASE + 1,
            1_764_000_000_123,
            EXPIRE_BASE + EXPIRE_FIELD_MAX - 2,
            EXPIRE_BASE + EXPIRE_FIELD_MAX - 1,
            EXPIRE_BASE + EXPIRE_FIELD_MAX,
            i64::MAX as u64,
        ] {
            e.set_expire_at(0);
            e.set_lru(0xabcdef);
            e.set_expire_at(at);
            assert_eq!(e.expire_at(), at, "{at}");
            let packed = at == 0 || (EXPIRE_BASE..EXPIRE_BASE + EXPIRE_FIELD_MAX).contains(&at);
            assert_eq!(e.lru() == 0xabcdef, packed, "{at}");
        }
        e.set_expire_at(1_764_000_000_123);
        e.set_lru(0x123456);
        assert_eq!(e.expire_at(), 1_764_000_000_123);
        assert_eq!(e.lru(), 0x123456);
        assert!(e.is_expired(1_764_000_000_123));
        assert!(!e.is_expired(1_764_000_000_122));
    }
}
