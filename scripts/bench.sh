#!/usr/bin/env bash
# bench.sh — compare Tessera and redis-server throughput and server CPU cost
# with redis-benchmark, interleaved on the same machine.
#
# Usage:
#   scripts/bench.sh [options]
#
# Options:
#   -R, --rounds N      rounds; each round runs every test/mode once against
#                       Tessera, then once against redis-server (A,B,A,B...).
#                       The median over rounds is reported.          [3]
#   -n N                requests per unpipelined (-P 1) run          [100000]
#   --pn N              requests per pipelined run                   [10 x -n]
#                       (pipelined runs are ~10x faster; more requests keep
#                       them long enough for CPU ticks to be meaningful)
#   -t LIST             comma-separated tests, as for redis-benchmark -t
#                       [set,get,incr,mset,ping]
#                       also: lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,
#                       zpopmin,lrange_100 (lrange_N for any N), ping_inline,
#                       ping_mbulk. "ping" expands to ping_inline,ping_mbulk;
#                       "lrange" to lrange_100,lrange_300,lrange_500,lrange_600.
#                       LRANGE_N runs as the custom command `LRANGE mylist 0 N-1`
#                       (redis-benchmark's own lrange tests fill inside the run).
#   -r N                keyspace for __rand_int__ (redis-benchmark -r) [100000]
#   -c N                parallel clients                             [50]
#   -P LIST             pipeline depths to measure, comma-separated  [1,16]
#   -d N                value size in bytes (redis-benchmark -d)     [3]
#   --abba              alternate who goes first: tessera,redis in odd rounds,
#                       redis,tessera in even ones (cancels order effects;
#                       default is always tessera first: A,B,A,B...)
#   --pin               pin servers to CPU 1 and redis-benchmark to CPU 0
#                       (fair for single-threaded servers only; cripples a
#                       multi-threaded Tessera — the output says so)
#   --no-build          do not run `cargo build --release`
#   --raw FILE          also write every individual measurement to FILE (TSV)
#   -h, --help          this help
#
# Environment:
#   TESSERA_BIN      server binary for side A (default: target/release/tessera,
#                    built with `cargo build --release` first). Point it at
#                    redis-server to sanity-check the script (ratios ~1.0).
#   REDIS_BIN        server binary for side B (default: redis-server)
#   REDIS_BENCHMARK  redis-benchmark binary (default: redis-benchmark)
#   REDIS_CLI        redis-cli binary (default: redis-cli)
#
# Both servers are started here on free ports with
#   --port P --bind 127.0.0.1 --save '' --appendonly no
# and killed on exit. Before every measured run the server is FLUSHALLed and
# the data the test needs is loaded (GET: the keyspace; LPOP/RPOP: a list with
# one element per request; SPOP/ZPOPMIN: a set/zset with one member per
# request; LRANGE_N: a 1000-element list). The fill happens outside the
# measured run and outside the CPU accounting (see /work/shared/benchmarking.md).
#
# Reported per test and mode: median req/s of each server and the ratio
# tessera/redis (>1 = Tessera faster), and server CPU per request in µs
# ((utime+stime) delta from /proc/<pid>/stat over the run / requests) and the
# ratio tessera/redis (<1 = Tessera cheaper). /proc/<pid>/stat sums all threads.
#
# Requires bash, coreutils, python3, redis-benchmark, redis-cli.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=3
REQUESTS=100000
PREQUESTS=""
TESTS="set,get,incr,mset,ping"
KEYSPACE=100000
CLIENTS=50
PIPELINES="1,16"
DATASIZE=3
PIN=0
ABBA=0
BUILD=1
RAW_OUT=""

