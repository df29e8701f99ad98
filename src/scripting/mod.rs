//! Lua scripting: one Lua 5.1 VM (mlua, vendored), Redis's sandbox and `redis.*` API, the
//! script cache, and busy-script handling.
//!
//! A script runs with every shard locked (scripts may touch keys they did not declare), so
//! it is atomic like in Redis. Its `redis.call`s go through `dispatch::call_locked`, so
//! effects are propagated (wrapped in MULTI/EXEC) and stats are counted as for any command.
//!
//! A long script must never wedge the server: a Lua hook checks the elapsed time every few
//! thousand instructions; past `busy-reply-threshold` the script is marked busy, other
//! clients get `-BUSY` instead of waiting on a shard lock (`Locks::acquire_unless_busy`),
//! and SCRIPT KILL / SHUTDOWN NOSAVE still run.

pub mod cjson;
pub mod convert;
pub mod functions;
pub mod libs;
pub mod msgpack;
pub mod structlib;

use crate::command::Ctx;
use crate::resp::Reply;
use bytes::Bytes;
use mlua::ffi;
use mlua::{Function, HookTriggers, Lua, MultiValue, Table, Value as LuaValue, VmState};
use parking_lot::Mutex;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// State of the script currently running, shared with the Lua hook and other clients.
#[derive(Default)]
pub struct Busy {
    /// Set by the hook once the script ran past `busy-reply-threshold`. Every command on
    /// every thread reads it: alone on its cache line, away from the per-run writes.
    pub over_threshold: CacheLine<AtomicBool>,
    pub running: AtomicBool,
    pub start_ms: AtomicU64,
    pub kill: AtomicBool,
    /// The script has written: SCRIPT KILL must refuse (UNKILLABLE).
    pub wrote: AtomicBool,
    pub threshold_ms: AtomicU64,
    /// True if the running code is a FUNCTION (FUNCTION KILL) rather than EVAL.
    pub is_function: AtomicBool,
    /// While FUNCTION LOAD runs a library's top-level code: when it must have ended
    /// (Unix ms; 0 = not loading). Redis gives it 500 ms (LOAD_TIMEOUT_MS).
    pub load_deadline_ms: AtomicU64,
}

/// A value alone on its cache line.
#[derive(Default)]
#[repr(align(128))]
pub struct CacheLine<T>(pub T);

impl<T> std::ops::Deref for CacheLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl Busy {
    pub fn is_busy(&self) -> bool {
        self.over_threshold.load(Ordering::Acquire)
    }

    /// The -BUSY error for other clients: names FUNCTION KILL while a function runs.
    pub fn err(&self) -> &'static str {
        if self.is_function.load(Ordering::Relaxed) {
            BUSY_FUNCTION_ERR
        } else {
            BUSY_ERR
        }
    }
}

pub const BUSY_FUNCTION_ERR: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

pub const BUSY_ERR: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

struct Vm {
    lua: Lua,
    /// FUNCTION libraries.
    libs: functions::Libraries,
    /// sha1 (hex) -> (compiled function, body).
    scripts: HashMap<String, (Function, Bytes)>,
    /// The backing tables behind the read-only proxies (globals, redis).
    globals: Table,
    redis: Table,
}

pub struct Scripting {
    vm: Mutex<Vm>,
    pub busy: Arc<Busy>,
    /// The globals' backing table in the Lua registry (`luaL_ref`), for setting KEYS/ARGV
    /// with the raw API.
    globals_ref: i32,
    /// KEYS/ARGV are set in the globals (by an EVAL since the last FCALL cleared them).
    keys_set: AtomicBool,
}

/// How a script was invoked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// EVAL/EVALSHA: may write.
    ReadWrite,
    /// EVAL_RO/EVALSHA_RO or a `no-writes` function.
    ReadOnly,
}

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

pub fn sha1_hex(b: &[u8]) -> String {
    sha1_hex_into(b, &mut [0; 40]).to_owned()
}

