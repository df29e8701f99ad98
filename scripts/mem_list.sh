#!/usr/bin/env bash
# Bytes per element of a 1M-element list of short strings ("element:<n>", 9-15 bytes;
# KIND=int for the integers 0..N-1): tessera vs redis-server, measured as the growth of
# each process's RSS.
# Usage: [N=1000000] [KIND=str|int] scripts/mem_list.sh [path/to/tessera]
# (default binary: target/release/tessera if built, else target/debug/tessera)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${N:-1000000}
BIN=${1:-$(default_tessera)}
work_dir tessera-memlist
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
measure() { # name binary
  local name=$1 pid port before after len
  start_server "$name" "$2"; pid=$START_PID; port=$START_PORT
  before=$(rss_kb "$pid")
  gen | "$REDIS_CLI" -p "$port" --pipe >/dev/null
  sleep 0.5
  after=$(rss_kb "$pid")
  len=$("$REDIS_CLI" -p "$port" llen list)
  stop_server "$pid"
  python3 -c "print('%-8s len=%s rss_growth=%.1f MiB bytes/element=%.2f' % ('$name', $len, ($after-$before)/1024, ($after-$before)*1024/$len))"
  eval "${name}_bpe=\$(python3 -c 'print(($after-$before)*1024/$len)')"
}
measure redis redis-server
measure tessera "$BIN"
python3 -c "print('ratio tessera/redis = %.2f' % ($tessera_bpe/$redis_bpe))"
