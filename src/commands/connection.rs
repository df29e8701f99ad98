//! Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET and CLIENT.
//!
//! HELLO answers like Redis 7.2 (`server: redis`, `version: 7.2.4`): client libraries
//! look at the version to decide which commands they may use, so we report the Redis
//! version whose behaviour Tessera implements, not Tessera's own version.

use crate::command::{err, Ctx, LockMode, Registry};
use crate::resp::Reply;
use crate::server::client::{ClientInfo, ReplyMode};
use bytes::Bytes;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The Redis version Tessera reports (HELLO, INFO `redis_version`).
pub const REDIS_VERSION: &str = "7.2.4";

pub fn register(r: &mut Registry) {
    r.add("ping", ping, LockMode::None);
    r.add("echo", echo, LockMode::None);
    r.add("select", select, LockMode::None);
    r.add("quit", quit, LockMode::None);
    r.add("hello", hello, LockMode::None);
    r.add("auth", auth, LockMode::None);
    r.add("reset", reset, LockMode::None);
    r.add("client|id", client_id, LockMode::None);
    r.add("client|setname", client_setname, LockMode::None);
    r.add("client|getname", client_getname, LockMode::None);
    r.add("client|list", client_list, LockMode::None);
    r.add("client|info", client_info, LockMode::None);
    r.add("client|kill", client_kill, LockMode::None);
    r.add("client|pause", client_pause, LockMode::None);
    r.add("client|unpause", client_unpause, LockMode::None);
    r.add("client|reply", client_reply, LockMode::None);
    r.add("client|no-evict", client_no_evict, LockMode::None);
    r.add("client|no-touch", client_no_touch, LockMode::None);
    r.add("client|setinfo", client_setinfo, LockMode::None);
    r.add("client|unblock", client_unblock, LockMode::None);
    r.add("client|help", client_help, LockMode::None);
}

fn ping(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 2 {
        return err::wrong_args("ping");
    }
    let i = &ctx.client.info;
    let subscribed = i.sub_channels.load(Ordering::Relaxed)
        + i.sub_patterns.load(Ordering::Relaxed)
        + i.sub_shard_channels.load(Ordering::Relaxed)
        > 0;
    if subscribed && ctx.client.proto == 2 {
        let msg = args.get(1).cloned().unwrap_or_default();
        return Reply::Array(vec![Reply::bulk("pong"), Reply::Bulk(msg)]);
    }
    match args.len() {
        1 => Reply::status("PONG"),
        _ => Reply::Bulk(args[1].clone()),
    }
}

fn echo(_ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Bulk(args[1].clone())
}

fn select(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match super::parse_db(ctx.srv, &args[1]) {
        Ok(db) => {
            ctx.client.set_db(db);
            Reply::OK
        }
        Err(e) => e,
    }
}

fn quit(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    ctx.client.close_after_reply = true;
    Reply::OK
}

/// Checks credentials for the default user (the only user until ACLs exist).
/// `Ok` on success, else the WRONGPASS error.
fn check_credentials(ctx: &Ctx, user: &[u8], pass: &[u8]) -> Result<(), Reply> {
    let required = ctx.srv.config.get("requirepass");
    let ok = user == b"default" && (required.is_empty() || required.as_bytes() == pass);
    if ok {
        Ok(())
    } else {
        Err(Reply::err(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ))
    }
}

fn auth(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 3 {
        return err::syntax();
    }
    let (user, pass): (&[u8], &[u8]) = if args.len() == 2 {
        if ctx.srv.config.get("requirepass").is_empty() {
            return Reply::err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        }
        (b"default", &args[1])
    } else {
        (&args[1], &args[2])
    };
    match check_credentials(ctx, user, pass) {
        Ok(()) => {
            ctx.client.authenticated = true;
            Reply::OK
        }
        Err(e) => e,
    }
}

/// A client name (or SETINFO value) may only hold printable non-space ASCII ('!'..='~').
fn valid_attr(v: &[u8]) -> bool {
    v.iter().all(|&c| (b'!'..=b'~').contains(&c))
}

