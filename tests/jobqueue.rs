//! A job queue on a stream with a consumer group: 3 producers, 3 consumers, one of which
//! "crashes" (stops without acking) mid-work; another consumer recovers its jobs with
//! XAUTOCLAIM after the min-idle-time. Every job is processed, none is processed again
//! after its ack, and the group's PEL ends empty.

mod common;
use common::*;
use redis::Value;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PRODUCERS: usize = 3;
const JOBS_PER_PRODUCER: usize = 300;
const TOTAL: usize = PRODUCERS * JOBS_PER_PRODUCER;
const MIN_IDLE_MS: u64 = 200;

#[derive(Default)]
struct Ledger {
    /// job -> times processed
    processed: HashMap<String, usize>,
    acked: HashSet<String>,
    /// Jobs the crashed consumer took and never finished.
    abandoned: Vec<String>,
    violations: Vec<String>,
}

/// (entry id, job) pairs from a list of entries `[[id [job v]] ...]`.
fn entries(v: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Value::Array(list) = v {
        for e in list {
            if let Value::Array(pair) = e {
                let id = match &pair[0] {
                    Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                    other => panic!("bad id {other:?}"),
                };
                let job = match &pair[1] {
                    Value::Array(fv) => match &fv[1] {
                        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                        other => panic!("bad value {other:?}"),
                    },
                    other => panic!("bad fields {other:?}"),
                };
                out.push((id, job));
            }
        }
    }
    out
}

/// Entries of an XREADGROUP reply for stream `jobs` (nil = nothing).
fn read_entries(v: &Value) -> Vec<(String, String)> {
    match v {
        Value::Nil => Vec::new(),
        Value::Array(streams) => {
            let Value::Array(s) = &streams[0] else {
                panic!("bad reply {v:?}")
            };
            entries(&s[1])
        }
        other => panic!("unexpected XREADGROUP reply {other:?}"),
    }
}

fn process(ledger: &Mutex<Ledger>, job: &str) {
    let mut l = ledger.lock().unwrap();
    if l.acked.contains(job) {
        l.violations
            .push(format!("{job} processed again after its ack"));
    }
    *l.processed.entry(job.to_string()).or_default() += 1;
}

fn ack(
    c: &mut redis::Connection,
    ledger: &Mutex<Ledger>,
    acked: &AtomicUsize,
    id: &str,
    job: &str,
) {
    let r = q(c, &["XACK", "jobs", "workers", id]);
    if r == Value::Int(1) {
        let mut l = ledger.lock().unwrap();
        if !l.acked.insert(job.to_string()) {
            l.violations.push(format!("{job} acked twice"));
        }
        acked.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn job_queue_with_crash_and_autoclaim() {
    let s = Arc::new(TestServer::start());
    let mut admin = s.conn();
    assert_eq!(
        q(
            &mut admin,
            &["XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"]
        ),
        Value::Okay
    );
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let crashed = Arc::new(AtomicBool::new(false));

    let mut handles = Vec::new();
    for p in 0..PRODUCERS {
        let s = s.clone();
        handles.push(std::thread::spawn(move || {
            let mut c = s.conn();
            for n in 0..JOBS_PER_PRODUCER {
                let job = format!("p{p}-j{n}");
                let r = q(&mut c, &["XADD", "jobs", "*", "job", &job]);
                assert!(matches!(r, Value::BulkString(_)), "{r:?}");
                if n % 50 == 0 {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }));
    }

    for w in 0..3 {
        let s = s.clone();
        let ledger = ledger.clone();
        let acked = acked.clone();
        let stop = stop.clone();
        let crashed = crashed.clone();
        handles.push(std::thread::spawn(move || {
            let mut c = s.conn();
            let name = format!("worker{w}");
            let mut batches = 0;
            while !stop.load(Ordering::SeqCst) {
                let r = q(
                    &mut c,
                    &[
                        "XREADGROUP",
                        "GROUP",
                        "workers",
                        &name,
                        "COUNT",
                        "10",
                        "BLOCK",
                        "100",
                        "STREAMS",
                        "jobs",
                        ">",
                    ],
                );
                let got = read_entries(&r);
                if got.is_empty() {
                    if w == 0 {
                        // Worker 0 also recovers jobs left by dead consumers.
                        let r = q(
                            &mut c,
                            &[
                                "XAUTOCLAIM",
                                "jobs",
                                "workers",
                                &name,
                                &MIN_IDLE_MS.to_string(),
                                "0-0",
                                "COUNT",
                                "50",
                            ],
                        );
                        let Value::Array(parts) = &r else {
                            panic!("bad XAUTOCLAIM reply {r:?}")
                        };
                        for (id, job) in entries(&parts[1]) {
                            process(&ledger, &job);
                            ack(&mut c, &ledger, &acked, &id, &job);
                        }
                    }
                    continue;
                }
                batches += 1;
                if w == 2 && batches == 3 {
                    // Crash mid-work: these entries stay pending for worker2.
                    let mut l = ledger.lock().unwrap();
                    l.abandoned.extend(got.iter().map(|(_, j)| j.clone()));
                    crashed.store(true, Ordering::SeqCst);
                    return;
                }
                for (id, job) in got {
                    process(&ledger, &job);
                    ack(&mut c, &ledger, &acked, &id, &job);
                }
            }
        }));
    }

    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.load(Ordering::SeqCst) < TOTAL {
        assert!(
            Instant::now() < deadline,
            "timed out: {} acked",
            acked.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::SeqCst);
    for h in handles {
        h.join().unwrap();
    }

    let l = ledger.lock().unwrap();
    assert!(crashed.load(Ordering::SeqCst), "worker2 never crashed");
    assert!(!l.abandoned.is_empty());
    assert!(l.violations.is_empty(), "{:?}", l.violations);
    assert_eq!(l.acked.len(), TOTAL);
    for p in 0..PRODUCERS {
        for n in 0..JOBS_PER_PRODUCER {
            let job = format!("p{p}-j{n}");
            assert!(
                l.processed.get(&job).copied().unwrap_or(0) >= 1,
                "{job} never processed"
            );
        }
    }
    // The abandoned jobs were recovered through XAUTOCLAIM.
    for j in &l.abandoned {
        assert_eq!(l.processed.get(j), Some(&1), "{j}");
    }
    assert_eq!(
        q(&mut admin, &["XPENDING", "jobs", "workers"]),
        Value::Array(vec![Value::Int(0), Value::Nil, Value::Nil, Value::Nil])
    );
    assert_eq!(q(&mut admin, &["XLEN", "jobs"]), Value::Int(TOTAL as i64));
    let info = q(&mut admin, &["XINFO", "GROUPS", "jobs"]);
    let Value::Array(groups) = info else { panic!() };
    let Value::Array(g) = &groups[0] else {
        panic!()
    };
    // entries-read = everything, lag 0.
    assert_eq!(g[9], Value::Int(TOTAL as i64));
    assert_eq!(g[11], Value::Int(0));
}
