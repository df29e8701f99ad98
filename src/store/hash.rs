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
