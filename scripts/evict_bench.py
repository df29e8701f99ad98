#!/usr/bin/env python3
"""evict_bench.py - eviction quality and memory-cap accuracy, Tessera vs redis-server.

Usage:
  scripts/evict_bench.py [--tessera BIN] [--redis BIN] [--keys N] [--ops M]
                         [--zipf S] [--cap-mb MB] [--load-secs T] [--only a|b]

(a) Hit ratio. A Zipf(S)-distributed trace over N keys (100-byte values) is replayed as
    "GET k; on a miss SET k v" (pipelined in batches of 64: the GETs of a batch, then the
    SETs of its misses), against each server with allkeys-lru and maxmemory set to its
    start-up memory plus 10% of what the whole dataset takes on that same server
    (measured by loading every key first). The first half of the trace warms up; the hit
    ratio is counted on the second half. An exact LRU with room for 10% of the keys,
    simulated in Python on the same trace and batches, is the oracle.

(b) Cap under load. 8 client threads write values of mixed sizes (16 B .. 64 kB) to
    random keys as fast as they can into a 100 MB cap (allkeys-lru), for T seconds. A
    sampler reads used memory (MEMORY STATS total.allocated, on both servers) and the
    server's RSS every 20 ms. Reported: max used memory over the cap, max RSS.

Both servers are started here (--save '' --appendonly no) on free ports and killed at
the end. Python 3 standard library only.
"""

import argparse
import bisect
import collections
import itertools
import os
import random
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --------------------------------------------------------------------------- RESP client

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.pos = 0

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, int):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, cmds):
        self.s.sendall(b"".join(self.encode(c) for c in cmds))

    def _fill(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise ConnectionError("closed")
        self.buf = self.buf[self.pos:] + d
        self.pos = 0

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = self.buf[self.pos:i]
                self.pos = i + 2
                return line
            self._fill()

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+",):
            return rest.decode()
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) - self.pos < n + 2:
                self._fill()
            b = self.buf[self.pos:self.pos + n]
            self.pos += n + 2
            return b
        if t in (b"*", b"%"):
            n = int(rest)
            if n < 0:
                return None
            k = n * 2 if t == b"%" else n
            return [self.read() for _ in range(k)]
        if t == b",":
            return float(rest)
        if t == b"_":
            return None
        raise ValueError("bad reply %r" % line)

    def call(self, *args):
        self.send([args])
        r = self.read()
        if isinstance(r, RuntimeError):
            raise r
        return r

    def pipeline(self, cmds):
        self.send(cmds)
        return [self.read() for _ in cmds]


def used_memory(c):
    st = c.call("MEMORY", "STATS")
    d = dict(zip(st[0::2], st[1::2]))
    return d[b"total.allocated"]


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self, name, binary):
        self.name = name
        self.port = free_port()
        self.p = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
        for _ in range(100):
            try:
                c = Conn(self.port)
                if c.call("PING") == "PONG":
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("%s did not start" % name)

    def stop(self):
        self.p.kill()
        self.p.wait()


# --------------------------------------------------------------------------- (a) hit ratio

def zipf_trace(n, m, s, seed):
    rnd = random.Random(seed)
    cum = list(itertools.accumulate(1.0 / (i ** s) for i in range(1, n + 1)))
    total = cum[-1]
    perm = list(range(n))
    rnd.shuffle(perm)  # popular keys spread over the keyspace (and the shards)
    return [perm[bisect.bisect_left(cum, rnd.random() * total)] for _ in range(m)]


BATCH = 64


def lru_oracle(trace, capacity):
    cache = collections.OrderedDict()
    hits = counted = 0
    half = len(trace) // 2
    for b in range(0, len(trace), BATCH):
        batch = trace[b:b + BATCH]
        misses = []
        for j, k in enumerate(batch):
            if k in cache:
                cache.move_to_end(k)
                if b + j >= half:
                    hits += 1
            else:
                misses.append(k)
            if b + j >= half:
                counted += 1
        for k in misses:
            cache[k] = True
            cache.move_to_end(k)
            while len(cache) > capacity:
                cache.popitem(last=False)
    return hits / counted


