#!/usr/bin/env bash
# One command for a local mesh: toolchain → 4 kwok clusters and the local cloud → npm ci (if needed) →
# build of the program (if needed) → `pulumi up` of the `local` stack (Pulumi.local.yaml) on a file backend → summary.
#
#   bash scripts/local-up.sh            (then: bash scripts/local-down.sh)
#
# Env: LOCAL_SKIP_TOOLCHAIN=1 skips `scripts/toolchain.sh` (which is a no-op when up to date),
#      MESH_LOCAL_STATE, MESH_TOOLCHAIN_DIR, PULUMI_CONFIG_PASSPHRASE: see scripts/local-env.sh.
set -euo pipefail
LOG_TAG=local-up
source "$(dirname "${BASH_SOURCE[0]}")/local-env.sh"
cd "$MESH_REPO"
t0=$(now)

if [[ ${LOCAL_SKIP_TOOLCHAIN:-} != 1 ]]; then
  log "toolchain (bash scripts/toolchain.sh; first build takes a while, later runs are no-ops)"
  bash scripts/toolchain.sh >/dev/null
  source scripts/local-env.sh
fi
need_tools pulumi pulumi-language-nodejs kubectl kwokctl node
istio_charts_dir >/dev/null || die "no Istio charts under $MESH_TOOLCHAIN_DIR/istio-charts (bash scripts/toolchain.sh istio)"

bash scripts/local-clusters.sh up 4

if [[ ! -d node_modules/@pulumi/pulumi || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund >/dev/null
fi
ensure_tls_plugin
node scripts/build.js  # the program compiled ahead of time (main.js runs bin/program); a no-op when current

mkdir -p "$MESH_LOCAL_STATE/pulumi-state"
pulumi stack select "$LOCAL_STACK" 2>/dev/null || pulumi stack init "$LOCAL_STACK" --secrets-provider passphrase >/dev/null
log "pulumi up (stack $LOCAL_STACK, backend $PULUMI_BACKEND_URL)"
t1=$(now)
pulumi up --stack "$LOCAL_STACK" --yes --skip-preview --suppress-progress
log "pulumi up took $(elapsed "$t1")s; total $(elapsed "$t0")s"

pulumi stack output --stack "$LOCAL_STACK" --json | node -e '
let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{ const o=JSON.parse(s);
  console.log(`\nmesh ${o.meshId} (trust domain ${o.trustDomain}), Istio ${o.istio.version}`);
  for (const [net, cs] of Object.entries(o.networks)) console.log(`  network ${net}: ${cs.join(", ")}`);
  for (const [n, c] of Object.entries(o.clusters))
    console.log(`  ${n}: ${c.role}${c.primary ? " of " + c.primary : ""}, api ${c.apiServer}, east-west gateway ${c.eastWestGatewayAddress ?? "-"}`);
  console.log(`\nkubectl --kubeconfig .e2e/clusters/c1/kubeconfig get pods -n istio-system\nbash scripts/local-down.sh   # destroy the stack and stop the clusters`);
});'

# The mesh checked from the outside, as on call reads it (README: See and check the mesh).
scripts/mesh-check --stack "$LOCAL_STACK" || log "mesh-check reported problems (above); istiods can take a minute to sync every cluster: run scripts/mesh-check --stack $LOCAL_STACK again"
