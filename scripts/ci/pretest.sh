#!/usr/bin/env bash
# Runs before `npm test` (package.json "pretest"): installs the policy pack's dependencies from its
# own lockfile, and builds the Go tools the tests run into the toolchain cache when they are not
# there yet: actionlint (lints .github/workflows; once, about 25 s with Go's module cache warm), and
# prometheus + promtool (check and load the generated Prometheus configurations,
# test/prometheus.test.ts; cold about 20 min, rebuilt when its pins or tags change). A prometheus
# and promtool on PATH are used as they are when the cache has none.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/common.sh
ensure_policy_deps
BIN=${MESH_TOOLCHAIN_DIR:-$HOME/.cache/mesh-toolchain}/bin
if [[ ! -x $BIN/actionlint ]]; then
  bash scripts/toolchain.sh actionlint >/dev/null || {
    echo "pretest: could not build actionlint, which npm test runs on .github/workflows (needs Go and its module proxy; see above): bash scripts/toolchain.sh actionlint" >&2
    exit 1
  }
fi
# Through the stamp, not only when missing: a cached build of older pins or build tags (a full
# set of service discoveries) would pass files the chart's Prometheus refuses, or fail the tests
# that pin the discoveries left out. Up to date, this takes well under a second.
if [[ -x $BIN/promtool || -x $BIN/prometheus ]] || ! { command -v promtool && command -v prometheus; } >/dev/null; then
  bash scripts/toolchain.sh prometheus >/dev/null 2>"${TMPDIR:-/tmp}/mesh-pretest-prometheus.log" || {
    cat "${TMPDIR:-/tmp}/mesh-pretest-prometheus.log" >&2
    echo "pretest: could not build prometheus and promtool, which npm test runs on the generated Prometheus configurations (needs Go and its module proxy; see above): bash scripts/toolchain.sh prometheus" >&2
    exit 1
  }
fi
