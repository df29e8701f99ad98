//! HyperLogLog: replies and exact bytes compared with Redis (a live redis-server when one
//! is on PATH, and bytes captured from Redis otherwise).

mod common;
use common::run as runs;
use common::*;

fn run(c: &mut Raw, args: &[&[u8]]) -> Vec<u8> {
    c.cmd(args);
    c.read_reply()
}

/// The payload of a bulk reply.
fn payload(r: &[u8]) -> Vec<u8> {
    let nl = r.iter().position(|&b| b == b'\n').unwrap();
    r[nl + 1..r.len() - 2].to_vec()
}

/// Bytes of `PFADD x a b c` in Redis (sparse, cached cardinality invalid).
const ABC: &[u8] =
    b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ";

#[test]
fn pfadd_pfcount_bytes_match_redis() {
    let s = TestServer::start();
    let mut c = s.raw();
    assert_eq!(runs(&mut c, "PFADD x a b c"), ":1\r\n");
    assert_eq!(payload(&run(&mut c, &[b"GET", b"x"])), ABC);
    assert_eq!(runs(&mut c, "PFADD x a b c"), ":0\r\n");
    assert_eq!(runs(&mut c, "PFCOUNT x"), ":3\r\n");
    // The count is cached in the header now.
    let mut cached = ABC.to_vec();
    cached[8] = 3;
    cached[15] = 0;
    assert_eq!(payload(&run(&mut c, &[b"GET", b"x"])), cached);
    assert_eq!(
        runs(&mut c, "PFDEBUG DECODE x"),
        "$44\r\nZ:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603\r\n"
    );
    assert_eq!(runs(&mut c, "PFDEBUG ENCODING x"), "+sparse\r\n");
    // A value SET from Redis's bytes counts the same.
    run(&mut c, &[b"SET", b"y", ABC]);
    assert_eq!(runs(&mut c, "PFCOUNT y"), ":3\r\n");
    assert_eq!(runs(&mut c, "PFCOUNT x y nokey"), ":3\r\n");
}

#[test]
fn pfadd_creation_and_empty() {
    let s = TestServer::start();
    let mut c = s.raw();
    assert_eq!(runs(&mut c, "PFADD e"), ":1\r\n");
    assert_eq!(runs(&mut c, "PFADD e"), ":0\r\n");
    assert_eq!(
        payload(&run(&mut c, &[b"GET", b"e"])),
        b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"
    );
    assert_eq!(runs(&mut c, "PFCOUNT e"), ":0\r\n");
    assert_eq!(runs(&mut c, "PFCOUNT nokey"), ":0\r\n");
    assert_eq!(runs(&mut c, "PFCOUNT nokey nokey2"), ":0\r\n");
    assert_eq!(
        runs(&mut c, "PFADD"),
        "-ERR wrong number of arguments for 'pfadd' command\r\n"
    );
}

