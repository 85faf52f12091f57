#!/usr/bin/env bash
# End-to-end test of the mesh program against local kwok clusters with the real Pulumi engine
# (npm run test:e2e), in a local world as strict as the clouds: admission webhooks on, a real
# istiod on the host per primary, hostname and IP load balancers. See test/e2e/README.md.
#
#   E2E_KEEP=1           stop before `pulumi destroy` (leave the mesh up for inspection)
#   E2E_CLUSTERS_DOWN=1  stop and remove the local clusters at the end
#   LOCAL_SKIP_TOOLCHAIN=1  do not run scripts/toolchain.sh (a no-op when up to date)
set -uo pipefail
LOG_TAG=e2e
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/local-env.sh"
cd "$MESH_REPO"

STACK="$LOCAL_STACK"
CLUSTERS=(c1 c2 c3 c4)
PRIMARIES=(c1 c2)
REMOTES=(c3 c4)
declare -A NETWORK=([c1]=net1 [c2]=net2 [c3]=net3 [c4]=net2)
declare -A PRIMARY_OF=([c3]=c1 [c4]=c2)
declare -A WATCHES=([c1]='["c2","c3","c4"]' [c2]='["c1","c3","c4"]')
# c1's load balancers report hostnames (as AWS NLBs do), the others IPs (LOCAL_CLUSTERS_HOSTNAME_LBS).
export LOCAL_CLUSTERS_HOSTNAME_LBS=1 LOCAL_CLUSTERS_WEBHOOKS=on
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
# retry SECONDS CMD...: until CMD succeeds (istiod patches webhooks and leads asynchronously).
retry() {
  local deadline=$((SECONDS + $1)) out; shift
  until out="$("$@" 2>&1)"; do
    ((SECONDS < deadline)) || { echo "$out"; return 1; }
    sleep 2
  done
  echo "$out"
}
finish() {
  echo
  [[ -f $TMP/timings ]] && cat "$TMP/timings"
  echo "$PASSED passed, $FAILED failed"
  ((FAILED == 0))
  exit $?
}
# Fatal: a step everything after depends on failed.
abort() { fail "$1" "${2:-}"; echo "(stopping: later checks depend on this)"; [[ -f $MESH_LOCAL_STATE/local-cloud/log ]] && tail -30 "$MESH_LOCAL_STATE/local-cloud/log"; finish; }

# ------------------------------------------------------------------ setup
if [[ ${LOCAL_SKIP_TOOLCHAIN:-} != 1 ]]; then
  bash scripts/toolchain.sh >/dev/null 2>"$TMP/toolchain.log" || abort "toolchain builds" "$(cat "$TMP/toolchain.log")"
  source scripts/local-env.sh
fi
ensure_packages openssl jq curl ip:iproute2 getent:libc-bin
need_tools pulumi kubectl kwokctl istioctl pilot-discovery promtool prometheus openssl jq curl node ip
timed "clusters up" bash scripts/local-clusters.sh up "${#CLUSTERS[@]}" 2>"$TMP/clusters.log" || abort "local clusters start" "$(cat "$TMP/clusters.log")"
pass "${#CLUSTERS[@]} local clusters and the local cloud are up (token controller and load balancers verified)"
if [[ ! -d node_modules/@pulumi/pulumi || package-lock.json -nt node_modules/.package-lock.json ]]; then npm ci --no-audit --no-fund >/dev/null 2>&1 || abort "npm ci"; fi
ensure_tls_plugin
timed "build" node scripts/build.js >"$TMP/build.log" 2>&1 || abort "the program compiles (node scripts/build.js)" "$(cat "$TMP/build.log")"
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
  abort "pulumi up is clean (gateway pods injected by the real istiods through the webhooks)" "$(cat "$TMP/up.log")"
pass "pulumi up is clean, gateway pods injected by the real istiods through the webhooks ($(grep -E '^\s+\+ [0-9]+ created' "$TMP/up.log" | xargs))"

pulumi stack output --stack "$STACK" --json --show-secrets >"$TMP/outputs.json" || abort "stack outputs readable"
out() { jq -j "$1" "$TMP/outputs.json"; }  # -j: no added newline (PEMs end with one)
address() { out ".clusters.$1.eastWestGatewayAddress"; }

# ------------------------------------------------------------------ PKI
# What the real tls provider writes (terraform-provider-tls common_cert.go through Go's
# crypto/x509): basic constraints critical, a path length only when max_path_length > 0, key
# usage critical, a subject key id on CAs and the issuer's as authority key id.
ext() { openssl x509 -in "$1" -noout -ext "$2" 2>/dev/null | tail -n +2 | xargs; }
ext_header() { openssl x509 -in "$1" -noout -ext "$2" 2>/dev/null | head -1; }
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
  [[ $(ext "$d/ca-cert.pem" basicConstraints) == "CA:TRUE" ]] || { echo "intermediate basicConstraints: $(ext "$d/ca-cert.pem" basicConstraints) (want CA:TRUE, no path length: the real provider writes none for 0)"; return 1; }
  [[ $(ext_header "$d/ca-cert.pem" basicConstraints) == *critical* ]] || { echo "intermediate basicConstraints not critical"; return 1; }
  [[ $(ext "$d/root-cert.pem" basicConstraints) == "CA:TRUE, pathlen:1" ]] || { echo "root basicConstraints: $(ext "$d/root-cert.pem" basicConstraints) (want CA:TRUE, pathlen:1)"; return 1; }
  [[ $(ext_header "$d/ca-cert.pem" keyUsage) == *critical* && $(ext "$d/ca-cert.pem" keyUsage) == "Digital Signature, Key Encipherment, Certificate Sign, CRL Sign" ]] ||
    { echo "intermediate keyUsage: $(ext_header "$d/ca-cert.pem" keyUsage) $(ext "$d/ca-cert.pem" keyUsage)"; return 1; }
  [[ -n $(ext "$d/ca-cert.pem" subjectKeyIdentifier) && $(ext "$d/ca-cert.pem" authorityKeyIdentifier) == "$(ext "$d/root-cert.pem" subjectKeyIdentifier)" ]] ||
    { echo "intermediate SKI/AKI: $(ext "$d/ca-cert.pem" subjectKeyIdentifier) / $(ext "$d/ca-cert.pem" authorityKeyIdentifier), root SKI $(ext "$d/root-cert.pem" subjectKeyIdentifier)"; return 1; }
  openssl x509 -in "$d/ca-cert.pem" -noout -subject | grep -q "L = $c" || { echo "intermediate subject lacks L=$c"; return 1; }
  cmp -s <(openssl x509 -in "$d/ca-cert.pem" -noout -pubkey) <(openssl pkey -in "$d/ca-key.pem" -pubout) || { echo "ca-key.pem does not match ca-cert.pem"; return 1; }
}
for c in "${PRIMARIES[@]}"; do check "$c: cacerts verifies to the mesh root; extensions as the real tls provider writes them (root pathlen:1, intermediate without)" pki_checks "$c"; done
check "c1 and c2 intermediates differ but share one root" bash -c "! cmp -s '$TMP/pki-c1/ca-cert.pem' '$TMP/pki-c2/ca-cert.pem' && cmp -s '$TMP/pki-c1/root-cert.pem' '$TMP/pki-c2/root-cert.pem'"
# The root's path length is what keeps an intermediate from minting CAs (keys made here, now).
pathlen_holds() {
  local d="$TMP/pki-c1" s="$TMP/pathlen"
  mkdir -p "$s"
  sign() {  # sign NAME ISSUER_CERT ISSUER_KEY EXTENSIONS
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$s/$1.key" -subj "/CN=$1" -out "$s/$1.csr" 2>/dev/null &&
      openssl x509 -req -in "$s/$1.csr" -CA "$2" -CAkey "$3" -CAcreateserial -days 1 -extfile <(printf '%s\n' "$4") -out "$s/$1.pem" 2>/dev/null
  }
  sign leaf "$d/ca-cert.pem" "$d/ca-key.pem" "basicConstraints=critical,CA:FALSE" &&
    sign subca "$d/ca-cert.pem" "$d/ca-key.pem" "basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign" &&
    sign subleaf "$s/subca.pem" "$s/subca.key" "basicConstraints=critical,CA:FALSE" || { echo "openssl could not sign"; return 1; }
  openssl verify -CAfile "$d/root-cert.pem" -untrusted "$d/ca-cert.pem" "$s/leaf.pem" || { echo "a workload-like leaf under the intermediate does not verify"; return 1; }
  local res; res="$(openssl verify -CAfile "$d/root-cert.pem" -untrusted <(cat "$d/ca-cert.pem" "$s/subca.pem") "$s/subleaf.pem" 2>&1)"
  grep -q "path length constraint exceeded" <<<"$res" || { echo "a leaf under a sub-CA of the intermediate: $res"; return 1; }
}
check "the root's pathlen:1 holds: a leaf under the intermediate verifies, one under a sub-CA of it does not" pathlen_holds
for c in "${REMOTES[@]}"; do check "$c (remote) has no cacerts" bash -c "! kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/$c/kubeconfig' -n istio-system get secret cacerts 2>/dev/null"; done

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
      jq -e --arg n "${NETWORK[$c]}" '.config.networkGateway == $n and .config.name == "istio-eastwestgateway" and .config.service.type == "None"' <<<"$j" >/dev/null || { jq '.config' <<<"$j"; return 1; } ;;
    istio-base) jq -e '.info.status == "deployed"' <<<"$j" >/dev/null || return 1 ;;
  esac
}
for c in "${CLUSTERS[@]}"; do
  for r in istio-base istiod istio-eastwestgateway; do check "$c: Helm release $r deployed with meshID/clusterName/network" release_checks "$c" "$r"; done
