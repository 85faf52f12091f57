#!/usr/bin/env bash
# The preview a pull request runs for one environment: the "pulumi preview" step of
# .github/workflows/mesh-stack.yml (pulumi/actions) as a command, with the same flags
# (test/workflow.test.ts fails when they drift apart). The e2e runs it against the local stack.
#
#   scripts/ci/preview.sh <stack> [more pulumi flags]    e.g. example-corp/prod, or local
#   MESH_CI_PRINT=1 scripts/ci/preview.sh <stack>        print the command instead
#
# Needs the pulumi CLI, a logged-in backend and credentials, as the workflow's earlier steps provide
# (locally: source scripts/local-env.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/common.sh
stack=${1:?usage: scripts/ci/preview.sh <stack> [pulumi flags]}
shift
policy_step "$stack" preview --non-interactive --diff --suppress-progress "$@"
