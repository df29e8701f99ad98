//! COMMAND and its subcommands, in Redis 7.2's reply formats. DOCS builds argument trees
//! from the syntax strings (`command::docs`) so redis-cli's interactive hints work.

use super::connection::help_reply;
use crate::command::docs::{arg_to_resp_fields, parse_syntax, DocValue};
use crate::command::table::{BeginSearch, FindKeys};
use crate::command::{err, flags, CommandSpec, Ctx, LockMode, Registry};
use crate::resp::Reply;
use bytes::Bytes;
use std::sync::Arc;

pub fn register(r: &mut Registry) {
    r.add("command", command, LockMode::None);
    r.add("command|count", command_count, LockMode::None);
    r.add("command|info", command_info, LockMode::None);
    r.add("command|docs", command_docs, LockMode::None);
    r.add("command|list", command_list, LockMode::None);
    r.add("command|getkeys", command_getkeys, LockMode::None);
    r.add(
        "command|getkeysandflags",
        command_getkeysandflags,
        LockMode::None,
    );
    r.add("command|help", command_help, LockMode::None);
}

/// ACL categories in Redis's bit order (how COMMAND INFO lists them).
const ACL_ORDER: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The command's ACL categories, with the implicit ones Redis derives from its flags.
pub fn acl_categories(c: &CommandSpec) -> Vec<&'static str> {
    let mut cats: Vec<&str> = c
        .acl_categories
        .iter()
        .filter_map(|s| {
            let s = s.trim_start_matches('@');
            ACL_ORDER.iter().find(|x| **x == s).copied()
        })
        .collect();
    if c.has(flags::WRITE) {
        cats.push("write");
    }
    if c.has(flags::READONLY) && !cats.contains(&"scripting") {
        cats.push("read");
    }
    if c.has(flags::ADMIN) {
        cats.push("admin");
        cats.push("dangerous");
    }
    if c.has(flags::PUBSUB) {
        cats.push("pubsub");
    }
    if c.has(flags::FAST) {
        cats.push("fast");
    }
    if c.has(flags::BLOCKING) {
        cats.push("blocking");
    }
    if !cats.contains(&"fast") {
        cats.push("slow");
    }
    let mut out: Vec<&'static str> = ACL_ORDER
        .iter()
        .copied()
        .filter(|x| cats.contains(x))
        .collect();
    out.dedup();
    out
}

/// Flags COMMAND INFO shows (Redis hides may_replicate, sentinel, protected, ...).
const SHOWN_FLAGS: &[(u32, &str)] = &[
    (flags::WRITE, "write"),
    (flags::READONLY, "readonly"),
    (flags::DENYOOM, "denyoom"),
    (flags::ADMIN, "admin"),
    (flags::PUBSUB, "pubsub"),
    (flags::NOSCRIPT, "noscript"),
    (flags::BLOCKING, "blocking"),
    (flags::LOADING, "loading"),
    (flags::STALE, "stale"),
    (flags::SKIP_MONITOR, "skip_monitor"),
    (flags::SKIP_SLOWLOG, "skip_slowlog"),
    (flags::FAST, "fast"),
    (flags::NO_AUTH, "no_auth"),
    (flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (flags::NO_ASYNC_LOADING, "no_async_loading"),
    (flags::NO_MULTI, "no_multi"),
    (flags::MOVABLE_KEYS, "movablekeys"),
    (flags::ALLOW_BUSY, "allow_busy"),
];

/// Redis's legacy (first key, last key, step) triple, from the index/range key specs.
fn legacy_range(c: &CommandSpec) -> (i64, i64, i64) {
    let mut first = 0i64;
    let mut last = 0i64;
    let mut step = 0i64;
    for spec in &c.key_specs {
        let (
            BeginSearch::Index(pos),
            FindKeys::Range {
                last_key,
                step: s,
                limit,
            },
        ) = (&spec.begin, &spec.find)
        else {
            continue;
        };
        if *limit > 1 {
            continue;
        }
        let pos = *pos as i64;
        let l = if *last_key >= 0 {
            pos + *last_key as i64
        } else {
            *last_key as i64
        };
        if first == 0 {
            first = pos;
            last = l;
            step = *s as i64;
        } else if last >= 0 && pos == last + 1 && *s as i64 == step {
            last = l;
        } else if pos < first {
            continue;
        }
    }
    (first, last, step)
}

/// Key spec flags as Redis prints them: RO/RW/OW/RM upper case, the others lower case.
fn spec_flags(flags: &[String]) -> Reply {
    status_set(flags.iter().map(|f| match f.as_str() {
        "RO" | "RW" | "OW" | "RM" => f.clone(),
        _ => f.to_ascii_lowercase(),
    }))
}

fn status_set(items: impl IntoIterator<Item = String>) -> Reply {
    Reply::Set(items.into_iter().map(Reply::status).collect())
}

fn map(pairs: Vec<(&str, Reply)>) -> Reply {
    Reply::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Reply::bulk(k), v))
            .collect(),
    )
}