#[test]
fn errors() {
    let s = TestServer::start();
    let mut c = s.raw();
    let not_hll = "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n";
    let wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    runs(&mut c, "HSET h a 1");
    runs(&mut c, "SET str hello");
    runs(&mut c, "SET num 12345");
    runs(&mut c, "SET short HYLL");
    for k in ["str", "num", "short"] {
        assert_eq!(runs(&mut c, &format!("PFADD {k} a")), not_hll, "{k}");
        assert_eq!(runs(&mut c, &format!("PFCOUNT {k}")), not_hll, "{k}");
        assert_eq!(runs(&mut c, &format!("PFCOUNT nokey {k}")), not_hll, "{k}");
        assert_eq!(runs(&mut c, &format!("PFMERGE d {k}")), not_hll, "{k}");
    }
    assert_eq!(runs(&mut c, "PFADD h a"), wrongtype);
    assert_eq!(runs(&mut c, "PFCOUNT h"), wrongtype);
    assert_eq!(runs(&mut c, "PFMERGE h"), wrongtype);
    // Dense with the wrong length.
    let mut dense = b"HYLL\x00\x00\x00\x00".to_vec();
    dense.extend_from_slice(&[0u8; 100]);
    run(&mut c, &[b"SET", b"d", &dense]);
    assert_eq!(runs(&mut c, "PFCOUNT d"), not_hll);
    // Unknown encoding byte.
    let mut enc = ABC.to_vec();
    enc[4] = 2;
    run(&mut c, &[b"SET", b"e", &enc]);
    assert_eq!(runs(&mut c, "PFCOUNT e"), not_hll);
    // Sparse opcodes that don't cover the 16384 registers.
    let corrupt = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xf0";
    run(&mut c, &[b"SET", b"bad", corrupt]);
    let invalid = "-INVALIDOBJ Corrupted HLL object detected\r\n";
    assert_eq!(runs(&mut c, "PFCOUNT bad"), invalid);
    assert_eq!(runs(&mut c, "PFCOUNT bad x"), invalid);
    assert_eq!(runs(&mut c, "PFMERGE m bad"), invalid);
    assert_eq!(
        runs(&mut c, "PFDEBUG ENCODING nokey"),
        "-ERR The specified key does not exist\r\n"
    );
    assert_eq!(
        runs(&mut c, "PFDEBUG FOO bad"),
        "-ERR Unknown PFDEBUG subcommand 'FOO'\r\n"
    );
}

#[test]
fn dense_promotion_and_merge() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut rc = s.conn();
    let mut cmd = redis::cmd("PFADD");
    cmd.arg("big");
    for i in 0..10000 {
        cmd.arg(format!("el{i}"));
    }
    qc(&mut rc, &cmd);
    assert_eq!(runs(&mut c, "PFDEBUG ENCODING big"), "+dense\r\n");
    let n = payload(&run(&mut c, &[b"GET", b"big"])).len();
    assert_eq!(n, 12304);
    let count: i64 = runs(&mut c, "PFCOUNT big")
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    assert!((9800..10200).contains(&count), "{count}");
    runs(&mut c, "PFADD small a b c");
    assert_eq!(runs(&mut c, "PFMERGE m small"), "+OK\r\n");
    assert_eq!(runs(&mut c, "PFCOUNT m"), ":3\r\n");
    assert_eq!(runs(&mut c, "PFDEBUG ENCODING m"), "+sparse\r\n");
    assert_eq!(runs(&mut c, "PFMERGE m big"), "+OK\r\n");
    assert_eq!(runs(&mut c, "PFDEBUG ENCODING m"), "+dense\r\n");
    // PFMERGE with only a destination creates an empty HLL.
    assert_eq!(runs(&mut c, "PFMERGE only"), "+OK\r\n");
    assert_eq!(runs(&mut c, "PFCOUNT only"), ":0\r\n");
    // hll-sparse-max-bytes promotes early.
    runs(&mut c, "CONFIG SET hll-sparse-max-bytes 30");
    runs(&mut c, "PFADD p a b c d e f g h i j");
    assert_eq!(runs(&mut c, "PFDEBUG ENCODING p"), "+dense\r\n");
    assert_eq!(runs(&mut c, "PFDEBUG TODENSE p"), ":0\r\n");
    assert_eq!(runs(&mut c, "PFDEBUG TODENSE small"), ":1\r\n");
    assert_eq!(runs(&mut c, "PFCOUNT small"), ":3\r\n");
}

