#!/usr/bin/env bash
# Bytes per element of a 1M-element list of short strings ("element:<n>", 9-15 bytes;
# KIND=int for the integers 0..N-1): tessera vs redis-server, measured as the growth of
# each process's RSS.
# Usage: [N=1000000] [KIND=str|int] scripts/mem_list.sh [path/to/tessera]
# (default binary: target/release/tessera if built, else target/debug/tessera)
set -euo pipefail
N=${N:-1000000}
BIN=${1:-}
if [ -z "$BIN" ]; then
  if [ -x target/release/tessera ]; then BIN=target/release/tessera; else BIN=target/debug/tessera; fi
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/VmRSS/ {print $2}' /proc/$1/status; }
gen() {
  python3 - "$N" "${KIND:-str}" <<'PY'
import sys
n=int(sys.argv[1]); kind=sys.argv[2]; out=sys.stdout.buffer; chunk=1000
fmt=b"%d" if kind=="int" else b"element:%d"
for start in range(0,n,chunk):
    items=[fmt%i for i in range(start,min(n,start+chunk))]
    parts=[b"*%d\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n"%(len(items)+2)]
    for it in items: parts.append(b"$%d\r\n%s\r\n"%(len(it),it))
    out.write(b"".join(parts))
PY
}
measure() { # name cmd...
  local name=$1; shift
  local port; port=$(free_port)
  "$@" --port "$port" --save '' --appendonly no >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  local before; before=$(rss_kb $pid)
  gen | redis-cli -p "$port" --pipe >/dev/null
  sleep 0.5
  local after; after=$(rss_kb $pid)
  local len; len=$(redis-cli -p "$port" llen list)
  kill $pid; wait $pid 2>/dev/null || true
  python3 -c "print('%-8s len=%s rss_growth=%.1f MiB bytes/element=%.2f' % ('$name', $len, ($after-$before)/1024, ($after-$before)*1024/$len))"
  eval "${name}_bpe=\$(python3 -c 'print(($after-$before)*1024/$len)')"
}
measure redis redis-server
measure tessera "$BIN"
python3 -c "print('ratio tessera/redis = %.2f' % ($tessera_bpe/$redis_bpe))"
