//! Streams: XADD, XRANGE, XREAD, consumer groups and the rest of Redis's t_stream.c.

use crate::command::{arg, err, BlockOn, Ctx, LockMode, Propagate, Registry};
use crate::config::notify;
use crate::resp::Reply;
use crate::store::stream::{
    AddError, AddId, Consumer, Fields, Group, StreamId, StreamValue, Trim, INVALID_ENTRIES_READ,
};
use crate::store::{Sds, Value};
use crate::util::eq_ic;
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    r.add("xadd", xadd, LockMode::Keys);
    r.add("xlen", xlen, LockMode::Keys);
    r.add("xrange", xrange, LockMode::Keys);
    r.add("xrevrange", xrevrange, LockMode::Keys);
    r.add("xdel", xdel, LockMode::Keys);
    r.add("xtrim", xtrim, LockMode::Keys);
    r.add("xsetid", xsetid, LockMode::Keys);
    r.add("xread", xread, LockMode::Keys);
    r.add("xreadgroup", xreadgroup, LockMode::Keys);
    r.add("xack", xack, LockMode::Keys);
    r.add("xpending", xpending, LockMode::Keys);
    r.add("xclaim", xclaim, LockMode::Keys);
    r.add("xautoclaim", xautoclaim, LockMode::Keys);
    r.add("xgroup|create", xgroup, LockMode::Keys);
    r.add("xgroup|setid", xgroup, LockMode::Keys);
    r.add("xgroup|destroy", xgroup, LockMode::Keys);
    r.add("xgroup|createconsumer", xgroup, LockMode::Keys);
    r.add("xgroup|delconsumer", xgroup, LockMode::Keys);
    r.add("xgroup|help", xgroup_help, LockMode::None);
    r.add("xinfo|stream", xinfo, LockMode::Keys);
    r.add("xinfo|groups", xinfo, LockMode::Keys);
    r.add("xinfo|consumers", xinfo, LockMode::Keys);
    r.add("xinfo|help", xinfo_help, LockMode::None);
}

// ---------------------------------------------------------------------------------------
// Parsing and reply helpers

fn invalid_id() -> Reply {
    Reply::err("ERR Invalid stream ID specified as stream command argument")
}

/// Redis's string2ull: digits (leading zeros allowed), fits in u64.
fn parse_ull(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 20 || !b.iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// streamGenericParseIDOrReply: `-`, `+` (unless strict), `<ms>` or `<ms>-<seq>`.
fn parse_id_opt(b: &[u8], missing_seq: u64, strict: bool) -> Option<StreamId> {
    if b.len() > 127 {
        return None;
    }
    if b == b"-" || b == b"+" {
        if strict {
            return None;
        }
        return Some(if b == b"-" {
            StreamId::MIN
        } else {
            StreamId::MAX
        });
    }
    match memchr::memchr(b'-', b) {
        Some(d) => Some(StreamId::new(parse_ull(&b[..d])?, parse_ull(&b[d + 1..])?)),
        None => Some(StreamId::new(parse_ull(b)?, missing_seq)),
    }
}

fn parse_id(b: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id_opt(b, missing_seq, false).ok_or_else(invalid_id)
}

fn parse_strict_id(b: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse_id_opt(b, missing_seq, true).ok_or_else(invalid_id)
}

/// An interval bound: `(` makes it exclusive (streamParseIntervalIDOrReply).
fn parse_interval(b: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if b.len() > 1 && b[0] == b'(' {
        Ok((parse_strict_id(&b[1..], missing_seq)?, true))
    } else {
        Ok((parse_id(b, missing_seq)?, false))
    }
}

fn parse_start(b: &[u8]) -> Result<StreamId, Reply> {
    let (id, ex) = parse_interval(b, 0)?;
    if ex {
        return id
            .incr()
            .ok_or_else(|| Reply::err("ERR invalid start ID for the interval"));
    }
    Ok(id)
}

fn parse_end(b: &[u8]) -> Result<StreamId, Reply> {
    let (id, ex) = parse_interval(b, u64::MAX)?;
    if ex {
        return id
            .decr()
            .ok_or_else(|| Reply::err("ERR invalid end ID for the interval"));
    }
    Ok(id)
}

fn id_bytes(id: StreamId) -> Bytes {
    Bytes::from(id.to_string())
}

fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id_bytes(id))
}

fn entry_reply(id: StreamId, fields: &Fields) -> Reply {
    let mut fv = Vec::with_capacity(fields.len() * 2);
    for (f, v) in fields {
        fv.push(Reply::Bulk(f.to_bytes()));
        fv.push(Reply::Bulk(v.to_bytes()));
    }
    Reply::Array(vec![id_reply(id), Reply::Array(fv)])
}

fn range_reply(
    s: &StreamValue,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> Vec<Reply> {
    let mut out = Vec::new();
    s.range(start, end, rev, |id, f| {
        out.push(entry_reply(id, f));
        count == 0 || out.len() < count
    });
    out
}

fn one_entry(s: &StreamValue, id: StreamId) -> Option<Reply> {
    let mut r = None;
    s.range(id, id, false, |id, f| {
        r = Some(entry_reply(id, f));
        false
    });
    r
}

fn read_stream<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut StreamValue>, Reply> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Stream(s) => Ok(Some(s)),
            _ => Err(err::wrong_type()),
        },
    }
}

fn write_stream<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut StreamValue>, Reply> {
    match ctx.lookup(key) {
        None => Ok(None),
        Some(e) => match &mut e.value {
            Value::Stream(s) => Ok(Some(s)),
            _ => Err(err::wrong_type()),
        },
    }
}

fn nogroup(key: &[u8], group: &[u8]) -> Reply {
    Reply::Error(
        format!(
            "NOGROUP No such key '{}' or consumer group '{}'",
            crate::util::c_str(key),
            crate::util::c_str(group)
        )
        .into(),
    )
}

fn nogroup_for_key(group: &[u8], key: &[u8]) -> Reply {
    Reply::Error(
        format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            crate::util::c_str(group),
            crate::util::c_str(key)
        )
        .into(),
    )
}

fn subcommand_syntax(args: &[Bytes]) -> Reply {
    Reply::Error(
        format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
            String::from_utf8_lossy(&args[1]),
            String::from_utf8_lossy(&args[0]).to_ascii_uppercase()
        )
        .into(),
    )
}

fn node_limits(ctx: &Ctx) -> (u64, u64) {
    let h = &ctx.srv.config.hot;
    (
        h.stream_node_max_entries.load(Ordering::Relaxed),
        h.stream_node_max_bytes.load(Ordering::Relaxed),
    )
}

