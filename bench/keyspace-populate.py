#!/usr/bin/env python3
"""Writes RESP commands for `redis-cli --pipe` that create KEYS keys (default 1,000,000) of
the auth backend's patterns with mixed types and TTLs; a few per mille without TTL."""
import hashlib
import os
import random
import sys

keys = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
rnd = random.Random(7)
out = sys.stdout.buffer
buf = []


def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    buf.append(b"".join(parts))
    if len(buf) >= 10000:
        out.write(b"".join(buf))
        buf.clear()


for i in range(keys):
    kind = i % 10
    h = hashlib.blake2b(i.to_bytes(8, "little"), digest_size=8).hexdigest()
    if kind < 4:   # refresh tokens: 7 days minus up to a day; 0.2% missed their EXPIRE
        if rnd.random() < 0.002:
            cmd("SET", f"rt:user{i}:{h}", "{}")
        else:
            cmd("SET", f"rt:user{i}:{h}", "{}", "EX", 604800 - rnd.randrange(86400))
    elif kind < 6:  # sessions (sets)
        cmd("SADD", f"sess:user{i}", h)
        cmd("EXPIRE", f"sess:user{i}", 604800)
    elif kind < 7:  # blacklisted access tokens
        cmd("SET", f"bl:{h}", "1", "EX", 900)
    elif kind < 8:  # lockouts
        cmd("SET", f"lock:user{i}@example.com", "1", "EX", 900)
    elif kind < 9:  # cached products (hashes), no TTL
        cmd("HSET", f"cache:product:{i}", "name", "p", "price", "1")
    else:           # prefixed participants
        cmd("SET", f"checkin:prod:participant:id:{i}", "x", "EX", 86400)
out.write(b"".join(buf))
