//! INFO: Redis 7.2's sections and field names, so monitoring tools and client libraries that
//! parse INFO keep working. Fields for features Tessera doesn't have (forks, AOF rewrite,
//! replicas, defrag...) are reported with the values an idle Redis shows.

use crate::command::Ctx;
use crate::resp::Reply;
use crate::server::Server;
use bytes::Bytes;
use std::fmt::Write;
use std::sync::atomic::Ordering;

/// Sections in output order, and whether `INFO` without arguments (`default`) includes them.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

pub fn info(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut wanted: Vec<&str> = Vec::new();
    if args.len() == 1 {
        wanted = SECTIONS.iter().filter(|s| s.1).map(|s| s.0).collect();
    }
    for a in &args[1..] {
        let l = crate::util::lower(a);
        match l.as_str() {
            "default" => wanted.extend(SECTIONS.iter().filter(|s| s.1).map(|s| s.0)),
            "all" | "everything" => wanted.extend(SECTIONS.iter().map(|s| s.0)),
            s => {
                if let Some((name, _)) = SECTIONS.iter().find(|(n, _)| *n == s) {
                    wanted.push(name);
                }
            }
        }
    }
    // Keyspace counts go through Ctx: inside EXEC the shards are already locked by this
    // connection (locking them again would deadlock).
    let mut keyspace = Vec::new();
    if wanted.contains(&"keyspace") {
        let ndbs = ctx.srv.store.ndbs();
        // (keys, expires, sum of avg_ttl x volatile keys over shards)
        let mut counts = vec![(0usize, 0usize, 0u128); ndbs];
        ctx.for_each_shard(|shard| {
            for (db, c) in counts.iter_mut().enumerate() {
                let part = &shard.dbs[db];
                c.0 += part.len();
                c.1 += part.volatile;
                c.2 += part.avg_ttl as u128 * part.volatile as u128;
            }
        });
        keyspace = counts
            .into_iter()
            .map(|(keys, expires, w)| (keys, expires, (w / expires.max(1) as u128) as u64))
            .collect();
    }
    let text = render(ctx.srv, &wanted, &keyspace);
    Reply::Verbatim("txt", Bytes::from(text))
}

/// Renders the requested sections (in Redis's order, each once).
/// `keyspace`: (keys, keys with an expiry) per database.
pub fn render(srv: &Server, wanted: &[&str], keyspace: &[(usize, usize, u64)]) -> String {
    let mut out = String::new();
    for (name, _) in SECTIONS {
        if !wanted.contains(name) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let title = match *name {
            "cpu" => "CPU".to_string(),
            n => {
                let mut c = n.chars();
                let f = c.next().unwrap().to_ascii_uppercase();
                format!("{f}{}", c.as_str())
            }
        };
        let _ = write!(out, "# {title}\r\n");
        let mut body = String::new();
        match *name {
            "server" => server(srv, &mut body),
            "clients" => clients(srv, &mut body),
            "memory" => memory(srv, &mut body),
            "persistence" => persistence(srv, &mut body),
            "stats" => stats(srv, &mut body),
            "replication" => replication(srv, &mut body),
            "cpu" => cpu(&mut body),
            "commandstats" => commandstats(srv, &mut body),
            "errorstats" => errorstats(srv, &mut body),
            "latencystats" => latencystats(srv, &mut body),
            "cluster" => body.push_str("cluster_enabled:0\n"),
            "keyspace" => keyspace_section(keyspace, &mut body),
            _ => {}
        }
        for line in body.lines() {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out
}

/// Bytes in Redis's human form (`bytesToHuman`): 992.59K, 1.00M, 0B.
pub fn human(n: u64) -> String {
    let d = n as f64;
    const K: f64 = 1024.0;
    if d < K {
        format!("{n}B")
    } else if d < K * K {
        format!("{:.2}K", d / K)
    } else if d < K * K * K {
        format!("{:.2}M", d / K / K)
    } else if d < K * K * K * K {
        format!("{:.2}G", d / K / K / K)
    } else if d < K * K * K * K * K {
        format!("{:.2}T", d / K / K / K / K)
    } else {
        format!("{:.2}P", d / K / K / K / K / K)
    }
}

fn server(srv: &Server, o: &mut String) {
    let uptime = srv.uptime_secs();
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let config_file = srv
        .config
        .file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let hz = srv.config.hot.hz.load(Ordering::Relaxed);
    let os = uname();
    let _ = write!(
        o,
        "redis_version:{ver}\n\
         redis_git_sha1:00000000\n\
         redis_git_dirty:0\n\
         redis_build_id:0\n\
         redis_mode:standalone\n\
         tessera_version:{tver}\n\
         os:{os}\n\
         arch_bits:64\n\
         monotonic_clock:POSIX clock_gettime\n\
         multiplexing_api:epoll\n\
         atomicvar_api:c11-builtin\n\
         gcc_version:0.0.0\n\
         process_id:{pid}\n\
         process_supervised:no\n\
         run_id:{run_id}\n\
         tcp_port:{port}\n\
         server_time_usec:{now_us}\n\
         uptime_in_seconds:{uptime}\n\
         uptime_in_days:{days}\n\
         hz:{hz}\n\
         configured_hz:{hz}\n\
         lru_clock:{lru}\n\
         executable:{exe}\n\
         config_file:{config_file}\n\
         io_threads_active:{io_active}\n",
        io_active = (crate::server::workers::active() > 1) as u8,
        ver = super::connection::REDIS_VERSION,
        tver = env!("CARGO_PKG_VERSION"),
        pid = std::process::id(),
        run_id = srv.run_id,
        port = srv.port.load(Ordering::Relaxed),
        now_us = crate::util::now_us(),
        days = uptime / 86400,
        lru = crate::store::lru_clock(),
    );
}

fn uname() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "{} {} {}",
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    )
}

