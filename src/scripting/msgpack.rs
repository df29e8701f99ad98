//! `cmsgpack`: MessagePack pack/unpack with the encoding choices of the lua-cmsgpack 0.4.0
//! Redis bundles (smallest integer encoding, float32 when exact, tables as arrays only when
//! keyed 1..n, nesting limited to 16 levels). Checked against redis-server 7.0.

use super::cjson::lib_err;
use mlua::{Lua, Table, Value as LuaValue};

const MAX_NESTING: usize = 16;

fn enc_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2147483648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn enc_len(out: &mut Vec<u8>, n: usize, fix: u8, fixmax: usize, b16: u8, b32: u8) {
    if n <= fixmax {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn enc_number(out: &mut Vec<u8>, n: f64) {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO63..TWO63).contains(&n) && (n as i64) as f64 == n {
        enc_int(out, n as i64);
    } else {
        let f = n as f32;
        if f as f64 == n {
            out.push(0xca);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        } else {
            out.push(0xcb);
            out.extend_from_slice(&n.to_bits().to_be_bytes());
        }
    }
}

fn table_array_len(t: &Table) -> mlua::Result<Option<usize>> {
    let mut count = 0usize;
    let mut max = 0i64;
    for pair in t.clone().pairs::<LuaValue, LuaValue>() {
        let (k, _) = pair?;
        let n = match k {
            LuaValue::Integer(i) => i as f64,
            LuaValue::Number(n) => n,
            _ => return Ok(None),
        };
        let idx = n as i64;
        if idx as f64 != n || idx < 1 {
            return Ok(None);
        }
        count += 1;
        max = max.max(idx);
    }
    Ok((max as usize == count).then_some(count))
}

fn encode(out: &mut Vec<u8>, v: &LuaValue, level: usize) -> mlua::Result<()> {
    match v {
        LuaValue::String(s) => {
            let b = s.as_bytes();
            let n = b.len();
            if n < 32 {
                out.push(0xa0 | n as u8);
            } else if n <= 0xff {
                out.extend_from_slice(&[0xd9, n as u8]);
            } else if n <= 0xffff {
                out.push(0xda);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            } else {
                out.push(0xdb);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            out.extend_from_slice(&b);
        }
        LuaValue::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        LuaValue::Integer(i) => enc_number(out, *i as f64),
        LuaValue::Number(n) => enc_number(out, *n),
        LuaValue::Table(t) if level < MAX_NESTING => match table_array_len(t)? {
            Some(n) => {
                enc_len(out, n, 0x90, 15, 0xdc, 0xdd);
                for i in 1..=n {
                    let e: LuaValue = t.raw_get(i)?;
                    encode(out, &e, level + 1)?;
                }
            }
            None => {
                let pairs: Vec<(LuaValue, LuaValue)> = t
                    .clone()
                    .pairs::<LuaValue, LuaValue>()
                    .collect::<mlua::Result<_>>()?;
                enc_len(out, pairs.len(), 0x80, 15, 0xde, 0xdf);
                for (k, v) in pairs {
                    encode(out, &k, level + 1)?;
                    encode(out, &v, level + 1)?;
                }
            }
        },
        _ => out.push(0xc0),
    }
    Ok(())
}

enum DecErr {
    Eof,
    BadFmt,
}

struct Cur<'a> {
    s: &'a [u8],
    p: usize,
}

impl Cur<'_> {
    fn need(&self, n: usize) -> Result<(), DecErr> {
        if self.s.len() - self.p < n {
            Err(DecErr::Eof)
        } else {
            Ok(())
        }
    }
    fn be(&self, off: usize, n: usize) -> u64 {
        self.s[self.p + off..self.p + off + n]
            .iter()
            .fold(0u64, |a, &b| (a << 8) | b as u64)
    }
}

fn decode(lua: &Lua, c: &mut Cur) -> Result<mlua::Result<LuaValue>, DecErr> {
    c.need(1)?;
    let b = c.s[c.p];
    macro_rules! num {
        ($n:expr, $v:expr) => {{
            c.need($n)?;
            let v = $v;
            c.p += $n;
            return Ok(Ok(LuaValue::Number(v)));
        }};
    }
    macro_rules! bytes {
        ($hdr:expr, $len:expr) => {{
            c.need($hdr)?;
            let l = $len as usize;
            c.need($hdr + l)?;
            let s = lua.create_string(&c.s[c.p + $hdr..c.p + $hdr + l]);
            c.p += $hdr + l;
            return Ok(s.map(LuaValue::String));
        }};
    }
    match b {
        0xcc => num!(2, c.be(1, 1) as f64),
        0xd0 => num!(2, c.be(1, 1) as u8 as i8 as f64),
        0xcd => num!(3, c.be(1, 2) as f64),
        0xd1 => num!(3, c.be(1, 2) as u16 as i16 as f64),
        0xce => num!(5, c.be(1, 4) as f64),
        0xd2 => num!(5, c.be(1, 4) as u32 as i32 as f64),
        0xcf => num!(9, c.be(1, 8) as f64),
        0xd3 => num!(9, c.be(1, 8) as i64 as f64),
        0xca => num!(5, f32::from_bits(c.be(1, 4) as u32) as f64),
        0xcb => num!(9, f64::from_bits(c.be(1, 8))),
        0xc0 => {
            c.p += 1;
            Ok(Ok(LuaValue::Nil))
        }
        0xc2 | 0xc3 => {
            c.p += 1;
            Ok(Ok(LuaValue::Boolean(b == 0xc3)))
        }
        0xd9 => bytes!(2, {
            c.need(2)?;
            c.be(1, 1)
        }),
        0xda => bytes!(3, {
            c.need(3)?;
            c.be(1, 2)
        }),
        0xdb => bytes!(5, {
            c.need(5)?;
            c.be(1, 4)
        }),
        0xdc | 0xdd | 0xde | 0xdf | 0x80..=0x9f => {
            let (hdr, n) = match b {
                0xdc | 0xde => {
                    c.need(3)?;
                    (3, c.be(1, 2) as usize)
                }
                0xdd | 0xdf => {
                    c.need(5)?;
                    (5, c.be(1, 4) as usize)
                }
                _ => (1, (b & 0xf) as usize),
            };
            c.p += hdr;
            let is_map = matches!(b, 0xde | 0xdf | 0x80..=0x8f);
            let t = match lua.create_table() {
                Ok(t) => t,
                Err(e) => return Ok(Err(e)),
            };
            for i in 0..n {
                let r = (|| -> Result<mlua::Result<()>, DecErr> {
                    if is_map {
                        let k = match decode(lua, c)? {
                            Ok(k) => k,
                            Err(e) => return Ok(Err(e)),
                        };
                        let v = match decode(lua, c)? {
                            Ok(v) => v,
                            Err(e) => return Ok(Err(e)),
                        };
                        if k.is_nil() {
                            return Ok(Ok(()));
                        }
                        Ok(t.raw_set(k, v))
                    } else {
                        let v = match decode(lua, c)? {
                            Ok(v) => v,
                            Err(e) => return Ok(Err(e)),
                        };
                        Ok(t.raw_set(i + 1, v))
                    }
                })()?;
                if let Err(e) = r {
                    return Ok(Err(e));
                }
            }
            Ok(Ok(LuaValue::Table(t)))
        }
        0x00..=0x7f => num!(1, b as f64),
        0xe0..=0xff => num!(1, b as i8 as f64),
        0xa0..=0xbf => bytes!(1, b & 0x1f),
        _ => Err(DecErr::BadFmt),
    }
}

