//! `cjson`: JSON encode/decode with the behaviour of the lua-cjson 2.1.0 that Redis bundles
//! (number format `%.14g`, `cjson.null`, empty table as `{}`, sparse-array rules, its error
//! texts). Checked byte for byte against redis-server 7.0.

use mlua::{LightUserData, Lua, Table, Value as LuaValue};
use parking_lot::Mutex;

struct Cfg {
    encode_max_depth: i64,
    decode_max_depth: i64,
    precision: i64,
    sparse_convert: bool,
    sparse_ratio: i64,
    sparse_safe: i64,
    encode_invalid: i64, // 0 off, 1 on, 2 "null"
    decode_invalid: bool,
    keep_buffer: bool,
}

static CFG: Mutex<Cfg> = Mutex::new(Cfg {
    encode_max_depth: 1000,
    decode_max_depth: 1000,
    precision: 14,
    sparse_convert: false,
    sparse_ratio: 2,
    sparse_safe: 10,
    encode_invalid: 0,
    decode_invalid: true,
    keep_buffer: true,
});

/// An error raised from a library function, positioned like Redis's (`user_script:N: msg`).
pub fn lib_err(lua: &Lua, msg: &str) -> mlua::Error {
    let chunk = if IN_FUNCTION.load(std::sync::atomic::Ordering::Relaxed) {
        "user_function"
    } else {
        "user_script"
    };
    mlua::Error::RuntimeError(format!("{chunk}:{}: {msg}", super::current_line(lua)))
}

/// Set while a FUNCTION (rather than an EVAL script) runs: error positions name its chunk.
pub static IN_FUNCTION: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// C's `%.<prec>g`.
pub fn fmt_g(x: f64, prec: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.into();
    }
    let p = prec.max(1);
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let e = format!("{:.*e}", p - 1, x);
    let (mant, exp) = e.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    if exp < -4 || exp >= p as i32 {
        let mant = strip_zeros(mant);
        format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let f = format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, x);
        strip_zeros(&f).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

fn type_name(v: &LuaValue) -> &'static str {
    match v {
        LuaValue::Nil => "nil",
        LuaValue::Boolean(_) => "boolean",
        LuaValue::LightUserData(_) => "lightuserdata",
        LuaValue::Integer(_) | LuaValue::Number(_) => "number",
        LuaValue::String(_) => "string",
        LuaValue::Table(_) => "table",
        LuaValue::Function(_) => "function",
        LuaValue::Thread(_) => "thread",
        _ => "userdata",
    }
}

fn is_null(v: &LuaValue) -> bool {
    matches!(v, LuaValue::LightUserData(p) if p.0.is_null())
}

fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\r' => out.extend_from_slice(b"\\r"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            0..=31 | 127 => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

fn append_number(lua: &Lua, out: &mut Vec<u8>, n: f64, cfg: &Cfg) -> mlua::Result<()> {
    if n.is_nan() || n.is_infinite() {
        match cfg.encode_invalid {
            0 => {
                return Err(lib_err(
                    lua,
                    "Cannot serialise number: must not be NaN or Inf",
                ))
            }
            2 => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {
                let s = if n.is_nan() {
                    "nan"
                } else if n > 0.0 {
                    "inf"
                } else {
                    "-inf"
                };
                out.extend_from_slice(s.as_bytes());
                return Ok(());
            }
        }
    }
    out.extend_from_slice(fmt_g(n, cfg.precision as usize).as_bytes());
    Ok(())
}

fn num_of(v: &LuaValue) -> Option<f64> {
    match v {
        LuaValue::Integer(i) => Some(*i as f64),
        LuaValue::Number(n) => Some(*n),
        _ => None,
    }
}