fn key_spec_reply(spec: &crate::command::table::KeySpec) -> Reply {
    let begin = match &spec.begin {
        BeginSearch::Index(i) => map(vec![
            ("type", Reply::bulk("index")),
            ("spec", map(vec![("index", Reply::Int(*i as i64))])),
        ]),
        BeginSearch::Keyword {
            keyword,
            start_from,
        } => map(vec![
            ("type", Reply::bulk("keyword")),
            (
                "spec",
                map(vec![
                    ("keyword", Reply::bulk(keyword)),
                    ("startfrom", Reply::Int(*start_from as i64)),
                ]),
            ),
        ]),
        BeginSearch::Unknown => map(vec![
            ("type", Reply::bulk("unknown")),
            ("spec", map(vec![])),
        ]),
    };
    let find = match &spec.find {
        FindKeys::Range {
            last_key,
            step,
            limit,
        } => map(vec![
            ("type", Reply::bulk("range")),
            (
                "spec",
                map(vec![
                    ("lastkey", Reply::Int(*last_key as i64)),
                    ("keystep", Reply::Int(*step as i64)),
                    ("limit", Reply::Int(*limit as i64)),
                ]),
            ),
        ]),
        FindKeys::KeyNum {
            key_num_idx,
            first_key,
            step,
        } => map(vec![
            ("type", Reply::bulk("keynum")),
            (
                "spec",
                map(vec![
                    ("keynumidx", Reply::Int(*key_num_idx as i64)),
                    ("firstkey", Reply::Int(*first_key as i64)),
                    ("keystep", Reply::Int(*step as i64)),
                ]),
            ),
        ]),
        FindKeys::Unknown => map(vec![
            ("type", Reply::bulk("unknown")),
            ("spec", map(vec![])),
        ]),
    };
    map(vec![
        ("flags", spec_flags(&spec.flags)),
        ("begin_search", begin),
        ("find_keys", find),
    ])
}

fn sorted_subs(c: &CommandSpec) -> Vec<Arc<CommandSpec>> {
    let mut subs: Vec<_> = c.subcommands.values().cloned().collect();
    subs.sort_by(|a, b| a.name.cmp(&b.name));
    subs
}

/// One command's COMMAND INFO entry.
pub fn info_reply(c: &CommandSpec) -> Reply {
    let (first, last, step) = legacy_range(c);
    Reply::Array(vec![
        Reply::bulk(&c.name),
        Reply::Int(c.arity as i64),
        status_set(
            SHOWN_FLAGS
                .iter()
                .filter(|(f, _)| c.has(*f))
                .map(|(_, n)| n.to_string()),
        ),
        Reply::Int(first),
        Reply::Int(last),
        Reply::Int(step),
        status_set(acl_categories(c).into_iter().map(|s| format!("@{s}"))),
        Reply::Set(vec![]),
        Reply::Array(c.key_specs.iter().map(key_spec_reply).collect()),
        Reply::Array(sorted_subs(c).iter().map(|s| info_reply(s)).collect()),
    ])
}

fn doc_value(v: DocValue) -> Reply {
    match v {
        DocValue::Str(s) => Reply::bulk(s),
        DocValue::Int(i) => Reply::Int(i),
        DocValue::Flags(f) => Reply::Set(f.into_iter().map(Reply::status).collect()),
        DocValue::Args(list) => Reply::Array(
            list.into_iter()
                .map(|fields| {
                    Reply::Map(
                        fields
                            .into_iter()
                            .map(|(k, v)| (Reply::bulk(k), doc_value(v)))
                            .collect(),
                    )
                })
                .collect(),
        ),
    }
}

/// One command's COMMAND DOCS map.
pub fn docs_reply(c: &CommandSpec) -> Reply {
    let mut fields = vec![
        ("summary", Reply::bulk("")),
        ("since", Reply::bulk(&c.since)),
        ("group", Reply::bulk(&c.group)),
    ];
    if c.deprecated {
        fields.push(("doc_flags", Reply::Set(vec![Reply::status("deprecated")])));
    }
    let args = parse_syntax(&c.syntax);
    if !args.is_empty() && !c.syntax.is_empty() {
        fields.push((
            "arguments",
            doc_value(DocValue::Args(
                args.iter().map(arg_to_resp_fields).collect(),
            )),
        ));
    }
    if !c.subcommands.is_empty() {
        fields.push((
            "subcommands",
            Reply::Map(
                sorted_subs(c)
                    .iter()
                    .map(|s| (Reply::bulk(&s.name), docs_reply(s)))
                    .collect(),
            ),
        ));
    }
    map(fields)
}

