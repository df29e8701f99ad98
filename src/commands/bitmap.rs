//! Bitmaps: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO (Redis's
//! bitops.c). Bits are numbered from the most significant bit of the first byte.

use super::string::{max_string_len, string_for_write};
use crate::command::{arg, err, Ctx, LockMode, Registry};
use crate::config::notify;
use crate::resp::Reply;
use crate::store::{StrValue, Value};
use crate::util::{eq_ic, parse_i64};
use bytes::Bytes;

pub fn register(r: &mut Registry) {
    r.add("setbit", setbit, LockMode::Keys);
    r.add("getbit", getbit, LockMode::Keys);
    r.add("bitcount", bitcount, LockMode::Keys);
    r.add("bitpos", bitpos, LockMode::Keys);
    r.add("bitop", bitop, LockMode::Keys);
    r.add("bitfield", bitfield, LockMode::Keys);
    r.add("bitfield_ro", bitfield_ro, LockMode::Keys);
}

fn offset_err() -> Reply {
    Reply::err("ERR bit offset is not an integer or out of range")
}

/// A bit offset argument (Redis's getBitOffsetFromArgument): with `hash`, `#N` means
/// N * `bits`. Limited to `proto-max-bulk-len` bytes.
fn bit_offset(ctx: &Ctx, a: &[u8], hash: bool, bits: u64) -> Result<u64, Reply> {
    let usehash = hash && a.len() > 1 && a[0] == b'#';
    let mut v = parse_i64(&a[usehash as usize..]).ok_or_else(offset_err)?;
    if usehash {
        v = v.checked_mul(bits as i64).ok_or_else(offset_err)?;
    }
    if v < 0 || (v as u64 >> 3) >= max_string_len(ctx) {
        return Err(offset_err());
    }
    Ok(v as u64)
}

fn setbit(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let offset = match bit_offset(ctx, &args[2], false, 0) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let on = match parse_i64(&args[3]) {
        Some(v @ (0 | 1)) => v as u8,
        _ => return Reply::err("ERR bit is not an integer or out of range"),
    };
    let byte = (offset >> 3) as usize;
    let (buf, mut changed) = match string_for_write(ctx, key, byte + 1) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let shift = 7 - (offset & 7) as u8;
    let old = (buf[byte] >> shift) & 1;
    if old != on {
        buf[byte] ^= 1 << shift;
        changed = true;
    }
    if changed {
        ctx.modified(key);
        ctx.notify(notify::STRING, "setbit", key);
    }
    Reply::Int(old as i64)
}

fn getbit(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let offset = match bit_offset(ctx, &args[2], false, 0) {
        Ok(v) => v,
        Err(e) => return e,
    };
    match ctx.lookup_read(&args[1]) {
        None => Reply::Int(0),
        Some(e) => match &e.value {
            Value::Str(s) => {
                let mut buf = [0u8; 20];
                let bytes = s.bytes(&mut buf);
                let byte = (offset >> 3) as usize;
                let bit = bytes.get(byte).map_or(0, |b| (b >> (7 - (offset & 7))) & 1);
                Reply::Int(bit as i64)
            }
            _ => err::wrong_type(),
        },
    }
}

/// Number of set bits in `p`.
fn popcount(p: &[u8]) -> u64 {
    let mut chunks = p.chunks_exact(8);
    let mut n: u64 = 0;
    for c in &mut chunks {
        n += u64::from_ne_bytes(c.try_into().unwrap()).count_ones() as u64;
    }
    for b in chunks.remainder() {
        n += b.count_ones() as u64;
    }
    n
}

/// Converts a `start end [BYTE|BIT]` range to an inclusive bit range over a string of
/// `len` bytes, as Redis does (negative indexes from the end, clamped). None if empty.
fn bit_range(start: i64, end: i64, isbit: bool, len: usize) -> Option<(u64, u64)> {
    let mut total = len as i64;
    if isbit {
        total <<= 3;
    }
    let (mut s, mut e) = (start, end);
    if s < 0 {
        s += total;
    }
    if e < 0 {
        e += total;
    }
    s = s.max(0);
    e = e.max(0);
    if e >= total {
        e = total - 1;
    }
    if s > e {
        return None;
    }
    if isbit {
        Some((s as u64, e as u64))
    } else {
        Some(((s as u64) << 3, ((e as u64) << 3) + 7))
    }
}

