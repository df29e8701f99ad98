//! Replies and their RESP2/RESP3 encodings.
//!
//! Handlers build a `Reply`; the connection encodes it for the client's protocol version.
//! The RESP3-only types degrade the way Redis degrades them for RESP2 clients: maps become
//! flat arrays, doubles bulk strings, booleans integers, null the null bulk (or null array).

use bytes::{BufMut, Bytes};
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+text`
    Status(Cow<'static, str>),
    /// `-text`; the text includes the error code (`ERR ...`, `WRONGTYPE ...`).
    Error(Cow<'static, str>),
    Int(i64),
    Bulk(Bytes),
    /// Null bulk string (`$-1` in RESP2, `_` in RESP3).
    Nil,
    /// Null array (`*-1` in RESP2, `_` in RESP3).
    NilArray,
    Array(Vec<Reply>),
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Double(f64),
    Bool(bool),
    /// Verbatim string with its 3-letter format (`txt`); a bulk string in RESP2.
    Verbatim(&'static str, Bytes),
    BigNumber(String),
    /// Out-of-band push (pub/sub messages); a plain array in RESP2.
    Push(Vec<Reply>),
    /// Already encoded bytes, written as they are (used for prebuilt replies).
    Raw(Bytes),
}

impl Reply {
    pub const OK: Reply = Reply::Status(Cow::Borrowed("OK"));

    pub fn ok() -> Reply {
        Reply::OK
    }
    pub fn status(s: impl Into<Cow<'static, str>>) -> Reply {
        Reply::Status(s.into())
    }
    /// An error; `s` must start with its code (`ERR`, `WRONGTYPE`, ...).
    pub fn err(s: impl Into<Cow<'static, str>>) -> Reply {
        Reply::Error(s.into())
    }
    pub fn bulk(b: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(b.as_ref()))
    }
    pub fn bulk_static(b: &'static [u8]) -> Reply {
        Reply::Bulk(Bytes::from_static(b))
    }
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
    /// An array of bulk strings.
    pub fn bulks<I, B>(items: I) -> Reply
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        Reply::Array(items.into_iter().map(Reply::bulk).collect())
    }

    /// Encodes the reply for protocol version `proto` (2 or 3) into `out`.
    pub fn write_to(&self, out: &mut Vec<u8>, proto: u8) {
        let resp3 = proto >= 3;
        match self {
            Reply::Status(s) => line(out, b'+', s.as_bytes()),
            Reply::Error(s) => {
                // An error text must not contain newlines (Redis replaces them).
                if s.contains(['\r', '\n']) {
                    let clean: String = s
                        .chars()
                        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
                        .collect();
                    line(out, b'-', clean.as_bytes());
                } else {
                    line(out, b'-', s.as_bytes());
                }
            }
            Reply::Int(i) => {
                out.push(b':');
                push_int(out, *i);
                out.extend_from_slice(b"\r\n");
            }
            Reply::Bulk(b) => bulk(out, b),
            Reply::Nil => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" }),
            Reply::NilArray => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"*-1\r\n" }),
            Reply::Array(items) => {
                header(out, b'*', items.len());
                for r in items {
                    r.write_to(out, proto);
                }
            }
            Reply::Set(items) => {
                header(out, if resp3 { b'~' } else { b'*' }, items.len());
                for r in items {
                    r.write_to(out, proto);
                }
            }
            Reply::Push(items) => {
                header(out, if resp3 { b'>' } else { b'*' }, items.len());
                for r in items {
                    r.write_to(out, proto);
                }
            }
            Reply::Map(pairs) => {
                if resp3 {
                    header(out, b'%', pairs.len());
                } else {
                    header(out, b'*', pairs.len() * 2);
                }
                for (k, v) in pairs {
                    k.write_to(out, proto);
                    v.write_to(out, proto);
                }
            }
            Reply::Double(d) => {
                let s = format_double(*d);
                if resp3 {
                    line(out, b',', s.as_bytes());
                } else {
                    bulk(out, s.as_bytes());
                }
            }
            Reply::Bool(b) => {
                if resp3 {
                    out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" });
                } else {
                    out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" });
                }
            }
            Reply::Verbatim(fmt, b) => {
                if resp3 {
                    header(out, b'=', b.len() + 4);
                    out.extend_from_slice(fmt.as_bytes());
                    out.push(b':');
                    out.extend_from_slice(b);
                    out.extend_from_slice(b"\r\n");
                } else {
                    bulk(out, b);
                }
            }
            Reply::BigNumber(s) => {
                if resp3 {
                    line(out, b'(', s.as_bytes());
                } else {
                    bulk(out, s.as_bytes());
                }
            }
            Reply::Raw(b) => out.extend_from_slice(b),
        }
    }

    /// Encodes into a fresh buffer (tests, Lua conversion, MONITOR).
    pub fn to_bytes(&self, proto: u8) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_to(&mut v, proto);
        v
    }
}

fn line(out: &mut Vec<u8>, prefix: u8, s: &[u8]) {
    out.reserve(s.len() + 3);
    out.push(prefix);
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

fn header(out: &mut Vec<u8>, prefix: u8, n: usize) {
    out.push(prefix);
    push_int(out, n as i64);
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    out.reserve(b.len() + 16);
    header(out, b'$', b.len());
    out.put_slice(b);
    out.extend_from_slice(b"\r\n");
}

fn push_int(out: &mut Vec<u8>, i: i64) {
    let mut buf = itoa_buf();
    out.extend_from_slice(fmt_i64(&mut buf, i));
}

fn itoa_buf() -> [u8; 20] {
    [0u8; 20]
}

/// Formats an i64 into the tail of `buf` without allocating.
pub fn fmt_i64(buf: &mut [u8; 20], i: i64) -> &[u8] {
    let neg = i < 0;
    let mut n = i.unsigned_abs();
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        // i64::MIN has 19 digits, so there is always room for the sign in 20 bytes.
        pos -= 1;
        buf[pos] = b'-';
    }
    &buf[pos..]
}

/// Formats a double as Redis 7.2 replies do (`addReplyDouble` -> `d2string`): an integral
/// value within +-2^62 prints as an integer (`double2ll`: "100000000", not "1e+8"); any
/// other value as `fpconv_dtoa` prints it (the shortest digits that round-trip).
pub fn format_double(d: f64) -> String {
    /// `(double)(LLONG_MAX/2)`: double2ll's safe range.
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if d != 0.0 && (-LIMIT..=LIMIT).contains(&d) && d == d.trunc() {
        let mut buf = itoa_buf();
        let s = fmt_i64(&mut buf, d as i64);
        return std::str::from_utf8(s).expect("ASCII digits").to_owned();
    }
    fpconv_dtoa(d)
}

/// Redis's `fpconv_dtoa` (what DEBUG DIGEST mixes for a score): the shortest digits that
/// round-trip, laid out in plain notation unless the exponent is large ("1e+8"), and
/// `inf`/`-inf`/`nan` spelled out.
pub fn fpconv_dtoa(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    if d.abs() < 1e8 && d == d.trunc() {
        // An integer with at most 8 digits (so fewer than 8 trailing zeros) prints in
        // plain notation: the same text as below, without the float formatting machinery.
        let mut buf = itoa_buf();
        let s = fmt_i64(&mut buf, d as i64);
        return std::str::from_utf8(s).expect("ASCII digits").to_owned();
    }
    format_double_general(d)
}

/// `fpconv_dtoa` for a finite, non-zero value (any value: also the integers that
/// `fpconv_dtoa` prints itself).
fn format_double_general(d: f64) -> String {
    // Rust's `{:e}` gives the shortest round-trip digits: "1.2345e-7".
    let sci = format!("{:e}", d.abs());
    let (mant, exp10) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp10: i32 = exp10.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let nd = digits.len() as i32;
    // fpconv's K: the value is digits * 10^K.
    let k = exp10 - (nd - 1);
    let mut out = String::with_capacity(32);
    if d < 0.0 {
        out.push('-');
    }
    let exp = (k + nd - 1).abs();
    if k >= 0 && exp < nd + 7 {
        out.push_str(&digits);
        for _ in 0..k {
            out.push('0');
        }
    } else if k < 0 && (k > -7 || exp < 4) {
        let offset = nd - k.abs();
        if offset <= 0 {
            out.push_str("0.");
            for _ in 0..(-offset) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            out.push_str(&digits[..offset as usize]);
            out.push('.');
            out.push_str(&digits[offset as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if k + nd - 1 < 0 { '-' } else { '+' });
        out.push_str(&exp.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let r = Reply::Map(vec![(Reply::bulk("a"), Reply::Int(1))]);
        assert_eq!(r.to_bytes(2), b"*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(r.to_bytes(3), b"%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(Reply::Nil.to_bytes(2), b"$-1\r\n");
        assert_eq!(Reply::NilArray.to_bytes(2), b"*-1\r\n");
        assert_eq!(Reply::Nil.to_bytes(3), b"_\r\n");
        assert_eq!(Reply::Double(1.5).to_bytes(3), b",1.5\r\n");
        assert_eq!(Reply::Double(1.5).to_bytes(2), b"$3\r\n1.5\r\n");
        assert_eq!(
            Reply::Int(i64::MIN).to_bytes(2),
            b":-9223372036854775808\r\n"
        );
    }

    #[test]
    fn doubles() {
        assert_eq!(format_double(1.1), "1.1");
        assert_eq!(format_double(100.0), "100");
        assert_eq!(format_double(-2.5), "-2.5");
        assert_eq!(format_double(0.0001), "0.0001");
        assert_eq!(format_double(1e20), "1e+20");
        assert_eq!(format_double(1e7), "10000000");
        // d2string's integer window: up to 2^62, whatever the trailing zeros.
        assert_eq!(format_double(1e8), "100000000");
        assert_eq!(format_double(-1e17), "-100000000000000000");
        assert_eq!(format_double(4611686018427387904.0), "4611686018427387904");
        assert_eq!(
            format_double(4611686018427387904.0 * 2.0),
            "9223372036854776000"
        );
        assert_eq!(format_double(40532396646334464.0), "40532396646334464");
        assert_eq!(format_double(-0.0), "-0");
        assert_eq!(format_double(f64::NAN), "nan");
        // fpconv alone (DEBUG DIGEST) keeps the exponent form.
        assert_eq!(fpconv_dtoa(1e8), "1e+8");
        for i in (-100_000_000i64..=100_000_000).step_by(9_973).chain([
            -99_999_999,
            -10_000_000,
            -1,
            1,
            10,
            99_999_999,
            10_000_000,
        ]) {
            if i != 0 {
                assert_eq!(
                    fpconv_dtoa(i as f64),
                    format_double_general(i as f64),
                    "{i}"
                );
            }
        }
        assert_eq!(format_double(f64::INFINITY), "inf");
        assert_eq!(format_double(3.0e-10), "3e-10");
    }
}