fn clients(srv: &Server, o: &mut String) {
    let clients: Vec<_> = srv.clients.lock().values().cloned().collect();
    let connected = clients.len();
    let pubsub = clients
        .iter()
        .filter(|c| c.kind_pubsub.load(Ordering::Relaxed))
        .count();
    let max_in = clients
        .iter()
        .map(|c| c.qbuf.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    let max_out = clients
        .iter()
        .map(|c| c.omem.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    let _ = write!(
        o,
        "connected_clients:{connected}\n\
         cluster_connections:0\n\
         maxclients:{}\n\
         client_recent_max_input_buffer:{max_in}\n\
         client_recent_max_output_buffer:{max_out}\n\
         blocked_clients:{}\n\
         tracking_clients:0\n\
         pubsub_clients:{pubsub}\n\
         watching_clients:0\n\
         clients_in_timeout_table:0\n\
         total_watched_keys:0\n\
         total_blocking_keys:0\n\
         total_blocking_keys_on_nokey:0\n",
        srv.config.hot.maxclients.load(Ordering::Relaxed),
        srv.stats.blocked_clients.load(Ordering::Relaxed),
    );
}

/// (allocated, active, resident) bytes from jemalloc.
pub fn jemalloc_stats() -> (u64, u64, u64) {
    use tikv_jemalloc_ctl::{epoch, stats};
    let _ = epoch::advance();
    (
        stats::allocated::read().unwrap_or(0) as u64,
        stats::active::read().unwrap_or(0) as u64,
        stats::resident::read().unwrap_or(0) as u64,
    )
}

/// Resident set size from /proc/self/statm.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|x| x.parse::<u64>().ok())
        })
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// The memory section: `crate::memory::info_fields` (accounting and eviction), plus the
/// scripting lines in Redis's place.
fn memory(srv: &Server, o: &mut String) {
    for (k, v) in crate::memory::info_fields(srv) {
        let _ = writeln!(o, "{k}:{v}");
        if k == "total_system_memory_human" {
            o.push_str(
                "used_memory_lua:0\n\
                 used_memory_vm_eval:0\n\
                 used_memory_lua_human:0B\n\
                 used_memory_scripts_eval:0\n\
                 number_of_cached_scripts:0\n\
                 number_of_functions:0\n\
                 number_of_libraries:0\n\
                 used_memory_vm_functions:0\n\
                 used_memory_vm_total:0\n\
                 used_memory_vm_total_human:0B\n\
                 used_memory_functions:0\n\
                 used_memory_scripts:0\n\
                 used_memory_scripts_human:0B\n",
            );
        }
    }
}

fn persistence(srv: &Server, o: &mut String) {
    let _ = write!(
        o,
        "loading:0\n\
         async_loading:0\n\
         current_cow_peak:0\n\
         current_cow_size:0\n\
         current_cow_size_age:0\n\
         current_fork_perc:0.00\n\
         current_save_keys_processed:0\n\
         current_save_keys_total:0\n\
         rdb_changes_since_last_save:{}\n\
         rdb_bgsave_in_progress:0\n\
         rdb_last_save_time:{}\n\
         rdb_last_bgsave_status:ok\n\
         rdb_last_bgsave_time_sec:-1\n\
         rdb_current_bgsave_time_sec:-1\n\
         rdb_saves:0\n\
         rdb_last_cow_size:0\n\
         rdb_last_load_keys_expired:0\n\
         rdb_last_load_keys_loaded:0\n\
         aof_enabled:{}\n\
         aof_rewrite_in_progress:0\n\
         aof_rewrite_scheduled:0\n\
         aof_last_rewrite_time_sec:-1\n\
         aof_current_rewrite_time_sec:-1\n\
         aof_last_bgrewrite_status:ok\n\
         aof_rewrites:0\n\
         aof_rewrites_consecutive_failures:0\n\
         aof_last_write_status:ok\n\
         aof_last_cow_size:0\n\
         module_fork_in_progress:0\n\
         module_fork_last_cow_size:0\n",
        srv.dirty.load(Ordering::Relaxed),
        srv.lastsave.load(Ordering::Relaxed),
        if srv.config.get_bool("appendonly") {
            1
        } else {
            0
        },
    );
}

