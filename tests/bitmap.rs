//! The bitmap family: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO, as
//! Redis 7 replies (expected replies taken from a real redis-server 7.0; where Redis 7.2
//! changed behaviour, noted).

mod common;
use common::*;
use redis::Value;

/// `\xNN` escapes in a token become that byte.
fn unescape(t: &str) -> Vec<u8> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1] == b'x' {
            out.push(u8::from_str_radix(&t[i + 2..i + 4], 16).unwrap());
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Bulk strings shown with non-printable bytes as `\xNN`.
fn render(v: &Value) -> String {
    match v {
        Value::Nil => "nil".into(),
        Value::Int(i) => format!(":{i}"),
        Value::BulkString(b) => {
            let mut s = String::from("$");
            for &c in b {
                if (0x20..0x7f).contains(&c) && c != b'\\' {
                    s.push(c as char);
                } else {
                    s.push_str(&format!("\\x{c:02x}"));
                }
            }
            s
        }
        Value::Okay => "OK".into(),
        Value::SimpleString(s) => format!("+{s}"),
        Value::ServerError(_) => format!("-{}", err_text(v)),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        other => format!("{other:?}"),
    }
}

fn check(c: &mut redis::Connection, cases: &[(&str, &str)]) {
    for (line, want) in cases {
        let mut parts = line.split(' ');
        let mut cmd = redis::cmd(parts.next().unwrap());
        for p in parts {
            cmd.arg(unescape(p));
        }
        let got = render(&qc(c, &cmd));
        assert_eq!(&got, want, "command: {line}");
    }
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";
const OFFSET_ERR: &str = "-ERR bit offset is not an integer or out of range";
const BIT_ERR: &str = "-ERR bit is not an integer or out of range";
const TYPE_ERR: &str = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

#[test]
fn setbit_getbit() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("SETBIT b -1 1", OFFSET_ERR),
            ("SETBIT b 4294967296 1", OFFSET_ERR),
            ("SETBIT b abc 1", OFFSET_ERR),
            ("SETBIT b #1 1", OFFSET_ERR),
            ("SETBIT b 0 2", BIT_ERR),
            ("SETBIT b 0 -1", BIT_ERR),
            ("SETBIT b 0 abc", BIT_ERR),
            ("GETBIT b 4294967296", OFFSET_ERR),
            ("GETBIT nokey abc", OFFSET_ERR),
            ("GETBIT nokey 5", ":0"),
            ("SETBIT b 7 1", ":0"),
            ("SETBIT b 7 1", ":1"),
            ("GET b", "$\\x01"),
            ("SETBIT b 7 0", ":1"),
            ("GET b", "$\\x00"),
            ("SETBIT b 0 1", ":0"),
            ("SETBIT b 100 1", ":0"),
            ("STRLEN b", ":13"),
            ("GETBIT b 0", ":1"),
            ("GETBIT b 1", ":0"),
            ("GETBIT b 100", ":1"),
            ("GETBIT b 101", ":0"),
            ("GETBIT b 99999", ":0"),
            // An integer value is read through its digits.
            ("SET q 1", "OK"),
            ("GETBIT q 2", ":1"),
            ("GETBIT q 3", ":1"),
            ("GETBIT q 4", ":0"),
            ("SETBIT q 7 0", ":1"),
            ("GET q", "$0"),
            ("GETBIT b 4294967295", ":0"),
            // The limit follows proto-max-bulk-len (1mb here to keep the test small).
            ("CONFIG SET proto-max-bulk-len 1mb", "OK"),
            ("SETBIT b 8388608 1", OFFSET_ERR),
            ("GETBIT b 8388608", OFFSET_ERR),
            ("SETBIT b 8388607 1", ":0"),
            ("STRLEN b", ":1048576"),
            ("GETBIT b 8388607", ":1"),
            ("BITFIELD b GET u8 #1048576", OFFSET_ERR),
            ("BITFIELD b GET u8 #1048575", "[:1]"),
            (
                "SETBIT b",
                "-ERR wrong number of arguments for 'setbit' command",
            ),
        ],
    );
    if make_non_string(&mut c, "l") {
        check(
            &mut c,
            &[
                ("SETBIT l 0 1", WRONGTYPE),
                ("GETBIT l 0", WRONGTYPE),
                ("GETBIT l x", OFFSET_ERR),
            ],
        );
    }
    if have(&mut c, "object") {
        check(
            &mut c,
            &[
                ("SET e 1", "OK"),
                ("SETBIT e 0 0", ":0"),
                ("OBJECT ENCODING e", "$raw"),
            ],
        );
    }
}