fn all_top(ctx: &Ctx) -> Vec<Arc<CommandSpec>> {
    let mut v: Vec<_> = ctx.srv.cmds.iter().cloned().collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// Finds `name` or `parent|sub`.
fn find(ctx: &Ctx, name: &[u8]) -> Option<Arc<CommandSpec>> {
    let l = crate::util::lower(name);
    match l.split_once('|') {
        Some((p, s)) => ctx
            .srv
            .cmds
            .get(p.as_bytes())
            .and_then(|c| c.subcommands.get(s).cloned()),
        None => ctx.srv.cmds.get(l.as_bytes()).cloned(),
    }
}

fn command(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Array(all_top(ctx).iter().map(|c| info_reply(c)).collect())
}

fn command_count(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.cmds.len() as i64)
}

fn command_info(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() == 2 {
        return command(ctx, args);
    }
    Reply::Array(
        args[2..]
            .iter()
            .map(|n| match find(ctx, n) {
                Some(c) => info_reply(&c),
                None => Reply::NilArray,
            })
            .collect(),
    )
}

fn command_docs(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let cmds: Vec<Arc<CommandSpec>> = if args.len() == 2 {
        all_top(ctx)
    } else {
        args[2..].iter().filter_map(|n| find(ctx, n)).collect()
    };
    Reply::Map(
        cmds.iter()
            .map(|c| (Reply::bulk(&c.name), docs_reply(c)))
            .collect(),
    )
}

fn command_list(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    enum Filter {
        None,
        Module,
        AclCat(String),
        Pattern(Bytes),
    }
    let filter = if args.len() == 2 {
        Filter::None
    } else if args.len() == 5 && args[2].eq_ignore_ascii_case(b"filterby") {
        match crate::util::lower(&args[3]).as_str() {
            "module" => Filter::Module,
            "aclcat" => Filter::AclCat(crate::util::lower(&args[4])),
            "pattern" => Filter::Pattern(args[4].clone()),
            _ => return err::syntax(),
        }
    } else {
        return err::syntax();
    };
    let mut names = Vec::new();
    for c in all_top(ctx) {
        for s in std::iter::once(c.clone()).chain(sorted_subs(&c)) {
            let keep = match &filter {
                Filter::None => true,
                Filter::Module => false,
                Filter::AclCat(cat) => acl_categories(&s).contains(&cat.as_str()),
                Filter::Pattern(p) => crate::util::glob_match(p, s.name.as_bytes(), true),
            };
            if keep {
                names.push(Reply::bulk(&s.name));
            }
        }
    }
    Reply::Array(names)
}

/// Resolves the command of `COMMAND GETKEYS cmd args...` and its key positions.
/// The command and its (key position, key spec index) pairs.
type KeysOf = (Arc<CommandSpec>, Vec<(usize, usize)>);

fn getkeys_common(ctx: &Ctx, args: &[Bytes]) -> Result<KeysOf, Reply> {
    let cargs = &args[2..];
    let Some(mut cmd) = ctx.srv.cmds.get(&cargs[0]).cloned() else {
        return Err(Reply::err("ERR Invalid command specified"));
    };
    if !cmd.subcommands.is_empty() && cargs.len() >= 2 {
        match cmd.subcommands.get(&crate::util::lower(&cargs[1])) {
            Some(s) => cmd = s.clone(),
            None => return Err(Reply::err("ERR Invalid command specified")),
        }
    }
    if cmd.key_specs.is_empty() {
        return Err(Reply::err("ERR The command has no key arguments"));
    }
    if !cmd.arity_ok(cargs.len()) {
        return Err(Reply::err(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys = cmd.key_positions_by_spec(cargs);
    if keys.is_empty() && !cmd.has(flags::NO_MANDATORY_KEYS) {
        return Err(Reply::err("ERR Invalid arguments specified for command"));
    }
    Ok((cmd, keys))
}

fn command_getkeys(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match getkeys_common(ctx, args) {
        Ok((_, keys)) => Reply::Array(
            keys.into_iter()
                .map(|(i, _)| Reply::Bulk(args[2 + i].clone()))
                .collect(),
        ),
        Err(e) => e,
    }
}

fn command_getkeysandflags(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match getkeys_common(ctx, args) {
        Ok((cmd, keys)) => Reply::Array(
            keys.into_iter()
                .map(|(i, spec)| {
                    Reply::Array(vec![
                        Reply::Bulk(args[2 + i].clone()),
                        spec_flags(&cmd.key_specs[spec].flags),
                    ])
                })
                .collect(),
        ),
        Err(e) => e,
    }
}

fn command_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    )
}
