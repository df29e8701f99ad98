//! Expiry: EXPIRE & co., TTL & co., and the active expiry cycle.

use crate::command::Registry;
use crate::server::Server;
use crate::store::Sds;
use std::sync::atomic::Ordering;

pub fn register(_r: &mut Registry) {}

/// State of the active expiry cycle between cron ticks: which shard it continues with.
#[derive(Default)]
pub struct ActiveExpire {
    next_shard: usize,
}

/// Keys checked per shard visit (Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_LOOP: usize = 20;

impl ActiveExpire {
    /// One cycle: visits shards round-robin, sampling keys with an expiry and deleting the
    /// expired ones, until the time budget is used. A shard is re-sampled while more than
    /// 10% of what it sampled had expired, as Redis does.
    pub fn cycle(&mut self, srv: &Server, budget_us: u64) {
        let start = std::time::Instant::now();
        let n = srv.store.nshards();
        let ndbs = srv.store.ndbs();
        let effort = srv
            .config
            .hot
            .active_expire_effort
            .load(Ordering::Relaxed)
            .max(1) as usize;
        let per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * (effort - 1);
        for _ in 0..n {
            let shard = self.next_shard % n;
            self.next_shard = (self.next_shard + 1) % n;
            let mut events = Vec::new();
            {
                let mut g = srv.store.lock(shard);
                for db in 0..ndbs {
                    loop {
                        let part = &mut g.dbs[db];
                        if part.volatile == 0 {
                            break;
                        }
                        let now = crate::util::now_ms();
                        let mut sampled = 0;
                        let mut expired: Vec<(u64, Sds)> = Vec::new();
                        let mut cursor = part.expire_cursor;
                        let mut buckets = 0;
                        while sampled < per_loop && buckets < per_loop * 4 {
                            cursor = part.dict.scan(cursor, |node| {
                                if node.val.expire_at != 0 {
                                    sampled += 1;
                                    if node.val.expire_at <= now {
                                        expired.push((node.hash, node.key.clone()));
                                    }
                                }
                            });
                            buckets += 1;
                            if cursor == 0 {
                                break;
                            }
                        }
                        part.expire_cursor = cursor;
                        let nexp = expired.len();
                        for (h, k) in expired {
                            part.remove(h, &k);
                            part.touch_watched(&k);
                            srv.stats.expired_keys.fetch_add(1, Ordering::Relaxed);
                            srv.propagate_effect(
                                db,
                                vec![
                                    bytes::Bytes::from_static(b"DEL"),
                                    bytes::Bytes::copy_from_slice(&k),
                                ],
                            );
                            events.push(crate::command::Event {
                                flag: crate::config::notify::EXPIRED,
                                event: "expired",
                                key: bytes::Bytes::copy_from_slice(&k),
                                db,
                            });
                        }
                        if sampled == 0 || nexp * 10 <= sampled || cursor == 0 {
                            break;
                        }
                        if start.elapsed().as_micros() as u64 > budget_us {
                            break;
                        }
                    }
                }
            }
            srv.publish_events(events);
            if start.elapsed().as_micros() as u64 > budget_us {
                break;
            }
        }
    }
}
