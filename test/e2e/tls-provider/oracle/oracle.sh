#!/usr/bin/env bash
# Records what the REAL tls provider does with every scenario of test/fixtures/tls-oracle/scenarios.json
# into real-provider.json beside it (test/tls-provider.test.ts compares the stand-in against it).
#
#   bash test/e2e/tls-provider/oracle/oracle.sh <terraform-provider-tls git repository> [ref]
#
# The repository is hashicorp/terraform-provider-tls (a clone, a bare mirror or its URL); ref is
# the version @pulumi/tls bridges (default v4.3.0: @pulumi/tls 5.4.0 .. 5.5.1, see
# provider/shim/go.mod of pulumi/pulumi-tls). Needs Go and the provider's Go modules.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fixtures="$(cd "$here/../../../fixtures/tls-oracle" && pwd)"
src="${1:?usage: oracle.sh <terraform-provider-tls repository> [ref]}"
ref="${2:-v4.3.0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$src" "$work/tls"
git -C "$work/tls" checkout -q "$ref"
cp "$here/oracle_test.go" "$work/tls/internal/provider/zz_standin_oracle_test.go"
cd "$work/tls"
STANDIN_SCENARIOS="$fixtures/scenarios.json" STANDIN_RESULTS="$fixtures/real-provider.json" \
STANDIN_PROVIDER_REF="terraform-provider-tls $ref ($(git rev-parse HEAD))" \
  go test -count=1 -run TestStandInOracle ./internal/provider
echo "wrote $fixtures/real-provider.json"
