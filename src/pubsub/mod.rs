//! The Pub/Sub registry: who is subscribed to what, and message delivery.
//!
//! Channels (and shard channels) live in a table sharded by channel hash, each shard
//! behind its own mutex: publishers to different channels rarely meet, and a publish
//! holds its channel's shard while it hands the message to every subscriber, so all
//! subscribers of a channel see messages in the same order. Patterns are few and must be
//! matched against every published channel: they sit in one `RwLock`ed table that
//! publishers only read (and skip entirely while it is empty).
//!
//! A message is encoded once (RESP2 and RESP3 differ only in the first byte: `*` vs `>`)
//! and the `Bytes` is cloned into each subscriber's push channel; the connection writes it
//! between replies. Bytes queued but not yet written are counted in `ClientInfo.omem`, and
//! `client-output-buffer-limit pubsub` closes subscribers that fall too far behind.

use crate::server::client::{Client, ClientInfo};
use crate::server::Stats;
use bytes::Bytes;
use indexmap::IndexSet;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

/// The three kinds of subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    fn idx(self) -> usize {
        self as usize
    }
    pub fn subscribe_name(self) -> &'static str {
        match self {
            Kind::Channel => "subscribe",
            Kind::Pattern => "psubscribe",
            Kind::Shard => "ssubscribe",
        }
    }
    pub fn unsubscribe_name(self) -> &'static str {
        match self {
            Kind::Channel => "unsubscribe",
            Kind::Pattern => "punsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }
}

/// `client-output-buffer-limit pubsub <hard> <soft> <seconds>` (0 = no limit).
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    pub hard: u64,
    pub soft: u64,
    pub soft_secs: u64,
}

/// One subscribed client, shared by every registry entry it has.
pub struct Sub {
    pub info: Arc<ClientInfo>,
    tx: UnboundedSender<Bytes>,
    /// Unix seconds when the soft limit was first exceeded (0 = not over it).
    soft_since: AtomicU64,
    /// Set once the client has been scheduled to close for its output buffer.
    closing: AtomicBool,
    /// This client's channels, patterns and shard channels (by `Kind`).
    subs: Mutex<[IndexSet<Bytes>; 3]>,
}

impl Sub {
    /// Queues an encoded message, enforcing the output buffer limits.
    fn deliver(&self, msg: &Bytes, limits: &Limits, stats: &Stats) {
        if self.closing.load(Ordering::Relaxed) {
            return;
        }
        // Count before queueing: the connection subtracts once it has written the
        // message, which may happen on another thread before `send` even returns.
        let len = msg.len() as u64;
        let used = self.info.omem.fetch_add(len as usize, Ordering::Relaxed) as u64 + len;
        if self.tx.send(msg.clone()).is_err() {
            self.info.omem.fetch_sub(len as usize, Ordering::Relaxed);
            return;
        }
        if limits.hard == 0 && limits.soft == 0 {
            return;
        }
        let over = if limits.hard > 0 && used >= limits.hard {
            true
        } else if limits.soft > 0 && used >= limits.soft {
            let now = crate::util::now_ms() / 1000;
            let since = self.soft_since.load(Ordering::Relaxed);
            if since == 0 {
                self.soft_since.store(now, Ordering::Relaxed);
                false
            } else {
                now.saturating_sub(since) > limits.soft_secs
            }
        } else {
            if self.soft_since.load(Ordering::Relaxed) != 0 {
                self.soft_since.store(0, Ordering::Relaxed);
            }
            false
        };
        if over && !self.closing.swap(true, Ordering::Relaxed) {
            stats
                .client_output_buffer_limit_disconnections
                .fetch_add(1, Ordering::Relaxed);
            crate::server::log(
                '#',
                &format!(
                    "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
                    self.info.describe(crate::util::now_ms())
                ),
            );
            self.info.kill();
        }
    }