/// lua-cjson's lua_array_length: Some(max index) for an array, None for an object.
fn array_length(lua: &Lua, t: &Table, cfg: &Cfg) -> mlua::Result<Option<i64>> {
    let mut max = 0i64;
    let mut items = 0i64;
    for pair in t.clone().pairs::<LuaValue, LuaValue>() {
        let (k, _) = pair?;
        match num_of(&k) {
            Some(k) if k.floor() == k && k >= 1.0 => {
                if k as i64 > max {
                    max = k as i64;
                }
                items += 1;
            }
            _ => return Ok(None),
        }
    }
    if cfg.sparse_ratio > 0 && max > items * cfg.sparse_ratio && max > cfg.sparse_safe {
        if !cfg.sparse_convert {
            return Err(lib_err(
                lua,
                "Cannot serialise table: excessively sparse array",
            ));
        }
        return Ok(None);
    }
    Ok(Some(max))
}

fn encode_value(
    lua: &Lua,
    out: &mut Vec<u8>,
    v: &LuaValue,
    depth: i64,
    cfg: &Cfg,
) -> mlua::Result<()> {
    match v {
        LuaValue::String(s) => append_string(out, &s.as_bytes()),
        LuaValue::Integer(_) | LuaValue::Number(_) => {
            append_number(lua, out, num_of(v).unwrap(), cfg)?
        }
        LuaValue::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        LuaValue::Nil => out.extend_from_slice(b"null"),
        v if is_null(v) => out.extend_from_slice(b"null"),
        LuaValue::Table(t) => {
            let depth = depth + 1;
            if depth > cfg.encode_max_depth {
                return Err(lib_err(
                    lua,
                    &format!("Cannot serialise, excessive nesting ({depth})"),
                ));
            }
            match array_length(lua, t, cfg)? {
                Some(len) if len > 0 => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        let e: LuaValue = t.raw_get(i)?;
                        encode_value(lua, out, &e, depth, cfg)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    let mut first = true;
                    for pair in t.clone().pairs::<LuaValue, LuaValue>() {
                        let (k, val) = pair?;
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            LuaValue::String(s) => append_string(out, &s.as_bytes()),
                            LuaValue::Integer(_) | LuaValue::Number(_) => {
                                out.push(b'"');
                                append_number(lua, out, num_of(&k).unwrap(), cfg)?;
                                out.push(b'"');
                            }
                            other => {
                                return Err(lib_err(
                                    lua,
                                    &format!(
                                        "Cannot serialise {}: table key must be a number or string",
                                        type_name(other)
                                    ),
                                ))
                            }
                        }
                        out.push(b':');
                        encode_value(lua, out, &val, depth, cfg)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => {
            return Err(lib_err(
                lua,
                &format!("Cannot serialise {}: type not supported", type_name(other)),
            ))
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------- decoding

extern "C" {
    fn strtod(s: *const std::os::raw::c_char, end: *mut *mut std::os::raw::c_char) -> f64;
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(&self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str(_) => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(m) => m,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: i64,
    max_depth: i64,
    decode_invalid: bool,
}

fn hex4(s: &[u8]) -> Option<u32> {
    if s.len() < 4 {
        return None;
    }
    let t = std::str::from_utf8(&s[..4]).ok()?;
    u32::from_str_radix(t, 16).ok()
}

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' && (self.at(p + 1) | 0x20) == b'x' {
            return true;
        }
        let rest = &self.s[p.min(self.s.len())..];
        let lower = |n: usize| -> Vec<u8> {
            rest.iter()
                .take(n)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        lower(3) == b"inf" || lower(3) == b"nan"
    }

    /// Next token and its starting index (error tokens carry the error's index).
    fn next(&mut self) -> (Tok, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let c = self.at(self.pos);
        let single = match c {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            0 if self.pos >= self.s.len() => return (Tok::End, start),
            _ => None,
        };
        if let Some(t) = single {
            self.pos += 1;
            return (t, start);
        }
        if c == b'"' {
            return self.string();
        }
        if c == b'-' || c.is_ascii_digit() {
            if !self.decode_invalid && self.is_invalid_number() {
                return (Tok::Error("invalid number"), start);
            }
            return self.number();
        }
        let rest = &self.s[self.pos..];
        if rest.starts_with(b"true") {
            self.pos += 4;
            return (Tok::Bool(true), start);
        }
        if rest.starts_with(b"false") {
            self.pos += 5;
            return (Tok::Bool(false), start);
        }
        if rest.starts_with(b"null") {
            self.pos += 4;
            return (Tok::Null, start);
        }
        if self.decode_invalid && self.is_invalid_number() {
            return self.number();
        }
        (Tok::Error("invalid token"), start)
    }

    fn number(&mut self) -> (Tok, usize) {
        let start = self.pos;
        // strtod needs a NUL-terminated string; numbers are short.
        let end = self.s[start..]
            .iter()
            .position(|c| {
                matches!(
                    c,
                    b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}' | b':' | 0
                )
            })
            .map_or(self.s.len(), |p| start + p)
            .min(start + 512);
        let mut buf = self.s[start..end].to_vec();
        buf.push(0);
        let mut endp: *mut std::os::raw::c_char = std::ptr::null_mut();
        // SAFETY: buf is NUL-terminated and outlives the call.
        let v = unsafe { strtod(buf.as_ptr() as *const _, &mut endp) };
        let used = endp as usize - buf.as_ptr() as usize;
        if used == 0 {
            return (Tok::Error("invalid number"), start);
        }
        self.pos = start + used;
        (Tok::Num(v), start)
    }

    fn string(&mut self) -> (Tok, usize) {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let c = self.at(self.pos);
            if c == b'"' {
                self.pos += 1;
                return (Tok::Str(out), start);
            }
            if c == 0 {
                return (Tok::Error("unexpected end of string"), self.pos);
            }
            if c == b'\\' {
                let esc = self.at(self.pos + 1);
                let ch = match esc {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 8,
                    b'f' => 12,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => match self.unicode() {
                        Some((cp, len)) => {
                            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                            let mut b = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                            self.pos += len;
                            continue;
                        }
                        None => return (Tok::Error("invalid unicode escape code"), self.pos),
                    },
                    _ => return (Tok::Error("invalid escape code"), self.pos),
                };
                out.push(ch);
                self.pos += 2;
                continue;
            }
            out.push(c);
            self.pos += 1;
        }
    }

    /// Decodes `\uXXXX` (and a following low surrogate) at pos: (code point, bytes used).
    fn unicode(&self) -> Option<(u32, usize)> {
        let hi = hex4(self.s.get(self.pos + 2..).unwrap_or(&[]))?;
        let mut cp = hi;
        let mut len = 6;
        if (0xD800..0xDC00).contains(&hi) {
            if self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return None;
            }
            let lo = hex4(self.s.get(self.pos + 8..).unwrap_or(&[]))?;
            if !(0xDC00..0xE000).contains(&lo) {
                return None;
            }
            cp = (((hi & 0x3ff) << 10) | (lo & 0x3ff)) + 0x10000;
            len = 12;
        } else if (0xDC00..0xE000).contains(&hi) {
            return None;
        }
        Some((cp, len))
    }
}

fn decode_value<'a>(lua: &Lua, p: &mut Parser<'a>, tok: Tok, idx: usize) -> mlua::Result<LuaValue> {
    let err = |lua: &Lua, exp: &str, t: &Tok, i: usize| {
        lib_err(
            lua,
            &format!(
                "Expected {exp} but found {} at character {}",
                t.name(),
                i + 1
            ),
        )
    };
    match tok {
        Tok::Str(s) => Ok(LuaValue::String(lua.create_string(&s)?)),
        Tok::Num(n) => Ok(LuaValue::Number(n)),
        Tok::Bool(b) => Ok(LuaValue::Boolean(b)),
        Tok::Null => Ok(LuaValue::LightUserData(LightUserData(std::ptr::null_mut()))),
        Tok::ObjBegin | Tok::ArrBegin => {
            p.depth += 1;
            if p.depth > p.max_depth {
                return Err(lib_err(
                    lua,
                    &format!(
                        "Found too many nested data structures ({}) at character {}",
                        p.depth,
                        idx + 1
                    ),
                ));
            }
            let t = lua.create_table()?;
            if tok == Tok::ArrBegin {
                let (mut tk, mut i) = p.next();
                if tk == Tok::ArrEnd {
                    p.depth -= 1;
                    return Ok(LuaValue::Table(t));
                }
                let mut n = 1;
                loop {
                    let v = decode_value(lua, p, tk, i)?;
                    t.raw_set(n, v)?;
                    n += 1;
                    let (sep, si) = p.next();
                    match sep {
                        Tok::ArrEnd => break,
                        Tok::Comma => {}
                        other => return Err(err(lua, "comma or array end", &other, si)),
                    }
                    (tk, i) = p.next();
                }
            } else {
                let (mut tk, mut i) = p.next();
                if tk == Tok::ObjEnd {
                    p.depth -= 1;
                    return Ok(LuaValue::Table(t));
                }
                loop {
                    let key = match tk {
                        Tok::Str(s) => s,
                        other => return Err(err(lua, "object key string", &other, i)),
                    };
                    let (c, ci) = p.next();
                    if c != Tok::Colon {
                        return Err(err(lua, "colon", &c, ci));
                    }
                    let (vt, vi) = p.next();
                    let v = decode_value(lua, p, vt, vi)?;
                    t.raw_set(lua.create_string(&key)?, v)?;
                    let (sep, si) = p.next();
                    match sep {
                        Tok::ObjEnd => break,
                        Tok::Comma => {}
                        other => return Err(err(lua, "comma or object end", &other, si)),
                    }
                    (tk, i) = p.next();
                }
            }
            p.depth -= 1;
            Ok(LuaValue::Table(t))
        }
        other => Err(err(lua, "value", &other, idx)),
    }
}

