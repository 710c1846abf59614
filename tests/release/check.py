#!/usr/bin/env python3
"""Checks the store packages of `./build.sh release` (the release test of `./build.sh test`).

    check.py [--images] [--content-names WASM] RELEASE_DIR [OTHER_RELEASE_DIR]

For each store zip (Chrome Web Store, Edge Add-ons, AMO): no development `key` and no test-only
manifest key or host, no source map, no absolute path of the machine that built it in any file,
every file the manifest names is in the zip, the icons the stores read from the package (16, 32,
48 and 128) each a PNG of its size, and the AMO manifest is Firefox's. With a second release
folder (another run of `./build.sh release`): every zip is byte-identical to its twin. With
`--images` (`./build.sh release` once it made them): the store images of RELEASE_DIR/store are
there in the sizes the stores take (STORE_ICONS, 1280x800 screenshots). With `--content-names`
(the content script's wasm with its function names kept, `./build.sh sizes`): none of its
functions is Rust's formatting machinery, which the content script left for its size (issue
17; README "What the portal downloads").
Prints one line per check and ends with "N passed, M failed"; exits non-zero on a failure.
"""
import json
import os
import re
import sys
import zipfile

STORES = ("chrome-web-store", "edge-addons", "amo")
# Hosts only the tests use: the sandbox instance and loopback.
TEST_HOSTS = (b"snshare-test.service-now.com", b"127.0.0.1", b"localhost")
# The icons a store reads from the package's manifest ("icons"): Chrome Web Store and Edge
# Add-ons the 128 (and 16/32/48 in the browser), AMO the 48/128 of the same list.
PACKAGE_ICONS = ("16", "32", "48", "128")
# The images uploaded by hand (store/icons/): AMO's 64x64 listing icon, the Chrome Web Store's
# 128x128 icon, Edge Add-ons' 300x300 logo, the Chrome Web Store's 440x280 small promo tile.
STORE_ICONS = {"icon64.png": (64, 64), "icon128.png": (128, 128), "icon300.png": (300, 300),
               "promo-440x280.png": (440, 280)}
# Screenshots: 1280x800, a size all three stores take; Edge Add-ons takes at most 10 (the Chrome
# Web Store 5: the first five are uploaded there).
SCREENSHOT = (1280, 800)
MAX_SCREENSHOTS = 10
results = []