done
remote_values() {
  local c=$1 p=${PRIMARY_OF[$1]} j a path
  a="$(address "$p")" path="/inject/cluster/$c/net/${NETWORK[$c]}"
  j="$(release_json "$c" istiod)" || return 1
  jq -e --arg a "$a" --arg path "$path" '.config.profile == "remote" and .config.global.configCluster == true and .config.global.remotePilotAddress == $a and .config.istiodRemote.injectionPath == $path and (.config.istiodRemote.injectionCABundle | length > 0)' <<<"$j" >/dev/null ||
    { jq .config <<<"$j"; return 1; }
  if [[ $a =~ ^[0-9.]+$ ]]; then
    jq -e '.config.istiodRemote.injectionURL == null and .config.base.validationURL == null' <<<"$j" >/dev/null || { echo "an IP primary needs no webhook URLs"; return 1; }
  else
    jq -e --arg u "https://$a:15017" --arg path "$path" '.config.istiodRemote.injectionURL == ($u + $path) and .config.base.validationURL == ($u + "/validate")' <<<"$j" >/dev/null || { jq '.config.istiodRemote, .config.base' <<<"$j"; return 1; }
  fi
}
check "c3: remote profile; its primary c1 is a hostname, so the webhooks call https://<c1 gateway host>:15017 by URL" remote_values c3
check "c4: remote profile; its primary c2 is an IP, so the webhooks call Service istiod" remote_values c4

# ------------------------------------------------------------------ istiod, namespaces, remote webhooks
istiod_env() {
  local c=$1 env
  env="$(kc "$c" -n istio-system get deploy istiod -o json | jq -c '[.spec.template.spec.containers[0].env[] | {(.name): .value}] | add')" || return 1
  jq -e --arg c "$c" --arg host "$(address "$c")" '.CLUSTER_ID == $c and .EXTERNAL_ISTIOD == "true" and .ISTIOD_CUSTOM_HOST == $host' <<<"$env" >/dev/null ||
    { jq '{CLUSTER_ID, EXTERNAL_ISTIOD, ISTIOD_CUSTOM_HOST}' <<<"$env"; return 1; }
  [[ $(kc "$c" -n istio-system get deploy istiod -o jsonpath='{.status.readyReplicas}') -ge 1 ]] || { echo "istiod not ready"; return 1; }
}
for c in "${PRIMARIES[@]}"; do check "$c: istiod ready with CLUSTER_ID=$c, EXTERNAL_ISTIOD, ISTIOD_CUSTOM_HOST = its gateway address" istiod_env "$c"; done
for c in "${REMOTES[@]}"; do check "$c: no istiod Deployment (remote)" bash -c "! kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/$c/kubeconfig' -n istio-system get deploy istiod 2>/dev/null"; done
ns_checks() {
  local c=$1 j
  j="$(kc "$c" get ns istio-system -o json)" || return 1
  jq -e --arg n "${NETWORK[$c]}" '.metadata.labels["topology.istio.io/network"] == $n' <<<"$j" >/dev/null || { echo "network label"; return 1; }
  if [[ -n ${PRIMARY_OF[$c]:-} ]]; then jq -e --arg p "${PRIMARY_OF[$c]}" '.metadata.annotations["topology.istio.io/controlPlaneClusters"] == $p' <<<"$j" >/dev/null || { echo "controlPlaneClusters annotation"; return 1; }; fi
}
for c in "${CLUSTERS[@]}"; do check "$c: istio-system labelled with its network${PRIMARY_OF[$c]:+ and annotated controlPlaneClusters=${PRIMARY_OF[$c]}}" ns_checks "$c"; done
remote_injector_url() {
  local host; host="$(address c1)"
  kc c3 get mutatingwebhookconfiguration istio-sidecar-injector -o json |
    jq -e --arg u "https://$host:15017/inject/cluster/c3/net/net3" '[.webhooks[].clientConfig | .url == $u and .service == null and (.caBundle | length > 0)] | all' >/dev/null || { echo "injector webhooks"; return 1; }
  kc c3 get validatingwebhookconfiguration istiod-default-validator -o json |
    jq -e --arg u "https://$host:15017/validate" '.webhooks[0].clientConfig.url == $u and .webhooks[0].failurePolicy == "Fail"' >/dev/null || { echo "validator"; return 1; }
  kc c3 -n istio-system get svc istiod -o json | jq -e --arg h "$host" '.spec.type == "ExternalName" and .spec.externalName == $h' >/dev/null || { echo "Service istiod is not an ExternalName to $host"; return 1; }
}
check "c3: webhooks by URL at c1's gateway host (Service istiod is an ExternalName, which no API server can call a webhook through)" remote_injector_url
remote_injector_service() {
  kc c4 get mutatingwebhookconfiguration istio-sidecar-injector -o json |
    jq -e '[.webhooks[].clientConfig | .service.name == "istiod" and .service.path == "/inject/cluster/c4/net/net2"] | all' >/dev/null || { echo "injector webhooks"; return 1; }
  kc c4 -n istio-system get endpointslice istiod -o json |
    jq -e --arg a "$(address c2)" '.endpoints[0].addresses == [$a] and ([.ports[].port] | sort) == [15012, 15017]' >/dev/null || { echo "istiod EndpointSlice"; return 1; }
}
check "c4: injector → Service istiod → EndpointSlice at c2's gateway IP (15012, 15017)" remote_injector_service

