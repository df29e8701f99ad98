//! Redis functions: libraries loaded with FUNCTION LOAD (`#!lua name=<lib>` header and
//! `redis.register_function`), FCALL/FCALL_RO, and FUNCTION DUMP/RESTORE in Redis's
//! payload format (RDB function opcode + library code, RDB version, CRC64 Jones).
//! Functions live in the same Lua VM as EVAL scripts.

use super::{Mode, Scripting};
use crate::command::Ctx;
use crate::resp::Reply;
use bytes::Bytes;
use mlua::{Function, Lua, Table, Value as LuaValue};
use parking_lot::Mutex;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

/// The flags a function may declare, in Redis's order.
pub const FLAGS: [&str; 5] = [
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

#[derive(Clone)]
pub struct Func {
    callback: Function,
    /// Bit i set: FLAGS[i].
    flags: u8,
    description: Option<Bytes>,
}

#[derive(Clone)]
pub struct Library {
    code: Bytes,
    functions: BTreeMap<String, Func>,
}

#[derive(Default, Clone)]
pub struct Libraries {
    libs: BTreeMap<String, Library>,
    /// function name -> library name
    index: HashMap<String, String>,
}

impl Libraries {
    fn install(&mut self, name: String, lib: Library, replace: bool) -> Result<(), Reply> {
        if self.libs.contains_key(&name) && !replace {
            return Err(Reply::Error(
                format!("ERR Library '{name}' already exists").into(),
            ));
        }
        for f in lib.functions.keys() {
            if let Some(owner) = self.index.get(&f.to_ascii_lowercase()) {
                if *owner != name {
                    return Err(Reply::Error(
                        format!("ERR Function {f} already exists").into(),
                    ));
                }
            }
        }
        self.remove(&name);
        for f in lib.functions.keys() {
            self.index.insert(f.to_ascii_lowercase(), name.clone());
        }
        self.libs.insert(name, lib);
        Ok(())
    }

    fn remove(&mut self, name: &str) -> bool {
        match self.libs.remove(name) {
            Some(old) => {
                for f in old.functions.keys() {
                    self.index.remove(&f.to_ascii_lowercase());
                }
                true
            }
            None => false,
        }
    }

    fn counts(&self) -> (usize, usize) {
        (self.libs.len(), self.index.len())
    }
}

/// The function currently running (for FUNCTION STATS): name, command, start ms.
static RUNNING: Mutex<Option<(String, Vec<Bytes>, u64)>> = Mutex::new(None);
/// (libraries, functions), readable while a function holds the VM.
static COUNTS: Mutex<(usize, usize)> = Mutex::new((0, 0));

fn valid_name(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Parses the `#!lua name=<lib>` first line; returns the library name.
fn parse_header(code: &[u8]) -> Result<String, Reply> {
    if !code.starts_with(b"#!") {
        return Err(Reply::err("ERR Missing library metadata"));
    }
    let Some(line_end) = code.iter().position(|&c| c == b'\n') else {
        return Err(Reply::err("ERR Invalid library metadata"));
    };
    let line = String::from_utf8_lossy(&code[2..line_end]).into_owned();
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("");
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(Reply::Error(
            format!("ERR Engine '{engine}' not found").into(),
        ));
    }
    let mut name = None;
    for p in parts {
        match (p.len() >= 5 && p[..5].eq_ignore_ascii_case("name=")).then(|| &p[5..]) {
            Some(n) => {
                if name.is_some() {
                    return Err(Reply::err(
                        "ERR Invalid metadata value, name argument was given multiple times",
                    ));
                }
                name = Some(n.to_string());
            }
            None => {
                return Err(Reply::Error(
                    format!("ERR Invalid metadata value given: {p}").into(),
                ))
            }
        }
    }
    let Some(name) = name else {
        return Err(Reply::err("ERR Library name was not given"));
    };
    if !valid_name(name.as_bytes()) {
        return Err(Reply::err("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
    }
    Ok(name)
}

fn reg_err(msg: &str) -> mlua::Error {
    mlua::Error::RuntimeError(format!("\u{1}{msg}"))
}

/// `redis.register_function(name, fn)` / `redis.register_function{...}`.
fn register(
    lua: &Lua,
    args: mlua::MultiValue,
    out: &RefCell<BTreeMap<String, Func>>,
) -> mlua::Result<()> {
    let (name, callback, flags, description) = match args.len() {
        1 => {
            let LuaValue::Table(t) = &args[0] else {
                return Err(reg_err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."));
            };
            let mut name = None;
            let mut cb = None;
            let mut flags = 0u8;
            let mut desc = None;
            for pair in t.clone().pairs::<LuaValue, LuaValue>() {
                let (k, v) = pair?;
                let key =
                    match &k {
                        LuaValue::String(s) => s.to_string_lossy().to_string(),
                        _ => return Err(reg_err(
                            "named argument key given to redis.register_function is not a string",
                        )),
                    };
                match key.as_str() {
                    "function_name" => match lua.coerce_string(v)? {
                        Some(s) => name = Some(s.as_bytes().to_vec()),
                        None => return Err(reg_err("function_name argument given to redis.register_function must be a string")),
                    },
                    "callback" => match v {
                        LuaValue::Function(f) => cb = Some(f),
                        _ => return Err(reg_err("callback argument given to redis.register_function must be a function")),
                    },
                    "flags" => match v {
                        LuaValue::Table(ft) => {
                            for f in ft.sequence_values::<LuaValue>() {
                                let f = f?;
                                let LuaValue::String(fs) = f else {
                                    return Err(reg_err("unknown flag given"));
                                };
                                match FLAGS.iter().position(|x| x.as_bytes() == &*fs.as_bytes()) {
                                    Some(i) => flags |= 1 << i,
                                    None => return Err(reg_err("unknown flag given")),
                                }
                            }
                        }
                        _ => return Err(reg_err("flags argument to redis.register_function must be a table representing function flags")),
                    },
                    "description" => match lua.coerce_string(v)? {
                        Some(s) => desc = Some(Bytes::copy_from_slice(&s.as_bytes())),
                        None => return Err(reg_err("description argument given to redis.register_function must be a string")),
                    },
                    _ => return Err(reg_err("unknown argument given to redis.register_function")),
                }
            }
            let Some(name) = name else {
                return Err(reg_err(
                    "redis.register_function must get a function name argument",
                ));
            };
            let Some(cb) = cb else {
                return Err(reg_err(
                    "redis.register_function must get a callback argument",
                ));
            };
            (name, cb, flags, desc)
        }
        2 => {
            let name = match lua.coerce_string(args[0].clone())? {
                Some(s) => s.as_bytes().to_vec(),
                None => {
                    return Err(reg_err(
                        "first argument to redis.register_function must be a string",
                    ))
                }
            };
            let LuaValue::Function(cb) = args[1].clone() else {
                return Err(reg_err(
                    "second argument to redis.register_function must be a function",
                ));
            };
            (name, cb, 0, None)
        }
        _ => {
            return Err(reg_err(
                "wrong number of arguments to redis.register_function",
            ))
        }
    };
    if !valid_name(&name) {
        // (Redis's text for a bad function name says "Library names".)
        return Err(reg_err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    let mut out = out.borrow_mut();
    if out.keys().any(|k| k.eq_ignore_ascii_case(&name)) {
        return Err(reg_err("Function already exists in the library"));
    }
    out.insert(
        name,
        Func {
            callback,
            flags,
            description,
        },
    );
    Ok(())
}

/// How long a library's top-level code may run in FUNCTION LOAD (Redis's LOAD_TIMEOUT_MS).
const LOAD_TIMEOUT_MS: u64 = 500;

fn load_error(e: &mlua::Error) -> Reply {
    let msg = match e {
        mlua::Error::CallbackError { cause, .. } => return load_error(cause),
        mlua::Error::RuntimeError(m) => m.clone(),
        other => other.to_string(),
    };
    let msg = msg.lines().next().unwrap_or("").to_string();
    let msg = msg.strip_prefix('\u{1}').unwrap_or(&msg);
    Reply::Error(format!("ERR Error registering functions: ERR {msg}").into())
}

impl Scripting {
    /// Compiles `code` and runs its registrations: (library name, library).
    fn build_library(
        &self,
        lua: &Lua,
        redis: &Table,
        code: &[u8],
    ) -> Result<(String, Library), Reply> {
        let name = parse_header(code)?;
        // The `#!lua` line becomes a comment (line numbers stay right).
        let mut src = code.to_vec();
        src[0] = b'-';
        src[1] = b'-';
        let chunk = lua
            .load(&src[..])
            .set_name("@user_function")
            .into_function()
            .map_err(|e| {
                let msg = match &e {
                    mlua::Error::SyntaxError { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                Reply::Error(format!("ERR Error compiling function: {msg}").into())
            })?;
        let out = RefCell::new(BTreeMap::new());
        // Library code runs without redis.call/pcall/setresp: they are removed for the
        // load and put back after it.
        let mut api = Vec::new();
        for name in ["call", "pcall", "setresp"] {
            if let Ok(f) = redis.raw_get::<LuaValue>(name) {
                api.push((name, f));
            }
            let _ = redis.raw_remove(name);
        }
        let r = lua.scope(|scope| {
            let reg =
                scope.create_function(|lua, args: mlua::MultiValue| register(lua, args, &out))?;
            redis.raw_set("register_function", reg)?;
            self.busy.load_deadline_ms.store(
                crate::util::now_ms() + LOAD_TIMEOUT_MS,
                std::sync::atomic::Ordering::Relaxed,
            );
            let r = chunk.call::<()>(());
            self.busy
                .load_deadline_ms
                .store(0, std::sync::atomic::Ordering::Relaxed);
            redis.raw_remove("register_function")?;
            r
        });
        let _ = redis.raw_remove("register_function");
        for (name, f) in api {
            let _ = redis.raw_set(name, f);
        }
        if let Err(e) = r {
            return Err(load_error(&e));
        }
        let functions = out.into_inner();
        if functions.is_empty() {
            return Err(Reply::err("ERR No functions registered"));
        }
        Ok((
            name,
            Library {
                code: Bytes::copy_from_slice(code),
                functions,
            },
        ))
    }

    fn set_counts(libs: &Libraries) {
        *COUNTS.lock() = libs.counts();
    }

    /// FUNCTION LOAD [REPLACE]: returns the library name.
    pub fn function_load(&self, code: &[u8], replace: bool) -> Result<String, Reply> {
        let mut vm = self.vm.lock();
        let name = parse_header(code)?;
        if vm.libs.libs.contains_key(&name) && !replace {
            return Err(Reply::Error(
                format!("ERR Library '{name}' already exists").into(),
            ));
        }
        let redis = vm.redis.clone();
        let (name, lib) = self.build_library(&vm.lua, &redis, code)?;
        vm.libs.install(name.clone(), lib, replace)?;
        Self::set_counts(&vm.libs);
        Ok(name)
    }

    pub fn function_delete(&self, name: &str) -> bool {
        let mut vm = self.vm.lock();
        let r = vm.libs.remove(name);
        Self::set_counts(&vm.libs);
        r
    }

    pub fn function_flush(&self) {
        let mut vm = self.vm.lock();
        vm.libs = Libraries::default();
        Self::set_counts(&vm.libs);
        let _ = vm.lua.gc_collect();
    }

    pub fn function_list(&self, withcode: bool, pattern: Option<&[u8]>) -> Reply {
        let vm = self.vm.lock();
        let mut out = Vec::new();
        for (name, lib) in &vm.libs.libs {
            if let Some(p) = pattern {
                if !crate::util::glob_match(p, name.as_bytes(), false) {
                    continue;
                }
            }
            let funcs = lib
                .functions
                .iter()
                .map(|(fname, f)| {
                    Reply::Map(vec![
                        (Reply::bulk("name"), Reply::bulk(fname.clone())),
                        (
                            Reply::bulk("description"),
                            f.description.clone().map_or(Reply::Nil, Reply::Bulk),
                        ),
                        (
                            Reply::bulk("flags"),
                            Reply::Set(
                                FLAGS
                                    .iter()
                                    .enumerate()
                                    .filter(|(i, _)| f.flags & (1 << i) != 0)
                                    .map(|(_, n)| Reply::status(*n))
                                    .collect(),
                            ),
                        ),
                    ])
                })
                .collect();
            let mut m = vec![
                (Reply::bulk("library_name"), Reply::bulk(name.clone())),
                (Reply::bulk("engine"), Reply::bulk("LUA")),
                (Reply::bulk("functions"), Reply::Array(funcs)),
            ];
            if withcode {
                m.push((Reply::bulk("library_code"), Reply::Bulk(lib.code.clone())));
            }
            out.push(Reply::Map(m));
        }
        Reply::Array(out)
    }

    /// FUNCTION STATS (doesn't take the VM: it answers while a function runs).
    pub fn function_stats(&self) -> Reply {
        let running = match &*RUNNING.lock() {
            Some((name, cmd, start)) => Reply::Map(vec![
                (Reply::bulk("name"), Reply::bulk(name.clone())),
                (
                    Reply::bulk("command"),
                    Reply::Array(cmd.iter().cloned().map(Reply::Bulk).collect()),
                ),
                (
                    Reply::bulk("duration_ms"),
                    Reply::Int(crate::util::now_ms().saturating_sub(*start) as i64),
                ),
            ]),
            None => Reply::Nil,
        };
        let (l, f) = *COUNTS.lock();
        Reply::Map(vec![
            (Reply::bulk("running_script"), running),
            (
                Reply::bulk("engines"),
                Reply::Map(vec![(
                    Reply::bulk("LUA"),
                    Reply::Map(vec![
                        (Reply::bulk("libraries_count"), Reply::Int(l as i64)),
                        (Reply::bulk("functions_count"), Reply::Int(f as i64)),
                    ]),
                )]),
            ),
        ])
    }

    /// FUNCTION DUMP payload.
    pub fn function_dump(&self) -> Bytes {
        let vm = self.vm.lock();
        let mut out = Vec::new();
        for lib in vm.libs.libs.values() {
            out.push(RDB_OPCODE_FUNCTION2);
            rdb_write_len(&mut out, lib.code.len() as u64);
            out.extend_from_slice(&lib.code);
        }
        out.extend_from_slice(&DUMP_RDB_VERSION.to_le_bytes());
        let crc = crc64(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        Bytes::from(out)
    }

    /// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
    pub fn function_restore(&self, payload: &[u8], policy: Restore) -> Result<(), Reply> {
        let codes = parse_dump(payload)?;
        let mut vm = self.vm.lock();
        let redis = vm.redis.clone();
        let mut new_libs = Vec::new();
        for code in &codes {
            new_libs.push(self.build_library(&vm.lua, &redis, code)?);
        }
        let mut libs = match policy {
            Restore::Flush => Libraries::default(),
            _ => vm.libs.clone(),
        };
        for (name, lib) in new_libs {
            if policy == Restore::Append && libs.libs.contains_key(&name) {
                return Err(Reply::Error(
                    format!("ERR Library {name} already exists").into(),
                ));
            }
            libs.install(name, lib, policy != Restore::Append)?;
        }
        vm.libs = libs;
        Self::set_counts(&vm.libs);
        Ok(())
    }

    /// FCALL / FCALL_RO.
    pub fn fcall(
        &self,
        ctx: &mut Ctx,
        args: &[Bytes],
        keys: &[Bytes],
        argv: &[Bytes],
        ro: bool,
    ) -> Reply {
        let vm = self.vm.lock();
        let name = String::from_utf8_lossy(&args[1]).into_owned();
        let Some((name, f)) = vm
            .libs
            .index
            .get(&name.to_ascii_lowercase())
            .and_then(|l| vm.libs.libs.get(l))
            .and_then(|l| {
                l.functions
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&name))
            })
        else {
            return Reply::err("ERR Function not found");
        };
        let no_writes = f.flags & 1 != 0;
        if ro && !no_writes {
            return Reply::err("ERR Can not execute a script with write flag using *_ro command.");
        }
        let mode = if no_writes {
            Mode::ReadOnly
        } else {
            Mode::ReadWrite
        };
        // Redis 7: a function that may write and isn't flagged allow-oom is refused up
        // front while the server is out of memory.
        let allow_oom = f.flags & 2 != 0;
        if !no_writes && !allow_oom && crate::memory::over_limit(ctx.srv) {
            return Reply::err(crate::memory::OOM_ERROR);
        }
        *RUNNING.lock() = Some((name.clone(), args.to_vec(), crate::util::now_ms()));
        let name = name.as_str();
        let r = self.run(
            ctx,
            &vm.lua,
            &vm.globals,
            name,
            &f.callback,
            keys,
            argv,
            mode,
            true,
            allow_oom,
        );
        *RUNNING.lock() = None;
        r
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Restore {
    Flush,
    Append,
    Replace,
}

const RDB_OPCODE_FUNCTION2: u8 = 245;
const RDB_OPCODE_FUNCTION_PRE_GA: u8 = 246;
/// RDB version written in dumps: 10 (Redis 7.0) so both 7.0 and 7.2 accept them.
const DUMP_RDB_VERSION: u16 = 10;
/// Highest RDB version accepted (Redis 7.2).
const MAX_RDB_VERSION: u16 = 11;

fn rdb_write_len(out: &mut Vec<u8>, n: u64) {
    if n < 64 {
        out.push(n as u8);
    } else if n < 16384 {
        out.push(0x40 | (n >> 8) as u8);
        out.push(n as u8);
    } else if n <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Reads an RDB length: (value, is_encoded).
fn rdb_read_len(p: &[u8], i: &mut usize) -> Option<(u64, bool)> {
    let b = *p.get(*i)?;
    *i += 1;
    match b >> 6 {
        0 => Some(((b & 0x3f) as u64, false)),
        1 => {
            let b2 = *p.get(*i)?;
            *i += 1;
            Some(((((b & 0x3f) as u64) << 8) | b2 as u64, false))
        }
        2 => {
            let n = if b == 0x80 {
                4
            } else if b == 0x81 {
                8
            } else {
                return None;
            };
            let s = p.get(*i..*i + n)?;
            *i += n;
            Some((s.iter().fold(0u64, |a, &c| (a << 8) | c as u64), false))
        }
        _ => Some(((b & 0x3f) as u64, true)),
    }
}

fn rdb_read_string(p: &[u8], i: &mut usize) -> Option<Vec<u8>> {
    let (n, enc) = rdb_read_len(p, i)?;
    if !enc {
        let s = p.get(*i..*i + n as usize)?.to_vec();
        *i += n as usize;
        return Some(s);
    }
    match n {
        0 => {
            let v = *p.get(*i)? as i8;
            *i += 1;
            Some(v.to_string().into_bytes())
        }
        1 => {
            let s = p.get(*i..*i + 2)?;
            *i += 2;
            Some(i16::from_le_bytes([s[0], s[1]]).to_string().into_bytes())
        }
        2 => {
            let s = p.get(*i..*i + 4)?;
            *i += 4;
            Some(
                i32::from_le_bytes([s[0], s[1], s[2], s[3]])
                    .to_string()
                    .into_bytes(),
            )
        }
        3 => {
            let (clen, _) = rdb_read_len(p, i)?;
            let (len, _) = rdb_read_len(p, i)?;
            let c = p.get(*i..*i + clen as usize)?;
            *i += clen as usize;
            lzf_decompress(c, len as usize)
        }
        _ => None,
    }
}

fn lzf_decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            out.extend_from_slice(input.get(ip..ip + n)?);
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..len + 2 {
                let c = out[start + k];
                out.push(c);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

fn parse_dump(p: &[u8]) -> Result<Vec<Vec<u8>>, Reply> {
    let bad = || Reply::err("ERR DUMP payload version or checksum are wrong");
    if p.len() < 10 {
        return Err(bad());
    }
    let body_end = p.len() - 10;
    let ver = u16::from_le_bytes([p[body_end], p[body_end + 1]]);
    let crc = u64::from_le_bytes(p[p.len() - 8..].try_into().unwrap());
    if ver > MAX_RDB_VERSION || (crc != 0 && crc64(0, &p[..p.len() - 8]) != crc) {
        return Err(bad());
    }
    let mut codes = Vec::new();
    let mut i = 0;
    while i < body_end {
        match p[i] {
            RDB_OPCODE_FUNCTION2 => {
                i += 1;
                match rdb_read_string(&p[..body_end], &mut i) {
                    Some(s) => codes.push(s),
                    None => return Err(Reply::err("ERR Failed loading library")),
                }
            }
            RDB_OPCODE_FUNCTION_PRE_GA => {
                return Err(Reply::err("ERR Pre-GA function format not supported"))
            }
            _ => return Err(Reply::err("ERR given type is not a function")),
        }
    }
    Ok(codes)
}

const fn crc64_table() -> [u64; 256] {
    // Jones polynomial, reflected (Redis's crc64).
    const POLY: u64 = 0x95ac9329ac4bc9b5;
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC64: [u64; 256] = crc64_table();

/// Redis's CRC-64 (Jones), as used for DUMP payloads.
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    for &b in data {
        crc = CRC64[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc64_jones() {
        assert_eq!(super::crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn lzf() {
        // "aaaaaaaaaa": literal 'a' then back-reference of length 9 at distance 1.
        let c = [0x00, b'a', 0xe0, 0x00, 0x00];
        assert_eq!(super::lzf_decompress(&c, 10).unwrap(), b"aaaaaaaaaa");
    }
}