fn stats(srv: &Server, o: &mut String) {
    let s = &srv.stats;
    // Works for atomics and striped `Counter`s alike.
    macro_rules! g {
        ($e:expr) => {
            $e.load(Ordering::Relaxed)
        };
    }
    let _ = write!(
        o,
        "total_connections_received:{}\n\
         total_commands_processed:{}\n\
         instantaneous_ops_per_sec:{}\n\
         total_net_input_bytes:{}\n\
         total_net_output_bytes:{}\n\
         total_net_repl_input_bytes:0\n\
         total_net_repl_output_bytes:0\n\
         instantaneous_input_kbps:0.00\n\
         instantaneous_output_kbps:0.00\n\
         instantaneous_input_repl_kbps:0.00\n\
         instantaneous_output_repl_kbps:0.00\n\
         rejected_connections:{}\n\
         sync_full:0\n\
         sync_partial_ok:0\n\
         sync_partial_err:0\n\
         expired_keys:{}\n\
         expired_stale_perc:{:.2}\n\
         expired_time_cap_reached_count:0\n\
         expire_cycle_cpu_milliseconds:0\n\
         evicted_keys:{}\n\
         evicted_clients:0\n\
         total_eviction_exceeded_time:0\n\
         current_eviction_exceeded_time:0\n\
         keyspace_hits:{}\n\
         keyspace_misses:{}\n\
         pubsub_channels:{}\n\
         pubsub_patterns:{}\n\
         pubsubshard_channels:{}\n\
         latest_fork_usec:0\n\
         total_forks:0\n\
         migrate_cached_sockets:0\n\
         slave_expires_tracked_keys:0\n\
         active_defrag_hits:0\n\
         active_defrag_misses:0\n\
         active_defrag_key_hits:0\n\
         active_defrag_key_misses:0\n\
         total_active_defrag_time:0\n\
         current_active_defrag_time:0\n\
         tracking_total_keys:0\n\
         tracking_total_items:0\n\
         tracking_total_prefixes:0\n\
         unexpected_error_replies:{}\n\
         total_error_replies:{}\n\
         dump_payload_sanitizations:0\n\
         total_reads_processed:0\n\
         total_writes_processed:0\n\
         io_threaded_reads_processed:0\n\
         io_threaded_writes_processed:0\n\
         client_query_buffer_limit_disconnections:{}\n\
         client_output_buffer_limit_disconnections:{}\n\
         reply_buffer_shrinks:0\n\
         reply_buffer_expands:0\n\
         eventloop_cycles:0\n\
         eventloop_duration_sum:0\n\
         eventloop_duration_cmd_sum:0\n\
         instantaneous_eventloop_cycles_per_sec:0\n\
         instantaneous_eventloop_duration_usec:0\n\
         acl_access_denied_auth:0\n\
         acl_access_denied_cmd:0\n\
         acl_access_denied_key:0\n\
         acl_access_denied_channel:0\n",
        g!(s.total_connections_received),
        g!(s.total_commands_processed),
        g!(s.ops_sec),
        g!(s.net_input_bytes),
        g!(s.net_output_bytes),
        g!(s.rejected_connections),
        g!(s.expired_keys),
        g!(s.expired_stale_perc) as f64 / 100.0,
        g!(s.evicted_keys),
        g!(s.keyspace_hits),
        g!(s.keyspace_misses),
        srv.pubsub.num_channels(false),
        srv.pubsub.numpat(),
        srv.pubsub.num_channels(true),
        g!(s.unexpected_error_replies),
        g!(s.total_error_replies),
        g!(s.client_query_buffer_limit_disconnections),
        g!(s.client_output_buffer_limit_disconnections),
    );
}

