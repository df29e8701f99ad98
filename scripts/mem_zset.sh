#!/bin/bash
# Memory of one sorted set with N members (default 1M): tessera vs redis-server.
# Usage: scripts/mem_zset.sh [N] [tessera-binary] [small]
# With a third argument `small`: N/10 sorted sets of 10 members each (listpack encoding).
# Loads `ZADD big <score> member:<i>` in batches through redis-cli --pipe into each server
# and compares the resident-set growth (RSS after load minus RSS when empty), which is
# what both processes really cost (allocator overhead included).
set -e
N=${1:-1000000}
BIN=${2:-target/release/tessera}
RPORT=$((20000 + RANDOM % 10000))
TPORT=$((RPORT + 1))
WORK=$(mktemp -d)
rss() { grep VmRSS /proc/$1/status | awk '{print $2*1024}'; }
redis-server --port $RPORT --save '' --appendonly no >/dev/null 2>&1 & RPID=$!
$BIN --port $TPORT --save '' --appendonly no >/dev/null 2>&1 & TPID=$!
trap 'kill $RPID $TPID 2>/dev/null; rm -rf $WORK' EXIT
sleep 1
python3 - "$N" "${3:-}" > $WORK/load.resp <<'PY'
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
  PID=$([ $P = $RPORT ] && echo $RPID || echo $TPID)
  before=$(rss $PID)
  redis-cli -p $P --pipe < $WORK/load.resp >/dev/null
  sleep 1
  after=$(rss $PID)
  card=$([ -n "${3:-}" ] && echo $N || redis-cli -p $P ZCARD big)
  enc=$(redis-cli -p $P OBJECT ENCODING big 2>/dev/null | grep -v ERR || true)
  echo "$([ $P = $RPORT ] && echo redis || echo tessera): members=$card rss_growth=$((after-before)) bytes/member=$(( (after-before)/card )) encoding=$enc"
done
