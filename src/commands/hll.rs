//! HyperLogLog: PFADD, PFCOUNT, PFMERGE (and PFDEBUG), byte-compatible with Redis's
//! hyperloglog.c. An HLL is a plain string value: a 16-byte header ("HYLL", encoding,
//! 3 unused bytes, 8 bytes of cached cardinality, little-endian, top bit = invalid)
//! followed by either the dense registers (16384 x 6 bits) or the sparse opcodes
//! (ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx). GET/SET of an HLL key
//! therefore interoperates with real Redis.

use crate::command::{err, Ctx, LockMode, Propagate, Registry};
use crate::config::notify;
use crate::resp::Reply;
use crate::store::{Sds, StrValue, Value};
use crate::util::eq_ic;
use bytes::Bytes;

pub fn register(r: &mut Registry) {
    r.add("pfadd", pfadd, LockMode::Keys);
    r.add("pfcount", pfcount, LockMode::Keys);
    r.add("pfmerge", pfmerge, LockMode::Keys);
    r.add("pfdebug", pfdebug, LockMode::Keys);
    r.add("pfselftest", pfselftest, LockMode::None);
}

const P: u32 = 14;
const Q: u32 = 64 - P;
const REGISTERS: usize = 1 << P;
const P_MASK: u64 = (REGISTERS - 1) as u64;
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
const HDR: usize = 16;
pub const DENSE_SIZE: usize = HDR + (REGISTERS * BITS).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

const INVALID_HLL: &str = "INVALIDOBJ Corrupted HLL object detected";
const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";

/// MurmurHash2, 64-bit version (MurmurHash64A), endian-neutral as in Redis.
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4a7935bd1e995;
    const R: u32 = 47;
    let len = key.len();
    let mut h: u64 = seed ^ (len as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes(c.try_into().unwrap());
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        for (i, &b) in rest.iter().enumerate().rev() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// (register index, length of the 000..1 pattern) for an element.
fn pat_len(ele: &[u8]) -> (usize, u8) {
    let mut hash = murmur64a(ele, 0xadc83b19);
    let index = (hash & P_MASK) as usize;
    hash >>= P;
    hash |= 1u64 << Q;
    let count = hash.trailing_zeros() + 1;
    (index, count as u8)
}

#[inline]
fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let fb8 = 8 - fb;
    let b0 = regs[byte] as u32;
    let b1 = regs.get(byte + 1).copied().unwrap_or(0) as u32;
    (((b0 >> fb) | (b1 << fb8)) & REGISTER_MAX as u32) as u8
}

#[inline]
fn dense_put(regs: &mut [u8], i: usize, v: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let fb8 = 8 - fb;
    let v = v as u32;
    regs[byte] &= !((REGISTER_MAX as u32) << fb) as u8;
    regs[byte] |= (v << fb) as u8;
    if byte + 1 < regs.len() {
        regs[byte + 1] &= !((REGISTER_MAX as u32) >> fb8) as u8;
        regs[byte + 1] |= (v >> fb8) as u8;
    }
}

fn dense_set(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_put(regs, i, count);
        true
    } else {
        false
    }
}

#[inline]
fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}
#[inline]
fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}
#[inline]
fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}
#[inline]
fn zero_len(b: u8) -> usize {
    (b & 0x3f) as usize + 1
}
#[inline]
fn xzero_len(b0: u8, b1: u8) -> usize {
    ((((b0 & 0x3f) as usize) << 8) | b1 as usize) + 1
}
#[inline]
fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}
#[inline]
fn val_len(b: u8) -> usize {
    (b & 0x3) as usize + 1
}
#[inline]
fn val_op(val: u8, len: usize) -> u8 {
    (((val - 1) << 2) | (len as u8 - 1)) | 0x80
}
fn zero_ops(out: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        let l = len - 1;
        out.push((l >> 8) as u8 | 0x40);
        out.push((l & 0xff) as u8);
    } else {
        out.push((len - 1) as u8);
    }
}

