//! Geo commands (Redis's geo.c, geohash.c, geohash_helper.c): points are stored in a
//! sorted set with their 52-bit interleaved geohash as the score; searches scan the nine
//! geohash boxes around the center and filter by exact distance, as Redis does, so results
//! (and the decoded coordinates, which are cell centers) match Redis's.

use super::zset::{limits, store_result, zset_read};
use crate::command::{arg, err, Ctx, LockMode, Registry};
use crate::resp::Reply;
use crate::store::zset::{ScoreBound, ScoreRange, ZSetValue};
use crate::store::Sds;
use crate::util::eq_ic;
use bytes::Bytes;

pub fn register(r: &mut Registry) {
    r.add("geoadd", geoadd, LockMode::Keys);
    r.add("geopos", geopos, LockMode::Keys);
    r.add("geodist", geodist, LockMode::Keys);
    r.add("geohash", geohash, LockMode::Keys);
    r.add("georadius", georadius, LockMode::Keys);
    r.add("georadius_ro", georadius_ro, LockMode::Keys);
    r.add("georadiusbymember", georadiusbymember, LockMode::Keys);
    r.add("georadiusbymember_ro", georadiusbymember_ro, LockMode::Keys);
    r.add("geosearch", geosearch, LockMode::Keys);
    r.add("geosearchstore", geosearchstore, LockMode::Keys);
}

// ---------------------------------------------------------------------------------------
// geohash.c

const LAT_MIN: f64 = -85.05112878;
const LAT_MAX: f64 = 85.05112878;
const LONG_MIN: f64 = -180.0;
const LONG_MAX: f64 = 180.0;
const STEP_MAX: u8 = 26;

#[derive(Clone, Copy, Debug, PartialEq)]
struct HashBits {
    bits: u64,
    step: u8,
}

impl HashBits {
    fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy, Debug)]
struct Range {
    min: f64,
    max: f64,
}

#[derive(Clone, Copy, Debug)]
struct Area {
    lon: Range,
    lat: Range,
}

fn interleave64(xlo: u32, ylo: u32) -> u64 {
    const B: [u64; 5] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
    ];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let mut x = xlo as u64;
    let mut y = ylo as u64;
    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }
    x | (y << 1)
}

fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let mut x = interleaved;
    let mut y = interleaved >> 1;
    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }
    x | (y << 32)
}

fn encode(lon_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<HashBits> {
    if step > 32 || step == 0 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let mut lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min);
    let mut lon_off = (lon - lon_r.min) / (lon_r.max - lon_r.min);
    lat_off *= (1u64 << step) as f64;
    lon_off *= (1u64 << step) as f64;
    Some(HashBits {
        bits: interleave64(lat_off as u32, lon_off as u32),
        step,
    })
}

const WGS_LON: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const WGS_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

fn encode_wgs84(lon: f64, lat: f64, step: u8) -> Option<HashBits> {
    encode(WGS_LON, WGS_LAT, lon, lat, step)
}

fn decode(lon_r: Range, lat_r: Range, hash: HashBits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let step = hash.step;
    let sep = deinterleave64(hash.bits);
    let lat_scale = lat_r.max - lat_r.min;
    let lon_scale = lon_r.max - lon_r.min;
    let ilato = sep as u32;
    let ilono = (sep >> 32) as u32;
    let div = (1u64 << step) as f64;
    Some(Area {
        lat: Range {
            min: lat_r.min + (ilato as f64 * 1.0 / div) * lat_scale,
            max: lat_r.min + ((ilato as f64 + 1.0) * 1.0 / div) * lat_scale,
        },
        lon: Range {
            min: lon_r.min + (ilono as f64 * 1.0 / div) * lon_scale,
            max: lon_r.min + ((ilono as f64 + 1.0) * 1.0 / div) * lon_scale,
        },
    })
}

