//! List values (placeholder representation until the list family lands).

use super::sds::Sds;
use std::collections::VecDeque;

#[derive(Clone, Debug, Default)]
pub struct ListValue {
    pub items: VecDeque<Sds>,
}

impl ListValue {
    pub fn encoding(&self) -> &'static str {
        "quicklist"
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
impl ListValue {
    /// All elements, head to tail.
    pub fn members(&self) -> Vec<Sds> {
        self.items.iter().cloned().collect()
    }
    pub fn from_members(v: Vec<Sds>) -> ListValue {
        ListValue { items: v.into() }
    }
}
