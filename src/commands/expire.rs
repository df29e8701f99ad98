//! Expiry: EXPIRE & co., TTL & co., and the active expiry cycle (Redis's expire.c and the
//! expiry parts of db.c).

use crate::command::{arg, err, Ctx, Event, LockMode, Propagate, Registry};
use crate::config::notify;
use crate::resp::Reply;
use crate::server::Server;
use crate::store::{DbShard, Sds};
use crate::util::eq_ic;
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    r.add("expire", expire, LockMode::Keys);
    r.add("pexpire", pexpire, LockMode::Keys);
    r.add("expireat", expireat, LockMode::Keys);
    r.add("pexpireat", pexpireat, LockMode::Keys);
    r.add("ttl", ttl, LockMode::Keys);
    r.add("pttl", pttl, LockMode::Keys);
    r.add("expiretime", expiretime, LockMode::Keys);
    r.add("pexpiretime", pexpiretime, LockMode::Keys);
    r.add("persist", persist, LockMode::Keys);
}

/// Deletes a key found expired outside `Ctx::lookup` (SCAN, RANDOMKEY, the active cycle):
/// the same effects as a lazy expiry (stats, DEL to AOF/replicas, WATCH, `expired` event).
/// Lazy expiry (`Ctx::lookup`) goes through here too. Replicated as UNLINK under
/// `lazyfree-lazy-expire`, as Redis does.
/// The caller holds the key's shard lock and publishes the returned event after releasing it.
pub fn remove_expired(
    srv: &Server,
    part: &mut DbShard,
    db: usize,
    hash: u64,
    key: &[u8],
) -> Option<Event> {
    part.remove(hash, key)?;
    srv.stats.expired_keys.fetch_add(1, Ordering::Relaxed);
    let verb: &'static [u8] = if srv.config.hot.lazyfree_lazy_expire.load(Ordering::Relaxed) {
        b"UNLINK"
    } else {
        b"DEL"
    };
    srv.propagate_effect(db, &[Bytes::from_static(verb), Bytes::copy_from_slice(key)]);
    part.touch_watched(key);
    Some(Event {
        flag: notify::EXPIRED,
        event: "expired",
        key: Bytes::copy_from_slice(key),
        db,
    })
}

/// Whether expired-key events should be queued at all (saves copying keys when nobody
/// listens).
pub fn wants_expired_events(srv: &Server) -> bool {
    let f = srv.config.hot.notify_flags.load(Ordering::Relaxed);
    f & notify::EXPIRED != 0 && f & (notify::KEYSPACE | notify::KEYEVENT) != 0
}

const NX: u8 = 1;
const XX: u8 = 2;
const GT: u8 = 4;
const LT: u8 = 8;

fn expire(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let now = ctx.now;
    expire_generic(ctx, args, now, 1000, "expire")
}
fn pexpire(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let now = ctx.now;
    expire_generic(ctx, args, now, 1, "pexpire")
}
fn expireat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, 0, 1000, "expireat")
}
fn pexpireat(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    expire_generic(ctx, args, 0, 1, "pexpireat")
}

