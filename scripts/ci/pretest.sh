#!/usr/bin/env bash
# Runs before `npm test` (package.json "pretest"): installs the policy pack's dependencies from its
# own lockfile, and builds actionlint into the toolchain cache when it is not there yet (once, about
# 25 s with Go's module cache warm), so that the tests can lint .github/workflows.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/common.sh
ensure_policy_deps
if [[ ! -x ${MESH_TOOLCHAIN_DIR:-$HOME/.cache/mesh-toolchain}/bin/actionlint ]]; then
  bash scripts/toolchain.sh actionlint >/dev/null || {
    echo "pretest: could not build actionlint, which npm test runs on .github/workflows (needs Go and its module proxy; see above): bash scripts/toolchain.sh actionlint" >&2
    exit 1
  }
fi