#[test]
fn bitcount() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("SET bc foobar", "OK"),
            ("BITCOUNT bc", ":26"),
            ("BITCOUNT bc 0 0", ":4"),
            ("BITCOUNT bc 1 1", ":6"),
            ("BITCOUNT bc 1 1 BYTE", ":6"),
            ("BITCOUNT bc 5 30 BIT", ":17"),
            ("BITCOUNT bc 5 30 bit", ":17"),
            ("BITCOUNT bc -1 -2", ":0"),
            ("BITCOUNT bc -2 -1", ":7"),
            ("BITCOUNT bc -100 100", ":26"),
            ("BITCOUNT bc 0 -1 BIT", ":26"),
            ("BITCOUNT bc 3 2", ":0"),
            ("SET bits \\xff\\xf0\\x01", "OK"),
            ("BITCOUNT bits 9 14 BIT", ":3"),
            ("BITCOUNT bits 12 12 BIT", ":0"),
            ("BITCOUNT bits 11 11 BIT", ":1"),
            ("BITCOUNT bits 0 0 BIT", ":1"),
            ("BITCOUNT bits 23 23 BIT", ":1"),
            ("BITCOUNT bits -1 -1 BIT", ":1"),
            ("BITCOUNT bits -9 -2 BIT", ":0"),
            ("BITCOUNT bits -17 -2 BIT", ":5"),
            ("BITCOUNT bits 2 1 BIT", ":0"),
            ("BITCOUNT bits -1 -2 BIT", ":0"),
            ("BITCOUNT bc 1 2 3", "-ERR syntax error"),
            ("BITCOUNT bc 1", "-ERR syntax error"),
            (
                "BITCOUNT bc a b",
                "-ERR value is not an integer or out of range",
            ),
            ("BITCOUNT bc 0 1 FOO", "-ERR syntax error"),
            ("BITCOUNT bc 0 1 BIT x", "-ERR syntax error"),
            ("BITCOUNT nokey", ":0"),
            ("BITCOUNT nokey 0 1", ":0"),
            // Redis 7.2: arguments are checked even when the key is missing (7.0 said 0).
            ("BITCOUNT nokey 0", "-ERR syntax error"),
            (
                "BITCOUNT nokey a b",
                "-ERR value is not an integer or out of range",
            ),
            ("BITCOUNT nokey 0 1 FOO", "-ERR syntax error"),
            ("SET e ", "OK"),
            ("BITCOUNT e", ":0"),
            ("BITCOUNT e 0 -1", ":0"),
            ("BITCOUNT e 0 -1 bit", ":0"),
            ("SET i 12", "OK"),
            ("BITCOUNT i", ":6"),
            (
                "BITCOUNT",
                "-ERR wrong number of arguments for 'bitcount' command",
            ),
        ],
    );
    if make_non_string(&mut c, "l") {
        check(
            &mut c,
            &[
                ("BITCOUNT l", WRONGTYPE),
                ("BITCOUNT l 0 1", WRONGTYPE),
                // Redis 7.2 checks the arguments first (7.0 said WRONGTYPE).
                ("BITCOUNT l 0", "-ERR syntax error"),
            ],
        );
    }
}