while [[ $# -gt 0 ]]; do
    case "$1" in
        -R|--rounds) ROUNDS="${2:?}"; shift 2 ;;
        -n) REQUESTS="${2:?}"; shift 2 ;;
        --pn) PREQUESTS="${2:?}"; shift 2 ;;
        -t) TESTS="${2:?}"; shift 2 ;;
        -r) KEYSPACE="${2:?}"; shift 2 ;;
        -c) CLIENTS="${2:?}"; shift 2 ;;
        -P) PIPELINES="${2:?}"; shift 2 ;;
        -d) DATASIZE="${2:?}"; shift 2 ;;
        --pin) PIN=1; shift ;;
        --abba) ABBA=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --raw) RAW_OUT="${2:?}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done
for v in ROUNDS REQUESTS KEYSPACE CLIENTS DATASIZE; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ -z "$PREQUESTS" ]] && PREQUESTS=$((REQUESTS * 10))
[[ "$PREQUESTS" =~ ^[1-9][0-9]*$ ]] || die "--pn must be a positive integer"

REDIS_BIN="${REDIS_BIN:-redis-server}"
REDIS_BENCHMARK="${REDIS_BENCHMARK:-redis-benchmark}"
need "$REDIS_BIN" "$REDIS_BENCHMARK" "$REDIS_CLI" python3
tessera_bin

CLK_TCK="$(getconf CLK_TCK)"
work_dir tessera-bench
[[ "$PIN" == 1 ]] && SERVER_PREFIX=(taskset -c 1)

# cpu_ticks PID -> utime+stime in clock ticks (all threads)
cpu_ticks() {
    local stat rest
    stat="$(<"/proc/$1/stat")"
    rest="${stat##*) }"          # fields after "(comm) ", starting with field 3
    # shellcheck disable=SC2086
    set -- $rest
    echo $(( ${12} + ${13} ))    # fields 14 (utime) and 15 (stime)
}

# Generates RESP for the pre-run fill of a test; args: TEST COUNT KEYSPACE DATASIZE
FILL_PY='
import sys
test, count, keyspace, dsize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out = sys.stdout.buffer
data = b"x" * dsize
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))
def batched(head, items, per=500):
    for i in range(0, len(items), per):
        args = list(head)
        for it in items[i:i + per]:
            args.extend(it)
        cmd(*args)
if test == "get":
    # plain SETs (not MSET) so that the fill works on the smallest command set
    for i in range(keyspace):
        cmd(b"SET", b"key:%012d" % i, data)
elif test in ("lpop", "rpop"):
    batched([b"RPUSH", b"mylist"], [(data,) for _ in range(count)])
elif test.startswith("lrange"):
    batched([b"RPUSH", b"mylist"], [(data,) for _ in range(1000)])
elif test == "spop":
    batched([b"SADD", b"myset"], [(b"element:%d" % i,) for i in range(count)])
elif test == "zpopmin":
    batched([b"ZADD", b"myzset"], [(b"%d" % i, b"element:%d" % i) for i in range(count)])
'

needs_fill() {
    case "$1" in
        get|lpop|rpop|spop|zpopmin|lrange*) return 0 ;;
        *) return 1 ;;
    esac
}

# prepare NAME PORT TEST COUNT: flush, then load what TEST needs.
# Returns 1 (with a warning) if the server rejected the fill.
prepare() {
    local name="$1" port="$2" test="$3" count="$4" out
    "$REDIS_CLI" -p "$port" FLUSHALL >/dev/null
    if needs_fill "$test"; then
        out="$(python3 -c "$FILL_PY" "$test" "$count" "$KEYSPACE" "$DATASIZE" \
            | "$REDIS_CLI" -p "$port" --pipe 2>&1)" || true
        if [[ "$out" != *"errors: 0,"* ]]; then
            local first
            first="$(head -n 1 <<<"$out")"
            echo "WARNING: fill for $test failed on $name: ${first:0:160} ... $(tail -n 1 <<<"$out")" >&2
            return 1
        fi
    fi
    # let any deferred work of the flush/fill (lazy freeing, background threads)
    # finish before the CPU counters are read
    sleep 0.2
}