/// Reads a `start end [BYTE|BIT]` unit argument.
fn parse_unit(a: &[u8]) -> Result<bool, Reply> {
    if eq_ic(a, "bit") {
        Ok(true)
    } else if eq_ic(a, "byte") {
        Ok(false)
    } else {
        Err(err::syntax())
    }
}

fn bitcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    // Arguments are checked before the key is looked up (Redis 7.2).
    let range = match args.len() {
        2 => None,
        4 | 5 => {
            let (start, end) = match (arg::int(&args[2]), arg::int(&args[3])) {
                (Ok(s), Ok(e)) => (s, e),
                (Err(e), _) | (_, Err(e)) => return e,
            };
            let isbit = match args.get(4).map(|a| parse_unit(a)).transpose() {
                Ok(v) => v.unwrap_or(false),
                Err(e) => return e,
            };
            Some((start, end, isbit))
        }
        _ => return err::syntax(),
    };
    let e = match ctx.lookup_read(&args[1]) {
        None => return Reply::Int(0),
        Some(e) => e,
    };
    let Value::Str(s) = &e.value else {
        return err::wrong_type();
    };
    let mut buf = [0u8; 20];
    let p = s.bytes(&mut buf);
    let (sb, eb) = match range {
        None if p.is_empty() => return Reply::Int(0),
        None => (0, (p.len() as u64) * 8 - 1),
        Some((start, end, _)) if start < 0 && end < 0 && start > end => return Reply::Int(0),
        Some((start, end, isbit)) => match bit_range(start, end, isbit, p.len()) {
            None => return Reply::Int(0),
            Some(r) => r,
        },
    };
    let (first, last) = ((sb >> 3) as usize, (eb >> 3) as usize);
    let mut n = popcount(&p[first..=last]);
    // Drop the bits of the edge bytes that are outside the range.
    let head = (sb & 7) as u32;
    if head != 0 {
        n -= (p[first] >> (8 - head)).count_ones() as u64;
    }
    let tail = 7 - (eb & 7) as u32;
    if tail != 0 {
        n -= (p[last] & ((1u8 << tail) - 1)).count_ones() as u64;
    }
    Reply::Int(n as i64)
}

/// The first bit equal to `bit` in the inclusive bit range `[sb, eb]` of `p`.
fn find_bit(p: &[u8], bit: u8, sb: u64, eb: u64) -> Option<u64> {
    let skip: u8 = if bit == 1 { 0x00 } else { 0xff };
    let test = |pos: u64| (p[(pos >> 3) as usize] >> (7 - (pos & 7))) & 1 == bit;
    let mut pos = sb;
    // Leading partial byte.
    while pos <= eb && pos & 7 != 0 {
        if test(pos) {
            return Some(pos);
        }
        pos += 1;
    }
    if pos > eb {
        return None;
    }
    // Whole bytes: skip those that can't contain the bit, a word at a time.
    let last_full = if eb & 7 == 7 {
        (eb >> 3) as i64
    } else {
        (eb >> 3) as i64 - 1
    };
    let mut byte = (pos >> 3) as i64;
    let skip_word = u64::from_ne_bytes([skip; 8]);
    while byte + 8 <= last_full + 1 {
        let w = u64::from_ne_bytes(p[byte as usize..byte as usize + 8].try_into().unwrap());
        if w != skip_word {
            break;
        }
        byte += 8;
    }
    while byte <= last_full {
        let v = p[byte as usize];
        if v != skip {
            let lead = if bit == 1 {
                v.leading_zeros()
            } else {
                v.leading_ones()
            };
            return Some(((byte as u64) << 3) + lead as u64);
        }
        byte += 1;
    }
    pos = (byte as u64) << 3;
    // Trailing partial byte.
    while pos <= eb {
        if test(pos) {
            return Some(pos);
        }
        pos += 1;
    }
    None
}

