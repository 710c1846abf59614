#!/usr/bin/env python3
"""Checks the store packages of `./build.sh release` (the release test of `./build.sh test`).

    check.py RELEASE_DIR [OTHER_RELEASE_DIR]

For each store zip (Chrome Web Store, Edge Add-ons, AMO): no development `key` and no test-only
manifest key or host, no source map, no absolute path of the machine that built it in any file,
every file the manifest names is in the zip, and the AMO manifest is Firefox's. With a second
release folder (another run of `./build.sh release`): every zip is byte-identical to its twin.
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
results = []


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
        named += [js for cs in manifest["content_scripts"] for js in cs["js"]]
        named += [manifest["action"]["default_popup"], manifest["options_ui"]["page"]]
        named += list(manifest["icons"].values())
        missing = [n for n in named if n and n not in names]
        check(f"{store}: every file the manifest names is packed", not missing, ", ".join(missing))
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


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    first = zips(sys.argv[1])
    check("a zip for each store", sorted(first) == sorted(STORES), ", ".join(sorted(first)))
    for store, path in first.items():
        check_package(store, path)
    if len(sys.argv) > 2:
        second = zips(sys.argv[2])
        for store, path in first.items():
            other = second.get(store)
            same = other is not None and open(path, "rb").read() == open(other, "rb").read()
            check(f"{store}: two release runs give byte-identical zips", same, f"{path} != {other}")
        src = [n for n in os.listdir(sys.argv[1]) if n.endswith("-source.zip")]
        for n in src:
            other = os.path.join(sys.argv[2], n)
            same = os.path.exists(other) and open(os.path.join(sys.argv[1], n), "rb").read() == open(other, "rb").read()
            check("source archive: byte-identical in both runs", same, n)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
