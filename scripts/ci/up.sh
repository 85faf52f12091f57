#!/usr/bin/env bash
# The update a merge to main runs for one environment: the "pulumi up" step of
# .github/workflows/mesh-stack.yml (pulumi/actions) as a command, with the same flags
# (test/workflow.test.ts fails when they drift apart). The e2e runs it against the local stack.
#
#   scripts/ci/up.sh <stack> [more pulumi flags]
#   MESH_CI_PRINT=1 scripts/ci/up.sh <stack>             print the command instead
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/common.sh
stack=${1:?usage: scripts/ci/up.sh <stack> [pulumi flags]}
shift
policy_step "$stack" up --non-interactive --yes --skip-preview --diff --suppress-progress --continue-on-error "$@"