# ------------------------------------------------------------------ east-west gateways
gateway_checks() {
  local c=$1 j
  j="$(kc "$c" -n istio-system get svc istio-eastwestgateway -o json)" || return 1
  jq -e --arg n "${NETWORK[$c]}" '.metadata.labels["topology.istio.io/network"] == $n and .metadata.labels.istio == "eastwestgateway" and .spec.type == "LoadBalancer"' <<<"$j" >/dev/null || { jq .metadata.labels <<<"$j"; return 1; }
  local p
  for p in 15021 15443 15012 15017; do jq -e --argjson p "$p" '[.spec.ports[].port] | index($p) != null' <<<"$j" >/dev/null || { echo "port $p missing"; return 1; }; done
  local a; a="$(jq -r '.status.loadBalancer.ingress[0] | .ip // .hostname // empty' <<<"$j")"
  [[ -n $a && $a == "$(address "$c")" ]] || { echo "address '$a' != stack output '$(address "$c")'"; return 1; }
  if [[ $c == c1 ]]; then
    jq -e '.status.loadBalancer.ingress[0].ip == null' <<<"$j" >/dev/null || { echo "c1's load balancer must report only a hostname"; return 1; }
    getent hosts "$a" | grep -q '^198\.18\.1\.' || { echo "$a does not resolve to c1's load-balancer range"; return 1; }
  fi
  [[ $(kc "$c" -n istio-system get deploy istio-eastwestgateway -o jsonpath='{.status.readyReplicas}') -ge 1 ]] || { echo "gateway Deployment not ready"; return 1; }
}
for c in "${CLUSTERS[@]}"; do check "$c: east-west gateway Service (labels, ports, $([[ $c == c1 ]] && echo "hostname" || echo "IP") address = output) and Deployment ready" gateway_checks "$c"; done

# Every gateway pod was really injected, a remote's by its primary's istiod (the cluster and
# network in the proxy come from the injection path /inject/cluster/<c>/net/<n>).
injected() {
  local c=$1 pods
  pods="$(kc "$c" -n istio-system get pods -l istio=eastwestgateway -o json)" || return 1
  jq -e --arg c "$c" --arg n "${NETWORK[$c]}" --arg img "docker.io/istio/proxyv2:$MESH_ISTIO_VERSION" '
    (.items | length) > 0 and ([.items[] |
      (.metadata.annotations["sidecar.istio.io/status"] != null) and
      ([.spec.containers[] | select(.name == "istio-proxy") | .image == $img and
        ([.env[] | select(.name == "ISTIO_META_CLUSTER_ID") | .value] == [$c]) and
        ([.env[] | select(.name == "ISTIO_META_NETWORK") | .value] == [$n])] == [true])
    ] | all)' <<<"$pods" >/dev/null || { jq '[.items[] | {name: .metadata.name, containers: [.spec.containers[] | {name, image}]}]' <<<"$pods"; return 1; }
}
for c in "${CLUSTERS[@]}"; do check "$c: gateway pods carry a proxy injected by ${PRIMARY_OF[$c]:-$c}'s istiod (cluster $c, network ${NETWORK[$c]})" injected "$c"; done

# ------------------------------------------------------------------ availability and traffic defaults
# Pulumi.local.yaml: istiod replicas 1 (autoscaler 1–5, so no budget: the chart renders none at one
# replica), east-west gateways replicas 2–3 with the default budget and spread; traffic defaults,
# failover derived from the regions local-1..4. The local nodes (scripts/local-clusters.sh) are
# three per cluster, each in its own zone, and the real kube-scheduler and HPA controller place them.
# The chart's requests, 500m and 2048Mi; the API server keeps quantities in canonical form (2Gi).
ISTIOD_SPREAD='[["topology.kubernetes.io/zone","ScheduleAnyway"],["kubernetes.io/hostname","DoNotSchedule"]]'
istiod_availability() {
  local c=$1 d
  d="$(kc "$c" -n istio-system get deploy istiod -o json)" || return 1
  jq -e --argjson s "$ISTIOD_SPREAD" '[.spec.template.spec.topologySpreadConstraints[] | [.topologyKey, .whenUnsatisfiable]] == $s and
    ([.spec.template.spec.topologySpreadConstraints[].labelSelector.matchLabels] | all(. == {app: "istiod", istio: "pilot"})) and
    (.spec.template.spec.containers[] | select(.name == "discovery") | .resources.requests == {cpu: "500m", memory: "2Gi"})' <<<"$d" >/dev/null ||
    { jq '.spec.template.spec | {topologySpreadConstraints, resources: [.containers[].resources]}' <<<"$d"; return 1; }
  kc "$c" -n istio-system get hpa istiod -o json | jq -e '.spec.minReplicas == 1 and .spec.maxReplicas == 5' >/dev/null || { echo "HPA istiod: want 1–5"; return 1; }
  [[ -z $(kc "$c" -n istio-system get pdb -l app=istiod -o name) ]] || { echo "a PodDisruptionBudget for one istiod replica would block drains"; return 1; }
}
for c in "${PRIMARIES[@]}"; do check "$c: istiod spread over zones (preferred) and nodes (required), requests, autoscaler 1–5, no budget at one replica" istiod_availability "$c"; done
gateway_availability() {
  local c=$1 pods
  kc "$c" -n istio-system get hpa istio-eastwestgateway -o json | jq -e '.spec.minReplicas == 2 and .spec.maxReplicas == 3' >/dev/null || { echo "HPA istio-eastwestgateway: want 2–3"; return 1; }
  kc "$c" -n istio-system get pdb istio-eastwestgateway -o json |
    jq -e '.spec.maxUnavailable == 1 and .spec.unhealthyPodEvictionPolicy == "AlwaysAllow" and .spec.selector.matchLabels == {app: "istio-eastwestgateway", istio: "eastwestgateway"}' >/dev/null ||
    { echo "PodDisruptionBudget istio-eastwestgateway"; return 1; }
  # The HPA raises the Deployment from the chart's one replica to two; the scheduler puts them on two nodes.
  retry 120 bash -c "[[ \$(kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/$c/kubeconfig' -n istio-system get deploy istio-eastwestgateway -o jsonpath='{.status.readyReplicas}') -ge 2 ]]" >/dev/null ||
    { echo "fewer than 2 ready gateway pods"; return 1; }
  pods="$(kc "$c" -n istio-system get pods -l istio=eastwestgateway -o json)" || return 1
  jq -e '[.items[] | select(.metadata.deletionTimestamp == null) | .spec.nodeName] | (length >= 2) and (unique | length) == length' <<<"$pods" >/dev/null ||
    { jq '[.items[] | {name: .metadata.name, node: .spec.nodeName}]' <<<"$pods"; return 1; }
}
for c in "${CLUSTERS[@]}"; do check "$c: east-west gateway autoscaler 2–3, budget maxUnavailable 1, two ready pods on two nodes" gateway_availability "$c"; done
mesh_config() {  # mesh_config CLUSTER → istiod's mesh config (the `istio` ConfigMap's YAML) as JSON
  kc "$1" -n istio-system get configmap istio -o jsonpath='{.data.mesh}' | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.stringify(require(process.argv[1]).parse(s))))' "$MESH_REPO/node_modules/yaml"
}
FAILOVER='[{"from":"local-1","to":"local-2"},{"from":"local-2","to":"local-3"},{"from":"local-3","to":"local-4"},{"from":"local-4","to":"local-1"}]'
traffic_defaults() {
  local c=$1 m
  m="$(mesh_config "$c")" || return 1
  jq -S '{defaultConfig, localityLbSetting}' <<<"$m" >"$TMP/mesh-$c.json"
  jq -e --argjson f "$FAILOVER" '.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE == "true" and .localityLbSetting == {enabled: true, failover: $f}' <<<"$m" >/dev/null ||
    { jq '{proxyMetadata: .defaultConfig.proxyMetadata, localityLbSetting}' <<<"$m"; return 1; }
  kc "$c" -n istio-system get deploy istiod -o json |
    jq -e '[.spec.template.spec.containers[0].env[] | select(.name == "PILOT_ENABLE_IP_AUTOALLOCATE") | .value] == ["true"]' >/dev/null || { echo "istiod lacks PILOT_ENABLE_IP_AUTOALLOCATE=true"; return 1; }
  kc "$c" -n istio-system get destinationrules.networking.istio.io default -o json >"$TMP/dr-$c.json" || return 1
  jq -e '.spec.host == "*.local" and .spec.trafficPolicy == {outlierDetection: {consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s", maxEjectionPercent: 100}}' "$TMP/dr-$c.json" >/dev/null ||
    { jq .spec "$TMP/dr-$c.json"; return 1; }
}
for c in "${PRIMARIES[@]}"; do check "$c: mesh config with DNS capture and failover local-1→2→3→4→1, istiod allocates addresses, DestinationRule default with outlier detection" traffic_defaults "$c"; done
check "c1 and c2 carry the same mesh-wide DestinationRule and the same traffic settings" bash -c "cmp <(jq -S .spec '$TMP/dr-c1.json') <(jq -S .spec '$TMP/dr-c2.json') && cmp '$TMP/mesh-c1.json' '$TMP/mesh-c2.json'"
for c in "${REMOTES[@]}"; do check "$c (remote): no mesh config and no DestinationRule of its own (its proxies take both from ${PRIMARY_OF[$c]})" bash -c "! kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/$c/kubeconfig' -n istio-system get configmap istio 2>/dev/null && ! kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/$c/kubeconfig' -n istio-system get destinationrules.networking.istio.io default 2>/dev/null"; done