#[test]
fn bitpos() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("SET bits \\xff\\xf0\\x00", "OK"),
            ("BITPOS bits 0", ":12"),
            ("BITPOS bits 1", ":0"),
            ("BITPOS bits 0 1", ":12"),
            ("BITPOS bits 0 2 -1", ":16"),
            ("BITPOS bits 1 2", ":-1"),
            ("BITPOS bits 1 2 -1", ":-1"),
            ("BITPOS bits 0 0 0", ":-1"),
            ("BITPOS bits 0 12 -1 BIT", ":12"),
            ("BITPOS bits 0 7 11 BIT", ":-1"),
            ("BITPOS bits 1 7 11 BIT", ":7"),
            ("BITPOS bits 1 9 22 bit", ":9"),
            ("BITPOS bits 1 -3 -1 bit", ":-1"),
            ("BITPOS bits 1 13 13 BIT", ":-1"),
            ("BITPOS bits 0 13 13 BIT", ":13"),
            ("BITPOS bits 0 11 11 BIT", ":-1"),
            ("BITPOS bits 1 11 12 BIT", ":11"),
            ("BITPOS bits 0 9 14 BIT", ":12"),
            ("SET ones \\xff\\xff\\xff", "OK"),
            // Looking for a clear bit without an end: the string is zero-padded.
            ("BITPOS ones 0", ":24"),
            ("BITPOS ones 0 1", ":24"),
            ("BITPOS ones 0 -1", ":24"),
            ("BITPOS ones 0 -100", ":24"),
            // With an explicit end, there is none.
            ("BITPOS ones 0 1 2", ":-1"),
            ("BITPOS ones 0 1 -1", ":-1"),
            ("BITPOS ones 0 3 -1 BIT", ":-1"),
            ("BITPOS ones 1 2 1", ":-1"),
            ("BITPOS ones 1 -1 -2", ":-1"),
            ("BITPOS ones 1 5 5 BIT", ":5"),
            (
                "SET zeros \\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01",
                "OK",
            ),
            ("BITPOS zeros 1", ":151"),
            ("BITPOS zeros 1 3 -1 BIT", ":151"),
            ("BITPOS zeros 1 17", ":151"),
            ("BITPOS zeros 1 0 150 BIT", ":-1"),
            ("BITPOS zeros 0 0 -1 BIT", ":0"),
            ("BITPOS zeros 0 151 151 BIT", ":-1"),
            ("SET q 1", "OK"),
            ("BITPOS q 1", ":2"),
            ("BITPOS q 0", ":0"),
            ("BITPOS nokey 0", ":0"),
            ("BITPOS nokey 1", ":-1"),
            ("BITPOS nokey 1 0 1 BIT", ":-1"),
            ("SET e ", "OK"),
            ("BITPOS e 0", ":-1"),
            ("BITPOS e 1", ":-1"),
            ("BITPOS e 0 0 -1", ":-1"),
            ("BITPOS nokey 2", "-ERR The bit argument must be 1 or 0."),
            ("BITPOS nokey -1", "-ERR The bit argument must be 1 or 0."),
            ("BITPOS ones x", "-ERR value is not an integer or out of range"),
            ("BITPOS ones 1 0 1 BIT x", "-ERR syntax error"),
            ("BITPOS ones 1 0 1 FOO", "-ERR syntax error"),
            ("BITPOS ones 1 x", "-ERR value is not an integer or out of range"),
            ("BITPOS ones 1 0 x", "-ERR value is not an integer or out of range"),
            // Redis 7.2: arguments are checked even when the key is missing (7.0 said -1).
            ("BITPOS nokey 1 a", "-ERR value is not an integer or out of range"),
            ("BITPOS nokey 1 0 1 FOO", "-ERR syntax error"),
            ("BITPOS ones", "-ERR wrong number of arguments for 'bitpos' command"),
        ],
    );
    if make_non_string(&mut c, "l") {
        check(
            &mut c,
            &[
                ("BITPOS l 1", WRONGTYPE),
                ("BITPOS l 2", "-ERR The bit argument must be 1 or 0."),
            ],
        );
    }
}

