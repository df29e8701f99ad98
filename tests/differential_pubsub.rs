//! Differential test for pub/sub: the same subscribe/publish script runs against a real
//! redis-server and Tessera, and every reply and pushed message is compared byte for byte
//! (RESP2 and RESP3). Skips when redis-server is not installed.

mod common;
use common::*;

/// One step: which connection sends what, and how many replies/messages each
/// connection then reads.
struct Step {
    conn: usize,
    cmd: &'static str,
    /// (connection, number of replies to read) after sending.
    reads: &'static [(usize, usize)],
}

const fn st(conn: usize, cmd: &'static str, reads: &'static [(usize, usize)]) -> Step {
    Step { conn, cmd, reads }
}

/// Connection 0 and 1 subscribe; connection 2 publishes and inspects.
const SCRIPT: &[Step] = &[
    st(0, "SUBSCRIBE news sport", &[(0, 2)]),
    st(1, "PSUBSCRIBE n* h?llo h[ae]llo", &[(1, 3)]),
    st(1, "SSUBSCRIBE shardy", &[(1, 1)]),
    st(2, "PUBLISH news first", &[(2, 1), (0, 1), (1, 1)]),
    st(2, "PUBLISH hello x", &[(2, 1), (1, 2)]),
    st(2, "PUBLISH hallo y", &[(2, 1), (1, 2)]),
    st(2, "PUBLISH hxllo z", &[(2, 1), (1, 1)]),
    st(2, "PUBLISH sport goal", &[(2, 1), (0, 1)]),
    st(2, "PUBLISH nobody x", &[(2, 1), (1, 1)]),
    st(2, "SPUBLISH shardy s1", &[(2, 1), (1, 1)]),
    st(2, "PUBLISH empty", &[(2, 1)]),
    st(2, "PUBSUB NUMSUB news sport nobody", &[(2, 1)]),
    st(2, "PUBSUB NUMPAT", &[(2, 1)]),
    st(2, "PUBSUB SHARDNUMSUB shardy other", &[(2, 1)]),
    st(2, "PUBSUB CHANNELS nomatch*", &[(2, 1)]),
    st(0, "PING", &[(0, 1)]),
    st(0, "PING hi", &[(0, 1)]),
    st(0, "GET k", &[(0, 1)]),
    st(0, "UNSUBSCRIBE sport", &[(0, 1)]),
    st(2, "PUBLISH sport nobody-listens", &[(2, 1)]),
    st(1, "PUNSUBSCRIBE h?llo", &[(1, 1)]),
    st(2, "PUBLISH hello after", &[(2, 1), (1, 1)]),
    st(1, "PUNSUBSCRIBE", &[(1, 2)]),
    st(1, "SUNSUBSCRIBE", &[(1, 1)]),
    st(0, "UNSUBSCRIBE", &[(0, 1)]),
    st(0, "UNSUBSCRIBE", &[(0, 1)]),
    st(0, "PUNSUBSCRIBE", &[(0, 1)]),
    st(0, "GET k", &[(0, 1)]),
    st(2, "PUBSUB NUMPAT", &[(2, 1)]),
];

fn run_script(port: u16, resp3: bool) -> Vec<String> {
    let mut conns: Vec<Raw> = (0..3).map(|_| Raw::connect(port)).collect();
    if resp3 {
        for c in conns.iter_mut() {
            c.cmd(&[b"HELLO", b"3"]);
            c.read_reply();
        }
    }
    let mut log = Vec::new();
    for step in SCRIPT {
        let args: Vec<&[u8]> = step.cmd.split(' ').map(|a| a.as_bytes()).collect();
        conns[step.conn].cmd(&args);
        for &(c, n) in step.reads {
            // Several messages for one client from one PUBLISH (it matches several
            // patterns) arrive in hash-table order in both servers (Redis's dict seed is
            // random per process): compare them as a set.
            let mut batch: Vec<String> = (0..n)
                .map(|_| String::from_utf8_lossy(&conns[c].read_reply()).into_owned())
                .collect();
            if step.cmd.starts_with("PUBLISH") {
                batch.sort();
            }
            for r in batch {
                log.push(format!("{} -> conn{c}: {r}", step.cmd));
            }
        }
    }
    log
}

#[test]
fn pubsub_matches_redis() {
    let Some(redis) = start_redis() else {
        eprintln!("skipping: redis-server not installed");
        return;
    };
    let s = TestServer::start();
    for resp3 in [false, true] {
        let expected = run_script(redis.port, resp3);
        let got = run_script(s.port, resp3);
        let mismatches: Vec<String> = expected
            .iter()
            .zip(&got)
            .filter(|(e, g)| e != g)
            .map(|(e, g)| format!("redis:   {e:?}\ntessera: {g:?}"))
            .collect();
        assert!(
            mismatches.is_empty() && expected.len() == got.len(),
            "RESP{} pub/sub differences:\n{}",
            if resp3 { 3 } else { 2 },
            mismatches.join("\n")
        );
    }
}