# bench_args TEST -> redis-benchmark test selection args (one line, NUL-free)
bench_args() {
    local test="$1"
    case "$test" in
        lrange_*)
            local n="${test#lrange_}"
            [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "bad lrange test '$test'"
            echo "LRANGE mylist 0 $((n - 1))" ;;
        *) echo "-t $test" ;;
    esac
}

# Expand test list
EXPANDED=()
IFS=',' read -r -a _tests <<<"$TESTS"
for t in "${_tests[@]}"; do
    t="${t,,}"
    [[ -z "$t" ]] && continue
    if [[ "$t" == "ping" ]]; then
        EXPANDED+=(ping_inline ping_mbulk)
    elif [[ "$t" == "lrange" ]]; then
        EXPANDED+=(lrange_100 lrange_300 lrange_500 lrange_600)
    else
        EXPANDED+=("$t")
    fi
done
[[ ${#EXPANDED[@]} -gt 0 ]] || die "no tests selected"
IFS=',' read -r -a PIPES <<<"$PIPELINES"
for p in "${PIPES[@]}"; do
    [[ "$p" =~ ^[1-9][0-9]*$ ]] || die "bad pipeline depth '$p'"
done

start_server tessera "$TESSERA_BIN"; A_PID="$START_PID"; A_PORT="$START_PORT"
start_server redis "$REDIS_BIN"; B_PID="$START_PID"; B_PORT="$START_PORT"

BENCH_PREFIX=()
[[ "$PIN" == 1 ]] && BENCH_PREFIX=(taskset -c 0)

RAW="$WORK/raw.tsv"
printf 'round\ttest\tpipeline\tserver\trequests\trps\tcpu_us_per_req\n' >"$RAW"

{
    echo "# tessera: $TESSERA_BIN (pid $A_PID, port $A_PORT)"
    echo "# redis:   $REDIS_BIN (pid $B_PID, port $B_PORT) — $("$REDIS_BIN" --version 2>/dev/null | head -1 || true)"
    echo "# rounds=$ROUNDS  -n $REQUESTS (pipelined: $PREQUESTS)  -c $CLIENTS  -r $KEYSPACE  -d $DATASIZE  -P {$PIPELINES}"
    if [[ "$PIN" == 1 ]]; then
        echo "# PINNED: servers on CPU 1, redis-benchmark on CPU 0 (a multi-threaded Tessera is limited to one core!)"
    else
        echo "# not pinned (servers and client share $(nproc) CPUs)"
    fi
    if [[ "$ABBA" == 1 ]]; then
        echo "# order per round: for each test, for each -P: tessera then redis (odd rounds), redis then tessera (even rounds)"
    else
        echo "# order per round: for each test, for each -P: tessera then redis"
    fi
} >&2

# run_one ROUND TEST PIPE NAME PORT PID
run_one() {
    local round="$1" test="$2" pipe="$3" name="$4" port="$5" pid="$6"
    local n csv rps t0 t1 sel
    if [[ "$pipe" == 1 ]]; then n="$REQUESTS"; else n="$PREQUESTS"; fi
    sel="$(bench_args "$test")"
    if ! prepare "$name" "$port" "$test" "$n"; then
        printf '%s\t%s\t%s\t%s\t%s\tnan\tnan\n' "$round" "$test" "$pipe" "$name" "$n" >>"$RAW"
        return 0
    fi
    t0="$(cpu_ticks "$pid")"
    # shellcheck disable=SC2086 # $sel is intentionally word-split
    if ! csv="$("${BENCH_PREFIX[@]}" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$n" \
        -P "$pipe" -r "$KEYSPACE" -d "$DATASIZE" --csv $sel 2>"$WORK/bench.err")"; then
        # e.g. a command Tessera does not implement yet: report n/a, keep going
        local err
        err="$(head -n 2 "$WORK/bench.err")"
        echo "WARNING: redis-benchmark failed on $name ($test -P $pipe): ${err:0:200}" >&2
        kill -0 "$pid" 2>/dev/null || die "$name (pid $pid) is gone; log: $(tail -n 20 "$WORK/$name.log")"
        printf '%s\t%s\t%s\t%s\t%s\tnan\tnan\n' "$round" "$test" "$pipe" "$name" "$n" >>"$RAW"
        return 0
    fi
    t1="$(cpu_ticks "$pid")"
    rps="$(printf '%s\n' "$csv" | python3 -c '
import csv, sys
rows = [r for r in csv.reader(sys.stdin) if r and r[0] != "test"]
if not rows:
    sys.exit("no CSV rows from redis-benchmark")
print(rows[0][1])
')" || die "could not parse redis-benchmark output for $name ($test -P $pipe): $csv"
    local cpu
    cpu="$(python3 -c "print('%.3f' % (($t1 - $t0) / $CLK_TCK * 1e6 / $n))")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$test" "$pipe" "$name" "$n" "$rps" "$cpu" >>"$RAW"
    printf '  round %s  %-12s P%-3s %-8s %12s req/s  %8s us/req\n' "$round" "$test" "$pipe" "$name" "$rps" "$cpu" >&2
}

for ((round = 1; round <= ROUNDS; round++)); do
    for test in "${EXPANDED[@]}"; do
        for pipe in "${PIPES[@]}"; do
            if [[ "$ABBA" == 1 && $((round % 2)) == 0 ]]; then
                run_one "$round" "$test" "$pipe" redis "$B_PORT" "$B_PID"
                run_one "$round" "$test" "$pipe" tessera "$A_PORT" "$A_PID"
            else
                run_one "$round" "$test" "$pipe" tessera "$A_PORT" "$A_PID"
                run_one "$round" "$test" "$pipe" redis "$B_PORT" "$B_PID"
            fi
        done
    done
done

[[ -n "$RAW_OUT" ]] && cp "$RAW" "$RAW_OUT"

python3 - "$RAW" "$CLIENTS" <<'PY'
import csv, statistics, sys
path, clients = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(path), delimiter="\t"))
order, data = [], {}
for r in rows:
    key = (r["test"], r["pipeline"])
    if key not in data:
        order.append(key)
        data[key] = {"tessera": ([], []), "redis": ([], [])}
    data[key][r["server"]][0].append(float(r["rps"]))
    data[key][r["server"]][1].append(float(r["cpu_us_per_req"]))

