#!/usr/bin/env bash
# End-to-end test of the mesh program against local kwok clusters with the real Pulumi engine
# (npm run test:e2e). See test/e2e/README.md.
#
#   E2E_KEEP=1           stop before `pulumi destroy` (leave the mesh up for inspection)
#   E2E_CLUSTERS_DOWN=1  stop and remove the local clusters at the end
#   LOCAL_SKIP_TOOLCHAIN=1  do not run scripts/toolchain.sh (a no-op when up to date)
set -uo pipefail
LOG_TAG=e2e
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/local-env.sh"
cd "$MESH_REPO"

STACK="$LOCAL_STACK"
CLUSTERS=(c1 c2 c3)
PRIMARIES=(c1 c2)
declare -A NETWORK=([c1]=net1 [c2]=net2 [c3]=net3)
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
PASSED=0 FAILED=0

pass() { echo "PASS $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1"; [[ -n ${2:-} ]] && printf '%s\n' "$2" | tail -25 | sed 's/^/    /'; FAILED=$((FAILED + 1)); }
# check NAME CMD...: PASS when CMD exits 0; its output is shown on failure.
check() {
  local name=$1 out; shift
  if out="$("$@" 2>&1)"; then pass "$name"; else fail "$name" "$out"; fi
}
timed() {  # timed LABEL CMD...: runs CMD, records its wall time
  local label=$1 t rc; shift
  t=$(now); "$@"; rc=$?
  echo "  time $label: $(elapsed "$t")s" >>"$TMP/timings"
  return $rc
}
kc() { local c=$1; shift; kubectl --kubeconfig "$MESH_LOCAL_STATE/clusters/$c/kubeconfig" --request-timeout=20s "$@"; }
finish() {
  echo
  [[ -f $TMP/timings ]] && cat "$TMP/timings"
  echo "$PASSED passed, $FAILED failed"
  ((FAILED == 0))
  exit $?
}
# Fatal: a step everything after depends on failed.
abort() { fail "$1" "${2:-}"; echo "(stopping: later checks depend on this)"; finish; }

# ------------------------------------------------------------------ setup
if [[ ${LOCAL_SKIP_TOOLCHAIN:-} != 1 ]]; then
  bash scripts/toolchain.sh >/dev/null 2>"$TMP/toolchain.log" || abort "toolchain builds" "$(cat "$TMP/toolchain.log")"
  source scripts/local-env.sh
fi
ensure_packages openssl jq curl
need_tools pulumi kubectl kwokctl istioctl openssl jq curl node
timed "clusters up" bash scripts/local-clusters.sh up 3 2>"$TMP/clusters.log" || abort "local clusters start" "$(cat "$TMP/clusters.log")"
pass "3 local clusters are up (token controller and LoadBalancer addresses verified)"
if [[ ! -d node_modules/@pulumi/pulumi || package-lock.json -nt node_modules/.package-lock.json ]]; then npm ci --no-audit --no-fund >/dev/null 2>&1 || abort "npm ci"; fi
ensure_tls_plugin
mkdir -p "$MESH_LOCAL_STATE/pulumi-state"
pulumi stack select "$STACK" >/dev/null 2>&1 || pulumi stack init "$STACK" --secrets-provider passphrase >/dev/null 2>&1 || abort "pulumi stack init $STACK"

# ------------------------------------------------------------------ preview, up
# "Clean": exit 0 and no error or warning diagnostics.
clean_run() {
  local log=$1; shift
  "$@" >"$log" 2>&1 || { cat "$log"; return 1; }
  if grep -nE '^\s*(error|warning):' "$log"; then return 1; fi
}
check "pulumi preview is clean" timed "preview" clean_run "$TMP/preview.log" pulumi preview --stack "$STACK" --suppress-progress
timed "up" clean_run "$TMP/up.log" pulumi up --stack "$STACK" --yes --skip-preview --suppress-progress ||
  abort "pulumi up is clean" "$(cat "$TMP/up.log")"