/// The SHA1 of `b` in lowercase hex, written into `out`.
fn sha1_hex_into<'o>(b: &[u8], out: &'o mut [u8; 40]) -> &'o str {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in sha1_smol::Sha1::from(b).digest().bytes().iter().enumerate() {
        out[2 * i] = HEX[(byte >> 4) as usize];
        out[2 * i + 1] = HEX[(byte & 15) as usize];
    }
    std::str::from_utf8(out).expect("hex is ASCII")
}

impl Scripting {
    pub fn new() -> Scripting {
        let busy = Arc::new(Busy::default());
        let vm = new_vm(busy.clone()).expect("Lua VM setup");
        let globals_ref = unsafe {
            vm.lua.exec_raw::<i64>(&vm.globals, |l| {
                let r = ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX);
                ffi::lua_settop(l, 0);
                ffi::lua_pushinteger(l, r as _);
            })
        }
        .expect("Lua VM setup") as i32;
        Scripting {
            vm: Mutex::new(vm),
            busy,
            globals_ref,
            keys_set: AtomicBool::new(false),
        }
    }

    /// SCRIPT LOAD: compiles and caches; returns the sha.
    pub fn load(&self, body: &[u8]) -> Result<String, Reply> {
        let sha = sha1_hex(body);
        let mut vm = self.vm.lock();
        if !vm.scripts.contains_key(&sha) {
            let f = compile(&vm.lua, body)?;
            vm.scripts
                .insert(sha.clone(), (f, Bytes::copy_from_slice(body)));
        }
        Ok(sha)
    }

    pub fn exists(&self, sha: &str) -> bool {
        self.vm
            .lock()
            .scripts
            .contains_key(&sha.to_ascii_lowercase())
    }

    pub fn flush(&self) {
        let mut vm = self.vm.lock();
        vm.scripts.clear();
        let _ = vm.lua.gc_collect();
    }

    pub fn cached_scripts(&self) -> (usize, usize) {
        let vm = self.vm.lock();
        let bytes = vm.scripts.values().map(|(_, b)| b.len()).sum();
        (vm.scripts.len(), bytes)
    }

    pub fn used_memory(&self) -> usize {
        self.vm.lock().lua.used_memory()
    }

    /// Runs a cached script (`sha`) or `body` (compiled and cached first).
    pub fn eval(
        &self,
        ctx: &mut Ctx,
        sha_or_body: ScriptRef,
        keys: &[Bytes],
        argv: &[Bytes],
        mode: Mode,
    ) -> Reply {
        let mut vm = self.vm.lock();
        let mut lowered = [0u8; 40];
        let sha: &str = match sha_or_body {
            ScriptRef::Body(body) => {
                let hex = sha1_hex_into(body, &mut lowered);
                if !vm.scripts.contains_key(hex) {
                    let f = match compile(&vm.lua, body) {
                        Ok(f) => f,
                        Err(e) => return e,
                    };
                    vm.scripts
                        .insert(hex.to_string(), (f, Bytes::copy_from_slice(body)));
                }
                hex
            }
            ScriptRef::Sha(sha) => {
                // Lowercase without allocating (a SHA is 40 ASCII hex digits).
                let b = sha.as_bytes();
                if b.len() == 40 && b.is_ascii() {
                    lowered.copy_from_slice(b);
                    lowered.make_ascii_lowercase();
                    std::str::from_utf8(&lowered).unwrap_or(sha)
                } else {
                    return Reply::err(NOSCRIPT);
                }
            }
        };
        let vm = &*vm;
        let Some((func, _)) = vm.scripts.get(sha) else {
            return Reply::err(NOSCRIPT);
        };
        self.run(
            ctx,
            &vm.lua,
            &vm.globals,
            sha,
            func,
            keys,
            argv,
            mode,
            false,
            false,
        )
    }

    /// Runs a function value (EVAL body or FUNCTION callback) with the script environment.
    ///
    /// `redis.call`/`pcall`/`setresp` are registered once at VM creation; they reach this
    /// run's state through `CURRENT`, set for the duration of the run (the VM mutex, held by
    /// the caller, makes the run exclusive).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run(
        &self,
        ctx: &mut Ctx,
        lua: &Lua,
        globals: &Table,
        sha: &str,
        func: &Function,
        keys: &[Bytes],
        argv: &[Bytes],
        mode: Mode,
        is_function: bool,
        allow_oom: bool,
    ) -> Reply {
        // Redis 7's script OOM rule: whether the server was out of memory when the script
        // started decides whether its denyoom calls are refused (until it has written).
        let oom_at_start = !allow_oom && crate::memory::over_limit(ctx.srv);
        let busy = &self.busy;
        // The command's start time is the script's, except inside EXEC (where earlier
        // commands of the transaction ran since).
        let start = if ctx.in_exec {
            crate::util::now_ms()
        } else {
            ctx.now
        };
        busy.start_ms.store(start, Ordering::Relaxed);
        // Read by every command on every thread: only written when it changes.
        if busy.over_threshold.load(Ordering::Relaxed) {
            busy.over_threshold.store(false, Ordering::Relaxed);
        }
        if busy.kill.load(Ordering::Relaxed) {
            busy.kill.store(false, Ordering::Relaxed);
        }
        if busy.wrote.load(Ordering::Relaxed) {
            busy.wrote.store(false, Ordering::Relaxed);
        }
        if busy.is_function.load(Ordering::Relaxed) != is_function {
            busy.is_function.store(is_function, Ordering::Relaxed);
        }
        if cjson::IN_FUNCTION.load(Ordering::Relaxed) != is_function {
            cjson::IN_FUNCTION.store(is_function, Ordering::Relaxed);
        }
        busy.threshold_ms.store(
            ctx.srv
                .config
                .hot
                .busy_reply_threshold
                .load(Ordering::Relaxed),
            Ordering::Relaxed,
        );
        busy.running.store(true, Ordering::Release);
        let saved_db = ctx.client.db;
        let was_in_exec = ctx.in_exec;
        ctx.in_exec = true;
        let state = RefCell::new(CallState {
            ctx,
            resp: 2,
            mode,
            oom_at_start,
        });
        let prev = CURRENT.with(|c| c.replace(&state as *const RefCell<CallState> as *const ()));
        // Restores CURRENT however the run ends (a panic included): it must never point
        // at this frame's state once the frame is gone.
        struct Restore(*const ());
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(self.0));
            }
        }
        let restore = Restore(prev);
        let result = (|| {
            if is_function {
                // Functions get keys and args as parameters; no KEYS/ARGV globals.
                // Only an EVAL since the last FCALL left them there.
                if self.keys_set.swap(false, Ordering::Relaxed) {
                    unsafe {
                        lua.exec_raw::<()>(globals, |l| {
                            clear_keys_argv(l);
                            ffi::lua_settop(l, 0);
                        })?
                    };
                }
                let k = bytes_table(lua, keys)?;
                let a = bytes_table(lua, argv)?;
                func.call::<LuaValue>((k, a))
            } else {
                // Straight on the state: no protected call (a closure, i.e. garbage, per
                // run); like mlua's own table creation when no memory limit is set.
                self.keys_set.store(true, Ordering::Relaxed);
                let gref = self.globals_ref;
                let done = lua.exec_raw_lua(|raw| unsafe {
                    let l = raw.state();
                    if ffi::lua_checkstack(l, 4) == 0 {
                        return false;
                    }
                    ffi::lua_rawgeti(l, ffi::LUA_REGISTRYINDEX, gref as _);
                    ffi::lua_pushlstring(l, c"KEYS".as_ptr(), 4);
                    push_bytes_table(l, keys);
                    ffi::lua_rawset(l, -3);
                    ffi::lua_pushlstring(l, c"ARGV".as_ptr(), 4);
                    push_bytes_table(l, argv);
                    ffi::lua_rawset(l, -3);
                    ffi::lua_pop(l, 1);
                    true
                });
                if !done {
                    // No 4 free stack slots at the top level: nothing else could run.
                    return Err(mlua::Error::StackError);
                }
                func.call::<LuaValue>(())
            }
        })();
        drop(restore);
        let st = state.into_inner();
        // Booleans convert by the script's protocol (redis.setresp), as Redis does.
        let script_resp3 = st.resp >= 3;
        let ctx = st.ctx;
        ctx.client.db = saved_db;
        ctx.in_exec = was_in_exec;
        if ctx.multi_emitted && !was_in_exec {
            ctx.srv
                .propagate_effect(saved_db, &[Bytes::from_static(b"EXEC")]);
            ctx.multi_emitted = false;
        }
        busy.running.store(false, Ordering::Release);
        if busy.over_threshold.load(Ordering::Relaxed) {
            busy.over_threshold.store(false, Ordering::Release);
        }
        match result {
            Ok(v) => convert::lua_to_reply(&v, script_resp3),
            Err(e) if is_function => error_reply_in(&e, sha, "user_function"),
            Err(e) => error_reply(&e, sha),
        }
    }
}