    fn count(&self, subs: &[IndexSet<Bytes>; 3], kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => subs[0].len() + subs[1].len(),
            Kind::Shard => subs[2].len(),
        }
    }

    /// Mirrors the subscription counts into `ClientInfo` (CLIENT LIST, the dispatcher's
    /// subscriber-mode check, PING).
    fn sync_counts(&self, subs: &[IndexSet<Bytes>; 3]) {
        let i = &self.info;
        i.sub_channels.store(subs[0].len(), Ordering::Relaxed);
        i.sub_patterns.store(subs[1].len(), Ordering::Relaxed);
        i.sub_shard_channels.store(subs[2].len(), Ordering::Relaxed);
        let any = subs.iter().any(|s| !s.is_empty());
        i.kind_pubsub.store(any, Ordering::Relaxed);
    }
}

type Subscribers = HashMap<u64, Arc<Sub>>;

/// Delivers `msg` (encoded once per protocol) to every subscriber in `subs`; how many.
fn deliver_all(subs: &Subscribers, mut msg: Encoded, limits: &Limits, stats: &Stats) -> usize {
    for s in subs.values() {
        s.deliver(
            msg.for_proto(s.info.proto.load(Ordering::Relaxed)),
            limits,
            stats,
        );
    }
    subs.len()
}

/// Channel name -> subscribers, sharded by the channel's hash.
struct ChannelTable {
    hasher: ahash::RandomState,
    shards: Vec<Mutex<HashMap<Bytes, Subscribers>>>,
}

