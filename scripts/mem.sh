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

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mem_options "$@"
[[ "$KEYS" -le 1000000000000 ]] || die "-n too large for 12-digit keys"
mem_setup tessera-mem

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

echo "# tessera: $TESSERA_BIN" >&2
echo "# redis:   $REDIS_BIN — $("$REDIS_BIN" --version 2>/dev/null | head -1 || true)" >&2
echo "# loading $KEYS keys (16 B keys, 32 B values) via redis-cli --pipe" >&2

load_measure tessera "$TESSERA_BIN" "$KEYS" "$GEN_PY" DBSIZE; T_EMPTY="$M_EMPTY"; T_LOADED="$M_LOADED"
load_measure redis "$REDIS_BIN" "$KEYS" "$GEN_PY" DBSIZE; R_EMPTY="$M_EMPTY"; R_LOADED="$M_LOADED"

rss_report "$KEYS" key keys "$T_EMPTY" "$T_LOADED" "$R_EMPTY" "$R_LOADED"