pass "pulumi up is clean ($(grep -E '^\s+\+ [0-9]+ created' "$TMP/up.log" | xargs))"

pulumi stack output --stack "$STACK" --json --show-secrets >"$TMP/outputs.json" || abort "stack outputs readable"
out() { jq -j "$1" "$TMP/outputs.json"; }  # -j: no added newline (PEMs end with one)

# ------------------------------------------------------------------ PKI
pki_checks() {
  local c=$1 d="$TMP/pki-$c"
  mkdir -p "$d"
  local k
  for k in ca-cert.pem ca-key.pem root-cert.pem cert-chain.pem; do
    kc "$c" -n istio-system get secret cacerts -o "jsonpath={.data.${k//./\\.}}" | base64 -d >"$d/$k" || return 1
    [[ -s $d/$k ]] || { echo "cacerts has no $k"; return 1; }
  done
  openssl verify -CAfile "$d/root-cert.pem" "$d/ca-cert.pem" || return 1
  cmp -s "$d/root-cert.pem" <(out .rootCertificatePem) || { echo "root-cert.pem differs from the stack's rootCertificatePem"; return 1; }
  cmp -s "$d/cert-chain.pem" <(cat "$d/ca-cert.pem" "$d/root-cert.pem") || { echo "cert-chain.pem is not ca-cert.pem + root-cert.pem"; return 1; }
  openssl x509 -in "$d/ca-cert.pem" -noout -ext basicConstraints | grep -q 'CA:TRUE, pathlen:0' || { echo "intermediate is not CA:TRUE, pathlen:0"; openssl x509 -in "$d/ca-cert.pem" -noout -ext basicConstraints; return 1; }
  openssl x509 -in "$d/ca-cert.pem" -noout -subject | grep -q "L = $c" || { echo "intermediate subject lacks L=$c"; return 1; }
  cmp -s <(openssl x509 -in "$d/ca-cert.pem" -noout -pubkey) <(openssl pkey -in "$d/ca-key.pem" -pubout) || { echo "ca-key.pem does not match ca-cert.pem"; return 1; }
}
for c in "${PRIMARIES[@]}"; do check "$c: cacerts verifies to the mesh root (pathlen 0, chain = intermediate + root, key matches)" pki_checks "$c"; done
check "c1 and c2 intermediates differ but share one root" bash -c "! cmp -s '$TMP/pki-c1/ca-cert.pem' '$TMP/pki-c2/ca-cert.pem' && cmp -s '$TMP/pki-c1/root-cert.pem' '$TMP/pki-c2/root-cert.pem'"
check "c3 (remote) has no cacerts" bash -c "! kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/c3/kubeconfig' -n istio-system get secret cacerts 2>/dev/null"

# ------------------------------------------------------------------ Helm releases
release_json() {  # release_json CLUSTER RELEASE → Helm's release record (JSON)
  kc "$1" -n istio-system get secret -l "owner=helm,name=$2,status=deployed" -o jsonpath='{.items[0].data.release}' | base64 -d | base64 -d | gunzip
}
release_checks() {
  local c=$1 r=$2 j
  j="$(release_json "$c" "$r")" || { echo "no deployed Helm release $r"; return 1; }
  case $r in
    istiod)
      jq -e --arg c "$c" --arg n "${NETWORK[$c]}" '.config.global.meshID == "local-mesh" and .config.global.multiCluster.clusterName == $c and .config.global.network == $n' <<<"$j" >/dev/null ||
        { jq '.config.global' <<<"$j"; return 1; } ;;
    istio-eastwestgateway)
      jq -e --arg n "${NETWORK[$c]}" '.config.networkGateway == $n and .config.name == "istio-eastwestgateway"' <<<"$j" >/dev/null || { jq '.config' <<<"$j"; return 1; } ;;
    istio-base) jq -e '.info.status == "deployed"' <<<"$j" >/dev/null || return 1 ;;
  esac
}
for c in "${CLUSTERS[@]}"; do
  for r in istio-base istiod istio-eastwestgateway; do check "$c: Helm release $r deployed with meshID/clusterName/network" release_checks "$c" "$r"; done
