//! Small helpers shared by every family: Redis's strict number parsing, glob matching, time.

use std::time::{SystemTime, UNIX_EPOCH};

/// Parses an integer the way Redis's `string2ll` does: optional `-`, no `+`, no spaces, no
/// leading zeros, must fit in i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' {
        (true, &s[1..])
    } else {
        (false, s)
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || s[0] == b'-' || s[0] == b'+' {
        return None;
    }
    if s.len() > 1 && s[0] == b'0' {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Parses a double as Redis's `string2d`/`strtod`: no leading whitespace, the whole string
/// consumed, NaN rejected; `inf`, `-inf`, `+inf` (any case) accepted.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s[0].is_ascii_whitespace() || s.len() > 5120 {
        return None;
    }
    let st = std::str::from_utf8(s).ok()?;
    let lower = st.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => {
            // Rust accepts "nan"/"inf" spellings we handle above, plus things strtod doesn't
            // ("1_0" no, but ".5" and "5." both ok in both), so filter the alphabet first.
            if !st
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'-' | b'+'))
            {
                return None;
            }
            st.parse::<f64>().ok()?
        }
    };
    if v.is_nan() {
        None
    } else {
        Some(v)
    }
}

/// Unix time from the system clock, in microseconds: one `clock_gettime` (a vDSO call,
/// 30-40 ns on these VMs).
fn system_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Microseconds since the first call, from quanta's TSC clock (rdtsc, calibrated once;
/// the same clock that times every command).
fn tsc_us(at: quanta::Instant) -> u64 {
    static T0: std::sync::OnceLock<quanta::Instant> = std::sync::OnceLock::new();
    let t0 = *T0.get_or_init(quanta::Instant::now);
    at.saturating_duration_since(t0).as_micros() as u64
}

/// Unix time minus TSC time, in µs, as of the last `update_coarse_clock`; 0 = never synced.
static OFFSET_US: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

thread_local! {
    /// The last `now_us` this thread returned, so its clock never steps back.
    static LAST_US: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Current Unix time in microseconds. Every command reads it (expiry needs Redis's
/// millisecond precision), so it comes from the TSC (rdtsc, no vDSO call) plus an offset
/// to the system clock that the cron re-reads every tick: a change of the system clock
/// shows within 1/hz. A re-sync never moves a thread's clock back by less than a second
/// (small corrections wait for time to catch up); a bigger backward jump is followed.
pub fn now_us() -> u64 {
    unix_us_at(quanta::Instant::now())
}

/// `now_us` as of `at`, a TSC reading the caller already has (the dispatcher's command
/// start): one clock read per command serves both its timing and its `now`.
pub fn unix_us_at(at: quanta::Instant) -> u64 {
    let off = OFFSET_US.load(std::sync::atomic::Ordering::Relaxed);
    if off == 0 {
        return system_us();
    }
    let t = (tsc_us(at) as i64 + off) as u64;
    LAST_US.with(|last| {
        let l = last.get();
        if t < l && l - t < 1_000_000 {
            l
        } else {
            last.set(t);
            t
        }
    })
}

/// Current Unix time in milliseconds (see `now_us`).
pub fn now_ms() -> u64 {
    now_us() / 1000
}

static COARSE_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Unix time in milliseconds as of the cron's last tick (at most 1/hz old): for
/// bookkeeping that only needs seconds (a client's last interaction), without a clock
/// read per request.
pub fn coarse_now_ms() -> u64 {
    match COARSE_MS.load(std::sync::atomic::Ordering::Relaxed) {
        0 => now_ms(),
        t => t,
    }
}

/// Re-reads the system clock: refreshes `coarse_now_ms` and `now_us`'s offset (the cron,
/// every tick, and once at startup).
pub fn update_coarse_clock() {
    let real = system_us();
    let off = real as i64 - tsc_us(quanta::Instant::now()) as i64;
    OFFSET_US.store(
        if off == 0 { 1 } else { off },
        std::sync::atomic::Ordering::Relaxed,
    );
    COARSE_MS.store(real / 1000, std::sync::atomic::Ordering::Relaxed);
}

/// Redis's glob matcher (`stringmatchlen`): `*`, `?`, `[...]` with ranges and `^`, `\`
/// escapes. Bounded recursion so hostile patterns can't blow the stack.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    glob_impl(pattern, string, nocase, &mut skip_longer, 0)
}

fn glob_impl(
    mut p: &[u8],
    mut s: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    nesting: usize,
) -> bool {
    // Protection against abusive patterns, as in Redis (stringmatchlen_impl).
    if nesting > 1000 {
        return false;
    }
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if glob_impl(&p[1..], s, nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                *skip_longer = true;
                return false;
            }
            b'?' => {
                s = &s[1..];
            }
            b'[' => {
                p = &p[1..];
                let not = !p.is_empty() && p[0] == b'^';
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    if p.is_empty() {
                        break;
                    }
                    if p[0] == b'\\' && p.len() >= 2 {
                        p = &p[1..];
                        if p[0] == s[0] {
                            matched = true;
                        }
                    } else if p[0] == b']' {
                        break;
                    } else if p.len() >= 3 && p[1] == b'-' {
                        let (mut start, mut end) = (p[0], p[2]);
                        let mut c = s[0];
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = start.to_ascii_lowercase();
                            end = end.to_ascii_lowercase();
                            c = c.to_ascii_lowercase();
                        }
                        p = &p[2..];
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if eq(p[0], s[0]) {
                        matched = true;
                    }
                    p = &p[1..];
                }
                // p now at ']' or empty (unterminated class: Redis treats end as ']').
                if p.is_empty() {
                    // Redis steps back so the outer loop's advance lands at the end.
                    let matched = if not { !matched } else { matched };
                    if !matched {
                        return false;
                    }
                    s = &s[1..];
                    // pattern exhausted
                    break;
                }
                let matched = if not { !matched } else { matched };
                if !matched {
                    return false;
                }
                s = &s[1..];
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if !eq(p[0], s[0]) {
                    return false;
                }
                s = &s[1..];
            }
            c => {
                if !eq(c, s[0]) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while !p.is_empty() && p[0] == b'*' {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

/// ASCII-lowercases into a new String (command names, options).
pub fn lower(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_ascii_lowercase()
}

/// Case-insensitive compare of an argument with an option name.
#[inline]
pub fn eq_ic(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/// Parses memory sizes with Redis's units: `1k`=1000, `1kb`=1024, `1m`, `1mb`, `1g`, `1gb`.
pub fn parse_memory(s: &str) -> Option<i64> {
    let l = s.trim().to_ascii_lowercase();
    let (num, mul): (&str, i64) = if let Some(n) = l.strip_suffix("gb") {
        (n, 1024 * 1024 * 1024)
    } else if let Some(n) = l.strip_suffix("mb") {
        (n, 1024 * 1024)
    } else if let Some(n) = l.strip_suffix("kb") {
        (n, 1024)
    } else if let Some(n) = l.strip_suffix('g') {
        (n, 1000 * 1000 * 1000)
    } else if let Some(n) = l.strip_suffix('m') {
        (n, 1000 * 1000)
    } else if let Some(n) = l.strip_suffix('k') {
        (n, 1000)
    } else if let Some(n) = l.strip_suffix('b') {
        (n, 1)
    } else {
        (l.as_str(), 1)
    };
    let v: i64 = num.parse().ok()?;
    v.checked_mul(mul)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b" 1"), None);
    }

    #[test]
    fn floats() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
    }

    #[test]
    fn globs() {
        assert!(glob_match(b"*", b"anything", false));
        assert!(glob_match(b"h?llo", b"hello", false));
        assert!(glob_match(b"h[ae]llo", b"hallo", false));
        assert!(!glob_match(b"h[^e]llo", b"hello", false));
        assert!(glob_match(b"h[a-b]llo", b"hbllo", false));
        assert!(glob_match(b"h\\*llo", b"h*llo", false));
        assert!(!glob_match(b"a*b", b"acd", false));
        assert!(glob_match(b"*a*", b"bab", false));
        assert!(glob_match(b"HELLO", b"hello", true));
        assert!(!glob_match(b"", b"a", false));
        assert!(glob_match(b"a*", b"a", false));
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("100mb"), Some(100 << 20));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("42"), Some(42));
        assert_eq!(parse_memory("x"), None);
    }
}

