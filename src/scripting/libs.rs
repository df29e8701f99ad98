//! The libraries scripts see: the `redis` helpers, `bit`, deterministic `math.random`,
//! and (via `install`) `cjson`, `cmsgpack`, `struct`.

use mlua::{Function, Lua, Table, Value as LuaValue};
use std::sync::atomic::{AtomicU64, Ordering};

/// The parts of the `redis` table that don't need the running command context
/// (`call`, `pcall` and `setresp` are bound per script run).
pub fn install_redis_api(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    redis.set(
        "sha1hex",
        lua.create_function(|_, s: mlua::String| Ok(super::sha1_hex(&s.as_bytes())))?,
    )?;
    redis.set(
        "error_reply",
        lua.create_function(|lua, s: mlua::String| {
            let t = lua.create_table()?;
            t.raw_set("err", s)?;
            Ok(t)
        })?,
    )?;
    redis.set(
        "status_reply",
        lua.create_function(|lua, s: mlua::String| {
            let t = lua.create_table()?;
            t.raw_set("ok", s)?;
            Ok(t)
        })?,
    )?;
    redis.set("LOG_DEBUG", 0)?;
    redis.set("LOG_VERBOSE", 1)?;
    redis.set("LOG_NOTICE", 2)?;
    redis.set("LOG_WARNING", 3)?;
    redis.set(
        "log",
        lua.create_function(|lua, args: mlua::MultiValue| {
            if args.len() < 2 {
                return Err(super::raise(
                    lua,
                    "ERR redis.log() requires two arguments or more.",
                ));
            }
            let level = match &args[0] {
                LuaValue::Integer(i) => *i,
                LuaValue::Number(n) => *n as i64,
                _ => {
                    return Err(super::raise(
                        lua,
                        "ERR First argument must be a number (log level).",
                    ))
                }
            };
            if !(0..=3).contains(&level) {
                return Err(super::raise(lua, "ERR Invalid debug level."));
            }
            let mut msg = String::new();
            for (i, a) in args.iter().skip(1).enumerate() {
                if i > 0 {
                    msg.push(' ');
                }
                if let Some(s) = lua.coerce_string(a.clone())? {
                    msg.push_str(&s.to_string_lossy());
                }
            }
            let c = ['.', '-', '*', '#'][level as usize];
            crate::server::log(c, &msg);
            Ok(())
        })?,
    )?;
    // Effects replication is the only mode since Redis 7: these are accepted no-ops.
    redis.set("REPL_NONE", 0)?;
    redis.set("REPL_AOF", 1)?;
    redis.set("REPL_SLAVE", 2)?;
    redis.set("REPL_REPLICA", 2)?;
    redis.set("REPL_ALL", 3)?;
    redis.set("set_repl", lua.create_function(|_, _: LuaValue| Ok(()))?)?;
    redis.set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    redis.set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    redis.set(
        "debug",
        lua.create_function(|_, _: mlua::MultiValue| Ok(()))?,
    )?;
    redis.set("REDIS_VERSION", crate::server::REDIS_COMPAT_VERSION)?;
    let v: Vec<u32> = crate::server::REDIS_COMPAT_VERSION
        .split('.')
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    redis.set(
        "REDIS_VERSION_NUM",
        (v[0] << 16) | (v.get(1).copied().unwrap_or(0) << 8) | v.get(2).copied().unwrap_or(0),
    )?;
    Ok(())
}

/// Installs `bit` (and the other Redis libraries when available).
pub fn install(lua: &Lua, g: &Table) -> mlua::Result<()> {
    g.set("bit", bit_lib(lua)?)?;
    g.set("cjson", super::cjson::open(lua)?)?;
    g.set("cmsgpack", super::msgpack::open(lua)?)?;
    g.set("struct", super::structlib::open(lua)?)?;
    Ok(())
}

fn tobit(v: f64) -> i32 {
    // LuaBitOp normalizes numbers modulo 2^32 into a signed 32-bit int.
    (v.rem_euclid(4294967296.0) as u64 as u32) as i32
}

fn num(v: &LuaValue) -> mlua::Result<f64> {
    match v {
        LuaValue::Integer(i) => Ok(*i as f64),
        LuaValue::Number(n) => Ok(*n),
        LuaValue::String(s) => s
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .ok_or_else(|| mlua::Error::RuntimeError("bad argument (number expected)".into())),
        _ => Err(mlua::Error::RuntimeError(
            "bad argument (number expected)".into(),
        )),
    }
}

