#!/usr/bin/env bash
# mem.sh — compare RSS per key of Tessera and redis-server for a string dataset.
#
# Usage:
#   scripts/mem.sh [-n KEYS] [--no-build]
#
# Options:
#   -n N         number of string keys to load                 [1000000]
#   --no-build   do not run `cargo build --release`
#   -h, --help   this help
#
# Environment:
#   TESSERA_BIN  server binary for side A (default: target/release/tessera,
#                built with `cargo build --release` first). Point it at
#                redis-server to sanity-check the script (ratio ~1.0).
#   REDIS_BIN    server binary for side B (default: redis-server)
#   REDIS_CLI    redis-cli binary (default: redis-cli)
#
# Both servers are started here on free ports with
#   --port P --bind 127.0.0.1 --save '' --appendonly no
# and killed on exit. Each gets N keys "key:%012d" (16 bytes) with 32-byte
# values, sent as SET commands through `redis-cli --pipe`. Reported: VmRSS of
# the empty server (after one PING), VmRSS after the load (and DBSIZE check),
# and (loaded - empty) / N in bytes per key, plus the ratio tessera/redis
# (<1 = Tessera smaller). Servers are loaded one after the other.
# Reference (benchmarking.md): Redis 7.2 ~110 B/key for this dataset.
#
# Requires bash, coreutils, python3, redis-cli.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

KEYS=1000000
BUILD=1

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "mem.sh: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        -n) KEYS="${2:?}"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done
[[ "$KEYS" =~ ^[1-9][0-9]*$ ]] || die "-n must be a positive integer"
[[ "$KEYS" -le 1000000000000 ]] || die "-n too large for 12-digit keys"

REDIS_BIN="${REDIS_BIN:-redis-server}"
REDIS_CLI="${REDIS_CLI:-redis-cli}"
for b in "$REDIS_BIN" "$REDIS_CLI" python3; do
    command -v "$b" >/dev/null 2>&1 || die "'$b' not found (apt-get install -y redis-server redis-tools python3)"
done

if [[ -z "${TESSERA_BIN:-}" ]]; then
    TESSERA_BIN="$ROOT/target/release/tessera"
    if [[ "$BUILD" == 1 ]]; then
        echo "# cargo build --release" >&2
        (cd "$ROOT" && cargo build --release) >&2
    fi
fi
command -v "$TESSERA_BIN" >/dev/null 2>&1 || die "tessera binary '$TESSERA_BIN' not found"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tessera-mem.XXXXXX")"
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME BIN -> sets START_PID, START_PORT
start_server() {
    local name="$1" bin="$2" port pid i
    port="$(free_port)"
    mkdir -p "$WORK/$name"
    (cd "$WORK/$name" && exec "$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no) \
        >"$WORK/$name.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for ((i = 0; i < 100; i++)); do
        if [[ "$("$REDIS_CLI" -p "$port" PING 2>/dev/null || true)" == "PONG" ]]; then
            START_PID="$pid"; START_PORT="$port"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "--- $name log:" >&2; cat "$WORK/$name.log" >&2 || true
    die "$name ($bin) did not answer PING on port $port"
}

# rss_kb PID -> VmRSS in kB
rss_kb() {
    local line
    while read -r line; do
        if [[ "$line" == VmRSS:* ]]; then
            line="${line#VmRSS:}"; line="${line%kB}"
            echo $((line))
            return 0
        fi
    done <"/proc/$1/status"
    die "no VmRSS for pid $1"
}

# 16-byte keys "key:%012d", 32-byte values "val:%028d", as RESP SET commands.
# shellcheck disable=SC2016 # the $N in the RESP literals are not shell expansions
GEN_PY='
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
buf = []
for i in range(n):
    buf.append(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$32\r\nval:%028d\r\n" % (i, i))
    if len(buf) == 10000:
        out.write(b"".join(buf)); buf = []
out.write(b"".join(buf))
'

# measure NAME BIN -> sets M_EMPTY, M_LOADED (kB). Runs in this shell (not a
# subshell) so that PIDS and die() work.
measure() {
    local name="$1" bin="$2" pid port empty loaded out dbsize
    start_server "$name" "$bin"; pid="$START_PID"; port="$START_PORT"
    sleep 0.5
    empty="$(rss_kb "$pid")"
    out="$(python3 -c "$GEN_PY" "$KEYS" | "$REDIS_CLI" -p "$port" --pipe 2>&1)" \
        || die "$name: redis-cli --pipe failed: $out"
    [[ "$out" == *"errors: 0, replies: $KEYS"* ]] || die "$name: load reported: $out"
    dbsize="$("$REDIS_CLI" -p "$port" DBSIZE)"
    [[ "$dbsize" == "$KEYS" ]] || die "$name: DBSIZE is $dbsize, expected $KEYS"
    sleep 1
    loaded="$(rss_kb "$pid")"
    M_EMPTY="$empty"; M_LOADED="$loaded"
}

echo "# tessera: $TESSERA_BIN" >&2
echo "# redis:   $REDIS_BIN — $("$REDIS_BIN" --version 2>/dev/null | head -1 || true)" >&2
echo "# loading $KEYS keys (16 B keys, 32 B values) via redis-cli --pipe" >&2

measure tessera "$TESSERA_BIN"; T_EMPTY="$M_EMPTY"; T_LOADED="$M_LOADED"
measure redis "$REDIS_BIN"; R_EMPTY="$M_EMPTY"; R_LOADED="$M_LOADED"

python3 - "$KEYS" "$T_EMPTY" "$T_LOADED" "$R_EMPTY" "$R_LOADED" <<'PY'
import sys
n, te, tl, re_, rl = (int(x) for x in sys.argv[1:])
tb = (tl - te) * 1024 / n
rb = (rl - re_) * 1024 / n
rows = [("server", "empty RSS (kB)", "loaded RSS (kB)", "bytes/key"),
        ("tessera", te, tl, "%.1f" % tb),
        ("redis", re_, rl, "%.1f" % rb)]
w = [max(len(str(r[i])) for r in rows) for i in range(4)]
for r in rows:
    print("  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i]) for i, c in enumerate(r)))
print("ratio tessera/redis (bytes/key): %s" % ("%.2f" % (tb / rb) if rb > 0 else "n/a"))
print("# %d keys, VmRSS after load minus VmRSS of the empty server, / keys" % n)
PY
