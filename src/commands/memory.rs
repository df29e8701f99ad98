//! MEMORY USAGE / STATS / DOCTOR / PURGE / MALLOC-STATS / HELP (Redis's object.c
//! memoryCommand). Accounting and eviction live in `crate::memory`.

use crate::command::{arg, err, Ctx, LockMode, Registry};
use crate::memory::{self, StatValue};
use crate::resp::Reply;
use bytes::Bytes;

pub fn register(r: &mut Registry) {
    r.add("memory|usage", usage, LockMode::Keys);
    r.add("memory|stats", stats, LockMode::None);
    r.add("memory|doctor", doctor, LockMode::None);
    r.add("memory|purge", purge, LockMode::None);
    r.add("memory|malloc-stats", malloc_stats, LockMode::None);
    r.add("memory|help", help, LockMode::None);
}

fn usage(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut samples = memory::DEFAULT_SAMPLES;
    let mut j = 3;
    while j < args.len() {
        if args[j].eq_ignore_ascii_case(b"samples") && j + 1 < args.len() {
            let n = match arg::int(&args[j + 1]) {
                Ok(n) => n,
                Err(e) => return e,
            };
            if n < 0 {
                return err::syntax();
            }
            samples = if n == 0 { 0 } else { n as usize };
            j += 2;
        } else {
            return err::syntax();
        }
    }
    let key = &args[2];
    // MEMORY USAGE doesn't count as an access (Redis uses LOOKUP_NOTOUCH).
    let no_touch = std::mem::replace(&mut ctx.client.no_touch, true);
    let r = match ctx.lookup(key) {
        None => Reply::Nil,
        Some(e) => {
            let k = crate::store::Sds::new(key);
            Reply::Int(memory::key_usage(&k, e, samples) as i64)
        }
    };
    ctx.client.no_touch = no_touch;
    r
}

fn stats(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let ctx = _ctx;
    let v = memory::stats(ctx.srv);
    Reply::Map(
        v.into_iter()
            .map(|(k, v)| {
                let val = match v {
                    StatValue::Int(i) => Reply::Int(i),
                    StatValue::Float(f) => Reply::Double(f),
                    StatValue::Map(m) => Reply::Map(
                        m.into_iter()
                            .map(|(k, v)| (Reply::bulk(k), Reply::Int(v)))
                            .collect(),
                    ),
                };
                (Reply::bulk(k), val)
            })
            .collect(),
    )
}

fn doctor(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Verbatim("txt", Bytes::from(memory::doctor(ctx.srv)))
}

fn purge(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    memory::purge();
    Reply::OK
}

fn malloc_stats(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Verbatim("txt", Bytes::from(memory::malloc_stats()))
}

fn help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    const LINES: &[&str] = &[
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(LINES.iter().map(|l| Reply::status(*l)).collect())
}