fn decode_wgs84(hash: HashBits) -> Option<Area> {
    decode(WGS_LON, WGS_LAT, hash)
}

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// C's `(int64_t)d` on x86-64 (cvttsd2si): out of range or NaN gives i64::MIN, where
/// Rust's `as` saturates.
fn c_f64_to_i64(d: f64) -> i64 {
    if d.is_nan() || !(-TWO_POW_63..TWO_POW_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// C's `(uint64_t)d` as x86-64 compilers emit it: below 2^63 cvttsd2si (so a negative
/// score wraps: -1 -> u64::MAX), from 2^63 on cvttsd2si(d - 2^63) with the top bit
/// flipped. Redis casts a member's score this way to decode it, so a zset whose scores
/// are not geohashes (negative, huge, inf) decodes to the same clamped positions (and
/// WITHHASH values) as on Redis; Rust's saturating `as` would give other ones.
fn c_f64_to_u64(d: f64) -> u64 {
    if d < TWO_POW_63 {
        c_f64_to_i64(d) as u64
    } else {
        (c_f64_to_i64(d - TWO_POW_63) as u64) ^ (1 << 63)
    }
}

/// The cell center of a stored score: (longitude, latitude).
fn decode_score(score: f64) -> Option<(f64, f64)> {
    let area = decode_wgs84(HashBits {
        bits: c_f64_to_u64(score),
        step: STEP_MAX,
    })?;
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    Some((lon, lat))
}

/// Moves the cell one step along one axis (+1 if `d > 0`, -1 if `d < 0`), as Redis's
/// geohash_move_x/_y: `axis` selects that axis' interleaved bits (odd bits: longitude,
/// even bits: latitude).
fn move_axis(h: &mut HashBits, d: i8, axis: u64) {
    if d == 0 {
        return;
    }
    let other = !axis;
    let mut a = h.bits & axis;
    let o = h.bits & other;
    let zz = other >> (64 - h.step as u32 * 2);
    if d > 0 {
        a = a.wrapping_add(zz + 1);
    } else {
        a |= zz;
        a = a.wrapping_sub(zz + 1);
    }
    a &= axis >> (64 - h.step as u32 * 2);
    h.bits = a | o;
}

fn move_x(h: &mut HashBits, d: i8) {
    move_axis(h, d, 0xaaaaaaaaaaaaaaaa);
}

fn move_y(h: &mut HashBits, d: i8) {
    move_axis(h, d, 0x5555555555555555);
}

/// The eight neighbours in Redis's search order: N, S, E, W, NE, NW, SE, SW.
#[derive(Clone, Copy)]
struct Neighbors {
    north: HashBits,
    south: HashBits,
    east: HashBits,
    west: HashBits,
    north_east: HashBits,
    north_west: HashBits,
    south_east: HashBits,
    south_west: HashBits,
}

fn neighbors(h: &HashBits) -> Neighbors {
    let mv = |dx: i8, dy: i8| {
        let mut n = *h;
        move_x(&mut n, dx);
        move_y(&mut n, dy);
        n
    };
    Neighbors {
        east: mv(1, 0),
        west: mv(-1, 0),
        south: mv(0, -1),
        north: mv(0, 1),
        north_west: mv(-1, 1),
        north_east: mv(1, 1),
        south_east: mv(1, -1),
        south_west: mv(-1, -1),
    }
}

// ---------------------------------------------------------------------------------------
// geohash_helper.c

const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(a: f64) -> f64 {
    a * D_R
}
fn rad_deg(a: f64) -> f64 {
    a / D_R
}

fn estimate_steps_by_radius(range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

#[derive(Clone, Copy)]
enum ShapeKind {
    Circle { radius: f64 },
    Box { width: f64, height: f64 },
}

#[derive(Clone, Copy)]
struct Shape {
    lon: f64,
    lat: f64,
    /// Meters per unit.
    conversion: f64,
    kind: ShapeKind,
}

fn bounding_box(s: &Shape) -> [f64; 4] {
    let (h, w) = match s.kind {
        ShapeKind::Circle { radius } => (radius, radius),
        ShapeKind::Box { width, height } => (height / 2.0, width / 2.0),
    };
    let height = s.conversion * h;
    let width = s.conversion * w;
    let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
    let long_delta_top = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(s.lat + lat_delta).cos());
    let long_delta_bottom =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(s.lat - lat_delta).cos());
    let southern = s.lat < 0.0;
    [
        if southern {
            s.lon - long_delta_bottom
        } else {
            s.lon - long_delta_top
        },
        s.lat - lat_delta,
        if southern {
            s.lon + long_delta_bottom
        } else {
            s.lon + long_delta_top
        },
        s.lat + lat_delta,
    ]
}

/// The center box and its neighbours covering the shape (zeroed ones are skipped).
fn areas_by_shape(s: &Shape) -> [HashBits; 9] {
    let b = bounding_box(s);
    let (min_lon, min_lat, max_lon, max_lat) = (b[0], b[1], b[2], b[3]);
    let radius_meters = match s.kind {
        ShapeKind::Circle { radius } => radius,
        ShapeKind::Box { width, height } => {
            ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
        }
    } * s.conversion;
    let mut steps = estimate_steps_by_radius(radius_meters, s.lat);
    let zero = HashBits { bits: 0, step: 0 };
    let mut hash = encode_wgs84(s.lon, s.lat, steps).unwrap_or(zero);
    let mut nb = neighbors(&hash);
    let mut area = decode_wgs84(hash);
    let mut decrease = false;
    {
        let north = decode_wgs84(nb.north);
        let south = decode_wgs84(nb.south);
        let east = decode_wgs84(nb.east);
        let west = decode_wgs84(nb.west);
        if north.is_some_and(|a| a.lat.max < max_lat) {
            decrease = true;
        }
        if south.is_some_and(|a| a.lat.min > min_lat) {
            decrease = true;
        }
        if east.is_some_and(|a| a.lon.max < max_lon) {
            decrease = true;
        }
        if west.is_some_and(|a| a.lon.min > min_lon) {
            decrease = true;
        }
    }
    if steps > 1 && decrease {
        steps -= 1;
        hash = encode_wgs84(s.lon, s.lat, steps).unwrap_or(zero);
        nb = neighbors(&hash);
        area = decode_wgs84(hash);
    }
    if steps >= 2 {
        if let Some(area) = area {
            if area.lat.min < min_lat {
                nb.south = zero;
                nb.south_west = zero;
                nb.south_east = zero;
            }
            if area.lat.max > max_lat {
                nb.north = zero;
                nb.north_east = zero;
                nb.north_west = zero;
            }
            if area.lon.min < min_lon {
                nb.west = zero;
                nb.south_west = zero;
                nb.north_west = zero;
            }
            if area.lon.max > max_lon {
                nb.east = zero;
                nb.south_east = zero;
                nb.north_east = zero;
            }
        }
    }
    [
        hash,
        nb.north,
        nb.south,
        nb.east,
        nb.west,
        nb.north_east,
        nb.north_west,
        nb.south_east,
        nb.south_west,
    ]
}

fn align52(h: HashBits) -> u64 {
    h.bits << (52 - h.step as u32 * 2)
}

fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// Haversine distance in meters.
fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

fn distance_if_in_rect(w: f64, h: f64, x1: f64, y1: f64, x2: f64, y2: f64) -> Option<f64> {
    if lat_distance(y2, y1) > h / 2.0 {
        return None;
    }
    if distance(x2, y2, x1, y2) > w / 2.0 {
        return None;
    }
    Some(distance(x1, y1, x2, y2))
}

// ---------------------------------------------------------------------------------------
// Argument helpers and reply formatting

fn parse_lonlat(a: &[u8], b: &[u8]) -> Result<(f64, f64), Reply> {
    let lon = super::zset::float_arg(a)?;
    let lat = super::zset::float_arg(b)?;
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return Err(Reply::Error(
            format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}").into(),
        ));
    }
    Ok((lon, lat))
}