#[test]
fn same_bytes_as_live_redis() {
    let Some(redis) = start_redis() else {
        eprintln!("redis-server not found: skipping the live comparison");
        return;
    };
    let s = TestServer::start();
    let mut t = s.raw();
    let mut r = Raw::connect(redis.port);
    for n in [1usize, 7, 60, 400, 1500, 3000, 30000] {
        let key = format!("h{n}");
        let mut i = 0;
        while i < n {
            let els: Vec<String> = (i..(i + 200).min(n)).map(|j| format!("e{j}:{n}")).collect();
            let mut args: Vec<&[u8]> = vec![b"PFADD", key.as_bytes()];
            args.extend(els.iter().map(|e| e.as_bytes()));
            assert_eq!(run(&mut t, &args), run(&mut r, &args), "PFADD {n}");
            i += 200;
        }
        let get: Vec<&[u8]> = vec![b"GET", key.as_bytes()];
        assert_eq!(run(&mut t, &get), run(&mut r, &get), "bytes for {n}");
        let cnt: Vec<&[u8]> = vec![b"PFCOUNT", key.as_bytes()];
        assert_eq!(run(&mut t, &cnt), run(&mut r, &cnt), "count for {n}");
        assert_eq!(run(&mut t, &get), run(&mut r, &get), "cached bytes for {n}");
        // Redis's bytes SET into Tessera count the same.
        let theirs = payload(&run(&mut r, &get));
        run(&mut t, &[b"SET", b"copy", &theirs]);
        assert_eq!(
            run(&mut t, &[b"PFCOUNT", b"copy"]),
            run(&mut r, &cnt),
            "copied {n}"
        );
    }
    for cmd in [
        "PFMERGE m1 h7 h60",
        "PFMERGE m2 h400 h30000",
        "PFMERGE h1 h60",
        "GET m1",
        "GET m2",
        "GET h1",
        "PFCOUNT m1",
        "PFCOUNT m2",
        "PFCOUNT h7 h400 h1500",
        "PFCOUNT h7 h30000 nokey",
    ] {
        assert_eq!(runs(&mut t, cmd), runs(&mut r, cmd), "{cmd}");
    }
    // Promotion by hll-sparse-max-bytes.
    for c in [&mut t, &mut r] {
        runs(c, "CONFIG SET hll-sparse-max-bytes 100");
    }
    let mut args: Vec<Vec<u8>> = vec![b"PFADD".to_vec(), b"p".to_vec()];
    args.extend((0..40).map(|i| format!("x{i}").into_bytes()));
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    assert_eq!(run(&mut t, &refs), run(&mut r, &refs));
    assert_eq!(runs(&mut t, "GET p"), runs(&mut r, "GET p"));
}

#[test]
fn pfcount_cache_update_is_a_modification() {
    let s = TestServer::start();
    let mut c = s.raw();
    let mut other = s.raw();
    runs(&mut c, "PFADD x a b c");
    // Recomputing the cached cardinality rewrites the value: WATCH sees it (as Redis).
    runs(&mut c, "WATCH x");
    assert_eq!(runs(&mut other, "PFCOUNT x"), ":3\r\n");
    runs(&mut c, "MULTI");
    runs(&mut c, "PING");
    assert_eq!(runs(&mut c, "EXEC"), "*-1\r\n");
    // A cached count changes nothing.
    runs(&mut c, "WATCH x");
    assert_eq!(runs(&mut other, "PFCOUNT x"), ":3\r\n");
    assert_eq!(runs(&mut other, "PFADD x a"), ":0\r\n");
    runs(&mut c, "MULTI");
    runs(&mut c, "PING");
    assert_eq!(runs(&mut c, "EXEC"), "*1\r\n+PONG\r\n");
}

/// A string changed by APPEND/SETRANGE keeps a growable buffer inside; it must still be
/// recognised as a (now corrupt) HLL, as Redis's corruption tests expect.
#[test]
fn corrupted_by_setrange_is_invalidobj() {
    let s = TestServer::start();
    let mut c = s.conn();
    assert_eq!(
        q(&mut c, &["PFADD", "h", "a", "b", "c"]),
        redis::Value::Int(1)
    );
    // Overwrite register bytes of the sparse representation with garbage.
    q(&mut c, &["SETRANGE", "h", "16", "\u{ff}\u{ff}\u{ff}\u{ff}"]);
    assert_eq!(
        err_text(&q(&mut c, &["PFCOUNT", "h"])),
        "INVALIDOBJ Corrupted HLL object detected"
    );
    q(&mut c, &["SET", "n", "HYLLgarbage"]);
    q(&mut c, &["APPEND", "n", "more"]);
    assert_eq!(
        err_text(&q(&mut c, &["PFADD", "n", "x"])),
        "WRONGTYPE Key is not a valid HyperLogLog string value."
    );
}
