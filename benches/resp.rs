//! Parser and reply-encoding micro-benchmarks.

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion};
use tessera::resp::{Limits, Reply, RequestParser};

fn parse_pipeline(c: &mut Criterion) {
    let one = b"*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000001\r\n$32\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n";
    let input: Vec<u8> = one.iter().copied().cycle().take(one.len() * 16).collect();
    c.bench_function("parse 16 pipelined SETs", |b| {
        b.iter(|| {
            let mut p = RequestParser::new();
            let mut buf = BytesMut::from(&input[..]);
            let mut n = 0;
            while let Some(a) = p.parse(&mut buf, &Limits::default()).unwrap() {
                n += a.len();
            }
            n
        })
    });
}

fn encode(c: &mut Criterion) {
    let r = Reply::Array(
        (0..100)
            .map(|i| Reply::bulk(format!("value-{i}")))
            .collect(),
    );
    c.bench_function("encode 100-element array", |b| {
        let mut out = Vec::with_capacity(4096);
        b.iter(|| {
            out.clear();
            r.write_to(&mut out, 2);
            out.len()
        })
    });
}

criterion_group!(benches, parse_pipeline, encode);
criterion_main!(benches);
