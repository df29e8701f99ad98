//! Per-connection client state, and the shared view of it that CLIENT LIST/KILL and INFO use.

use parking_lot::Mutex;
use std::sync::atomic::{
    AtomicBool, AtomicI64, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
use std::sync::Arc;
use tokio::sync::Notify;

/// What other connections may see of or do to a client (CLIENT LIST, CLIENT KILL, ...).
pub struct ClientInfo {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i64,
    pub created_ms: u64,
    pub last_interaction_ms: AtomicU64,
    pub name: Mutex<Option<String>>,
    pub lib_name: Mutex<Option<String>>,
    pub lib_ver: Mutex<Option<String>>,
    pub db: AtomicUsize,
    pub proto: AtomicU8,
    /// The last command run (CLIENT LIST `cmd`): a pointer into the command table, which
    /// lives as long as the server, so recording it costs one relaxed store.
    pub last_cmd: AtomicPtr<crate::command::CommandSpec>,
    pub sub_channels: AtomicUsize,
    pub sub_patterns: AtomicUsize,
    pub sub_shard_channels: AtomicUsize,
    pub multi: AtomicI64,
    pub qbuf: AtomicUsize,
    pub obuf: AtomicUsize,
    pub omem: AtomicUsize,
    pub blocked: AtomicBool,
    pub monitor: AtomicBool,
    pub no_evict: AtomicBool,
    pub no_touch: AtomicBool,
    pub kind_pubsub: AtomicBool,
    /// Set by CLIENT KILL (and the server on shutdown); the connection closes when it sees it.
    pub killed: AtomicBool,
    pub kill_notify: Notify,
    /// The connection's push channel, for waking its idle loop when killed (an empty
    /// message), so that loop needn't also wait on `kill_notify` for every request.
    pub wake: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<bytes::Bytes>>,
    /// CLIENT UNBLOCK: 1 = timeout, 2 = error.
    pub unblock: AtomicU8,
    pub unblock_notify: Notify,
    pub tot_cmds: AtomicU64,
    pub user: String,
    /// The worker serving the connection, and where the balancer asks it to move
    /// (`workers::STAY`: nowhere).
    pub worker: AtomicUsize,
    pub move_to: AtomicUsize,
    /// Placed by DEBUG WORKER: the balancer leaves it where it is.
    pub pinned: AtomicBool,
}

impl ClientInfo {
    pub fn new(id: u64, addr: String, laddr: String, fd: i64) -> ClientInfo {
        let now = crate::util::now_ms();
        ClientInfo {
            id,
            addr,
            laddr,
            fd,
            created_ms: now,
            last_interaction_ms: AtomicU64::new(now),
            name: Mutex::new(None),
            lib_name: Mutex::new(None),
            lib_ver: Mutex::new(None),
            db: AtomicUsize::new(0),
            proto: AtomicU8::new(2),
            last_cmd: AtomicPtr::new(std::ptr::null_mut()),
            sub_channels: AtomicUsize::new(0),
            sub_patterns: AtomicUsize::new(0),
            sub_shard_channels: AtomicUsize::new(0),
            multi: AtomicI64::new(-1),
            qbuf: AtomicUsize::new(0),
            obuf: AtomicUsize::new(0),
            omem: AtomicUsize::new(0),
            blocked: AtomicBool::new(false),
            monitor: AtomicBool::new(false),
            no_evict: AtomicBool::new(false),
            no_touch: AtomicBool::new(false),
            kind_pubsub: AtomicBool::new(false),
            killed: AtomicBool::new(false),
            kill_notify: Notify::new(),
            wake: std::sync::OnceLock::new(),
            unblock: AtomicU8::new(0),
            unblock_notify: Notify::new(),
            tot_cmds: AtomicU64::new(0),
            worker: AtomicUsize::new(0),
            move_to: AtomicUsize::new(super::workers::STAY),
            pinned: AtomicBool::new(false),
            user: "default".into(),
        }
    }

    /// Records the command being run (see `last_cmd`).
    #[inline]
    pub fn set_last_cmd(&self, cmd: &crate::command::CommandSpec) {
        self.last_cmd
            .store(cmd as *const _ as *mut _, Ordering::Relaxed);
    }

    pub fn last_cmd_name(&self) -> String {
        let p = self.last_cmd.load(Ordering::Relaxed);
        if p.is_null() {
            return "NULL".into();
        }
        // SAFETY: `p` points into the command table, which is built once at startup and
        // owned by the Server for its whole life; entries are never removed or moved
        // (they are behind Arcs held by the table).
        unsafe { (*p).name.clone() }
    }

    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.kill_notify.notify_one();
        if let Some(tx) = self.wake.get() {
            let _ = tx.send(bytes::Bytes::new());
        }
    }

    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    /// Redis's CLIENT LIST `flags` field.
    pub fn flags(&self) -> String {
        let mut f = String::new();
        if self.monitor.load(Ordering::Relaxed) {
            f.push('O');
        }
        if self.kind_pubsub.load(Ordering::Relaxed) {
            f.push('P');
        }
        if self.multi.load(Ordering::Relaxed) >= 0 {
            f.push('x');
        }
        if self.blocked.load(Ordering::Relaxed) {
            f.push('b');
        }
        if self.no_evict.load(Ordering::Relaxed) {
            f.push('e');
        }
        if self.no_touch.load(Ordering::Relaxed) {
            f.push('T');
        }
        if f.is_empty() {
            f.push('N');
        }
        f
    }

    /// One line of CLIENT LIST / CLIENT INFO, with Redis 7.2's fields.
    pub fn describe(&self, now_ms: u64) -> String {
        let name = self.name.lock().clone().unwrap_or_default();
        let age = now_ms.saturating_sub(self.created_ms) / 1000;
        let idle = now_ms.saturating_sub(self.last_interaction_ms.load(Ordering::Relaxed)) / 1000;
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp={} obl={} oll=0 omem={} tot-mem={} events=r cmd={} user={} redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            name,
            age,
            idle,
            self.flags(),
            self.db.load(Ordering::Relaxed),
            self.sub_channels.load(Ordering::Relaxed),
            self.sub_patterns.load(Ordering::Relaxed),
            self.sub_shard_channels.load(Ordering::Relaxed),
            self.multi.load(Ordering::Relaxed),
            self.qbuf.load(Ordering::Relaxed),
            0,
            0,
            16384,
            1024,
            self.obuf.load(Ordering::Relaxed),
            self.omem.load(Ordering::Relaxed),
            self.qbuf.load(Ordering::Relaxed) + self.omem.load(Ordering::Relaxed) + 1024,
            self.last_cmd_name(),
            self.user,
            self.proto.load(Ordering::Relaxed),
            self.lib_name.lock().clone().unwrap_or_default(),
            self.lib_ver.lock().clone().unwrap_or_default(),
        )
    }
}