/// A statistics counter that many threads bump: striped over cache-line-sized cells so
/// threads don't bounce one cache line on every command; reads sum the stripes.
/// Same method names as an atomic, so call sites read the same.
#[derive(Default)]
pub struct Counter {
    cells: [Cell64; STRIPES],
}

const STRIPES: usize = 4;
/// Number of stripes of `Counter` (for other striped statistics).
pub const COUNTER_STRIPES: usize = STRIPES;

/// This thread's stripe index (0..COUNTER_STRIPES).
#[inline]
pub fn counter_stripe() -> usize {
    STRIPE.with(|s| *s)
}

#[repr(align(64))]
#[derive(Default)]
struct Cell64(std::sync::atomic::AtomicU64);

thread_local! {
    static STRIPE: usize = {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % STRIPES
    };
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.load(std::sync::atomic::Ordering::Relaxed))
    }
}

impl Counter {
    #[inline]
    pub fn fetch_add(&self, v: u64, o: std::sync::atomic::Ordering) -> u64 {
        STRIPE.with(|s| self.cells[*s].0.fetch_add(v, o))
    }
    pub fn load(&self, o: std::sync::atomic::Ordering) -> u64 {
        self.cells.iter().map(|c| c.0.load(o)).sum()
    }
    pub fn store(&self, v: u64, o: std::sync::atomic::Ordering) {
        for (i, c) in self.cells.iter().enumerate() {
            c.0.store(if i == 0 { v } else { 0 }, o);
        }
    }
}

/// The bytes a C string function sees of `b`: up to the first NUL.
pub fn c_bytes(b: &[u8]) -> &[u8] {
    memchr::memchr(0, b).map_or(b, |i| &b[..i])
}

/// An argument as C's `%s` prints it in Redis's error messages: cut at the first NUL.
pub fn c_str(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(c_bytes(b))
}

/// What C's `strtod` makes of `b` read as a C string (`c_bytes`).
pub struct Strtod {
    pub value: f64,
    /// Bytes consumed (leading whitespace included); 0 if nothing converted.
    pub used: usize,
    /// strtod set errno to ERANGE (overflow to +-HUGE_VAL, or underflow).
    pub erange: bool,
}

/// C's strtod, so that Redis's number syntax (hex floats, `inf`/`infinity`, leading
/// whitespace and `+`) and its ERANGE cases come out exactly as in Redis.
pub fn c_strtod(b: &[u8]) -> Strtod {
    let b = c_bytes(b);
    let mut buf: smallvec::SmallVec<[u8; 64]> = smallvec::SmallVec::with_capacity(b.len() + 1);
    buf.extend_from_slice(b);
    buf.push(0);
    let mut eptr: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call; strtod only reads it and
    // stores a pointer into it in `eptr`. errno is this thread's.
    let (value, erange) = unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtod(buf.as_ptr() as *const libc::c_char, &mut eptr);
        (v, *libc::__errno_location() == libc::ERANGE)
    };
    let used = (eptr as usize).saturating_sub(buf.as_ptr() as usize);
    Strtod {
        value,
        used,
        erange,
    }
}
