#!/usr/bin/env bash
# snshare: every build, test, demo and bench entry point.
#
#   ./build.sh [build]   release build -> dist/chrome/ (load unpacked) and dist/snshare-chrome.zip
#   ./build.sh test [lint|native|wasm|e2e|firefox|release [pattern]]
#                        rustfmt, build, then native cargo tests and wasm-bindgen tests in
#                        headless Chromium (clippy lints their builds as they compile), the e2e
#                        suite, web-ext lint and the e2e run in Firefox, and the store packages'
#                        checks (or one layer; pattern: cargo test filter /
#                        Playwright -g / Firefox check name)
#   ./build.sh release   store packages (Chrome Web Store, Edge Add-ons, AMO) -> dist/release/
#   ./build.sh demo      sandbox + portal replica + Chromium with the extension loaded
#   ./build.sh bench     performance figures -> target/bench/results.json
#   ./build.sh fuzz      cargo-fuzz targets of fuzz/, FUZZ_SECONDS each (default 300); not a test
#   ./build.sh sizes [surface]  where the content script's (or a surface's) wasm bytes are, by
#                        crate, module and function (tests/tools/wasm_sizes.py)
#
# Each step installs what is missing (rustup target, wasm-bindgen CLI of the Cargo.lock version,
# npm dev tools from package-lock.json, Debian's chromium/chromedriver/xvfb/xdotool) and skips
# what is already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
DIST_ROOT=${SNSHARE_DIST_ROOT:-$ROOT/dist}
DIST=$DIST_ROOT/chrome
export SNSHARE_DIST=$DIST
WASM_TARGET=wasm32-unknown-unknown
NIGHTLY=nightly-2026-05-20
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
# Reproducible wasm: no absolute paths of this checkout in the binaries.
export RUSTFLAGS_REMAP="--remap-path-prefix=$ROOT=/snshare --remap-path-prefix=$HOME=/home"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------
APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  say "installing ${missing[*]} (Debian)"
  if [ $APT_UPDATED -eq 0 ]; then $sudo apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_rust() {
  command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
  rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET" || rustup target add "$WASM_TARGET"
}

ensure_nightly() {
  # The shipped wasm rebuild std for size (SMALL_* below) and the JS build of the content script
  # (for pages whose CSP forbids WebAssembly) for the MVP wasm feature set: both need nightly
  # (-Zbuild-std) and rust-src.
  # Pinned by date, like the stable toolchain in rust-toolchain.toml: the shipped bytes must
  # not change because a newer nightly came out.
  rustup toolchain list | grep -q "^$NIGHTLY" || rustup toolchain install "$NIGHTLY" --profile minimal
  rustup component list --toolchain "$NIGHTLY" --installed 2>/dev/null | grep -q '^rust-src' \
    || rustup component add rust-src --toolchain "$NIGHTLY"
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock
}

wasm_bindgen_current() {
  [ -f Cargo.lock ] || cargo generate-lockfile
  [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)" = "$(wasm_bindgen_version)" ]
}

ensure_wasm_bindgen() {
  if ! wasm_bindgen_current; then
    say "installing wasm-bindgen-cli $(wasm_bindgen_version) (matches Cargo.lock; takes a few minutes once)"
    cargo install wasm-bindgen-cli --version "$(wasm_bindgen_version)" --force
  fi
}

