#!/usr/bin/env bash
# Runs every check and test of iou: formatting, lints, then the whole test suite.
# PostgreSQL tests run when IOU_TEST_POSTGRES_URL is set (.ci/run sets it) and say loudly
# that they are skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The operator console in Debian's Chromium (playwright-core, pinned in tests/browser); the
# script skips loudly when no browser can be had; IOU_BROWSER_TESTS=0 skips it loudly too.
if [ "${IOU_BROWSER_TESTS:-1}" = "0" ]; then
  echo "SKIPPED: browser tests of the console (IOU_BROWSER_TESTS=0)"
else
  ./scripts/browser-tests.sh
fi
# The API against its own OpenAPI document: schemathesis fuzzes a running `iou serve` for a
# bounded time and fails on any 5xx or schema violation (IOU_FUZZ_SECONDS; 0 skips it loudly).
if [ "${IOU_FUZZ_SECONDS:-150}" = "0" ]; then
  echo "SKIPPED: schemathesis (IOU_FUZZ_SECONDS=0)"
else
  ./scripts/schemathesis.sh
fi