thread_local! {
    /// The running script's `RefCell<CallState>` (type-erased), null between runs.
    static CURRENT: Cell<*const ()> = const { Cell::new(std::ptr::null()) };
}

/// Runs `f` with the running script's state; fails like a destroyed callback when no
/// script runs (a reference to `redis.call` kept past its run).
fn with_state<R>(f: impl FnOnce(&mut CallState) -> mlua::Result<R>) -> mlua::Result<R> {
    let p = CURRENT.with(|c| c.get());
    if p.is_null() {
        return Err(mlua::Error::CallbackDestructed);
    }
    // SAFETY: CURRENT points at the `RefCell<CallState>` on the stack of `Scripting::run`
    // on this thread, set only while it runs (and reset before it returns); Lua code only
    // runs while that run holds the VM mutex.
    let cell = unsafe { &*(p as *const RefCell<CallState<'_, '_>>) };
    let Ok(mut st) = cell.try_borrow_mut() else {
        return Err(mlua::Error::RecursiveMutCallback);
    };
    f(&mut st)
}

/// Pushes a new array of `items` as Lua strings.
unsafe fn push_bytes_table(l: *mut ffi::lua_State, items: &[Bytes]) {
    ffi::lua_createtable(l, items.len().min(i32::MAX as usize) as _, 0);
    for (i, b) in items.iter().enumerate() {
        ffi::lua_pushlstring(l, b.as_ptr() as *const _, b.len());
        ffi::lua_rawseti(l, -2, (i + 1) as _);
    }
}