fn bitpos(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let bit = match arg::int(&args[2]) {
        Ok(v @ (0 | 1)) => v as u8,
        Ok(_) => return Reply::err("ERR The bit argument must be 1 or 0."),
        Err(e) => return e,
    };
    let mut start = 0;
    let mut end: Option<i64> = None;
    let mut isbit = false;
    match args.len() {
        3 => {}
        4..=6 => {
            match arg::int(&args[3]) {
                Ok(v) => start = v,
                Err(e) => return e,
            }
            if args.len() == 6 {
                match parse_unit(&args[5]) {
                    Ok(v) => isbit = v,
                    Err(e) => return e,
                }
            }
            if args.len() >= 5 {
                match arg::int(&args[4]) {
                    Ok(v) => end = Some(v),
                    Err(e) => return e,
                }
            }
        }
        _ => return err::syntax(),
    }
    let e = match ctx.lookup_read(&args[1]) {
        // A missing key is an infinite run of zeros.
        None => return Reply::Int(if bit == 1 { -1 } else { 0 }),
        Some(e) => e,
    };
    let Value::Str(s) = &e.value else {
        return err::wrong_type();
    };
    let mut buf = [0u8; 20];
    let p = s.bytes(&mut buf);
    let len = p.len() as i64;
    let end_given = end.is_some();
    let end = end.unwrap_or(if isbit { (len << 3) + 7 } else { len - 1 });
    let Some((sb, eb)) = bit_range(start, end, isbit, p.len()) else {
        return Reply::Int(-1);
    };
    match find_bit(p, bit, sb, eb) {
        Some(pos) => Reply::Int(pos as i64),
        None if bit == 1 || end_given => Reply::Int(-1),
        // Looking for a clear bit with no explicit end: the string is taken as padded
        // with zeros on the right, so the answer is the first bit after the range.
        None => Reply::Int(eb as i64 + 1),
    }
}

fn bitop(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    #[derive(PartialEq, Clone, Copy)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = match &args[1] {
        a if eq_ic(a, "and") => Op::And,
        a if eq_ic(a, "or") => Op::Or,
        a if eq_ic(a, "xor") => Op::Xor,
        a if eq_ic(a, "not") => Op::Not,
        _ => return err::syntax(),
    };
    if op == Op::Not && args.len() != 4 {
        return Reply::err("ERR BITOP NOT must be called with a single source key.");
    }
    let dest = &args[2];
    let mut res: Vec<u8> = Vec::new();
    for (i, key) in args[3..].iter().enumerate() {
        let e = ctx.lookup_read(key);
        let mut buf = [0u8; 20];
        let src: &[u8] = match e {
            None => &[],
            Some(e) => match &e.value {
                Value::Str(s) => s.bytes(&mut buf),
                _ => return err::wrong_type(),
            },
        };
        if i == 0 {
            res = match op {
                Op::Not => src.iter().map(|b| !b).collect(),
                _ => src.to_vec(),
            };
            continue;
        }
        if src.len() > res.len() {
            res.resize(src.len(), 0);
        }
        match op {
            Op::And => {
                for (r, s) in res.iter_mut().zip(src) {
                    *r &= s;
                }
                for r in res.iter_mut().skip(src.len()) {
                    *r = 0;
                }
            }
            Op::Or => {
                for (r, s) in res.iter_mut().zip(src) {
                    *r |= s;
                }
            }
            Op::Xor => {
                for (r, s) in res.iter_mut().zip(src) {
                    *r ^= s;
                }
            }
            Op::Not => unreachable!(),
        }
    }
    let maxlen = res.len();
    if maxlen > 0 {
        ctx.set_value(dest, Value::Str(StrValue::Buf(Box::new(res))), 0, false);
        ctx.notify(notify::STRING, "set", dest);
    } else if ctx.delete(dest) {
        ctx.notify(notify::GENERIC, "del", dest);
    }
    Reply::Int(maxlen as i64)
}

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum FieldOp {
    Get,
    Set,
    IncrBy,
}

struct BitfieldOp {
    op: FieldOp,
    offset: u64,
    value: i64,
    bits: u32,
    signed: bool,
    overflow: Overflow,
}

