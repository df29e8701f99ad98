//! The bitmap family (not implemented yet).

use crate::command::Registry;

pub fn register(_r: &mut Registry) {}
