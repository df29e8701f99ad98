//! The wire protocol: request parsing (RESP multibulk and inline) and reply encoding (RESP2/RESP3).
//!
//! Requests are parsed incrementally out of the connection's `BytesMut`; every argument is a
//! `Bytes` view into that buffer (no copy). Handlers must copy an argument before storing it,
//! otherwise the whole read buffer would stay alive behind one stored value.

mod parser;
mod reply;

pub use parser::{split_args, Limits, ParseError, RequestParser};
pub use reply::{fmt_i64 as fmt_i64_pub, format_double, fpconv_dtoa, Reply};
