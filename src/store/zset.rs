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

/// Accessors other families (SORT, RDB, ...) rely on; keep them when changing the
/// representation.
impl ZSetValue {
    /// All (member, score) pairs by ascending score, then member.
    pub fn members(&self) -> Vec<(Sds, f64)> {
        let mut v = self.items.clone();
        v.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}
