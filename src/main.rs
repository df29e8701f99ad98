//! `tessera [config-file] [--param value ...]`: starts like redis-server.

use clap::Parser;
use std::sync::Arc;
use tessera::config::{args_to_config_text, Config};
use tessera::server::{self, log, Server};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A Redis-compatible, multi-threaded server.
#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "A Redis-compatible, multi-threaded server",
    after_help = "Examples:\n  tessera                          (127.0.0.1:6379, no config file)\n  tessera /etc/redis/6379.conf\n  tessera --port 7777\n  tessera /etc/myredis.conf --loglevel verbose --maxmemory 1gb\n  tessera --save '' --appendonly no"
)]
struct Cli {
    /// An optional redis.conf-style config file (or `-` to read it from stdin), followed by
    /// `--param value` pairs that override it, with redis.conf parameter names.
    #[arg(allow_hyphen_values = true, trailing_var_arg = true, num_args = 0..)]
    args: Vec<String>,
}

fn main() {
    // `-v`/`--version` as redis-server prints it (tools parse `v=`).
    if let Some(a) = std::env::args().nth(1) {
        if a == "-v" || a == "--version" {
            println!(
                "Tessera server v={} sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=0 (Redis {} compatible)",
                env!("CARGO_PKG_VERSION"),
                tessera::commands::connection::REDIS_VERSION
            );
            return;
        }
    }
    let cli = Cli::parse();
    let mut config = Config::new();
    let mut rest: &[String] = &cli.args;
    if let Some(first) = rest.first() {
        if !first.starts_with("--") {
            let text = if first == "-" {
                let mut s = String::new();
                let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut s);
                s
            } else {
                match std::fs::read_to_string(first) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("Fatal error, can't open config file '{first}': {e}");
                        std::process::exit(1);
                    }
                }
            };
            if first != "-" {
                config.file = std::fs::canonicalize(first).ok();
            }
            if let Err(e) = config.load_text(&text, first, 0) {
                eprintln!("{e}");
                std::process::exit(1);
            }
            rest = &rest[1..];
        }
    }
    if !rest.is_empty() {
        if let Some(bad) = rest
            .iter()
            .find(|a| !a.starts_with("--"))
            .filter(|_| !rest[0].starts_with("--"))
        {
            eprintln!("Invalid argument '{bad}'");
            std::process::exit(1);
        }
        let text = args_to_config_text(rest);
        if let Err(e) = config.load_text(&text, "command line", 0) {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
    server::logger::set_level(&config.get("loglevel"));
    let logfile = config.get("logfile");
    if !logfile.is_empty() {
        if let Err(e) = server::logger::set_file(&logfile) {
            eprintln!("Can't open the log file: {e}");
            std::process::exit(1);
        }
    }
    let dir = config.get("dir");
    if !dir.is_empty() {
        if let Err(e) = std::env::set_current_dir(&dir) {
            eprintln!("Can't chdir to '{dir}': {e}");
            std::process::exit(1);
        }
    }
    // Detach after the log file and directory checks, so their errors still reach the
    // terminal (Redis checks them while loading the config, before daemonizing).
    let daemonize = config.get_bool("daemonize");
    if daemonize {
        daemonize_process();
    }
    let threads = match config.get_i64("io-threads") {
        1 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
        n => n as usize,
    };
    log('#', "oO0OoO0OoO0Oo Tessera is starting oO0OoO0OoO0Oo");
    log(
        '#',
        &format!(
            "Tessera version={}, bits=64, pid={}, just started",
            env!("CARGO_PKG_VERSION"),
            std::process::id()
        ),
    );
    if config.file.is_none() {
        log('#', "Warning: no config file specified, using the default config. In order to specify a config file use tessera /path/to/redis.conf");
    } else {
        log('#', "Configuration loaded");
    }
    // Like Redis: a daemon without a pidfile setting uses the default path.
    let mut pidfile = config.get("pidfile");
    if pidfile.is_empty() && daemonize {
        pidfile = "/var/run/redis.pid".into();
    }
    let pidfile_written = !pidfile.is_empty() && write_pidfile(&pidfile);
    let port = config.get_i64("port");
    let srv = Arc::new(Server::new(config));
    log(
        '*',
        &format!(
            "Running mode=standalone, port={port}, threads={threads}, shards={}.",
            srv.store.nshards()
        ),
    );
    // Connections run on `threads` single-threaded workers (server/workers.rs); the main
    // runtime keeps the accept loops, the cron and signal handling.
    server::workers::start(threads);
    let rt = tokio::runtime::Builder::new_current_thread()
        .thread_stack_size(server::workers::STACK_SIZE)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = rt.block_on(server::run(srv));
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    if pidfile_written {
        log('#', "Removing the pid file.");
        let _ = std::fs::remove_file(&pidfile);
    }
    std::process::exit(code);
}

/// Detaches like Redis's daemonize(): fork (the parent exits 0), new session, standard
/// streams to /dev/null. Runs before any thread is started.
fn daemonize_process() {
    // SAFETY: single-threaded at this point; fork/setsid/open/dup2 have no Rust-side
    // invariants to break.
    unsafe {
        match libc::fork() {
            -1 => {
                eprintln!("Can't fork: {}", std::io::Error::last_os_error());
                std::process::exit(1);
            }
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if fd != -1 {
            libc::dup2(fd, 0);
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
}

/// Writes the pid file; a failure is logged, not fatal (as in Redis).
fn write_pidfile(path: &str) -> bool {
    match std::fs::write(path, format!("{}\n", std::process::id())) {
        Ok(()) => true,
        Err(e) => {
            log('#', &format!("Failed to write PID file: {e}"));
            false
        }
    }
}