fn parse_unit(u: &[u8]) -> Result<f64, Reply> {
    if eq_ic(u, "m") {
        Ok(1.0)
    } else if eq_ic(u, "km") {
        Ok(1000.0)
    } else if eq_ic(u, "ft") {
        Ok(0.3048)
    } else if eq_ic(u, "mi") {
        Ok(1609.34)
    } else {
        Err(Reply::err(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        ))
    }
}

fn float_or(b: &[u8], msg: &'static str) -> Result<f64, Reply> {
    super::zset::parse_double(b).ok_or_else(|| Reply::err(msg))
}

/// `radius unit` -> (radius, conversion).
fn parse_distance(r: &[u8], u: &[u8]) -> Result<(f64, f64), Reply> {
    let d = float_or(r, "ERR need numeric radius")?;
    if d < 0.0 {
        return Err(Reply::err("ERR radius cannot be negative"));
    }
    Ok((d, parse_unit(u)?))
}

/// `width height unit` -> (width, height, conversion).
fn parse_box(w: &[u8], h: &[u8], u: &[u8]) -> Result<(f64, f64, f64), Reply> {
    let w = float_or(w, "ERR need numeric width")?;
    let h = float_or(h, "ERR need numeric height")?;
    if h < 0.0 || w < 0.0 {
        return Err(Reply::err("ERR height or width cannot be negative"));
    }
    Ok((w, h, parse_unit(u)?))
}