fn replication(srv: &Server, o: &mut String) {
    let _ = write!(
        o,
        "role:master\n\
         connected_slaves:0\n\
         master_failover_state:no-failover\n\
         master_replid:{}\n\
         master_replid2:0000000000000000000000000000000000000000\n\
         master_repl_offset:0\n\
         second_repl_offset:-1\n\
         repl_backlog_active:0\n\
         repl_backlog_size:{}\n\
         repl_backlog_first_byte_offset:0\n\
         repl_backlog_histlen:0\n",
        srv.replid.lock(),
        srv.config.get("repl-backlog-size"),
    );
}

/// (user, system) CPU seconds of the process (`who` = RUSAGE_SELF/CHILDREN/THREAD).
fn rusage(who: i32) -> (f64, f64) {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(who, &mut ru) != 0 {
            return (0.0, 0.0);
        }
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        (t(ru.ru_utime), t(ru.ru_stime))
    }
}

fn cpu(o: &mut String) {
    let (u, s) = rusage(libc::RUSAGE_SELF);
    let (cu, cs) = rusage(libc::RUSAGE_CHILDREN);
    let (tu, ts) = rusage(libc::RUSAGE_THREAD);
    let _ = write!(
        o,
        "used_cpu_sys:{s:.6}\n\
         used_cpu_user:{u:.6}\n\
         used_cpu_sys_children:{cs:.6}\n\
         used_cpu_user_children:{cu:.6}\n\
         used_cpu_sys_main_thread:{ts:.6}\n\
         used_cpu_user_main_thread:{tu:.6}\n"
    );
}

fn commandstats(srv: &Server, o: &mut String) {
    let mut all: Vec<std::sync::Arc<crate::command::CommandSpec>> = Vec::new();
    for c in srv.cmds.iter() {
        all.push(c.clone());
        all.extend(c.subcommands.values().cloned());
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    for c in all {
        let calls = c.stats.calls.load(Ordering::Relaxed);
        let rejected = c.stats.rejected.load(Ordering::Relaxed);
        let failed = c.stats.failed.load(Ordering::Relaxed);
        if calls == 0 && rejected == 0 && failed == 0 {
            continue;
        }
        let usec = c.stats.usec.load(Ordering::Relaxed);
        let per = if calls == 0 {
            0.0
        } else {
            usec as f64 / calls as f64
        };
        let _ = writeln!(
            o,
            "cmdstat_{}:calls={calls},usec={usec},usec_per_call={per:.2},rejected_calls={rejected},failed_calls={failed}",
            c.name
        );
    }
}

/// `latency_percentiles_usec_<cmd>:p50=..,p99=..,p99.9=..` from the per-command
/// power-of-two histograms (so each percentile is its bucket's upper bound).
fn latencystats(srv: &Server, o: &mut String) {
    if !srv.config.get_bool("latency-tracking") {
        return;
    }
    let percentiles: Vec<f64> = srv
        .config
        .get("latency-tracking-info-percentiles")
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    let mut all: Vec<std::sync::Arc<crate::command::CommandSpec>> = Vec::new();
    for c in srv.cmds.iter() {
        all.push(c.clone());
        all.extend(c.subcommands.values().cloned());
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    for c in all {
        let counts = c.stats.hist.counts();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            continue;
        }
        let mut parts = Vec::new();
        for p in &percentiles {
            let want = ((p / 100.0) * total as f64).ceil().max(1.0) as u64;
            let mut cum = 0;
            let mut bound = 0u64;
            for (b, n) in counts.iter().enumerate() {
                cum += n;
                if cum >= want {
                    bound = 1 << b;
                    break;
                }
            }
            let name = crate::resp::format_double(*p);
            parts.push(format!("p{name}={bound}.000"));
        }
        let _ = writeln!(o, "latency_percentiles_usec_{}:{}", c.name, parts.join(","));
    }
}

fn errorstats(srv: &Server, o: &mut String) {
    let mut errs: Vec<(String, u64)> = srv
        .stats
        .errors
        .lock()
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    errs.sort();
    for (k, v) in errs {
        let _ = writeln!(o, "errorstat_{k}:count={v}");
    }
}

/// Per database: keys, keys with an expiry, and the shards' avg_ttl estimates weighted by
/// their keys with an expiry.
fn keyspace_section(counts: &[(usize, usize, u64)], o: &mut String) {
    for (db, (keys, expires, avg_ttl)) in counts.iter().enumerate() {
        if *keys > 0 {
            let _ = writeln!(o, "db{db}:keys={keys},expires={expires},avg_ttl={avg_ttl}");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human() {
        assert_eq!(super::human(0), "0B");
        assert_eq!(super::human(1023), "1023B");
        assert_eq!(super::human(1024), "1.00K");
        assert_eq!(super::human(1016416), "992.59K");
        assert_eq!(super::human(1 << 30), "1.00G");
    }
}
