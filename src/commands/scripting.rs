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
    r.add("fcall", fcall, LockMode::All);
    r.add("fcall_ro", fcall_ro, LockMode::All);
    r.add("function|load", function_load, LockMode::None);
    r.add("function|delete", function_delete, LockMode::None);
    r.add("function|flush", function_flush, LockMode::None);
    r.add("function|list", function_list, LockMode::None);
    r.add("function|stats", function_stats, LockMode::None);
    r.add("function|dump", function_dump, LockMode::None);
    r.add("function|restore", function_restore, LockMode::None);
    r.add("function|kill", function_kill, LockMode::None);
    r.add("function|help", function_help, LockMode::None);
}

fn fcall_run(ctx: &mut Ctx, args: &[Bytes], ro: bool) -> Reply {
    if crate::util::parse_i64(&args[2]).is_none() {
        return Reply::err("ERR Bad number of keys provided");
    }
    let (keys, argv) = match split_keys(args) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let srv = ctx.srv;
    ctx.propagate = crate::command::Propagate::Nothing;
    let r = srv.scripting.fcall(ctx, args, keys, argv, ro);
    ctx.propagate = crate::command::Propagate::Nothing;
    r
}

fn fcall(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    fcall_run(ctx, args, false)
}

fn fcall_ro(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    fcall_run(ctx, args, true)
}

fn function_load(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let (replace, code) = match args.len() {
        3 => (false, &args[2]),
        4 if eq_ic(&args[2], "replace") => (true, &args[3]),
        4 => {
            return Reply::Error(
                format!(
                    "ERR Unknown option given: {}",
                    String::from_utf8_lossy(&args[2])
                )
                .into(),
            )
        }
        _ => return Reply::err("ERR Function LOAD: wrong number of arguments"),
    };
    match ctx.srv.scripting.function_load(code, replace) {
        Ok(name) => {
            ctx.dirty += 1;
            Reply::bulk(name)
        }
        Err(e) => e,
    }
}

fn function_delete(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if ctx
        .srv
        .scripting
        .function_delete(&String::from_utf8_lossy(&args[2]))
    {
        ctx.dirty += 1;
        Reply::OK
    } else {
        Reply::err("ERR Library not found")
    }
}

fn function_flush(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match args.len() {
        2 => {}
        3 if eq_ic(&args[2], "async") || eq_ic(&args[2], "sync") => {}
        _ => return Reply::err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"),
    }
    ctx.srv.scripting.function_flush();
    ctx.dirty += 1;
    Reply::OK
}

fn function_list(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut withcode = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        if eq_ic(&args[i], "withcode") && !withcode {
            withcode = true;
        } else if eq_ic(&args[i], "libraryname") && pattern.is_none() {
            match args.get(i + 1) {
                Some(p) => pattern = Some(p),
                None => return Reply::err("ERR library name argument was not given"),
            }
            i += 1;
        } else {
            return Reply::Error(
                format!("ERR Unknown argument {}", String::from_utf8_lossy(&args[i])).into(),
            );
        }
        i += 1;
    }
    ctx.srv.scripting.function_list(withcode, pattern)
}

fn function_stats(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    ctx.srv.scripting.function_stats()
}

fn function_dump(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Bulk(ctx.srv.scripting.function_dump())
}

fn function_restore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    use crate::scripting::functions::Restore;
    let policy =
        match args.get(3) {
            None => Restore::Append,
            Some(p) if eq_ic(p, "flush") => Restore::Flush,
            Some(p) if eq_ic(p, "append") => Restore::Append,
            Some(p) if eq_ic(p, "replace") => Restore::Replace,
            Some(_) => return Reply::err(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ),
        };
    if args.len() > 4 {
        return Reply::err("ERR syntax error");
    }
    match ctx.srv.scripting.function_restore(&args[2], policy) {
        Ok(()) => {
            ctx.dirty += 1;
            Reply::OK
        }
        Err(e) => e,
    }
}

fn function_kill(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    kill(ctx, true)
}

fn function_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let lines = [
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::status(*l)).collect())
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
        sha = String::from_utf8_lossy(&args[1]);
        ScriptRef::Sha(&sha)
    } else {
        ScriptRef::Body(&args[1])
    };
    // Script effects, not the script, are propagated (call_locked feeds them).
    ctx.propagate = crate::command::Propagate::Nothing;
    // The connection layer decides where scripts run: inline on the worker once known to
    // be fast, else on the blocking pool (conn::run_script, workers::ScriptPlacement).
    let r = srv.scripting.eval(ctx, script, keys, argv, mode);
    ctx.propagate = crate::command::Propagate::Nothing;
    r
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
        // The other KILL is the one that applies.
        return Reply::err(b.err());
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