istio_objects() {
  local c=$1
  kc "$c" -n istio-system get gateways.networking.istio.io cross-network-gateway -o json |
    jq -e '.spec.selector.istio == "eastwestgateway" and .spec.servers[0].port.number == 15443 and .spec.servers[0].tls.mode == "AUTO_PASSTHROUGH"' >/dev/null || { echo "cross-network-gateway"; return 1; }
  kc "$c" -n istio-system get peerauthentications.security.istio.io default -o jsonpath='{.spec.mtls.mode}' | grep -qx STRICT || { echo "PeerAuthentication default not STRICT"; return 1; }
  kc "$c" -n istio-system get gateways.networking.istio.io istiod-gateway -o json | jq -e '[.spec.servers[].port.number] == [15012, 15017]' >/dev/null || { echo "istiod-gateway"; return 1; }
  kc "$c" -n istio-system get virtualservices.networking.istio.io istiod-vs -o json | jq -e '[.spec.tls[].route[0].destination.port.number] == [15012, 443]' >/dev/null || { echo "istiod-vs"; return 1; }
}
for c in "${PRIMARIES[@]}"; do check "$c: cross-network-gateway, istiod-gateway, istiod-vs, STRICT mTLS" istio_objects "$c"; done

# ------------------------------------------------------------------ mesh-wide policy (mesh:policy)
# Pulumi.local.yaml declares deny-by-default, one allow, the default Sidecar and one raw object:
# exactly those on every primary, identical (kind, name, labels, annotations, spec), and none on
# a remote, whose proxies take their configuration from their primary's istiod.
POLICY_KINDS=authorizationpolicies.security.istio.io,peerauthentications.security.istio.io,requestauthentications.security.istio.io,destinationrules.networking.istio.io,sidecars.networking.istio.io,serviceentries.networking.istio.io,envoyfilters.networking.istio.io,proxyconfigs.networking.istio.io,telemetries.telemetry.istio.io
POLICY_EXPECTED='["AuthorizationPolicy/allow-eastwest-gateway","AuthorizationPolicy/allow-nothing","AuthorizationPolicy/team-a-internal","PeerAuthentication/team-a-api-strict","Sidecar/default"]'
mesh_policy_of() {  # the cluster's mesh-wide objects, normalised
  kc "$1" get "$POLICY_KINDS" --all-namespaces -l app.kubernetes.io/part-of=mesh-policy -o json |
    jq -S '[.items[] | {kind, namespace: .metadata.namespace, name: .metadata.name, labels: .metadata.labels, annotations: (.metadata.annotations // {}), spec}] | sort_by(.kind, .name)'
}
mesh_policy_checks() {
  local c=$1 objects
  objects="$(mesh_policy_of "$c")" || return 1
  jq -e --argjson want "$POLICY_EXPECTED" '[.[] | "\(.kind)/\(.name)"] == $want and all(.[]; .namespace == "istio-system")' <<<"$objects" >/dev/null ||
    { echo "expected $POLICY_EXPECTED in istio-system, found:"; jq -c '[.[] | "\(.namespace)/\(.kind)/\(.name)"]' <<<"$objects"; return 1; }
  jq -e '(.[] | select(.name == "allow-nothing") | .spec) == {}' <<<"$objects" >/dev/null || { echo "allow-nothing is not the empty ALLOW policy"; return 1; }
  jq -e '(.[] | select(.name == "allow-eastwest-gateway") | .spec) == {selector: {matchLabels: {app: "istio-eastwestgateway", istio: "eastwestgateway"}}, action: "ALLOW", rules: [{to: [{operation: {ports: ["15443", "15012", "15017"]}}]}]}' <<<"$objects" >/dev/null ||
    { echo "allow-eastwest-gateway does not keep the gateway's 15443/15012/15017 open"; return 1; }
  jq -e '(.[] | select(.kind == "Sidecar") | .spec.egress) == [{hosts: ["./*", "istio-system/*"]}]' <<<"$objects" >/dev/null || { echo "default Sidecar"; return 1; }
  # The program's STRICT PeerAuthentication is still the only mesh-level one.
  [[ $(kc "$c" -n istio-system get peerauthentications.security.istio.io -o json | jq -c '[.items[] | select(.spec.selector == null) | .metadata.name]') == '["default"]' ]] ||
    { echo "the mesh-level PeerAuthentication is not the program's default alone"; return 1; }
}
for c in "${PRIMARIES[@]}"; do check "$c: mesh-wide policy from mesh:policy: deny-by-default with the east-west gateway's ALLOW, team-a's allow, default Sidecar, a STRICT PeerAuthentication" mesh_policy_checks "$c"; done
policy_identical() { diff <(mesh_policy_of c1) <(mesh_policy_of c2); }
check "c1 and c2 carry identical mesh-wide policy objects" policy_identical
no_mesh_policy() {  # a remote: no object of the program's policy (its base chart installs the same CRDs)
  local out
  out="$(kc "$1" get "$POLICY_KINDS" --all-namespaces -l app.kubernetes.io/part-of=mesh-policy -o name 2>&1)" || { echo "$out"; return 1; }
  [[ -z $out ]] || { echo "$out"; return 1; }
}
for c in "${REMOTES[@]}"; do check "$c (remote) carries no mesh-wide policy objects (its primary's istiod serves it their effect)" no_mesh_policy "$c"; done

