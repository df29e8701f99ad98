//! Server commands: CONFIG, TIME, LASTSAVE, SHUTDOWN, SLOWLOG, MONITOR, LATENCY.
//! INFO is in `info.rs`, COMMAND in `introspect.rs`, DEBUG in `debug.rs`.

use super::connection::help_reply;
use crate::command::{err, Ctx, LockMode, Registry};
use crate::resp::Reply;
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    r.add("config|get", config_get, LockMode::None);
    r.add("config|set", config_set, LockMode::None);
    r.add("config|resetstat", config_resetstat, LockMode::None);
    r.add("config|rewrite", config_rewrite, LockMode::None);
    r.add("config|help", config_help, LockMode::None);
    r.add("info", super::info::info, LockMode::None);
    r.add("time", time, LockMode::None);
    r.add("lastsave", lastsave, LockMode::None);
    r.add("shutdown", shutdown, LockMode::None);
    r.add("slowlog|get", slowlog_get, LockMode::None);
    r.add("slowlog|len", slowlog_len, LockMode::None);
    r.add("slowlog|reset", slowlog_reset, LockMode::None);
    r.add("slowlog|help", slowlog_help, LockMode::None);
    r.add("monitor", monitor, LockMode::None);
    r.add("latency|latest", latency_latest, LockMode::None);
    r.add("latency|history", latency_history, LockMode::None);
    r.add("latency|reset", latency_reset, LockMode::None);
    r.add("latency|doctor", latency_doctor, LockMode::None);
    r.add("latency|histogram", latency_histogram, LockMode::None);
    r.add("latency|graph", latency_graph, LockMode::None);
    r.add("latency|help", latency_help, LockMode::None);
    super::introspect::register(r);
    super::debug::register(r);
}

fn config_get(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let pats: Vec<&[u8]> = args[2..].iter().map(|a| a.as_ref()).collect();
    let pairs = ctx.srv.config.get_matching(&pats);
    Reply::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Reply::bulk(k), Reply::bulk(v)))
            .collect(),
    )
}

fn config_set(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if !(args.len() - 2).is_multiple_of(2) {
        return err::wrong_args("config|set");
    }
    let pairs: Vec<(String, Vec<String>)> = args[2..]
        .chunks(2)
        .map(|c| {
            (
                String::from_utf8_lossy(&c[0]).into_owned(),
                vec![String::from_utf8_lossy(&c[1]).into_owned()],
            )
        })
        .collect();
    for (name, _) in &pairs {
        if crate::config::params::find(&name.to_ascii_lowercase()).is_none() {
            return Reply::Error(
                format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'")
                    .into(),
            );
        }
    }
    // `dir` takes effect by changing directory; do that first so a bad path fails the
    // whole CONFIG SET, as Redis's apply function does.
    let old_dir = std::env::current_dir().ok();
    let mut changed_dir = false;
    for (name, v) in &pairs {
        if name.eq_ignore_ascii_case("dir") {
            if let Err(e) = std::env::set_current_dir(&v[0]) {
                return Reply::Error(
                    format!(
                        "ERR CONFIG SET failed (possibly related to argument 'dir') - {}",
                        io_error_text(&e)
                    )
                    .into(),
                );
            }
            changed_dir = true;
        }
    }
    match ctx.srv.config.set_many(&pairs, false) {
        Ok(()) => {
            if pairs
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("loglevel"))
            {
                crate::server::logger::set_level(&ctx.srv.config.get("loglevel"));
            }
            if changed_dir {
                // Store the absolute path, as Redis shows it.
                if let Ok(d) = std::env::current_dir() {
                    let _ = ctx.srv.config.set("dir", &[d.display().to_string()], true);
                }
            }
            Reply::OK
        }
        Err(e) => {
            if changed_dir {
                if let Some(d) = old_dir {
                    let _ = std::env::set_current_dir(d);
                }
            }
            Reply::Error(format!("ERR {e}").into())
        }
    }
}

/// strerror-style text for an io::Error ("No such file or directory").
fn io_error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn config_resetstat(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    ctx.srv.stats.reset();
    ctx.srv.cmds.reset_stats();
    Reply::OK
}

fn config_rewrite(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    match ctx.srv.config.rewrite() {
        Ok(()) => {
            crate::server::log('*', "CONFIG REWRITE executed with success.");
            Reply::OK
        }
        Err(e) => Reply::Error(e.into()),
    }
}

fn config_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "CONFIG",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    )
}

fn time(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let us = crate::util::now_us();
    Reply::Array(vec![
        Reply::bulk((us / 1_000_000).to_string()),
        Reply::bulk((us % 1_000_000).to_string()),
    ])
}

fn lastsave(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.lastsave.load(Ordering::Relaxed) as i64)
}

fn shutdown(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (mut nosave, mut save, mut abort) = (false, false, false);
    for a in &args[1..] {
        match crate::util::lower(a).as_str() {
            "nosave" => nosave = true,
            "save" => save = true,
            "now" | "force" => {}
            "abort" => abort = true,
            _ => return err::syntax(),
        }
    }
    if (abort && args.len() != 2) || (nosave && save) {
        return err::syntax();
    }
    if abort {
        // Shutdown is immediate here, so there is never one in progress to abort.
        return Reply::err("ERR No shutdown in progress.");
    }
    // SAVE/NOSAVE: persistence plugs in here (no RDB yet, so nothing to save).
    let _ = save;
    ctx.srv.shutdown.notify_one();
    ctx.client.close_after_reply = true;
    // No reply: the connection closes, as with Redis.
    Reply::Raw(Bytes::new())
}

