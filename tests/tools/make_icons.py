#!/usr/bin/env python3
"""Draws the toolbar icons (no image library needed): a teal rounded square with a white
'send' arrow. Run once; the PNGs are committed under extension/icons."""
import struct, zlib, sys, os

def png(size):
    px = []
    r = size * 0.22
    for y in range(size):
        row = []
        for x in range(size):
            cx, cy = x + 0.5, y + 0.5
            # rounded square mask
            dx = max(r - cx, 0, cx - (size - r)); dy = max(r - cy, 0, cy - (size - r))
            inside = dx * dx + dy * dy <= r * r
            if not inside:
                row.append((0, 0, 0, 0)); continue
            u, v = cx / size, cy / size
            # arrow: shaft from (0.22,0.5) to (0.62,0.5), head triangle to (0.8,0.5)
            shaft = 0.22 <= u <= 0.6 and abs(v - 0.5) <= 0.085
            head = 0.55 <= u <= 0.8 and abs(v - 0.5) <= (0.8 - u) * 1.1
            base = 0.22 <= u <= 0.31 and 0.27 <= v <= 0.73
            if shaft or head or base:
                row.append((255, 255, 255, 255))
            else:
                row.append((0x1f, 0x6f, 0x6b, 255))
        px.append(row)
    raw = b"".join(b"\x00" + bytes(c for p in row for c in p) for row in px)
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

out = sys.argv[1] if len(sys.argv) > 1 else "extension/icons"
for s in (16, 32, 48, 128):
    with open(os.path.join(out, f"icon{s}.png"), "wb") as f:
        f.write(png(s))