/// Redis's expireGenericCommand: `basetime` is 0 for absolute forms, `unit` 1000 for
/// seconds.
fn expire_generic(ctx: &mut Ctx, args: &[Bytes], basetime: u64, unit: i64, name: &str) -> Reply {
    let key = &args[1];
    let mut flags = 0u8;
    for a in &args[3..] {
        if eq_ic(a, "nx") {
            flags |= NX;
        } else if eq_ic(a, "xx") {
            flags |= XX;
        } else if eq_ic(a, "gt") {
            flags |= GT;
        } else if eq_ic(a, "lt") {
            flags |= LT;
        } else {
            return Reply::Error(
                format!("ERR Unsupported option {}", String::from_utf8_lossy(a)).into(),
            );
        }
    }
    if flags & NX != 0 && flags & (XX | GT | LT) != 0 {
        return Reply::err("ERR NX and XX, GT or LT options at the same time are not compatible");
    }
    if flags & GT != 0 && flags & LT != 0 {
        return Reply::err("ERR GT and LT options at the same time are not compatible");
    }
    let mut when = match arg::int(&args[2]) {
        Ok(v) => v,
        Err(e) => return e,
    };
    if unit == 1000 {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return err::invalid_expire(name);
        }
        when *= 1000;
    }
    let base = basetime as i64;
    if when > i64::MAX - base {
        return err::invalid_expire(name);
    }
    when += base;

    ctx.propagate = Propagate::Nothing;
    let current = match ctx.lookup(key) {
        None => return Reply::Int(0),
        Some(e) => e.expire_at(),
    };
    if flags != 0 {
        // A key without expiry counts as an infinite TTL for GT/LT.
        let has = current != 0;
        let cur = current as i64;
        if (flags & NX != 0 && has)
            || (flags & XX != 0 && !has)
            || (flags & GT != 0 && (!has || when <= cur))
            || (flags & LT != 0 && has && when >= cur)
        {
            return Reply::Int(0);
        }
    }
    if when <= ctx.now as i64 {
        // Already in the past: delete, and replicate as an explicit DEL (UNLINK with
        // lazyfree-lazy-expire).
        let lazy = ctx.srv.config.get_bool("lazyfree-lazy-expire");
        if let Some(e) = ctx.take_in(ctx.db_index(), key) {
            super::generic::free_value(e.value, lazy);
        }
        ctx.propagate = Propagate::AsIs;
        let verb: &'static [u8] = if lazy { b"UNLINK" } else { b"DEL" };
        ctx.rewrite_as(vec![vec![Bytes::from_static(verb), key.clone()]]);
        ctx.notify(notify::GENERIC, "del", key);
        return Reply::Int(1);
    }
    ctx.set_expire(key, when as u64);
    ctx.propagate = Propagate::AsIs;
    let mut cmd = vec![
        Bytes::from_static(b"PEXPIREAT"),
        key.clone(),
        Bytes::from(when.to_string()),
    ];
    cmd.extend(args[3..].iter().cloned());
    ctx.rewrite_as(vec![cmd]);
    ctx.notify(notify::GENERIC, "expire", key);
    Reply::Int(1)
}

/// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 without the key, -1 without an expiry.
fn ttl_generic(ctx: &mut Ctx, key: &[u8], ms: bool, absolute: bool) -> Reply {
    ctx.propagate = Propagate::Nothing;
    let srv = ctx.srv;
    let no_touch = std::mem::replace(&mut ctx.client.no_touch, true);
    let at = ctx.lookup(key).map(|e| e.expire_at());
    ctx.client.no_touch = no_touch;
    srv.stats.count_lookup(at.is_some());
    let Some(at) = at else {
        return Reply::Int(-2);
    };
    if at == 0 {
        return Reply::Int(-1);
    }
    let v = if absolute {
        at as i64
    } else {
        (at as i64 - ctx.now as i64).max(0)
    };
    Reply::Int(if ms {
        v
    } else {
        ((v as i128 + 500) / 1000) as i64
    })
}

fn ttl(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], false, false)
}
fn pttl(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], true, false)
}
fn expiretime(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], false, true)
}
fn pexpiretime(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    ttl_generic(ctx, &args[1], true, true)
}

fn persist(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    match ctx.lookup(key) {
        Some(e) if e.expire_at() != 0 => {}
        _ => {
            ctx.propagate = Propagate::Nothing;
            return Reply::Int(0);
        }
    }
    ctx.set_expire(key, 0);
    ctx.notify(notify::GENERIC, "persist", key);
    Reply::Int(1)
}

/// State of the active expiry cycle between cron ticks: which shard it continues with.
#[derive(Default)]
pub struct ActiveExpire {
    next_shard: usize,
    /// Running average of the share of sampled keys found expired (Redis's
    /// stat_expired_stale_perc), as a fraction; published in `Stats::expired_stale_perc`
    /// in hundredths of a percent (INFO prints it divided by 100 with two decimals).
    stale: f64,
}

/// Keys checked per sampling loop (Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_LOOP: usize = 20;
/// Sampling loops on one shard before its lock is released (other clients get a turn;
/// the shard is revisited later in the same cycle if time allows).
const LOOPS_PER_LOCK: usize = 16;

/// Per-cycle settings derived from `active-expire-effort`, as Redis derives them.
struct Tuning {
    per_loop: usize,
    acceptable_stale: usize,
    budget_us: u64,
    want_events: bool,
}

enum Visit {
    /// Every database part of the shard is below the acceptable stale share.
    Done,
    /// The shard hit LOOPS_PER_LOCK: more to do.
    Capped,
    OutOfTime,
}

