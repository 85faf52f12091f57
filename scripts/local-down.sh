#!/usr/bin/env bash
# Destroys the `local` stack and stops/removes the local kwok clusters.
#   bash scripts/local-down.sh [--keep-clusters]
set -euo pipefail
LOG_TAG=local-down
source "$(dirname "${BASH_SOURCE[0]}")/local-env.sh"
cd "$MESH_REPO"
keep=0; [[ ${1:-} == --keep-clusters ]] && keep=1

if [[ -d $MESH_LOCAL_STATE/pulumi-state ]] && command -v pulumi >/dev/null && pulumi stack select "$LOCAL_STACK" >/dev/null 2>&1; then
  ensure_tls_plugin
  log "pulumi destroy (stack $LOCAL_STACK)"
  if ! pulumi destroy --stack "$LOCAL_STACK" --yes --skip-preview --suppress-progress; then
    # The clusters may already be gone; then nothing is left to delete but the state.
    log "destroy failed; dropping the stack's state (the local clusters are removed next)"
    pulumi stack rm "$LOCAL_STACK" --yes --force --preserve-config >/dev/null
  fi
fi
((keep)) || bash scripts/local-clusters.sh down