done
remote_values() {
  local j; j="$(release_json c3 istiod)" || return 1
  jq -e --arg a "$(out .clusters.c1.eastWestGatewayAddress)" \
    '.config.profile == "remote" and .config.global.configCluster == true and .config.global.remotePilotAddress == $a and .config.istiodRemote.injectionPath == "/inject/cluster/c3/net/net3"' <<<"$j" >/dev/null ||
    { jq .config <<<"$j"; return 1; }
}
check "c3: istiod release uses the remote profile, configCluster and c1's gateway as remotePilotAddress" remote_values

# ------------------------------------------------------------------ istiod, namespace
istiod_env() {
  local c=$1 want_external=$2 env
  env="$(kc "$c" -n istio-system get deploy istiod -o json | jq -c '[.spec.template.spec.containers[0].env[] | {(.name): .value}] | add')" || return 1
  jq -e --arg c "$c" '.CLUSTER_ID == $c' <<<"$env" >/dev/null || { echo "CLUSTER_ID: $(jq .CLUSTER_ID <<<"$env")"; return 1; }
  if [[ $want_external == true ]]; then jq -e '.EXTERNAL_ISTIOD == "true"' <<<"$env" >/dev/null || { echo "EXTERNAL_ISTIOD not true"; return 1; }
  else jq -e '.EXTERNAL_ISTIOD == null' <<<"$env" >/dev/null || { echo "EXTERNAL_ISTIOD set on a primary without remotes"; return 1; }; fi
  [[ $(kc "$c" -n istio-system get deploy istiod -o jsonpath='{.status.readyReplicas}') -ge 1 ]] || { echo "istiod not ready"; return 1; }
}
check "c1: istiod Deployment ready, env CLUSTER_ID=c1, EXTERNAL_ISTIOD=true (serves c3)" istiod_env c1 true
check "c2: istiod Deployment ready, env CLUSTER_ID=c2" istiod_env c2 false
check "c3: no istiod Deployment (remote)" bash -c "! kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/c3/kubeconfig' -n istio-system get deploy istiod 2>/dev/null"
ns_checks() {
  local c=$1 j
  j="$(kc "$c" get ns istio-system -o json)" || return 1
  jq -e --arg n "${NETWORK[$c]}" '.metadata.labels["topology.istio.io/network"] == $n' <<<"$j" >/dev/null || { echo "network label"; return 1; }
  if [[ $c == c3 ]]; then jq -e '.metadata.annotations["topology.istio.io/controlPlaneClusters"] == "c1"' <<<"$j" >/dev/null || { echo "controlPlaneClusters annotation"; return 1; }; fi
}
for c in "${CLUSTERS[@]}"; do
  if [[ $c == c3 ]]; then check "$c: istio-system labelled with its network and annotated controlPlaneClusters=c1" ns_checks "$c"
  else check "$c: istio-system labelled with its network" ns_checks "$c"; fi
done
# The remote profile's injector calls Service istiod, whose EndpointSlice is the primary's gateway.
remote_injector() {
  kc c3 get mutatingwebhookconfiguration istio-sidecar-injector -o json |
    jq -e '[.webhooks[].clientConfig | .service.name == "istiod" and .service.path == "/inject/cluster/c3/net/net3"] | all' >/dev/null || { echo "injector webhooks"; return 1; }
  kc c3 -n istio-system get endpointslice istiod -o json |
    jq -e --arg a "$(out .clusters.c1.eastWestGatewayAddress)" '.endpoints[0].addresses == [$a] and ([.ports[].port] | sort) == [15012, 15017]' >/dev/null || { echo "istiod EndpointSlice"; return 1; }
}
check "c3: sidecar injector → Service istiod → EndpointSlice at c1's east-west gateway (15012, 15017)" remote_injector