ensure_npm() {
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/esbuild ] \
     || [ ! -d node_modules/@playwright/test ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm dev tools from package-lock.json"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_browser() {
  # chromium-l10n: without it Debian's Chromium ignores --lang; fonts-noto-cjk: Chinese text.
  apt_install chromium chromium-driver chromium-l10n fonts-noto-cjk
  [ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing after install"
}

ensure_xvfb() { apt_install xvfb xdotool xauth; }

# Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core (tests/e2e-firefox).
ensure_firefox() {
  apt_install firefox-esr
  [ -x "${FIREFOX:-/usr/bin/firefox-esr}" ] || die "${FIREFOX:-/usr/bin/firefox-esr} missing after install"
}

# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
# The surfaces, each its own wasm: the portal downloads only the content script (and the forms
# when a person reaches for one), the popup only the pages. Crate snshare-<surface> is uplifted
# to target/small/wasm32-unknown-unknown/release/snshare_<surface>.wasm and bound to
# pkg/snshare_<surface>*.
SURFACES=(content forms worker pages)
# The surfaces that run in the portal page: each also built as JavaScript (pkg-js/), for pages
# whose CSP forbids WebAssembly.
IN_PAGE=(content forms)
in_page() { [[ " ${IN_PAGE[*]} " == *" $1 "* ]]; }
# What ships is built by the pinned nightly with std rebuilt for size (README "Performance"
# gives what each step bought): a panic aborts on the spot, without the message formatting and
# the file/line strings panics otherwise carry (a panic traps either way: release is
# panic=abort and nothing prints it), and std's size-optimized code paths. The release profile
# (Cargo.toml) adds opt-level "z", fat LTO and one codegen unit; wasm-opt -Oz runs after
# wasm-bindgen. One target dir and one set of flags for every surface, so std and the
# dependencies build once, and one cargo build of each in-page surface serves both its wasm
# (pkg/) and its JS build (pkg-js/).
# The target CPU is the MVP plus bulk memory and sign-ext, the two features wasm2js writes as
# plain JavaScript (memory.copy/fill as copyWithin/fill on the heap, not compiler_builtins'
# memcpy/memset loops; sign extension as shifts). Not nontrapping float-to-int, on whose
# saturating conversions wasm2js 132 aborts; not reference types, which wasm2js cannot write:
# wasm-bindgen then keeps the JS values the wasm holds in its glue's array, not in a wasm table.
# Against the default CPU the content script's wasm path is smaller too (wasm 96,470 → 95,400 B
# gzip, glue 4,527 → 4,784 B; the forms' 74,089 + 3,906 → 72,834 + 4,122 B), and a cold build
# compiles std and the dependencies once, not twice (README "What the portal downloads").
SMALL_DIR=$ROOT/target/small
SMALL_RUSTFLAGS="-Ctarget-cpu=mvp -Ctarget-feature=+bulk-memory,+sign-ext -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
SMALL_BUILD_STD=(-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
# The crates that run in the browser: linted and tested for wasm32 (snshare-core is tested
# natively, the sandbox is a native server).
WASM_PACKAGES=(-p snshare-web -p snshare-content -p snshare-forms -p snshare-worker -p snshare-pages)

cargo_wasm() {
  # $1 = surface. --no-default-features: no test-hosts in what ships.
  CARGO_TARGET_DIR="$SMALL_DIR" RUSTFLAGS="$SMALL_RUSTFLAGS $RUSTFLAGS_REMAP" \
    cargo "+$NIGHTLY" build --quiet --lib --release --target "$WASM_TARGET" "${SMALL_BUILD_STD[@]}" \
    -p "snshare-$1" --no-default-features ${BENCH_FEATURE:+--features bench}
}

bindgen() {
  # $1 = input wasm, $2 = out dir, $3 = out name, $4 = target
  wasm-bindgen "$1" --out-dir "$2" --out-name "$3" --target "$4" --no-typescript
}

# --converge: -Oz again until a pass over the module saves nothing more (the content wasm
# 191 B gzip smaller; the MVP wasm of the JS build gains 16 B from it and is left without).
# --low-memory-unused: constant address offsets folded into loads and stores (the content
# script's payload 0.5 KiB gzip smaller, its JS build 0.9 KiB), only for offsets under 1 KiB.
# Sound where the program never addresses that lowest KiB: Rust's wasm32 stack is the first MiB
# of memory and grows down from its top (__stack_pointer starts at 1048576, the data after
# it), so only a stack over 1,023 KiB deep would reach it.
LOW_MEMORY_UNUSED=--low-memory-unused
OPT_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-reference-types --enable-multivalue --enable-mutable-globals)
# --strip-producers, --strip-target-features (after -Oz, in the same run): the two custom
# sections wasm-bindgen and wasm-opt have read by then and no browser reads (232 B of each
# wasm; the content script's wasm 190 B gzip smaller, the forms' 174 B).
OPT_STRIP=(--strip-producers --strip-target-features)
# opt_once: one -Oz round, for the worker's and the pages' wasm: --converge took the worker's
# from 36 to 64 s for 646 B of its 951 KB (0.07 %), the pages' from 23 to 34 s for 238 B.
# Neither is downloaded by the portal; the in-page surfaces keep --converge (opt).
opt_once() { wasm-opt -Oz $LOW_MEMORY_UNUSED "${OPT_FEATURES[@]}" "$1" -o "$1" "${@:2}" "${OPT_STRIP[@]}"; }
opt() { opt_once "$1" --converge "${@:2}"; }

build_step() {
  # $1 = what the step makes, rest = command. Checked here rather than left to `set -e`, which
  # bash silently turns off for a function called in a condition: a failed step must stop the
  # run before any test can pick up an old artefact.
  local what=$1; shift
  "$@" || build_failed "$what" $?
}

build_failed() {
  printf '!! build failed: %s (exit %s); no test runs against old artefacts\n' "$1" "$2" >&2
  if [ "${IN_TEST:-0}" = 1 ]; then
    echo "build failed: $1"
    echo "0 passed, 1 failed"
  fi
  exit 1
}

build_js_fallback() {
  # $1 = the folder with the in-page surfaces' wasm, as cargo built them (build's stage). The
  # in-page surfaces (the content script, the forms) as JavaScript, for portal pages whose CSP
  # forbids wasm: the same cargo build as their wasm (SMALL_RUSTFLAGS: an MVP CPU) ->
  # wasm-bindgen --target bundler -> wasm2js.
  local in=$1 out=$ROOT/target/js-build surface
  rm -rf "$out"; mkdir -p "$out" "$DIST/pkg-js"
  for surface in "${IN_PAGE[@]}"; do
    local name=snshare_$surface
    build_step "wasm-bindgen of the $surface wasm for its JS build" \
      bindgen "$in/$name.wasm" "$out" "$name" bundler
    # One -Oz round: --converge saved 16 B gzip of the content script's JS build.
    build_step "wasm-opt of the $surface wasm for its JS build" \
      wasm-opt -Oz $LOW_MEMORY_UNUSED "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
    build_step "short import names of the $surface wasm for its JS build" \
      short_names "$out/${name}_bg.wasm" "$out/${name}_bg.js"
    build_step "short strings decoded by the $surface JS build's glue" short_strings "$out/${name}_bg.js"
    build_step "wasm2js of the $surface wasm" \
      wasm2js -Oz "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm.js"
    # Two modules without imports between them, each imported by content.js at its own URL:
    # the web-accessible resources have per-session URLs (use_dynamic_url), and Chromium
    # resolves a module's relative imports against the extension's fixed id, which is then
    # refused (SECURITY.md, review I1). The glue becomes pkg-js/<name>.js; the wasm2js module
    # exports `instantiate(glue)` instead of importing the glue.
    build_step "JS build of $surface: wasm2js module as instantiate(glue)" \
      wasm2js_as_factory "$out/${name}_bg.wasm.js" "$name"
    # Minified (esbuild from package-lock.json; export names stay): wasm2js writes readable
    # JavaScript, for the content script 1.7 MB raw and 260 KiB gzip; minified, 0.63 MB and
    # 187 KiB gzip, in 0.2 s.
    build_step "JS build of $surface: minify the glue" \
      minify "$out/${name}_bg.js" "$DIST/pkg-js/$name.js"
    build_step "JS build of $surface: minify the wasm2js module" \
      minify "$out/${name}_bg.wasm.js" "$DIST/pkg-js/${name}_bg.wasm.js"
  done
}

short_names() {
  # $1 = wasm, $2 = its unminified wasm-bindgen glue (both rewritten). wasm-bindgen names each
  # import `__wbg_<method>_<16 hex digits>` and each closure shim export after its full Rust
  # type (up to 334 characters). Renamed `$a`, `$b`… in both, the content script's payload is
  # 5.8 KiB gzip smaller (the hex digits do not compress; README "What the portal downloads").
  # Its own imports (`__wbindgen_object_drop_ref`, `__wbindgen_generic_<16 digits>`…) too:
  # 79 B gzip of the content script's wasm and glue. An import the glue does not spell exactly
  # once, or a shim export it does not read only as `wasm.<name>`, is left as it is; the public
  # exports (content_start…) are never renamed.
  python3 - "$1" "$2" <<'PY'
import re, sys
wasm_path, glue_path = sys.argv[1], sys.argv[2]
buf = open(wasm_path, "rb").read()
glue = open(glue_path, encoding="utf-8").read()

def leb(pos):
    n = shift = 0
    while True:
        b = buf[pos]; pos += 1
        n |= (b & 0x7F) << shift; shift += 7
        if b < 0x80:
            return n, pos

def uleb(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def token(name):
    return re.compile(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])")

renamed = {}
def short(old, export=False):
    # An import is one key or one exported function of the glue; an export is read as
    # `wasm.<name>` (the glue may also name a local wrapper function after it: left as is).
    if export:
        uses = len(re.findall(r"(?<![\w$])wasm\." + re.escape(old) + r"(?![\w$])", glue))
        if uses == 0 or re.search("[\"'`]" + re.escape(old), glue):
            return old
    elif len(token(old).findall(glue)) != 1:
        return old
    i = len(renamed)
    while True:
        s, k = "", i + 1
        while k:
            k -= 1; s = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[k % 52] + s; k //= 52
        new = "$" + s
        if new not in renamed.values() and not token(new).search(glue):
            renamed[old] = new
            return new
        i += 1

def string(s):
    b = s.encode(); return uleb(len(b)) + b

if buf[:8] != b"\0asm\1\0\0\0":
    sys.exit("not a wasm module")
out, pos = bytearray(buf[:8]), 8
while pos < len(buf):
    sid = buf[pos]; size, p = leb(pos + 1); end = p + size
    if sid not in (2, 7):  # imports, exports
        out += buf[pos:end]; pos = end
        continue
    count, q = leb(p)
    body = bytearray(uleb(count))
    for _ in range(count):
        if sid == 2:
            n, q = leb(q); module = buf[q:q + n]; q += n
        n, q = leb(q); name = buf[q:q + n].decode(); q += n
        desc = q
        kind = buf[q]; q += 1
        if sid == 7 or kind == 0:  # export index, function type
            _, q = leb(q)
        elif kind in (1, 2):  # table (with its element type), memory: limits
            q += kind == 1
            flags, q = leb(q); _, q = leb(q)
            if flags & 1:
                _, q = leb(q)
        elif kind == 3:  # global
            q += 2
        else:
            sys.exit(f"unknown import kind {kind}")
        if sid == 2:
            new = short(name) if kind == 0 and name.startswith(("__wbg_", "__wbindgen_")) else name
            body += uleb(len(module)) + module + string(new) + buf[desc:q]
        else:
            new = short(name, export=True) if name.startswith("wasm_bindgen_") else name
            body += string(new) + buf[desc:q]
    out += bytes([sid]) + uleb(len(body)) + body
    pos = end
if not renamed:
    sys.exit("no wasm-bindgen import found to shorten: has wasm-bindgen's naming changed?")
for old, new in renamed.items():
    if old.startswith("wasm_bindgen_"):
        glue = re.sub(r"(?<![\w$])wasm\." + re.escape(old) + r"(?![\w$])", "wasm." + new, glue)
    else:
        glue = token(old).sub(new, glue)
open(wasm_path, "wb").write(out)
open(glue_path, "w", encoding="utf-8").write(glue)
PY
}

short_strings() {
  # $1 = an in-page surface's unminified wasm-bindgen glue (rewritten): its getStringFromWasm0
  # becomes src/web/glue/short_strings.js, which decodes strings up to 128 bytes itself
  # instead of asking a TextDecoder for each (README "2,000 rows at once: short strings"). A
  # glue whose function reads otherwise (another wasm-bindgen) fails the build rather than
  # ship unpatched.
  python3 - "$1" "$ROOT/src/web/glue/short_strings.js" <<'PY'
import sys
path = sys.argv[1]
glue = open(path, encoding="utf-8").read()
old = """function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}"""
new = open(sys.argv[2], encoding="utf-8").read().strip()
if glue.count(old) != 1:
    sys.exit(f"{path}: getStringFromWasm0 is not wasm-bindgen's as build.sh knows it (short_strings)")
open(path, "w", encoding="utf-8").write(glue.replace(old, new))
PY
}

minify() {
  # $1 = source, $2 = destination (may be the source itself). UTF-8 out: the wasm2js modules'
  # data literals (wasm2js_as_factory) stay one or two bytes per byte, not a \xHH escape.
  esbuild --minify --charset=utf8 --log-level=warning "$1" --outfile="$2.min" && mv "$2.min" "$2"
}

compile_hint() {
  # $1 = a minified script. V8 (Chrome 136 on) compiles every function of a file that opens with
  # this comment while it parses the file, on the thread that streams it, instead of each one on
  # the main thread at its first call, which for the content glue is in the portal's first
  # batches (README "The content glue compiled as it streams"). Other engines read a comment.
  { printf '//# allFunctionsCalledOnLoad\n'; cat "$1"; } >"$1.hint" && mv "$1.hint" "$1"
}

wasm2js_as_factory() {
  # $1 = wasm2js output, $2 = the module's name (snshare_<surface>).
  python3 - "$1" "$2" <<'PY'
import re, sys
path, name = sys.argv[1], sys.argv[2]
src = open(path, encoding="utf-8").read()
glue = f"$_{name}_bg_js"
head = f"import * as {glue} from './{name}_bg.js';\n"
if not src.startswith(head):
    sys.exit("wasm2js output does not start with its one import of the glue")
body, n = re.subn(r"^export var ([A-Za-z0-9_$]+) = retasmFunc\.\1;$", r"__exports.\1 = retasmFunc.\1;",
                  src[len(head):], flags=re.M)
if n == 0 or re.search(r"^(import|export)\b", body, flags=re.M):
    sys.exit("wasm2js output has other imports or exports than expected")
# wasm2js grows its memory into a new ArrayBuffer and leaves the old one attached; the glue
# keeps its cached views of the memory while their buffer is not detached, so after a growth
# it wrote strings into the old buffer and the code read zeros (the forms module's first
# template lookup found nothing). Detached after the copy, the old buffer makes the glue take
# new views, as with real wasm memory.
grow = "newHEAP8.set(HEAP8);\n"
if body.count(grow) != 1:
    sys.exit("wasm2js output does not grow its memory as expected")
body = body.replace(grow, grow + "HEAP8.buffer.transfer(0);\n")
# The data segments as Latin-1 string literals, not base64 (issue 17: base64 does not
# compress; the content script's strict-CSP build lost 3.4 KiB gzip, the forms' 4.1 KiB).
# Each byte is one UTF-16 unit of the literal; the minifier keeps them as UTF-8 (--charset).
import base64
def latin1(data):
    out = []
    for i, c in enumerate(data):
        digit_next = i + 1 < len(data) and 48 <= data[i + 1] <= 57
        if c == 0:
            out.append("\\x00" if digit_next else "\\0")
        elif c in (0x22, 0x5C):
            out.append("\\" + chr(c))
        elif c < 0x20 or c == 0x7F:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c))
    return '"' + "".join(out) + '"'
