//! Incremental request parser.
//!
//! The parser keeps its position inside a multibulk request between reads, so a huge request
//! arriving in many small packets is parsed in linear time. Error texts are Redis's
//! (`networking.c`), because clients and test suites match on them.

use bytes::{Buf, Bytes, BytesMut};

/// Inline requests and multibulk/bulk header lines may not exceed this without a CRLF.
const INLINE_MAX: usize = 64 * 1024;

/// Size limits, from `proto-max-bulk-len` and `client-query-buffer-limit`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bulk_len: usize,
    pub max_multibulk_len: usize,
    /// The client still has to authenticate: Redis then allows at most 10 arguments of
    /// at most 16384 bytes, so an unauthenticated peer can't make it buffer much.
    pub unauthenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: 1024 * 1024 * 1024,
            unauthenticated: false,
        }
    }
}

/// A protocol error; the text follows `-ERR Protocol error: `, the connection is then closed.
#[derive(Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

#[derive(Default)]
pub struct RequestParser {
    /// Arguments of the multibulk request in progress.
    args: Vec<Bytes>,
    /// Arguments still expected for the request in progress (0 = between requests).
    remaining: usize,
    /// Length of the bulk whose header was read but whose payload has not fully arrived.
    bulk_len: Option<usize>,
    /// Bytes held by the arguments of the request in progress (they keep their part of
    /// the read buffer alive), for the query-buffer limit.
    args_bytes: usize,
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    // memchr for '\n' and check the preceding '\r' (Redis does the same for inline; for
    // multibulk it searches '\r').
    memchr::memchr(b'\r', buf)
}

fn parse_int(line: &[u8]) -> Option<i64> {
    crate::util::parse_i64(line)
}

impl RequestParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// True when a multibulk request was started but is not complete.
    pub fn in_progress(&self) -> bool {
        self.remaining > 0
    }

    /// Bytes the parser is waiting for, used by the query-buffer limit check.
    /// Memory held by the already-parsed arguments of an incomplete request.
    pub fn pending_args_bytes(&self) -> usize {
        self.args_bytes
    }

    pub fn pending_bulk(&self) -> usize {
        self.bulk_len.unwrap_or(0)
    }

    /// Parses one request from `buf`. `Ok(None)` means more input is needed; an empty
    /// argument vector (from a blank inline line) is returned as `Ok(Some(vec![]))` and
    /// should simply be skipped.
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<Vec<Bytes>>, ParseError> {
        if self.remaining == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            if buf[0] != b'*' {
                return parse_inline(buf);
            }
            if let Some(args) = parse_complete(buf, limits) {
                return Ok(Some(args));
            }
            let Some(cr) = find_crlf(buf) else {
                if buf.len() > INLINE_MAX {
                    return Err(ParseError("too big mbulk count string".into()));
                }
                return Ok(None);
            };
            if cr + 1 >= buf.len() {
                return Ok(None);
            }
            let n = parse_int(&buf[1..cr]);
            let n = match n {
                Some(n) if n <= limits.max_multibulk_len as i64 && n <= i32::MAX as i64 => n,
                _ => return Err(ParseError("invalid multibulk length".into())),
            };
            if limits.unauthenticated && n > 10 {
                return Err(ParseError("unauthenticated multibulk length".into()));
            }
            buf.advance(cr + 2);
            if n <= 0 {
                return Ok(Some(Vec::new()));
            }
            self.remaining = n as usize;
            // Don't trust the count for preallocation: cap it.
            self.args = Vec::with_capacity(self.remaining.min(1024));
        }
        while self.remaining > 0 {
            let len = match self.bulk_len {
                Some(l) => l,
                None => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let Some(cr) = find_crlf(buf) else {
                        if buf.len() > INLINE_MAX {
                            return Err(ParseError("too big bulk count string".into()));
                        }
                        return Ok(None);
                    };
                    if cr + 1 >= buf.len() {
                        return Ok(None);
                    }
                    if buf[0] != b'$' {
                        // Redis's error formatting turns newlines into spaces; a raw CR
                        // or LF would break the error line.
                        let c = match buf[0] {
                            b'\r' | b'\n' => ' ',
                            c => c as char,
                        };
                        return Err(ParseError(format!("expected '$', got '{c}'")));
                    }
                    let l = match parse_int(&buf[1..cr]) {
                        Some(l) if l >= 0 && l as u64 <= limits.max_bulk_len as u64 => l as usize,
                        _ => return Err(ParseError("invalid bulk length".into())),
                    };
                    if limits.unauthenticated && l > 16384 {
                        return Err(ParseError("unauthenticated bulk length".into()));
                    }
                    buf.advance(cr + 2);
                    self.bulk_len = Some(l);
                    if buf.capacity() - buf.len() < l + 2 && l >= 32 * 1024 {
                        // A big argument: make room once instead of growing repeatedly.
                        buf.reserve(l + 2);
                    }
                    l
                }
            };
            if buf.len() < len + 2 {
                return Ok(None);
            }
            let arg = buf.split_to(len).freeze();
            // The payload must be followed by CRLF; Redis doesn't check the bytes, just skips.
            buf.advance(2);
            self.args_bytes += arg.len() + std::mem::size_of::<Bytes>();
            self.args.push(arg);
            self.bulk_len = None;
            self.remaining -= 1;
        }
        self.args_bytes = 0;
        Ok(Some(std::mem::take(&mut self.args)))
    }
}

