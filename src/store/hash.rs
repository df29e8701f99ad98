//! Hash values (placeholder representation until the hash family lands).

use super::sds::Sds;
use std::collections::HashMap;

#[derive(Clone, Debug, Default)]
pub struct HashValue {
    pub map: HashMap<Sds, Sds>,
}

impl HashValue {
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Accessors other families (SORT, RDB, ...) rely on; keep them when changing the
/// representation.
impl HashValue {
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.map.get(field).map(|v| v.as_bytes())
    }
    /// All (field, value) pairs, in no particular order.
    pub fn pairs(&self) -> Vec<(Sds, Sds)> {
        self.map
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
