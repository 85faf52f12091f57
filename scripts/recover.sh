#!/usr/bin/env bash
# After an interrupted `pulumi up`: unlocks the stack, clears what the engine left pending and
# Helm's records of releases it never learned about, so that the next `up` converges.
# See scripts/recover.mjs and README ("An interrupted up").
#
#   scripts/recover.sh <stack> [--dry-run]
set -euo pipefail
exec node "$(dirname "${BASH_SOURCE[0]}")/recover.mjs" "$@"
