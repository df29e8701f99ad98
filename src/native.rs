//! Bindings to the C helpers in `src/native/` (built by `build.rs` with the `cc` crate).
//!
//! Redis computes INCRBYFLOAT and HINCRBYFLOAT in C `long double` and prints the result
//! with `"%.17Lf"` minus trailing zeros; Rust has no long double, so the parse, the
//! addition and the formatting are done in C to give byte-identical results.

use std::os::raw::{c_char, c_int};

extern "C" {
    fn tessera_ld_valid(s: *const c_char, len: usize, infinite: *mut c_int) -> c_int;
    fn tessera_ld_add(
        a: *const c_char,
        alen: usize,
        b: *const c_char,
        blen: usize,
        out: *mut c_char,
        outcap: usize,
    ) -> c_int;
}

/// Redis's MAX_LONG_DOUBLE_CHARS: enough for any finite long double in "%.17Lf".
pub const LD_MAX_CHARS: usize = 5 * 1024;

/// Why a long double addition failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LdError {
    /// The current value is not a valid float (Redis's string2ld rules).
    BadValue,
    /// The increment is not a valid float.
    BadIncr,
    /// The sum is NaN or infinite ("ERR increment would produce NaN or Infinity").
    NanOrInf,
}

/// Parses `s` with Redis's `string2ld` rules (no leading space, nothing trailing, no NaN,
/// no overflow/underflow). Returns `Some(is_infinite)` if valid.
pub fn ld_valid(s: &[u8]) -> Option<bool> {
    let mut inf: c_int = 0;
    // SAFETY: the pointer/length pair describes `s`; `inf` outlives the call.
    let ok = unsafe { tessera_ld_valid(s.as_ptr() as *const c_char, s.len(), &mut inf) };
    (ok == 1).then_some(inf != 0)
}

/// `value + incr` in long double, formatted as Redis's `ld2string(LD_STR_HUMAN)`.
pub fn ld_add(value: &[u8], incr: &[u8]) -> Result<Vec<u8>, LdError> {
    let mut out = [0u8; LD_MAX_CHARS];
    // SAFETY: all pointer/length pairs describe live buffers; the C side writes at most
    // `out.len()` bytes into `out`.
    let n = unsafe {
        tessera_ld_add(
            value.as_ptr() as *const c_char,
            value.len(),
            incr.as_ptr() as *const c_char,
            incr.len(),
            out.as_mut_ptr() as *mut c_char,
            out.len(),
        )
    };
    match n {
        -1 => Err(LdError::BadValue),
        -2 => Err(LdError::BadIncr),
        n if n < 0 => Err(LdError::NanOrInf),
        n => Ok(out[..n as usize].to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_like_redis() {
        assert_eq!(ld_add(b"0.1", b"0.2").unwrap(), b"0.3");
        assert_eq!(ld_add(b"10.50", b"0.1").unwrap(), b"10.6");
        assert_eq!(ld_add(b"1.5", b"-1.5").unwrap(), b"0");
        assert_eq!(ld_add(b"0", b"1e20").unwrap(), b"100000000000000000000");
        assert_eq!(ld_add(b"0", b"0x10").unwrap(), b"16");
        assert_eq!(ld_add(b"-0.1", b"0.1").unwrap(), b"0");
        assert_eq!(ld_add(b"1\0x", b"1"), Err(LdError::BadValue));
        assert_eq!(ld_add(b"1", b"1\0"), Err(LdError::BadIncr));
        assert_eq!(ld_add(b"abc", b"1"), Err(LdError::BadValue));
        assert_eq!(ld_add(b"1", b" 1"), Err(LdError::BadIncr));
        assert_eq!(ld_add(b"1", b"1 "), Err(LdError::BadIncr));
        assert_eq!(ld_add(b"1", b""), Err(LdError::BadIncr));
        assert_eq!(ld_add(b"1", b"nan"), Err(LdError::BadIncr));
        assert_eq!(ld_add(b"1", b"1e-5000"), Err(LdError::BadIncr));
        assert_eq!(ld_add(b"1", b"inf"), Err(LdError::NanOrInf));
        assert_eq!(ld_add(b"inf", b"-inf"), Err(LdError::NanOrInf));
        assert_eq!(ld_valid(b"-inf"), Some(true));
        assert_eq!(ld_valid(b"1.5"), Some(false));
        assert_eq!(ld_valid(b"x"), None);
    }
}
