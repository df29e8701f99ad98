//! `struct`: Roberto Ierusalimschy's struct library as Redis bundles it (pack/unpack/size,
//! format letters `<>!x bB hH lL T iI[n] f d c[n] s`, alignment with `!`).
//! Checked against redis-server 7.0.

use super::cjson::lib_err;
use mlua::{Lua, Table, Value as LuaValue};

const MAXINTSIZE: usize = 32;
const MAXALIGN: usize = 8;

struct Fmt<'a> {
    f: &'a [u8],
    i: usize,
    little: bool,
    align: usize,
}

fn argerr(lua: &Lua, n: usize, fname: &str, msg: &str) -> mlua::Error {
    lib_err(lua, &format!("bad argument #{n} to '{fname}' ({msg})"))
}

impl Fmt<'_> {
    fn getnum(&mut self, lua: &Lua, df: usize) -> mlua::Result<usize> {
        if !self.f.get(self.i).is_some_and(|c| c.is_ascii_digit()) {
            return Ok(df);
        }
        let mut a: usize = 0;
        while let Some(&c) = self.f.get(self.i).filter(|c| c.is_ascii_digit()) {
            if a > (i32::MAX as usize) / 10 || a * 10 > i32::MAX as usize - (c - b'0') as usize {
                return Err(lib_err(lua, "integral size overflow"));
            }
            a = a * 10 + (c - b'0') as usize;
            self.i += 1;
        }
        Ok(a)
    }

    /// Size of option `opt` (after reading its number).
    fn optsize(&mut self, lua: &Lua, opt: u8) -> mlua::Result<usize> {
        Ok(match opt {
            b'B' | b'b' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' => 8,
            b'f' => 4,
            b'd' => 8,
            b'x' => 1,
            b'c' => self.getnum(lua, 1)?,
            b'i' | b'I' => {
                let sz = self.getnum(lua, 4)?;
                if sz > MAXINTSIZE {
                    return Err(lib_err(
                        lua,
                        &format!("integral size {sz} is larger than limit of {MAXINTSIZE}"),
                    ));
                }
                sz
            }
            _ => 0,
        })
    }

    fn toalign(&self, len: usize, opt: u8, size: usize) -> usize {
        if size == 0 || opt == b'c' {
            return 0;
        }
        let size = size.min(self.align);
        (size - (len & (size - 1))) & (size - 1)
    }

    /// Handles control options; Err for an invalid one.
    fn control(&mut self, lua: &Lua, opt: u8, fname: &str) -> mlua::Result<()> {
        match opt {
            b' ' => {}
            b'>' => self.little = false,
            b'<' => self.little = true,
            b'!' => {
                let a = self.getnum(lua, MAXALIGN)?;
                if a == 0 || a & (a - 1) != 0 {
                    return Err(lib_err(lua, &format!("alignment {a} is not a power of 2")));
                }
                self.align = a;
            }
            _ => {
                return Err(argerr(
                    lua,
                    1,
                    fname,
                    &format!("invalid format option '{}'", opt as char),
                ))
            }
        }
        Ok(())
    }

    /// Next option: (letter, size), or None at the end.
    fn next(&mut self, lua: &Lua) -> mlua::Result<Option<(u8, usize)>> {
        let opt = match self.f.get(self.i) {
            None => return Ok(None),
            Some(&c) => c,
        };
        self.i += 1;
        let size = self.optsize(lua, opt)?;
        Ok(Some((opt, size)))
    }
}

fn new_fmt(f: &[u8]) -> Fmt<'_> {
    Fmt {
        f,
        i: 0,
        little: cfg!(target_endian = "little"),
        align: 1,
    }
}

fn put_int(out: &mut Vec<u8>, v: u64, little: bool, size: usize) {
    let mut buf = vec![0u8; size];
    let mut x = v;
    for i in 0..size {
        let idx = if little { i } else { size - 1 - i };
        buf[idx] = (x & 0xff) as u8;
        x = if i < 7 { x >> 8 } else { 0 };
    }
    out.extend_from_slice(&buf);
}

fn check_number(lua: &Lua, v: Option<&LuaValue>, n: usize, f: &str) -> mlua::Result<f64> {
    match v {
        Some(LuaValue::Integer(i)) => Ok(*i as f64),
        Some(LuaValue::Number(x)) => Ok(*x),
        Some(LuaValue::String(s)) => {
            if let Some(x) = lua.coerce_number(LuaValue::String(s.clone()))? {
                return Ok(x);
            }
            Err(argerr(lua, n, f, "number expected, got string"))
        }
        other => Err(argerr(
            lua,
            n,
            f,
            &format!(
                "number expected, got {}",
                other.map_or("nil", |v| v.type_name())
            ),
        )),
    }
}

fn check_string(lua: &Lua, v: Option<&LuaValue>, n: usize, f: &str) -> mlua::Result<Vec<u8>> {
    let v = v.cloned();
    let tn = v.as_ref().map_or("nil", |v| v.type_name());
    match v.map(|v| lua.coerce_string(v)).transpose()?.flatten() {
        Some(s) => Ok(s.as_bytes().to_vec()),
        None => Err(argerr(lua, n, f, &format!("string expected, got {tn}"))),
    }
}