/// Removes KEYS and ARGV from the globals table at index 1.
unsafe fn clear_keys_argv(l: *mut ffi::lua_State) {
    for name in [c"KEYS", c"ARGV"] {
        ffi::lua_pushlstring(l, name.as_ptr(), 4);
        ffi::lua_pushnil(l);
        ffi::lua_rawset(l, 1);
    }
}

impl Default for Scripting {
    fn default() -> Self {
        Self::new()
    }
}

pub enum ScriptRef<'a> {
    Body(&'a [u8]),
    Sha(&'a str),
}

/// What `redis.call` needs while a script runs.
struct CallState<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    /// The protocol of replies handed to Lua (redis.setresp).
    resp: u8,
    mode: Mode,
    /// Out of memory when the script started (and not `allow-oom`): see `memory::script_may_call`.
    oom_at_start: bool,
}

fn compile(lua: &Lua, body: &[u8]) -> Result<Function, Reply> {
    lua.load(body)
        .set_name("@user_script")
        .into_function()
        .map_err(|e| {
            let msg = match &e {
                mlua::Error::SyntaxError { message, .. } => message.clone(),
                other => other.to_string(),
            };
            Reply::Error(format!("ERR Error compiling script (new function): {msg}").into())
        })
}

fn bytes_table(lua: &Lua, items: &[Bytes]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, b) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(b)?)?;
    }
    Ok(t)
}

