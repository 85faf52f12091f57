#!/usr/bin/env bash
# Day-two scenarios on the local clusters with the real engine (npm run test:e2e:day-two), driven
# through Pulumi's Automation API by test/e2e/day-two/*.e2e.ts. See test/e2e/README.md.
#
#   E2E_KEEP=1           leave the day-two stack up
#   E2E_CLUSTERS_DOWN=1  stop and remove the local clusters at the end
#   LOCAL_SKIP_TOOLCHAIN=1  do not run scripts/toolchain.sh (a no-op when up to date)
set -uo pipefail
LOG_TAG=day-two
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/local-env.sh"
cd "$MESH_REPO"
if [[ ${LOCAL_SKIP_TOOLCHAIN:-} != 1 ]]; then
  bash scripts/toolchain.sh >/dev/null || die "toolchain"
  # The Istio the upgrade walk (revision.e2e.ts) starts from.
  bash scripts/toolchain.sh istio_prev >/dev/null || die "toolchain (istio_prev)"
  source scripts/local-env.sh
fi
bash scripts/local-clusters.sh up 4 || die "local clusters"
ensure_tls_plugin
# The scratch project runs main.js, which would otherwise compile the program inside the first scenario.
node scripts/build.js || die "the program does not compile"
mkdir -p "$MESH_LOCAL_STATE/pulumi-state"
rc=0
npx jest -c test/e2e/day-two/jest.config.js --runInBand "$@" || rc=$?
[[ ${E2E_CLUSTERS_DOWN:-} == 1 ]] && bash scripts/local-clusters.sh down
exit $rc
