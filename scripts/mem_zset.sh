#!/bin/bash
# Memory of one sorted set with N members (default 1M): tessera vs redis-server.
# Usage: scripts/mem_zset.sh [N] [tessera-binary] [small]
# With a third argument `small`: N/10 sorted sets of 10 members each (listpack encoding).
# Loads `ZADD big <score> member:<i>` in batches through redis-cli --pipe into each server
# and compares the resident-set growth (RSS after load minus RSS when empty), which is
# what both processes really cost (allocator overhead included).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${1:-1000000}
BIN=${2:-$ROOT/target/release/tessera}
work_dir tessera-memzset
start_server redis redis-server; RPID=$START_PID; RPORT=$START_PORT
start_server tessera "$BIN"; TPID=$START_PID; TPORT=$START_PORT
sleep 1
python3 - "$N" "${3:-}" > "$WORK/load.resp" <<'PY'
import sys
n = int(sys.argv[1])
small = sys.argv[2] == "small"
out = sys.stdout
batch = 10 if small else 1000
for start in range(0, n, batch):
    args = [b"ZADD", b"small:%d" % start if small else b"big"]
    for i in range(start, min(n, start + batch)):
        args.append(str((i * 7919) % 1000003 / 4).encode())
        args.append(b"member:%d" % i)
    out.write("*%d\r\n" % len(args))
    for a in args:
        out.write("$%d\r\n%s\r\n" % (len(a), a.decode()))
PY
for P in $RPORT $TPORT; do
  PID=$([ "$P" = "$RPORT" ] && echo "$RPID" || echo "$TPID")
  before=$(( $(rss_kb "$PID") * 1024 ))
  "$REDIS_CLI" -p "$P" --pipe < "$WORK/load.resp" >/dev/null
  sleep 1
  after=$(( $(rss_kb "$PID") * 1024 ))
  card=$([ -n "${3:-}" ] && echo "$N" || "$REDIS_CLI" -p "$P" ZCARD big)
  enc=$("$REDIS_CLI" -p "$P" OBJECT ENCODING big 2>/dev/null | grep -v ERR || true)
  echo "$([ "$P" = "$RPORT" ] && echo redis || echo tessera): members=$card rss_growth=$((after-before)) bytes/member=$(( (after-before)/card )) encoding=$enc"
done