fn field_type(a: &[u8]) -> Result<(bool, u32), Reply> {
    let e = || {
        Reply::err(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not \
             supported but i64 is.",
        )
    };
    let signed = match a.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(e()),
    };
    match parse_i64(&a[1..]) {
        Some(n) if n >= 1 && ((signed && n <= 64) || (!signed && n <= 63)) => {
            Ok((signed, n as u32))
        }
        _ => Err(e()),
    }
}

/// Reads `bits` bits at bit `offset` (bits past the end of `p` read as zero).
fn get_unsigned(p: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..bits as u64 {
        let pos = offset + i;
        let bit = p
            .get((pos >> 3) as usize)
            .map_or(0, |b| (b >> (7 - (pos & 7))) & 1);
        v = (v << 1) | bit as u64;
    }
    v
}

fn get_signed(p: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_unsigned(p, offset, bits);
    if bits < 64 && v & (1 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// Writes the low `bits` bits of `v` at bit `offset`; `p` is long enough.
fn set_field(p: &mut [u8], offset: u64, bits: u32, v: u64) {
    for i in 0..bits as u64 {
        let bit = (v >> (bits as u64 - 1 - i)) & 1;
        let pos = offset + i;
        let byte = &mut p[(pos >> 3) as usize];
        let shift = 7 - (pos & 7);
        *byte = (*byte & !(1 << shift)) | ((bit as u8) << shift);
    }
}

/// Redis's checkUnsignedBitfieldOverflow: Some(value to store) on overflow (for FAIL the
/// value is unused), None if `value + incr` fits.
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max: u64 = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = (value as i64).wrapping_neg();
    let wrap = || value.wrapping_add(incr as u64) & max;
    if value > max || (incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => max,
        })
    } else if incr < 0 && incr < minincr {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => 0,
        })
    } else {
        None
    }
}

/// Redis's checkSignedBitfieldOverflow.
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => max,
        })
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        Some(match ow {
            Overflow::Wrap => wrap(),
            _ => min,
        })
    } else {
        None
    }
}

fn bitfield(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bitfield_generic(ctx, args, false)
}

fn bitfield_ro(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    bitfield_generic(ctx, args, true)
}