def med(xs):
    xs = [x for x in xs if x == x]  # drop NaN (failed runs)
    return statistics.median(xs) if xs else float("nan")

def ratio(a, b):
    return "%.2f" % (a / b) if b and a == a and b == b else "n/a"

def num(x, fmt):
    return fmt % x if x == x else "n/a"

hdr = ("test", "mode", "tessera req/s", "redis req/s", "ratio",
       "tessera us/req", "redis us/req", "cpu ratio")
lines = []
for test, pipe in order:
    d = data[(test, pipe)]
    ta, ra = med(d["tessera"][0]), med(d["redis"][0])
    tc, rc = med(d["tessera"][1]), med(d["redis"][1])
    lines.append((test, "P%s c%s" % (pipe, clients), num(ta, "%.0f"), num(ra, "%.0f"), ratio(ta, ra),
                  num(tc, "%.2f"), num(rc, "%.2f"), ratio(tc, rc)))
w = [max(len(str(x[i])) for x in [hdr] + lines) for i in range(len(hdr))]
fmt = lambda row: "  ".join(str(c).ljust(w[i]) if i < 2 else str(c).rjust(w[i]) for i, c in enumerate(row))
print(fmt(hdr))
print("  ".join("-" * x for x in w))
for l in lines:
    print(fmt(l))
print("# medians over %d round(s); ratio = tessera/redis (req/s: >1 is faster; cpu: <1 is cheaper)"
      % max(len(d["tessera"][0]) for d in data.values()))
if any(x != x for d in data.values() for s in d.values() for x in s[0]):
    print("# n/a: the fill or redis-benchmark failed on that server (see WARNING lines on stderr)")
PY
