#!/usr/bin/env bash
# Local Kubernetes clusters for the `local` stack and the e2e test: kwok's binary runtime
# (real etcd, kube-apiserver, kube-controller-manager, kube-scheduler; fake nodes and pods),
# all on this host, built by scripts/toolchain.sh, plus a "local cloud" (scripts/local-cloud/)
# that gives them what EKS and AKS would. Nothing is downloaded.
#
#   bash scripts/local-clusters.sh up [N]   start clusters c1..cN (default 4) and the local cloud; idempotent
#   bash scripts/local-clusters.sh down     stop and remove every local cluster, the local cloud and its state
#   bash scripts/local-clusters.sh status   list the clusters, their nodes and the local cloud
#
# The local world is meant to fail where the clouds fail (test/e2e/README.md). Each cluster cI gets:
#   - kube-apiserver on https://127.0.0.1:$((LOCAL_CLUSTERS_PORT_BASE + I)) (default base 32400), with
#     admission webhooks on and --enable-aggregator-routing: a webhook Service resolves to its
#     endpoints' IP:targetPort, as on EKS and GKE, whose control planes reach pods directly;
#   - kube-controller-manager with the service-account key, so the token controller fills
#     `kubernetes.io/service-account-token` Secrets (token, ca.crt) as on a real cluster;
#   - LOCAL_CLUSTERS_NODES (default 3, at most 4) fake nodes labelled topology.kubernetes.io/region=local-I
#     and /zone=local-I{a,b,c,d}, with pod CIDRs in 198.19.I.0/24;
#   - load balancers from the local cloud at 198.18.I.x; the clusters in LOCAL_CLUSTERS_HOSTNAME_LBS
#     (default "1") report a DNS name instead, as an AWS NLB does, resolvable through /etc/hosts;
#   - 198.18.0.0/15 routed to this host (`ip route add local ... dev lo`), where the local cloud
#     delivers 15012/15017 to the istiod it runs for each primary (pilot-discovery from the toolchain)
#     only along paths that exist in the cluster (scripts/local-cloud/forwarder.mjs);
#   - kwok's default node/pod stages (taken from the kwok module, since a config with any Stage
#     replaces the defaults), except that istiod pods turn Ready only once their istiod serves;
#   - a self-contained kubeconfig at $MESH_LOCAL_STATE/clusters/cI/kubeconfig (context kwok-mesh-cI).
# LOCAL_CLUSTERS_WEBHOOKS=off is the quick loop: admission webhooks disabled, no istiod on the host,
# the gateway pods never injected. The e2e always runs with webhooks on.
set -euo pipefail
LOG_TAG=clusters
# shellcheck source=local-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/local-env.sh"

PORT_BASE="${LOCAL_CLUSTERS_PORT_BASE:-32400}"
NODES="${LOCAL_CLUSTERS_NODES:-3}"
WEBHOOKS="${LOCAL_CLUSTERS_WEBHOOKS:-on}"
HOSTNAME_LBS=" ${LOCAL_CLUSTERS_HOSTNAME_LBS-1} "
PREFIX=mesh-
CLUSTERS_DIR="$MESH_LOCAL_STATE/clusters"
CLOUD_DIR="$MESH_LOCAL_STATE/local-cloud"
LOCAL_RANGE=198.18.0.0/15
HOSTS_FILE="${LOCAL_CLUSTERS_HOSTS_FILE:-/etc/hosts}"
((NODES >= 1 && NODES <= 4)) || die "LOCAL_CLUSTERS_NODES must be 1..4 (each node gets a /26 of 198.19.I.0/24)"