def png_size(data):
    """(width, height) of a PNG from its IHDR chunk, or None when `data` is no PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def check(name, ok, detail=""):
    results.append(ok)
    print(f"  {'ok  ' if ok else 'FAIL'}  {name}{'' if ok else ': ' + detail}")


def machine_paths():
    """Absolute paths of this machine a build could leak: the checkout, the home folder."""
    root = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
    home = os.path.realpath(os.path.expanduser("~"))
    return [p.encode() for p in {root, home, "/tmp/"} if len(p) > 1]


def zips(folder):
    found = {}
    for name in sorted(os.listdir(folder)):
        for store in STORES:
            if name.endswith(f"-{store}.zip"):
                found[store] = os.path.join(folder, name)
    return found


def check_package(store, path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        manifest = json.loads(z.read("manifest.json"))
        check(f"{store}: no development key", "key" not in manifest, "manifest has `key`")
        check(f"{store}: no test-only manifest key",
              not any(k.startswith("snshare_test") for k in manifest), "snshare_test")
        check(f"{store}: no host permission granted at install",
              "host_permissions" not in manifest, json.dumps(manifest.get("host_permissions")))
        maps = [n for n in names if n.endswith(".map")]
        check(f"{store}: no source maps", not maps, ", ".join(maps))
        paths, hosts, map_refs = [], [], []
        for n in names:
            data = z.read(n)
            for p in machine_paths():
                if p in data:
                    paths.append(f"{n} ({p.decode()})")
            if n.endswith((".json", ".js", ".html", ".css", ".wasm")):
                for h in TEST_HOSTS:
                    if h in data:
                        hosts.append(f"{n} ({h.decode()})")
                if re.search(rb"sourceMappingURL=", data):
                    map_refs.append(n)
        check(f"{store}: no path of the build machine in any file", not paths, ", ".join(paths[:5]))
        check(f"{store}: no test host in any file", not hosts, ", ".join(hosts[:5]))
        check(f"{store}: no source map reference", not map_refs, ", ".join(map_refs[:5]))
        named = [manifest["background"].get("service_worker")] + manifest["background"].get("scripts", [])
        named += [f for cs in manifest["content_scripts"] for f in cs["js"] + cs.get("css", [])]
        named += [manifest["action"]["default_popup"], manifest["options_ui"]["page"]]
        named += list(manifest["icons"].values())
        # What content.js imports into the portal page (the content script and the forms it
        # loads on first need): named one by one, except the JS build's folder.
        named += [r for war in manifest.get("web_accessible_resources", []) for r in war["resources"]
                  if "*" not in r]
        missing = [n for n in named if n and n not in names]
        check(f"{store}: every file the manifest names is packed", not missing, ", ".join(missing))
        icons = dict(manifest["icons"])
        icons.update({f"action {k}": v for k, v in manifest["action"].get("default_icon", {}).items()})
        wrong = [f"{k} ({v}: {png_size(z.read(v)) if v in names else 'missing'})"
                 for k, v in icons.items()
                 if v not in names or png_size(z.read(v)) != (int(k.split()[-1]),) * 2]
        absent = [k for k in PACKAGE_ICONS if k not in manifest["icons"]]
        check(f"{store}: icons {', '.join(PACKAGE_ICONS)} in the package, each its size",
              not wrong and not absent, ", ".join(wrong + [f"no {k}" for k in absent]))
        gecko = manifest.get("browser_specific_settings", {}).get("gecko", {})
        if store == "amo":
            check("amo: Firefox manifest (event page, add-on id, data-collection declaration)",
                  "scripts" in manifest["background"] and "service_worker" not in manifest["background"]
                  and gecko.get("id") and "data_collection_permissions" in gecko,
                  json.dumps(manifest.get("background")))
        else:
            check(f"{store}: Chromium manifest (service worker)",
                  "service_worker" in manifest["background"] and not gecko,
                  json.dumps(manifest.get("background")))


def check_images(folder):
    """The store images `./build.sh release` made (tests/release/store-images.mjs)."""
    def size(path):
        with open(path, "rb") as f:
            return png_size(f.read(24))
    icons = os.path.join(folder, "icons")
    for name, want in STORE_ICONS.items():
        path = os.path.join(icons, name)
        got = size(path) if os.path.exists(path) else "missing"
        check(f"store image {name}: {want[0]}x{want[1]}", got == want, str(got))
    shots_dir = os.path.join(folder, "screenshots")
    shots = sorted(os.listdir(shots_dir)) if os.path.isdir(shots_dir) else []
    check(f"store screenshots: 1 to {MAX_SCREENSHOTS}", 1 <= len(shots) <= MAX_SCREENSHOTS,
          f"{len(shots)} in {shots_dir}")
    wrong = [f"{n} ({size(os.path.join(shots_dir, n))})" for n in shots
             if size(os.path.join(shots_dir, n)) != SCREENSHOT]
    check(f"store screenshots: each a {SCREENSHOT[0]}x{SCREENSHOT[1]} PNG", not wrong, ", ".join(wrong))


# Functions of Rust's formatting machinery (`format!`, `to_string` of a number, `{}` of any
# value): one call to any of them in the content script brings them all back.
FORMATTING = re.compile(r"^(<?core::fmt::|<?alloc::fmt::|.*as core::fmt::(Display|Debug|Write)>)")


def check_content_names(wasm):
    """The content script's wasm, names kept: no function of the formatting machinery."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    import wasm_sizes  # noqa: E402 (tests/tools, found once the path is set)

    _, _, _, names = wasm_sizes.parse(open(wasm, "rb").read())
    found = sorted(n for n in wasm_sizes.demangle_all(list(names.values())).values()
                   if FORMATTING.match(n))
    check("content script: no Rust formatting machinery (core::fmt, alloc::fmt)", bool(names) and not found,
          ", ".join(found[:5]) or "no function names in " + wasm)


def main():
    argv = sys.argv[1:]
    names_wasm = None
    if "--content-names" in argv:
        at = argv.index("--content-names")
        names_wasm = argv[at + 1] if at + 1 < len(argv) else None
        argv = argv[:at] + argv[at + 2:]
        if names_wasm is None:
            sys.exit(__doc__)
    args = [a for a in argv if a != "--images"]
    if not args:
        sys.exit(__doc__)
    if names_wasm:
        check_content_names(names_wasm)
    first = zips(args[0])
    check("a zip for each store", sorted(first) == sorted(STORES), ", ".join(sorted(first)))
    for store, path in first.items():
        check_package(store, path)
    if "--images" in sys.argv[1:]:
        check_images(os.path.join(args[0], "store"))
    if len(args) > 1:
        second = zips(args[1])
        for store, path in first.items():
            other = second.get(store)
            same = other is not None and open(path, "rb").read() == open(other, "rb").read()
            check(f"{store}: two release runs give byte-identical zips", same, f"{path} != {other}")
        src = [n for n in os.listdir(args[0]) if n.endswith("-source.zip")]
        for n in src:
            other = os.path.join(args[1], n)
            same = os.path.exists(other) and open(os.path.join(args[0], n), "rb").read() == open(other, "rb").read()
            check("source archive: byte-identical in both runs", same, n)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