fn b(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

// ---------------------------------------------------------------------------------------
// XADD / XTRIM

#[derive(Default)]
struct AddTrimArgs {
    trim: Option<Trim>,
    approx: bool,
    limit: u64,
    nomkstream: bool,
    id: Option<AddId>,
}

/// streamParseAddOrTrimArgsOrReply. Returns the parsed options and the index where the ID
/// is (XADD) or where parsing stopped.
fn parse_add_trim(ctx: &Ctx, args: &[Bytes], xadd: bool) -> Result<(AddTrimArgs, usize), Reply> {
    let mut a = AddTrimArgs::default();
    let mut limit: Option<i64> = None;
    let mut i = 2;
    let argc = args.len();
    while i < argc {
        let more = argc - 1 - i;
        let opt = &args[i][..];
        if xadd && opt == b"*" {
            a.id = Some(AddId::Auto);
            break;
        } else if (eq_ic(opt, "maxlen") || eq_ic(opt, "minid")) && more > 0 {
            if a.trim.is_some() {
                return Err(Reply::err(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            a.approx = false;
            let next = &args[i + 1][..];
            if more >= 2 && next == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let v = &args[i + 1];
            if eq_ic(opt, "maxlen") {
                let n = arg::int(v)?;
                if n < 0 {
                    return Err(Reply::err("ERR The MAXLEN argument must be >= 0."));
                }
                a.trim = Some(Trim::MaxLen(n as u64));
            } else {
                a.trim = Some(Trim::MinId(parse_strict_id(v, 0)?));
            }
            i += 1;
        } else if more >= 1 && eq_ic(opt, "limit") {
            let n = arg::int(&args[i + 1])?;
            if n < 0 {
                return Err(Reply::err("ERR The LIMIT argument must be >= 0."));
            }
            limit = Some(n);
            i += 1;
        } else if xadd && eq_ic(opt, "nomkstream") {
            a.nomkstream = true;
        } else if xadd {
            let id = if opt.len() > 2 && opt.ends_with(b"-*") {
                AddId::AutoSeq(parse_ull(&opt[..opt.len() - 2]).ok_or_else(invalid_id)?)
            } else {
                AddId::Explicit(parse_strict_id(opt, 0)?)
            };
            a.id = Some(id);
            break;
        } else {
            return Err(err::syntax());
        }
        i += 1;
    }
    if limit.unwrap_or(0) > 0 && a.trim.is_none() {
        return Err(Reply::err(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && a.trim.is_none() {
        return Err(Reply::err(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    match limit {
        Some(l) => {
            if !a.approx {
                return Err(Reply::err(
                    "ERR syntax error, LIMIT cannot be used without the special ~ option",
                ));
            }
            a.limit = l as u64;
        }
        None => {
            if a.approx {
                let (max_entries, _) = node_limits(ctx);
                let l = 100u64.saturating_mul(max_entries);
                a.limit = if l == 0 || l > 10000 { 10000 } else { l };
            }
        }
    }
    Ok((a, i))
}

/// The trimming part of a rewritten XADD/XTRIM: `MAXLEN = <len>` or `MINID = <first>`.
fn trim_effect(s: &StreamValue, trim: Trim, approx: bool) -> Vec<Bytes> {
    match trim {
        Trim::MaxLen(n) => vec![
            b("MAXLEN"),
            b("="),
            Bytes::from(if approx { s.length } else { n }.to_string()),
        ],
        Trim::MinId(id) => {
            let v = if approx {
                s.first_entry_id().unwrap_or(s.last_id)
            } else {
                id
            };
            vec![b("MINID"), b("="), id_bytes(v)]
        }
    }
}

fn xadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let (a, idpos) = tri!(parse_add_trim(ctx, args, true));
    let field_pos = idpos + 1;
    if field_pos > args.len() || (args.len() - field_pos) < 2 || (args.len() - field_pos) % 2 == 1 {
        return err::wrong_args("xadd");
    }
    let given_full = matches!(a.id, Some(AddId::Explicit(_)));
    if let Some(AddId::Explicit(id)) = a.id {
        if id.is_zero() {
            return Reply::err("ERR The ID specified in XADD must be greater than 0-0");
        }
    }
    match write_stream(ctx, key) {
        Err(e) => return e,
        Ok(Some(_)) => {}
        Ok(None) => {
            if a.nomkstream {
                ctx.propagate = Propagate::Nothing;
                return Reply::Nil;
            }
            ctx.set_value(key, Value::Stream(Box::default()), 0, false);
        }
    }
    let (max_entries, max_bytes) = node_limits(ctx);
    let now = ctx.now;
    let fv: Vec<&[u8]> = args[field_pos..].iter().map(|x| &x[..]).collect();
    let s = write_stream(ctx, key).unwrap().unwrap();
    if s.last_id == StreamId::MAX {
        return Reply::err(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        );
    }
    let id =
        match s.add(
            a.id.unwrap_or(AddId::Auto),
            &fv,
            now,
            max_entries,
            max_bytes,
        ) {
            Ok(id) => id,
            Err(AddError::NotGreater) => return Reply::err(
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            ),
        };
    let mut trimmed = 0;
    let mut trim_args = Vec::new();
    if let Some(t) = a.trim {
        trimmed = s.trim(t, a.approx, a.limit);
        trim_args = trim_effect(s, t, a.approx);
    }
    ctx.modified(key);
    ctx.notify(notify::STREAM, "xadd", key);
    if trimmed > 0 {
        ctx.notify(notify::STREAM, "xtrim", key);
    }
    if !given_full || a.approx {
        // Replay with the generated ID and the exact effect of an approximate trim.
        let mut cmd = vec![b("XADD"), key.clone()];
        if a.nomkstream {
            cmd.push(b("NOMKSTREAM"));
        }
        cmd.extend(trim_args);
        cmd.push(id_bytes(id));
        cmd.extend(args[field_pos..].iter().cloned());
        ctx.rewrite_as(vec![cmd]);
    }
    ctx.signal_ready(key);
    id_reply(id)
}

fn xtrim(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let (a, _) = tri!(parse_add_trim(ctx, args, false));
    let s = match tri!(write_stream(ctx, key)) {
        None => return Reply::Int(0),
        Some(s) => s,
    };
    let t = a.trim.unwrap();
    let deleted = s.trim(t, a.approx, a.limit);
    if deleted > 0 {
        let eff = trim_effect(s, t, a.approx);
        if a.approx {
            let mut cmd = vec![b("XTRIM"), key.clone()];
            cmd.extend(eff);
            ctx.rewrite_as(vec![cmd]);
        }
        ctx.notify(notify::STREAM, "xtrim", key);
        ctx.modified(key);
        ctx.dirty += deleted - 1;
    }
    Reply::Int(deleted as i64)
}

// ---------------------------------------------------------------------------------------
// XLEN / XRANGE / XDEL / XSETID

fn xlen(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match tri!(read_stream(ctx, &args[1])) {
        None => Reply::Int(0),
        Some(s) => Reply::Int(s.length as i64),
    }
}

fn xrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    xrange_generic(ctx, args, false)
}

fn xrevrange(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    xrange_generic(ctx, args, true)
}

fn xrange_generic(ctx: &mut Ctx, args: &[Bytes], rev: bool) -> Reply {
    let (sa, ea) = if rev {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
    let start = tri!(parse_start(sa));
    let end = tri!(parse_end(ea));
    let mut count: i64 = -1;
    let mut j = 4;
    while j < args.len() {
        if eq_ic(&args[j], "count") && j + 1 < args.len() {
            count = tri!(arg::int(&args[j + 1])).max(0);
            j += 2;
        } else {
            return err::syntax();
        }
    }
    let s = match tri!(read_stream(ctx, &args[1])) {
        None => return Reply::Array(vec![]),
        Some(s) => s,
    };
    if count == 0 {
        return Reply::NilArray;
    }
    let count = if count < 0 { 0 } else { count as usize };
    Reply::Array(range_reply(s, start, end, count, rev))
}

fn xdel(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    if tri!(write_stream(ctx, key)).is_none() {
        return Reply::Int(0);
    }
    let mut ids = Vec::with_capacity(args.len() - 2);
    for a in &args[2..] {
        ids.push(tri!(parse_strict_id(a, 0)));
    }
    let s = write_stream(ctx, key).unwrap().unwrap();
    let deleted = s.xdel(&ids);
    if deleted > 0 {
        ctx.modified(key);
        ctx.dirty += deleted - 1;
        ctx.notify(notify::STREAM, "xdel", key);
    }
    Reply::Int(deleted as i64)
}

fn xsetid(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let id = tri!(parse_strict_id(&args[2], 0));
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if eq_ic(&args[i], "entriesadded") && more > 0 {
            entries_added = tri!(arg::int(&args[i + 1]));
            if entries_added < 0 {
                return Reply::err("ERR entries_added must be positive");
            }
            i += 2;
        } else if eq_ic(&args[i], "maxdeletedid") && more > 0 {
            max_xdel = tri!(parse_strict_id(&args[i + 1], 0));
            if id < max_xdel {
                return Reply::err(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                );
            }
            i += 2;
        } else {
            return err::syntax();
        }
    }
    let s = match tri!(write_stream(ctx, key)) {
        None => return err::no_such_key(),
        Some(s) => s,
    };
    if id < s.max_deleted_id {
        return Reply::err(
            "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id",
        );
    }
    if s.length > 0 {
        let maxid = s.last_entry_id().unwrap_or_default();
        if id < maxid {
            return Reply::err(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            );
        }
        if entries_added != -1 && s.length > entries_added as u64 {
            return Reply::err(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            );
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_id = max_xdel;
    }
    ctx.modified(key);
    ctx.notify(notify::STREAM, "xsetid", key);
    Reply::OK
}

// ---------------------------------------------------------------------------------------
// XREAD / XREADGROUP

/// Marks the BLOCK argument of a command run again to serve a blocked client:
/// `\0<deadline>` carries the absolute deadline (0 = none), so a client that blocks
/// again keeps its original timeout. (Every reader blocked on a stream is tried on each
/// write: `blocking::serve_ready`.)
const RERUN_MARK: u8 = 0;

fn xread(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    xread_generic(ctx, args, false)
}

fn xreadgroup(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    xread_generic(ctx, args, true)
}

enum ReadId {
    Id(StreamId),
    /// `>`: entries never delivered to the group.
    New,
    /// `+`: the last entry (Redis 7.4).
    Last,
}

fn xread_generic(ctx: &mut Ctx, args: &[Bytes], group_mode: bool) -> Reply {
    let name = if group_mode { "xreadgroup" } else { "xread" };
    let mut block: Option<Option<u64>> = None; // Some(deadline)
    let mut block_idx = 0;
    let mut count: usize = 0;
    let mut streams_arg = 0;
    let mut nstreams = 0;
    let mut noack = false;
    let mut group: Option<&Bytes> = None;
    let mut consumer: Option<&Bytes> = None;
    let argc = args.len();
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        let o = &args[i][..];
        if eq_ic(o, "block") && more > 0 {
            i += 1;
            let v = &args[i];
            block_idx = i;
            if v.first() == Some(&RERUN_MARK) {
                let d = crate::util::parse_i64(&v[1..]).unwrap_or(0).max(0) as u64;
                block = Some(if d == 0 { None } else { Some(d) });
            } else {
                let ms = match crate::util::parse_i64(v) {
                    Some(x) => x,
                    None => return Reply::err("ERR timeout is not an integer or out of range"),
                };
                if ms < 0 {
                    return Reply::err("ERR timeout is negative");
                }
                if ms > 0 && ms > i64::MAX - ctx.now as i64 {
                    return Reply::err("ERR timeout is out of range");
                }
                block = Some(if ms == 0 {
                    None
                } else {
                    Some(ctx.now + ms as u64)
                });
            }
        } else if eq_ic(o, "count") && more > 0 {
            i += 1;
            count = tri!(arg::int(&args[i])).max(0) as usize;
        } else if eq_ic(o, "streams") && more > 0 {
            streams_arg = i + 1;
            let n = argc - streams_arg;
            if !n.is_multiple_of(2) {
                let sym = if group_mode { '>' } else { '$' };
                return Reply::Error(format!(
                    "ERR Unbalanced '{name}' list of streams: for each stream key an ID or '{sym}' must be specified."
                ).into());
            }
            nstreams = n / 2;
            break;
        } else if eq_ic(o, "group") && more >= 2 {
            if !group_mode {
                return Reply::err(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                );
            }
            group = Some(&args[i + 1]);
            consumer = Some(&args[i + 2]);
            i += 2;
        } else if eq_ic(o, "noack") {
            if !group_mode {
                return Reply::err(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                );
            }
            noack = true;
        } else {
            return err::syntax();
        }
        i += 1;
    }
    if streams_arg == 0 {
        return err::syntax();
    }
    if group_mode && group.is_none() {
        return Reply::err("ERR Missing GROUP option for XREADGROUP");
    }
    let keys = &args[streams_arg..streams_arg + nstreams];
    let id_args = &args[streams_arg + nstreams..];

    // Resolve the IDs (and check the keys and groups).
    let mut ids: Vec<ReadId> = Vec::with_capacity(nstreams);
    for (k, ida) in keys.iter().zip(id_args) {
        // A re-run (a blocked read being served) checks every key's type too: Redis 7.2
        // re-executes the command, so another key that became a string is -WRONGTYPE.
        // (The key that woke it holds a stream: `BlockOn::serves_on`.)
        let (exists, last_id, has_group) = match read_stream(ctx, k) {
            Err(e) => return e,
            Ok(None) => (false, StreamId::MIN, false),
            Ok(Some(s)) => (
                true,
                s.last_id,
                group.is_some_and(|g| s.groups.contains_key(&g[..])),
            ),
        };
        if let Some(g) = group {
            if !exists || !has_group {
                return Reply::Error(
                    format!(
                        "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                        crate::util::c_str(k),
                        crate::util::c_str(g)
                    )
                    .into(),
                );
            }
        }
        let id = if &ida[..] == b"$" {
            if group_mode {
                return Reply::err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
            }
            ReadId::Id(last_id)
        } else if &ida[..] == b"+" && !group_mode {
            ReadId::Last
        } else if &ida[..] == b">" {
            if !group_mode {
                return Reply::err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
            }
            ReadId::New
        } else {
            ReadId::Id(tri!(parse_strict_id(ida, 0)))
        };
        ids.push(id);
    }

    // Serve synchronously what can be served.
    let mut served: Vec<(Bytes, Vec<Reply>)> = Vec::new();
    let mut effects: Vec<Vec<Bytes>> = Vec::new();
    let now = ctx.now;
    let mut dirty = 0u64;
    for (idx, k) in keys.iter().enumerate() {
        let s = match read_stream(ctx, k) {
            Ok(Some(s)) => s,
            _ => continue,
        };
        if let (Some(g), Some(cname)) = (group, consumer) {
            let (entries, created, eff) = serve_group(s, k, g, cname, &ids[idx], count, noack, now);
            if created {
                effects.push(createconsumer_effect(k, g, cname));
                ctx.notify(notify::STREAM, "xgroup-createconsumer", k);
                dirty += 1;
            }
            effects.extend(eff);
            if let Some(entries) = entries {
                served.push((k.clone(), entries));
                dirty += 1;
            }
        } else {
            let gt = match ids[idx] {
                ReadId::Id(id) => id,
                ReadId::Last => {
                    // The last entry, if any (Redis 7.4's `+`).
                    match s.last_entry_id() {
                        Some(last) => {
                            let e = one_entry(s, last).into_iter().collect();
                            served.push((k.clone(), e));
                            continue;
                        }
                        None => {
                            ids[idx] = ReadId::Id(s.last_id);
                            continue;
                        }
                    }
                }
                ReadId::New => unreachable!(),
            };
            if s.length == 0 {
                continue;
            }
            let maxid = s.last_entry_id().unwrap_or_default();
            if maxid > gt {
                let start = gt.incr().unwrap_or(StreamId::MAX);
                served.push((
                    k.clone(),
                    range_reply(s, start, StreamId::MAX, count, false),
                ));
            }
        }
    }
    if group_mode {
        ctx.dirty += dirty;
        ctx.rewrite_as(effects);
    }
    if !served.is_empty() {
        return if ctx.resp3() {
            Reply::Map(
                served
                    .into_iter()
                    .map(|(k, e)| (Reply::Bulk(k), Reply::Array(e)))
                    .collect(),
            )
        } else {
            Reply::Array(
                served
                    .into_iter()
                    .map(|(k, e)| Reply::Array(vec![Reply::Bulk(k), Reply::Array(e)]))
                    .collect(),
            )
        };
    }
    let Some(deadline) = block else {
        return Reply::NilArray;
    };
    if ctx.in_exec {
        return Reply::NilArray;
    }
    // Block: re-run later with `$`/`+` resolved to the IDs of now and the deadline kept.
    let mut rerun_args = args.to_vec();
    for (idx, id) in ids.iter().enumerate() {
        let a = &id_args[idx][..];
        if a == b"$" || a == b"+" {
            if let ReadId::Id(id) = id {
                rerun_args[streams_arg + nstreams + idx] = id_bytes(*id);
            }
        }
    }
    let mut mark = vec![RERUN_MARK];
    mark.extend_from_slice(deadline.unwrap_or(0).to_string().as_bytes());
    rerun_args[block_idx] = Bytes::from(mark);
    ctx.block = Some(BlockOn {
        keys: keys.to_vec(),
        deadline,
        rerun_args: Some(rerun_args),
        serves_on: "stream",
        unblock_on_nokey: group_mode,
    });
    Reply::NilArray
}

/// Serves one stream of an XREADGROUP. Returns the entries (None = nothing to serve for
/// `>`), whether the consumer was created, and the effects to propagate.
#[allow(clippy::too_many_arguments)]
fn serve_group(
    s: &mut StreamValue,
    key: &Bytes,
    gname: &Bytes,
    cname: &Bytes,
    id: &ReadId,
    count: usize,
    noack: bool,
    now: u64,
) -> (Option<Vec<Reply>>, bool, Vec<Vec<Bytes>>) {
    let mut effects = Vec::new();
    let g = s.groups.get_mut(&gname[..]).unwrap();
    let mut created = false;
    let c = g.consumers.entry(Sds::new(cname)).or_insert_with(|| {
        created = true;
        Consumer::new(now)
    });
    c.seen_time = now;
    match id {
        ReadId::Id(start) => {
            // History: this consumer's pending entries after `start`.
            let start = start.incr().unwrap_or(StreamId::MAX);
            let pel: Vec<StreamId> = c
                .pel
                .range(start..)
                .take(if count == 0 { usize::MAX } else { count })
                .copied()
                .collect();
            let mut out = Vec::with_capacity(pel.len());
            for pid in pel {
                match one_entry(s, pid) {
                    Some(r) => {
                        out.push(r);
                        let g = s.groups.get_mut(&gname[..]).unwrap();
                        if let Some(n) = g.pel.get_mut(&pid) {
                            n.delivery_time = now;
                            n.delivery_count += 1;
                        }
                    }
                    None => out.push(Reply::Array(vec![id_reply(pid), Reply::NilArray])),
                }
            }
            (Some(out), created, effects)
        }
        _ => {
            let last = g.last_id;
            if s.length == 0 || s.last_entry_id().unwrap_or_default() <= last {
                return (None, created, effects);
            }
            let start = last.incr().unwrap_or(StreamId::MAX);
            let mut delivered: Vec<StreamId> = Vec::new();
            let mut out = Vec::new();
            s.range(start, StreamId::MAX, false, |id, f| {
                out.push(entry_reply(id, f));
                delivered.push(id);
                count == 0 || out.len() < count
            });
            for &eid in &delivered {
                s.advance_group(gname, eid);
                if !noack {
                    let g = s.groups.get_mut(&gname[..]).unwrap();
                    g.assign(eid, cname, now);
                    if let Some(c) = g.consumers.get_mut(&cname[..]) {
                        c.active_time = now as i64;
                    }
                    let n = &g.pel[&eid];
                    effects.push(xclaim_effect(
                        key,
                        gname,
                        g,
                        eid,
                        n.delivery_time,
                        n.delivery_count,
                        cname,
                    ));
                }
            }
            if !delivered.is_empty() {
                let g = &s.groups[&gname[..]];
                effects.push(setid_effect(key, gname, g));
            }
            (Some(out), created, effects)
        }
    }
}

/// `XCLAIM <key> <group> <consumer> 0 <id> TIME <ms> RETRYCOUNT <n> FORCE JUSTID LASTID <id>`
/// (streamPropagateXCLAIM).
fn xclaim_effect(
    key: &Bytes,
    gname: &Bytes,
    g: &Group,
    id: StreamId,
    time: u64,
    count: u64,
    consumer: &[u8],
) -> Vec<Bytes> {
    vec![
        b("XCLAIM"),
        key.clone(),
        gname.clone(),
        Bytes::copy_from_slice(consumer),
        b("0"),
        id_bytes(id),
        b("TIME"),
        Bytes::from(time.to_string()),
        b("RETRYCOUNT"),
        Bytes::from(count.to_string()),
        b("FORCE"),
        b("JUSTID"),
        b("LASTID"),
        id_bytes(g.last_id),
    ]
}

/// `XGROUP SETID <key> <group> <id> ENTRIESREAD <n>` (streamPropagateGroupID).
fn setid_effect(key: &Bytes, gname: &Bytes, g: &Group) -> Vec<Bytes> {
    vec![
        b("XGROUP"),
        b("SETID"),
        key.clone(),
        gname.clone(),
        id_bytes(g.last_id),
        b("ENTRIESREAD"),
        Bytes::from(g.entries_read.to_string()),
    ]
}

/// `XGROUP CREATECONSUMER key group consumer`, propagated when a read or claim created
/// the consumer.
fn createconsumer_effect(key: &Bytes, gname: &Bytes, cname: &Bytes) -> Vec<Bytes> {
    vec![
        b("XGROUP"),
        b("CREATECONSUMER"),
        key.clone(),
        gname.clone(),
        cname.clone(),
    ]
}

/// XCLAIM/XAUTOCLAIM created the consumer: notify, count one change, and propagate the
/// creation before the claim's own effects.
fn consumer_created(
    ctx: &mut Ctx,
    key: &Bytes,
    gname: &Bytes,
    cname: &Bytes,
    effects: &mut Vec<Vec<Bytes>>,
    dirty: &mut u64,
) {
    ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
    *dirty += 1;
    effects.insert(0, createconsumer_effect(key, gname, cname));
}

// ---------------------------------------------------------------------------------------
// XACK / XPENDING / XCLAIM / XAUTOCLAIM

fn xack(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let s = match tri!(read_stream(ctx, &args[1])) {
        None => return Reply::Int(0),
        Some(s) => s,
    };
    let Some(g) = s.groups.get_mut(&args[2][..]) else {
        return Reply::Int(0);
    };
    let mut ids = Vec::with_capacity(args.len() - 3);
    for a in &args[3..] {
        ids.push(tri!(parse_strict_id(a, 0)));
    }
    let mut acked = 0;
    for id in ids {
        if g.remove_nack(id).is_some() {
            acked += 1;
        }
    }
    ctx.dirty += acked as u64;
    Reply::Int(acked)
}

fn xpending(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let argc = args.len();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return err::syntax();
    }
    let mut start = StreamId::MIN;
    let mut end = StreamId::MAX;
    let mut count: i64 = 0;
    let mut minidle: i64 = 0;
    let mut cname: Option<&Bytes> = None;
    if argc >= 6 {
        let mut si = 3;
        if eq_ic(&args[3], "idle") {
            minidle = tri!(arg::int(&args[4]));
            if argc < 8 {
                return err::syntax();
            }
            si += 2;
        }
        count = tri!(arg::int(&args[si + 2])).max(0);
        start = tri!(parse_start(&args[si]));
        end = tri!(parse_end(&args[si + 1]));
        if si + 3 < argc {
            cname = Some(&args[si + 3]);
        }
    }
    let now = ctx.now;
    let s = match tri!(read_stream(ctx, &args[1])) {
        None => return nogroup(&args[1], &args[2]),
        Some(s) => s,
    };
    let Some(g) = s.groups.get(&args[2][..]) else {
        return nogroup(&args[1], &args[2]);
    };
    if justinfo {
        if g.pel.is_empty() {
            return Reply::Array(vec![Reply::Int(0), Reply::Nil, Reply::Nil, Reply::NilArray]);
        }
        let first = *g.pel.keys().next().unwrap();
        let last = *g.pel.keys().next_back().unwrap();
        let cons: Vec<Reply> = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(n, c)| {
                Reply::Array(vec![
                    Reply::bulk(n),
                    Reply::Bulk(Bytes::from(c.pel.len().to_string())),
                ])
            })
            .collect();
        return Reply::Array(vec![
            Reply::Int(g.pel.len() as i64),
            id_reply(first),
            id_reply(last),
            Reply::Array(cons),
        ]);
    }
    let pel: Box<dyn Iterator<Item = &StreamId>> = match cname {
        Some(c) => match g.consumers.get(&c[..]) {
            None => return Reply::Array(vec![]),
            Some(_) if start > end => Box::new(std::iter::empty()),
            Some(c) => Box::new(c.pel.range(start..=end)),
        },
        None if start > end => Box::new(std::iter::empty()),
        None => Box::new(g.pel.range(start..=end).map(|(k, _)| k)),
    };
    let mut out = Vec::new();
    for &id in pel {
        if count == 0 {
            break;
        }
        let n = &g.pel[&id];
        let idle = now as i64 - n.delivery_time as i64;
        if minidle != 0 && idle < minidle {
            continue;
        }
        count -= 1;
        out.push(Reply::Array(vec![
            id_reply(id),
            Reply::bulk(&n.consumer),
            Reply::Int(idle.max(0)),
            Reply::Int(n.delivery_count as i64),
        ]));
    }
    Reply::Array(out)
}

fn xclaim(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let gname = &args[2];
    let cname = &args[3];
    match tri!(read_stream(ctx, key)) {
        Some(s) if s.groups.contains_key(&gname[..]) => {}
        _ => return nogroup(key, gname),
    }
    let minidle = match crate::util::parse_i64(&args[4]) {
        Some(v) => v.max(0),
        None => return Reply::err("ERR Invalid min-idle-time argument for XCLAIM"),
    };
    let mut ids = Vec::new();
    let mut j = 5;
    while j < args.len() {
        match parse_id_opt(&args[j], 0, true) {
            Some(id) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let now = ctx.now as i64;
    let mut force = false;
    let mut justid = false;
    let mut deliverytime: i64 = -1;
    let mut retrycount: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j][..];
        if eq_ic(opt, "force") {
            force = true;
        } else if eq_ic(opt, "justid") {
            justid = true;
        } else if eq_ic(opt, "idle") && more > 0 {
            j += 1;
            match crate::util::parse_i64(&args[j]) {
                Some(v) => deliverytime = now - v,
                None => return Reply::err("ERR Invalid IDLE option argument for XCLAIM"),
            }
        } else if eq_ic(opt, "time") && more > 0 {
            j += 1;
            match crate::util::parse_i64(&args[j]) {
                Some(v) => deliverytime = v,
                None => return Reply::err("ERR Invalid TIME option argument for XCLAIM"),
            }
        } else if eq_ic(opt, "retrycount") && more > 0 {
            j += 1;
            match crate::util::parse_i64(&args[j]) {
                Some(v) => retrycount = v,
                None => return Reply::err("ERR Invalid RETRYCOUNT option argument for XCLAIM"),
            }
        } else if eq_ic(opt, "lastid") && more > 0 {
            j += 1;
            last_id = tri!(parse_strict_id(&args[j], 0));
        } else {
            return Reply::Error(
                format!(
                    "ERR Unrecognized XCLAIM option '{}'",
                    String::from_utf8_lossy(opt)
                )
                .into(),
            );
        }
        j += 1;
    }
    let deliverytime = if deliverytime < 0 || deliverytime > now {
        now
    } else {
        deliverytime
    } as u64;
    let now = now as u64;
    let s = read_stream(ctx, key).unwrap().unwrap();
    let mut effects = Vec::new();
    let mut dirty = 0u64;
    let mut propagate_last_id = false;
    {
        let g = s.groups.get_mut(&gname[..]).unwrap();
        if last_id > g.last_id {
            g.last_id = last_id;
            propagate_last_id = true;
        }
    }
    let created = {
        let g = s.groups.get_mut(&gname[..]).unwrap();
        let mut created = false;
        let c = g.consumers.entry(Sds::new(cname)).or_insert_with(|| {
            created = true;
            Consumer::new(now)
        });
        c.seen_time = now;
        created
    };
    let mut out = Vec::new();
    for id in ids {
        let exists = s.exists(id);
        let g = s.groups.get_mut(&gname[..]).unwrap();
        let has_nack = g.pel.contains_key(&id);
        if !exists {
            if has_nack {
                let n = &g.pel[&id];
                effects.push(xclaim_effect(
                    key,
                    gname,
                    g,
                    id,
                    n.delivery_time,
                    n.delivery_count,
                    &n.consumer.clone(),
                ));
                propagate_last_id = false;
                dirty += 1;
                g.remove_nack(id);
            }
            continue;
        }
        let mut fresh = false;
        if force && !has_nack {
            fresh = true;
        } else if !has_nack {
            continue;
        }
        if !fresh && minidle > 0 {
            let idle = now as i64 - g.pel[&id].delivery_time as i64;
            if idle < minidle {
                continue;
            }
        }
        let prev_count = if fresh { 0 } else { g.pel[&id].delivery_count };
        g.assign(id, cname, deliverytime);
        let n = g.pel.get_mut(&id).unwrap();
        n.delivery_count = if retrycount >= 0 {
            retrycount as u64
        } else if !justid {
            prev_count + 1
        } else {
            prev_count
        };
        let (dt, dc) = (n.delivery_time, n.delivery_count);
        if let Some(c) = g.consumers.get_mut(&cname[..]) {
            c.active_time = now as i64;
        }
        effects.push(xclaim_effect(key, gname, g, id, dt, dc, cname));
        propagate_last_id = false;
        dirty += 1;
        if justid {
            out.push(id_reply(id));
        } else {
            out.push(one_entry(s, id).unwrap_or(Reply::Nil));
        }
    }
    if propagate_last_id {
        effects.push(setid_effect(key, gname, &s.groups[&gname[..]]));
        dirty += 1;
    }
    if created {
        consumer_created(ctx, key, gname, cname, &mut effects, &mut dirty);
    }
    ctx.dirty += dirty;
    ctx.rewrite_as(effects);
    Reply::Array(out)
}

fn xautoclaim(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let gname = &args[2];
    let cname = &args[3];
    let minidle = match crate::util::parse_i64(&args[4]) {
        Some(v) => v.max(0),
        None => return Reply::err("ERR Invalid min-idle-time argument for XAUTOCLAIM"),
    };
    let start = tri!(parse_start(&args[5]));
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if eq_ic(&args[j], "count") && more > 0 {
            let max = i64::MAX / 16;
            count = match crate::util::parse_i64(&args[j + 1]) {
                Some(v) if (1..=max).contains(&v) => v,
                _ => return Reply::err("ERR COUNT must be > 0"),
            };
            j += 1;
        } else if eq_ic(&args[j], "justid") {
            justid = true;
        } else {
            return err::syntax();
        }
        j += 1;
    }
    let now = ctx.now;
    let s = match tri!(read_stream(ctx, key)) {
        Some(s) if s.groups.contains_key(&gname[..]) => s,
        _ => return nogroup(key, gname),
    };
    let created = {
        let g = s.groups.get_mut(&gname[..]).unwrap();
        let mut created = false;
        let c = g.consumers.entry(Sds::new(cname)).or_insert_with(|| {
            created = true;
            Consumer::new(now)
        });
        c.seen_time = now;
        created
    };
    let mut attempts = count.saturating_mul(10);
    let mut effects = Vec::new();
    let mut dirty = 0u64;
    let mut out = Vec::new();
    let mut deleted = Vec::new();
    let mut cursor = start;
    let mut eof = false;
    loop {
        if attempts == 0 || count == 0 {
            break;
        }
        attempts -= 1;
        let g = s.groups.get_mut(&gname[..]).unwrap();
        let Some((&id, _)) = g.pel.range(cursor..).next() else {
            eof = true;
            break;
        };
        cursor = match id.incr() {
            Some(n) => n,
            None => {
                eof = true;
                StreamId::MAX
            }
        };
        let exists = s.exists(id);
        let g = s.groups.get_mut(&gname[..]).unwrap();
        if !exists {
            let n = &g.pel[&id];
            effects.push(xclaim_effect(
                key,
                gname,
                g,
                id,
                n.delivery_time,
                n.delivery_count,
                &n.consumer.clone(),
            ));
            dirty += 1;
            g.remove_nack(id);
            deleted.push(id_reply(id));
            count -= 1;
            if eof {
                break;
            }
            continue;
        }
        let n = &g.pel[&id];
        if minidle > 0 && (now as i64 - n.delivery_time as i64) < minidle {
            if eof {
                break;
            }
            continue;
        }
        let prev = n.delivery_count;
        g.assign(id, cname, now);
        let n = g.pel.get_mut(&id).unwrap();
        n.delivery_count = if justid { prev } else { prev + 1 };
        let dc = n.delivery_count;
        if let Some(c) = g.consumers.get_mut(&cname[..]) {
            c.active_time = now as i64;
        }
        effects.push(xclaim_effect(key, gname, g, id, now, dc, cname));
        dirty += 1;
        count -= 1;
        if justid {
            out.push(id_reply(id));
        } else {
            out.push(one_entry(s, id).unwrap_or(Reply::Nil));
        }
        if eof {
            break;
        }
    }
    let next = if eof {
        StreamId::MIN
    } else {
        let g = &s.groups[&gname[..]];
        g.pel
            .range(cursor..)
            .next()
            .map(|(k, _)| *k)
            .unwrap_or(StreamId::MIN)
    };
    if created {
        consumer_created(ctx, key, gname, cname, &mut effects, &mut dirty);
    }
    ctx.dirty += dirty;
    ctx.rewrite_as(effects);
    Reply::Array(vec![
        id_reply(next),
        Reply::Array(out),
        Reply::Array(deleted),
    ])
}

// ---------------------------------------------------------------------------------------
// XGROUP

fn xgroup(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let sub = crate::util::lower(&args[1]);
    let key = &args[2];
    let gname = &args[3];
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let argc = args.len();
    if sub == "create" || sub == "setid" {
        let mut i = 5;
        while i < argc {
            if sub == "create" && eq_ic(&args[i], "mkstream") {
                mkstream = true;
                i += 1;
            } else if eq_ic(&args[i], "entriesread") && i + 1 < argc {
                entries_read = tri!(arg::int(&args[i + 1]));
                if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                    return Reply::err("ERR value for ENTRIESREAD must be positive or -1");
                }
                i += 2;
            } else {
                return subcommand_syntax(args);
            }
        }
    }
    let (exists, has_group, last_id) = match tri!(write_stream(ctx, key)) {
        None => (false, false, StreamId::MIN),
        Some(s) => (true, s.groups.contains_key(&gname[..]), s.last_id),
    };
    if !(exists || sub == "create" && mkstream) {
        return Reply::err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
    }
    if !has_group && matches!(sub.as_str(), "setid" | "createconsumer" | "delconsumer") {
        return nogroup_for_key(gname, key);
    }
    let now = ctx.now;
    match sub.as_str() {
        "create" => {
            if argc > 8 {
                return subcommand_syntax(args);
            }
            let id = if &args[4][..] == b"$" {
                last_id
            } else {
                tri!(parse_strict_id(&args[4], 0))
            };
            if !exists {
                ctx.set_value(key, Value::Stream(Box::default()), 0, false);
            }
            let s = write_stream(ctx, key).unwrap().unwrap();
            if s.groups.contains_key(&gname[..]) {
                return Reply::err("BUSYGROUP Consumer Group name already exists");
            }
            s.groups
                .insert(Sds::new(gname), Group::new(id, entries_read));
            ctx.modified(key);
            ctx.notify(notify::STREAM, "xgroup-create", key);
            Reply::OK
        }
        "setid" => {
            if argc != 5 && argc != 7 {
                return subcommand_syntax(args);
            }
            let id = if &args[4][..] == b"$" {
                last_id
            } else {
                tri!(parse_id(&args[4], 0))
            };
            let s = write_stream(ctx, key).unwrap().unwrap();
            let g = s.groups.get_mut(&gname[..]).unwrap();
            g.last_id = id;
            g.entries_read = entries_read;
            ctx.modified(key);
            ctx.notify(notify::STREAM, "xgroup-setid", key);
            Reply::OK
        }
        "destroy" => {
            if !has_group {
                ctx.propagate = Propagate::Nothing;
                return Reply::Int(0);
            }
            let s = write_stream(ctx, key).unwrap().unwrap();
            s.groups.remove(&gname[..]);
            ctx.modified(key);
            ctx.notify(notify::STREAM, "xgroup-destroy", key);
            // Clients blocked in XREADGROUP on this group get -NOGROUP.
            ctx.signal_ready(key);
            Reply::Int(1)
        }
        "createconsumer" => {
            let s = write_stream(ctx, key).unwrap().unwrap();
            let g = s.groups.get_mut(&gname[..]).unwrap();
            if g.consumers.contains_key(&args[4][..]) {
                ctx.propagate = Propagate::Nothing;
                return Reply::Int(0);
            }
            g.consumers.insert(Sds::new(&args[4]), Consumer::new(now));
            ctx.modified(key);
            ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
            Reply::Int(1)
        }
        "delconsumer" => {
            let s = write_stream(ctx, key).unwrap().unwrap();
            let g = s.groups.get_mut(&gname[..]).unwrap();
            let Some(c) = g.consumers.remove(&args[4][..]) else {
                ctx.propagate = Propagate::Nothing;
                return Reply::Int(0);
            };
            for id in &c.pel {
                g.pel.remove(id);
            }
            ctx.modified(key);
            ctx.notify(notify::STREAM, "xgroup-delconsumer", key);
            Reply::Int(c.pel.len() as i64)
        }
        _ => subcommand_syntax(args),
    }
}

fn help(lines: &[&'static str]) -> Reply {
    Reply::Array(lines.iter().map(|l| Reply::status(*l)).collect())
}

fn xgroup_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help(&[
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    ])
}

fn xinfo_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help(&[
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    ])
}

// ---------------------------------------------------------------------------------------
// XINFO

fn kv(k: &'static str, v: Reply) -> (Reply, Reply) {
    (Reply::bulk_static(k.as_bytes()), v)
}

fn lag_reply(s: &StreamValue, g: &Group) -> Reply {
    match s.group_lag(g) {
        Some(l) => Reply::Int(l),
        None => Reply::Nil,
    }
}

fn entries_read_reply(g: &Group) -> Reply {
    if g.entries_read != INVALID_ENTRIES_READ {
        Reply::Int(g.entries_read)
    } else {
        Reply::Nil
    }
}

fn xinfo(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let sub = crate::util::lower(&args[1]);
    let key = &args[2];
    let now = ctx.now as i64;
    let s = match tri!(read_stream(ctx, key)) {
        None => return err::no_such_key(),
        Some(s) => s,
    };
    match sub.as_str() {
        "consumers" => {
            let Some(g) = s.groups.get(&args[3][..]) else {
                return nogroup_for_key(&args[3], key);
            };
            let out = g
                .consumers
                .iter()
                .map(|(n, c)| {
                    let inactive = if c.active_time != -1 {
                        now - c.active_time
                    } else {
                        -1
                    };
                    let idle = (now - c.seen_time as i64).max(0);
                    Reply::Map(vec![
                        kv("name", Reply::bulk(n)),
                        kv("pending", Reply::Int(c.pel.len() as i64)),
                        kv("idle", Reply::Int(idle)),
                        kv("inactive", Reply::Int(inactive)),
                    ])
                })
                .collect();
            Reply::Array(out)
        }
        "groups" => {
            let out = s
                .groups
                .iter()
                .map(|(n, g)| {
                    Reply::Map(vec![
                        kv("name", Reply::bulk(n)),
                        kv("consumers", Reply::Int(g.consumers.len() as i64)),
                        kv("pending", Reply::Int(g.pel.len() as i64)),
                        kv("last-delivered-id", id_reply(g.last_id)),
                        kv("entries-read", entries_read_reply(g)),
                        kv("lag", lag_reply(s, g)),
                    ])
                })
                .collect();
            Reply::Array(out)
        }
        "stream" => {
            let rest = &args[3..];
            let mut full = true;
            let mut count: i64 = 10;
            if rest.is_empty() {
                full = false;
            } else if rest.len() == 1 && eq_ic(&rest[0], "full") {
            } else if rest.len() == 3 && eq_ic(&rest[0], "full") && eq_ic(&rest[1], "count") {
                count = tri!(arg::int(&rest[2]));
                if count < 0 {
                    count = 10;
                }
            } else {
                return subcommand_syntax(args);
            }
            let mut m = vec![
                kv("length", Reply::Int(s.length as i64)),
                kv("radix-tree-keys", Reply::Int(s.node_count() as i64)),
                kv("radix-tree-nodes", Reply::Int(s.rax_nodes() as i64)),
                kv("last-generated-id", id_reply(s.last_id)),
                kv("max-deleted-entry-id", id_reply(s.max_deleted_id)),
                kv("entries-added", Reply::Int(s.entries_added as i64)),
                kv("recorded-first-entry-id", id_reply(s.first_id)),
            ];
            let count = count as usize;
            if !full {
                m.push(kv("groups", Reply::Int(s.groups.len() as i64)));
                let first = range_reply(s, StreamId::MIN, StreamId::MAX, 1, false);
                let last = range_reply(s, StreamId::MIN, StreamId::MAX, 1, true);
                m.push(kv(
                    "first-entry",
                    first.into_iter().next().unwrap_or(Reply::Nil),
                ));
                m.push(kv(
                    "last-entry",
                    last.into_iter().next().unwrap_or(Reply::Nil),
                ));
            } else {
                m.push(kv(
                    "entries",
                    Reply::Array(range_reply(s, StreamId::MIN, StreamId::MAX, count, false)),
                ));
                let limit = if count == 0 { usize::MAX } else { count };
                let groups = s
                    .groups
                    .iter()
                    .map(|(n, g)| {
                        let pel = g
                            .pel
                            .iter()
                            .take(limit)
                            .map(|(id, nk)| {
                                Reply::Array(vec![
                                    id_reply(*id),
                                    Reply::bulk(&nk.consumer),
                                    Reply::Int(nk.delivery_time as i64),
                                    Reply::Int(nk.delivery_count as i64),
                                ])
                            })
                            .collect();
                        let consumers = g
                            .consumers
                            .iter()
                            .map(|(cn, c)| {
                                let cpel = c
                                    .pel
                                    .iter()
                                    .take(limit)
                                    .map(|id| {
                                        let nk = &g.pel[id];
                                        Reply::Array(vec![
                                            id_reply(*id),
                                            Reply::Int(nk.delivery_time as i64),
                                            Reply::Int(nk.delivery_count as i64),
                                        ])
                                    })
                                    .collect();
                                Reply::Map(vec![
                                    kv("name", Reply::bulk(cn)),
                                    kv("seen-time", Reply::Int(c.seen_time as i64)),
                                    kv("active-time", Reply::Int(c.active_time)),
                                    kv("pel-count", Reply::Int(c.pel.len() as i64)),
                                    kv("pending", Reply::Array(cpel)),
                                ])
                            })
                            .collect();
                        Reply::Map(vec![
                            kv("name", Reply::bulk(n)),
                            kv("last-delivered-id", id_reply(g.last_id)),
                            kv("entries-read", entries_read_reply(g)),
                            kv("lag", lag_reply(s, g)),
                            kv("pel-count", Reply::Int(g.pel.len() as i64)),
                            kv("pending", Reply::Array(pel)),
                            kv("consumers", Reply::Array(consumers)),
                        ])
                    })
                    .collect();
                m.push(kv("groups", Reply::Array(groups)));
            }
            Reply::Map(m)
        }
        _ => subcommand_syntax(args),
    }
}

#[cfg(test)]
mod tests {
    //! Propagation: what each command feeds to AOF/replicas, and that replaying those
    //! effects on another server reproduces the same stream and group state.
    use super::*;
    use crate::command::Locks;
    use crate::server::client::{Client, ClientInfo};
    use crate::server::Server;
    use std::sync::Arc;

    struct Env {
        srv: Server,
        client: Client,
    }

    impl Env {
        fn new() -> Env {
            let srv = Server::new(crate::config::Config::new());
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            std::mem::forget(_rx);
            let info = Arc::new(ClientInfo::new(1, "test".into(), "test".into(), -1));
            Env {
                srv,
                client: Client::new(info, true, tx),
            }
        }

        /// Runs a command; returns its reply and its effects (None = nothing propagated).
        fn run(&mut self, args: &[&str]) -> (Reply, Vec<Vec<String>>) {
            let args: Vec<Bytes> = args
                .iter()
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect();
            let cmd = crate::server::dispatch::lookup(&self.srv, &args).unwrap();
            let locks = Locks::all(&self.srv.store);
            let mut ctx = Ctx::new(&self.srv, &mut self.client, locks);
            let reply = (cmd.handler.unwrap())(&mut ctx, &args);
            let effects: Vec<Vec<Bytes>> = if ctx.dirty == 0 {
                vec![]
            } else {
                match std::mem::take(&mut ctx.propagate) {
                    Propagate::AsIs if cmd.is_write() => vec![args.clone()],
                    Propagate::Rewritten(c) => c,
                    _ => vec![],
                }
            };
            let effects = effects
                .into_iter()
                .map(|c| {
                    c.iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect()
                })
                .collect();
            (reply, effects)
        }

        /// Runs a command; returns the keyspace events it queued.
        fn events(&mut self, args: &[&str]) -> Vec<&'static str> {
            let args: Vec<Bytes> = args
                .iter()
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect();
            let cmd = crate::server::dispatch::lookup(&self.srv, &args).unwrap();
            let locks = Locks::all(&self.srv.store);
            let mut ctx = Ctx::new(&self.srv, &mut self.client, locks);
            (cmd.handler.unwrap())(&mut ctx, &args);
            ctx.events.iter().map(|e| e.event).collect()
        }

        fn run_effects(&mut self, effects: &[Vec<String>]) {
            for e in effects {
                let a: Vec<&str> = e.iter().map(|s| s.as_str()).collect();
                let (r, _) = self.run(&a);
                assert!(!r.is_error(), "replaying {e:?}: {r:?}");
            }
        }
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn keyspace_events() {
        let mut e = Env::new();
        e.srv
            .config
            .set("notify-keyspace-events", &["KEA".to_string()], false)
            .unwrap();
        assert_eq!(e.events(&["XADD", "s", "1-1", "f", "v"]), ["xadd"]);
        assert_eq!(
            e.events(&["XADD", "s", "MAXLEN", "1", "2-1", "f", "v"]),
            ["xadd", "xtrim"]
        );
        assert_eq!(e.events(&["XADD", "s", "3-1", "f", "v"]), ["xadd"]);
        assert_eq!(e.events(&["XTRIM", "s", "MAXLEN", "1"]), ["xtrim"]);
        assert!(e.events(&["XTRIM", "s", "MAXLEN", "1"]).is_empty());
        assert_eq!(e.events(&["XDEL", "s", "3-1"]), ["xdel"]);
        assert!(e.events(&["XDEL", "s", "3-1"]).is_empty());
        assert_eq!(e.events(&["XSETID", "s", "5-0"]), ["xsetid"]);
        assert_eq!(
            e.events(&["XGROUP", "CREATE", "s", "g", "0"]),
            ["xgroup-create"]
        );
        assert_eq!(
            e.events(&["XGROUP", "CREATECONSUMER", "s", "g", "c"]),
            ["xgroup-createconsumer"]
        );
        assert!(e
            .events(&["XGROUP", "CREATECONSUMER", "s", "g", "c"])
            .is_empty());
        assert_eq!(
            e.events(&["XGROUP", "SETID", "s", "g", "0"]),
            ["xgroup-setid"]
        );
        assert_eq!(
            e.events(&["XREADGROUP", "GROUP", "g", "d", "STREAMS", "s", ">"]),
            ["xgroup-createconsumer"]
        );
        assert_eq!(
            e.events(&["XCLAIM", "s", "g", "x", "0", "1-1"]),
            ["xgroup-createconsumer"]
        );
        assert_eq!(
            e.events(&["XAUTOCLAIM", "s", "g", "y", "0", "0"]),
            ["xgroup-createconsumer"]
        );
        assert_eq!(
            e.events(&["XGROUP", "DELCONSUMER", "s", "g", "c"]),
            ["xgroup-delconsumer"]
        );
        assert!(e
            .events(&["XGROUP", "DELCONSUMER", "s", "g", "c"])
            .is_empty());
        assert_eq!(
            e.events(&["XGROUP", "DESTROY", "s", "g"]),
            ["xgroup-destroy"]
        );
        assert!(e.events(&["XGROUP", "DESTROY", "s", "g"]).is_empty());
        assert_eq!(
            e.events(&["XGROUP", "CREATE", "new", "g", "$", "MKSTREAM"]),
            ["xgroup-create"]
        );
    }

    #[test]
    fn xadd_effects() {
        let mut e = Env::new();
        let (r, eff) = e.run(&["XADD", "s", "5-1", "f", "v"]);
        assert_eq!(r, Reply::bulk("5-1"));
        assert_eq!(eff, vec![v(&["XADD", "s", "5-1", "f", "v"])]);
        let (r, eff) = e.run(&["XADD", "s", "5-*", "f", "v"]);
        assert_eq!(r, Reply::bulk("5-2"));
        assert_eq!(eff, vec![v(&["XADD", "s", "5-2", "f", "v"])]);
        let (r, eff) = e.run(&["XADD", "s", "*", "f", "v"]);
        let Reply::Bulk(id) = r else { panic!() };
        let id = String::from_utf8_lossy(&id).into_owned();
        assert_eq!(eff, vec![v(&["XADD", "s", &id, "f", "v"])]);
        for i in 0..300 {
            e.run(&["XADD", "s", "*", "n", &i.to_string()]);
        }
        // An approximate trim replays as the exact effect, without LIMIT.
        let (_, eff) = e.run(&[
            "XADD",
            "s",
            "NOMKSTREAM",
            "MAXLEN",
            "~",
            "150",
            "LIMIT",
            "1000",
            "*",
            "a",
            "b",
        ]);
        let len = match e.run(&["XLEN", "s"]).0 {
            Reply::Int(n) => n,
            _ => panic!(),
        };
        assert!(len > 150 && len < 304, "{len}");
        assert_eq!(
            eff[0][..6],
            v(&["XADD", "s", "NOMKSTREAM", "MAXLEN", "=", &len.to_string()])
        );
        let (r, eff) = e.run(&["XTRIM", "s", "MINID", "~", "0-1"]);
        assert_eq!(r, Reply::Int(0));
        assert!(eff.is_empty());
        let (_, eff) = e.run(&["XTRIM", "s", "MAXLEN", "~", "10"]);
        assert_eq!(eff[0][..4], v(&["XTRIM", "s", "MAXLEN", "="]));
        let (_, eff) = e.run(&["XTRIM", "s", "MAXLEN", "10"]);
        assert_eq!(eff, vec![v(&["XTRIM", "s", "MAXLEN", "10"])]);
        // Reads propagate nothing; failed writes neither.
        assert!(e.run(&["XRANGE", "s", "-", "+"]).1.is_empty());
        assert!(e.run(&["XADD", "s", "1-1", "a", "b"]).1.is_empty());
        assert!(e
            .run(&["XADD", "nos", "NOMKSTREAM", "*", "a", "b"])
            .1
            .is_empty());
    }

    #[test]
    fn group_effects_replay_to_the_same_state() {
        let mut a = Env::new();
        let mut b = Env::new();
        let mut log: Vec<Vec<String>> = Vec::new();
        fn step_in(a: &mut Env, log: &mut Vec<Vec<String>>, args: &[&str]) -> Reply {
            let (r, eff) = a.run(args);
            log.extend(eff);
            r
        }
        macro_rules! step {
            ($a:expr, $args:expr) => {
                step_in($a, &mut log, $args)
            };
        }
        for i in 1..=6 {
            step!(
                &mut a,
                &["XADD", "s", &format!("{i}-0"), "job", &i.to_string()]
            );
        }
        step!(&mut a, &["XGROUP", "CREATE", "s", "g", "0"]);
        step!(
            &mut a,
            &["XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "6"]
        );
        let (_, eff) = a.run(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "2",
            "STREAMS",
            "s",
            ">",
        ]);
        assert_eq!(eff.len(), 4);
        assert_eq!(eff[0], v(&["XGROUP", "CREATECONSUMER", "s", "g", "alice"]));
        assert_eq!(eff[1][..6], v(&["XCLAIM", "s", "g", "alice", "0", "1-0"]));
        assert_eq!(
            eff[1][8..],
            v(&["RETRYCOUNT", "1", "FORCE", "JUSTID", "LASTID", "1-0"])
        );
        assert_eq!(
            eff[3],
            v(&["XGROUP", "SETID", "s", "g", "2-0", "ENTRIESREAD", "2"])
        );
        log.extend(eff);
        step!(
            &mut a,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "bob",
                "NOACK",
                "COUNT",
                "1",
                "STREAMS",
                "s",
                ">"
            ]
        );
        step!(
            &mut a,
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"]
        );
        // History reads change nothing to propagate.
        let (_, eff) = a.run(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0"]);
        assert!(eff.is_empty(), "{eff:?}");
        step!(&mut a, &["XACK", "s", "g", "4-0"]);
        step!(
            &mut a,
            &["XCLAIM", "s", "g", "carol", "0", "1-0", "RETRYCOUNT", "5"]
        );
        step!(
            &mut a,
            &["XCLAIM", "s", "g", "carol", "0", "2-0", "JUSTID", "LASTID", "6-0"]
        );
        step!(&mut a, &["XDEL", "s", "5-0"]);
        let r = step!(
            &mut a,
            &["XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "10"]
        );
        assert!(format!("{r:?}").contains("5-0"), "{r:?}");
        step!(&mut a, &["XGROUP", "DELCONSUMER", "s", "g", "alice"]);
        step!(&mut a, &["XGROUP", "SETID", "s", "g2", "3-0"]);
        step!(
            &mut a,
            &[
                "XSETID",
                "s",
                "100-0",
                "ENTRIESADDED",
                "50",
                "MAXDELETEDID",
                "90-0"
            ]
        );
        step!(&mut a, &["XGROUP", "DESTROY", "s", "g2"]);
        b.run_effects(&log);
        for q in [
            &["XRANGE", "s", "-", "+"][..],
            &["XPENDING", "s", "g"],
            &["XINFO", "GROUPS", "s"],
            &["XLEN", "s"],
        ] {
            assert_eq!(a.run(q).0, b.run(q).0, "{q:?}");
        }
        // Pending entries match exactly, delivery times and counts included.
        let pa = a.srv.store.lock(a.srv.store.shard_of(b"s")).dbs[0]
            .get(a.srv.store.pos(b"s").hash, b"s")
            .map(|e| format!("{:?}", e.value));
        let pb = b.srv.store.lock(b.srv.store.shard_of(b"s")).dbs[0]
            .get(b.srv.store.pos(b"s").hash, b"s")
            .map(|e| format!("{:?}", e.value));
        let strip = |s: String| {
            // seen/active times are the replica's own clock; compare the rest.
            s.split("seen_time").next().unwrap().to_string()
        };
        let pa = pa.map(strip).unwrap();
        assert!(pa.contains("delivery_count: 6, consumer: \"dave\""), "{pa}");
        assert_eq!(Some(pa), pb.map(strip));
        let (ia, ib) = (
            format!("{:?}", a.run(&["XINFO", "STREAM", "s"]).0),
            format!("{:?}", b.run(&["XINFO", "STREAM", "s"]).0),
        );
        assert_eq!(ia, ib);
    }
}