/// The current line of the script, for error messages (`on @user_script:N.`).
pub(crate) fn current_line(lua: &Lua) -> i64 {
    for level in 1..4 {
        if let Some(line) = lua.inspect_stack(level, |d| d.current_line()).flatten() {
            if line > 0 {
                return line as i64;
            }
        }
    }
    0
}

/// A raised error carrying a Redis error reply (from `redis.call` or `redis.error_reply`).
#[derive(Debug)]
struct RedisErr {
    msg: String,
    line: i64,
}

impl std::fmt::Display for RedisErr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for RedisErr {}

pub(crate) fn raise(lua: &Lua, msg: &str) -> mlua::Error {
    mlua::Error::external(RedisErr {
        msg: msg.to_string(),
        line: current_line(lua),
    })
}

/// `redis.call` (`raise` = true) and `redis.pcall`.
fn redis_call(
    lua: &Lua,
    st: &mut CallState,
    args: MultiValue,
    raise_errors: bool,
) -> mlua::Result<LuaValue> {
    let fail = |lua: &Lua, msg: &str| -> mlua::Result<LuaValue> {
        if raise_errors {
            Err(raise(lua, msg))
        } else {
            convert::error_table(lua, msg)
        }
    };
    if args.is_empty() {
        return fail(
            lua,
            "ERR Please specify at least one argument for this redis lib call",
        );
    }
    let mut argv: Vec<Bytes> = Vec::with_capacity(args.len());
    for a in args.iter() {
        match a {
            LuaValue::String(s) => argv.push(Bytes::copy_from_slice(&s.as_bytes())),
            LuaValue::Integer(_) | LuaValue::Number(_) => match lua.coerce_string(a.clone())? {
                Some(s) => argv.push(Bytes::copy_from_slice(&s.as_bytes())),
                None => {
                    return fail(
                        lua,
                        "ERR Lua redis lib command arguments must be strings or integers",
                    )
                }
            },
            _ => {
                return fail(
                    lua,
                    "ERR Lua redis lib command arguments must be strings or integers",
                )
            }
        }
    }
    let ctx = &mut *st.ctx;
    let srv = ctx.srv;
    let Some(cmd) = srv.cmds.get(&argv[0]) else {
        return fail(lua, "ERR Unknown Redis command called from script");
    };
    let cmd = if !cmd.subcommands.is_empty() {
        match argv
            .get(1)
            .and_then(|s| cmd.subcommands.get(&crate::util::lower(s)))
        {
            Some(s) => s,
            None => return fail(lua, "ERR Unknown Redis command called from script"),
        }
    } else {
        cmd
    };
    if !cmd.arity_ok(argv.len()) {
        return fail(
            lua,
            "ERR Wrong number of args calling Redis command from script",
        );
    }
    use crate::command::flags;
    if cmd.has(flags::NOSCRIPT) {
        return fail(lua, "ERR This Redis command is not allowed from script");
    }
    if cmd.is_write() && st.mode == Mode::ReadOnly {
        return fail(
            lua,
            "ERR Write commands are not allowed from read-only scripts.",
        );
    }
    let wrote = srv.scripting.busy.wrote.load(Ordering::Relaxed);
    if let Err(e) = crate::memory::script_may_call(srv, cmd, st.oom_at_start, wrote) {
        return fail(lua, e);
    }
    if cmd.is_write() {
        srv.scripting.busy.wrote.store(true, Ordering::Relaxed);
    }
    if srv.has_monitors.load(Ordering::Relaxed) {
        crate::server::dispatch::feed_monitors_from(srv, ctx.client.db, "lua", &argv);
    }
    let reply = crate::server::dispatch::call_locked(ctx, cmd, &argv);
    if let Reply::Error(e) = &reply {
        return fail(lua, e);
    }
    convert::reply_to_lua(lua, &reply, st.resp)
}

