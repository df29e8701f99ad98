//! Feeds arbitrary bytes to the request parser, split into chunks at positions taken
//! from the input itself, as a connection receives them. The parser must never panic,
//! must never hand out more argument bytes than it was given, and must stop after an
//! error (the connection closes).
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run -a -O parser` from the repository root.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tessera::resp::{Limits, RequestParser};

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    // The first byte picks the chunk size (1..=256), the rest is the stream.
    let chunk = data[0] as usize + 1;
    let input = &data[1..];
    let limits = Limits {
        max_bulk_len: 1 << 20,
        max_multibulk_len: 1 << 20,
        unauthenticated: false,
    };
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut arg_bytes = 0usize;
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            let before = buf.len();
            match parser.parse(&mut buf, &limits) {
                Ok(Some(args)) => {
                    assert!(buf.len() <= before);
                    arg_bytes += args.iter().map(|a| a.len()).sum::<usize>();
                    assert!(arg_bytes <= input.len());
                }
                Ok(None) => break,
                Err(e) => {
                    assert!(!e.0.contains('\n') && !e.0.contains('\r'));
                    return;
                }
            }
        }
    }
});