/// Reads a canonical positive decimal (`1`..`999999999`, or `0` when `zero_ok`) followed
/// by CRLF at `buf[*pos..]`; advances `pos` past the CRLF. None for anything else (the
/// general path then parses it and produces the exact error, or waits for more input).
#[inline(always)]
fn header_num(buf: &[u8], pos: &mut usize, zero_ok: bool) -> Option<usize> {
    let mut i = *pos;
    let first = *buf.get(i)?;
    let mut n = match first {
        b'1'..=b'9' => (first - b'0') as usize,
        b'0' if zero_ok => {
            if buf.get(i + 1) != Some(&b'\r') || buf.get(i + 2) != Some(&b'\n') {
                return None;
            }
            *pos = i + 3;
            return Some(0);
        }
        _ => return None,
    };
    i += 1;
    let limit = i + 8;
    loop {
        let c = *buf.get(i)?;
        match c {
            b'0'..=b'9' if i < limit => n = n * 10 + (c - b'0') as usize,
            b'\r' => break,
            _ => return None,
        }
        i += 1;
    }
    if buf.get(i + 1) != Some(&b'\n') {
        return None;
    }
    *pos = i + 2;
    Some(n)
}

/// The fast path for the common case: a whole, well-formed multibulk request already in
/// the buffer. Returns None (consuming nothing) whenever anything is unusual (incomplete,
/// malformed, over a limit); the general parser then handles it exactly as before.
/// The request is split off once and its arguments are slices of it (no per-argument
/// scanning calls, no per-argument split of the read buffer).
fn parse_complete(buf: &mut BytesMut, limits: &Limits) -> Option<Vec<Bytes>> {
    let b: &[u8] = buf;
    let mut pos = 1;
    let n = header_num(b, &mut pos, false)?;
    if n > limits.max_multibulk_len || (limits.unauthenticated && n > 10) || n > 1024 * 1024 {
        return None;
    }
    let mut spans: smallvec::SmallVec<[(u32, u32); 24]> = smallvec::SmallVec::new();
    for _ in 0..n {
        if *b.get(pos)? != b'$' {
            return None;
        }
        pos += 1;
        let l = header_num(b, &mut pos, true)?;
        if l > limits.max_bulk_len || (limits.unauthenticated && l > 16384) {
            return None;
        }
        let end = pos.checked_add(l)?;
        // The payload is followed by two bytes Redis skips without checking.
        if end + 2 > b.len() || end + 2 > u32::MAX as usize {
            return None;
        }
        spans.push((pos as u32, l as u32));
        pos = end + 2;
    }
    let (&(last_start, last_len), rest) = spans.split_last()?;
    let mut whole = buf.split_to(pos).freeze();
    let mut args = Vec::with_capacity(n);
    for &(start, len) in rest {
        let start = start as usize;
        args.push(whole.slice(start..start + len as usize));
    }
    // The last argument is the request itself, trimmed (one reference count less).
    whole.advance(last_start as usize);
    whole.truncate(last_len as usize);
    args.push(whole);
    Some(args)
}

