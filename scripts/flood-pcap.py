#!/usr/bin/env python3
# usage: scripts/flood-pcap.py N OUT.pcap
# A flow-flood capture for the memory benchmark (BENCHMARKS.md): N TCP SYNs to one server,
# each from its own spoofed source address and MAC, so that every packet opens a new flow.
import random
import struct
import sys

n = int(sys.argv[1]); out = sys.argv[2]
random.seed(7)
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
with open(out, 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        src = struct.pack('!I', 0x0a000000 | random.getrandbits(24))
        dst = bytes([10, 77, 0, 10])
        tcp = struct.pack('!HHIIBBHHH', 1024 + (i % 60000), 502, i, 0, 0x50, 0x02, 8192, 0, 0)
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, i & 0xffff, 0, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
        eth = bytes([0, 0x1b, 0x1b, 0, 0, 1]) + bytes([2, 0, 0, 0, (i >> 8) & 0xff, i & 0xff]) + b'\x08\x00'
        pkt = eth + ip + tcp
        t = 1700000000 + i // 100000
        f.write(struct.pack('<IIII', t, i % 1000000, len(pkt), len(pkt)) + pkt)