fn slowlog_get(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let count = match args.get(2) {
        None => 10,
        Some(a) => match crate::util::parse_i64(a) {
            Some(-1) => usize::MAX,
            Some(n) if n >= 0 => n as usize,
            _ => return Reply::err("ERR count should be greater than or equal to -1"),
        },
    };
    Reply::Array(ctx.srv.slowlog.get(count))
}

fn slowlog_len(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.slowlog.len() as i64)
}

fn slowlog_reset(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    ctx.srv.slowlog.reset();
    Reply::OK
}

fn slowlog_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "SLOWLOG",
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    )
}

fn monitor(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    ctx.client.enter_monitor = true;
    Reply::OK
}

// LATENCY: events are recorded by the dispatcher (`command` / `fast-command`) when
// `latency-monitor-threshold` is set; HISTOGRAM reports per-command call counts only.

fn latency_latest(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Array(
        ctx.srv
            .latency
            .latest()
            .into_iter()
            .map(|(e, t, last, max)| {
                Reply::Array(vec![
                    Reply::bulk(e),
                    Reply::Int(t as i64),
                    Reply::Int(last as i64),
                    Reply::Int(max as i64),
                ])
            })
            .collect(),
    )
}

fn latency_history(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let event = String::from_utf8_lossy(&args[2]);
    Reply::Array(
        ctx.srv
            .latency
            .history(&event)
            .into_iter()
            .map(|(t, ms)| Reply::Array(vec![Reply::Int(t as i64), Reply::Int(ms as i64)]))
            .collect(),
    )
}

fn latency_reset(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let events: Vec<String> = args[2..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Reply::Int(ctx.srv.latency.reset(&events) as i64)
}

fn latency_doctor(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let latest = ctx.srv.latency.latest();
    let text = if latest.is_empty() {
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep tonight.\n".to_string()
    } else {
        let mut t = String::from("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
        for (i, (e, _, last, max)) in latest.iter().enumerate() {
            let h = ctx.srv.latency.history(e);
            let avg = h.iter().map(|s| s.1).sum::<u64>() / h.len().max(1) as u64;
            t.push_str(&format!(
                "{}. {e}: {} latency spikes (average {avg}ms, mean deviation 0ms, period 0 sec). Worst all time event {max}ms. Latest {last}ms.\n",
                i + 1,
                h.len()
            ));
        }
        t
    };
    Reply::Verbatim("txt", Bytes::from(text))
}

fn latency_graph(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let event = String::from_utf8_lossy(&args[2]).into_owned();
    let h = ctx.srv.latency.history(&event);
    if h.is_empty() {
        return Reply::Error(format!("ERR No samples available for event '{event}'").into());
    }
    let max = ctx
        .srv
        .latency
        .latest()
        .into_iter()
        .find(|l| l.0 == event)
        .map(|l| l.3)
        .unwrap_or(0);
    let hi = h.iter().map(|s| s.1).max().unwrap_or(0);
    let lo = h.iter().map(|s| s.1).min().unwrap_or(0);
    let mut t = format!(
        "{event} - high {hi} ms, low {lo} ms (all time high {max} ms)\n{}\n",
        "-".repeat(80)
    );
    // One column per sample, bar height proportional to the latency (4 rows).
    for row in (1..=4u64).rev() {
        for s in &h {
            let level = if hi == 0 { 0 } else { (s.1 * 4).div_ceil(hi) };
            t.push(if level >= row { '#' } else { ' ' });
        }
        t.push('\n');
    }
    Reply::Verbatim("txt", Bytes::from(t))
}

fn latency_histogram(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut all: Vec<std::sync::Arc<crate::command::CommandSpec>> = Vec::new();
    for c in ctx.srv.cmds.iter() {
        if c.subcommands.is_empty() {
            all.push(c.clone());
        }
        all.extend(c.subcommands.values().cloned());
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let wanted: Vec<String> = args[2..].iter().map(|a| crate::util::lower(a)).collect();
    let mut out = Vec::new();
    for c in all {
        if !wanted.is_empty() && !wanted.iter().any(|w| *w == c.name) {
            continue;
        }
        let calls = c.stats.calls.load(Ordering::Relaxed);
        if calls == 0 {
            continue;
        }
        // Cumulative counts per power-of-two bucket, up to the last non-empty one.
        let counts = c.stats.hist.counts();
        let last = counts.iter().rposition(|&n| n > 0).unwrap_or(0);
        let mut cum = 0;
        let mut buckets = Vec::new();
        for (b, n) in counts.iter().enumerate().take(last + 1) {
            cum += n;
            buckets.push((Reply::Int(1i64 << b), Reply::Int(cum as i64)));
        }
        out.push((
            Reply::bulk(&c.name),
            Reply::Map(vec![
                (Reply::bulk("calls"), Reply::Int(calls as i64)),
                (Reply::bulk("histogram_usec"), Reply::Map(buckets)),
            ]),
        ));
    }
    Reply::Map(out)
}

fn latency_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "LATENCY",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    )
}