/// The reply for a script that ended with an error, in Redis 7's format:
/// `<error> script: <sha>, on @user_script:<line>.`
fn error_reply(e: &mlua::Error, sha: &str) -> Reply {
    error_reply_in(e, sha, "user_script")
}

/// `chunk` is `user_script` (EVAL) or `user_function` (FCALL).
pub(crate) fn error_reply_in(e: &mlua::Error, sha: &str, chunk: &str) -> Reply {
    // A redis.call error (or error_reply raised) keeps its own code.
    if let Some(re) = find_redis_err(e) {
        let code_msg = if re.msg.starts_with(|c: char| c.is_ascii_uppercase())
            && re
                .msg
                .split(' ')
                .next()
                .is_some_and(|w| w.chars().all(|c| c.is_ascii_uppercase()))
        {
            re.msg.clone()
        } else {
            format!("ERR {}", re.msg)
        };
        return Reply::Error(format!("{code_msg} script: {sha}, on @{chunk}:{}.", re.line).into());
    }
    let msg = match e {
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => return error_reply_in(cause, sha, chunk),
        mlua::Error::MemoryError(m) => m.clone(),
        other => other.to_string(),
    };
    // Runtime errors start with "user_script:N: ..."; take the line from there.
    let line = msg
        .strip_prefix(chunk)
        .and_then(|r| r.strip_prefix(':'))
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse::<i64>().ok())
        .unwrap_or(0);
    let msg = msg.lines().next().unwrap_or("").to_string();
    Reply::Error(format!("ERR {msg} script: {sha}, on @{chunk}:{line}.").into())
}

fn find_redis_err(e: &mlua::Error) -> Option<&RedisErr> {
    match e {
        mlua::Error::ExternalError(x) => x.downcast_ref::<RedisErr>(),
        mlua::Error::CallbackError { cause, .. } => find_redis_err(cause),
        mlua::Error::WithContext { cause, .. } => find_redis_err(cause),
        _ => None,
    }
}