# ------------------------------------------------------------------ observability (mesh:observability)
# Pulumi.local.yaml: a Prometheus in every cluster (release prometheus, upstream chart 28.13.0 kept in
# test/e2e/charts, no volume), the global one in c1 (release prometheus-global, the first primary)
# federating all four, the federation load balancers of c2..c4 admitting 198.18.0.0/15, JSON access
# logs, tracing at 5% to one collector. kwok runs no Prometheus process: what is checked is what the
# API servers hold (Helm's records, Deployments, Services, the files Prometheus would load), the
# files through the real promtool, and the global file loaded by a real prometheus on this host.
OBS_CHART=28.13.0
OBS_GLOBAL=c1
yaml_json() {  # stdin YAML → JSON
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.stringify(require(process.argv[1]).parse(s))))' "$MESH_REPO/node_modules/yaml"
}
prometheus_file() {  # prometheus_file CLUSTER CONFIGMAP → path of its prometheus.yml, copied to $TMP
  local f="$TMP/$1-$2.yml"
  kc "$1" -n istio-system get configmap "$2" -o jsonpath='{.data.prometheus\.yml}' >"$f" || return 1
  [[ -s $f ]] || { echo "ConfigMap $2 has no prometheus.yml"; return 1; }
  echo "$f"
}
# A release of the prometheus chart as configured, and its server Deployment ready with the program's file.
prometheus_release() {  # prometheus_release CLUSTER RELEASE RETENTION
  local c=$1 r=$2 retention=$3 j d
  j="$(release_json "$c" "$r")" || { echo "no deployed Helm release $r"; return 1; }
  jq -e --arg v "$OBS_CHART" --arg r "$r" --arg t "$retention" '.chart.metadata.name == "prometheus" and .chart.metadata.version == $v and
    .config.server.fullnameOverride == $r and .config.server.configMapOverrideName == "mesh-config" and .config.server.retention == $t and
    .config.server.persistentVolume.enabled == false and .config.server.podLabels["sidecar.istio.io/inject"] == "false" and
    ([.config.alertmanager.enabled, .config["kube-state-metrics"].enabled, .config["prometheus-node-exporter"].enabled, .config["prometheus-pushgateway"].enabled] == [false, false, false, false])' <<<"$j" >/dev/null ||
    { jq '{chart: (.chart.metadata | {name, version}), config}' <<<"$j"; return 1; }
  d="$(kc "$c" -n istio-system get deploy "$r" -o json)" || return 1
  jq -e --arg cm "$r-mesh-config" --arg t "--storage.tsdb.retention.time=$retention" '(.status.readyReplicas // 0) >= 1 and
    [.spec.template.spec.volumes[] | select(.name == "config-volume") | .configMap.name] == [$cm] and
    ([.spec.template.spec.containers[] | select(.name == "prometheus-server") | .args[]] | index($t) != null and index("--config.file=/etc/config/prometheus.yml") != null)' <<<"$d" >/dev/null ||
    { jq '{ready: .status.readyReplicas, volumes: .spec.template.spec.volumes, args: [.spec.template.spec.containers[] | {name, args}]}' <<<"$d"; return 1; }
}
cluster_prometheus() {
  local c=$1 f
  prometheus_release "$c" prometheus 24h || return 1
  kc "$c" get clusterrole prometheus >/dev/null || { echo "no ClusterRole for Kubernetes service discovery"; return 1; }
  f="$(prometheus_file "$c" prometheus-mesh-config)" || return 1
  yaml_json <"$f" | jq -e --arg c "$c" --arg n "${NETWORK[$c]}" '.global.external_labels == {mesh: "local-mesh", cluster: $c, network: $n} and
    [.scrape_configs[].job_name] == ["kubernetes-pods", "kubernetes-pods-slow", "kubernetes-service-endpoints", "kubernetes-service-endpoints-slow", "prometheus"] and .remote_write == null' >/dev/null ||
    { cat "$f"; return 1; }
  promtool check config "$f" || return 1
}
for c in "${CLUSTERS[@]}"; do check "$c: Prometheus (chart $OBS_CHART, release prometheus) ready, reading the program's file: Istio's jobs, mesh/cluster/network labels; promtool check config passes" cluster_prometheus "$c"; done
federation_lb() {
  local c=$1 j a
  j="$(kc "$c" -n istio-system get svc prometheus-federation -o json)" || return 1
  jq -e '.spec.type == "LoadBalancer" and .spec.loadBalancerSourceRanges == ["198.18.0.0/15"] and ([.spec.ports[] | [.port, .targetPort]] == [[9090, 9090]]) and
    .spec.selector == {"app.kubernetes.io/component": "server", "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "prometheus"}' <<<"$j" >/dev/null ||
    { jq .spec <<<"$j"; return 1; }
  a="$(jq -r '.status.loadBalancer.ingress[0] | .ip // .hostname // empty' <<<"$j")"
  [[ -n $a ]] || { echo "the load balancer has no address"; return 1; }
  # It selects the Prometheus server's pods (the chart's labels).
  [[ -n $(kc "$c" -n istio-system get pods -l app.kubernetes.io/component=server,app.kubernetes.io/name=prometheus,app.kubernetes.io/instance=prometheus -o name) ]] || { echo "its selector finds no Prometheus pod"; return 1; }
  echo "$a:9090" >"$TMP/federation-$c"
}
for c in "${CLUSTERS[@]}"; do
  [[ $c == "$OBS_GLOBAL" ]] && continue
  check "$c: federation load balancer prometheus-federation (9090, admits 198.18.0.0/15 only) in front of its Prometheus, with an address" federation_lb "$c"
done
check "$OBS_GLOBAL (global cluster) has no federation load balancer: the global Prometheus reaches its own cluster's by Service" bash -c "! kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/$OBS_GLOBAL/kubeconfig' -n istio-system get svc prometheus-federation 2>/dev/null"
global_prometheus() {
  local f want c t
  prometheus_release "$OBS_GLOBAL" prometheus-global 15d || return 1
  release_json "$OBS_GLOBAL" prometheus-global | jq -e '.config.rbac.create == false' >/dev/null || { echo "the global Prometheus discovers nothing: no RBAC"; return 1; }
  ! kc "$OBS_GLOBAL" get clusterrole prometheus-global >/dev/null 2>&1 || { echo "a ClusterRole for the global Prometheus"; return 1; }
  f="$(prometheus_file "$OBS_GLOBAL" prometheus-global-mesh-config)" || return 1
  want='[]'
  for c in "${CLUSTERS[@]}"; do
    if [[ $c == "$OBS_GLOBAL" ]]; then t=prometheus.istio-system.svc.cluster.local:9090; else t="$(cat "$TMP/federation-$c" 2>/dev/null)" || { echo "no federation address for $c"; return 1; }; fi
    want="$(jq -c --arg c "$c" --arg n "${NETWORK[$c]}" --arg t "$t" '. + [{job: ("federate-" + $c), honor_labels: true, path: "/federate", targets: [$t], labels: {cluster: $c, network: $n}}]' <<<"$want")"
  done
  yaml_json <"$f" | jq -e --argjson want "$want" '.global.external_labels == {mesh: "local-mesh"} and
    [.scrape_configs[] | select(.job_name | startswith("federate-")) | {job: .job_name, honor_labels, path: .metrics_path, targets: .static_configs[0].targets, labels: .static_configs[0].labels}] == $want and
    all(.scrape_configs[] | select(.job_name | startswith("federate-")); .params["match[]"] == ["{__name__=~\"istio_.*\"}", "{__name__=~\"pilot_.*\"}"])' >/dev/null ||
    { echo "want federation jobs $want in:"; cat "$f"; return 1; }
  promtool check config "$f" || return 1
}
check "$OBS_GLOBAL: global Prometheus (release prometheus-global, 15d) federates every cluster (c1 by Service, the others by their load balancers' addresses); promtool check config passes" global_prometheus
global_loads() {  # the global file in a real prometheus on 127.0.0.1, stopped at once: it loads and lists every cluster's job
  local f="$TMP/$OBS_GLOBAL-prometheus-global-mesh-config.yml" port pid rc=0 targets
  [[ -s $f ]] || { echo "no global file (see the check above)"; return 1; }
  port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
  prometheus --config.file="$f" --web.listen-address="127.0.0.1:$port" --storage.tsdb.path="$TMP/prometheus-data" >"$TMP/prometheus.log" 2>&1 &
  pid=$!
  retry 60 curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null || rc=1
  # Ready comes before the targets: the discovery manager hands them to the scrape manager at most
  # every 5 s (discovery/manager.go updatert), so they are polled for.
  targets_listed() {
    curl -sf "http://127.0.0.1:$1/api/v1/targets" | jq -ce '[.data.activeTargets[] | select(.labels.job | startswith("federate-")) | "\(.labels.job) \(.labels.cluster)"] | sort |
      if . == ["federate-c1 c1", "federate-c2 c2", "federate-c3 c3", "federate-c4 c4"] then . else error("targets: \(.)") end'
  }
  if ((rc == 0)); then retry 30 targets_listed "$port" >/dev/null || { curl -s "http://127.0.0.1:$port/api/v1/targets" | jq -c '[.data.activeTargets[] | .labels]'; rc=1; }; fi
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  ((rc == 0)) || { tail -20 "$TMP/prometheus.log"; return 1; }
}
check "a real prometheus ($(prometheus --version 2>&1 | head -1 | awk '{print $3}')) on this host loads the global file and lists federate-c1..c4 with their cluster labels" global_loads
tracing_and_logs() {
  local c=$1 m
  kc "$c" -n istio-system get telemetries.telemetry.istio.io mesh-default -o json |
    jq -e '.spec == {tracing: [{providers: [{name: "mesh-otel-tracing"}], randomSamplingPercentage: 5}]}' >/dev/null || { echo "Telemetry mesh-default"; return 1; }
  m="$(mesh_config "$c")" || return 1
  jq -e '.accessLogFile == "/dev/stdout" and .accessLogEncoding == "JSON" and
    [.extensionProviders[] | select(.name == "mesh-otel-tracing")] == [{name: "mesh-otel-tracing", opentelemetry: {service: "otel-collector.observability.svc.cluster.local", port: 4317}}]' <<<"$m" >/dev/null ||
    { jq '{accessLogFile, accessLogEncoding, extensionProviders}' <<<"$m"; return 1; }
}
for c in "${PRIMARIES[@]}"; do check "$c: Telemetry mesh-default traces 5% to the collector named in istiod's mesh config; JSON access logs to stdout" tracing_and_logs "$c"; done
check "c1 and c2 carry the same Telemetry mesh-default" bash -c "diff <(kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/c1/kubeconfig' -n istio-system get telemetries.telemetry.istio.io mesh-default -o json | jq -S .spec) <(kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/c2/kubeconfig' -n istio-system get telemetries.telemetry.istio.io mesh-default -o json | jq -S .spec)"
for c in "${REMOTES[@]}"; do check "$c (remote): no Telemetry of its own (its proxies take it from ${PRIMARY_OF[$c]})" bash -c "[[ -z \$(kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/$c/kubeconfig' -n istio-system get telemetries.telemetry.istio.io -o name) ]]"; done

# ------------------------------------------------------------------ validation webhooks
# An invalid Istio object (a VirtualService routing to no host) is refused in every cluster: on
# a primary by its own istiod once it has switched its validator to failurePolicy Fail, on a
# remote by its primary's istiod through the same path as injection.
rejects_invalid() {
  local c=$1 res
  res="$(retry 90 bash -c "! kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/$c/kubeconfig' create --dry-run=server -f - 2>&1 <<'EOF'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: e2e-invalid, namespace: default}
spec:
  hosts: [e2e.example.com]
  http:
  - route:
    - destination: {host: ''}
EOF")" || { echo "accepted: $res"; return 1; }
  grep -q 'denied the request' <<<"$res" || { echo "$res"; return 1; }
}
for c in "${CLUSTERS[@]}"; do check "$c: the validation webhook rejects an invalid VirtualService" rejects_invalid "$c"; done

# ------------------------------------------------------------------ the local world is as strict as the clouds
# A webhook through an ExternalName Service is refused by the API server, as on EKS: what a
# remote behind an NLB hostname would hit without webhook URLs (k8s.io/apiserver pkg/util/proxy).
externalname_refused() {
  local host res; host="$(address c1)"
  kc c3 create namespace e2e-strict >/dev/null && kc c3 label namespace e2e-strict e2e-strict=true >/dev/null || return 1
  kc c3 -n e2e-strict create service externalname istiod-by-name --external-name "$host" >/dev/null || return 1
  kc c3 apply -f - >/dev/null <<EOF || return 1
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: e2e-externalname}
webhooks:
- name: e2e.externalname.test
  clientConfig: {service: {name: istiod-by-name, namespace: e2e-strict, path: /inject, port: 443}}
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}]
  namespaceSelector: {matchLabels: {e2e-strict: "true"}}
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
EOF
  res="$(kc c3 -n e2e-strict run probe --image=registry.k8s.io/pause:3.10 --restart=Never 2>&1)"
  kc c3 delete mutatingwebhookconfiguration e2e-externalname >/dev/null; kc c3 delete namespace e2e-strict --wait=false >/dev/null
  grep -q 'failed calling webhook' <<<"$res" || { echo "pod not refused: $res"; return 1; }
  echo "$res"
}
check "c3: a webhook through an ExternalName Service is refused, as on EKS" externalname_refused
# 15017 answers only where the east-west gateway really routes it to an istiod.
tls_answers() { curl -sk --max-time 5 -o /dev/null -w '%{http_code}' "https://$1:15017/ready" | grep -qv '^000$'; }
check "c2's gateway answers on 15017 (it exposes istiod); c4's, which exposes nothing, does not" bash -c "$(declare -f tls_answers); tls_answers '$(address c2)' && ! tls_answers '$(address c4)'"

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
for a in "${PRIMARIES[@]}"; do
  for b in "${CLUSTERS[@]}"; do
    [[ $a == "$b" ]] && continue
    check "$a: istio-remote-secret-$b lists Services in $b and cannot create or delete there" remote_secret_checks "$a" "$b"
  done
