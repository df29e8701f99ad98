//! Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT *.
//! The VM, sandbox and conversions live in `crate::scripting`.

use crate::command::{arg, Ctx, LockMode, Registry};
use crate::resp::Reply;
use crate::scripting::{Mode, ScriptRef};
use crate::util::eq_ic;
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    // Scripts may touch keys they don't declare: they run with every shard locked.
    r.add("eval", eval, LockMode::All);
    r.add("evalsha", evalsha, LockMode::All);
    r.add("eval_ro", eval_ro, LockMode::All);
    r.add("evalsha_ro", evalsha_ro, LockMode::All);
    r.add("script|load", script_load, LockMode::None);
    r.add("script|exists", script_exists, LockMode::None);
    r.add("script|flush", script_flush, LockMode::None);
    r.add("script|kill", script_kill, LockMode::None);
    r.add("script|help", script_help, LockMode::None);
}

/// Splits `numkeys key... arg...` (args[2..]) with Redis's errors.
pub fn split_keys(args: &[Bytes]) -> Result<(&[Bytes], &[Bytes]), Reply> {
    let n = arg::int(&args[2])?;
    if n < 0 {
        return Err(Reply::err("ERR Number of keys can't be negative"));
    }
    let rest = &args[3..];
    if n as usize > rest.len() {
        return Err(Reply::err(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    Ok(rest.split_at(n as usize))
}

fn run(ctx: &mut Ctx, args: &[Bytes], by_sha: bool, mode: Mode) -> Reply {
    let (keys, argv) = match split_keys(args) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let srv = ctx.srv;
    let sha;
    let script = if by_sha {
        sha = String::from_utf8_lossy(&args[1]).into_owned();
        ScriptRef::Sha(&sha)
    } else {
        ScriptRef::Body(&args[1])
    };
    // Script effects, not the script, are propagated (call_locked feeds them).
    ctx.propagate = crate::command::Propagate::Nothing;
    // The script may run long: hand this worker's other tasks (and the accept loop, if it
    // sits in this worker's queue) to another thread, so clients keep being served
    // (-BUSY past the threshold, SCRIPT KILL) while it runs.
    let r = in_place(|| srv.scripting.eval(ctx, script, keys, argv, mode));
    ctx.propagate = crate::command::Propagate::Nothing;
    r
}

/// Runs `f` with `block_in_place` when on a multi-threaded runtime worker.
pub fn in_place<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

fn eval(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(ctx, args, false, Mode::ReadWrite)
}
fn evalsha(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(ctx, args, true, Mode::ReadWrite)
}
fn eval_ro(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(ctx, args, false, Mode::ReadOnly)
}
fn evalsha_ro(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    run(ctx, args, true, Mode::ReadOnly)
}

fn script_load(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match ctx.srv.scripting.load(&args[2]) {
        Ok(sha) => Reply::bulk(sha),
        Err(e) => e,
    }
}

fn script_exists(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Array(
        args[2..]
            .iter()
            .map(|a| Reply::Int(ctx.srv.scripting.exists(&String::from_utf8_lossy(a)) as i64))
            .collect(),
    )
}

fn script_flush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match args.get(2) {
        None => {}
        Some(a) if eq_ic(a, "async") || eq_ic(a, "sync") => {}
        Some(_) => {
            return Reply::err("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        }
    }
    if args.len() > 3 {
        return Reply::err("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    }
    ctx.srv.scripting.flush();
    Reply::OK
}

fn script_kill(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    kill(ctx, false)
}

/// SCRIPT KILL / FUNCTION KILL.
pub fn kill(ctx: &mut Ctx, function: bool) -> Reply {
    let b = &ctx.srv.scripting.busy;
    if !b.running.load(Ordering::Acquire) {
        return Reply::err("NOTBUSY No scripts in execution right now.");
    }
    if b.is_function.load(Ordering::Relaxed) != function {
        return if function {
            Reply::err("NOTBUSY No scripts in execution right now.")
        } else {
            Reply::err("NOTBUSY No scripts in execution right now.")
        };
    }
    if b.wrote.load(Ordering::Relaxed) {
        return Reply::err("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
    }
    b.kill.store(true, Ordering::Release);
    Reply::OK
}

fn script_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let lines = [
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Print this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::status(*l)).collect())
}