#[test]
fn bitop() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("BITOP FOO d k", "-ERR syntax error"),
            (
                "BITOP NOT d k k",
                "-ERR BITOP NOT must be called with a single source key.",
            ),
            (
                "BITOP NOT d",
                "-ERR wrong number of arguments for 'bitop' command",
            ),
            ("SET s1 \\xff\\x0f", "OK"),
            ("SET s2 \\x0f\\xf0\\xaa", "OK"),
            ("BITOP AND d s1 s2", ":3"),
            ("GET d", "$\\x0f\\x00\\x00"),
            ("BITOP and d s1 s2", ":3"),
            ("BITOP OR d s1 s2", ":3"),
            ("GET d", "$\\xff\\xff\\xaa"),
            ("BITOP XOR d s1 s2 nokey", ":3"),
            ("GET d", "$\\xf0\\xff\\xaa"),
            ("BITOP NOT d s2", ":3"),
            ("GET d", "$\\xf0\\x0fU"),
            ("BITOP AND d s1 nokey", ":2"),
            ("GET d", "$\\x00\\x00"),
            ("BITOP OR d s1 nokey", ":2"),
            ("GET d", "$\\xff\\x0f"),
            ("BITOP XOR d s1 s1", ":2"),
            ("GET d", "$\\x00\\x00"),
            // Nothing but empty sources: the destination is deleted.
            ("BITOP OR d nokey nokey2", ":0"),
            ("GET d", "nil"),
            ("BITOP NOT d nokey", ":0"),
            ("SET i 12", "OK"),
            ("BITOP AND d i i", ":2"),
            ("GET d", "$12"),
            ("BITOP NOT s1 s1", ":2"),
            ("GET s1", "$\\x00\\xf0"),
        ],
    );
    if make_non_string(&mut c, "l") {
        check(
            &mut c,
            &[
                ("BITOP AND d l", WRONGTYPE),
                ("BITOP AND d s2 l", WRONGTYPE),
                // The destination may hold any type: it is overwritten.
                ("BITOP OR l s2", ":3"),
                ("GET l", "$\\x0f\\xf0\\xaa"),
            ],
        );
    }
    if have(&mut c, "object") {
        check(
            &mut c,
            &[("BITOP OR d s2", ":3"), ("OBJECT ENCODING d", "$raw")],
        );
    }
}

#[test]
fn bitfield_errors() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("SET k hello", "OK"),
            ("BITFIELD k GET u64 0", TYPE_ERR),
            ("BITFIELD k GET i65 0", TYPE_ERR),
            ("BITFIELD k GET I8 0", TYPE_ERR),
            ("BITFIELD k GET u0 0", TYPE_ERR),
            ("BITFIELD k GET i 0", TYPE_ERR),
            ("BITFIELD k GET x8 0", TYPE_ERR),
            ("BITFIELD k GET u8 -1", OFFSET_ERR),
            ("BITFIELD k GET u8 #-1", OFFSET_ERR),
            ("BITFIELD k GET u8 #4294967296", OFFSET_ERR),
            ("BITFIELD k GET u8 #536870912", OFFSET_ERR),
            ("BITFIELD k GET i64 #9223372036854775807", OFFSET_ERR),
            ("BITFIELD k GET i8 #", OFFSET_ERR),
            ("BITFIELD k GET u8 ##1", OFFSET_ERR),
            ("BITFIELD k GET u8 4294967296", OFFSET_ERR),
            (
                "BITFIELD k OVERFLOW FOO",
                "-ERR Invalid OVERFLOW type specified",
            ),
            ("BITFIELD k OVERFLOW", "-ERR syntax error"),
            ("BITFIELD k FOO", "-ERR syntax error"),
            ("BITFIELD k GET u8", "-ERR syntax error"),
            ("BITFIELD k SET u8 0", "-ERR syntax error"),
            (
                "BITFIELD k SET u8 0 x",
                "-ERR value is not an integer or out of range",
            ),
            (
                "BITFIELD k INCRBY u8 0 x",
                "-ERR value is not an integer or out of range",
            ),
            ("BITFIELD k GET u8 0 GET u8 x", OFFSET_ERR),
            // A bad operation anywhere means nothing runs.
            ("BITFIELD k SET u8 0 65 GET u8 x", OFFSET_ERR),
            ("GET k", "$hello"),
            (
                "BITFIELD_RO k SET u8 0 1",
                "-ERR BITFIELD_RO only supports the GET subcommand",
            ),
            (
                "BITFIELD_RO k GET u8 0 INCRBY u8 0 1",
                "-ERR BITFIELD_RO only supports the GET subcommand",
            ),
            ("BITFIELD_RO k FOO", "-ERR syntax error"),
            ("BITFIELD_RO k GET u8 0 GET i4 4", "[:104, :-8]"),
            ("BITFIELD_RO nokey GET u8 0", "[:0]"),
            ("BITFIELD_RO nokey", "[]"),
            ("BITFIELD nokey", "[]"),
            ("BITFIELD nokey OVERFLOW SAT", "[]"),
            ("GET nokey", "nil"),
            ("BITFIELD k GET u8 4294967295", "[:0]"),
            (
                "BITFIELD",
                "-ERR wrong number of arguments for 'bitfield' command",
            ),
        ],
    );
    if make_non_string(&mut c, "l") {
        check(
            &mut c,
            &[
                ("BITFIELD l GET u8 0", WRONGTYPE),
                ("BITFIELD l SET u8 0 1", WRONGTYPE),
                ("BITFIELD_RO l GET u8 0", WRONGTYPE),
            ],
        );
    }
}