/// Redis's "human" long double format (`%.17Lf`, trailing zeros removed).
fn human(d: f64) -> String {
    let mut s = format!("{d:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// addReplyHumanLongDouble: a bulk string in RESP2, a double in RESP3.
fn human_reply(d: f64, resp3: bool) -> Reply {
    let s = human(d);
    if resp3 {
        Reply::Raw(Bytes::from(format!(",{s}\r\n")))
    } else {
        Reply::Bulk(Bytes::from(s))
    }
}

fn dist_reply(d: f64) -> Reply {
    Reply::Bulk(Bytes::from(format!("{d:.4}")))
}

// ---------------------------------------------------------------------------------------
// Commands

fn geoadd(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let key = &args[1];
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if eq_ic(a, "nx") {
            nx = true;
        } else if eq_ic(a, "xx") {
            xx = true;
        } else if eq_ic(a, "ch") {
            ch = true;
        } else {
            break;
        }
        i += 1;
    }
    if !(args.len() - i).is_multiple_of(3) || (xx && nx) {
        return err::syntax();
    }
    let mut scores = Vec::new();
    for t in args[i..].chunks(3) {
        let (lon, lat) = tri!(parse_lonlat(&t[0], &t[1]));
        let h = encode_wgs84(lon, lat, STEP_MAX).unwrap_or(HashBits { bits: 0, step: 0 });
        scores.push((align52(h) as f64, &t[2][..]));
    }
    let reply = tri!(super::zset::geo_zadd(ctx, key, nx, xx, ch, &scores));
    // Replicated as the ZADD it is.
    let mut zargs = vec![Bytes::from_static(b"ZADD")];
    zargs.extend(args[1..i].iter().cloned());
    for (s, m) in &scores {
        zargs.push(Bytes::from((*s as u64).to_string()));
        zargs.push(Bytes::copy_from_slice(m));
    }
    ctx.rewrite_as(vec![zargs]);
    reply
}

fn geopos(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let resp3 = ctx.resp3();
    let z = tri!(zset_read(ctx, &args[1]));
    Reply::Array(
        args[2..]
            .iter()
            .map(
                |m| match z.and_then(|z| z.score(m)).and_then(decode_score) {
                    None => Reply::NilArray,
                    Some((lon, lat)) => {
                        Reply::Array(vec![human_reply(lon, resp3), human_reply(lat, resp3)])
                    }
                },
            )
            .collect(),
    )
}

fn geodist(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut to_meter = 1.0;
    if args.len() == 5 {
        to_meter = tri!(parse_unit(&args[4]));
    } else if args.len() > 5 {
        return err::syntax();
    }
    let Some(z) = tri!(zset_read(ctx, &args[1])) else {
        return Reply::Nil;
    };
    let (Some(s1), Some(s2)) = (z.score(&args[2]), z.score(&args[3])) else {
        return Reply::Nil;
    };
    match (decode_score(s1), decode_score(s2)) {
        (Some(a), Some(b)) => dist_reply(distance(a.0, a.1, b.0, b.1) / to_meter),
        _ => Reply::Nil,
    }
}

fn geohash(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let z = tri!(zset_read(ctx, &args[1]));
    Reply::Array(
        args[2..]
            .iter()
            .map(|m| {
                let Some((lon, lat)) = z.and_then(|z| z.score(m)).and_then(decode_score) else {
                    return Reply::Nil;
                };
                let h = encode(
                    Range {
                        min: -180.0,
                        max: 180.0,
                    },
                    Range {
                        min: -90.0,
                        max: 90.0,
                    },
                    lon,
                    lat,
                    26,
                )
                .map(|h| h.bits)
                .unwrap_or(0);
                let mut buf = [0u8; 11];
                for (i, c) in buf.iter_mut().enumerate() {
                    let idx = if i == 10 {
                        0
                    } else {
                        ((h >> (52 - (i + 1) * 5)) & 0x1f) as usize
                    };
                    *c = ALPHABET[idx];
                }
                Reply::bulk(buf)
            })
            .collect(),
    )
}

/// The source set again after `zset_read` found it (no second hit/miss count).
fn zset_peek<'a>(ctx: &'a mut Ctx, key: &[u8]) -> &'a ZSetValue {
    match ctx.lookup(key).map(|e| &e.value) {
        Some(crate::store::Value::ZSet(z)) => z,
        _ => unreachable!("checked by zset_read"),
    }
}