fn set_name(ctx: &mut Ctx, name: &[u8]) -> Result<(), Reply> {
    if !valid_attr(name) {
        return Err(Reply::err(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    *ctx.client.info.name.lock() = if name.is_empty() {
        None
    } else {
        Some(String::from_utf8_lossy(name).into_owned())
    };
    Ok(())
}

fn hello(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut proto = ctx.client.proto;
    let mut i = 1;
    if args.len() >= 2 {
        let v = match crate::util::parse_i64(&args[1]) {
            Some(v) => v,
            None => {
                return Reply::err("ERR Protocol version is not an integer or out of range");
            }
        };
        if !(2..=3).contains(&v) {
            return Reply::err("NOPROTO unsupported protocol version");
        }
        proto = v as u8;
        i = 2;
    }
    let mut creds: Option<(Bytes, Bytes)> = None;
    let mut name: Option<Bytes> = None;
    while i < args.len() {
        let more = args.len() - i - 1;
        if args[i].eq_ignore_ascii_case(b"auth") && more >= 2 {
            creds = Some((args[i + 1].clone(), args[i + 2].clone()));
            i += 3;
        } else if args[i].eq_ignore_ascii_case(b"setname") && more >= 1 {
            name = Some(args[i + 1].clone());
            i += 2;
        } else {
            return Reply::Error(
                format!(
                    "ERR Syntax error in HELLO option '{}'",
                    String::from_utf8_lossy(&args[i])
                )
                .into(),
            );
        }
    }
    if !ctx.client.authenticated && creds.is_none() {
        return Reply::err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    if let Some((u, p)) = &creds {
        if let Err(e) = check_credentials(ctx, u, p) {
            return e;
        }
        ctx.client.authenticated = true;
    }
    if let Some(n) = &name {
        if !valid_attr(n) {
            return Reply::err(
                "ERR Client names cannot contain spaces, newlines or special characters.",
            );
        }
        let _ = set_name(ctx, n);
    }
    ctx.client.proto = proto;
    ctx.client.info.proto.store(proto, Ordering::Relaxed);
    Reply::Map(vec![
        (Reply::bulk("server"), Reply::bulk("redis")),
        (Reply::bulk("version"), Reply::bulk(REDIS_VERSION)),
        (Reply::bulk("proto"), Reply::Int(proto as i64)),
        (Reply::bulk("id"), Reply::Int(ctx.client.id() as i64)),
        (Reply::bulk("mode"), Reply::bulk("standalone")),
        (Reply::bulk("role"), Reply::bulk("master")),
        (Reply::bulk("modules"), Reply::Array(vec![])),
    ])
}

fn reset(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let srv = ctx.srv;
    let info = ctx.client.info.clone();
    // Discard MULTI, forget WATCHes.
    ctx.client.multi = None;
    ctx.client.multi_error = false;
    info.multi.store(-1, Ordering::Relaxed);
    super::transaction::unwatch_all(ctx);
    // Pub/sub subscriptions and MONITOR end as on disconnect.
    crate::commands::on_disconnect(srv, &info);
    info.monitor.store(false, Ordering::Relaxed);
    info.kind_pubsub.store(false, Ordering::Relaxed);
    ctx.client.set_db(0);
    ctx.client.proto = 2;
    info.proto.store(2, Ordering::Relaxed);
    *info.name.lock() = None;
    ctx.client.reply_mode = ReplyMode::On;
    ctx.client.no_touch = false;
    info.no_touch.store(false, Ordering::Relaxed);
    info.no_evict.store(false, Ordering::Relaxed);
    ctx.client.authenticated = !srv.config.hot.has_requirepass.load(Ordering::Relaxed);
    Reply::status("RESET")
}

fn client_id(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Int(ctx.client.id() as i64)
}

fn client_setname(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match set_name(ctx, &args[2]) {
        Ok(()) => Reply::OK,
        Err(e) => e,
    }
}

fn client_getname(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    match ctx.client.info.name.lock().as_ref() {
        Some(n) => Reply::bulk(n),
        None => Reply::Nil,
    }
}

/// Redis's client types for CLIENT LIST/KILL TYPE.
fn client_type(info: &ClientInfo) -> &'static str {
    if info.kind_pubsub.load(Ordering::Relaxed)
        || info.sub_channels.load(Ordering::Relaxed)
            + info.sub_patterns.load(Ordering::Relaxed)
            + info.sub_shard_channels.load(Ordering::Relaxed)
            > 0
    {
        "pubsub"
    } else {
        "normal"
    }
}

fn parse_type(b: &[u8]) -> Result<&'static str, Reply> {
    match crate::util::lower(b).as_str() {
        "normal" => Ok("normal"),
        "pubsub" => Ok("pubsub"),
        "master" => Ok("master"),
        "slave" | "replica" => Ok("slave"),
        _ => Err(Reply::Error(
            format!("ERR Unknown client type '{}'", String::from_utf8_lossy(b)).into(),
        )),
    }
}

/// Every connected client. A killed client leaves the registry only when its task ends;
/// Redis frees it at once, so it is already gone for CLIENT LIST and a second KILL.
fn all_clients(ctx: &Ctx) -> Vec<Arc<ClientInfo>> {
    ctx.srv
        .clients
        .lock()
        .values()
        .filter(|c| !c.is_killed())
        .cloned()
        .collect()
}

fn client_list(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut kind: Option<&str> = None;
    let mut ids: Option<Vec<u64>> = None;
    let mut i = 2;
    while i < args.len() {
        if args[i].eq_ignore_ascii_case(b"type") && i + 1 < args.len() {
            match parse_type(&args[i + 1]) {
                Ok(t) => kind = Some(t),
                Err(e) => return e,
            }
            i += 2;
        } else if args[i].eq_ignore_ascii_case(b"id") && i + 1 < args.len() {
            let mut v = Vec::new();
            for a in &args[i + 1..] {
                match crate::util::parse_i64(a) {
                    Some(n) if n > 0 => v.push(n as u64),
                    _ => return Reply::err("ERR Invalid client ID"),
                }
            }
            ids = Some(v);
            i = args.len();
        } else {
            return err::syntax();
        }
    }
    let now = crate::util::now_ms();
    let mut out = String::new();
    for c in all_clients(ctx) {
        if let Some(t) = kind {
            if client_type(&c) != t {
                continue;
            }
        }
        if let Some(ids) = &ids {
            if !ids.contains(&c.id) {
                continue;
            }
        }
        out.push_str(&c.describe(now));
        out.push('\n');
    }
    Reply::Verbatim("txt", Bytes::from(out))
}

fn client_info(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let mut s = ctx.client.info.describe(crate::util::now_ms());
    s.push('\n');
    Reply::Verbatim("txt", Bytes::from(s))
}

#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    addr: Option<String>,
    laddr: Option<String>,
    kind: Option<&'static str>,
    user: Option<String>,
    skipme: bool,
    maxage: Option<u64>,
}

fn client_kill(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let old_form = args.len() == 3;
    let mut f = KillFilter {
        skipme: !old_form,
        ..Default::default()
    };
    if old_form {
        f.addr = Some(String::from_utf8_lossy(&args[2]).into_owned());
    } else {
        if !args.len().is_multiple_of(2) {
            return err::syntax();
        }
        for pair in args[2..].chunks(2) {
            let (opt, v) = (&pair[0], &pair[1]);
            let vs = String::from_utf8_lossy(v).into_owned();
            match crate::util::lower(opt).as_str() {
                "id" => match crate::util::parse_i64(v) {
                    Some(n) if n > 0 => f.id = Some(n as u64),
                    _ => return Reply::err("ERR client-id should be greater than 0"),
                },
                "type" => match parse_type(v) {
                    Ok(t) => f.kind = Some(t),
                    Err(e) => return e,
                },
                "addr" => f.addr = Some(vs),
                "laddr" => f.laddr = Some(vs),
                "user" => {
                    if vs != "default" {
                        return Reply::Error(format!("ERR No such user '{vs}'").into());
                    }
                    f.user = Some(vs)
                }
                "skipme" => match crate::util::lower(v).as_str() {
                    "yes" => f.skipme = true,
                    "no" => f.skipme = false,
                    _ => return err::syntax(),
                },
                "maxage" => match crate::util::parse_i64(v) {
                    Some(n) if n >= 0 => f.maxage = Some(n as u64),
                    _ => return err::not_int(),
                },
                _ => return err::syntax(),
            }
        }
    }
    let now = crate::util::now_ms();
    let me = ctx.client.id();
    let mut killed = 0;
    for c in all_clients(ctx) {
        if f.id.is_some_and(|id| id != c.id)
            || f.addr.as_ref().is_some_and(|a| *a != c.addr)
            || f.laddr.as_ref().is_some_and(|a| *a != c.laddr)
            || f.kind.is_some_and(|t| t != client_type(&c))
            || f.user.as_ref().is_some_and(|u| *u != c.user)
            || f.maxage
                .is_some_and(|m| now.saturating_sub(c.created_ms) / 1000 < m)
        {
            continue;
        }
        if c.id == me {
            if f.skipme {
                continue;
            }
            // Close after this reply is written.
            ctx.client.close_after_reply = true;
        } else {
            c.kill();
        }
        killed += 1;
    }
    if old_form {
        if killed == 0 {
            return Reply::err("ERR No such client");
        }
        return Reply::OK;
    }
    Reply::Int(killed)
}

fn client_pause(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let ms = match crate::util::parse_i64(&args[2]) {
        Some(v) if v >= 0 => v as u64,
        Some(_) => return Reply::err("ERR timeout is negative"),
        None => return Reply::err("ERR timeout is not an integer or out of range"),
    };
    let write_only = match args.get(3) {
        None => false,
        Some(_) if args.len() > 4 => return err::syntax(),
        Some(m) if m.eq_ignore_ascii_case(b"all") => false,
        Some(m) if m.eq_ignore_ascii_case(b"write") => true,
        Some(_) => return Reply::err("ERR CLIENT PAUSE mode must be WRITE or ALL"),
    };
    let until = ctx.now.saturating_add(ms);
    let mut p = ctx.srv.pause.lock();
    let active = p.until > ctx.now;
    // Like Redis, a pause can only get more restrictive while one is in effect.
    if active {
        p.until = p.until.max(until);
        p.write_only = p.write_only && write_only;
    } else {
        p.until = until;
        p.write_only = write_only;
    }
    ctx.srv
        .pause_until
        .store(p.until, std::sync::atomic::Ordering::Release);
    Reply::OK
}

fn client_unpause(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    *ctx.srv.pause.lock() = crate::server::Pause::default();
    ctx.srv
        .pause_until
        .store(0, std::sync::atomic::Ordering::Release);
    Reply::OK
}

fn client_reply(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match crate::util::lower(&args[2]).as_str() {
        "on" => {
            ctx.client.reply_mode = ReplyMode::On;
            Reply::OK
        }
        "off" => {
            ctx.client.reply_mode = ReplyMode::Off;
            Reply::Raw(Bytes::new())
        }
        "skip" => {
            if ctx.client.reply_mode != ReplyMode::Off {
                ctx.client.reply_mode = ReplyMode::SkipNext;
            }
            // The dispatcher sends this command's reply (and arms the skip for the
            // next one): CLIENT REPLY SKIP itself has no reply.
            Reply::Raw(Bytes::new())
        }
        _ => err::syntax(),
    }
}

fn on_off(b: &[u8]) -> Option<bool> {
    match crate::util::lower(b).as_str() {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

fn client_no_evict(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match on_off(&args[2]) {
        Some(v) => {
            ctx.client.info.no_evict.store(v, Ordering::Relaxed);
            Reply::OK
        }
        None => err::syntax(),
    }
}

fn client_no_touch(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match on_off(&args[2]) {
        Some(v) => {
            ctx.client.no_touch = v;
            ctx.client.info.no_touch.store(v, Ordering::Relaxed);
            Reply::OK
        }
        None => err::syntax(),
    }
}

fn client_setinfo(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let attr = String::from_utf8_lossy(&args[2]).into_owned();
    let slot = match attr.to_ascii_lowercase().as_str() {
        "lib-name" => &ctx.client.info.lib_name,
        "lib-ver" => &ctx.client.info.lib_ver,
        _ => return Reply::Error(format!("ERR Unrecognized option '{attr}'").into()),
    };
    if !valid_attr(&args[3]) {
        return Reply::Error(
            format!("ERR {attr} cannot contain spaces, newlines or special characters.").into(),
        );
    }
    *slot.lock() = if args[3].is_empty() {
        None
    } else {
        Some(String::from_utf8_lossy(&args[3]).into_owned())
    };
    Reply::OK
}

fn client_unblock(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let id = match crate::util::parse_i64(&args[2]) {
        Some(v) => v,
        None => return err::not_int(),
    };
    let how = match args.get(3) {
        None => 1,
        Some(m) if m.eq_ignore_ascii_case(b"timeout") => 1,
        Some(m) if m.eq_ignore_ascii_case(b"error") => 2,
        Some(_) => {
            return Reply::err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        }
    };
    if id <= 0 {
        return Reply::Int(0);
    }
    let target = ctx.srv.clients.lock().get(&(id as u64)).cloned();
    match target {
        Some(c) if c.blocked.load(Ordering::Relaxed) => {
            c.unblock.store(how, Ordering::Relaxed);
            c.unblock_notify.notify_one();
            Reply::Int(1)
        }
        _ => Reply::Int(0),
    }
}

/// Formats a HELP reply as Redis's addReplyHelp does.
pub fn help_reply(cmd: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::status(format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ))];
    for l in lines {
        out.push(Reply::status(l.to_string()));
    }
    out.push(Reply::status("HELP"));
    out.push(Reply::status("    Prints this help."));
    Reply::Array(out)
}

fn client_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "CLIENT",
        &[
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "    * MAXAGE <maxage>",
            "      Kill connections older than the specified age.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
        ],
    )
}