/// LuaBitOp's `bit` module, as Redis bundles it.
fn bit_lib(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "tobit",
        lua.create_function(|_, v: LuaValue| Ok(tobit(num(&v)?)))?,
    )?;
    t.set(
        "bnot",
        lua.create_function(|_, v: LuaValue| Ok(!tobit(num(&v)?)))?,
    )?;
    fn fold(args: mlua::MultiValue, f: fn(i32, i32) -> i32) -> mlua::Result<i32> {
        let mut it = args.iter();
        let mut acc = tobit(num(it.next().unwrap_or(&LuaValue::Nil))?);
        for a in it {
            acc = f(acc, tobit(num(a)?));
        }
        Ok(acc)
    }
    t.set(
        "band",
        lua.create_function(|_, a: mlua::MultiValue| fold(a, |x, y| x & y))?,
    )?;
    t.set(
        "bor",
        lua.create_function(|_, a: mlua::MultiValue| fold(a, |x, y| x | y))?,
    )?;
    t.set(
        "bxor",
        lua.create_function(|_, a: mlua::MultiValue| fold(a, |x, y| x ^ y))?,
    )?;
    t.set(
        "lshift",
        lua.create_function(|_, (a, n): (LuaValue, LuaValue)| {
            Ok(((tobit(num(&a)?) as u32) << (tobit(num(&n)?) & 31)) as i32)
        })?,
    )?;
    t.set(
        "rshift",
        lua.create_function(|_, (a, n): (LuaValue, LuaValue)| {
            Ok(((tobit(num(&a)?) as u32) >> (tobit(num(&n)?) & 31)) as i32)
        })?,
    )?;
    t.set(
        "arshift",
        lua.create_function(|_, (a, n): (LuaValue, LuaValue)| {
            Ok(tobit(num(&a)?) >> (tobit(num(&n)?) & 31))
        })?,
    )?;
    t.set(
        "rol",
        lua.create_function(|_, (a, n): (LuaValue, LuaValue)| {
            Ok((tobit(num(&a)?) as u32).rotate_left((tobit(num(&n)?) & 31) as u32) as i32)
        })?,
    )?;
    t.set(
        "ror",
        lua.create_function(|_, (a, n): (LuaValue, LuaValue)| {
            Ok((tobit(num(&a)?) as u32).rotate_right((tobit(num(&n)?) & 31) as u32) as i32)
        })?,
    )?;
    t.set(
        "bswap",
        lua.create_function(|_, a: LuaValue| Ok((tobit(num(&a)?) as u32).swap_bytes() as i32))?,
    )?;
    t.set(
        "tohex",
        lua.create_function(|_, (a, n): (LuaValue, Option<LuaValue>)| {
            let x = tobit(num(&a)?) as u32;
            let mut n = match n {
                Some(v) => tobit(num(&v)?),
                None => 8,
            };
            let upper = n < 0;
            if upper {
                n = -n;
            }
            let n = n.clamp(1, 8) as usize;
            let s = if upper {
                format!("{x:08X}")
            } else {
                format!("{x:08x}")
            };
            Ok(s[8 - n..].to_string())
        })?,
    )?;
    Ok(t)
}

/// redisLrand48 state (48 bits). Scripts run one at a time (the VM is behind a mutex),
/// but on whichever worker thread runs them, so the state is global.
static RAND48: AtomicU64 = AtomicU64::new(RAND48_DEFAULT);
/// drand48's default state (X2, X1, X0 = 0x1234, 0xABCD, 0x330E), Redis's initial state.
const RAND48_DEFAULT: u64 = 0x1234_ABCD_330E;

fn srand48(seed: i32) {
    RAND48.store((((seed as u32) as u64) << 16) | 0x330e, Ordering::Relaxed);
}

fn lrand48() -> i32 {
    let x = RAND48
        .load(Ordering::Relaxed)
        .wrapping_mul(0x5DEECE66D)
        .wrapping_add(0xB)
        & 0xffff_ffff_ffff;
    RAND48.store(x, Ordering::Relaxed);
    (x >> 17) as i32
}

/// Puts the generator in Redis's initial state.
pub fn reset_random(_lua: &Lua) -> mlua::Result<()> {
    RAND48.store(RAND48_DEFAULT, Ordering::Relaxed);
    Ok(())
}

/// `math.random` / `math.randomseed` on redisLrand48, as Redis replaces them.
pub fn install_random(lua: &Lua, g: &Table) -> mlua::Result<()> {
    let math: Table = g.get("math")?;
    let random: Function = lua.create_function(|_, args: mlua::MultiValue| {
        const MAX: f64 = i32::MAX as f64;
        let r = (lrand48() % i32::MAX) as f64 / MAX;
        match args.len() {
            0 => Ok(LuaValue::Number(r)),
            1 => {
                let u = num(&args[0])?;
                if u < 1.0 {
                    return Err(mlua::Error::RuntimeError(
                        "bad argument #1 to 'random' (interval is empty)".into(),
                    ));
                }
                Ok(LuaValue::Number((r * u).floor() + 1.0))
            }
            2 => {
                let l = num(&args[0])?;
                let u = num(&args[1])?;
                if l > u {
                    return Err(mlua::Error::RuntimeError(
                        "bad argument #2 to 'random' (interval is empty)".into(),
                    ));
                }
                Ok(LuaValue::Number((r * (u - l + 1.0)).floor() + l))
            }
            _ => Err(mlua::Error::RuntimeError(
                "wrong number of arguments".into(),
            )),
        }
    })?;
    math.set("random", random)?;
    math.set(
        "randomseed",
        lua.create_function(|_, v: LuaValue| {
            srand48(num(&v)? as i32);
            Ok(())
        })?,
    )?;
    Ok(())
}
