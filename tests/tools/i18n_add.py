#!/usr/bin/env python3
"""Add or update UI strings in extension/_locales/<lang>/messages.json, safely from parallel edits.

usage: i18n_add.py [--lang en] KEY "Message text" ["description for translators"] [KEY MSG DESC ...]
       i18n_add.py --json FILE   (FILE: {"key": {"message": "...", "description": "..."}, ...})
Keys must match [A-Za-z0-9_]+ (Chrome's rule). Placeholders: use $1..$9 substitutions in the message.
"""
import fcntl, json, os, re, sys

def main(argv):
    lang = "en"
    if argv[:1] == ["--lang"]:
        lang, argv = argv[1], argv[2:]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "extension", "_locales", lang, "messages.json")
    entries = {}
    if argv[:1] == ["--json"]:
        with open(argv[1], encoding="utf-8") as f:
            entries = json.load(f)
    else:
        if len(argv) % 3 != 0 or not argv:
            sys.exit(__doc__)
        for i in range(0, len(argv), 3):
            entries[argv[i]] = {"message": argv[i + 1], "description": argv[i + 2]}
    for key in entries:
        if not re.fullmatch(r"[A-Za-z0-9_]+", key):
            sys.exit(f"bad key {key!r}: Chrome accepts only [A-Za-z0-9_]")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        for k, v in entries.items():
            data[k] = {kk: vv for kk, vv in v.items() if vv}
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(dict(sorted(data.items())), f, ensure_ascii=False, indent=2)
            f.write("\n")
        os.replace(tmp, path)

if __name__ == "__main__":
    main(sys.argv[1:])
