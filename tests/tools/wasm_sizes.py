#!/usr/bin/env python3
"""Where a wasm's bytes are: code size per function, grouped by crate and module.

    python3 tests/tools/wasm_sizes.py WASM [--top N] [--depth D] [--functions N] [--filter TEXT]

WASM needs a name section (function names): `./build.sh sizes` builds the content script with
names kept through wasm-bindgen (`--keep-debug`) and wasm-opt (`-Oz -g`), so the functions are
the shipped ones. Prints the sections, then the code grouped by the first D path segments of
each function's (demangled) name — `snshare_content::bulk` at depth 2 — and the N largest
functions. A generic function is counted where its code comes from (`alloc::vec::Vec<T>::push`
is `alloc`, whatever T is); what it was instantiated for is in the function list.
"""

import argparse
import re
import subprocess
import sys
from collections import defaultdict


def leb(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, pos


SECTION_NAMES = {
    0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
    6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data",
    12: "datacount",
}


def parse(buf):
    if buf[:4] != b"\0asm":
        sys.exit("not a wasm module")
    pos = 8
    sections = []  # (name, size)
    imported_funcs = 0
    bodies = []  # sizes of the code section's bodies, in order
    names = {}
    while pos < len(buf):
        sid = buf[pos]
        size, p = leb(buf, pos + 1)
        end = p + size
        if sid == 0:
            nlen, q = leb(buf, p)
            cname = buf[q:q + nlen].decode("utf-8", "replace")
            sections.append((f"custom {cname}", end - pos))
            if cname == "name":
                read_names(buf, q + nlen, end, names)
        else:
            sections.append((SECTION_NAMES.get(sid, str(sid)), end - pos))
        if sid == 2:
            count, q = leb(buf, p)
            for _ in range(count):
                for _ in range(2):
                    n, q = leb(buf, q)
                    q += n
                kind = buf[q]
                q += 1
                if kind == 0:
                    imported_funcs += 1
                    _, q = leb(buf, q)
                elif kind == 1:
                    q += 1
                    flags, q = leb(buf, q)
                    _, q = leb(buf, q)
                    if flags & 1:
                        _, q = leb(buf, q)
                elif kind == 2:
                    flags, q = leb(buf, q)
                    _, q = leb(buf, q)
                    if flags & 1:
                        _, q = leb(buf, q)
                elif kind == 3:
                    q += 2
                else:
                    sys.exit(f"unknown import kind {kind}")
        if sid == 10:
            count, q = leb(buf, p)
            for _ in range(count):
                bsize, r = leb(buf, q)
                bodies.append(r + bsize - q)
                q = r + bsize
        pos = end
    return sections, imported_funcs, bodies, names


def read_names(buf, pos, end, names):
    while pos < end:
        sub = buf[pos]
        size, p = leb(buf, pos + 1)
        if sub == 1:
            count, q = leb(buf, p)
            for _ in range(count):
                idx, q = leb(buf, q)
                n, q = leb(buf, q)
                names[idx] = buf[q:q + n].decode("utf-8", "replace")
                q += n
        pos = p + size


HASH = re.compile(r"::h[0-9a-f]{16}$")
CRATE_HASH = re.compile(r"\[[0-9a-f]{1,16}\]")


def demangle_all(raw_names):
    """Rust's v0 names (_R…) through binutils' c++filt, which knows them; legacy ones here."""
    v0 = [n for n in raw_names if n.startswith("_R")]
    out = {}
    if v0:
        try:
            res = subprocess.run(["c++filt"], input="\n".join(v0), capture_output=True,
                                 text=True, check=True).stdout.split("\n")
        except (OSError, subprocess.CalledProcessError):
            res = v0
        for raw, d in zip(v0, res):
            out[raw] = CRATE_HASH.sub("", d)
    return {n: CRATE_HASH.sub("", out.get(n) or demangle(n)) for n in raw_names}


def demangle(name):
    """Rust's legacy mangling (_ZN…E) to a path; other names as they are."""
    if not name.startswith("_ZN"):
        return HASH.sub("", name)
    pos, parts = 3, []
    while pos < len(name) and name[pos] != "E":
        m = re.match(r"\d+", name[pos:])
        if not m:
            break
        n = int(m.group())
        pos += len(m.group())
        parts.append(name[pos:pos + n])
        pos += n
    subs = {"$LT$": "<", "$GT$": ">", "$RF$": "&", "$BP$": "*", "$u20$": " ", "$u27$": "'",
            "$u5b$": "[", "$u5d$": "]", "$u7b$": "{", "$u7d$": "}", "$u7e$": "~", "$C$": ",",
            "$u3b$": ";", "$u2b$": "+", "$u22$": '"', "..": "::"}
    out = []
    for part in parts:
        if re.fullmatch(r"h[0-9a-f]{16}", part):
            continue
        if part.startswith("_$"):
            part = part[1:]
        for k, v in subs.items():
            part = part.replace(k, v)
        out.append(part)
    return "::".join(out)


def owner(path, depth):
    """The crate (and modules, to `depth` segments) a function's code comes from."""
    s = path.strip()
    # `<T as Trait>::f` is T's impl; `<impl Trait for T>` too; `<&T>`, `<[T]>` are T's.
    while s.startswith("<"):
        s = s[1:]
        s = re.sub(r"^(impl\s+[^<>]*?\s+for\s+)", "", s)
        s = s.lstrip("&*[ ").removeprefix("mut ").removeprefix("dyn ").removeprefix("const ")
    segs = []
    depth_angle = 0
    cur = ""
    i = 0
    while i < len(s):
        c = s[i]
        if c == "<":
            depth_angle += 1
        elif c == ">":
            depth_angle -= 1
        elif depth_angle == 0 and s.startswith("::", i):
            segs.append(cur)
            cur = ""
            i += 2
            continue
        elif depth_angle == 0 and c in " ,;)":
            break
        if depth_angle == 0 and c not in "<>":
            cur += c
        i += 1
    segs.append(cur)
    segs = [x for x in segs if x]
    # Methods of the primitive types (`<str>::find`, `<[T]>::sort`, `<u8>::…`) are core's.
    if segs and re.fullmatch(r"(str|char|bool|[ui](8|16|32|64|128|size)|f32|f64)\w*", segs[0]):
        segs = ["core", "(primitive)"] + segs
    if not segs:
        return "?"
    if len(segs) == 1:
        return "(no path) " if not re.match(r"^[a-z_][a-z0-9_]*$", segs[0]) else segs[0]
    return "::".join(segs[:max(1, min(depth, len(segs) - 1))])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wasm")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--depth", type=int, default=1)
    ap.add_argument("--functions", type=int, default=25)
    ap.add_argument("--filter", default="")
    a = ap.parse_args()
    buf = open(a.wasm, "rb").read()
    sections, imported, bodies, names = parse(buf)
    print(f"{a.wasm}: {len(buf):,} B")
    for name, size in sections:
        print(f"  {name:<28} {size:>9,} B")
    if not names:
        sys.exit("no name section: build with names kept (./build.sh sizes)")
    groups = defaultdict(lambda: [0, 0])
    funcs = []
    raws = [names.get(imported + i, f"<func {imported + i}>") for i in range(len(bodies))]
    paths = demangle_all(raws)
    for raw, size in zip(raws, bodies):
        path = paths[raw]
        if a.filter and a.filter not in path:
            continue
        g = owner(path, a.depth)
        groups[g][0] += size
        groups[g][1] += 1
        funcs.append((size, path))
    total = sum(s for s, _ in funcs)
    print(f"\ncode: {total:,} B in {len(funcs)} functions"
          f"{' matching ' + repr(a.filter) if a.filter else ''}; by owner (depth {a.depth}):")
    for g, (size, n) in sorted(groups.items(), key=lambda kv: -kv[1][0])[:a.top]:
        print(f"  {size:>8,} B {100 * size / max(total, 1):5.1f} % {n:>5} fn  {g}")
    print(f"\nlargest functions:")
    for size, path in sorted(funcs, reverse=True)[:a.functions]:
        print(f"  {size:>7,} B  {path[:150]}")


if __name__ == "__main__":
    main()
