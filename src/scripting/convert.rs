//! Conversions between replies and Lua values, with Redis's rules
//! (script_lua.c: redisProtocolToLuaType / luaReplyToRedisReply).

use crate::resp::Reply;
use mlua::{Lua, Table, Value as LuaValue};

/// `{err = msg}`, what `redis.pcall` returns for an error reply.
pub fn error_table(lua: &Lua, msg: &str) -> mlua::Result<LuaValue> {
    let t = lua.create_table()?;
    t.raw_set("err", msg)?;
    Ok(LuaValue::Table(t))
}

fn single(lua: &Lua, key: &str, v: impl mlua::IntoLua) -> mlua::Result<LuaValue> {
    let t = lua.create_table()?;
    t.raw_set(key, v)?;
    Ok(LuaValue::Table(t))
}

/// A command's reply as the script sees it; `resp` is the script's `redis.setresp`.
pub fn reply_to_lua(lua: &Lua, r: &Reply, resp: u8) -> mlua::Result<LuaValue> {
    let resp3 = resp >= 3;
    Ok(match r {
        Reply::Status(s) => single(lua, "ok", s.as_ref())?,
        Reply::Error(e) => error_table(lua, e)?,
        Reply::Int(i) => LuaValue::Integer(*i as _),
        Reply::Bulk(b) => LuaValue::String(lua.create_string(b)?),
        Reply::Nil | Reply::NilArray => {
            if resp3 {
                LuaValue::Nil
            } else {
                LuaValue::Boolean(false)
            }
        }
        Reply::Array(items) | Reply::Push(items) => array(lua, items, resp)?,
        Reply::Set(items) => {
            if resp3 {
                let t = lua.create_table()?;
                for it in items {
                    t.raw_set(reply_to_lua(lua, it, resp)?, true)?;
                }
                single(lua, "set", t)?
            } else {
                array(lua, items, resp)?
            }
        }
        Reply::Map(pairs) => {
            if resp3 {
                let t = lua.create_table()?;
                for (k, v) in pairs {
                    t.raw_set(reply_to_lua(lua, k, resp)?, reply_to_lua(lua, v, resp)?)?;
                }
                single(lua, "map", t)?
            } else {
                let t = lua.create_table_with_capacity(pairs.len() * 2, 0)?;
                let mut i = 1;
                for (k, v) in pairs {
                    t.raw_set(i, reply_to_lua(lua, k, resp)?)?;
                    t.raw_set(i + 1, reply_to_lua(lua, v, resp)?)?;
                    i += 2;
                }
                LuaValue::Table(t)
            }
        }
        Reply::Double(d) => {
            if resp3 {
                single(lua, "double", *d)?
            } else {
                LuaValue::String(lua.create_string(crate::resp::format_double(*d))?)
            }
        }
        Reply::Bool(b) => {
            if resp3 {
                LuaValue::Boolean(*b)
            } else {
                LuaValue::Integer(*b as _)
            }
        }
        Reply::Verbatim(fmt, b) => {
            if resp3 {
                let t = lua.create_table()?;
                t.raw_set("format", *fmt)?;
                t.raw_set("string", lua.create_string(b)?)?;
                single(lua, "verbatim_string", t)?
            } else {
                LuaValue::String(lua.create_string(b)?)
            }
        }
        Reply::BigNumber(s) => {
            if resp3 {
                single(lua, "big_number", s.as_str())?
            } else {
                LuaValue::String(lua.create_string(s)?)
            }
        }
        Reply::Raw(_) => LuaValue::Nil,
    })
}

fn array(lua: &Lua, items: &[Reply], resp: u8) -> mlua::Result<LuaValue> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, it) in items.iter().enumerate() {
        t.raw_set(i + 1, reply_to_lua(lua, it, resp)?)?;
    }
    Ok(LuaValue::Table(t))
}