impl ChannelTable {
    fn new(n: usize) -> ChannelTable {
        ChannelTable {
            hasher: ahash::RandomState::new(),
            shards: (0..n).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    fn shard(&self, ch: &[u8]) -> &Mutex<HashMap<Bytes, Subscribers>> {
        let h = self.hasher.hash_one(ch) as usize;
        &self.shards[h & (self.shards.len() - 1)]
    }

    fn add(&self, ch: &Bytes, sub: &Arc<Sub>) {
        self.shard(ch)
            .lock()
            .entry(ch.clone())
            .or_default()
            .insert(sub.info.id, sub.clone());
    }

    fn remove(&self, ch: &[u8], id: u64) {
        let mut g = self.shard(ch).lock();
        if let Some(s) = g.get_mut(ch) {
            s.remove(&id);
            if s.is_empty() {
                g.remove(ch);
            }
        }
    }

    fn names(&self, pattern: Option<&[u8]>) -> Vec<Bytes> {
        let mut out = Vec::new();
        for s in &self.shards {
            for k in s.lock().keys() {
                if pattern.is_none_or(|p| crate::util::glob_match(p, k, false)) {
                    out.push(k.clone());
                }
            }
        }
        out
    }

    fn numsub(&self, ch: &[u8]) -> usize {
        self.shard(ch).lock().get(ch).map_or(0, |s| s.len())
    }
}

pub struct PubSub {
    channels: ChannelTable,
    shard_channels: ChannelTable,
    patterns: RwLock<HashMap<Bytes, Subscribers>>,
    /// Number of distinct patterns (a publish skips the pattern table while it is 0).
    npatterns: AtomicUsize,
    clients: Mutex<HashMap<u64, Arc<Sub>>>,
}

impl Default for PubSub {
    fn default() -> Self {
        Self::new()
    }
}

/// Encodes `[kind, a, b]` or `[kind, a, b, c]` as a RESP2 array of bulk strings.
fn encode_msg(kind: &[u8], parts: &[&[u8]]) -> Bytes {
    fn head(v: &mut Vec<u8>, prefix: u8, n: usize) {
        let mut b = [0u8; 20];
        v.push(prefix);
        v.extend_from_slice(crate::resp::fmt_i64_pub(&mut b, n as i64));
        v.extend_from_slice(b"\r\n");
    }
    let size = 8 + kind.len() + 16 + parts.iter().map(|p| p.len() + 16).sum::<usize>();
    let mut v = Vec::with_capacity(size);
    head(&mut v, b'*', parts.len() + 1);
    for p in std::iter::once(kind).chain(parts.iter().copied()) {
        head(&mut v, b'$', p.len());
        v.extend_from_slice(p);
        v.extend_from_slice(b"\r\n");
    }
    Bytes::from(v)
}

/// A message in both encodings; the RESP3 one (a push, `>`) is made on first need.
struct Encoded {
    resp2: Bytes,
    resp3: Option<Bytes>,
}

impl Encoded {
    fn new(resp2: Bytes) -> Encoded {
        Encoded { resp2, resp3: None }
    }
    fn for_proto(&mut self, proto: u8) -> &Bytes {
        if proto < 3 {
            return &self.resp2;
        }
        self.resp3.get_or_insert_with(|| {
            let mut v = self.resp2.to_vec();
            v[0] = b'>';
            Bytes::from(v)
        })
    }
}

impl PubSub {
    pub fn new() -> PubSub {
        let n = (std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            * 32)
            .next_power_of_two()
            .max(64);
        PubSub {
            channels: ChannelTable::new(n),
            shard_channels: ChannelTable::new(n),
            patterns: RwLock::new(HashMap::new()),
            npatterns: AtomicUsize::new(0),
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn sub_of(&self, client: &Client) -> Arc<Sub> {
        self.clients
            .lock()
            .entry(client.info.id)
            .or_insert_with(|| {
                Arc::new(Sub {
                    info: client.info.clone(),
                    tx: client.push_tx.clone(),
                    soft_since: AtomicU64::new(0),
                    closing: AtomicBool::new(false),
                    subs: Mutex::new(Default::default()),
                })
            })
            .clone()
    }

    fn existing_sub(&self, id: u64) -> Option<Arc<Sub>> {
        self.clients.lock().get(&id).cloned()
    }

    fn table(&self, kind: Kind) -> &ChannelTable {
        match kind {
            Kind::Shard => &self.shard_channels,
            _ => &self.channels,
        }
    }

    fn add_entry(&self, kind: Kind, name: &Bytes, sub: &Arc<Sub>) {
        if kind == Kind::Pattern {
            let mut p = self.patterns.write();
            p.entry(name.clone())
                .or_default()
                .insert(sub.info.id, sub.clone());
            self.npatterns.store(p.len(), Ordering::Relaxed);
        } else {
            self.table(kind).add(name, sub);
        }
    }

    fn remove_entry(&self, kind: Kind, name: &[u8], id: u64) {
        if kind == Kind::Pattern {
            let mut p = self.patterns.write();
            if let Some(s) = p.get_mut(name) {
                s.remove(&id);
                if s.is_empty() {
                    p.remove(name);
                }
            }
            self.npatterns.store(p.len(), Ordering::Relaxed);
        } else {
            self.table(kind).remove(name, id);
        }
    }

    /// Subscribes the client to each name; returns one `(name, count)` per name, the
    /// count being the client's subscriptions after it (as the reply shows).
    pub fn subscribe(&self, client: &Client, kind: Kind, names: &[Bytes]) -> Vec<(Bytes, usize)> {
        let sub = self.sub_of(client);
        let mut subs = sub.subs.lock();
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            if !subs[kind.idx()].contains(n.as_ref()) {
                // A copy: arguments are views of the whole read buffer.
                let name = Bytes::copy_from_slice(n);
                self.add_entry(kind, &name, &sub);
                subs[kind.idx()].insert(name);
            }
            out.push((n.clone(), sub.count(&subs, kind)));
        }
        sub.sync_counts(&subs);
        out
    }

    /// Unsubscribes from each name (all of this kind when `names` is empty); returns one
    /// `(name, count)` per name, or `(None, count)` when there was nothing to leave.
    pub fn unsubscribe(
        &self,
        client: &Client,
        kind: Kind,
        names: &[Bytes],
    ) -> Vec<(Option<Bytes>, usize)> {
        let Some(sub) = self.existing_sub(client.info.id) else {
            return if names.is_empty() {
                vec![(None, 0)]
            } else {
                names.iter().map(|n| (Some(n.clone()), 0)).collect()
            };
        };
        let mut subs = sub.subs.lock();
        let names: Vec<Bytes> = if names.is_empty() {
            subs[kind.idx()].iter().cloned().collect()
        } else {
            names.to_vec()
        };
        let mut out = Vec::with_capacity(names.len().max(1));
        for n in &names {
            if subs[kind.idx()].shift_remove(n.as_ref()) {
                self.remove_entry(kind, n, sub.info.id);
            }
            out.push((Some(n.clone()), sub.count(&subs, kind)));
        }
        if out.is_empty() {
            out.push((None, sub.count(&subs, kind)));
        }
        sub.sync_counts(&subs);
        let empty = subs.iter().all(|s| s.is_empty());
        drop(subs);
        if empty {
            self.forget(&sub);
        }
        out
    }

    /// Drops a client's registry record once it has no subscription left.
    fn forget(&self, sub: &Arc<Sub>) {
        let mut c = self.clients.lock();
        if let Some(cur) = c.get(&sub.info.id) {
            if Arc::ptr_eq(cur, sub) && sub.subs.lock().iter().all(|s| s.is_empty()) {
                c.remove(&sub.info.id);
            }
        }
    }

    /// Removes every subscription of a client (disconnect, RESET).
    pub fn remove_client(&self, info: &ClientInfo) {
        let Some(sub) = self.clients.lock().remove(&info.id) else {
            return;
        };
        let mut subs = sub.subs.lock();
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for n in std::mem::take(&mut subs[kind.idx()]) {
                self.remove_entry(kind, &n, info.id);
            }
        }
        sub.sync_counts(&subs);
    }

    /// PUBLISH (`shard` = SPUBLISH): returns the number of clients that received it.
    pub fn publish(
        &self,
        channel: &[u8],
        payload: &[u8],
        shard: bool,
        limits: &Limits,
        stats: &Stats,
    ) -> usize {
        let mut n = 0;
        let table = if shard {
            &self.shard_channels
        } else {
            &self.channels
        };
        {
            let g = table.shard(channel).lock();
            if let Some(subs) = g.get(channel) {
                let kind: &[u8] = if shard { b"smessage" } else { b"message" };
                let msg = Encoded::new(encode_msg(kind, &[channel, payload]));
                n += deliver_all(subs, msg, limits, stats);
            }
        }
        if !shard && self.npatterns.load(Ordering::Relaxed) > 0 {
            let pats = self.patterns.read();
            for (pat, subs) in pats.iter() {
                if !crate::util::glob_match(pat, channel, false) {
                    continue;
                }
                let msg = Encoded::new(encode_msg(b"pmessage", &[pat, channel, payload]));
                n += deliver_all(subs, msg, limits, stats);
            }
        }
        n
    }

    /// PUBSUB CHANNELS / SHARDCHANNELS.
    pub fn channel_names(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<Bytes> {
        if shard {
            self.shard_channels.names(pattern)
        } else {
            self.channels.names(pattern)
        }
    }

    /// PUBSUB NUMSUB / SHARDNUMSUB for one channel.
    pub fn numsub(&self, shard: bool, ch: &[u8]) -> usize {
        if shard {
            self.shard_channels.numsub(ch)
        } else {
            self.channels.numsub(ch)
        }
    }

    /// Active channels (INFO stats `pubsub_channels`; `shard` = `pubsubshard_channels`).
    pub fn num_channels(&self, shard: bool) -> usize {
        let t = if shard {
            &self.shard_channels
        } else {
            &self.channels
        };
        t.shards.iter().map(|s| s.lock().len()).sum()
    }

    /// PUBSUB NUMPAT: distinct patterns subscribed to.
    pub fn numpat(&self) -> usize {
        self.npatterns.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let m = encode_msg(b"message", &[b"ch", b""]);
        assert_eq!(&m[..], b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$0\r\n\r\n");
        let mut e = Encoded::new(encode_msg(b"pmessage", &[b"h*", b"hi", b"x"]));
        assert_eq!(
            &e.for_proto(3)[..],
            b">4\r\n$8\r\npmessage\r\n$2\r\nh*\r\n$2\r\nhi\r\n$1\r\nx\r\n"
        );
        assert_eq!(e.for_proto(2)[0], b'*');
    }
}
