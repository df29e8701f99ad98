//! Stream values (placeholder representation until the stream family lands).

#[derive(Clone, Debug, Default)]
pub struct StreamValue {
    pub len: usize,
}
