#!/usr/bin/env bash
# Day-two figures (bench/day-two.ts) on the local clusters: RUNS=3 bash bench/day-two.sh
set -euo pipefail
LOG_TAG=bench
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/local-env.sh"
cd "$MESH_REPO"
if pulumi stack select "$LOCAL_STACK" >/dev/null 2>&1 && [[ $(pulumi stack export --stack "$LOCAL_STACK" | jq '.deployment.resources // [] | length') != 0 ]]; then
  die "the $LOCAL_STACK stack is deployed on these clusters; first: bash scripts/local-down.sh --keep-clusters"
fi
bash scripts/local-clusters.sh up 4
ensure_tls_plugin
node scripts/build.js || die "the program does not compile"  # outside the timings, as in bench/local.sh
npx ts-node --transpile-only bench/day-two.ts