fn parse_inline(buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ParseError> {
    let Some(nl) = memchr::memchr(b'\n', buf) else {
        if buf.len() > INLINE_MAX {
            return Err(ParseError("too big inline request".into()));
        }
        return Ok(None);
    };
    let mut line = &buf[..nl];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    // The usual line (`PING`, `GET key`): no quotes, no NUL. Its arguments are slices of
    // the received bytes, no copy per argument.
    if memchr::memchr3(b'"', b'\'', 0, line).is_none() {
        let len = line.len();
        let whole = buf.split_to(nl + 1).freeze();
        let mut args = Vec::new();
        let mut i = 0;
        while i < len {
            if whole[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            while i < len && !whole[i].is_ascii_whitespace() {
                i += 1;
            }
            args.push(whole.slice(start..i));
        }
        return Ok(Some(args));
    }
    let args = split_args(line).ok_or_else(|| ParseError("unbalanced quotes in request".into()))?;
    buf.advance(nl + 1);
    Ok(Some(args.into_iter().map(Bytes::from).collect()))
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Splits a line into arguments as Redis's `sdssplitargs` does: whitespace separated,
/// `"..."` with C escapes (`\n`, `\xHH`, ...) and `'...'` with only `\'`. A closing quote
/// must be followed by whitespace or the end. Returns `None` on unbalanced quotes.
/// Also used by the config file parser.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    // Redis splits a C string: a NUL byte ends the line. (Without this, a NUL between
    // arguments made the loop below push empty arguments forever.)
    let line = match memchr::memchr(0, line) {
        Some(p) => &line[..p],
        None => line,
    };
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let mut inq = false; // inside "double quotes"
        let mut insq = false; // inside 'single quotes'
        loop {
            if inq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && hex_val(line[i + 2]).is_some()
                    && hex_val(line[i + 3]).is_some()
                {
                    cur.push(hex_val(line[i + 2]).unwrap() * 16 + hex_val(line[i + 3]).unwrap());
                    i += 3;
                } else if line[i] == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        c => c,
                    });
                } else if line[i] == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    inq = false;
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                if line[i] == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if line[i] == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    insq = false;
                    i += 1;
                    break;
                } else {
                    cur.push(line[i]);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        let _ = (inq, insq);
        out.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ParseError> {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(input);
        let mut out = vec![];
        while let Some(a) = p.parse(&mut buf, &Limits::default())? {
            out.push(a);
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_pipelining() {
        let r = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0], vec![Bytes::from("GET"), Bytes::from("k")]);
        assert_eq!(r[1], vec![Bytes::from("PING")]);
    }

    #[test]
    fn byte_by_byte() {
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n";
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut got = None;
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            if let Some(a) = p.parse(&mut buf, &Limits::default()).unwrap() {
                got = Some(a);
            }
        }
        assert_eq!(got.unwrap()[2], Bytes::from("va\r\nl"));
    }

    #[test]
    fn fast_path_matches_incremental() {
        let mut input = b"*3\r\n$0\r\n\r\n$4\r\na\r\nb\r\n$10\r\n0123456789\r\n".to_vec();
        let mut big = b"*40\r\n".to_vec();
        for i in 0..40 {
            let a = format!("arg{i}");
            big.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        input.extend_from_slice(&big);
        let whole = parse_all(&input).unwrap();
        assert_eq!(whole.len(), 2);
        assert_eq!(
            whole[0],
            vec![
                Bytes::new(),
                Bytes::from("a\r\nb"),
                Bytes::from("0123456789")
            ]
        );
        assert_eq!(whole[1].len(), 40);
        assert_eq!(whole[1][39], Bytes::from("arg39"));
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut got = vec![];
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            while let Some(a) = p.parse(&mut buf, &Limits::default()).unwrap() {
                got.push(a);
            }
        }
        assert_eq!(got, whole);
        // Non-canonical numbers and limits still get the general path's answers.
        assert_eq!(
            parse_all(b"*01\r\n$1\r\na\r\n").unwrap_err().0,
            "invalid multibulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\n$01\r\na\r\n").unwrap_err().0,
            "invalid bulk length"
        );
        let unauth = Limits {
            unauthenticated: true,
            ..Limits::default()
        };
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(&b"*11\r\n"[..]);
        for _ in 0..11 {
            buf.extend_from_slice(b"$1\r\na\r\n");
        }
        assert_eq!(
            p.parse(&mut buf, &unauth).unwrap_err().0,
            "unauthenticated multibulk length"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse_all(b"*2\r\n+3\r\n").unwrap_err().0,
            "expected '$', got '+'"
        );
        assert_eq!(
            parse_all(b"*abc\r\n").unwrap_err().0,
            "invalid multibulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\n$-5\r\n").unwrap_err().0,
            "invalid bulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\n$600000000\r\n").unwrap_err().0,
            "invalid bulk length"
        );
        assert_eq!(
            parse_all(b"set \"a\r\n").unwrap_err().0,
            "unbalanced quotes in request"
        );
    }

    #[test]
    fn inline() {
        let r = parse_all(b"set k \"a b\\x41\" 'c\\'d'\r\nPING\n\r\n").unwrap();
        assert_eq!(
            r[0],
            vec![
                Bytes::from("set"),
                Bytes::from("k"),
                Bytes::from("a bA"),
                Bytes::from("c'd")
            ]
        );
        assert_eq!(r[1], vec![Bytes::from("PING")]);
        assert!(r[2].is_empty());
        // Unquoted lines take the no-copy path: the same splitting.
        let r = parse_all(b"  get \t k1  v\r\n\t\r\nx\n").unwrap();
        assert_eq!(
            r[0],
            vec![Bytes::from("get"), Bytes::from("k1"), Bytes::from("v")]
        );
        assert!(r[1].is_empty());
        assert_eq!(r[2], vec![Bytes::from("x")]);
    }

    #[test]
    fn split_args_quote_rules() {
        assert!(split_args(b"\"a\"b").is_none());
        assert_eq!(split_args(b"  ").unwrap().len(), 0);
        assert_eq!(split_args(b"\"\"").unwrap(), vec![Vec::<u8>::new()]);
    }
}