kwok_module_dir() {
  local v="${KWOK_VERSION:-}"
  [[ -z $v ]] && v="$(sed -n 's/^KWOK_VERSION=//p' "$MESH_REPO/scripts/toolchain/versions.env" 2>/dev/null)"
  v="${v:-0.8.0}"
  local d
  d="$(go env GOMODCACHE 2>/dev/null)/sigs.k8s.io/kwok@v$v"
  if [[ ! -d $d/kustomize/stage ]]; then
    d="$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kwok@v$v" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir||""))')"
  fi
  [[ -d $d/kustomize/stage ]] || die "kwok module v$v not found (needed for its default stages)"
  echo "$d"
}

# kwokctl configuration: component args plus every Stage (kwok's defaults, one of them adapted).
write_config() {
  local file=$1 mod f
  mod="$(kwok_module_dir)"
  {
    cat <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  kubeAuthorization: true
  # "kubectl port-forward" to a pod (istioctl reads istiod's /debug/* that way) goes from the API
  # server to the node's "kubelet", kwok's server, and kwok's PortForward objects say where each
  # pod's ports lead: the local cloud keeps one per istiod pod, for its monitoring port only.
  enableCRDs: [PortForward]
componentsPatches:
- name: kube-apiserver
  extraArgs:
EOF
    if [[ $WEBHOOKS == on ]]; then
      echo '  - {key: enable-aggregator-routing, value: "true"}'
    else
      echo '  - {key: disable-admission-plugins, value: "MutatingAdmissionWebhook,ValidatingAdmissionWebhook"}'
    fi
    # kwok's default stages (kustomize/stage/fast: node/fast, node/heartbeat-with-lease, pod/fast).
    for f in "$mod"/kustomize/stage/node/fast/*.yaml "$mod"/kustomize/stage/node/heartbeat-with-lease/*.yaml "$mod"/kustomize/stage/pod/fast/*.yaml; do
      [[ $(basename "$f") == kustomization.yaml ]] && continue
      echo "---"
      if [[ $WEBHOOKS == on && $(basename "$f") == pod-ready.yaml ]]; then istiod_ready_stages "$f"; else cat "$f"; fi
    done
  } >"$file"
}

# With istiod running on the host, its pods must not be Ready before it serves (Helm waits on
# them, and a webhook with failurePolicy Fail would refuse pods meanwhile): pod-ready skips istiod
# pods, and a copy of it readies them once the local cloud has annotated them as serving.
istiod_ready_stages() {
  local f=$1 app="    - key: '.metadata.labels.app'"
  awk -v add="$app
      operator: 'NotIn'
      values: ['istiod']" '{print} /^    matchExpressions:$/ {print add}' "$f"
  echo "---"
  sed -e 's/^  name: pod-ready$/  name: pod-ready-istiod/' "$f" | awk -v add="$app
      operator: 'In'
      values: ['istiod']
    - key: '.metadata.annotations[\"local.mesh.test/istiod-serving\"]'
      operator: 'In'
      values: ['true']" '{print} /^    matchExpressions:$/ {print add}'
}

nodes_manifest() {
  local i=$1 n zones=(a b c d e f)
  for ((n = 1; n <= NODES; n++)); do
    local z="local-$i${zones[$(((n - 1) % 6))]}"
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: c$i-node-$n
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: c$i-node-$n
    kubernetes.io/os: linux
    node-role.kubernetes.io/agent: ""
    type: kwok
    topology.kubernetes.io/region: local-$i
    topology.kubernetes.io/zone: $z
spec:
  podCIDR: 198.19.$i.$((64 * (n - 1)))/26
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
EOF
  done
}

kc() { local i=$1; shift; kubectl --kubeconfig "$CLUSTERS_DIR/c$i/kubeconfig" "$@"; }

wait_for() {  # wait_for SECONDS DESCRIPTION CMD...
  local t=$1 what=$2; shift 2
  local deadline=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${t}s waiting for $what"
    sleep 0.5
  done
}

token_filled() {
  local i=$1
  [[ -n $(kc "$i" -n kube-system get secret mesh-token-probe -o jsonpath='{.data.token}{.data.ca\.crt}' 2>/dev/null) ]] &&
    [[ -n $(kc "$i" -n kube-system get secret mesh-token-probe -o jsonpath='{.data.ca\.crt}' 2>/dev/null) ]]
}
lb_ready() {
  [[ -n $(kc "$1" -n default get svc mesh-lb-probe -o jsonpath='{.status.loadBalancer.ingress[0]}' 2>/dev/null) ]]
}

create_cluster() {
  local i=$1 name=$2 dir=$3
  flock -o "$KWOK_WORKDIR/.create.lock" kwokctl create cluster --name "$name" --config "$dir/kwok.yaml" --runtime binary \
    --kube-apiserver-port "$((PORT_BASE + i))" --kubeconfig "" --wait 120s \
    --kube-apiserver-binary "$KWOK_KUBE_APISERVER_BINARY" \
    --kube-controller-manager-binary "$KWOK_KUBE_CONTROLLER_MANAGER_BINARY" \
    --kube-scheduler-binary "$KWOK_KUBE_SCHEDULER_BINARY" \
    --kwok-controller-binary "$KWOK_CONTROLLER_BINARY" \
    --etcd-binary "$KWOK_ETCD_BINARY" >>"$dir/create.log" 2>&1
}

up_one() {
  local i=$1 name="${PREFIX}c$i" dir="$CLUSTERS_DIR/c$i" start
  start=$(now)
  mkdir -p "$dir"
  if kwokctl get clusters 2>/dev/null | grep -qx "$name"; then
    if kc "$i" get --raw /readyz >/dev/null 2>&1; then log "c$i: already running ($(kc "$i" config view -o jsonpath='{.clusters[0].cluster.server}'))"; return; fi
    log "c$i: exists but is not answering; starting it"
    flock -o "$KWOK_WORKDIR/.create.lock" kwokctl start cluster --name "$name" >&2 || die "c$i: kwokctl start failed"
  else
    write_config "$dir/kwok.yaml"
    : >"$dir/create.log"
    log "c$i: creating (kwok binary runtime, apiserver port $((PORT_BASE + i)))"
    # kwokctl picks free ports for etcd, controllers etc. when it starts them: serialise the
    # creations (a few seconds each), or parallel ones pick the same ports.
    # A creation interrupted earlier (a killed run, a full disk) leaves a cluster kwokctl does not
    # list but will not create again ("already exists", then its CRDs fail): remove it, once.
    create_cluster "$i" "$name" "$dir" || {
      log "c$i: creation failed; removing what it left and creating it again"
      kwokctl delete cluster --name "$name" >>"$dir/create.log" 2>&1 || true
      create_cluster "$i" "$name" "$dir"
    } || { tail -30 "$dir/create.log" >&2; die "c$i: kwokctl create failed (log: $dir/create.log)"; }
  fi
  # A self-contained kubeconfig (certificates inlined) with a stable path.
  kubectl --kubeconfig "$KWOK_WORKDIR/clusters/$name/kubeconfig.yaml" config view --minify --flatten >"$dir/kubeconfig.tmp"
  chmod 600 "$dir/kubeconfig.tmp"; mv -f "$dir/kubeconfig.tmp" "$dir/kubeconfig"
  wait_for 180 "c$i apiserver" kc "$i" get --raw /readyz
  nodes_manifest "$i" | kc "$i" apply -f - >/dev/null
  wait_for 60 "c$i nodes Ready" kc "$i" wait --for=condition=Ready node --all --timeout=2s
  # The token controller must fill service-account-token Secrets (remote secrets need them).
  wait_for 60 "c$i default ServiceAccount" kc "$i" -n kube-system get serviceaccount default
  kc "$i" -n kube-system apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: mesh-token-probe
  annotations: {kubernetes.io/service-account.name: default}
type: kubernetes.io/service-account-token
EOF
  wait_for 60 "c$i token controller to fill a service-account-token Secret" token_filled "$i"
  kc "$i" -n kube-system delete secret mesh-token-probe --wait=false >/dev/null
  log "c$i: ready in $(elapsed "$start")s: $(kc "$i" config view -o jsonpath='{.clusters[0].cluster.server}'), $NODES nodes, kubeconfig $dir/kubeconfig"
}

# LoadBalancer Services get an address from the local cloud.
lb_probe() {
  local i=$1
  kc "$i" -n default create service loadbalancer mesh-lb-probe --tcp=80:80 >/dev/null 2>&1 || true
  wait_for 60 "c$i LoadBalancer address from the local cloud" lb_ready "$i"
  kc "$i" -n default delete service mesh-lb-probe --wait=false >/dev/null
}

cloud_running() { [[ -f $CLOUD_DIR/pid ]] && kill -0 "$(cat "$CLOUD_DIR/pid")" 2>/dev/null; }

# The local cloud (scripts/local-cloud/main.mjs) for clusters 1..n; restarted when its config changes.
cloud_up() {
  local n=$1 i lb clusters=()
  mkdir -p "$CLOUD_DIR"
  ip route replace local "$LOCAL_RANGE" dev lo || die "cannot route $LOCAL_RANGE to this host (ip route needs CAP_NET_ADMIN)"
  for ((i = 1; i <= n; i++)); do
    lb=ip; [[ $HOSTNAME_LBS == *" $i "* ]] && lb=hostname
    clusters+=("$(jq -nc --arg n "c$i" --argjson i "$i" --arg k "$CLUSTERS_DIR/c$i/kubeconfig" --arg lb "$lb" '{name: $n, index: $i, kubeconfig: $k, lb: $lb}')")
  done
  local config
  config="$(jq -nc --arg hosts "$HOSTS_FILE" --arg state "$CLOUD_DIR" --arg pd "$(command -v pilot-discovery || true)" --argjson webhooks "$([[ $WEBHOOKS == on ]] && echo true || echo false)" \
    --argjson clusters "[$(IFS=,; echo "${clusters[*]}")]" '{hostsFile: $hosts, stateDir: $state, pilotDiscovery: $pd, webhooks: $webhooks, clusters: $clusters}')"
  if cloud_running && [[ $(cat "$CLOUD_DIR/config.json" 2>/dev/null) == "$config" ]]; then log "local cloud: already running"; return; fi
  cloud_down
  [[ $WEBHOOKS != on ]] || command -v pilot-discovery >/dev/null || die "pilot-discovery not found (bash scripts/toolchain.sh istio)"
  echo "$config" >"$CLOUD_DIR/config.json"
  # Outlives this script: it must not keep the caller's descriptors, such as a lock held around
  # this run (flock), which would stay held for as long as the clusters are up.
  (
    for fd in $(ls /proc/$BASHPID/fd); do ((fd > 2)) && eval "exec $fd>&-"; done 2>/dev/null
    exec setsid node "$MESH_REPO/scripts/local-cloud/main.mjs" "$CLOUD_DIR/config.json"
  ) >>"$CLOUD_DIR/log" 2>&1 </dev/null &
  echo $! >"$CLOUD_DIR/pid"
  log "local cloud started (pid $(cat "$CLOUD_DIR/pid"), log $CLOUD_DIR/log)"
}

cloud_down() {
  if cloud_running; then
    local pid; pid="$(cat "$CLOUD_DIR/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$CLOUD_DIR/pid"
  # The istiods it started stop with it; make sure none outlives it (pilot-discovery can hang in its
  # shutdown: SIGKILL after 5 s, as a deleted cluster's pods are gone).
  local istiods="pilot-discovery(-[0-9.]+)? .*--kubeconfig=$CLUSTERS_DIR/"
  pkill -f "$istiods" 2>/dev/null || true
  for _ in $(seq 50); do pgrep -f "$istiods" >/dev/null || break; sleep 0.1; done
  pkill -KILL -f "$istiods" 2>/dev/null || true
  node -e 'import(process.argv[1]).then((m) => m.HostsFile.clear(process.argv[2]))' "$MESH_REPO/scripts/local-cloud/lb.mjs" "$HOSTS_FILE" 2>/dev/null || true
}

cmd_up() {
  local n=${1:-4} i
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "usage: $0 up [N]"
  ensure_packages jq ip:iproute2
  need_tools kwokctl kwok kubectl kube-apiserver kube-controller-manager kube-scheduler etcd jq ip
  : "${KWOK_KUBE_APISERVER_BINARY:=$(command -v kube-apiserver)}" "${KWOK_KUBE_CONTROLLER_MANAGER_BINARY:=$(command -v kube-controller-manager)}"
  : "${KWOK_KUBE_SCHEDULER_BINARY:=$(command -v kube-scheduler)}" "${KWOK_CONTROLLER_BINARY:=$(command -v kwok)}" "${KWOK_ETCD_BINARY:=$(command -v etcd)}"
  mkdir -p "$CLUSTERS_DIR" "$KWOK_WORKDIR"
  local start; start=$(now)
  # Create in parallel; each cluster is independent.
  local pids=() failed=0
  for ((i = 1; i <= n; i++)); do up_one "$i" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  ((failed == 0)) || die "some clusters failed to start"
  cloud_up "$n"
  pids=()
  for ((i = 1; i <= n; i++)); do lb_probe "$i" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  ((failed == 0)) || die "the local cloud gives no load-balancer addresses (log: $CLOUD_DIR/log)"
  log "$n cluster(s) up in $(elapsed "$start")s (webhooks $WEBHOOKS; hostname load balancers on:${HOSTNAME_LBS% })"
}

cmd_down() {
  local name
  cloud_down
  ip route del local "$LOCAL_RANGE" dev lo 2>/dev/null || true
  if command -v kwokctl >/dev/null && [[ -d $KWOK_WORKDIR/clusters ]]; then
    local pids=() p
    for name in $(kwokctl get clusters 2>/dev/null | grep "^$PREFIX" || true); do
      for p in "$KWOK_WORKDIR/clusters/$name"/pids/*.pid; do [[ -f $p ]] && pids+=("$(cat "$p")"); done
      log "deleting $name"
      kwokctl delete cluster --name "$name" >/dev/null 2>&1 || log "WARNING: kwokctl delete $name failed"
    done
    # kwokctl returns before its processes are gone: wait for exactly those, then insist.
    local deadline=$((SECONDS + 20))
    for p in "${pids[@]}"; do
      while kill -0 "$p" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
      kill -0 "$p" 2>/dev/null && { log "process $p still running; sending TERM"; kill "$p" 2>/dev/null || true; }
    done
  fi
  rm -rf "$CLUSTERS_DIR" "$KWOK_WORKDIR" "$CLOUD_DIR"
  log "local clusters removed"
}

cmd_status() {
  local name i
  if cloud_running; then echo "local cloud: running (pid $(cat "$CLOUD_DIR/pid"), log $CLOUD_DIR/log)"; else echo "local cloud: not running"; fi
  [[ -d $KWOK_WORKDIR/clusters ]] || { echo "no local clusters"; return 0; }
  for name in $(kwokctl get clusters 2>/dev/null | grep "^$PREFIX" || true); do
    i=${name#"${PREFIX}c"}
    if kc "$i" get --raw /readyz >/dev/null 2>&1; then
      echo "$name: running at $(kc "$i" config view -o jsonpath='{.clusters[0].cluster.server}'), kubeconfig $CLUSTERS_DIR/c$i/kubeconfig"
      kc "$i" get nodes -L topology.kubernetes.io/region,topology.kubernetes.io/zone --no-headers | sed 's/^/    /'
    else
      echo "$name: not answering"
    fi
  done
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up [N] | down | status" >&2; exit 2 ;;
esac