/// Builds the VM: libraries, the `redis` table, read-only globals, the busy hook.
fn new_vm(busy: Arc<Busy>) -> mlua::Result<Vm> {
    use mlua::StdLib;
    let lua = Lua::new_with(
        StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::OS,
        mlua::LuaOptions::default(),
    )?;
    let g = lua.globals();
    // Redis keeps only os.clock (7.2) from os; no io, no loading of code or files.
    let os: Table = g.get("os")?;
    let clock: Function = os.get("clock")?;
    let new_os = lua.create_table()?;
    new_os.set("clock", clock)?;
    g.set("os", new_os)?;
    for name in ["loadfile", "dofile", "require", "module", "load"] {
        g.raw_remove(name)?;
    }
    let redis = lua.create_table()?;
    libs::install_redis_api(&lua, &redis)?;
    g.set("redis", redis.clone())?;
    libs::install(&lua, &g)?;
    // math.random on redisLrand48, seeded once at start: one continuous sequence across
    // scripts, as Redis 7 does (checked against redis-server 7.0).
    libs::install_random(&lua, &g)?;
    libs::reset_random(&lua)?;
    g.raw_remove("print")?;
    let globals = protect_globals(&lua)?;
    // redis.call/pcall/setresp: created once; they find the running script's state
    // through CURRENT (see `Scripting::run`).
    let call = lua.create_function(|lua, args: MultiValue| {
        with_state(|st| redis_call(lua, st, args, true))
    })?;
    let pcall = lua.create_function(|lua, args: MultiValue| {
        with_state(|st| redis_call(lua, st, args, false))
    })?;
    let setresp = lua.create_function(|lua, args: MultiValue| {
        with_state(|st| {
            if args.len() != 1 {
                return Err(raise(lua, "ERR redis.setresp() requires one argument."));
            }
            let n = match args[0] {
                LuaValue::Integer(i) => i,
                LuaValue::Number(n) => n as i64,
                _ => 0,
            };
            if n != 2 && n != 3 {
                return Err(raise(lua, "ERR RESP version must be 2 or 3."));
            }
            st.resp = n as u8;
            Ok(())
        })
    })?;
    redis.raw_set("call", call)?;
    redis.raw_set("pcall", pcall)?;
    redis.raw_set("setresp", setresp)?;
    let hook_busy = busy.clone();
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(10_000),
        move |_lua, debug| {
            let b = &hook_busy;
            // Lua also runs outside scripts (a library's top-level code in FUNCTION
            // LOAD): the busy state and SCRIPT KILL only concern a running script. (The
            // stale start time once left the server answering -BUSY forever.) A load
            // has its own time limit instead, as in Redis.
            if !b.running.load(Ordering::Acquire) {
                let deadline = b.load_deadline_ms.load(Ordering::Relaxed);
                if deadline != 0 && crate::util::now_ms() >= deadline {
                    return Err(mlua::Error::RuntimeError("FUNCTION LOAD timeout".into()));
                }
                return Ok(VmState::Continue);
            }
            let elapsed = crate::util::now_ms().saturating_sub(b.start_ms.load(Ordering::Relaxed));
            if elapsed >= b.threshold_ms.load(Ordering::Relaxed) {
                b.over_threshold.store(true, Ordering::Release);
            }
            if b.kill.load(Ordering::Acquire) {
                return Err(mlua::Error::external(RedisErr {
                    msg: "ERR Script killed by user with SCRIPT KILL...".into(),
                    line: debug.current_line().unwrap_or(0) as i64,
                }));
            }
            Ok(VmState::Continue)
        },
    )?;
    Ok(Vm {
        lua,
        libs: Default::default(),
        scripts: HashMap::new(),
        globals,
        redis,
    })
}

/// `make_index(real, allowed_nil, tostring)`: the `__index` of the globals proxy.
unsafe extern "C-unwind" fn make_global_index(l: *mut ffi::lua_State) -> std::ffi::c_int {
    ffi::lua_settop(l, 3);
    ffi::lua_pushcclosure(l, global_index, 3);
    1
}

/// Reading a global: `real[k]`; a missing one (not in `allowed_nil`) raises, at the
/// script's line, "Script attempted to access nonexistent global variable 'k'".
unsafe extern "C-unwind" fn global_index(l: *mut ffi::lua_State) -> std::ffi::c_int {
    ffi::lua_settop(l, 2);
    ffi::lua_pushvalue(l, 2);
    ffi::lua_rawget(l, ffi::lua_upvalueindex(1));
    if ffi::lua_type(l, -1) != ffi::LUA_TNIL {
        return 1;
    }
    ffi::lua_pushvalue(l, 2);
    ffi::lua_rawget(l, ffi::lua_upvalueindex(2));
    if ffi::lua_toboolean(l, -1) != 0 {
        ffi::lua_pushnil(l);
        return 1;
    }
    ffi::lua_settop(l, 2);
    // Level 1: the script that read the global (as `error(msg, 2)` from a Lua __index).
    ffi::luaL_where(l, 1);
    ffi::lua_pushstring(
        l,
        c"Script attempted to access nonexistent global variable '".as_ptr(),
    );
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(3));
    ffi::lua_pushvalue(l, 2);
    ffi::lua_call(l, 1, 1);
    ffi::lua_pushstring(l, c"'".as_ptr());
    ffi::lua_concat(l, 4);
    ffi::lua_error(l)
}

