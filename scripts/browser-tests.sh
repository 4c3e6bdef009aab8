#!/usr/bin/env bash
# Drives the operator console in Debian's Chromium with playwright-core (pinned in
# tests/browser/package-lock.json, installed here with `npm ci`; it downloads no browser).
# Chromium is installed with apt-get when absent and the script may (root); if the browser,
# node or npm cannot be had, the tests are SKIPPED, loudly, and the script still succeeds.
# The test itself (tests/browser/console.test.mjs) starts its own `iou serve` on a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() {
  echo "SKIPPED: browser tests of the console ($1)" >&2
  echo "SKIPPED: browser tests of the console ($1)"
  exit 0
}

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "browser tests: installing Debian's chromium"
  (apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }) || true
fi
[ -x "$chromium" ] || skip "no Chromium at $chromium and it could not be installed"
command -v node >/dev/null || skip "node is not installed"
command -v npm >/dev/null || skip "npm is not installed"

target="${CARGO_TARGET_DIR:-target}"
cargo build --quiet --locked -p iou
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
  || skip "npm ci of tests/browser failed (no registry?)"
cd tests/browser
IOU_BIN="$(cd "../.." && realpath "$target/debug/iou")" CHROMIUM="$chromium" \
  timeout 300 node console.test.mjs