/// Walks sparse opcodes: calls `f(first_register, run_length, value)` for every run.
/// Returns the number of registers covered (== REGISTERS when valid) or None if a VAL
/// run overflows.
fn sparse_walk(ops: &[u8], mut f: impl FnMut(usize, usize, u8)) -> Option<usize> {
    let mut idx = 0;
    let mut p = 0;
    while p < ops.len() {
        let b = ops[p];
        if is_zero(b) {
            idx += zero_len(b);
            p += 1;
        } else if is_xzero(b) {
            idx += xzero_len(b, ops.get(p + 1).copied().unwrap_or(0));
            p += 2;
        } else {
            let (run, v) = (val_len(b), val_value(b));
            if run + idx > REGISTERS {
                return None;
            }
            f(idx, run, v);
            idx += run;
            p += 1;
        }
    }
    Some(idx)
}

/// A new, empty HLL (sparse).
pub fn new_hll() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR + 2);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.extend_from_slice(&[0; 11]);
    let mut aux = REGISTERS;
    while aux > 0 {
        let x = aux.min(XZERO_MAX_LEN);
        zero_ops(&mut v, x);
        aux -= x;
    }
    v
}

/// Converts a sparse HLL to dense in place. Err if the sparse data is corrupt.
fn sparse_to_dense(v: &mut Vec<u8>) -> Result<(), ()> {
    if v[4] == DENSE {
        return Ok(());
    }
    let mut d = vec![0u8; DENSE_SIZE];
    d[..HDR].copy_from_slice(&v[..HDR]);
    d[4] = DENSE;
    let regs = &mut d[HDR..];
    let covered = sparse_walk(&v[HDR..], |first, run, val| {
        for i in first..first + run {
            dense_put(regs, i, val);
        }
    });
    if covered != Some(REGISTERS) {
        return Err(());
    }
    *v = d;
    Ok(())
}

fn invalidate(v: &mut [u8]) {
    v[15] |= 0x80;
}