fn bitfield_generic(ctx: &mut Ctx, args: &[Bytes], ro: bool) -> Reply {
    let key = &args[1];
    let mut ops: Vec<BitfieldOp> = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut readonly = true;
    let mut highest_write: u64 = 0;
    let mut j = 2;
    while j < args.len() {
        let rem = args.len() - j - 1;
        let sub = &args[j];
        let op = if eq_ic(sub, "get") && rem >= 2 {
            FieldOp::Get
        } else if eq_ic(sub, "set") && rem >= 3 {
            FieldOp::Set
        } else if eq_ic(sub, "incrby") && rem >= 3 {
            FieldOp::IncrBy
        } else if eq_ic(sub, "overflow") && rem >= 1 {
            let t = &args[j + 1];
            overflow = if eq_ic(t, "wrap") {
                Overflow::Wrap
            } else if eq_ic(t, "sat") {
                Overflow::Sat
            } else if eq_ic(t, "fail") {
                Overflow::Fail
            } else {
                return Reply::err("ERR Invalid OVERFLOW type specified");
            };
            j += 2;
            continue;
        } else {
            return err::syntax();
        };
        let (signed, bits) = match field_type(&args[j + 1]) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let offset = match bit_offset(ctx, &args[j + 2], true, bits as u64) {
            Ok(v) => v,
            Err(e) => return e,
        };
        let mut value = 0;
        if op != FieldOp::Get {
            readonly = false;
            highest_write = highest_write.max(offset + bits as u64 - 1);
            match arg::int(&args[j + 3]) {
                Ok(v) => value = v,
                Err(e) => return e,
            }
        }
        ops.push(BitfieldOp {
            op,
            offset,
            value,
            bits,
            signed,
            overflow,
        });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }

    if readonly {
        let e = ctx.lookup_read(key);
        let mut buf = [0u8; 20];
        let p: &[u8] = match e {
            None => &[],
            Some(e) => match &e.value {
                Value::Str(s) => s.bytes(&mut buf),
                _ => return err::wrong_type(),
            },
        };
        let out = ops
            .iter()
            .map(|o| {
                if o.signed {
                    Reply::Int(get_signed(p, o.offset, o.bits))
                } else {
                    Reply::Int(get_unsigned(p, o.offset, o.bits) as i64)
                }
            })
            .collect();
        return Reply::Array(out);
    }
    if ro {
        return Reply::err("ERR BITFIELD_RO only supports the GET subcommand");
    }
    let (p, grown) = match string_for_write(ctx, key, (highest_write >> 3) as usize + 1) {
        Ok(v) => v,
        Err(e) => return e,
    };
    let mut out = Vec::with_capacity(ops.len());
    let mut changes = 0;
    for o in &ops {
        if o.op == FieldOp::Get {
            out.push(if o.signed {
                Reply::Int(get_signed(p, o.offset, o.bits))
            } else {
                Reply::Int(get_unsigned(p, o.offset, o.bits) as i64)
            });
            continue;
        }
        let (ok, ret, newval) = if o.signed {
            let old = get_signed(p, o.offset, o.bits);
            let (ovf, new, ret) = if o.op == FieldOp::IncrBy {
                match signed_overflow(old, o.value, o.bits, o.overflow) {
                    Some(w) => (true, w, w),
                    None => (false, old + o.value, old + o.value),
                }
            } else {
                match signed_overflow(o.value, 0, o.bits, o.overflow) {
                    Some(w) => (true, w, old),
                    None => (false, o.value, old),
                }
            };
            (!(ovf && o.overflow == Overflow::Fail), ret, new as u64)
        } else {
            let old = get_unsigned(p, o.offset, o.bits);
            let (ovf, new, ret) = if o.op == FieldOp::IncrBy {
                match unsigned_overflow(old, o.value, o.bits, o.overflow) {
                    Some(w) => (true, w, w),
                    None => {
                        let n = old.wrapping_add(o.value as u64);
                        (false, n, n)
                    }
                }
            } else {
                match unsigned_overflow(o.value as u64, 0, o.bits, o.overflow) {
                    Some(w) => (true, w, old),
                    None => (false, o.value as u64, old),
                }
            };
            (!(ovf && o.overflow == Overflow::Fail), ret as i64, new)
        };
        if ok {
            // Only a created/grown string or a changed value counts as a change (7.2).
            let before = get_unsigned(p, o.offset, o.bits);
            set_field(p, o.offset, o.bits, newval);
            if grown || before != get_unsigned(p, o.offset, o.bits) {
                changes += 1;
            }
            out.push(Reply::Int(ret));
        } else {
            out.push(Reply::Nil);
        }
    }
    if changes > 0 {
        ctx.modified(key);
        ctx.dirty += changes - 1;
        ctx.notify(notify::STRING, "setbit", key);
    }
    Reply::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::string::testkit::Kit;

    fn pe(k: &mut Kit, line: &str) -> (Vec<String>, Vec<String>) {
        let r = k.run(line);
        (r.propagated, r.events)
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn events_and_propagation() {
        let mut k = Kit::new();
        assert_eq!(
            pe(&mut k, "SETBIT b 7 1"),
            (v(&["SETBIT b 7 1"]), v(&["setbit:b"]))
        );
        // Unchanged bit: nothing to propagate or notify (Redis 7.2).
        assert_eq!(pe(&mut k, "SETBIT b 7 1"), (v(&[]), v(&[])));
        assert_eq!(pe(&mut k, "SETBIT b 6 0"), (v(&[]), v(&[])));
        assert_eq!(
            pe(&mut k, "SETBIT b 100 0"),
            (v(&["SETBIT b 100 0"]), v(&["setbit:b"]))
        );
        assert_eq!(pe(&mut k, "GETBIT b 7"), (v(&[]), v(&[])));
        assert_eq!(
            pe(&mut k, "BITFIELD b SET u8 0 3"),
            (v(&["BITFIELD b SET u8 0 3"]), v(&["setbit:b"]))
        );
        assert_eq!(pe(&mut k, "BITFIELD b GET u8 0"), (v(&[]), v(&[])));
        // Same value again, a failed write: no change (Redis 7.2).
        assert_eq!(pe(&mut k, "BITFIELD b SET u8 0 3"), (v(&[]), v(&[])));
        assert_eq!(pe(&mut k, "BITFIELD b INCRBY u8 0 0"), (v(&[]), v(&[])));
        assert_eq!(
            pe(&mut k, "BITFIELD b OVERFLOW FAIL INCRBY u8 0 255"),
            (v(&[]), v(&[]))
        );
        assert_eq!(
            pe(&mut k, "BITFIELD b SET i5 0 0 SET u8 0 2"),
            (v(&["BITFIELD b SET i5 0 0 SET u8 0 2"]), v(&["setbit:b"]))
        );
        // A new key counts even when the value written is zero.
        assert_eq!(
            pe(&mut k, "BITFIELD b2 SET i5 0 0"),
            (v(&["BITFIELD b2 SET i5 0 0"]), v(&["setbit:b2"]))
        );
        assert_eq!(
            pe(&mut k, "SETBIT b3 0 0"),
            (v(&["SETBIT b3 0 0"]), v(&["setbit:b3"]))
        );
        assert_eq!(
            pe(&mut k, "BITOP NOT d b"),
            (v(&["BITOP NOT d b"]), v(&["set:d"]))
        );
        assert_eq!(
            pe(&mut k, "BITOP AND d nokey"),
            (v(&["BITOP AND d nokey"]), v(&["del:d"]))
        );
        assert_eq!(pe(&mut k, "BITOP AND d nokey"), (v(&[]), v(&[])));
    }

    #[test]
    fn overflow_rules() {
        // Unsigned: wrap/sat/fail.
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Wrap), Some(4));
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Sat), Some(255));
        assert_eq!(unsigned_overflow(5, -10, 8, Overflow::Sat), Some(0));
        assert_eq!(unsigned_overflow(5, -10, 8, Overflow::Wrap), Some(251));
        assert_eq!(unsigned_overflow(5, 10, 8, Overflow::Wrap), None);
        // Signed.
        assert_eq!(signed_overflow(120, 10, 8, Overflow::Wrap), Some(-126));
        assert_eq!(signed_overflow(120, 10, 8, Overflow::Sat), Some(127));
        assert_eq!(signed_overflow(-120, -10, 8, Overflow::Sat), Some(-128));
        assert_eq!(
            signed_overflow(i64::MAX, 1, 64, Overflow::Wrap),
            Some(i64::MIN)
        );
        assert_eq!(signed_overflow(-1, 1, 64, Overflow::Wrap), None);
        // Bit order: most significant bit of byte 0 first.
        let mut p = [0u8; 3];
        set_field(&mut p, 4, 8, 0xab);
        assert_eq!(p, [0x0a, 0xb0, 0]);
        assert_eq!(get_unsigned(&p, 4, 8), 0xab);
        assert_eq!(get_signed(&p, 4, 8), 0xab_u8 as i8 as i64);
        assert_eq!(get_unsigned(&p, 20, 8), 0);
    }

    #[test]
    fn find_bit_matches_a_naive_scan() {
        let data: Vec<u8> = (0..40u32).map(|i| (i * 37 % 256) as u8).collect();
        let mut p = data.clone();
        p[10..30].fill(0);
        let naive = |bit: u8, sb: u64, eb: u64| {
            (sb..=eb).find(|&i| (p[(i >> 3) as usize] >> (7 - (i & 7))) & 1 == bit)
        };
        for bit in [0u8, 1] {
            for sb in [0u64, 3, 8, 13, 80, 81, 200] {
                for eb in [sb, sb + 1, sb + 7, sb + 70, 319] {
                    if eb >= 320 || sb > eb {
                        continue;
                    }
                    assert_eq!(
                        find_bit(&p, bit, sb, eb),
                        naive(bit, sb, eb),
                        "{bit} {sb} {eb}"
                    );
                }
            }
        }
        let ones = [0xffu8; 20];
        assert_eq!(find_bit(&ones, 0, 0, 159), None);
        assert_eq!(find_bit(&ones, 1, 5, 159), Some(5));
    }
}
