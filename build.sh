#!/usr/bin/env bash
# snshare: every build, test, demo and bench entry point.
#
#   ./build.sh [build]   release build -> dist/chrome/ (load unpacked) and dist/snshare-chrome.zip
#   ./build.sh test      native cargo tests, wasm-bindgen tests in headless Chromium, e2e suite
#   ./build.sh demo      sandbox + portal replica + Chromium with the extension loaded
#   ./build.sh bench     performance figures -> target/bench/results.json
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

ensure_nightly_mvp() {
  # The JS build of the content script (for pages whose CSP forbids WebAssembly) rebuilds std
  # for the MVP wasm feature set, which needs nightly and rust-src.
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src' \
    || rustup component add rust-src --toolchain nightly
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock
}

ensure_wasm_bindgen() {
  [ -f Cargo.lock ] || cargo generate-lockfile
  local want have
  want=$(wasm_bindgen_version)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (matches Cargo.lock; takes a few minutes once)"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

ensure_npm() {
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/@playwright/test ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm dev tools from package-lock.json"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  fi
}

ensure_browser() {
  apt_install chromium chromium-driver
  [ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing after install"
}

ensure_xvfb() { apt_install xvfb xdotool xauth; }

# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
cargo_wasm() {
  # $1 = features; the result is uplifted to target/wasm32-unknown-unknown/release/snshare.wasm
  RUSTFLAGS="$RUSTFLAGS_REMAP" cargo build --quiet --lib --release --target "$WASM_TARGET" \
    --no-default-features --features "$1" ${BENCH_FEATURE:+--features bench}
}

bindgen() {
  # $1 = input wasm, $2 = out dir, $3 = out name, $4 = target
  wasm-bindgen "$1" --out-dir "$2" --out-name "$3" --target "$4" --no-typescript
}

opt() { wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
          --enable-reference-types --enable-multivalue --enable-mutable-globals "$1" -o "$1"; }

build_js_fallback() {
  # The same content-script core as JavaScript, for portal pages whose CSP forbids wasm:
  # MVP wasm (nightly, build-std) -> wasm-bindgen --target bundler -> wasm2js.
  ensure_nightly_mvp
  local tdir=$ROOT/target/mvp out=$ROOT/target/mvp/bindgen
  CARGO_TARGET_DIR=$tdir RUSTFLAGS="-C target-cpu=mvp $RUSTFLAGS_REMAP" \
    cargo +nightly build --quiet --lib --release --target "$WASM_TARGET" \
      -Zbuild-std=std,panic_abort --no-default-features --features content ${BENCH_FEATURE:+--features bench}
  rm -rf "$out"; mkdir -p "$out"
  bindgen "$tdir/$WASM_TARGET/release/snshare.wasm" "$out" snshare_content bundler
  wasm-opt -Oz "$out/snshare_content_bg.wasm" -o "$out/snshare_content_bg.wasm"
  wasm2js -Oz "$out/snshare_content_bg.wasm" -o "$out/snshare_content_bg.wasm.js"
  mkdir -p "$DIST/pkg-js"
  sed 's#\./snshare_content_bg\.wasm#./snshare_content_bg.wasm.js#' "$out/snshare_content.js" \
    > "$DIST/pkg-js/snshare_content.js"
  cp "$out/snshare_content_bg.js" "$out/snshare_content_bg.wasm.js" "$DIST/pkg-js/"
}

build() {
  ensure_rust; ensure_wasm_bindgen; ensure_npm
  say "building the extension (release) into dist/chrome"
  rm -rf "$DIST_ROOT"; mkdir -p "$DIST/pkg"
  local wasm=$ROOT/target/$WASM_TARGET/release/snshare.wasm
  cargo_wasm content
  bindgen "$wasm" "$DIST/pkg" snshare_content web
  cargo_wasm extension
  bindgen "$wasm" "$DIST/pkg" snshare_ext web
  opt "$DIST/pkg/snshare_content_bg.wasm"
  opt "$DIST/pkg/snshare_ext_bg.wasm"
  build_js_fallback
  (cd extension && find . -type f ! -name '*.md' -print0 | xargs -0 -I{} cp --parents {} "$DIST/")
  if [ -n "${BENCH_FEATURE:-}" ]; then :; fi
  python3 - "$DIST" "$DIST_ROOT/snshare-chrome.zip" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
# Deterministic: sorted names, fixed timestamps and permissions.
names = sorted(os.path.relpath(os.path.join(d, f), src) for d, _, fs in os.walk(src) for f in fs)
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for n in names:
        info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(src, n), "rb") as f:
            z.writestr(info, f.read(), compresslevel=9)
PY
  say "built: $(du -sh "$DIST" | cut -f1) in dist/chrome; wasm $(stat -c %s "$DIST/pkg/snshare_ext_bg.wasm") B (pages+worker), $(stat -c %s "$DIST/pkg/snshare_content_bg.wasm") B (content)"
}

build_servers() {
  # The sandbox and the portal replica server, used by e2e, demo and bench.
  cargo build --quiet -p sn-sandbox --bins ${1:+--release}
}

# ---------------------------------------------------------------------------------------------
# Test
# ---------------------------------------------------------------------------------------------
PASSED=0; FAILED=0
count_cargo() {
  # Sum "test result: ok. N passed; M failed" lines of a cargo test log.
  local p f
  p=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$1" | awk '{s+=$4} END {print s+0}')
  f=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$1" | awk '{s+=$6} END {print s+0}')
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
}

run_step() {
  # $1 = label, $2 = log file, rest = command. A step that fails without counted failures
  # (compile error, crashed runner) still counts as one failure.
  local label=$1 log=$2; shift 2
  say "$label"
  local before=$FAILED rc=0
  "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  if [ "$label" != e2e ]; then count_cargo "$log"; fi
  if [ $rc -ne 0 ] && [ $FAILED -eq $before ]; then FAILED=$((FAILED + 1)); echo "!! $label failed (exit $rc)"; fi
}

wasm_tests() {
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
  export CHROMEDRIVER=/usr/bin/chromedriver
  export WASM_BINDGEN_TEST_TIMEOUT=60
  cargo test --target "$WASM_TARGET" --tests
}

e2e_tests() {
  local json=$ROOT/target/e2e/results.json
  mkdir -p "$ROOT/target/e2e"
  local rc=0
  # Headless, except the host-permission prompt test, which needs a display: give the suite
  # a virtual one when there is none.
  local xvfb=()
  [ -z "${DISPLAY:-}" ] && xvfb=(xvfb-run -a -s "-screen 0 1400x900x24")
  PLAYWRIGHT_JSON_OUTPUT_NAME="$json" "${xvfb[@]}" npx playwright test -c tests/e2e/playwright.config.mjs \
    --reporter=list,json "$@" || rc=$?
  if [ -f "$json" ]; then
    read -r p f < <(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).stats || {};
      console.log((r.expected || 0) + (r.flaky || 0), (r.unexpected || 0));' "$json")
    PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then FAILED=$((FAILED + 1)); fi
  else
    FAILED=$((FAILED + 1))
  fi
}

cmd_test() {
  ensure_rust; ensure_wasm_bindgen; ensure_npm; ensure_browser; ensure_xvfb
  mkdir -p target/test-logs
  run_step "native tests (cargo test --workspace)" target/test-logs/native.log cargo test --workspace
  run_step "wasm tests (wasm-bindgen-test, headless Chromium)" target/test-logs/wasm.log wasm_tests
  say "building for the end-to-end suite"
  if build && build_servers; then
    say "e2e"
    e2e_tests "$@"
  else
    FAILED=$((FAILED + 1)); echo "!! build failed"
  fi
  echo
  echo "$PASSED passed, $FAILED failed"
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

case "${1:-build}" in
  build) build ;;
  test) shift; cmd_test "$@" ;;
  demo) cmd_demo ;;
  bench) shift; cmd_bench "$@" ;;
  *) die "unknown command '$1' (build | test | demo | bench)" ;;
esac