fn check_one(lua: &Lua, args: &mlua::MultiValue, f: &str) -> mlua::Result<()> {
    if args.len() != 1 {
        return Err(lib_err(
            lua,
            &format!("bad argument #1 to '{f}' (expected 1 argument)"),
        ));
    }
    Ok(())
}

fn int_arg(
    lua: &Lua,
    v: Option<&LuaValue>,
    min: i64,
    max: i64,
    f: &str,
) -> mlua::Result<Option<i64>> {
    match v {
        None | Some(LuaValue::Nil) => Ok(None),
        Some(v) => match num_of(v) {
            Some(n) if (n as i64) >= min && (n as i64) <= max => Ok(Some(n as i64)),
            _ => Err(lib_err(
                lua,
                &format!("bad argument #1 to '{f}' (expected integer between {min} and {max})"),
            )),
        },
    }
}

pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "encode",
        lua.create_function(|lua, args: mlua::MultiValue| {
            check_one(lua, &args, "encode")?;
            let v = &args[0];
            let out = (|| {
                let cfg = CFG.lock();
                let mut out = Vec::new();
                encode_value(lua, &mut out, v, 0, &cfg)?;
                mlua::Result::Ok(out)
            })()?;
            lua.create_string(&out)
        })?,
    )?;
    t.set(
        "decode",
        lua.create_function(|lua, args: mlua::MultiValue| {
            check_one(lua, &args, "decode")?;
            let s = match lua.coerce_string(args[0].clone())? {
                Some(s) => s,
                None => {
                    return Err(lib_err(
                        lua,
                        &format!(
                            "bad argument #1 to 'decode' (string expected, got {})",
                            type_name(&args[0])
                        ),
                    ))
                }
            };
            let bytes = s.as_bytes().to_vec();
            let (max_depth, decode_invalid) = {
                let c = CFG.lock();
                (c.decode_max_depth, c.decode_invalid)
            };
            (|| {
                let mut p = Parser {
                    s: &bytes,
                    pos: 0,
                    depth: 0,
                    max_depth,
                    decode_invalid,
                };
                let (tok, idx) = p.next();
                let v = decode_value(lua, &mut p, tok, idx)?;
                let (end, ei) = p.next();
                if end != Tok::End {
                    return Err(lib_err(
                        lua,
                        &format!(
                            "Expected the end but found {} at character {}",
                            end.name(),
                            ei + 1
                        ),
                    ));
                }
                Ok(v)
            })()
        })?,
    )?;
    t.set(
        "encode_max_depth",
        lua.create_function(|lua, args: mlua::MultiValue| {
            let mut c = CFG.lock();
            if let Some(n) = int_arg(lua, args.front(), 1, i32::MAX as i64, "encode_max_depth")? {
                c.encode_max_depth = n;
            }
            Ok(c.encode_max_depth)
        })?,
    )?;
    t.set(
        "decode_max_depth",
        lua.create_function(|lua, args: mlua::MultiValue| {
            let mut c = CFG.lock();
            if let Some(n) = int_arg(lua, args.front(), 1, i32::MAX as i64, "decode_max_depth")? {
                c.decode_max_depth = n;
            }
            Ok(c.decode_max_depth)
        })?,
    )?;
    t.set(
        "encode_number_precision",
        lua.create_function(|lua, args: mlua::MultiValue| {
            let mut c = CFG.lock();
            if let Some(n) = int_arg(lua, args.front(), 1, 14, "encode_number_precision")? {
                c.precision = n;
            }
            Ok(c.precision)
        })?,
    )?;
    t.set(
        "encode_keep_buffer",
        lua.create_function(|_, v: Option<bool>| {
            let mut c = CFG.lock();
            if let Some(b) = v {
                c.keep_buffer = b;
            }
            Ok(c.keep_buffer)
        })?,
    )?;
    t.set(
        "encode_invalid_numbers",
        lua.create_function(|lua, v: LuaValue| {
            let mut c = CFG.lock();
            match v {
                LuaValue::Nil => {}
                LuaValue::Boolean(b) => c.encode_invalid = b as i64,
                LuaValue::String(s) if &*s.as_bytes() == b"null" => c.encode_invalid = 2,
                LuaValue::String(s) if &*s.as_bytes() == b"on" => c.encode_invalid = 1,
                LuaValue::String(s) if &*s.as_bytes() == b"off" => c.encode_invalid = 0,
                _ => {
                    return Err(lib_err(
                        lua,
                        "bad argument #1 to 'encode_invalid_numbers' (invalid option)",
                    ))
                }
            }
            Ok(match c.encode_invalid {
                2 => LuaValue::String(lua.create_string("null")?),
                n => LuaValue::Boolean(n == 1),
            })
        })?,
    )?;
    t.set(
        "decode_invalid_numbers",
        lua.create_function(|_, v: Option<bool>| {
            let mut c = CFG.lock();
            if let Some(b) = v {
                c.decode_invalid = b;
            }
            Ok(c.decode_invalid)
        })?,
    )?;
    t.set(
        "encode_sparse_array",
        lua.create_function(|lua, args: mlua::MultiValue| {
            let mut c = CFG.lock();
            if let Some(LuaValue::Boolean(b)) = args.front() {
                c.sparse_convert = *b;
            }
            if let Some(n) = int_arg(lua, args.get(1), 0, i32::MAX as i64, "encode_sparse_array")? {
                c.sparse_ratio = n;
            }
            if let Some(n) = int_arg(lua, args.get(2), 0, i32::MAX as i64, "encode_sparse_array")? {
                c.sparse_safe = n;
            }
            Ok((c.sparse_convert, c.sparse_ratio, c.sparse_safe))
        })?,
    )?;
    t.set(
        "null",
        LuaValue::LightUserData(LightUserData(std::ptr::null_mut())),
    )?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::fmt_g;
    #[test]
    #[allow(clippy::approx_constant)]
    fn g14() {
        for (x, s) in [
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1e15, "1e+15"),
            (1e14, "1e+14"),
            (123456789012345678.0, "1.2345678901235e+17"),
            (-0.0, "-0"),
            (3.14159265358979, "3.1415926535898"),
            (1.0 / 3.0, "0.33333333333333"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (100.0, "100"),
            (12345678901234.0, "12345678901234"),
        ] {
            assert_eq!(fmt_g(x, 14), s);
        }
    }
}
