//! Sorted set values (placeholder representation until the zset family lands).

use super::sds::Sds;

#[derive(Clone, Debug, Default)]
pub struct ZSetValue {
    pub items: Vec<(Sds, f64)>,
}

impl ZSetValue {
    pub fn encoding(&self) -> &'static str {
        "skiplist"
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