impl ActiveExpire {
    /// One cycle, run by the cron at every tick: visits shards round-robin, sampling keys
    /// with an expiry (continuing each database part's persistent scan cursor) and deleting
    /// the expired ones. A part is re-sampled while more than the acceptable share of its
    /// sample had expired (10% minus the effort, as Redis). Shards whose lock was released
    /// with work left (LOOPS_PER_LOCK) get further passes while time remains. The cycle
    /// stops when the time budget is used: `budget_us` is the base (25% of a tick), raised
    /// by `active-expire-effort` as Redis raises ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC.
    pub fn cycle(&mut self, srv: &Server, budget_us: u64) {
        let start = std::time::Instant::now();
        let n = srv.store.nshards();
        let effort = srv
            .config
            .hot
            .active_expire_effort
            .load(Ordering::Relaxed)
            .clamp(1, 10) as usize
            - 1;
        let t = Tuning {
            per_loop: KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort,
            acceptable_stale: 10 - effort, // percent
            budget_us: budget_us * (25 + 2 * effort as u64) / 25,
            want_events: wants_expired_events(srv),
        };
        let mut totals = (0usize, 0usize);
        let first = self.next_shard % n;
        let mut order: Vec<usize> = (0..n).map(|i| (first + i) % n).collect();
        let mut first_pass = true;
        'passes: loop {
            let mut unfinished = Vec::new();
            for &shard in &order {
                if first_pass {
                    self.next_shard = (shard + 1) % n;
                }
                match self.visit(srv, shard, &t, start, &mut totals) {
                    Visit::Done => {}
                    Visit::Capped => unfinished.push(shard),
                    Visit::OutOfTime => {
                        if first_pass {
                            // Continue with this shard on the next tick.
                            self.next_shard = shard;
                        }
                        break 'passes;
                    }
                }
            }
            if unfinished.is_empty() {
                break;
            }
            order = unfinished;
            first_pass = false;
        }
        let (sampled, expired) = totals;
        if sampled > 0 {
            let perc = expired as f64 / sampled as f64;
            self.stale = perc * 0.05 + self.stale * 0.95;
            srv.stats
                .expired_stale_perc
                .store((self.stale * 10000.0) as u64, Ordering::Relaxed);
        }
    }

    /// Samples and expires keys in one shard (all databases) under its lock.
    fn visit(
        &mut self,
        srv: &Server,
        shard: usize,
        t: &Tuning,
        start: std::time::Instant,
        totals: &mut (usize, usize),
    ) -> Visit {
        let mut events = Vec::new();
        let mut result = Visit::Done;
        {
            let mut g = srv.store.lock(shard);
            let mut loops = 0;
            'dbs: for db in 0..g.dbs.len() {
                loop {
                    let part = &mut g.dbs[db];
                    if part.volatile == 0 {
                        break;
                    }
                    let now = crate::util::now_ms();
                    let mut sampled = 0;
                    let (mut ttl_sum, mut ttl_samples) = (0u64, 0u64);
                    let mut expired: Vec<(u64, Sds)> = Vec::new();
                    let mut cursor = part.expire_cursor;
                    let mut buckets = 0;
                    // Bounded bucket visits too: a sparse table costs empty buckets.
                    while sampled < t.per_loop && buckets < t.per_loop * 20 {
                        cursor = part.dict.scan(cursor, |node| {
                            if node.val.expire_at() != 0 {
                                sampled += 1;
                                if node.val.expire_at() <= now {
                                    expired.push((node.hash(), node.key.clone()));
                                } else {
                                    ttl_sum += node.val.expire_at() - now;
                                    ttl_samples += 1;
                                }
                            }
                        });
                        buckets += 1;
                        if cursor == 0 {
                            break;
                        }
                    }
                    part.expire_cursor = cursor;
                    if let Some(avg) = ttl_sum.checked_div(ttl_samples) {
                        // Redis's activeExpireCycle: a 2% moving average of the samples.
                        if part.avg_ttl == 0 {
                            part.avg_ttl = avg;
                        }
                        part.avg_ttl = (part.avg_ttl / 50) * 49 + avg / 50;
                    }
                    let nexp = expired.len();
                    for (h, k) in expired {
                        if let Some(ev) = remove_expired(srv, part, db, h, &k) {
                            if t.want_events {
                                events.push(ev);
                            }
                        }
                    }
                    totals.0 += sampled;
                    totals.1 += nexp;
                    loops += 1;
                    if start.elapsed().as_micros() as u64 > t.budget_us {
                        result = Visit::OutOfTime;
                        break 'dbs;
                    }
                    if sampled == 0 || nexp * 100 <= sampled * t.acceptable_stale || cursor == 0 {
                        break;
                    }
                    if loops >= LOOPS_PER_LOCK {
                        result = Visit::Capped;
                        break 'dbs;
                    }
                }
            }
        }
        srv.publish_events(events);
        result
    }
}