def hit_ratio(srv, trace, nkeys, value):
    c = Conn(srv.port)
    c.call("CONFIG", "SET", "maxmemory", "0")
    base = used_memory(c)
    for b in range(0, nkeys, 1000):
        c.pipeline([("SET", "key:%d" % i, value) for i in range(b, min(nkeys, b + 1000))])
    full = used_memory(c)
    cap = base + (full - base) // 10
    c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    c.call("CONFIG", "SET", "maxmemory", str(cap))
    c.call("PING")
    time.sleep(1.0)
    c.call("PING")
    hits = counted = ooms = 0
    half = len(trace) // 2
    t0 = time.time()
    for b in range(0, len(trace), BATCH):
        batch = trace[b:b + BATCH]
        replies = c.pipeline([("GET", "key:%d" % k) for k in batch])
        misses = []
        for j, (k, r) in enumerate(zip(batch, replies)):
            if b + j >= half:
                counted += 1
                if r is not None:
                    hits += 1
            if r is None:
                misses.append(k)
        if misses:
            for r in c.pipeline([("SET", "key:%d" % k, value) for k in misses]):
                if isinstance(r, RuntimeError):
                    ooms += 1
    secs = time.time() - t0
    keys = c.call("DBSIZE")
    return hits / counted, cap, full - base, keys, secs, ooms


# --------------------------------------------------------------------------- (b) cap under load

SIZES = [16, 100, 1000, 4000, 16000, 64000]


def writer(port, stop, seed, errors):
    rnd = random.Random(seed)
    vals = {s: os.urandom(s // 2).hex().encode()[:s] for s in SIZES}
    c = Conn(port)
    n = 0
    while not stop.is_set():
        cmds = []
        for _ in range(16):
            s = rnd.choice(SIZES)
            cmds.append(("SET", "w:%d:%d" % (seed, rnd.randrange(1 << 30)), vals[s]))
        for r in c.pipeline(cmds):
            if isinstance(r, RuntimeError):
                errors.append(str(r))
        n += len(cmds)
    return n


def cap_under_load(srv, cap_mb, secs):
    c = Conn(srv.port)
    c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    cap = cap_mb * 1024 * 1024
    c.call("CONFIG", "SET", "maxmemory", str(cap))
    stop = threading.Event()
    errors = []
    threads = [threading.Thread(target=writer, args=(srv.port, stop, i, errors))
               for i in range(8)]
    for t in threads:
        t.start()
    max_used = max_rss = 0
    samples = 0
    t0 = time.time()
    while time.time() - t0 < secs:
        u = used_memory(c)
        r = rss(srv.p.pid)
        max_used = max(max_used, u)
        max_rss = max(max_rss, r)
        samples += 1
        time.sleep(0.02)
    stop.set()
    for t in threads:
        t.join()
    return cap, max_used, max_rss, samples, len(errors), c.call("DBSIZE")


def mb(x):
    return "%.1f MB" % (x / 1048576)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tessera", default=os.path.join(ROOT, "target/release/tessera"))
    ap.add_argument("--redis", default="redis-server")
    ap.add_argument("--keys", type=int, default=100_000)
    ap.add_argument("--ops", type=int, default=1_000_000)
    ap.add_argument("--zipf", type=float, default=0.99)
    ap.add_argument("--cap-mb", type=int, default=100)
    ap.add_argument("--load-secs", type=float, default=20)
    ap.add_argument("--only", choices=["a", "b"])
    a = ap.parse_args()
    servers = [("tessera", a.tessera), ("redis", a.redis)]

    if a.only in (None, "a"):
        print("# (a) hit ratio: %d keys, %d ops, zipf s=%.2f, cap = 10%% of the dataset"
              % (a.keys, a.ops, a.zipf))
        trace = zipf_trace(a.keys, a.ops, a.zipf, 42)
        value = b"v" * 100
        oracle = lru_oracle(trace, a.keys // 10)
        print("exact LRU oracle (%d keys fit): hit ratio %.4f" % (a.keys // 10, oracle))
        for name, binary in servers:
            s = Server(name, binary)
            try:
                hr, cap, dataset, keys, secs, ooms = hit_ratio(s, trace, a.keys, value)
            finally:
                s.stop()
            print("%-8s hit ratio %.4f  (dataset %s, cap %s, %d keys at the end, %d OOM, %.1fs)"
                  % (name, hr, mb(dataset), mb(cap), keys, ooms, secs))
        sys.stdout.flush()

    if a.only in (None, "b"):
        print("# (b) cap under load: 8 writers, values 16 B..64 kB, cap %d MB, %.0fs"
              % (a.cap_mb, a.load_secs))
        for name, binary in servers:
            s = Server(name, binary)
            try:
                cap, mu, mr, n, errs, keys = cap_under_load(s, a.cap_mb, a.load_secs)
            finally:
                s.stop()
            print("%-8s max used %s (overshoot %s, %.2f%%), max RSS %s, %d samples, "
                  "%d OOM errors, %d keys at the end"
                  % (name, mb(mu), mb(max(0, mu - cap)), max(0, mu - cap) * 100 / cap,
                     mb(mr), n, errs, keys))


if __name__ == "__main__":
    main()