body, n = re.subn(r'base64DecodeToExistingUint8Array\((\w+), (\d+), "([A-Za-z0-9+/=]*)"\);',
                  lambda m: f"latin1Bytes({m.group(1)}, {m.group(2)}, "
                            f"{latin1(base64.b64decode(m.group(3)))});", body)
decoder = "function base64DecodeToExistingUint8Array("
if n == 0 or decoder not in body:
    sys.exit("wasm2js output does not write its data segments as expected")
body = body.replace(decoder, "function latin1Bytes(u8, at, s) { for (var i = 0; i < s.length; i++) "
                    "u8[at + i] = s.charCodeAt(i); }\n" + decoder, 1)
with open(path, "w", encoding="utf-8") as f:
    f.write(f"export function instantiate({glue}) {{\nvar __exports = {{}};\n"
            + body + "\nreturn __exports;\n}\n")
PY
}

# The build's background jobs, stopped with their children (wasm-opt, cargo) and their staging
# folder if the build stops early: a failed step must not leave them running.
BG_PIDS=(); BG_STAGE=""
stop_background() {
  local p
  for p in "${BG_PIDS[@]}"; do
    pkill -TERM -P "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
  done
  BG_PIDS=()
  [ -n "$BG_STAGE" ] && rm -rf "$BG_STAGE"
  BG_STAGE=""
}