/// hllSparseSet: Ok(true) if a register changed. May promote to dense.
fn sparse_set(v: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, ()> {
    if count <= VAL_MAX_VALUE {
        // Step 1: find the opcode covering `index`.
        let end = v.len();
        let mut p = HDR;
        let mut first = 0;
        let mut prev: Option<usize> = None;
        let mut span = 0;
        while p < end {
            let b = v[p];
            let mut oplen = 1;
            if is_zero(b) {
                span = zero_len(b);
            } else if is_val(b) {
                span = val_len(b);
            } else {
                span = xzero_len(b, v.get(p + 1).copied().unwrap_or(0));
                oplen = 2;
            }
            if index < first + span {
                break;
            }
            prev = Some(p);
            p += oplen;
            first += span;
        }
        if span == 0 || p >= end {
            return Err(());
        }
        let b = v[p];
        let (zero, xzero, val) = (is_zero(b), is_xzero(b), is_val(b));
        let runlen = if zero {
            zero_len(b)
        } else if xzero {
            xzero_len(b, v.get(p + 1).copied().unwrap_or(0))
        } else {
            val_len(b)
        };
        let mut done = false;
        if val {
            let old = val_value(b);
            if old >= count {
                return Ok(false);
            }
            if runlen == 1 {
                v[p] = val_op(count, 1);
                done = true;
            }
        }
        if !done && zero && runlen == 1 {
            v[p] = val_op(count, 1);
            done = true;
        }
        let mut promote = false;
        if !done {
            // General case: split the opcode.
            let mut seq: Vec<u8> = Vec::with_capacity(5);
            let last = first + span - 1;
            if zero || xzero {
                if index != first {
                    zero_ops(&mut seq, index - first);
                }
                seq.push(val_op(count, 1));
                if index != last {
                    zero_ops(&mut seq, last - index);
                }
            } else {
                let cur = val_value(b);
                if index != first {
                    seq.push(val_op(cur, index - first));
                }
                seq.push(val_op(count, 1));
                if index != last {
                    seq.push(val_op(cur, last - index));
                }
            }
            let oldlen = if xzero { 2 } else { 1 };
            if seq.len() > oldlen && v.len() + seq.len() - oldlen > max_bytes {
                promote = true;
            } else {
                v.splice(p..(p + oldlen).min(v.len()), seq);
            }
        }
        if !promote {
            // Step 4: merge adjacent VAL opcodes with the same value.
            let mut p = prev.unwrap_or(HDR);
            let mut scanlen = 5;
            loop {
                if p >= v.len() || scanlen == 0 {
                    break;
                }
                scanlen -= 1;
                let b = v[p];
                if is_xzero(b) {
                    p += 2;
                    continue;
                } else if is_zero(b) {
                    p += 1;
                    continue;
                }
                if p + 1 < v.len() && is_val(v[p + 1]) {
                    let (v1, v2) = (val_value(b), val_value(v[p + 1]));
                    if v1 == v2 {
                        let len = val_len(b) + val_len(v[p + 1]);
                        if len <= VAL_MAX_LEN {
                            v[p + 1] = val_op(v1, len);
                            v.remove(p);
                            continue;
                        }
                    }
                }
                p += 1;
            }
            invalidate(v);
            return Ok(true);
        }
    }
    // Promote to dense.
    sparse_to_dense(v)?;
    dense_set(&mut v[HDR..], index, count);
    Ok(true)
}

/// hllAdd: Ok(true) if the HLL changed.
fn hll_add(v: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> Result<bool, ()> {
    let (index, count) = pat_len(ele);
    match v[4] {
        DENSE => Ok(dense_set(&mut v[HDR..], index, count)),
        SPARSE => sparse_set(v, index, count, max_bytes),
        _ => Err(()),
    }
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let zp = z;
        z += x * y;
        y += y;
        if zp == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let zp = z;
        y *= 0.5;
        z -= (1.0 - x).powf(2.0) * y;
        if zp == z {
            return z / 3.0;
        }
    }
}

/// The estimator (Ertl's improved estimator, as Redis's hllCount) from a histogram.
fn count_from_histo(h: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - h[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(h[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// Cardinality of a stored HLL; Err if the sparse data is corrupt.
fn hll_count(v: &[u8]) -> Result<u64, ()> {
    let mut h = [0u32; 64];
    if v[4] == DENSE {
        let regs = &v[HDR..];
        for i in 0..REGISTERS {
            h[dense_get(regs, i) as usize] += 1;
        }
    } else {
        let mut zeros = 0;
        let mut p = HDR;
        let mut idx = 0;
        while p < v.len() {
            let b = v[p];
            if is_zero(b) {
                let r = zero_len(b);
                idx += r;
                zeros += r;
                p += 1;
            } else if is_xzero(b) {
                let r = xzero_len(b, v.get(p + 1).copied().unwrap_or(0));
                idx += r;
                zeros += r;
                p += 2;
            } else {
                let r = val_len(b);
                idx += r;
                h[val_value(b) as usize] += r as u32;
                p += 1;
            }
        }
        h[0] += zeros as u32;
        if idx != REGISTERS {
            return Err(());
        }
    }
    Ok(count_from_histo(&h))
}

/// Merges a stored HLL into `max` (register-wise maximum).
fn hll_merge(max: &mut [u8], v: &[u8]) -> Result<(), ()> {
    if v[4] == DENSE {
        let regs = &v[HDR..];
        for (i, m) in max.iter_mut().enumerate() {
            let r = dense_get(regs, i);
            if r > *m {
                *m = r;
            }
        }
        Ok(())
    } else {
        let covered = sparse_walk(&v[HDR..], |first, run, val| {
            for m in &mut max[first..first + run] {
                if val > *m {
                    *m = val;
                }
            }
        });
        if covered == Some(REGISTERS) {
            Ok(())
        } else {
            Err(())
        }
    }
}

/// isHLLObjectOrReply: the value's bytes if it is a string holding a valid HLL header.
fn check_hll(value: &Value) -> Result<&[u8], Reply> {
    // Any string representation (APPEND/SETRANGE/SETBIT leave a growable buffer).
    let s: &[u8] = match value {
        Value::Str(StrValue::Raw(s)) => s.as_bytes(),
        Value::Str(StrValue::Buf(b)) => b.as_slice(),
        Value::Str(StrValue::Int(_)) => return Err(Reply::err(NOT_HLL)),
        _ => return Err(err::wrong_type()),
    };
    let b = s;
    if b.len() < HDR
        || &b[..4] != b"HYLL"
        || b[4] > SPARSE
        || (b[4] == DENSE && b.len() != DENSE_SIZE)
    {
        return Err(Reply::err(NOT_HLL));
    }
    Ok(s)
}

fn sparse_max_bytes(ctx: &Ctx) -> usize {
    ctx.srv.config.get_i64("hll-sparse-max-bytes").max(0) as usize
}

/// Takes the HLL bytes out of an entry's string value for in-place editing.
fn take_bytes(value: &mut Value) -> Vec<u8> {
    match value {
        Value::Str(StrValue::Raw(s)) => std::mem::replace(s, Sds::empty()).into_vec(),
        Value::Str(StrValue::Buf(b)) => std::mem::take(&mut **b),
        _ => unreachable!("take_bytes on a value check_hll accepted"),
    }
}

fn put_bytes(value: &mut Value, v: Vec<u8>) {
    *value = Value::Str(StrValue::Raw(Sds::from_vec(v)));
}

fn pfadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let max_bytes = sparse_max_bytes(ctx);
    let mut updated = 0u64;
    let mut created = false;
    let mut v = match ctx.lookup(key) {
        None => {
            updated += 1;
            created = true;
            new_hll()
        }
        Some(e) => {
            if let Err(r) = check_hll(&e.value) {
                return r;
            }
            take_bytes(&mut e.value)
        }
    };
    let mut failed = false;
    for ele in &args[2..] {
        match hll_add(&mut v, ele, max_bytes) {
            Ok(true) => updated += 1,
            Ok(false) => {}
            Err(()) => {
                failed = true;
                break;
            }
        }
    }
    if updated > 0 {
        invalidate(&mut v);
    }
    if created {
        ctx.set_value(key, Value::Str(StrValue::Raw(Sds::from_vec(v))), 0, false);
    } else if let Some(e) = ctx.lookup(key) {
        put_bytes(&mut e.value, v);
    }
    if failed {
        return Reply::err(INVALID_HLL);
    }
    if updated > 0 {
        if !created {
            ctx.modified(key);
        }
        ctx.dirty += updated - 1;
        ctx.notify(notify::STRING, "pfadd", key);
        Reply::Int(1)
    } else {
        ctx.propagate = Propagate::Nothing;
        Reply::Int(0)
    }
}

/// Merges the registers of every HLL among `keys` into `max` (absent keys are skipped):
/// whether any of them is dense, or the WRONGTYPE / invalid-HLL error of the first bad one.
fn merge_keys(ctx: &mut Ctx, keys: &[Bytes], max: &mut [u8]) -> Result<bool, Reply> {
    let mut dense = false;
    for k in keys {
        let Some(e) = ctx.lookup_read(k) else {
            continue;
        };
        let s = check_hll(&e.value)?;
        if s[4] == DENSE {
            dense = true;
        }
        if hll_merge(max, s).is_err() {
            return Err(Reply::err(INVALID_HLL));
        }
    }
    Ok(dense)
}

fn pfcount(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 2 {
        let mut max = vec![0u8; REGISTERS];
        if let Err(r) = merge_keys(ctx, &args[1..], &mut max) {
            return r;
        }
        let mut h = [0u32; 64];
        for &r in &max {
            h[r as usize] += 1;
        }
        ctx.propagate = Propagate::Nothing;
        return Reply::Int(count_from_histo(&h) as i64);
    }
    let key = &args[1];
    let e = match ctx.lookup_read(key) {
        None => return Reply::Int(0),
        Some(e) => e,
    };
    let s = match check_hll(&e.value) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let b = s;
    if b[15] & 0x80 == 0 {
        let card = u64::from_le_bytes(b[8..16].try_into().unwrap());
        ctx.propagate = Propagate::Nothing;
        return Reply::Int(card as i64);
    }
    let card = match hll_count(b) {
        Ok(c) => c,
        Err(()) => return Reply::err(INVALID_HLL),
    };
    if let Value::Str(StrValue::Raw(Sds::Heap(bytes))) = &mut e.value {
        bytes[8..16].copy_from_slice(&card.to_le_bytes());
    } else {
        let mut v = take_bytes(&mut e.value);
        v[8..16].copy_from_slice(&card.to_le_bytes());
        put_bytes(&mut e.value, v);
    }
    ctx.modified(key);
    Reply::Int(card as i64)
}

fn pfmerge(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut max = vec![0u8; REGISTERS];
    let use_dense = match merge_keys(ctx, &args[1..], &mut max) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let key = &args[1];
    let max_bytes = sparse_max_bytes(ctx);
    let (mut v, created) = match ctx.lookup(key) {
        None => (new_hll(), true),
        Some(e) => (take_bytes(&mut e.value), false),
    };
    let mut failed = use_dense && sparse_to_dense(&mut v).is_err();
    if !failed {
        for (j, &m) in max.iter().enumerate() {
            if m == 0 {
                continue;
            }
            if v[4] == DENSE {
                dense_set(&mut v[HDR..], j, m);
            } else {
                let _ = sparse_set(&mut v, j, m, max_bytes);
            }
        }
        invalidate(&mut v);
    } else {
        failed = true;
    }
    if created {
        if failed {
            return Reply::err(INVALID_HLL);
        }
        ctx.set_value(key, Value::Str(StrValue::Raw(Sds::from_vec(v))), 0, false);
    } else {
        if let Some(e) = ctx.lookup(key) {
            put_bytes(&mut e.value, v);
        }
        if failed {
            return Reply::err(INVALID_HLL);
        }
        ctx.modified(key);
    }
    ctx.notify(notify::STRING, "pfadd", key);
    Reply::OK
}

fn pfdebug(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let sub = crate::util::lower(&args[1]);
    let key = &args[2];
    let e = match ctx.lookup(key) {
        None => return Reply::err("ERR The specified key does not exist"),
        Some(e) => e,
    };
    if let Err(r) = check_hll(&e.value) {
        return r;
    }
    let mut v = take_bytes(&mut e.value);
    let mut converted = false;
    let reply = match sub.as_str() {
        "getreg" | "todense" => {
            if v[4] == SPARSE {
                if sparse_to_dense(&mut v).is_err() {
                    put_bytes(&mut e.value, v);
                    return Reply::err(INVALID_HLL);
                }
                converted = true;
            }
            if sub == "getreg" {
                Reply::Array(
                    (0..REGISTERS)
                        .map(|i| Reply::Int(dense_get(&v[HDR..], i) as i64))
                        .collect(),
                )
            } else {
                Reply::Int(converted as i64)
            }
        }
        "decode" => {
            if v[4] != SPARSE {
                put_bytes(&mut e.value, v);
                return Reply::err("ERR HLL encoding is not sparse");
            }
            let mut out = Vec::new();
            let mut p = HDR;
            while p < v.len() {
                let b = v[p];
                if is_zero(b) {
                    out.push(format!("z:{}", zero_len(b)));
                    p += 1;
                } else if is_xzero(b) {
                    out.push(format!(
                        "Z:{}",
                        xzero_len(b, v.get(p + 1).copied().unwrap_or(0))
                    ));
                    p += 2;
                } else {
                    out.push(format!("v:{},{}", val_value(b), val_len(b)));
                    p += 1;
                }
            }
            Reply::bulk(out.join(" "))
        }
        "encoding" => Reply::status(if v[4] == DENSE { "dense" } else { "sparse" }),
        _ => Reply::Error(
            format!(
                "ERR Unknown PFDEBUG subcommand '{}'",
                String::from_utf8_lossy(&args[1])
            )
            .into(),
        ),
    };
    put_bytes(&mut e.value, v);
    if converted {
        ctx.modified(key);
    } else {
        ctx.propagate = Propagate::Nothing;
    }
    let _ = eq_ic;
    reply
}

fn pfselftest(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    // Register access round trip on random values.
    let mut regs = vec![0u8; DENSE_SIZE - HDR];
    let mut bytes = vec![0u8; REGISTERS];
    let mut rng = super::hash::rng();
    for _ in 0..10 {
        for (i, b) in bytes.iter_mut().enumerate() {
            let r = (rng() & REGISTER_MAX as u64) as u8;
            *b = r;
            dense_put(&mut regs, i, r);
        }
        for (i, &b) in bytes.iter().enumerate() {
            let v = dense_get(&regs, i);
            if v != b {
                return Reply::Error(
                    format!("TESTFAILED Register {i} should be {b} but is {v}").into(),
                );
            }
        }
    }
    Reply::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_sparse() {
        let v = new_hll();
        assert_eq!(v.len(), 18);
        assert_eq!(&v[16..], &[0x7f, 0xff]);
        assert_eq!(hll_count(&v), Ok(0));
        let mut v = new_hll();
        for i in 0..100 {
            hll_add(&mut v, format!("e{i}").as_bytes(), 3000).unwrap();
        }
        assert_eq!(v[4], SPARSE);
        let c = hll_count(&v).unwrap();
        let mut d = v.clone();
        sparse_to_dense(&mut d).unwrap();
        assert_eq!(hll_count(&d).unwrap(), c);
        assert!((95..=105).contains(&c), "{c}");
    }
}
