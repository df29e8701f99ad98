#!/usr/bin/env bash
# Bytes per element of hashes and sets, Tessera vs redis-server, on the same machine.
#
#   scripts/mem_collections.sh [N]        (N = elements, default 1000000)
#
# Cases, each in a fresh pair of servers:
#   bighash  one hash with N fields        (HSET big field:<i> value:<i>)
#   bigset   one set with N members        (SADD big member:<i>)
#   smallhash N small hashes of 5 fields (HSET h:<i> f1 v1 .. f5 v5)
#   smallset  N small sets of 5 members    (SADD s:<i> m1 .. m5)
#   intset    N small sets of 5 integers   (SADD n:<i> 1 .. 5)
# Loaded with `redis-cli --pipe`; memory = VmRSS after load minus VmRSS before.
# Tessera binary: $TESSERA (default target/release/tessera if built, else target/debug).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
N=${1:-1000000}
TESSERA=${TESSERA:-$(default_tessera)}
work_dir tessera-memcoll

gen() { # gen <case> <n> > file   (RESP commands)
  python3 - "$1" "$2" <<'PY'
import sys
case, n = sys.argv[1], int(sys.argv[2])
out = sys.stdout.buffer
def cmd(*a):
    parts = [b"*%d\r\n" % len(a)]
    for x in a:
        x = x if isinstance(x, bytes) else str(x).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(x), x))
    return b"".join(parts)
buf = []
for i in range(n):
    if case == "bighash":
        buf.append(cmd("HSET", "big", "field:%d" % i, "value:%d" % i))
    elif case == "bigset":
        buf.append(cmd("SADD", "big", "member:%d" % i))
    elif case == "smallhash":
        buf.append(cmd("HSET", "h:%d" % i, "f1", "v1", "f2", "v2", "f3", "v3", "f4", "v4", "f5", "v5"))
    elif case == "smallset":
        buf.append(cmd("SADD", "s:%d" % i, "m1", "m2", "m3", "m4", "m5"))
    elif case == "intset":
        buf.append(cmd("SADD", "n:%d" % i, 1, 2, 3, 4, 5))
    if len(buf) >= 10000:
        out.write(b"".join(buf)); buf = []
out.write(b"".join(buf))
PY
}

measure() { # measure <name> <binary>; prints bytes delta
  local pid before after
  start_server "$1" "$2"; pid=$START_PID
  before=$(rss_kb "$pid")
  "$REDIS_CLI" -p "$START_PORT" --pipe < "$WORK/load" >/dev/null
  sleep 0.5
  after=$(rss_kb "$pid")
  stop_server "$pid"
  echo $(( (after - before) * 1024 ))
}

printf "%-10s %10s %14s %14s %8s\n" case elements "redis B/elem" "tessera B/elem" ratio
for c in bighash bigset smallhash smallset intset; do
  gen $c "$N" > "$WORK/load"
  case $c in bighash|bigset) elems=$N ;; *) elems=$((N * 5)) ;; esac
  r=$(measure redis redis-server)
  t=$(measure tessera "$TESSERA")
  awk -v c=$c -v e=$elems -v r=$r -v t=$t 'BEGIN { printf "%-10s %10d %14.1f %14.1f %8.2f\n", c, e, r/e, t/e, t/r }'
done