done
for c in "${REMOTES[@]}"; do check "$c (remote) holds no remote secrets" bash -c "[[ -z \$(kubectl --kubeconfig '$MESH_LOCAL_STATE/clusters/$c/kubeconfig' -n istio-system get secret -l istio/multiCluster=true -o name) ]]"; done

# ------------------------------------------------------------------ the real istiods watch the mesh
# Each primary's istiod (pilot-discovery on the host, run by the local cloud) must list every
# other cluster, found through our remote secrets, as synced (/debug/clusterz).
istiod_sees_mesh() {
  local c=$1 port=$((20000 + 100 * ${1#c} + 80))
  retry 60 bash -c "curl -s 127.0.0.1:$port/debug/clusterz | jq -e --argjson want '${WATCHES[$c]}' \
    '[.[] | select(.syncStatus == \"synced\" and (.secretName | startswith(\"istio-system/istio-remote-secret-\"))) | .id] | sort == (\$want | sort)' >/dev/null || { curl -s 127.0.0.1:$port/debug/clusterz; exit 1; }"
}
for c in "${PRIMARIES[@]}"; do check "istiod of $c registers $(jq -r 'join(", ")' <<<"${WATCHES[$c]}") through the remote secrets" istiod_sees_mesh "$c"; done

# ------------------------------------------------------------------ istioctl analyze
analyze() {
  local merged="$TMP/all-kubeconfig" c paths=() rc=0
  for c in "${CLUSTERS[@]}"; do paths+=("$MESH_LOCAL_STATE/clusters/$c/kubeconfig"); done
  KUBECONFIG="$(IFS=:; echo "${paths[*]}")" kubectl config view --flatten >"$merged"
  for c in "${CLUSTERS[@]}"; do
    echo "== $c"
    istioctl analyze --kubeconfig "$merged" --context "kwok-mesh-$c" --all-namespaces --failure-threshold Error 2>&1 || rc=1
  done
  return $rc
}
check "istioctl analyze reports no errors in any cluster" analyze

# ------------------------------------------------------------------ see and check the mesh (scripts/mesh-check, scripts/mesh-picture)
# mesh-check from the outside with the admin kubeconfigs; istiod's /debug/clusterz through a
# port-forward, as istioctl reads it (locally: kwok's PortForward, kept by the local cloud).
# E2E_ARTIFACTS=DIR keeps the check's table and the pictures (the README shows them).
MESH_CHECK=(scripts/mesh-check --stack "$STACK" --outputs "$TMP/outputs.json")
mesh_check_passes() {
  "${MESH_CHECK[@]}" >"$TMP/mesh-check.txt" 2>&1 || { cat "$TMP/mesh-check.txt"; return 1; }
  grep -qE ' 0 warnings, 0 failed$' "$TMP/mesh-check.txt" || { cat "$TMP/mesh-check.txt"; return 1; }
  local p
  for p in "${PRIMARIES[@]}"; do
    grep -qE "^PASS +istiod sync +$p +$(jq -r 'map(. + " synced") | join(", ")' <<<"${WATCHES[$p]}")\$" "$TMP/mesh-check.txt" || { cat "$TMP/mesh-check.txt"; return 1; }
  done
}
check "mesh-check passes: istiods synced, cacerts chains and one root, lifetimes, remote secrets log in read-only, gateways (exit 0)" mesh_check_passes
# NAME SECRET STATUS ISTIOD; istiod's own cluster has no SECRET.
check "istioctl remote-clusters (its own port-forward to istiod) lists c2, c3, c4 as synced through our secrets for c1" bash -c \
  "istioctl remote-clusters --kubeconfig '$MESH_LOCAL_STATE/clusters/c1/kubeconfig' | tee /dev/stderr | awk '\$2 ~ /istio-remote-secret-/ && \$3 == \"synced\" {print \$1}' | sort | paste -sd, | grep -qx 'c2,c3,c4'"
# A remote secret whose token may write: one extra binding in c4 gives the reader ServiceAccount
# `edit` everywhere (a real mistake: a hand-made binding for debugging). Every primary's secret for
# c4 carries that token, so the check fails on both and exits 1; the binding removed, it passes.
# (Editing the secret itself is no harmless test on every Istio: 1.29.0-1.29.2 deadlock on such an
# edit and never watch the cluster again until restarted, istio/istio#59875.)
mesh_check_detects() {
  local p rc=0
  kc c4 create clusterrolebinding mesh-e2e-reader-writes --clusterrole=edit --serviceaccount=istio-system:istio-reader-service-account >/dev/null || return 1
  retry 30 bash -c "${MESH_CHECK[*]} >'$TMP/mesh-check-broken.txt' 2>&1; [[ \$? == 1 ]]" >/dev/null || { echo "mesh-check did not exit 1 with a writing reader token"; rc=1; }
  for p in "${PRIMARIES[@]}"; do
    grep -qE "^FAIL +remote read-only +$p → c4 +the token may .*create pods" "$TMP/mesh-check-broken.txt" || { echo "no read-only failure for $p → c4"; rc=1; }
  done
  (( $(grep -c '^FAIL' "$TMP/mesh-check-broken.txt") == ${#PRIMARIES[@]} )) || { echo "other rows failed too"; rc=1; }
  ((rc == 0)) || cat "$TMP/mesh-check-broken.txt"
  kc c4 delete clusterrolebinding mesh-e2e-reader-writes >/dev/null || return 1
  retry 30 mesh_check_passes || rc=1
  return $rc
}
check "mesh-check fails (exit 1) on a remote secret whose token may write, naming both primaries' secrets for c4, and passes once the binding is gone" mesh_check_detects
pictures() {
  scripts/mesh-picture --stack "$STACK" -o "$TMP/planned.svg" || return 1
  scripts/mesh-picture --stack "$STACK" --outputs "$TMP/outputs.json" -o "$TMP/deployed.svg" || return 1
  scripts/mesh-picture --stack "$STACK" --outputs "$TMP/outputs.json" --format mermaid >"$TMP/deployed.mmd" || return 1
  local c f
  for f in planned deployed; do
    grep -q '<svg' "$TMP/$f.svg" && grep -q ": $f<" "$TMP/$f.svg" || { echo "$f.svg is not the $f picture"; return 1; }
    for c in "${CLUSTERS[@]}" "root CA"; do grep -q ">$c</text>" "$TMP/$f.svg" || { echo "$f.svg does not show $c"; return 1; }; done
  done
  # Graphviz writes '-' as &#45;.
  for c in "${CLUSTERS[@]}"; do sed 's/&#45;/-/g' "$TMP/deployed.svg" | grep -qF "$(address "$c")" || { echo "deployed.svg lacks $c's gateway address"; return 1; }; done
  grep -qx 'flowchart LR' "$TMP/deployed.mmd" || return 1
  if [[ -n ${E2E_ARTIFACTS:-} ]]; then mkdir -p "$E2E_ARTIFACTS" && cp "$TMP"/{planned.svg,deployed.svg,deployed.mmd,mesh-check.txt,mesh-check-broken.txt} "$E2E_ARTIFACTS/"; fi
}
check "mesh-picture renders the planned and the deployed mesh (SVG with every cluster and gateway address; Mermaid)" pictures

# ------------------------------------------------------------------ idempotence
check "second pulumi up changes nothing" timed "no-op up" bash -c "pulumi up --stack '$STACK' --yes --skip-preview --suppress-progress --expect-no-changes >'$TMP/up2.log' 2>&1 || { cat '$TMP/up2.log'; exit 1; }"
check "pulumi preview --expect-no-changes" bash -c "pulumi preview --stack '$STACK' --expect-no-changes --suppress-progress >'$TMP/preview2.log' 2>&1 || { cat '$TMP/preview2.log'; exit 1; }"

# ------------------------------------------------------------------ pull requests and merges (the CI path)
# The workflow's preview and up steps (.github/workflows/mesh-stack.yml) are scripts/ci/preview.sh and
# up.sh: the same commands, with the policy pack (policy/) and this environment's policy config. On the
# local stack the pack passes and nothing changes; a change the pack exists to stop (a private key,
# made here, in istiod's Helm values) is blocked with the policy's message. See test/e2e/README.md.
policies_passed() {  # policies_passed LOG: the pack ran and reported no violation
  grep -qE '^\s+mesh-invariants\|local\|policy/analyzer\s+[0-9.]+$' "$1" || { echo "the policy pack did not run:"; cat "$1"; return 1; }
  if grep -nE '\[(mandatory|advisory)\]' "$1"; then return 1; fi
}
no_changes() {  # no_changes LOG: every resource unchanged
  grep -qE '^\s+[0-9]+ unchanged$' "$1" && ! grep -nE '^\s+[0-9]+ (to (create|update|delete|replace)|created|updated|deleted|replaced)' "$1" || { cat "$1"; return 1; }
}
ci_preview() {
  scripts/ci/preview.sh "$STACK" >"$TMP/ci-preview.log" 2>&1 || { cat "$TMP/ci-preview.log"; return 1; }
  policies_passed "$TMP/ci-preview.log" && no_changes "$TMP/ci-preview.log"
}
check "pull request: scripts/ci/preview.sh (the workflow's preview) passes the policy pack with no changes" timed "CI preview" ci_preview
ci_blocked() {
  local cfg="$TMP/Pulumi.bad.yaml" log="$TMP/ci-bad.log"
  cp Pulumi.local.yaml "$cfg"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/bad.key" 2>/dev/null || return 1
  pulumi config set --stack "$STACK" --config-file "$cfg" --path 'mesh:istio.values.istiod.pilot.env.DEBUG_SIGNING_KEY' -- "$(cat "$TMP/bad.key")" >/dev/null || return 1
  if scripts/ci/preview.sh "$STACK" --config-file "$cfg" >"$log" 2>&1; then echo "the preview of a private key in Helm values passed:"; cat "$log"; return 1; fi
  grep -qE '\[mandatory\]\s+helm-values-no-credentials' "$log" && grep -q 'values.pilot.env.DEBUG_SIGNING_KEY holds a private key: Helm stores' "$log" || { cat "$log"; return 1; }
  # The policy names the property, never the value. (The --diff above it shows the change itself,
  # as the pull request's own diff does.)
  grep -E 'helm-values-no-credentials|DEBUG_SIGNING_KEY holds' "$log" | grep -qF "$(sed -n 2p "$TMP/bad.key")" && { echo "the policy's message carries the key"; return 1; }
  grep -E 'helm-values-no-credentials|DEBUG_SIGNING_KEY holds' "$log" | sort -u | head -4
}
check "pull request: a private key in istiod's Helm values is blocked by helm-values-no-credentials, with its message" timed "CI preview (blocked)" ci_blocked
ci_up() {
  scripts/ci/up.sh "$STACK" --expect-no-changes >"$TMP/ci-up.log" 2>&1 || { cat "$TMP/ci-up.log"; return 1; }
  policies_passed "$TMP/ci-up.log" && no_changes "$TMP/ci-up.log"
}
check "merge: scripts/ci/up.sh (the workflow's up) passes the policy pack on the deployed state, no changes" timed "CI up" ci_up

# ------------------------------------------------------------------ application team
team_kubeconfig() { out ".teams[\"team-a\"].clusters.$1.kubeconfig" >"$TMP/team-$1.kubeconfig"; echo "$TMP/team-$1.kubeconfig"; }
app() {
  cd stacks/app || return 1
  pulumi stack select local >/dev/null 2>&1 || pulumi stack init local --secrets-provider passphrase >/dev/null || return 1
  pulumi up --stack local --yes --skip-preview --suppress-progress >"$TMP/app-up.log" 2>&1 || { cat "$TMP/app-up.log"; return 1; }
  cd "$MESH_REPO"
  local c
  for c in "${CLUSTERS[@]}"; do
    kc "$c" -n team-a get deploy hello -o jsonpath='{.status.readyReplicas}' | grep -qx 1 || { echo "hello not ready in $c"; return 1; }
    kc "$c" -n team-a get pods -l app=hello -o json | jq -e --arg c "$c" '[.items[].spec.containers[] | select(.name == "istio-proxy") | .env[] | select(.name == "ISTIO_META_CLUSTER_ID") | .value] == [$c]' >/dev/null ||
      { echo "the app pod in $c has no proxy injected for $c"; return 1; }
  done
}
check "app program (stacks/app) deploys into team-a in every cluster with the team's credential; its pods are injected" timed "app up" app
cd "$MESH_REPO"
scoped() {
  local c=$1 k; k="$(team_kubeconfig "$c")"
  grep -qE 'client-key-data|exec:' "$k" && { echo "the team kubeconfig carries an admin credential"; return 1; }
  [[ $(kubectl --kubeconfig "$k" auth can-i create deployments -n team-a) == yes ]] || { echo "cannot deploy in team-a"; return 1; }
  local attempt
  for attempt in "create namespace e2e-team-probe" "-n kube-system create configmap e2e-team-probe" "-n istio-system get secrets" "-n default create service clusterip e2e-team-probe --tcp=80:80" "create clusterrolebinding e2e-team-probe --clusterrole=cluster-admin --user=x"; do
    # shellcheck disable=SC2086
    if kubectl --kubeconfig "$k" --request-timeout=10s $attempt >/dev/null 2>"$TMP/scoped.err"; then echo "allowed: kubectl $attempt"; return 1; fi
    grep -qi forbidden "$TMP/scoped.err" || { echo "kubectl $attempt: $(cat "$TMP/scoped.err")"; return 1; }
  done
}
for c in "${CLUSTERS[@]}"; do check "$c: team-a's credential deploys in team-a and is refused cluster-wide and elsewhere" scoped "$c"; done
app_destroy() {
  cd stacks/app || return 1
  pulumi destroy --stack local --yes --skip-preview --suppress-progress >"$TMP/app-destroy.log" 2>&1 || { cat "$TMP/app-destroy.log"; return 1; }
  pulumi stack rm local --yes --preserve-config >/dev/null || return 1
  cd "$MESH_REPO"
  local c
  for c in "${CLUSTERS[@]}"; do [[ -z $(kc "$c" -n team-a get deploy,svc -o name) ]] || { echo "hello still in $c"; return 1; }; done
}
check "app program destroyed with the team's credential" timed "app destroy" app_destroy
cd "$MESH_REPO"

# ------------------------------------------------------------------ secrets in state and outputs
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
    # The reader and team tokens (raw and base64).
    for s in "$(kc "$c" -n istio-system get secret istio-reader-service-account-istio-remote-secret-token -o jsonpath='{.data.token}' 2>/dev/null)" \
             "$(kc "$c" -n mesh-access get secret team-a-token -o jsonpath='{.data.token}' 2>/dev/null)"; do
      if [[ -n $s ]] && { grep -qF "$s" "$export" || grep -qF "$(base64 -d <<<"$s")" "$export"; }; then echo "$c: a token in clear text"; bad=1; fi
    done
  done
  if grep -qE '"(token|client-key-data)":' "$export" || grep -q 'current-context' "$export"; then echo "a kubeconfig or token field in clear text"; bad=1; fi
  # Outputs: no admin kubeconfig unless asked for, team kubeconfigs secret.
  pulumi stack output --stack "$STACK" --json >"$TMP/outputs-plain.json" || return 1
  jq -e '[.clusters[] | has("adminKubeconfig")] | any | not' "$TMP/outputs-plain.json" >/dev/null || { echo "an admin kubeconfig is in the outputs"; bad=1; }
  ! grep -q 'current-context' "$TMP/outputs-plain.json" || { echo "a kubeconfig in clear text in the outputs"; bad=1; }
  return $bad
}
check "state and outputs hold no private key, token or kubeconfig in clear text; no admin kubeconfig output" state_secrets

# ------------------------------------------------------------------ destroy
if [[ ${E2E_KEEP:-} == 1 ]]; then
  echo "(E2E_KEEP=1: leaving the mesh up)"
else
  # Clean = exit 0 and no error; Helm's warning that base kept the CRDs is expected (below).
  check "pulumi destroy succeeds without errors" timed "destroy" bash -c "pulumi destroy --stack '$STACK' --yes --skip-preview --suppress-progress >'$TMP/destroy.log' 2>&1 && ! grep -nE '^\s*error:' '$TMP/destroy.log' || { cat '$TMP/destroy.log'; exit 1; }"
  check "stack has 0 resources" bash -c "[[ \$(pulumi stack export --stack '$STACK' | jq '.deployment.resources // [] | length') == 0 ]]"
  leftovers() {
    local c ns rc=0 left
    for c in "${CLUSTERS[@]}"; do
      for ns in istio-system mesh-access team-a; do
        for _ in $(seq 60); do kc "$c" get ns "$ns" >/dev/null 2>&1 || break; sleep 1; done
        kc "$c" get ns "$ns" >/dev/null 2>&1 && { echo "$c: namespace $ns still exists"; rc=1; }
      done
      left="$(kc "$c" get mutatingwebhookconfigurations,validatingwebhookconfigurations,clusterroles,clusterrolebindings -o name | grep -i istio)"
      [[ -z $left ]] || { echo "$c: left behind: $left"; rc=1; }
    done
    return $rc
  }
  check "nothing left in the clusters (istio-system, team namespaces, Istio webhooks, cluster roles and bindings gone)" leftovers
  # Istio's base chart marks its CRDs helm.sh/resource-policy: keep, so Helm (and thus
  # `pulumi destroy`) leaves them, with their Helm ownership, for a later install to adopt.
  kept="$(kc c1 get crd -o name | grep -c 'istio\.io' || true)"
  ((kept == 0)) || echo "NOTE: $kept Istio CRDs per cluster kept by the base chart (helm.sh/resource-policy: keep); remove with: kubectl delete crd -l app.kubernetes.io/part-of=istio"
fi
[[ ${E2E_CLUSTERS_DOWN:-} == 1 ]] && bash scripts/local-clusters.sh down
finish
