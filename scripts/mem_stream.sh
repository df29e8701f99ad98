#!/usr/bin/env bash
# mem_stream.sh — compare RSS per entry of Tessera and redis-server for one big stream.
#
# Usage:
#   scripts/mem_stream.sh [-n ENTRIES] [--no-build]
#
# Options:
#   -n N         number of stream entries to add               [1000000]
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
# and killed on exit. Each gets N entries in one stream "s", sent as
#   XADD s * a <i> b <i%1000> c ok
# (3 small fields, the same field names every time) through `redis-cli --pipe`.
# Reported: VmRSS of the empty server (after one PING), VmRSS after the load
# (and an XLEN check), (loaded - empty) / N in bytes per entry, and the ratio
# tessera/redis (<1 = Tessera smaller). Servers are loaded one after the other.
#
# Requires bash, coreutils, python3, redis-cli.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

KEYS=1000000
BUILD=1

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "mem_stream.sh: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        -n) KEYS="${2:?}"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done
[[ "$KEYS" =~ ^[1-9][0-9]*$ ]] || die "-n must be a positive integer"

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

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tessera-memstream.XXXXXX")"
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

# XADD s * a <i> b <i%1000> c ok, as RESP.
# shellcheck disable=SC2016 # the $N in the RESP literals are not shell expansions
GEN_PY='
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
buf = []
for i in range(n):
    a = b"%d" % i
    b = b"%d" % (i % 1000)
    buf.append(b"*9\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n$1\r\na\r\n$%d\r\n%s\r\n$1\r\nb\r\n$%d\r\n%s\r\n$1\r\nc\r\n$2\r\nok\r\n" % (len(a), a, len(b), b))
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
    dbsize="$("$REDIS_CLI" -p "$port" XLEN s)"
    [[ "$dbsize" == "$KEYS" ]] || die "$name: XLEN is $dbsize, expected $KEYS"
    sleep 1
    loaded="$(rss_kb "$pid")"
    M_EMPTY="$empty"; M_LOADED="$loaded"
}

echo "# tessera: $TESSERA_BIN" >&2
echo "# redis:   $REDIS_BIN — $("$REDIS_BIN" --version 2>/dev/null | head -1 || true)" >&2
echo "# adding $KEYS entries (3 small fields) to one stream via redis-cli --pipe" >&2

measure tessera "$TESSERA_BIN"; T_EMPTY="$M_EMPTY"; T_LOADED="$M_LOADED"
measure redis "$REDIS_BIN"; R_EMPTY="$M_EMPTY"; R_LOADED="$M_LOADED"

python3 - "$KEYS" "$T_EMPTY" "$T_LOADED" "$R_EMPTY" "$R_LOADED" <<'PY'
import sys
n, te, tl, re_, rl = (int(x) for x in sys.argv[1:])
tb = (tl - te) * 1024 / n
rb = (rl - re_) * 1024 / n
rows = [("server", "empty RSS (kB)", "loaded RSS (kB)", "bytes/entry"),
        ("tessera", te, tl, "%.1f" % tb),
        ("redis", re_, rl, "%.1f" % rb)]
w = [max(len(str(r[i])) for r in rows) for i in range(4)]
for r in rows:
    print("  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i]) for i, c in enumerate(r)))
print("ratio tessera/redis (bytes/entry): %s" % ("%.2f" % (tb / rb) if rb > 0 else "n/a"))
print("# %d entries, VmRSS after load minus VmRSS of the empty server, / entries" % n)
PY