# ------------------------------------------------------------------ east-west gateways
gateway_checks() {
  local c=$1 j
  j="$(kc "$c" -n istio-system get svc istio-eastwestgateway -o json)" || return 1
  jq -e --arg n "${NETWORK[$c]}" '.metadata.labels["topology.istio.io/network"] == $n and .metadata.labels.istio == "eastwestgateway" and .spec.type == "LoadBalancer"' <<<"$j" >/dev/null || { jq .metadata.labels <<<"$j"; return 1; }
  local p
  for p in 15021 15443 15012 15017; do jq -e --argjson p "$p" '[.spec.ports[].port] | index($p) != null' <<<"$j" >/dev/null || { echo "port $p missing"; return 1; }; done
  local ip; ip="$(jq -r '.status.loadBalancer.ingress[0].ip // empty' <<<"$j")"
  [[ -n $ip ]] || { echo "no LoadBalancer address"; return 1; }
  [[ $ip == "$(out ".clusters.$c.eastWestGatewayAddress")" ]] || { echo "address $ip != stack output $(out ".clusters.$c.eastWestGatewayAddress")"; return 1; }
  [[ $(kc "$c" -n istio-system get deploy istio-eastwestgateway -o jsonpath='{.status.readyReplicas}') -ge 1 ]] || { echo "gateway Deployment not ready"; return 1; }
  kc "$c" -n istio-system get deploy istio-eastwestgateway -o json | jq -e --arg n "$c" '.spec.template.metadata.labels["topology.istio.io/network"] != null and ([.spec.template.spec.containers[0].env[]? | select(.name == "ISTIO_META_REQUESTED_NETWORK_VIEW")] | length == 1)' >/dev/null || { echo "gateway pod template lacks network label / REQUESTED_NETWORK_VIEW"; return 1; }
}
for c in "${CLUSTERS[@]}"; do check "$c: east-west gateway Service (labels, ports 15021/15443/15012/15017, LB address = output) and Deployment ready" gateway_checks "$c"; done

istio_objects() {
  local c=$1
  kc "$c" -n istio-system get gateways.networking.istio.io cross-network-gateway -o json |
    jq -e '.spec.selector.istio == "eastwestgateway" and .spec.servers[0].port.number == 15443 and .spec.servers[0].tls.mode == "AUTO_PASSTHROUGH"' >/dev/null || { echo "cross-network-gateway"; return 1; }
  kc "$c" -n istio-system get peerauthentications.security.istio.io default -o jsonpath='{.spec.mtls.mode}' | grep -qx STRICT || { echo "PeerAuthentication default not STRICT"; return 1; }
  if [[ $c == c1 ]]; then
    kc "$c" -n istio-system get gateways.networking.istio.io istiod-gateway -o json | jq -e '[.spec.servers[].port.number] == [15012, 15017]' >/dev/null || { echo "istiod-gateway"; return 1; }
    kc "$c" -n istio-system get virtualservices.networking.istio.io istiod-vs -o json | jq -e '[.spec.tls[].route[0].destination.port.number] == [15012, 443]' >/dev/null || { echo "istiod-vs"; return 1; }
  else
    ! kc "$c" -n istio-system get gateways.networking.istio.io istiod-gateway >/dev/null 2>&1 || { echo "istiod-gateway on a primary without remotes"; return 1; }
  fi
}
check "c1: cross-network-gateway, istiod-gateway, istiod-vs, STRICT mTLS" istio_objects c1
check "c2: cross-network-gateway, STRICT mTLS (no istiod-gateway)" istio_objects c2

