//! Pub/Sub: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB (Redis's pubsub.c).
//! The registry and delivery live in `crate::pubsub`.

use crate::command::{err, Ctx, LockMode, Registry};
use crate::pubsub::{Kind, Limits};
use crate::resp::Reply;
use crate::server::client::ClientInfo;
use crate::server::Server;
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    r.add("subscribe", subscribe, LockMode::None);
    r.add("unsubscribe", unsubscribe, LockMode::None);
    r.add("psubscribe", psubscribe, LockMode::None);
    r.add("punsubscribe", punsubscribe, LockMode::None);
    r.add("ssubscribe", ssubscribe, LockMode::None);
    r.add("sunsubscribe", sunsubscribe, LockMode::None);
    r.add("publish", publish, LockMode::None);
    r.add("spublish", spublish, LockMode::None);
    r.add("pubsub|channels", pubsub_channels, LockMode::None);
    r.add("pubsub|shardchannels", pubsub_shardchannels, LockMode::None);
    r.add("pubsub|numsub", pubsub_numsub, LockMode::None);
    r.add("pubsub|shardnumsub", pubsub_shardnumsub, LockMode::None);
    r.add("pubsub|numpat", pubsub_numpat, LockMode::None);
    r.add("pubsub|help", pubsub_help, LockMode::None);
}

/// Removes the client's subscriptions (disconnect, RESET).
pub fn on_disconnect(srv: &Server, info: &ClientInfo) {
    srv.pubsub.remove_client(info);
}

/// The `pubsub` class of `client-output-buffer-limit`, as cached by the config.
pub fn limits(srv: &Server) -> Limits {
    let h = &srv.config.hot;
    Limits {
        hard: h.pubsub_obuf_hard.load(Ordering::Relaxed),
        soft: h.pubsub_obuf_soft.load(Ordering::Relaxed),
        soft_secs: h.pubsub_obuf_secs.load(Ordering::Relaxed),
    }
}

/// Publishes a message to a channel (also used for keyspace notifications).
pub fn publish_message(srv: &Server, channel: &[u8], payload: &[u8]) -> usize {
    srv.pubsub
        .publish(channel, payload, false, &limits(srv), &srv.stats)
}

/// Encodes the (un)subscribe confirmations, one push per channel, for the client's
/// protocol (arrays in RESP2, pushes in RESP3).
fn confirmations(ctx: &Ctx, kind: &'static str, items: Vec<(Option<Bytes>, usize)>) -> Reply {
    let mut out = Vec::new();
    for (name, count) in items {
        Reply::Push(vec![
            Reply::bulk_static(kind.as_bytes()),
            name.map(Reply::Bulk).unwrap_or(Reply::Nil),
            Reply::Int(count as i64),
        ])
        .write_to(&mut out, ctx.client.proto);
    }
    Reply::Raw(Bytes::from(out))
}

fn do_subscribe(ctx: &mut Ctx, args: &[Bytes], kind: Kind) -> Reply {
    let items = ctx.srv.pubsub.subscribe(ctx.client, kind, &args[1..]);
    let items = items.into_iter().map(|(n, c)| (Some(n), c)).collect();
    confirmations(ctx, kind.subscribe_name(), items)
}

fn do_unsubscribe(ctx: &mut Ctx, args: &[Bytes], kind: Kind) -> Reply {
    let items = ctx.srv.pubsub.unsubscribe(ctx.client, kind, &args[1..]);
    confirmations(ctx, kind.unsubscribe_name(), items)
}

fn subscribe(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    do_subscribe(ctx, args, Kind::Channel)
}

fn psubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    do_subscribe(ctx, args, Kind::Pattern)
}

fn ssubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    do_subscribe(ctx, args, Kind::Shard)
}

fn unsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    do_unsubscribe(ctx, args, Kind::Channel)
}

fn punsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    do_unsubscribe(ctx, args, Kind::Pattern)
}

fn sunsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    do_unsubscribe(ctx, args, Kind::Shard)
}

fn publish(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Int(publish_message(ctx.srv, &args[1], &args[2]) as i64)
}

fn spublish(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let srv = ctx.srv;
    let n = srv
        .pubsub
        .publish(&args[1], &args[2], true, &limits(srv), &srv.stats);
    Reply::Int(n as i64)
}

fn channels(ctx: &mut Ctx, args: &[Bytes], shard: bool) -> Reply {
    if args.len() > 3 {
        return Reply::Error(
            format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
                String::from_utf8_lossy(&args[1])
            )
            .into(),
        );
    }
    let pat = args.get(2).map(|p| p.as_ref());
    Reply::Array(
        ctx.srv
            .pubsub
            .channel_names(shard, pat)
            .into_iter()
            .map(Reply::Bulk)
            .collect(),
    )
}

fn pubsub_channels(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    channels(ctx, args, false)
}

fn pubsub_shardchannels(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    channels(ctx, args, true)
}

fn numsub(ctx: &mut Ctx, args: &[Bytes], shard: bool) -> Reply {
    let mut out = Vec::with_capacity((args.len() - 2) * 2);
    for ch in &args[2..] {
        out.push(Reply::Bulk(ch.clone()));
        out.push(Reply::Int(ctx.srv.pubsub.numsub(shard, ch) as i64));
    }
    Reply::Array(out)
}

fn pubsub_numsub(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    numsub(ctx, args, false)
}

fn pubsub_shardnumsub(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    numsub(ctx, args, true)
}

fn pubsub_numpat(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Int(ctx.srv.pubsub.numpat() as i64)
}

fn pubsub_help(_ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() != 2 {
        return err::wrong_args("pubsub|help");
    }
    let lines = [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::status(*l)).collect())
}