#[test]
fn bitfield_ops() {
    let s = TestServer::start();
    let mut c = s.conn();
    check(
        &mut c,
        &[
            ("SET k hello", "OK"),
            (
                "BITFIELD k GET i8 #2 GET u8 #2 GET i64 0 GET u63 1 GET i1 1 GET u1 1",
                "[:108, :108, :7522537965566820352, :7522537965566820352, :-1, :1]",
            ),
            (
                "BITFIELD bf SET u8 0 255 GET u8 0 SET i8 8 -1 GET u8 8 GET i8 8",
                "[:0, :255, :0, :255, :-1]",
            ),
            ("BITFIELD bf INCRBY u8 0 1", "[:0]"),
            ("BITFIELD bf INCRBY u8 0 -1", "[:255]"),
            (
                "BITFIELD bf OVERFLOW SAT INCRBY u8 0 300 INCRBY u8 0 -300 INCRBY i8 8 200 INCRBY i8 8 -500",
                "[:255, :0, :127, :-128]",
            ),
            (
                "BITFIELD bf OVERFLOW FAIL INCRBY u8 0 300 INCRBY u8 0 -300 INCRBY i8 8 200 INCRBY i8 8 -500 GET u8 0",
                "[nil, nil, :72, nil, :0]",
            ),
            (
                "BITFIELD bf OVERFLOW WRAP INCRBY u8 0 300 INCRBY u8 0 -300 INCRBY i8 8 200 INCRBY i8 8 -500 GET u8 0",
                "[:44, :0, :16, :28, :0]",
            ),
            (
                "BITFIELD bf SET u8 0 -1 SET i8 8 200 OVERFLOW SAT SET u8 0 -1 SET i8 8 200 SET i8 8 -200 OVERFLOW FAIL SET u8 0 256 SET i8 8 -129 GET u8 0 GET i8 8",
                "[:0, :28, :255, :-56, :127, nil, nil, :255, :-128]",
            ),
            (
                "BITFIELD bf SET i64 0 -9223372036854775808 INCRBY i64 0 -1 OVERFLOW SAT INCRBY i64 0 -1 INCRBY i64 0 9223372036854775807 INCRBY i64 0 9223372036854775807 INCRBY i64 0 -9223372036854775808",
                "[:-36028797018963968, :9223372036854775807, :9223372036854775806, :9223372036854775807, :9223372036854775807, :-1]",
            ),
            (
                "BITFIELD bf SET u63 0 9223372036854775807 INCRBY u63 0 1 OVERFLOW SAT INCRBY u63 0 -1 INCRBY u63 0 9223372036854775807 SET u63 0 -5",
                "[:9223372036854775807, :0, :0, :9223372036854775807, :9223372036854775807]",
            ),
            (
                "BITFIELD bf OVERFLOW FAIL INCRBY u63 0 -9223372036854775808 INCRBY i64 0 1 GET i64 0",
                "[nil, :0, :0]",
            ),
            (
                "BITFIELD bf SET i5 3 7 INCRBY i5 3 10 GET i5 3 GET u5 3",
                "[:0, :-15, :-15, :17]",
            ),
            (
                "BITFIELD bf OVERFLOW FAIL SET i1 100 1 SET i1 100 -1 SET u1 100 2 GET u1 100",
                "[nil, :0, nil, :1]",
            ),
            ("STRLEN bf", ":13"),
            ("BITFIELD bf2 SET u8 #3 7 GET u8 24", "[:0, :7]"),
            ("STRLEN bf2", ":4"),
            ("GET bf2", "$\\x00\\x00\\x00\\x07"),
            // The string grows even when every write fails.
            ("BITFIELD bf3 OVERFLOW FAIL INCRBY u8 80 300", "[nil]"),
            ("STRLEN bf3", ":11"),
            ("SET i 12", "OK"),
            ("BITFIELD i GET u8 0 GET i16 0 GET u8 #2", "[:49, :12594, :0]"),
            ("BITFIELD_RO i GET u8 0", "[:49]"),
            ("BITFIELD i SET u8 0 55", "[:49]"),
            ("GET i", "$72"),
            (
                "BITFIELD bf4 INCRBY i3 100 5 INCRBY i3 100 5 INCRBY i3 100 -20",
                "[:-3, :2, :-2]",
            ),
            (
                "BITFIELD bf4 OVERFLOW SAT INCRBY i3 100 5 INCRBY i3 100 5 INCRBY i3 100 -20",
                "[:3, :3, :-4]",
            ),
            (
                "BITFIELD bf4 INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1 GET u2 100 GET u2 102",
                "[:3, :1, :3, :1]",
            ),
            (
                "BITFIELD bf4 INCRBY i64 200 9223372036854775807 INCRBY i64 200 9223372036854775807 INCRBY i64 200 -9223372036854775807 INCRBY i64 200 -9223372036854775807",
                "[:9223372036854775807, :-2, :9223372036854775807, :0]",
            ),
        ],
    );
}