wait_job() {
  # $1 = a background job of build, $2 = its log, $3 = what it makes: its failure, with its log,
  # fails the build.
  wait "$1" || { cat "$2" >&2; build_failed "$3 (its log is above)" 1; }
}

finish_surface() {
  # $1 = surface, $2 = its wasm: bound into $DIST/pkg and optimized (in build's background).
  build_step "wasm-bindgen of the $1 wasm" bindgen "$2" "$DIST/pkg" "snshare_$1" web
  if in_page "$1"; then
    build_step "wasm-opt of the $1 wasm" opt "$DIST/pkg/snshare_$1_bg.wasm"
  else
    build_step "wasm-opt of the $1 wasm" opt_once "$DIST/pkg/snshare_$1_bg.wasm"
  fi
}

build() {
  build_step "Rust wasm target" ensure_rust
  build_step "pinned nightly and rust-src (std rebuilt for size)" ensure_nightly
  build_step "wasm-bindgen CLI" ensure_wasm_bindgen
  build_step "npm dev tools" ensure_npm
  say "building the extension (release) into dist/chrome"
  rm -rf "$DIST_ROOT"; mkdir -p "$DIST/pkg"
  mkdir -p "$ROOT/target"
  trap stop_background EXIT
  # Each surface's wasm-bindgen and wasm-opt (one core, up to half a minute) run in the
  # background while cargo builds the next surface, on a copy of its wasm; so does the JS build
  # of the in-page surfaces, once cargo has built them (SURFACES lists them first): cargo's LTO
  # links and wasm-opt keep one core busy each, which leaves the other idle on a 2-core machine.
  local surface wasm pids=() stage js_log=$ROOT/target/js-build.log js_pid="" staged=()
  stage=$(mktemp -d "$ROOT/target/surfaces.XXXXXX"); BG_STAGE=$stage
  for surface in "${SURFACES[@]}"; do
    wasm=$SMALL_DIR/$WASM_TARGET/release/snshare_$surface.wasm
    # An old wasm must not stand in for a build that failed.
    rm -f "$wasm"
    build_step "$surface wasm (cargo build -p snshare-$surface)" cargo_wasm "$surface"
    cp "$wasm" "$stage/snshare_$surface.wasm"
    ( IN_TEST=0 finish_surface "$surface" "$stage/snshare_$surface.wasm" ) >"$stage/$surface.log" 2>&1 &
    pids+=($!); BG_PIDS+=($!)
    in_page "$surface" && staged+=("$surface")
    if [ -z "$js_pid" ] && [ ${#staged[@]} -eq ${#IN_PAGE[@]} ]; then
      ( IN_TEST=0 build_js_fallback "$stage" ) >"$js_log" 2>&1 & js_pid=$!
      BG_PIDS+=("$js_pid")
    fi
  done
  [ -n "$js_pid" ] || build_failed "the JS build: SURFACES does not hold every in-page surface" 1
  local i
  for i in "${!SURFACES[@]}"; do
    surface=${SURFACES[$i]}
    wait_job "${pids[$i]}" "$stage/$surface.log" "the $surface wasm's wasm-bindgen or wasm-opt"
  done
  # The portal downloads the in-page surfaces' glue with their wasm: minified (the content
  # script's 8.7 → 6.9 KiB gzip).
  for surface in "${IN_PAGE[@]}"; do
    build_step "short import names of the $surface wasm" short_names \
      "$DIST/pkg/snshare_${surface}_bg.wasm" "$DIST/pkg/snshare_$surface.js"
    build_step "short strings decoded by the $surface glue" short_strings "$DIST/pkg/snshare_$surface.js"
    build_step "minify the $surface glue" minify \
      "$DIST/pkg/snshare_$surface.js" "$DIST/pkg/snshare_$surface.js"
  done
  build_step "the content glue compiled as it streams (V8's compile hint)" \
    compile_hint "$DIST/pkg/snshare_content.js"
  wait_job "$js_pid" "$js_log" "the JS build of the in-page surfaces"
  BG_PIDS=(); stop_background; trap - EXIT
  cat "$js_log"
  build_step "copy of extension/ into dist/chrome (templates/ is compiled into the content script and the forms)" \
    bash -c 'cd extension && find . -type f ! -name "*.md" ! -name "manifest.*.json" ! -path "./templates/*" -print0 | xargs -0 -I{} cp --parents {} "$1/"' _ "$DIST"
  # content.js is the one loader every portal page downloads and parses at document_start:
  # minified like the glue it imports (1,857 -> 874 B gzip; its source, with the comments, is
  # extension/content.js). The extension pages' loaders stay as written.
  build_step "minify content.js" minify "$DIST/content.js" "$DIST/content.js"
  # content.css, the sheet the manifest has the browser inject into every portal page
  # (extension/content.css keeps its comments).
  build_step "minify content.css" minify "$DIST/content.css" "$DIST/content.css"
  build_step "dist/snshare-chrome.zip" deterministic_zip "$DIST" "$DIST_ROOT/snshare-chrome.zip"
  build_firefox
  say "built: $(du -sh "$DIST" | cut -f1) in dist/chrome; wasm $(for surface in "${SURFACES[@]}"; do
    printf '%s %s B, ' "$surface" "$(stat -c %s "$DIST/pkg/snshare_${surface}_bg.wasm")"; done)JS fallback $(stat -c %s "$DIST/pkg-js/snshare_content_bg.wasm.js") B"
}

# ---------------------------------------------------------------------------------------------
# Firefox and the store packages
# ---------------------------------------------------------------------------------------------
deterministic_zip() {
  # $1 = folder, $2 = zip. The same files give the same bytes: sorted names, fixed timestamps
  # and permissions, one compression level (two ./build.sh release runs compare equal).
  python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
names = sorted(os.path.relpath(os.path.join(d, f), src).replace(os.sep, "/")
               for d, _, fs in os.walk(src) for f in fs)
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for n in names:
        info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.create_system = 3
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(src, n), "rb") as f:
            z.writestr(info, f.read(), compresslevel=9)
PY
}