/// A script's return value as a reply to a caller speaking RESP2 or RESP3.
pub fn lua_to_reply(v: &LuaValue, caller_resp3: bool) -> Reply {
    lua_to_reply_depth(v, caller_resp3, 0)
}

fn lua_to_reply_depth(v: &LuaValue, resp3: bool, depth: usize) -> Reply {
    if depth > 1000 {
        return Reply::err("ERR reached lua stack limit");
    }
    match v {
        LuaValue::Nil => Reply::Nil,
        LuaValue::Boolean(b) => {
            if resp3 {
                Reply::Bool(*b)
            } else if *b {
                Reply::Int(1)
            } else {
                Reply::Nil
            }
        }
        LuaValue::Integer(i) => Reply::Int(*i),
        // Lua numbers are truncated to integers, as Redis does.
        LuaValue::Number(n) => Reply::Int(c_i64(*n)),
        LuaValue::String(s) => Reply::Bulk(bytes::Bytes::copy_from_slice(&s.as_bytes())),
        LuaValue::Table(t) => table_to_reply(t, resp3, depth),
        _ => Reply::Nil,
    }
}

fn table_to_reply(t: &Table, resp3: bool, depth: usize) -> Reply {
    if let Ok(LuaValue::String(e)) = t.raw_get::<LuaValue>("err") {
        let msg = e.to_string_lossy();
        return Reply::Error(msg.to_string().into());
    }
    if let Ok(LuaValue::String(s)) = t.raw_get::<LuaValue>("ok") {
        return Reply::Status(s.to_string_lossy().to_string().into());
    }
    if let Ok(v) = t.raw_get::<LuaValue>("double") {
        match v {
            LuaValue::Number(n) => return Reply::Double(n),
            LuaValue::Integer(i) => return Reply::Double(i as f64),
            _ => {}
        }
    }
    if let Ok(LuaValue::String(s)) = t.raw_get::<LuaValue>("big_number") {
        return Reply::BigNumber(s.to_string_lossy().to_string());
    }
    if let Ok(LuaValue::Table(v)) = t.raw_get::<LuaValue>("verbatim_string") {
        if let (Ok(LuaValue::String(f)), Ok(LuaValue::String(s))) = (
            v.raw_get::<LuaValue>("format"),
            v.raw_get::<LuaValue>("string"),
        ) {
            let fmt: &'static str = match &*f.as_bytes() {
                b"txt" => "txt",
                b"mkd" => "mkd",
                _ => "txt",
            };
            return Reply::Verbatim(fmt, bytes::Bytes::copy_from_slice(&s.as_bytes()));
        }
    }
    if let Ok(LuaValue::Table(m)) = t.raw_get::<LuaValue>("map") {
        let mut pairs = Vec::new();
        for (k, v) in m.pairs::<LuaValue, LuaValue>().flatten() {
            pairs.push((
                lua_to_reply_depth(&k, resp3, depth + 1),
                lua_to_reply_depth(&v, resp3, depth + 1),
            ));
        }
        return Reply::Map(pairs);
    }
    if let Ok(LuaValue::Table(s)) = t.raw_get::<LuaValue>("set") {
        let mut items = Vec::new();
        for (k, _) in s.pairs::<LuaValue, LuaValue>().flatten() {
            items.push(lua_to_reply_depth(&k, resp3, depth + 1));
        }
        return Reply::Set(items);
    }
    // An array: elements 1.. up to the first nil.
    let mut items = Vec::new();
    let mut i = 1;
    loop {
        match t.raw_get::<LuaValue>(i) {
            Ok(LuaValue::Nil) | Err(_) => break,
            Ok(v) => items.push(lua_to_reply_depth(&v, resp3, depth + 1)),
        }
        i += 1;
    }
    Reply::Array(items)
}

/// C's `(long long)` cast of a double on x86-64: NaN and out-of-range values become
/// i64::MIN (Redis returns that for e.g. `return 0/0`).
pub fn c_i64(n: f64) -> i64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if n.is_nan() || !(-TWO63..TWO63).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}
