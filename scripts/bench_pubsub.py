#!/usr/bin/env python3
"""Pub/Sub throughput: tessera vs redis-server, same raw-socket harness, alternating runs.

Scenarios:
  fanout : one publisher, PUBLISH to one channel with S subscribers (default 10,000);
           rate = messages delivered per second (S x published / elapsed).
  many   : 100 publishers x 100 channels (one subscriber per channel), pipelined;
           rate = messages delivered per second.

Usage: scripts/bench_pubsub.py [--tessera target/release/tessera] [--rounds 3]
       [--subs 10000] [--fanout-msgs 100] [--many-msgs 2000]
Prints per-run rates and the tessera/redis ratio of the medians.
"""
import argparse
import multiprocessing as mp
import os
import selectors
import socket
import subprocess
import sys
import time


def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(kind, binary, port):
    args = [binary, "--port", str(port), "--save", "", "--appendonly", "no",
            "--maxclients", "20000"]
    if kind == "redis":
        args = ["redis-server"] + args[1:]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"PING\r\n")
            if s.recv(7) == b"+PONG\r\n":
                s.close()
                return p
        except OSError:
            pass
        time.sleep(0.05)
    p.kill()
    raise SystemExit(f"{kind} did not start")


def read_exact_replies(sock, n_bytes):
    got = 0
    while got < n_bytes:
        d = sock.recv(1 << 20)
        if not d:
            raise SystemExit("connection closed")
        got += len(d)


def reader(port, channels, expect_bytes, ready, done):
    """Subscribes one socket per entry of `channels`; reports when `expect_bytes` arrived."""
    sel = selectors.DefaultSelector()
    socks = []
    for ch in channels:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(enc("SUBSCRIBE", ch))
        socks.append(s)
    for s, ch in zip(socks, channels):
        # Confirmation: ["subscribe", ch, 1].
        b = ch.encode()
        read_exact_replies(s, len(b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(b), b)))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    ready.put(1)
    got = 0
    while got < expect_bytes:
        events = sel.select(timeout=60)
        if not events:
            raise SystemExit(f"reader stalled at {got} of {expect_bytes} bytes")
        for key, _ in events:
            try:
                d = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            got += len(d)
    done.put(time.time())
    for s in socks:
        s.close()


def msg_len(ch, payload):
    return len(enc("message", ch, payload))


def fanout(port, subs, msgs, nreaders=2):
    payload = "x" * 32
    ch = "fan"
    per = msg_len(ch, payload) * msgs
    ready, done = mp.Queue(), mp.Queue()
    parts = [subs // nreaders + (1 if i < subs % nreaders else 0) for i in range(nreaders)]
    procs = [mp.Process(target=reader, args=(port, [ch] * n, per * n, ready, done)) for n in parts]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get()
    pub = socket.create_connection(("127.0.0.1", port))
    t0 = time.time()
    batch = 10
    for i in range(0, msgs, batch):
        k = min(batch, msgs - i)
        pub.sendall(enc("PUBLISH", ch, payload) * k)
        read_exact_replies(pub, len(b":%d\r\n" % subs) * k)
    t1 = max(done.get() for _ in procs)
    for p in procs:
        p.join()
    pub.close()
    return subs * msgs / (t1 - t0)


def publisher(port, chans, msgs, ready, go, done):
    payload = "y" * 32
    sel = selectors.DefaultSelector()
    socks = []
    for ch in chans:
        s = socket.create_connection(("127.0.0.1", port))
        socks.append((s, ch))
    ready.put(1)
    go.get()
    batch = 50
    state = {}
    for s, ch in socks:
        s.sendall(enc("PUBLISH", ch, payload) * batch)
        state[s] = [batch, 0, ch]  # sent, reply bytes pending
        sel.register(s, selectors.EVENT_READ)
    pending = len(socks)
    while pending:
        for key, _ in sel.select():
            s = key.fileobj
            st = state[s]
            d = s.recv(1 << 16)
            st[1] += len(d)
            if st[1] >= batch * 4:  # ":1\r\n"
                st[1] -= batch * 4
                if st[0] < msgs:
                    st[0] += batch
                    s.sendall(enc("PUBLISH", st[2], payload) * batch)
                else:
                    sel.unregister(s)
                    pending -= 1
    done.put(time.time())


def many(port, msgs, nchan=100, npub=100):
    payload = "y" * 32
    chans = ["chan:%d" % i for i in range(nchan)]
    per_ch = (npub // nchan) * msgs
    ready, done = mp.Queue(), mp.Queue()
    rprocs = []
    for half in (chans[: nchan // 2], chans[nchan // 2 :]):
        exp = sum(msg_len(c, payload) * per_ch for c in half)
        rprocs.append(mp.Process(target=reader, args=(port, half, exp, ready, done)))
    for p in rprocs:
        p.start()
    for _ in rprocs:
        ready.get()
    pready, go, pdone = mp.Queue(), mp.Queue(), mp.Queue()
    pub_chans = [chans[i % nchan] for i in range(npub)]
    pprocs = [mp.Process(target=publisher, args=(port, part, msgs, pready, go, pdone))
              for part in (pub_chans[: npub // 2], pub_chans[npub // 2 :])]
    for p in pprocs:
        p.start()
    for _ in pprocs:
        pready.get()
    t0 = time.time()
    for _ in pprocs:
        go.put(1)
    t1 = max(done.get() for _ in rprocs)
    for p in pprocs + rprocs:
        p.join()
    return npub * msgs / (t1 - t0)


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", default="target/release/tessera")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--subs", type=int, default=10000)
    ap.add_argument("--fanout-msgs", type=int, default=100)
    ap.add_argument("--many-msgs", type=int, default=2000)
    ap.add_argument("--only", choices=["fanout", "many"])
    a = ap.parse_args()
    results = {}
    for rnd in range(a.rounds):
        for kind in (["tessera", "redis"] if rnd % 2 == 0 else ["redis", "tessera"]):
            port = free_port()
            p = start(kind, a.tessera, port)
            try:
                if a.only in (None, "fanout"):
                    r = fanout(port, a.subs, a.fanout_msgs)
                    results.setdefault(("fanout", kind), []).append(r)
                    print(f"round {rnd} {kind:8} fanout {a.subs} subs: {r:12,.0f} msg/s", flush=True)
                if a.only in (None, "many"):
                    r = many(port, a.many_msgs)
                    results.setdefault(("many", kind), []).append(r)
                    print(f"round {rnd} {kind:8} 100 pub x 100 chan: {r:12,.0f} msg/s", flush=True)
            finally:
                p.terminate()
                p.wait()
    for sc in ("fanout", "many"):
        if (sc, "tessera") in results:
            t, r = median(results[(sc, "tessera")]), median(results[(sc, "redis")])
            print(f"{sc}: tessera {t:,.0f} msg/s, redis {r:,.0f} msg/s, ratio {t / r:.2f}")


if __name__ == "__main__":
    main()
