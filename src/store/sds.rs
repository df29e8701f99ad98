//! `Sds`: the byte string used for keys, string values and collection members.
//!
//! Up to 22 bytes are stored inline (no allocation); longer strings in one exact-size heap
//! block. The whole type is 24 bytes, so a small key costs nothing beyond its dict node.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

const INLINE: usize = 22;

#[derive(Clone)]
pub enum Sds {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Sds {
    pub fn new(b: &[u8]) -> Sds {
        if b.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..b.len()].copy_from_slice(b);
            Sds::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            Sds::Heap(b.into())
        }
    }

    pub fn from_vec(v: Vec<u8>) -> Sds {
        if v.len() <= INLINE {
            Sds::new(&v)
        } else {
            Sds::Heap(v.into_boxed_slice())
        }
    }

    pub fn empty() -> Sds {
        Sds::Inline {
            len: 0,
            buf: [0; INLINE],
        }
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Sds::Inline { len, buf } => &buf[..*len as usize],
            Sds::Heap(b) => b,
        }
    }

    /// Heap bytes owned beyond the 24-byte struct itself (for memory accounting).
    pub fn heap_size(&self) -> usize {
        match self {
            Sds::Inline { .. } => 0,
            Sds::Heap(b) => b.len(),
        }
    }

    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Sds::Inline { len, buf } => buf[..len as usize].to_vec(),
            Sds::Heap(b) => b.into_vec(),
        }
    }
}

impl Deref for Sds {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Sds {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Sds {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Sds {
    fn eq(&self, o: &Sds) -> bool {
        self.as_bytes() == o.as_bytes()
    }
}
impl Eq for Sds {}

impl PartialOrd for Sds {
    fn partial_cmp(&self, o: &Sds) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Sds {
    fn cmp(&self, o: &Sds) -> std::cmp::Ordering {
        self.as_bytes().cmp(o.as_bytes())
    }
}

impl Hash for Sds {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_bytes().hash(h)
    }
}

impl From<&[u8]> for Sds {
    fn from(b: &[u8]) -> Sds {
        Sds::new(b)
    }
}
impl From<&str> for Sds {
    fn from(s: &str) -> Sds {
        Sds::new(s.as_bytes())
    }
}
impl From<Vec<u8>> for Sds {
    fn from(v: Vec<u8>) -> Sds {
        Sds::from_vec(v)
    }
}

impl fmt::Debug for Sds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn size_and_roundtrip() {
        assert_eq!(std::mem::size_of::<Sds>(), 24);
        for n in [0, 1, 22, 23, 100] {
            let v = vec![7u8; n];
            assert_eq!(Sds::new(&v).as_bytes(), &v[..]);
        }
    }
}
