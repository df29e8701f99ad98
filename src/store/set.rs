//! Set values (placeholder representation until the set family lands).

use super::sds::Sds;
use std::collections::HashSet;

#[derive(Clone, Debug, Default)]
pub struct SetValue {
    pub set: HashSet<Sds>,
}

impl SetValue {
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
    pub fn len(&self) -> usize {
        self.set.len()
    }
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// Accessors other families (SORT, RDB, ...) rely on; keep them when changing the
/// representation.
impl SetValue {
    /// All members, in no particular order.
    pub fn members(&self) -> Vec<Sds> {
        self.set.iter().cloned().collect()
    }
}