const RADIUS_COORDS: u32 = 1;
const RADIUS_MEMBER: u32 = 2;
const RADIUS_NOSTORE: u32 = 4;
const GEOSEARCH: u32 = 8;
const GEOSEARCHSTORE: u32 = 16;

struct Point {
    lon: f64,
    lat: f64,
    dist: f64,
    score: f64,
    member: Sds,
}

/// Collects the points of `z` inside `shape`, box by box in Redis's order.
fn points_in_shape(z: &ZSetValue, shape: &Shape, limit: usize) -> Vec<Point> {
    let boxes = areas_by_shape(shape);
    let mut out: Vec<Point> = Vec::new();
    let mut last: Option<usize> = None;
    for (i, b) in boxes.iter().enumerate() {
        if b.is_zero() {
            continue;
        }
        if let Some(l) = last {
            if l > 0 && boxes[l] == *b {
                continue;
            }
        }
        if !out.is_empty() && limit > 0 && out.len() >= limit {
            break;
        }
        let min = align52(*b) as f64;
        let max = align52(HashBits {
            bits: b.bits + 1,
            step: b.step,
        }) as f64;
        let (lo, hi) = z.score_ranks(&ScoreRange {
            min: ScoreBound {
                value: min,
                exclusive: false,
            },
            max: ScoreBound {
                value: max,
                exclusive: true,
            },
        });
        let mut done = false;
        z.walk(lo, hi, false, |m, score| {
            if done {
                return;
            }
            let Some((lon, lat)) = decode_score(score) else {
                return;
            };
            let dist = match shape.kind {
                ShapeKind::Circle { radius } => {
                    let d = distance(shape.lon, shape.lat, lon, lat);
                    if d > radius * shape.conversion {
                        return;
                    }
                    d
                }
                ShapeKind::Box { width, height } => {
                    match distance_if_in_rect(
                        width * shape.conversion,
                        height * shape.conversion,
                        shape.lon,
                        shape.lat,
                        lon,
                        lat,
                    ) {
                        Some(d) => d,
                        None => return,
                    }
                }
            };
            out.push(Point {
                lon,
                lat,
                dist,
                score,
                member: Sds::new(m),
            });
            if limit > 0 && out.len() >= limit {
                done = true;
            }
        });
        // Redis's `last_processed` starts at 0 and only its truthiness is tested.
        last = Some(i);
    }
    out
}

#[derive(PartialEq, Clone, Copy)]
enum Sort {
    None,
    Asc,
    Desc,
}

