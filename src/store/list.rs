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