/// How replies are sent back (CLIENT REPLY).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    SkipNext,
    /// Skip the current command's reply (set while running the command after SKIP).
    Skip,
}

/// The connection-private client state handlers can change.
pub struct Client {
    pub info: Arc<ClientInfo>,
    pub db: usize,
    pub proto: u8,
    pub authenticated: bool,
    pub no_touch: bool,
    pub reply_mode: ReplyMode,
    /// Set by QUIT: close after writing the reply.
    pub close_after_reply: bool,
    /// Set by MONITOR: the connection then only streams monitor lines.
    pub enter_monitor: bool,
    /// Out-of-band messages to this connection (pub/sub, monitor lines), already encoded
    /// for its protocol, written between replies.
    pub push_tx: tokio::sync::mpsc::UnboundedSender<bytes::Bytes>,
    /// Set by the dispatcher when the command blocked: what the connection waits on.
    pub waiter: Option<Arc<crate::blocking::Waiter>>,
    /// Commands queued since MULTI (None = not in a transaction).
    pub multi: Option<Vec<(Arc<crate::command::CommandSpec>, Vec<bytes::Bytes>)>>,
    /// A command was rejected while queueing: EXEC must abort (EXECABORT).
    pub multi_error: bool,
    /// Set by writers when a WATCHed key changes.
    pub watch_flag: crate::store::WatchFlag,
    /// WATCHed keys: (db, key, expiry at WATCH time).
    pub watched: Vec<(usize, bytes::Bytes, u64)>,
}

impl Client {
    pub fn new(
        info: Arc<ClientInfo>,
        authenticated: bool,
        push_tx: tokio::sync::mpsc::UnboundedSender<bytes::Bytes>,
    ) -> Client {
        Client {
            info,
            db: 0,
            proto: 2,
            authenticated,
            no_touch: false,
            reply_mode: ReplyMode::On,
            close_after_reply: false,
            enter_monitor: false,
            push_tx,
            waiter: None,
            multi: None,
            multi_error: false,
            watch_flag: Default::default(),
            watched: Vec::new(),
        }
    }

    pub fn id(&self) -> u64 {
        self.info.id
    }

    pub fn set_db(&mut self, db: usize) {
        self.db = db;
        self.info.db.store(db, Ordering::Relaxed);
    }
}