fn pack(lua: &Lua, args: mlua::MultiValue) -> mlua::Result<mlua::String> {
    let fmt = check_string(lua, args.front(), 1, "pack")?;
    let mut h = new_fmt(&fmt);
    let mut out = Vec::new();
    let mut arg = 1usize; // index into args (0-based; Lua arg number is arg+1)
    while let Some((opt, size)) = h.next(lua)? {
        let toalign = h.toalign(out.len(), opt, size);
        out.resize(out.len() + toalign, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = check_number(lua, args.get(arg), arg + 1, "pack")?;
                arg += 1;
                let v = if n < 0.0 { (n as i64) as u64 } else { n as u64 };
                put_int(&mut out, v, h.little, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let n = check_number(lua, args.get(arg), arg + 1, "pack")?;
                arg += 1;
                let b = (n as f32).to_bits();
                out.extend_from_slice(&if h.little {
                    b.to_le_bytes()
                } else {
                    b.to_be_bytes()
                });
            }
            b'd' => {
                let n = check_number(lua, args.get(arg), arg + 1, "pack")?;
                arg += 1;
                let b = n.to_bits();
                out.extend_from_slice(&if h.little {
                    b.to_le_bytes()
                } else {
                    b.to_be_bytes()
                });
            }
            b'c' | b's' => {
                let s = check_string(lua, args.get(arg), arg + 1, "pack")?;
                let mut size = size;
                if opt == b'c' {
                    if size == 0 {
                        size = s.len();
                    }
                    if s.len() < size {
                        return Err(argerr(lua, arg + 2, "pack", "string too short"));
                    }
                    out.extend_from_slice(&s[..size]);
                } else {
                    out.extend_from_slice(&s);
                    out.push(0);
                }
                arg += 1;
            }
            _ => h.control(lua, opt, "pack")?,
        }
    }
    lua.create_string(&out)
}

fn unpack(lua: &Lua, args: mlua::MultiValue) -> mlua::Result<mlua::MultiValue> {
    let fmt = check_string(lua, args.front(), 1, "unpack")?;
    let data = check_string(lua, args.get(1), 2, "unpack")?;
    let ld = data.len();
    let init = match args.get(2) {
        None | Some(LuaValue::Nil) => 1.0,
        v => check_number(lua, v, 3, "unpack")?,
    };
    let init = init as i64;
    if init == 0 {
        return Err(argerr(lua, 3, "unpack", "offset must be 1 or greater"));
    }
    let rel = if init > 0 {
        init
    } else if -init > ld as i64 {
        0
    } else {
        ld as i64 + init + 1
    };
    // A position before the start wraps like C's size_t: "data string too short".
    let mut pos = if rel >= 1 {
        (rel - 1) as usize
    } else {
        usize::MAX / 2
    };
    let mut h = new_fmt(&fmt);
    let mut res: Vec<LuaValue> = Vec::new();
    while let Some((opt, size)) = h.next(lua)? {
        pos += h.toalign(pos, opt, size);
        if pos + size > ld {
            return Err(argerr(lua, 2, "unpack", "data string too short"));
        }
        let mut size = size;
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                let mut l: u64 = 0;
                for i in 0..size {
                    let idx = if h.little { size - 1 - i } else { i };
                    l = (l << 8) | data[pos + idx] as u64;
                }
                let v = if signed && size <= 8 {
                    let mask = 1u64 << (size * 8 - 1);
                    ((l ^ mask).wrapping_sub(mask)) as i64 as f64
                } else if signed {
                    l as i64 as f64
                } else {
                    l as f64
                };
                res.push(LuaValue::Number(v));
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&data[pos..pos + 4]);
                let bits = if h.little {
                    u32::from_le_bytes(b)
                } else {
                    u32::from_be_bytes(b)
                };
                res.push(LuaValue::Number(f32::from_bits(bits) as f64));
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[pos..pos + 8]);
                let bits = if h.little {
                    u64::from_le_bytes(b)
                } else {
                    u64::from_be_bytes(b)
                };
                res.push(LuaValue::Number(f64::from_bits(bits)));
            }
            b'c' => {
                if size == 0 {
                    let prev = match res.last() {
                        Some(LuaValue::Number(n)) => Some(*n),
                        Some(LuaValue::Integer(n)) => Some(*n as f64),
                        _ => None,
                    };
                    let Some(n) = prev else {
                        return Err(lib_err(lua, "format 'c0' needs a previous size"));
                    };
                    res.pop();
                    size = n as usize;
                    if !(size <= ld && pos <= ld - size) {
                        return Err(argerr(lua, 2, "unpack", "data string too short"));
                    }
                }
                res.push(LuaValue::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(e) = data[pos..].iter().position(|&c| c == 0) else {
                    return Err(lib_err(lua, "unfinished string in data"));
                };
                res.push(LuaValue::String(lua.create_string(&data[pos..pos + e])?));
                size = e + 1;
            }
            _ => h.control(lua, opt, "unpack")?,
        }
        pos += size;
    }
    res.push(LuaValue::Number((pos + 1) as f64));
    Ok(res.into_iter().collect())
}

fn size(lua: &Lua, args: mlua::MultiValue) -> mlua::Result<f64> {
    let fmt = check_string(lua, args.front(), 1, "size")?;
    let mut h = new_fmt(&fmt);
    let mut pos = 0usize;
    while let Some((opt, size)) = h.next(lua)? {
        pos += h.toalign(pos, opt, size);
        if opt == b's' {
            return Err(argerr(lua, 1, "size", "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(argerr(lua, 1, "size", "option 'c0' has no fixed size"));
        }
        if !b"bBhHlLTiIfdxc".contains(&opt) {
            h.control(lua, opt, "size")?;
        }
        pos += size;
    }
    Ok(pos as f64)
}

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lua.create_function(pack)?)?;
    t.set("unpack", lua.create_function(unpack)?)?;
    t.set("size", lua.create_function(size)?)?;
    Ok(t)
}
