//! MULTI/EXEC/DISCARD/WATCH with Redis's semantics, and atomicity under concurrency.

mod common;
use common::*;
use redis::Value;

fn ok() -> Value {
    Value::Okay
}
fn queued() -> Value {
    Value::SimpleString("QUEUED".into())
}
fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

#[test]
fn multi_exec_basics() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(q(&mut c, &["MULTI"]), ok());
    assert_eq!(q(&mut c, &["SET", "a", "1"]), queued());
    assert_eq!(q(&mut c, &["GET", "a"]), queued());
    assert_eq!(q(&mut c, &["PING"]), queued());
    assert_eq!(
        q(&mut c, &["EXEC"]),
        Value::Array(vec![ok(), bulk("1"), Value::SimpleString("PONG".into())])
    );
    // Empty transaction.
    assert_eq!(q(&mut c, &["MULTI"]), ok());
    assert_eq!(q(&mut c, &["EXEC"]), Value::Array(vec![]));
}

#[test]
fn errors_and_nesting() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(err_text(&q(&mut c, &["EXEC"])), "ERR EXEC without MULTI");
    assert_eq!(
        err_text(&q(&mut c, &["DISCARD"])),
        "ERR DISCARD without MULTI"
    );
    assert_eq!(q(&mut c, &["MULTI"]), ok());
    assert_eq!(
        err_text(&q(&mut c, &["MULTI"])),
        "ERR MULTI calls can not be nested"
    );
    assert_eq!(
        err_text(&q(&mut c, &["WATCH", "x"])),
        "ERR WATCH inside MULTI is not allowed"
    );
    // Neither of those dooms the transaction.
    assert_eq!(q(&mut c, &["SET", "k", "v"]), queued());
    assert_eq!(q(&mut c, &["EXEC"]), Value::Array(vec![ok()]));

    // Queue-time errors abort EXEC.
    assert_eq!(q(&mut c, &["MULTI"]), ok());
    assert_eq!(q(&mut c, &["SET", "k", "v2"]), queued());
    assert_eq!(
        err_text(&q(&mut c, &["NOSUCH"])),
        "ERR unknown command 'NOSUCH', with args beginning with: "
    );
    assert_eq!(
        err_text(&q(&mut c, &["GET"])),
        "ERR wrong number of arguments for 'get' command"
    );
    assert_eq!(
        err_text(&q(&mut c, &["EXEC"])),
        "EXECABORT Transaction discarded because of previous errors."
    );
    assert_eq!(q(&mut c, &["GET", "k"]), bulk("v"));

    // Runtime errors don't abort the rest.
    assert_eq!(q(&mut c, &["MULTI"]), ok());
    assert_eq!(q(&mut c, &["SET", "k", "v3"]), queued());
    assert_eq!(q(&mut c, &["INCR", "k"]), queued());
    assert_eq!(q(&mut c, &["GET", "k"]), queued());
    match q(&mut c, &["EXEC"]) {
        Value::Array(v) => {
            assert_eq!(v[0], ok());
            assert!(matches!(v[1], Value::ServerError(_)), "{:?}", v[1]);
            assert_eq!(v[2], bulk("v3"));
        }
        other => panic!("{other:?}"),
    }

    // DISCARD drops the queue.
    assert_eq!(q(&mut c, &["MULTI"]), ok());
    assert_eq!(q(&mut c, &["SET", "k", "discarded"]), queued());
    assert_eq!(q(&mut c, &["DISCARD"]), ok());
    assert_eq!(q(&mut c, &["GET", "k"]), bulk("v3"));
    // SHUTDOWN is flagged no-multi... when it exists; SAVE too.
}

#[test]
fn watch_semantics() {
    let s = TestServer::start();
    let mut a = s.conn();
    let mut b = s.conn();
    q(&mut a, &["SET", "w", "1"]);
    // Modified by another client: EXEC fails with a null array.
    assert_eq!(q(&mut a, &["WATCH", "w"]), ok());
    q(&mut b, &["SET", "w", "2"]);
    assert_eq!(q(&mut a, &["MULTI"]), ok());
    assert_eq!(q(&mut a, &["SET", "w", "3"]), queued());
    assert_eq!(q(&mut a, &["EXEC"]), Value::Nil);
    assert_eq!(q(&mut a, &["GET", "w"]), bulk("2"));

    // Untouched: EXEC runs; the watch is gone afterwards.
    assert_eq!(q(&mut a, &["WATCH", "w"]), ok());
    assert_eq!(q(&mut a, &["MULTI"]), ok());
    assert_eq!(q(&mut a, &["SET", "w", "3"]), queued());
    assert_eq!(q(&mut a, &["EXEC"]), Value::Array(vec![ok()]));
    q(&mut b, &["SET", "w", "4"]);
    assert_eq!(q(&mut a, &["MULTI"]), ok());
    assert_eq!(q(&mut a, &["EXEC"]), Value::Array(vec![]));

    // UNWATCH forgets; a missing key that gets created fails the EXEC.
    assert_eq!(q(&mut a, &["WATCH", "w"]), ok());
    assert_eq!(q(&mut a, &["UNWATCH"]), ok());
    q(&mut b, &["SET", "w", "5"]);
    assert_eq!(q(&mut a, &["MULTI"]), ok());
    assert_eq!(q(&mut a, &["EXEC"]), Value::Array(vec![]));
    assert_eq!(q(&mut a, &["WATCH", "newkey"]), ok());
    q(&mut b, &["SET", "newkey", "x"]);
    assert_eq!(q(&mut a, &["MULTI"]), ok());
    assert_eq!(q(&mut a, &["EXEC"]), Value::Nil);

    // A watched key in another database is a different key.
    assert_eq!(q(&mut a, &["WATCH", "w"]), ok());
    q(&mut b, &["SELECT", "1"]);
    q(&mut b, &["SET", "w", "other-db"]);
    assert_eq!(q(&mut a, &["MULTI"]), ok());
    assert_eq!(q(&mut a, &["EXEC"]), Value::Array(vec![]));

    // DISCARD also unwatches.
    assert_eq!(q(&mut a, &["WATCH", "w"]), ok());
    assert_eq!(q(&mut a, &["MULTI"]), ok());
    assert_eq!(q(&mut a, &["DISCARD"]), ok());
    q(&mut b, &["SELECT", "0"]);
    q(&mut b, &["SET", "w", "6"]);
    assert_eq!(q(&mut a, &["MULTI"]), ok());
    assert_eq!(q(&mut a, &["EXEC"]), Value::Array(vec![]));
}

