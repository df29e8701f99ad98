//! Strings: GET, SET and the rest of Redis's t_string.c.

use crate::command::{arg, err, Ctx, LockMode, Registry};
use crate::resp::Reply;
use crate::store::{StrValue, Value};
use crate::util::eq_ic;
use bytes::Bytes;

pub fn register(r: &mut Registry) {
    r.add("get", get, LockMode::Keys);
    r.add("set", set, LockMode::Keys);
}

/// Reads a string value: Ok(None) if absent, WRONGTYPE for other types.
pub fn read_str(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::Str(s) => Ok(Some(s.to_bytes())),
            _ => Err(err::wrong_type()),
        },
    }
}

fn get(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match read_str(ctx, &args[1]) {
        Ok(Some(b)) => Reply::Bulk(b),
        Ok(None) => Reply::Nil,
        Err(e) => e,
    }
}

fn set(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let mut nx = false;
    let mut xx = false;
    let mut get = false;
    let mut keep_ttl = false;
    let mut expire: Option<u64> = None;
    let mut i = 3;
    while i < args.len() {
        let a = &args[i];
        let next = args.get(i + 1);
        if eq_ic(a, "nx") && !xx {
            nx = true;
        } else if eq_ic(a, "xx") && !nx {
            xx = true;
        } else if eq_ic(a, "get") {
            get = true;
        } else if eq_ic(a, "keepttl") && expire.is_none() {
            keep_ttl = true;
        } else if (eq_ic(a, "ex") || eq_ic(a, "px") || eq_ic(a, "exat") || eq_ic(a, "pxat"))
            && !keep_ttl
            && expire.is_none()
            && next.is_some()
        {
            let v = match arg::int(next.unwrap()) {
                Ok(v) => v,
                Err(e) => return e,
            };
            let unit_ms = eq_ic(a, "px") || eq_ic(a, "pxat");
            if v <= 0 || (!unit_ms && v > i64::MAX / 1000) {
                return err::invalid_expire("set");
            }
            let ms = if unit_ms { v } else { v * 1000 };
            let at = if eq_ic(a, "ex") || eq_ic(a, "px") {
                match (ctx.now as i64).checked_add(ms) {
                    Some(x) => x,
                    None => return err::invalid_expire("set"),
                }
            } else {
                ms
            };
            expire = Some(at as u64);
            i += 1;
        } else {
            return err::syntax();
        }
        i += 1;
    }
    let old = if get {
        match ctx.lookup(key) {
            None => None,
            Some(e) => match &e.value {
                Value::Str(s) => Some(s.to_bytes()),
                _ => return err::wrong_type(),
            },
        }
    } else {
        None
    };
    let exists = if get { old.is_some() } else { ctx.exists(key) };
    if (nx && exists) || (xx && !exists) {
        ctx.propagate = crate::command::Propagate::Nothing;
        return if get {
            old.map(Reply::Bulk).unwrap_or(Reply::Nil)
        } else {
            Reply::Nil
        };
    }
    let at = expire.unwrap_or(0);
    ctx.set_value(
        key,
        Value::Str(StrValue::from_bytes(&args[2])),
        at,
        keep_ttl,
    );
    if expire.is_some() {
        // Replay with an absolute time so AOF/replicas agree on when it expires.
        ctx.rewrite_as(vec![vec![
            Bytes::from_static(b"SET"),
            key.clone(),
            args[2].clone(),
            Bytes::from_static(b"PXAT"),
            Bytes::from(at.to_string()),
        ]]);
    }
    ctx.notify(crate::config::notify::STRING, "set", key);
    if expire.is_some() {
        ctx.notify(crate::config::notify::GENERIC, "expire", key);
    }
    if get {
        old.map(Reply::Bulk).unwrap_or(Reply::Nil)
    } else {
        Reply::OK
    }
}