patch_manifest() {
  # $1 = manifest.json to rewrite, $2 = a JSON merge patch (RFC 7396: null removes a key).
  python3 - "$1" "$2" <<'PY'
import json, sys
def merge(base, patch):
    if not isinstance(patch, dict):
        return patch
    out = dict(base) if isinstance(base, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge(out.get(k), v)
    return out
path, patch = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    manifest = json.load(f)
manifest = merge(manifest, json.loads(patch))
with open(path, "w", encoding="utf-8") as f:
    f.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
PY
}

build_firefox() {
  # dist/firefox: the same files as dist/chrome, with the manifest Firefox reads
  # (extension/manifest.firefox.json patched onto manifest.json: an event page instead of the
  # service worker, the add-on id, the data-collection declaration; no Chrome-only keys).
  local ff=$DIST_ROOT/firefox
  rm -rf "$ff"
  build_step "dist/firefox" cp -a "$DIST" "$ff"
  build_step "Firefox manifest (extension/manifest.firefox.json)" \
    patch_manifest "$ff/manifest.json" "$(cat extension/manifest.firefox.json)"
  # Firefox reads managed settings from its enterprise policies, not from a schema file.
  rm -f "$ff/managed_schema.json"
  build_step "dist/snshare-firefox.zip" deterministic_zip "$ff" "$DIST_ROOT/snshare-firefox.zip"
}

manifest_version() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' extension/manifest.json
}

store_package() {
  # $1 = built extension folder, $2 = store name, $3 = release folder. What a store gets: no
  # development `key` (each store gives the extension its own id), zipped reproducibly.
  local stage=$ROOT/target/release-stage/$2
  rm -rf "$stage"; mkdir -p "$(dirname "$stage")"
  build_step "$2 package" cp -a "$1" "$stage"
  build_step "$2 manifest" patch_manifest "$stage/manifest.json" '{"key": null}'
  build_step "$2 zip" deterministic_zip "$stage" "$3/snshare-$(manifest_version)-$2.zip"
}

source_archive() {
  # $1 = zip. The committed files of the checkout as they are on disk (what BUILD.md rebuilds
  # from), zipped reproducibly.
  local stage=$ROOT/target/release-stage/source
  rm -rf "$stage"; mkdir -p "$stage"
  git ls-files -z --cached --others --exclude-standard \
    | xargs -0 -I{} sh -c '[ -f "$1" ] && cp --parents "$1" "$2/" || true' _ {} "$stage"
  deterministic_zip "$stage" "$1"
}