#[test]
fn watched_key_expiring_fails_exec() {
    let s = TestServer::start();
    let mut a = s.conn();
    q(&mut a, &["SET", "e", "1", "PX", "50"]);
    assert_eq!(q(&mut a, &["WATCH", "e"]), ok());
    std::thread::sleep(std::time::Duration::from_millis(120));
    assert_eq!(q(&mut a, &["MULTI"]), ok());
    assert_eq!(q(&mut a, &["SET", "e", "2"]), queued());
    assert_eq!(q(&mut a, &["EXEC"]), Value::Nil);
}

#[test]
fn select_inside_multi() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(q(&mut c, &["MULTI"]), ok());
    assert_eq!(q(&mut c, &["SELECT", "2"]), queued());
    assert_eq!(q(&mut c, &["SET", "in2", "x"]), queued());
    assert_eq!(q(&mut c, &["EXEC"]), Value::Array(vec![ok(), ok()]));
    assert_eq!(q(&mut c, &["GET", "in2"]), bulk("x"));
    q(&mut c, &["SELECT", "0"]);
    assert_eq!(q(&mut c, &["GET", "in2"]), Value::Nil);
}

/// Transfers between accounts with WATCH/MULTI/EXEC from many threads: the total never
/// changes and no update is lost.
#[test]
fn concurrent_transfers_keep_the_total() {
    let s = TestServer::start();
    let accounts = 8;
    let mut c = s.conn();
    for i in 0..accounts {
        q(&mut c, &["SET", &format!("acct:{i}"), "1000"]);
    }
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let url = s.url();
            std::thread::spawn(move || {
                let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
                let mut rng = 0x9e3779b97f4a7c15u64 ^ (t as u64 + 1);
                let mut done = 0;
                while done < 200 {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let from = format!("acct:{}", rng % accounts);
                    let to = format!("acct:{}", (rng >> 8) % accounts);
                    if from == to {
                        continue;
                    }
                    q(&mut c, &["WATCH", &from, &to]);
                    let bal: i64 = match q(&mut c, &["GET", &from]) {
                        Value::BulkString(b) => String::from_utf8(b).unwrap().parse().unwrap(),
                        other => panic!("{other:?}"),
                    };
                    let amount = (rng >> 16) as i64 % 50 + 1;
                    if bal < amount {
                        q(&mut c, &["UNWATCH"]);
                        done += 1;
                        continue;
                    }
                    q(&mut c, &["MULTI"]);
                    q(&mut c, &["DECRBY", &from, &amount.to_string()]);
                    q(&mut c, &["INCRBY", &to, &amount.to_string()]);
                    match q(&mut c, &["EXEC"]) {
                        Value::Array(r) => {
                            assert!(r.iter().all(|x| matches!(x, Value::Int(_))), "{r:?}");
                            done += 1;
                        }
                        Value::Nil => {} // a watched balance changed: retry
                        other => panic!("unexpected EXEC reply {other:?}"),
                    }
                }
            })
        })
        .collect();
    // Meanwhile, a reader checks that a MULTI snapshot of all balances always sums up.
    let mut total_checks = 0;
    for _ in 0..50 {
        q(&mut c, &["MULTI"]);
        for i in 0..accounts {
            q(&mut c, &["GET", &format!("acct:{i}")]);
        }
        if let Value::Array(v) = q(&mut c, &["EXEC"]) {
            let sum: i64 = v
                .iter()
                .map(|x| match x {
                    Value::BulkString(b) => String::from_utf8(b.clone())
                        .unwrap()
                        .parse::<i64>()
                        .unwrap(),
                    other => panic!("{other:?}"),
                })
                .sum();
            assert_eq!(sum, 1000 * accounts as i64);
            total_checks += 1;
        }
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(total_checks, 50);
    let mut sum = 0i64;
    for i in 0..accounts {
        if let Value::BulkString(b) = q(&mut c, &["GET", &format!("acct:{i}")]) {
            sum += String::from_utf8(b).unwrap().parse::<i64>().unwrap();
        }
    }
    assert_eq!(sum, 1000 * accounts as i64);
}