fn georadius_generic(ctx: &mut Ctx, args: &[Bytes], src_idx: usize, flags: u32) -> Reply {
    let src = &args[src_idx];
    let resp3 = ctx.resp3();
    // Type check first.
    let exists = tri!(zset_read(ctx, src)).is_some();
    let mut storekey: Option<Bytes> = None;
    let mut storedist = false;
    let mut center: Option<(f64, f64)> = None;
    let mut kind: Option<ShapeKind> = None;
    let mut conversion = 1.0;
    let base_args;
    if flags & RADIUS_COORDS != 0 {
        base_args = 6;
        center = Some(tri!(parse_lonlat(&args[2], &args[3])));
        let (r, c) = tri!(parse_distance(&args[4], &args[5]));
        kind = Some(ShapeKind::Circle { radius: r });
        conversion = c;
    } else if flags & RADIUS_MEMBER != 0 && !exists {
        base_args = 5;
    } else if flags & RADIUS_MEMBER != 0 {
        base_args = 5;
        let z = zset_peek(ctx, src);
        match z.score(&args[2]).and_then(decode_score) {
            Some(p) => center = Some(p),
            None => return Reply::err("ERR could not decode requested zset member"),
        }
        let (r, c) = tri!(parse_distance(&args[3], &args[4]));
        kind = Some(ShapeKind::Circle { radius: r });
        conversion = c;
    } else {
        base_args = if flags & GEOSEARCHSTORE != 0 {
            storekey = Some(args[1].clone());
            3
        } else {
            2
        };
    }
    let (mut withdist, mut withhash, mut withcoords) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let remaining = args.len().saturating_sub(base_args);
    let mut i = 0;
    while i < remaining {
        let a = &args[base_args + i];
        let has = |n: usize| i + n < remaining;
        if eq_ic(a, "withdist") {
            withdist = true;
        } else if eq_ic(a, "withhash") {
            withhash = true;
        } else if eq_ic(a, "withcoord") {
            withcoords = true;
        } else if eq_ic(a, "any") {
            any = true;
        } else if eq_ic(a, "asc") {
            sort = Sort::Asc;
        } else if eq_ic(a, "desc") {
            sort = Sort::Desc;
        } else if eq_ic(a, "count") && has(1) {
            count = tri!(arg::int(&args[base_args + i + 1]));
            if count <= 0 {
                return Reply::err("ERR COUNT must be > 0");
            }
            i += 1;
        } else if eq_ic(a, "store")
            && has(1)
            && flags & RADIUS_NOSTORE == 0
            && flags & GEOSEARCH == 0
        {
            storekey = Some(args[base_args + i + 1].clone());
            storedist = false;
            i += 1;
        } else if eq_ic(a, "storedist")
            && has(1)
            && flags & RADIUS_NOSTORE == 0
            && flags & GEOSEARCH == 0
        {
            storekey = Some(args[base_args + i + 1].clone());
            storedist = true;
            i += 1;
        } else if eq_ic(a, "storedist") && flags & GEOSEARCH != 0 && flags & GEOSEARCHSTORE != 0 {
            storedist = true;
        } else if eq_ic(a, "frommember") && has(1) && flags & GEOSEARCH != 0 && !fromloc {
            if exists {
                let z = zset_peek(ctx, src);
                match z.score(&args[base_args + i + 1]).and_then(decode_score) {
                    Some(p) => center = Some(p),
                    None => return Reply::err("ERR could not decode requested zset member"),
                }
            }
            frommember = true;
            i += 1;
        } else if eq_ic(a, "fromlonlat") && has(2) && flags & GEOSEARCH != 0 && !frommember {
            center = Some(tri!(parse_lonlat(
                &args[base_args + i + 1],
                &args[base_args + i + 2]
            )));
            fromloc = true;
            i += 2;
        } else if eq_ic(a, "byradius") && has(2) && flags & GEOSEARCH != 0 && !bybox {
            let (r, c) = tri!(parse_distance(
                &args[base_args + i + 1],
                &args[base_args + i + 2]
            ));
            kind = Some(ShapeKind::Circle { radius: r });
            conversion = c;
            byradius = true;
            i += 2;
        } else if eq_ic(a, "bybox") && has(3) && flags & GEOSEARCH != 0 && !byradius {
            let (w, h, c) = tri!(parse_box(
                &args[base_args + i + 1],
                &args[base_args + i + 2],
                &args[base_args + i + 3]
            ));
            kind = Some(ShapeKind::Box {
                width: w,
                height: h,
            });
            conversion = c;
            bybox = true;
            i += 3;
        } else {
            return err::syntax();
        }
        i += 1;
    }
    if storekey.is_some() && (withdist || withhash || withcoords) {
        return Reply::Error(
            format!(
                "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
                if flags & GEOSEARCHSTORE != 0 {
                    "GEOSEARCHSTORE"
                } else {
                    "STORE option in GEORADIUS"
                }
            )
            .into(),
        );
    }
    let name = String::from_utf8_lossy(&args[0]).into_owned();
    if flags & GEOSEARCH != 0 && !(frommember || fromloc) {
        return Reply::Error(
            format!("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")
                .into(),
        );
    }
    if flags & GEOSEARCH != 0 && !(byradius || bybox) {
        return Reply::Error(
            format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {name}").into(),
        );
    }
    if any && count == 0 {
        return Reply::err("ERR the ANY argument requires COUNT argument");
    }
    if !exists {
        if let Some(dst) = &storekey {
            if ctx.delete(dst) {
                ctx.notify(crate::config::notify::GENERIC, "del", dst);
            }
            return Reply::Int(0);
        }
        return Reply::Array(vec![]);
    }
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let (lon, lat) = center.unwrap_or((0.0, 0.0));
    let shape = Shape {
        lon,
        lat,
        conversion,
        kind: kind.unwrap_or(ShapeKind::Circle { radius: 0.0 }),
    };
    let mut pts = {
        let z = zset_peek(ctx, src);
        points_in_shape(z, &shape, if any { count as usize } else { 0 })
    };
    if pts.is_empty() && storekey.is_none() {
        return Reply::Array(vec![]);
    }
    // A stable sort: members at exactly the same distance keep their scan order. Redis
    // uses qsort, or its unstable pqsort when COUNT cuts the result, so such ties can
    // come out in another order there (the order of equal distances is unspecified).
    match sort {
        Sort::Asc => pts.sort_by(|a, b| a.dist.total_cmp(&b.dist)),
        Sort::Desc => pts.sort_by(|a, b| b.dist.total_cmp(&a.dist)),
        Sort::None => {}
    }
    let returned = if count == 0 {
        pts.len()
    } else {
        pts.len().min(count as usize)
    };
    pts.truncate(returned);
    match storekey {
        None => {
            let opts = withdist as usize + withhash as usize + withcoords as usize;
            let out = pts
                .iter()
                .map(|p| {
                    let m = Reply::bulk(&p.member);
                    if opts == 0 {
                        return m;
                    }
                    let mut v = vec![m];
                    if withdist {
                        v.push(dist_reply(p.dist / conversion));
                    }
                    if withhash {
                        v.push(Reply::Int(c_f64_to_i64(p.score)));
                    }
                    if withcoords {
                        v.push(Reply::Array(vec![
                            human_reply(p.lon, resp3),
                            human_reply(p.lat, resp3),
                        ]));
                    }
                    Reply::Array(v)
                })
                .collect();
            Reply::Array(out)
        }
        Some(dst) => {
            let items: Vec<(Sds, f64)> = pts
                .into_iter()
                .map(|p| {
                    let s = if storedist {
                        p.dist / conversion
                    } else {
                        p.score
                    };
                    (p.member, s)
                })
                .collect();
            let _ = limits(ctx);
            let ev = if flags & GEOSEARCH != 0 {
                "geosearchstore"
            } else {
                "georadiusstore"
            };
            store_result(ctx, &dst, items, ev)
        }
    }
}

fn georadius(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    georadius_generic(ctx, args, 1, RADIUS_COORDS)
}

fn georadius_ro(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    georadius_generic(ctx, args, 1, RADIUS_COORDS | RADIUS_NOSTORE)
}

fn georadiusbymember(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    georadius_generic(ctx, args, 1, RADIUS_MEMBER)
}

fn georadiusbymember_ro(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    georadius_generic(ctx, args, 1, RADIUS_MEMBER | RADIUS_NOSTORE)
}

fn geosearch(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    georadius_generic(ctx, args, 1, GEOSEARCH)
}

fn geosearchstore(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    georadius_generic(ctx, args, 2, GEOSEARCH | GEOSEARCHSTORE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_roundtrip() {
        let h = encode_wgs84(13.361389, 38.115556, STEP_MAX).unwrap();
        let score = align52(h);
        assert_eq!(score, 3479099956230698);
        let (lon, lat) = decode_score(score as f64).unwrap();
        assert_eq!(human(lon), "13.36138933897018433");
        assert_eq!(human(lat), "38.11555639549629859");
    }
}
