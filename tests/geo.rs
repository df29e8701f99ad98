//! Geo commands against real Redis's replies (captured from redis-server 7.0; the
//! 7.2 double format is used where a score is printed: STOREDIST distances).

mod common;
use common::*;

const TABLE: &[Case] = &[
        (&["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], b":2\r\n"),
        (&["GEOADD", "g", "2.349014", "48.864716", "Paris", "-0.127758", "51.507351", "London", "-74.005974", "40.712776", "NYC", "139.691711", "35.689487", "Tokyo", "151.209290", "-33.868820", "Sydney"], b":5\r\n"),
        (&["GEOADD", "g", "200", "10", "bad"], b"-ERR invalid longitude,latitude pair 200.000000,10.000000\r\n"),
        (&["GEOADD", "g", "10", "86", "bad"], b"-ERR invalid longitude,latitude pair 10.000000,86.000000\r\n"),
        (&["GEOADD", "g", "x", "10", "bad"], b"-ERR value is not a valid float\r\n"),
        (&["GEOADD", "g", "1", "2"], b"-ERR wrong number of arguments for 'geoadd' command\r\n"),
        (&["GEOADD", "g", "NX", "XX", "1", "2", "a"], b"-ERR syntax error\r\n"),
        (&["GEOADD", "g", "CH", "13.361389", "38.2", "Palermo"], b":1\r\n"),
        (&["GEOADD", "g", "NX", "13.361389", "38.115556", "Palermo", "1", "1", "new"], b":1\r\n"),
        (&["GEOADD", "g", "XX", "CH", "13.361389", "38.115556", "Palermo", "2", "2", "nothere"], b":1\r\n"),
        (&["GEOPOS", "g", "Palermo", "Catania", "nope", "Sydney"], b"*4\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n*-1\r\n*2\r\n$21\r\n151.20928913354873657\r\n$21\r\n-33.86882119711083305\r\n"),
        (&["GEOPOS", "nokey", "a"], b"*1\r\n*-1\r\n"),
        (&["GEODIST", "g", "Palermo", "Catania"], b"$11\r\n166274.1516\r\n"),
        (&["GEODIST", "g", "Palermo", "Catania", "km"], b"$8\r\n166.2742\r\n"),
        (&["GEODIST", "g", "Palermo", "Catania", "mi"], b"$8\r\n103.3182\r\n"),
        (&["GEODIST", "g", "Palermo", "Catania", "ft"], b"$11\r\n545518.8700\r\n"),
        (&["GEODIST", "g", "Palermo", "Catania", "KM"], b"$8\r\n166.2742\r\n"),
        (&["GEODIST", "g", "Palermo", "Catania", "foo"], b"-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"),
        (&["GEODIST", "g", "Palermo", "nope"], b"$-1\r\n"),
        (&["GEODIST", "nokey", "a", "b"], b"$-1\r\n"),
        (&["GEODIST", "g", "Palermo", "Catania", "km", "extra"], b"-ERR syntax error\r\n"),
        (&["GEOHASH", "g", "Palermo", "Catania", "nope", "Sydney", "London"], b"*5\r\n$11\r\nsqc8b49rny0\r\n$11\r\nsqdtr74hyu0\r\n$-1\r\n$11\r\nr3gx2f75zf0\r\n$11\r\ngcpvj0dup10\r\n"),
        (&["GEOHASH", "nokey", "a"], b"*1\r\n$-1\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"], b"*2\r\n$7\r\nCatania\r\n$7\r\nPalermo\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "DESC", "WITHCOORD", "WITHDIST", "WITHHASH"], b"*2\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n"),
        (&["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "3000", "km", "WITHDIST"], b"*4\r\n*2\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n*2\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n*2\r\n$5\r\nParis\r\n$9\r\n1486.3914\r\n*2\r\n$6\r\nLondon\r\n$9\r\n1824.4179\r\n"),
        (&["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "3000", "km", "COUNT", "2", "WITHDIST"], b"*2\r\n*2\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n*2\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n"),
        (&["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "3000", "km", "COUNT", "2", "ANY"], b"*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n"),
        (&["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYBOX", "4000", "4000", "km", "WITHDIST", "ASC"], b"*4\r\n*2\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n*2\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n*2\r\n$5\r\nParis\r\n$9\r\n1486.3914\r\n*2\r\n$6\r\nLondon\r\n$9\r\n1824.4179\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "ASC", "WITHDIST"], b"*8\r\n*2\r\n$3\r\nnew\r\n$8\r\n157.2937\r\n*2\r\n$7\r\nCatania\r\n$9\r\n4449.6961\r\n*2\r\n$7\r\nPalermo\r\n$9\r\n4454.7332\r\n*2\r\n$5\r\nParis\r\n$9\r\n5439.7174\r\n*2\r\n$6\r\nLondon\r\n$9\r\n5728.9846\r\n*2\r\n$3\r\nNYC\r\n$9\r\n8669.5109\r\n*2\r\n$5\r\nTokyo\r\n$10\r\n14266.9002\r\n*2\r\n$6\r\nSydney\r\n$10\r\n15203.7363\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km"], b"*8\r\n$3\r\nnew\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n$5\r\nParis\r\n$5\r\nTokyo\r\n$6\r\nSydney\r\n$3\r\nNYC\r\n$6\r\nLondon\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "100", "-10", "BYBOX", "20000", "10000", "km", "DESC"], b"*1\r\n$6\r\nSydney\r\n"),
        (&["GEOSEARCH", "g", "FROMMEMBER", "nope", "BYRADIUS", "10", "km"], b"-ERR could not decode requested zset member\r\n"),
        (&["GEOSEARCH", "g", "BYRADIUS", "10", "km"], b"-ERR wrong number of arguments for 'geosearch' command\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1"], b"-ERR wrong number of arguments for 'geosearch' command\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "10", "km", "ANY"], b"-ERR the ANY argument requires COUNT argument\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "10", "km", "COUNT", "0"], b"-ERR COUNT must be > 0\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "-1", "km"], b"-ERR radius cannot be negative\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "x", "km"], b"-ERR need numeric radius\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYBOX", "x", "1", "km"], b"-ERR need numeric width\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYBOX", "1", "x", "km"], b"-ERR need numeric height\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYBOX", "-1", "1", "km"], b"-ERR height or width cannot be negative\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "yd"], b"-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"], b"-ERR syntax error\r\n"),
        (&["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"], b"-ERR syntax error\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "STOREDIST"], b"-ERR syntax error\r\n"),
        (&["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"], b"*0\r\n"),
        (&["GEOSEARCH", "nokey", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"], b"*0\r\n"),
        (&["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"], b":2\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], b"*4\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n$7\r\nCatania\r\n$16\r\n3479447370796909\r\n"),
        (&["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"], b":2\r\n"),
        (&["ZRANGE", "dst", "0", "-1", "WITHSCORES"], b"*4\r\n$7\r\nCatania\r\n$16\r\n56.4412578701582\r\n$7\r\nPalermo\r\n$18\r\n190.44242984775784\r\n"),
        (&["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHDIST"], b"-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"),
        (&["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"], b":0\r\n"),
        (&["GEOSEARCHSTORE", "dst", "nokey", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"], b":0\r\n"),
        (&["GEORADIUS", "g", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "ASC"], b"*2\r\n*3\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n*3\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n"),
        (&["GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "1"], b"*1\r\n$7\r\nCatania\r\n"),
        (&["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "dst2"], b":2\r\n"),
        (&["ZRANGE", "dst2", "0", "-1", "WITHSCORES"], b"*4\r\n$7\r\nPalermo\r\n$16\r\n3479099956230698\r\n$7\r\nCatania\r\n$16\r\n3479447370796909\r\n"),
        (&["GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "dst2"], b":2\r\n"),
        (&["ZRANGE", "dst2", "0", "-1", "WITHSCORES"], b"*4\r\n$7\r\nCatania\r\n$16\r\n56.4412578701582\r\n$7\r\nPalermo\r\n$18\r\n190.44242984775784\r\n"),
        (&["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "dst2", "WITHDIST"], b"-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"),
        (&["GEORADIUS_RO", "g", "15", "37", "200", "km", "STORE", "dst2"], b"-ERR syntax error\r\n"),
        (&["GEORADIUS_RO", "g", "15", "37", "200", "km", "WITHHASH"], b"*2\r\n*2\r\n$7\r\nPalermo\r\n:3479099956230698\r\n*2\r\n$7\r\nCatania\r\n:3479447370796909\r\n"),
        (&["GEORADIUSBYMEMBER", "g", "Palermo", "200", "km", "WITHDIST"], b"*2\r\n*2\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n*2\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n"),
        (&["GEORADIUSBYMEMBER", "g", "nope", "200", "km"], b"-ERR could not decode requested zset member\r\n"),
        (&["GEORADIUSBYMEMBER", "nokey", "nope", "200", "km"], b"*0\r\n"),
        (&["GEORADIUSBYMEMBER", "nokey", "nope", "200", "km", "STORE", "dst2"], b":0\r\n"),
        (&["GEORADIUSBYMEMBER_RO", "g", "Palermo", "5000", "km", "DESC", "COUNT", "3", "WITHDIST"], b"*3\r\n*2\r\n$3\r\nnew\r\n$9\r\n4317.1555\r\n*2\r\n$6\r\nLondon\r\n$9\r\n1824.4179\r\n*2\r\n$5\r\nParis\r\n$9\r\n1486.3914\r\n"),
        (&["GEORADIUS", "g", "200", "37", "200", "km"], b"-ERR invalid longitude,latitude pair 200.000000,37.000000\r\n"),
        (&["GEORADIUS", "g", "15", "37", "x", "km"], b"-ERR need numeric radius\r\n"),
        (&["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "0", "m", "WITHDIST", "WITHCOORD"], b"*1\r\n*3\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n"),
        (&["ZSCORE", "g", "Palermo"], b"$16\r\n3479099956230698\r\n"),
        (&["GEOADD", "gs", "1", "1", "a"], b":1\r\n"),
        (&["GEOPOS", "gs", "a"], b"*1\r\n*2\r\n$19\r\n0.99999994039535522\r\n$19\r\n0.99999945914297683\r\n"),
];

#[test]
fn commands_options_errors_resp2() {
    let s = TestServer::start();
    let mut c = s.raw();
    check_table(&mut c, TABLE);
    assert_eq!(run(&mut c, "GEOPOS nokey a"), "*1\r\n*-1\r\n");
    assert_eq!(run(&mut c, "SET gs x"), "+OK\r\n");
    assert_eq!(
        run(&mut c, "GEOADD gs 1 1 a"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(
        run(&mut c, "GEOSEARCH gs FROMLONLAT 1 1 BYRADIUS 1 km"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
}

const RESP3: &[Case] = &[
        (&["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], b":2\r\n"),
        (&["GEOPOS", "g", "Palermo", "nope"], b"*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n"),
        (&["GEODIST", "g", "Palermo", "Catania"], b"$11\r\n166274.1516\r\n"),
        (&["GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHCOORD", "WITHDIST", "WITHHASH"], b"*2\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n*4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n"),
];

#[test]
fn resp3_shapes() {
    let s = TestServer::start();
    let mut c = s.raw();
    if !hello3(&mut c) {
        eprintln!("HELLO not available: RESP3 shapes not checked");
        return;
    }
    check_table(&mut c, RESP3);
}

// ---------------------------------------------------------------------------------------
// Randomised comparison with a real redis-server (skipped when it isn't installed): the
// same points and searches must give byte-identical replies (coordinates are decoded cell
// centers, distances Redis's haversine, box order Redis's nine-cell scan).

#[test]
fn random_searches_match_real_redis() {
    let Some(redis) = start_redis() else {
        eprintln!("redis-server not available: skipped");
        return;
    };
    let s = TestServer::start();
    let mut t = s.raw();
    let mut r = Raw::connect(redis.port);
    let mut rng = Rng(0x6e0);
    let mut send = |cmd: Vec<String>| {
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_bytes()).collect();
        t.cmd(&args);
        r.cmd(&args);
        let (got, want) = (t.read_reply(), r.read_reply());
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "{cmd:?}"
        );
    };
    // Points spread over a few regions, including near the poles' limit and the date line.
    let centers = [
        (13.0, 38.0),
        (-74.0, 40.7),
        (179.5, -16.0),
        (0.0, 84.0),
        (-0.1, 0.1),
    ];
    for i in 0..600 {
        let (cx, cy) = centers[i % centers.len()];
        let lon: f64 = (cx + (rng.unit() - 0.5) * 6.0).clamp(-180.0, 180.0);
        let lat: f64 = (cy + (rng.unit() - 0.5) * 6.0).clamp(-85.0, 85.0);
        send(vec![
            "GEOADD".into(),
            "pts".into(),
            format!("{lon:.6}"),
            format!("{lat:.6}"),
            format!("p{i}"),
        ]);
    }
    let units = ["m", "km", "mi", "ft"];
    for i in 0..300 {
        let (cx, cy) = centers[i % centers.len()];
        let lon = (cx + (rng.unit() - 0.5) * 4.0).clamp(-180.0, 180.0);
        let lat = (cy + (rng.unit() - 0.5) * 4.0).clamp(-85.0, 85.0);
        let unit = units[(rng.next() % 4) as usize];
        let scale = match unit {
            "m" => 1000.0,
            "ft" => 3280.0,
            _ => 1.0,
        };
        let mut cmd: Vec<String> = vec!["GEOSEARCH".into(), "pts".into()];
        if rng.next().is_multiple_of(3) {
            cmd.extend(["FROMMEMBER".into(), format!("p{}", rng.next() % 600)]);
        } else {
            cmd.extend([
                "FROMLONLAT".into(),
                format!("{lon:.5}"),
                format!("{lat:.5}"),
            ]);
        }
        if rng.next().is_multiple_of(2) {
            cmd.extend([
                "BYRADIUS".into(),
                format!("{:.3}", rng.unit() * 300.0 * scale),
                unit.into(),
            ]);
        } else {
            cmd.extend([
                "BYBOX".into(),
                format!("{:.3}", rng.unit() * 500.0 * scale),
                format!("{:.3}", rng.unit() * 500.0 * scale),
                unit.into(),
            ]);
        }
        match rng.next() % 3 {
            0 => cmd.push("ASC".into()),
            1 => cmd.push("DESC".into()),
            _ => {}
        }
        cmd.extend(["WITHDIST".into(), "WITHHASH".into(), "WITHCOORD".into()]);
        send(cmd);
    }
    for i in 0..50 {
        send(vec![
            "GEODIST".into(),
            "pts".into(),
            format!("p{i}"),
            format!("p{}", i * 7 % 600),
            units[i % 4].into(),
        ]);
        send(vec![
            "GEOPOS".into(),
            "pts".into(),
            format!("p{i}"),
            format!("p{}", 599 - i),
        ]);
        send(vec!["GEOHASH".into(), "pts".into(), format!("p{i}")]);
    }
}

#[test]
fn scores_that_are_not_geohashes_decode_as_on_redis() {
    // Redis casts the score with C's (uint64_t) (x86-64: a negative score wraps, an
    // out-of-range one gives 0 or 2^63); replies captured from redis-server 7.0.
    let s = TestServer::start();
    let mut c = s.raw();
    assert_eq!(
        run(&mut c, "ZADD gz -1 neg 1e300 huge inf pinf -inf ninf"),
        ":4\r\n"
    );
    assert_eq!(
        run(&mut c, "GEOPOS gz neg huge pinf ninf"),
        "*4\r\n*2\r\n$3\r\n180\r\n$19\r\n85.0511287799999991\r\n\
         *2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n\
         *2\r\n$22\r\n-179.99999731779098511\r\n$21\r\n-85.05112751263942528\r\n\
         *2\r\n$3\r\n180\r\n$21\r\n-85.05112751263942528\r\n"
    );
    assert_eq!(
        run(&mut c, "GEOHASH gz neg huge pinf ninf"),
        "*4\r\n$11\r\nbp05b5048p0\r\n$11\r\n00bh0hbj200\r\n$11\r\n00bh0hbj200\r\n$11\r\n00bh0hbj200\r\n"
    );
}