fn changes(c: &mut redis::Connection) -> i64 {
    let Value::BulkString(info) = q(c, &["INFO", "persistence"]) else {
        panic!("INFO")
    };
    let text = String::from_utf8_lossy(&info).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
        .expect("rdb_changes_since_last_save")
        .trim()
        .parse()
        .unwrap()
}

/// Redis 7.2: SETBIT and BITFIELD count a change only when the key is created or grown or
/// a value actually changes (Redis's "SETBIT/BITFIELD only increase dirty when the value
/// changed").
#[test]
fn setbit_bitfield_dirty_only_on_change() {
    let s = TestServer::start();
    let mut c = s.conn();
    if !have(&mut c, "info") {
        eprintln!("INFO not available: skipped");
        return;
    }
    let d0 = changes(&mut c);
    q(&mut c, &["SETBIT", "foo", "0", "0"]);
    q(&mut c, &["BITFIELD", "foo2", "SET", "i5", "0", "0"]);
    let d1 = changes(&mut c);
    assert_eq!(d1, d0 + 2);
    q(&mut c, &["SETBIT", "foo", "0", "0"]);
    q(&mut c, &["BITFIELD", "foo2", "SET", "i5", "0", "0"]);
    assert_eq!(changes(&mut c), d1);
    for v in ["1", "1", "0", "0"] {
        q(&mut c, &["SETBIT", "foo", "0", v]);
        q(&mut c, &["BITFIELD", "foo2", "SET", "i5", "0", v]);
    }
    assert_eq!(changes(&mut c), d1 + 4);
}
