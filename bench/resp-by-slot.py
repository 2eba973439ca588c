#!/usr/bin/env python3
"""Splits a stream of RESP commands (standard input, as `redis-cli --pipe` reads it) by the hash
slot of each command's first key (its second word) into one file per slot range, so each file can
be piped to the cluster node that serves those slots.

    resp-by-slot.py OUT_PREFIX 0-5460 5461-10922 10923-16383   # writes OUT_PREFIX0 .. OUT_PREFIX2
"""
import binascii
import sys

prefix, ranges = sys.argv[1], [tuple(map(int, r.split("-"))) for r in sys.argv[2:]]
outs = [open(f"{prefix}{i}", "wb") for i in range(len(ranges))]
owner = [None] * 16384
for index, (low, high) in enumerate(ranges):
    for slot in range(low, high + 1):
        owner[slot] = index


def slot(key):
    """Redis Cluster's slot: CRC16-XMODEM of the key, or of its non-empty {hash tag}."""
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return binascii.crc_hqx(key, 0) & 0x3FFF


data = sys.stdin.buffer.read()
position = 0
buffers = [[] for _ in outs]
while position < len(data):
    start = position
    assert data[position:position + 1] == b"*", f"not a RESP array at byte {position}"
    end = data.index(b"\r\n", position)
    count = int(data[position + 1:end])
    position = end + 2
    words = []
    for _ in range(count):
        end = data.index(b"\r\n", position)
        length = int(data[position + 1:end])
        words.append(data[end + 2:end + 2 + length])
        position = end + 2 + length + 2
    target = owner[slot(words[1])]
    if target is None:
        sys.exit(f"resp-by-slot.py: slot {slot(words[1])} of {words[1]!r} is in no range")
    buffers[target].append(data[start:position])
    if len(buffers[target]) >= 10000:
        outs[target].write(b"".join(buffers[target]))
        buffers[target].clear()
for out, buffer in zip(outs, buffers):
    out.write(b"".join(buffer))
    out.close()