fn str_arg(lua: &Lua, v: Option<&LuaValue>, f: &str) -> mlua::Result<Vec<u8>> {
    let v = v.cloned().unwrap_or(LuaValue::Nil);
    let tn = v.type_name();
    match lua.coerce_string(v)? {
        Some(s) => Ok(s.as_bytes().to_vec()),
        None => Err(lib_err(
            lua,
            &format!(
                "bad argument #1 to '{f}' (string expected, got {})",
                if tn == "nil" { "no value" } else { tn }
            ),
        )),
    }
}

fn int_arg(lua: &Lua, v: Option<&LuaValue>, n: usize, f: &str) -> mlua::Result<i64> {
    match v {
        None | Some(LuaValue::Nil) => Ok(0),
        Some(LuaValue::Integer(i)) => Ok(*i),
        Some(LuaValue::Number(x)) => Ok(*x as i64),
        Some(other) => match lua.coerce_number(other.clone())? {
            Some(x) => Ok(x as i64),
            None => Err(lib_err(
                lua,
                &format!(
                    "bad argument #{n} to '{f}' (number expected, got {})",
                    other.type_name()
                ),
            )),
        },
    }
}

fn unpack_full(
    lua: &Lua,
    s: &[u8],
    limit: i64,
    offset: i64,
    all: bool,
) -> mlua::Result<mlua::MultiValue> {
    let len = s.len() as i64;
    if offset < 0 || limit < 0 {
        return Err(lib_err(
            lua,
            &format!("Invalid request to unpack with offset of {offset} and limit of {len}."),
        ));
    }
    if offset > len {
        return Err(lib_err(
            lua,
            &format!("Start offset {offset} greater than input length {len}."),
        ));
    }
    let limit = if all || limit == 0 { i64::MAX } else { limit };
    let mut c = Cur {
        s,
        p: offset as usize,
    };
    let mut vals = Vec::new();
    let mut cnt = 0;
    while c.p < s.len() && cnt < limit {
        match decode(lua, &mut c) {
            Ok(v) => vals.push(v?),
            Err(DecErr::Eof) => return Err(lib_err(lua, "Missing bytes in input.")),
            Err(DecErr::BadFmt) => return Err(lib_err(lua, "Bad data format in input.")),
        }
        cnt += 1;
    }
    if !all {
        let off = if c.p < s.len() { c.p as i64 } else { -1 };
        vals.insert(0, LuaValue::Integer(off as _));
    }
    Ok(vals.into_iter().collect())
}

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "pack",
        lua.create_function(|lua, args: mlua::MultiValue| {
            if args.is_empty() {
                return Err(lib_err(
                    lua,
                    "bad argument #0 to 'pack' (MessagePack pack needs input.)",
                ));
            }
            let mut out = Vec::new();
            for a in args.iter() {
                encode(&mut out, a, 0)?;
            }
            lua.create_string(&out)
        })?,
    )?;
    t.set(
        "unpack",
        lua.create_function(|lua, args: mlua::MultiValue| {
            let s = str_arg(lua, args.front(), "unpack")?;
            unpack_full(lua, &s, 0, 0, true)
        })?,
    )?;
    t.set(
        "unpack_one",
        lua.create_function(|lua, args: mlua::MultiValue| {
            let s = str_arg(lua, args.front(), "unpack_one")?;
            let off = int_arg(lua, args.get(1), 2, "unpack_one")?;
            unpack_full(lua, &s, 1, off, false)
        })?,
    )?;
    t.set(
        "unpack_limit",
        lua.create_function(|lua, args: mlua::MultiValue| {
            let s = str_arg(lua, args.front(), "unpack_limit")?;
            let limit = int_arg(lua, args.get(1), 2, "unpack_limit")?;
            let off = int_arg(lua, args.get(2), 3, "unpack_limit")?;
            unpack_full(lua, &s, limit, off, false)
        })?,
    )?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}
