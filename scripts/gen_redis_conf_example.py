#!/usr/bin/env python3
"""Regenerates redis.conf.example from src/config/params.rs (run from the repo root)."""
import re

src = open('src/config/params.rs').read()
body = src[src.index('pub static PARAMS'):]
body = body[:body.index('\n];')]
pat = re.compile(
    r'//[ \t]*([^\n]*)\n'
    r'|\bpa?\(\s*"([^"]+)",\s*(?:&\[([^\]]*)\],\s*)?(.*?),\s*"((?:[^"\\]|\\.)*)",\s*(true|false),?\s*\)',
    re.S)
items = []
for m in pat.finditer(body):
    if m.group(2) is None:
        items.append(('section', m.group(1).strip().rstrip('.')))
    else:
        aliases = [a.strip().strip('"') for a in (m.group(3) or '').split(',') if a.strip()]
        items.append(('param', m.group(2), aliases, m.group(4).strip(), m.group(5), m.group(6) == 'true'))

DESC = {
    'bind': 'Interfaces to listen on; a leading "-" marks an address that may be unavailable.',
    'port': 'TCP port.',
    'timeout': 'Close a client after this many idle seconds (0 = never).',
    'maxclients': 'Maximum number of simultaneous clients.',
    'requirepass': 'Password of the default user (AUTH / HELLO AUTH). Empty = no password.',
    'proto-max-bulk-len': 'Largest bulk string a request may carry.',
    'client-query-buffer-limit': 'Clients whose query buffer grows past this are disconnected.',
    'io-threads': 'Worker threads serving connections (1 = one per CPU core).',
    'shards': 'Keyspace shards (locks); 0 = 16 per core, rounded up to a power of two.',
    'loglevel': 'Log verbosity.',
    'logfile': 'Log file; empty = standard output.',
    'databases': 'Number of logical databases (SELECT 0..databases-1).',
    'enable-debug-command': 'DEBUG command: no, yes, or local (loopback connections only).',
    'maxmemory': 'Memory limit for the dataset (0 = none); accepts units (100mb, 1gb).',
    'maxmemory-policy': 'What to evict when maxmemory is reached.',
    'hz': 'Background task frequency (active expiry, client timeouts, stats).',
    'dir': 'Working directory (default: the current one); CONFIG SET dir changes directory.',
    'save': 'RDB snapshot points: "<seconds> <changes>" pairs; save "" disables.',
    'notify-keyspace-events': 'Keyspace notification classes (K, E, g, $, l, s, h, z, x, e, t, m, n, A); "" = off.',
    'slowlog-log-slower-than': 'Log commands slower than this many microseconds (-1 = off, 0 = all).',
    'slowlog-max-len': 'Entries kept in the slow log.',
}


def kind_text(k):
    if k.startswith('Bool'):
        return 'yes|no'
    m = re.match(r'Enum\((?:&\[(.*)\]|(\w+))\)', k, re.S)
    if m:
        if m.group(1):
            return '|'.join(x.strip().strip('"') for x in m.group(1).split(',') if x.strip())
        return {'POLICIES': 'volatile-lru|volatile-lfu|volatile-random|volatile-ttl|allkeys-lru|'
                            'allkeys-lfu|allkeys-random|noeviction',
                'YESNO_LOCAL': 'no|yes|local'}.get(m.group(2), m.group(2))
    for prefix, text in [('Int', 'integer'), ('Mem', 'memory size'), ('List', 'list'),
                         ('Save', '<seconds> <changes> ...'), ('Notify', 'event classes'),
                         ('ClientOutputBufferLimit', '<class> <hard> <soft> <seconds>')]:
        if k.startswith(prefix):
            return text
    return 'string'


def default_lines(name, kind, d):
    d = d.replace('\\"', '"')
    if kind.startswith('Save'):
        if d == '':
            return ['# save ""']
        p = d.split()
        return ['# save %s %s' % (p[i], p[i + 1]) for i in range(0, len(p), 2)]
    if kind.startswith('ClientOutputBufferLimit'):
        p = d.split()
        return ['# client-output-buffer-limit %s' % ' '.join(p[i:i + 4]) for i in range(0, len(p), 4)]
    if d == '':
        return ['# %s ""' % name]
    if ' ' in d and not kind.startswith('List'):
        return ['# %s "%s"' % (name, d)]
    return ['# %s %s' % (name, d)]


out = ["""# Tessera configuration file (redis.conf syntax).
#
# Start with:   tessera /path/to/this.conf [--param value ...]
# Command-line `--param value` pairs override the file. Every parameter is listed with
# its default value, commented out: uncomment a line to change it. CONFIG GET shows
# the current values; CONFIG SET changes those not marked "startup only".
#
# Tessera accepts Redis 7.2's parameter names, so a stock redis.conf loads. Parameters
# of features Tessera does not implement (yet) are accepted and shown by CONFIG GET,
# but have no effect. Memory units: 1k = 1000 bytes, 1kb = 1024, 1m = 1000000,
# 1mb = 1024*1024, 1g, 1gb likewise; units are case insensitive.
#
# `include /path/to/other.conf` reads another file in place. `rename-command`, `user`
# and `sentinel` lines are accepted and ignored; `loadmodule` is refused.
#
# Generated from src/config/params.rs by scripts/gen_redis_conf_example.py."""]
count = 0
for it in items:
    if it[0] == 'section':
        title = it[1].upper()
        out.append('\n################################ %s %s' % (title, '#' * max(4, 50 - len(title))))
        continue
    _, name, aliases, kind, d, mutable = it
    count += 1
    out.append('')
    if name in DESC:
        out.append('# ' + DESC[name])
    extra = '' if mutable else ', startup only'
    if aliases:
        extra += ', alias: ' + ', '.join(aliases)
    out.append('# %s: %s%s' % (name, kind_text(kind), extra))
    out.extend(default_lines(name, kind, d))
open('redis.conf.example', 'w').write('\n'.join(out) + '\n')
print(count, 'parameters')
