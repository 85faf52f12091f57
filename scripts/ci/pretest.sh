#!/usr/bin/env bash
# Runs before `npm test` (package.json "pretest"): installs the policy pack's dependencies from its
# own lockfile, and builds the Go tools the tests run into the toolchain cache when they are not
# there yet: actionlint (lints .github/workflows; once, about 25 s with Go's module cache warm), and
# prometheus + promtool (check and load the generated Prometheus configurations,
# test/prometheus.test.ts; once, several minutes cold). A prometheus and promtool already on PATH
# are used as they are.
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
if ! { [[ -x $BIN/promtool && -x $BIN/prometheus ]] || { command -v promtool && command -v prometheus; } >/dev/null; }; then
  bash scripts/toolchain.sh prometheus >/dev/null || {
    echo "pretest: could not build prometheus and promtool, which npm test runs on the generated Prometheus configurations (needs Go and its module proxy; see above): bash scripts/toolchain.sh prometheus" >&2
    exit 1
  }
fi