wasm_sums() {
  # The wasm and JS builds of the core, as BUILD.md compares them after a rebuild.
  (cd "$DIST" && sha256sum pkg/*.wasm pkg/*.js pkg-js/*.js)
}

release_package() {
  # The store packages of the build in $DIST_ROOT, into $DIST_ROOT/release (no build, no images).
  local out=$DIST_ROOT/release v
  v=$(manifest_version)
  rm -rf "$out" "$ROOT/target/release-stage"; mkdir -p "$out"
  say "store packages into dist/release"
  store_package "$DIST" chrome-web-store "$out"
  store_package "$DIST" edge-addons "$out"
  store_package "$DIST_ROOT/firefox" amo "$out"
  build_step "source archive" source_archive "$out/snshare-$v-source.zip"
  cp BUILD.md PRIVACY.md "$out/"
  wasm_sums > "$out/WASM-SHA256SUMS"
  (cd "$out" && sha256sum ./*.zip > SHA256SUMS)
  build_step "store package checks (tests/release/check.py)" python3 tests/release/check.py "$out"
}

cmd_release() {
  # ./build.sh release: dist/release/ with the Chrome Web Store, Edge Add-ons and AMO zips, the
  # source archive, BUILD.md, PRIVACY.md, checksums and the store images (see BUILD.md).
  # RELEASE_NO_IMAGES=1 skips the images (the reproducibility test does).
  build
  release_package
  local out=$DIST_ROOT/release
  if [ "${RELEASE_NO_IMAGES:-0}" != 1 ]; then
    ensure_browser
    build_step "sandbox and portal replica servers" build_servers
    say "store images: icons and screenshots from the demo walkthrough"
    build_step "store images (tests/release/store-images.mjs)" node tests/release/store-images.mjs "$out/store"
    build_step "store images' sizes (tests/release/check.py --images)" python3 tests/release/check.py --images "$out"
  fi
  say "release: $(ls "$out" | tr '\n' ' ')"
}

build_servers() {
  # The sandbox and the portal replica server, used by e2e, demo and bench.
  env "${CLIPPY_ENV[@]}" cargo build --quiet -p sn-sandbox --bins ${1:+--release}
}

# ---------------------------------------------------------------------------------------------
# Test
# ---------------------------------------------------------------------------------------------
# What ran, by kind, for the summary: tests of the product (native, wasm, e2e) and tests of our
# test doubles (the ServiceNow sandbox and the portal replica server) are different claims.
PRODUCT_NATIVE=0; PRODUCT_WASM=0; PRODUCT_E2E=0; PRODUCT_FIREFOX=0; PRODUCT_RELEASE=0; SANDBOX=0; FAILED=0
SKIPPED=0; FLAKY=0; NOT_RUN=0; LAYERS_NOT_RUN=()

cargo_sum() {
  # $1 = log, $2 = field (passed | failed | ignored): the sum over the "test result:" lines.
  grep -Eo "test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed; [0-9]+ ignored" "$1" \
    | awk -v f="$2" '{ s += (f == "passed" ? $4 : f == "failed" ? $6 : $8) } END { print s + 0 }'
}

run_cargo() {
  # $1 = label, $2 = log, $3 = variable that gets the passed count, rest = command. A command
  # that fails without a counted failure (compile error, crashed runner) counts as one failure.
  local label=$1 log=$2 var=$3; shift 3
  say "$label"
  rm -f "$log"
  local rc=0 p f
  "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  p=$(cargo_sum "$log" passed); f=$(cargo_sum "$log" failed)
  printf -v "$var" '%d' $(( ${!var} + p ))
  FAILED=$((FAILED + f))
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then FAILED=$((FAILED + 1)); echo "!! $label failed (exit $rc)"; fi
}

native_tests() {
  # $1 = optional filter. --no-fail-fast: one red test binary must not hide the later ones.
  # Only snshare-core has native tests: the surfaces and snshare-web are wasm-only.
  run_cargo "native tests of the product (cargo test -p snshare-core)" target/test-logs/native.log \
    PRODUCT_NATIVE env "${CLIPPY_ENV[@]}" cargo test -p snshare-core --no-fail-fast ${1:+-- "$1"}
  run_cargo "native tests of the sandbox and replica (cargo test -p sn-sandbox)" \
    target/test-logs/sandbox.log SANDBOX env "${CLIPPY_ENV[@]}" cargo test -p sn-sandbox --no-fail-fast ${1:+-- "$1"}
  # The live contract checks run only against a real instance (tests/sandbox/tests/live.rs).
  NOT_RUN=$((NOT_RUN + $(cargo_sum target/test-logs/sandbox.log ignored)))
  local product_ignored
  product_ignored=$(cargo_sum target/test-logs/native.log ignored)
  SKIPPED=$((SKIPPED + product_ignored))
}

wasm_tests() {
  # $1 = optional filter.
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
  export CHROMEDRIVER=/usr/bin/chromedriver
  export WASM_BINDGEN_TEST_TIMEOUT=60
  run_cargo "wasm tests (wasm-bindgen-test, headless Chromium)" target/test-logs/wasm.log \
    PRODUCT_WASM env "${CLIPPY_ENV[@]}" cargo test --target "$WASM_TARGET" "${WASM_PACKAGES[@]}" --tests --no-fail-fast ${1:+-- "$1"}
}

e2e_tests() {
  # $1 = optional Playwright -g pattern.
  local json=$ROOT/target/e2e/results.json
  mkdir -p "$ROOT/target/e2e"
  # An old results file must never be read as this run's.
  rm -f "$json"
  say "e2e (Playwright, tests/e2e)"
  local rc=0
  # Headless, except the host-permission prompt test, which needs a display: give the suite
  # a virtual one when there is none.
  local xvfb=()
  [ -z "${DISPLAY:-}" ] && xvfb=(xvfb-run -a -s "-screen 0 1400x900x24")
  PLAYWRIGHT_JSON_OUTPUT_NAME="$json" "${xvfb[@]}" npx playwright test -c tests/e2e/playwright.config.mjs \
    --reporter=list,json ${1:+-g "$1"} || rc=$?
  if [ ! -f "$json" ]; then
    FAILED=$((FAILED + 1)); echo "!! e2e: Playwright wrote no results (exit $rc)"
    return
  fi
  local p f s k d
  # d: passed tests tagged @replica (of the portal replica itself, not of snshare).
  read -r p f s k d < <(node -e '
    const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const r = j.stats || {};
    let d = 0;
    const walk = (suite) => {
      for (const spec of suite.specs || []) {
        if ((spec.tags || []).some((t) => t.replace(/^@/, "") === "replica")) d += spec.tests.filter((t) => t.status === "expected").length;
      }
      (suite.suites || []).forEach(walk);
    };
    (j.suites || []).forEach(walk);
    console.log(r.expected || 0, r.unexpected || 0, r.skipped || 0, r.flaky || 0, d);' "$json")
  # A flaky test failed at least once: it is not counted as passed.
  PRODUCT_E2E=$((PRODUCT_E2E + p - d)); SANDBOX=$((SANDBOX + d)); FAILED=$((FAILED + f + k))
  SKIPPED=$((SKIPPED + s)); FLAKY=$((FLAKY + k))
  if [ $rc -ne 0 ] && [ $((f + k)) -eq 0 ]; then FAILED=$((FAILED + 1)); echo "!! e2e failed (exit $rc)"; fi
}

# Wall time per phase of a test run, for the summary (where CI's minutes go).
PHASES=(); PHASE_START=0
phase() { PHASES+=("$1 $((SECONDS - PHASE_START)) s"); PHASE_START=$SECONDS; }

count_plain() {
  # $1 = label, $2 = log, $3 = variable for the passed count: a runner that ends with
  # "N passed, M failed" (tests/e2e-firefox/run.mjs, tests/release/check.py). No such line is
  # one failure.
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$2" | tail -1 || true)
  if [ -z "$line" ]; then FAILED=$((FAILED + 1)); echo "!! $1 printed no result"; return; fi
  read -r p _ f _ <<<"$line"
  printf -v "$3" '%d' $(( ${!3} + p ))
  FAILED=$((FAILED + f))
}

firefox_tests() {
  # $1 = optional check-name pattern. web-ext lint of the Firefox package, then the e2e run in
  # Debian's firefox-esr (tests/e2e-firefox/run.mjs).
  local log=target/test-logs/web-ext-lint.json
  say "web-ext lint of dist/firefox"
  web-ext lint --source-dir "$DIST_ROOT/firefox" --output json --no-config-discovery > "$log" 2>/dev/null || true
  local lint
  lint=$(node tests/e2e-firefox/lint-summary.mjs "$log") || true
  echo "$lint"
  if [[ "$lint" == "web-ext lint: 0 errors, 0 warnings"* ]]; then
    PRODUCT_FIREFOX=$((PRODUCT_FIREFOX + 1))
  else
    FAILED=$((FAILED + 1))
  fi
  say "e2e in Firefox (tests/e2e-firefox, headless firefox-esr over WebDriver BiDi)"
  node tests/e2e-firefox/run.mjs ${1:+"$1"} 2>&1 | tee target/test-logs/firefox.log || true
  count_plain "Firefox e2e" target/test-logs/firefox.log PRODUCT_FIREFOX
}

release_tests() {
  # The store packages of this run's build, and those of a second, separate ./build.sh release
  # into target/release-b: the zips and the source archive must be byte-identical, and
  # tests/release/check.py must find nothing to refuse in them.
  local b=$ROOT/target/release-b
  say "store packages: this build's and a second release build's, compared (tests/release/check.py)"
  rm -rf "$b"
  (release_package) >target/test-logs/release-a.log 2>&1 \
    && SNSHARE_DIST_ROOT=$b RELEASE_NO_IMAGES=1 "$ROOT/build.sh" release >target/test-logs/release-b.log 2>&1 \
    || { FAILED=$((FAILED + 1)); echo "!! the release build failed (target/test-logs/release-*.log)"; return; }
  # The content script's function names (./build.sh sizes): check.py finds no formatting
  # machinery among them.
  "$ROOT/build.sh" sizes content --top 0 >target/test-logs/sizes.log 2>&1 \
    || { FAILED=$((FAILED + 1)); echo "!! ./build.sh sizes failed (target/test-logs/sizes.log)"; return; }
  python3 tests/release/check.py --content-names "$ROOT/target/sizes/snshare_content_bg.wasm" \
    "$DIST_ROOT/release" "$b/release" | tee target/test-logs/release.log || true
  count_plain "release checks" target/test-logs/release.log PRODUCT_RELEASE
}

summary() {
  local product=$((PRODUCT_NATIVE + PRODUCT_WASM + PRODUCT_E2E + PRODUCT_FIREFOX + PRODUCT_RELEASE))
  echo
  echo "product tests passed: $product ($PRODUCT_NATIVE native, $PRODUCT_WASM wasm, $PRODUCT_E2E e2e, $PRODUCT_FIREFOX Firefox, $PRODUCT_RELEASE release)"
  echo "sandbox and portal-replica tests passed: $SANDBOX (tests of the test doubles, not of snshare)"
  local skipped="skipped: $SKIPPED"
  [ "$FLAKY" -gt 0 ] && skipped="$skipped; flaky (failed, then passed on a retry; counted as failed): $FLAKY"
  echo "$skipped"
  local not_run=()
  if [[ " ${LAYERS_NOT_RUN[*]} " != *" native "* ]]; then
    not_run+=("$NOT_RUN live contract checks against a real ServiceNow instance (tests/sandbox/tests/live.rs; they run with SN_INSTANCE, SN_CLIENT_ID, SN_CLIENT_SECRET, SN_USER and SN_PASSWORD set)")
  fi
  [ ${#LAYERS_NOT_RUN[@]} -gt 0 ] && not_run+=("layers not selected: $(IFS=,; echo "${LAYERS_NOT_RUN[*]}")")
  local joined
  joined=$(printf '%s; ' "${not_run[@]}")
  echo "not run: ${joined%; }"
  echo "$((product + SANDBOX)) passed, $FAILED failed"
}

lint() {
  say "rustfmt and clippy (native and wasm32, -D warnings)"
  build_step "rustfmt: run cargo fmt --all" cargo fmt --all --check
  build_step "clippy, native targets" cargo clippy --quiet --workspace --all-targets -- -D warnings
  build_step "clippy, wasm32 (content script, worker, pages and their wasm tests)" \
    cargo clippy --quiet "${WASM_PACKAGES[@]}" --target "$WASM_TARGET" --all-targets -- -D warnings
}

CLIPPY_ENV=()
clippy_compiles() {
  # In ./build.sh test, clippy is the compiler of the workspace's own crates (cargo's
  # RUSTC_WORKSPACE_WRAPPER, which is what `cargo clippy` sets; CLIPPY_ARGS is how it hands
  # clippy its `-- -D warnings`): the native and wasm32 test builds and the servers' build are
  # linted as they compile. A lint fails that build like a compile error. A separate `cargo
  # clippy` checked every dependency a second time (from cold: 142 s of 2 cores before the
  # build; with this, the same builds take 88 s less). The crates that only run in the browser
  # are linted for wasm32, where they ship; `./build.sh test lint` still runs the separate
  # clippy over every target, natively too, and is what to run before a commit.
  # Only those cargo runs get it (CLIPPY_ENV): the shipped wasm is built by the pinned nightly,
  # never through the stable clippy, and the release layer's second build runs without it.
  local driver
  # Through cargo's proxy first: a fresh machine installs the pinned toolchain (with clippy, as
  # rust-toolchain.toml lists it) on its first use.
  cargo clippy --version >/dev/null 2>&1 || true
  driver=$(rustup which clippy-driver) || die "clippy-driver not found: rustup component add clippy"
  CLIPPY_ENV=(RUSTC_WORKSPACE_WRAPPER="$driver" CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__")
}

cmd_test() {
  # ./build.sh test [native|wasm|e2e|firefox|release [pattern]]: one layer, or every layer.
  local layers=(native wasm e2e firefox release) pattern=""
  case "${1:-}" in
    native|wasm|e2e|firefox|release) layers=("$1"); pattern=${2:-} ;;
    lint) ensure_rust; IN_TEST=1; lint; echo "lint: rustfmt and clippy clean"; return ;;
    "") ;;
    *) die "unknown test layer '$1' (native | wasm | e2e | firefox | release, then an optional pattern)" ;;
  esac
  local l
  for l in native wasm e2e firefox release; do
    [[ " ${layers[*]} " == *" $l "* ]] || LAYERS_NOT_RUN+=("$l")
  done
  ensure_rust
  # On a new machine the wasm-bindgen CLI compiles for about 3 minutes, on the CPU, while
  # Debian's packages, the npm tools and the nightly install mostly on the network and the
  # disk: side by side.
  local wbg_pid="" wbg_log=$ROOT/target/wasm-bindgen-install.log
  if ! wasm_bindgen_current; then
    mkdir -p "$ROOT/target"
    say "installing the wasm-bindgen CLI in the background (log: target/wasm-bindgen-install.log)"
    ( ensure_wasm_bindgen ) >"$wbg_log" 2>&1 & wbg_pid=$!
  fi
  ensure_npm; ensure_browser; ensure_xvfb
  [[ " ${layers[*]} " == *" firefox "* ]] && ensure_firefox
  # The browser layers test the extension as built, with the nightly that builds it.
  local needs_build=0
  [[ " ${layers[*]} " =~ " "(e2e|firefox|release)" " ]] && needs_build=1
  [ "$needs_build" = 1 ] && ensure_nightly
  if [ -n "$wbg_pid" ]; then
    wait "$wbg_pid" || { cat "$wbg_log" >&2; die "the wasm-bindgen CLI did not install (its log is above)"; }
  fi
  phase tools
  mkdir -p target/test-logs
  IN_TEST=1
  # Formatting first, for the whole run: a red check fails fast, before minutes of tests. Clippy
  # lints each test build as it compiles it, in every run (clippy_compiles: one layer's run
  # then reuses a full run's builds).
  clippy_compiles
  if [ ${#layers[@]} -gt 1 ]; then
    say "rustfmt"
    build_step "rustfmt: run cargo fmt --all" cargo fmt --all --check
    phase lint
  fi
  if [ "$needs_build" = 1 ]; then
    # Built first, so a failed step stops the run before any test (see build_step).
    say "building for the end-to-end suite"
    build
    build_step "sandbox and portal replica servers (cargo build -p sn-sandbox --bins)" build_servers
    phase build
  fi
  for l in "${layers[@]}"; do
    case $l in
      native) native_tests "$pattern" ;;
      wasm) wasm_tests "$pattern" ;;
      e2e) e2e_tests "$pattern" ;;
      firefox) firefox_tests "$pattern" ;;
      release) release_tests ;;
    esac
    phase "$l"
  done
  summary
  local times
  times=$(printf '%s, ' "${PHASES[@]}")
  echo "time: ${times}total $((SECONDS / 60)) min $((SECONDS % 60)) s"
  [ $FAILED -eq 0 ]
}

# ---------------------------------------------------------------------------------------------
# Demo and bench
# ---------------------------------------------------------------------------------------------
cmd_demo() {
  ensure_browser
  build; build_servers release
  if [ -z "${DISPLAY:-}" ]; then
    say "no display: running the walkthrough headless (screenshots in target/demo/)"
  fi
  node tests/e2e/demo.mjs
}

cmd_bench() {
  # ./build.sh bench [--quick]: --quick (or BENCH_QUICK=1) skips the outbox soak run (minutes).
  # Headless Chromium throughout: no display needed.
  # The bench build (cargo feature `bench`) goes to target/bench/dist, not dist/: dist/ and its
  # zip are what gets installed and shipped, and may be in use by a test run. SNSHARE_DIST_ROOT
  # still chooses another place.
  if [ -z "${SNSHARE_DIST_ROOT:-}" ]; then
    DIST_ROOT=$ROOT/target/bench/dist; DIST=$DIST_ROOT/chrome; export SNSHARE_DIST=$DIST
  fi
  ensure_browser
  BENCH_FEATURE=1 build; build_servers release
  say "bench (headless Chromium, release servers)"
  node tests/e2e/bench.mjs "$@"
}

cmd_sizes() {
  # ./build.sh sizes [surface] [wasm_sizes.py options]: where a surface's wasm bytes are (default
  # the content script), by crate, module and function. The shipped build (same flags, same
  # wasm-opt -Oz) with the function names kept through wasm-bindgen (--keep-debug) and wasm-opt
  # (-g), read by tests/tools/wasm_sizes.py; the sizes are the shipped functions' (the name
  # section aside). Into target/sizes/, not dist/.
  local surface=content
  if [ $# -gt 0 ] && [[ $1 != -* ]]; then surface=$1; shift; fi
  build_step "Rust wasm target" ensure_rust
  build_step "pinned nightly and rust-src (std rebuilt for size)" ensure_nightly
  build_step "wasm-bindgen CLI" ensure_wasm_bindgen
  build_step "npm dev tools" ensure_npm
  local wasm=$SMALL_DIR/$WASM_TARGET/release/snshare_$surface.wasm out=$ROOT/target/sizes
  rm -f "$wasm"; rm -rf "$out"; mkdir -p "$out"
  build_step "$surface wasm (cargo build -p snshare-$surface)" cargo_wasm "$surface"
  build_step "wasm-bindgen of the $surface wasm, names kept" \
    wasm-bindgen "$wasm" --out-dir "$out" --out-name "snshare_$surface" --target web \
      --no-typescript --keep-debug
  build_step "wasm-opt of the $surface wasm, names kept" opt "$out/snshare_${surface}_bg.wasm" -g
  # The in-page surfaces' glue decodes short strings as shipped, so a CPU profile taken with
  # this build in place of the bench build's (README "Performance") does not charge snshare a
  # TextDecoder call per string that the shipped glue does not make.
  case $surface in
    content | forms)
      build_step "short strings decoded by the $surface glue" short_strings "$out/snshare_$surface.js" ;;
  esac
  python3 tests/tools/wasm_sizes.py "$out/snshare_${surface}_bg.wasm" "$@"
}

cmd_fuzz() {
  # ./build.sh fuzz [target...]: every cargo-fuzz target in fuzz/ (or the ones named), each for
  # FUZZ_SECONDS (default 300), on the pinned nightly; not part of `./build.sh test`. The build
  # is release with overflow checks. No sanitizer by default: snshare has no `unsafe`, and
  # AddressSanitizer made the ServiceNow-answer target several times slower
  # (FUZZ_SANITIZER=address brings it back, for the dependencies' unsafe code). The committed
  # seeds in fuzz/corpus/<target> are only read; what the fuzzer finds goes to
  # target/fuzz-corpus/<target>. A crash leaves its input in fuzz/artifacts/<target>/, turns into
  # a test in tests/bad_inputs.rs, and fails the run.
  ensure_rust
  build_step "nightly toolchain for cargo-fuzz" ensure_nightly
  command -v cargo-fuzz >/dev/null || build_step "cargo-fuzz" cargo install cargo-fuzz --locked
  local secs=${FUZZ_SECONDS:-300} san=${FUZZ_SANITIZER:-none} targets=("$@") failed=() t
  [ ${#targets[@]} -eq 0 ] && mapfile -t targets < <(cargo "+$NIGHTLY" fuzz list)
  say "building ${#targets[@]} fuzz targets (cargo +$NIGHTLY fuzz build)"
  build_step "fuzz targets" cargo "+$NIGHTLY" fuzz build -s "$san"
  for t in "${targets[@]}"; do
    mkdir -p "target/fuzz-corpus/$t"
    say "fuzzing $t for ${secs}s"
    # -timeout: one input taking 10 s is a hang worth reporting, not a slow machine.
    if cargo "+$NIGHTLY" fuzz run -s "$san" "$t" "target/fuzz-corpus/$t" "fuzz/corpus/$t" -- \
         -max_total_time="$secs" -timeout=10 -print_final_stats=1 2>&1 | tee "target/fuzz-$t.log" \
         | grep -E '^(==[0-9]+== ERROR|SUMMARY|Done|stat::number_of_executed_units|stat::peak_rss_mb|artifact_prefix|Test unit written)'; \
       [ "${PIPESTATUS[0]}" -eq 0 ]; then
      echo "$t: no crash in ${secs}s ($(grep -Eo 'number_of_executed_units: *[0-9]+' "target/fuzz-$t.log" | grep -Eo '[0-9]+$') inputs; log target/fuzz-$t.log)"
    else
      failed+=("$t")
    fi
  done
  if [ ${#failed[@]} -gt 0 ]; then
    die "fuzz targets that crashed or failed: ${failed[*]} (inputs in fuzz/artifacts/, logs in target/fuzz-<target>.log)"
  fi
  say "fuzz: ${#targets[@]} targets, ${secs}s each, no crash"
}

case "${1:-build}" in
  build) build ;;
  test) shift; cmd_test "$@" ;;
  demo) cmd_demo ;;
  bench) shift; cmd_bench "$@" ;;
  fuzz) shift; cmd_fuzz "$@" ;;
  sizes) shift; cmd_sizes "$@" ;;
  release) cmd_release ;;
  *) die "unknown command '$1' (build | test | demo | bench | fuzz | release | sizes)" ;;
esac