/// Makes the global table and the library tables read-only, as Redis 7 does: assigning a
/// global fails ("Attempt to modify a readonly table" for existing names, "Script attempted
/// to create global variable" for new ones) and reading an undefined one fails.
/// Returns the backing table of the globals (KEYS/ARGV are set there from Rust).
fn protect_globals(lua: &Lua) -> mlua::Result<Table> {
    let setup: Function = lua
        .load(
            r#"
            local make_index = ...
            local rawset, rawget, setmetatable, pairs, error, tostring, type, ipairs =
                rawset, rawget, setmetatable, pairs, error, tostring, type, ipairs
            local G = _G
            local real = {}
            for k, v in pairs(_G) do real[k] = v end
            local allowed_nil = { loadstring = true, load = true, __redis__compat = true }
            -- Redis 7 doesn't expose these.
            for _, n in ipairs({"getfenv", "setfenv", "newproxy"}) do real[n] = nil end
            local protected = { G }
            local function readonly(t)
                local proxy = {}
                setmetatable(proxy, {
                    __index = t,
                    __newindex = function() error("Attempt to modify a readonly table", 2) end,
                    __metatable = false,
                })
                protected[#protected + 1] = proxy
                return proxy
            end
            for _, lib in ipairs({"string", "table", "math", "os", "redis", "cjson", "cmsgpack", "bit", "struct"}) do
                if type(real[lib]) == "table" then real[lib] = readonly(real[lib]) end
            end
            real._G = G
            -- String methods resolve through the (read-only) string library, as in Redis.
            getmetatable("").__index = real.string
            -- error({err = "CODE msg"}) ends the script with that error reply.
            local lua_error, raise_table = error, raise_table
            real.raise_table = nil
            real.error = function(e, lvl)
                if type(e) == "table" and type(rawget(e, "err")) == "string" then
                    raise_table(rawget(e, "err"))
                end
                if lvl == nil then lvl = 1 end
                if lvl > 0 then lvl = lvl + 1 end
                lua_error(e, lvl)
            end
            local mt = {
                -- In C (`global_index`): every global read of a script goes through it.
                __index = make_index(real, allowed_nil, tostring),
                __newindex = function(_, k, v)
                    -- Redis 7 makes the globals table read-only: creating a global fails
                    -- the same way as overwriting one.
                    error("Attempt to modify a readonly table", 2)
                end,
                __metatable = readonly({}),
            }
            local names = {}
            for k in pairs(G) do names[#names + 1] = k end
            for _, k in ipairs(names) do rawset(G, k, nil) end
            setmetatable(G, mt)
            return real, protected
            "#,
        )
        .set_name("=protect")
        .into_function()?;
    let raise_table = lua.create_function(|lua, msg: mlua::String| -> mlua::Result<()> {
        // Level 2: the script line that called error() (level 1 is the error wrapper).
        let line = lua
            .inspect_stack(2, |d| d.current_line())
            .flatten()
            .unwrap_or(0) as i64;
        Err(mlua::Error::external(RedisErr {
            msg: msg.to_string_lossy().to_string(),
            line,
        }))
    })?;
    lua.globals().raw_set("raise_table", raise_table)?;
    let make_index = unsafe { lua.create_c_function(make_global_index)? };
    let (real, protected): (Table, Table) = setup.call(make_index)?;
    // rawset/setmetatable can't touch the globals or the library tables (Redis 7 makes
    // them read-only inside the VM).
    let ptrs: Vec<usize> = protected
        .sequence_values::<Table>()
        .filter_map(|t| t.ok())
        .map(|t| t.to_pointer() as usize)
        .collect();
    let ptrs = std::sync::Arc::new(ptrs);
    for name in ["rawset", "setmetatable"] {
        let orig: Function = real.raw_get(name)?;
        let ptrs = ptrs.clone();
        let f = lua.create_function(move |lua, args: MultiValue| {
            if let Some(LuaValue::Table(t)) = args.front() {
                if ptrs.contains(&(t.to_pointer() as usize)) {
                    return Err(raise(lua, "Attempt to modify a readonly table"));
                }
            }
            orig.call::<MultiValue>(args)
        })?;
        real.raw_set(name, f)?;
    }
    // The `redis` table seen by scripts is a read-only proxy; Rust keeps the real one.
    Ok(real)
}