# ------------------------------------------------------------------ remote secrets
remote_secret_checks() {
  local a=$1 b=$2 d="$TMP/rs-$a-$b" j
  mkdir -p "$d"
  j="$(kc "$a" -n istio-system get secret "istio-remote-secret-$b" -o json)" || return 1
  jq -e --arg b "$b" '.metadata.labels["istio/multiCluster"] == "true" and .metadata.annotations["networking.istio.io/cluster"] == $b and (.data | keys) == [$b]' <<<"$j" >/dev/null || { jq '.metadata, (.data | keys)' <<<"$j"; return 1; }
  jq -r --arg b "$b" '.data[$b]' <<<"$j" | base64 -d >"$d/kubeconfig"
  local kcfg="$d/kubeconfig"
  grep -qE 'exec:|auth-provider:|tokenFile:|client-certificate:|client-key:' "$kcfg" && { echo "remote kubeconfig uses a form istiod refuses"; return 1; }
  [[ $(kubectl --kubeconfig "$kcfg" config view -o jsonpath='{.clusters[0].cluster.server}') == "$(out ".clusters.$b.apiServer")" ]] || { echo "server is not $b's apiServer"; return 1; }
  kubectl --kubeconfig "$kcfg" --request-timeout=10s get services -A >/dev/null || { echo "cannot list Services in $b"; return 1; }
  [[ $(kubectl --kubeconfig "$kcfg" auth can-i list services --all-namespaces) == yes ]] || return 1
  local verb res
  for verb in create delete; do
    for res in '*' pods services secrets namespaces deployments.apps clusterrolebindings.rbac.authorization.k8s.io; do
      if [[ $(kubectl --kubeconfig "$kcfg" auth can-i "$verb" "$res" --all-namespaces 2>/dev/null) != no ]]; then echo "can $verb $res in $b"; return 1; fi
    done
  done
  # And really: creating something is forbidden. (Not a ConfigMap: on a remote, Istio's reader
  # role lets the primary's istiod write istio-ca-root-cert ConfigMaps.)
  if kubectl --kubeconfig "$kcfg" -n default create service clusterip mesh-e2e-probe --tcp=80:80 >/dev/null 2>&1; then
    kc "$b" -n default delete service mesh-e2e-probe >/dev/null 2>&1; echo "created a Service in $b"; return 1
  fi
}
for pair in c1:c2 c1:c3 c2:c1 c2:c3; do
  a=${pair%:*} b=${pair#*:}
  check "$a: istio-remote-secret-$b lists Services in $b and cannot create or delete there" remote_secret_checks "$a" "$b"
done
check "c3 (remote) holds no remote secrets" bash -c "[[ -z \$(kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/c3/kubeconfig' -n istio-system get secret -l istio/multiCluster=true -o name) ]]"

# ------------------------------------------------------------------ istioctl analyze
analyze() {
  local merged="$TMP/all-kubeconfig" ctx=()
  local c paths=()
  for c in "${CLUSTERS[@]}"; do paths+=("$MESH_LOCAL_STATE/clusters/$c/kubeconfig"); done
  KUBECONFIG="$(IFS=:; echo "${paths[*]}")" kubectl config view --flatten >"$merged"
  local rc=0
  for c in "${CLUSTERS[@]}"; do
    echo "== $c"
    # IST0147 (a Pod with `image: auto` that no webhook injected) is expected on kwok: no
    # injector can run (see README), so the gateway pods keep the chart's placeholder image.
    istioctl analyze --kubeconfig "$merged" --context "kwok-mesh-$c" --all-namespaces --failure-threshold Error \
      --suppress 'IST0147=Pod istio-system/istio-eastwestgateway-*' 2>&1 || rc=1
  done
  return $rc
}
check "istioctl analyze reports no errors in any cluster" analyze

# ------------------------------------------------------------------ a real istiod reads the remote secrets
# pilot-discovery (built from the same Istio module) runs on the host as each primary's istiod
# would, and /debug/clusterz must list every other cluster, found through our remote secrets, as synced.
istiod_sees_mesh() {
  local c=$1 others=$2 dir="$TMP/istiod-$c" port=$((18080 + ${c#c})) pid out i
  mkdir -p "$dir"
  (cd "$dir" && exec env POD_NAMESPACE=istio-system POD_NAME="istiod-e2e-$c" REVISION=default \
    pilot-discovery discovery --kubeconfig "$MESH_LOCAL_STATE/clusters/$c/kubeconfig" --clusterID "$c" \
      --httpAddr "127.0.0.1:$port" --monitoringAddr "127.0.0.1:$((port + 1000))" --grpcAddr "127.0.0.1:$((port + 2000))" \
      --secureGRPCAddr "127.0.0.1:$((port + 3000))" --httpsAddr "127.0.0.1:$((port + 4000))" >"$dir/log" 2>&1) &
  pid=$!
  for i in $(seq 60); do
    out="$(curl -s "127.0.0.1:$port/debug/clusterz" 2>/dev/null)"
    if [[ -n $out ]] && jq -e --argjson want "$others" \
        '[.[] | select(.syncStatus == "synced" and (.secretName | startswith("istio-system/istio-remote-secret-"))) | .id] | sort == ($want | sort)' <<<"$out" >/dev/null; then
      kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
      echo "$out"; return 0
    fi
    sleep 1
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  echo "clusterz: ${out:-no answer}"; tail -20 "$dir/log"; return 1
}
if command -v pilot-discovery >/dev/null; then
  check "istiod (pilot-discovery) on c1 registers c2 and c3 through the remote secrets" istiod_sees_mesh c1 '["c2","c3"]'
  check "istiod (pilot-discovery) on c2 registers c1 and c3 through the remote secrets" istiod_sees_mesh c2 '["c1","c3"]'
fi

# ------------------------------------------------------------------ idempotence
check "second pulumi up changes nothing" timed "no-op up" bash -c "pulumi up --stack '$STACK' --yes --skip-preview --suppress-progress --expect-no-changes >'$TMP/up2.log' 2>&1 || { cat '$TMP/up2.log'; exit 1; }"
check "pulumi preview --expect-no-changes" bash -c "pulumi preview --stack '$STACK' --expect-no-changes --suppress-progress >'$TMP/preview2.log' 2>&1 || { cat '$TMP/preview2.log'; exit 1; }"

# ------------------------------------------------------------------ application team program
app() {
  cd stacks/app || return 1
  pulumi stack select local >/dev/null 2>&1 || pulumi stack init local --secrets-provider passphrase >/dev/null || return 1
  pulumi up --stack local --yes --skip-preview --suppress-progress >"$TMP/app-up.log" 2>&1 || { cat "$TMP/app-up.log"; return 1; }
  cd "$MESH_REPO"
  local c
  for c in "${CLUSTERS[@]}"; do
    kc "$c" get ns team-a -o jsonpath='{.metadata.labels.topology\.istio\.io/network}' | grep -qx "${NETWORK[$c]}" || { echo "team-a missing or unlabelled in $c"; return 1; }
  done
}
app_destroy() {
  cd stacks/app || return 1
  pulumi destroy --stack local --yes --skip-preview --suppress-progress >"$TMP/app-destroy.log" 2>&1 || { cat "$TMP/app-destroy.log"; return 1; }
  pulumi stack rm local --yes --preserve-config >/dev/null || return 1
  cd "$MESH_REPO"
  local c
  for c in "${CLUSTERS[@]}"; do
    for _ in $(seq 60); do kc "$c" get ns team-a >/dev/null 2>&1 || continue 2; sleep 1; done
    echo "team-a still in $c"; return 1
  done
}
check "app program (stacks/app) deploys namespace team-a into every cluster via the StackReference" timed "app up" app
cd "$MESH_REPO"
check "app program destroyed, namespaces gone" timed "app destroy" app_destroy
cd "$MESH_REPO"

# ------------------------------------------------------------------ secrets in state
state_secrets() {
  local export="$TMP/export.json" bad=0 c s
  pulumi stack export --stack "$STACK" >"$export" || return 1
  if grep -q 'PRIVATE KEY' "$export"; then echo "a private key is in clear text"; bad=1; fi
  for c in "${CLUSTERS[@]}"; do
    # The admin credentials of each cluster (inlined into the flattened kubeconfig).
    s="$(kubectl --kubeconfig "$MESH_LOCAL_STATE/clusters/$c/kubeconfig" config view --raw -o jsonpath='{.users[0].user.client-key-data}')"
    if [[ -n $s ]] && grep -qF "$s" "$export"; then echo "$c admin client key in clear text"; bad=1; fi
    s="$(kubectl --kubeconfig "$MESH_LOCAL_STATE/clusters/$c/kubeconfig" config view --raw -o jsonpath='{.users[0].user.client-certificate-data}')"
    if [[ -n $s ]] && grep -qF "$s" "$export"; then echo "$c kubeconfig in clear text"; bad=1; fi
    # The reader tokens (raw and base64).
    s="$(kc "$c" -n istio-system get secret istio-reader-service-account-istio-remote-secret-token -o jsonpath='{.data.token}' 2>/dev/null)"
    if [[ -n $s ]] && { grep -qF "$s" "$export" || grep -qF "$(base64 -d <<<"$s")" "$export"; }; then echo "$c reader token in clear text"; bad=1; fi
  done
  if grep -qE '"(token|client-key-data)":' "$export" || grep -q 'current-context' "$export"; then echo "a kubeconfig or token field in clear text"; bad=1; fi
  return $bad
}
check "pulumi stack export holds no private key, token or kubeconfig in clear text" state_secrets

# ------------------------------------------------------------------ destroy
if [[ ${E2E_KEEP:-} == 1 ]]; then
  echo "(E2E_KEEP=1: leaving the mesh up)"
else
  # Clean = exit 0 and no error; Helm's warning that base kept the CRDs is expected (below).
  check "pulumi destroy succeeds without errors" timed "destroy" bash -c "pulumi destroy --stack '$STACK' --yes --skip-preview --suppress-progress >'$TMP/destroy.log' 2>&1 && ! grep -nE '^\s*error:' '$TMP/destroy.log' || { cat '$TMP/destroy.log'; exit 1; }"
  check "stack has 0 resources" bash -c "[[ \$(pulumi stack export --stack '$STACK' | jq '.deployment.resources // [] | length') == 0 ]]"
  leftovers() {
    local c rc=0 left
    for c in "${CLUSTERS[@]}"; do
      for _ in $(seq 60); do kc "$c" get ns istio-system >/dev/null 2>&1 || break; sleep 1; done
      kc "$c" get ns istio-system >/dev/null 2>&1 && { echo "$c: istio-system still exists"; rc=1; }
      left="$(kc "$c" get mutatingwebhookconfigurations,validatingwebhookconfigurations,clusterroles,clusterrolebindings -o name | grep -i istio)"
      [[ -z $left ]] || { echo "$c: left behind: $left"; rc=1; }
    done
    return $rc
  }
  check "nothing left in the clusters (istio-system, Istio webhooks, cluster roles and bindings gone)" leftovers
  # Istio's base chart marks its CRDs helm.sh/resource-policy: keep, so Helm (and thus
  # `pulumi destroy`) leaves them, with their Helm ownership, for a later install to adopt.
  kept="$(kc c1 get crd -o name | grep -c 'istio\.io' || true)"
  ((kept == 0)) || echo "NOTE: $kept Istio CRDs per cluster kept by the base chart (helm.sh/resource-policy: keep); remove with: kubectl delete crd -l app.kubernetes.io/part-of=istio"
fi
[[ ${E2E_CLUSTERS_DOWN:-} == 1 ]] && bash scripts/local-clusters.sh down
finish
