# lib.sh — harness shared by scripts/bench.sh and scripts/mem*.sh. Source it
# (`. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`), don't run it.
#
# Provides ROOT (the repository), usage (prints the calling script's header
# comment), die, need (checks binaries), tessera_bin (resolves TESSERA_BIN,
# building a release binary unless BUILD=0), work_dir (temporary directory
# WORK, servers killed and WORK removed on exit), free_port, start_server /
# stop_server, rss_kb.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REDIS_CLI="${REDIS_CLI:-redis-cli}"
PIDS=()
WORK=""
# Command prefix for started servers (e.g. `taskset -c 1`); empty by default.
SERVER_PREFIX=()

# The calling script's comment header: lines 2 up to `set -euo pipefail`.
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# need BIN... -> dies unless every BIN is on PATH (or a path to an executable)
need() {
    local b
    for b in "$@"; do
        command -v "$b" >/dev/null 2>&1 || die "'$b' not found (apt-get install -y redis-server redis-tools python3)"
    done
}

# tessera_bin -> sets TESSERA_BIN (default target/release/tessera, built first
# with `cargo build --release` unless BUILD=0) and checks that it exists.
tessera_bin() {
    if [[ -z "${TESSERA_BIN:-}" ]]; then
        TESSERA_BIN="$ROOT/target/release/tessera"
        if [[ "${BUILD:-1}" == 1 ]]; then
            echo "# cargo build --release" >&2
            (cd "$ROOT" && cargo build --release) >&2
        fi
    fi
    command -v "$TESSERA_BIN" >/dev/null 2>&1 || die "tessera binary '$TESSERA_BIN' not found"
}

# default_tessera -> target/release/tessera if built, else target/debug/tessera
default_tessera() {
    if [[ -x "$ROOT/target/release/tessera" ]]; then
        echo "$ROOT/target/release/tessera"
    else
        echo "$ROOT/target/debug/tessera"
    fi
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    [[ -n "$WORK" ]] && rm -rf "$WORK"
}

# work_dir NAME -> creates WORK ($TMPDIR/NAME.XXXXXX); on exit every server
# started with start_server is killed and WORK removed.
work_dir() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME BIN -> sets START_PID, START_PORT. Runs
#   BIN --port P --bind 127.0.0.1 --save '' --appendonly no
# in $WORK/NAME (log in $WORK/NAME.log) and waits until it answers PING.
start_server() {
    local name="$1" bin="$2" port pid i
    # the server runs in $WORK/NAME: make a relative path to BIN absolute
    [[ "$bin" == */* && "$bin" != /* ]] && bin="$PWD/$bin"
    port="$(free_port)"
    mkdir -p "$WORK/$name"
    (cd "$WORK/$name" && exec "${SERVER_PREFIX[@]}" "$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no) \
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

# stop_server PID -> kills a server started with start_server and waits for it
stop_server() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
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

# mem_options ARGS... -> KEYS (-n N, default 1000000) and BUILD (--no-build); -h
# prints the usage. The options of the mem*.sh scripts that take -n.
mem_options() {
    KEYS=1000000
    BUILD=1
    while [[ $# -gt 0 ]]; do
        case "$1" in
            -n) KEYS="${2:?}"; shift 2 ;;
            --no-build) BUILD=0; shift ;;
            -h|--help) usage; exit 0 ;;
            *) usage >&2; die "unknown option: $1" ;;
        esac
    done
    [[ "$KEYS" =~ ^[1-9][0-9]*$ ]] || die "-n must be a positive integer"
}

# mem_setup NAME -> REDIS_BIN, TESSERA_BIN (built unless BUILD=0) and WORK
# ($TMPDIR/NAME.XXXXXX), after checking the tools the mem*.sh scripts need.
mem_setup() {
    REDIS_BIN="${REDIS_BIN:-redis-server}"
    need "$REDIS_BIN" "$REDIS_CLI" python3
    tessera_bin
    work_dir "$1"
}

# load_measure NAME BIN N GEN_PY CHECK... -> sets M_EMPTY, M_LOADED (kB).
# Starts server NAME, reads its VmRSS empty, pipes `python3 -c GEN_PY N`
# (RESP, N commands) through redis-cli --pipe, checks that the redis-cli
# command CHECK... answers N, and reads VmRSS again. Runs in this shell (not a
# subshell) so that PIDS and die() work.
load_measure() {
    local name="$1" bin="$2" n="$3" gen="$4" pid port empty out got
    shift 4
    start_server "$name" "$bin"; pid="$START_PID"; port="$START_PORT"
    sleep 0.5
    empty="$(rss_kb "$pid")"
    out="$(python3 -c "$gen" "$n" | "$REDIS_CLI" -p "$port" --pipe 2>&1)" \
        || die "$name: redis-cli --pipe failed: $out"
    [[ "$out" == *"errors: 0, replies: $n"* ]] || die "$name: load reported: $out"
    got="$("$REDIS_CLI" -p "$port" "$@")"
    [[ "$got" == "$n" ]] || die "$name: $1 is $got, expected $n"
    sleep 1
    # shellcheck disable=SC2034 # M_EMPTY, M_LOADED: results for the caller
    M_EMPTY="$empty"
    # shellcheck disable=SC2034
    M_LOADED="$(rss_kb "$pid")"
}

# rss_report N UNIT UNITS T_EMPTY T_LOADED R_EMPTY R_LOADED -> table of empty and
# loaded VmRSS and bytes per UNIT (plural UNITS) for tessera and redis, and their ratio.
rss_report() {
    python3 - "$@" <<'PY'
import sys
n, unit, units = int(sys.argv[1]), sys.argv[2], sys.argv[3]
te, tl, re_, rl = (int(x) for x in sys.argv[4:])
tb = (tl - te) * 1024 / n
rb = (rl - re_) * 1024 / n
rows = [("server", "empty RSS (kB)", "loaded RSS (kB)", "bytes/%s" % unit),
        ("tessera", te, tl, "%.1f" % tb),
        ("redis", re_, rl, "%.1f" % rb)]
w = [max(len(str(r[i])) for r in rows) for i in range(4)]
for r in rows:
    print("  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i]) for i, c in enumerate(r)))
print("ratio tessera/redis (bytes/%s): %s" % (unit, "%.2f" % (tb / rb) if rb > 0 else "n/a"))
print("# %d %s, VmRSS after load minus VmRSS of the empty server, / %s" % (n, units, units))
PY
}
