//! Differential rows: see `ROWS` in tests/differential.rs for the format.

use super::*;

pub const ROWS: &[Row] = &[];
