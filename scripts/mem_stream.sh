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

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mem_options "$@"
mem_setup tessera-memstream

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

echo "# tessera: $TESSERA_BIN" >&2
echo "# redis:   $REDIS_BIN — $("$REDIS_BIN" --version 2>/dev/null | head -1 || true)" >&2
echo "# adding $KEYS entries (3 small fields) to one stream via redis-cli --pipe" >&2

load_measure tessera "$TESSERA_BIN" "$KEYS" "$GEN_PY" XLEN s; T_EMPTY="$M_EMPTY"; T_LOADED="$M_LOADED"
load_measure redis "$REDIS_BIN" "$KEYS" "$GEN_PY" XLEN s; R_EMPTY="$M_EMPTY"; R_LOADED="$M_LOADED"

rss_report "$KEYS" entry entries "$T_EMPTY" "$T_LOADED" "$R_EMPTY" "$R_LOADED"
