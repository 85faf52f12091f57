#!/usr/bin/env bash
# Builds the local toolchain of the mesh stack from pinned Go modules, with the
# machine's Go, into a cache outside the checkout:
#
#   $MESH_TOOLCHAIN_DIR (default ~/.cache/mesh-toolchain)
#     bin/            pulumi, pulumi-language-nodejs, pulumi-resource-pulumi-nodejs,
#                     kube-apiserver, kube-controller-manager, kube-scheduler,
#                     kubectl, etcd, kwok, kwokctl, istioctl, pilot-discovery, actionlint,
#                     prometheus, promtool, pilot-discovery-<ISTIO_PREV_VERSION>
#     pulumi-home/    PULUMI_HOME: plugin store with the provider plugins
#     istio-charts/<version>/{base,istiod,gateway}   (ISTIO_VERSION and ISTIO_PREV_VERSION)
#     stamps/         one file per tool: hash of its pins + recipe
#     env.sh          `source` it to get PATH, PULUMI_HOME, MESH_ISTIO_CHARTS, ...
#
# Usage: bash scripts/toolchain.sh [TOOL...]   (default: all tools)
#        bash scripts/toolchain.sh --check [TOOL...]   exit 0 if built at the current pins; builds nothing
#   TOOLS: pulumi langhost kubernetes k8s etcd kwok istio actionlint prometheus (default),
#          istio_prev (only when named)
# Env:   MESH_TOOLCHAIN_DIR   cache directory
#        MESH_TOOLCHAIN_JOBS  go build -p (default 2)
#        MESH_TOOLCHAIN_SKIP_LOCK_CHECK=1  build even if package-lock.json
#                             disagrees with scripts/toolchain/versions.env
# Pins and how to bump them: scripts/toolchain/README.md, versions.env.
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
REPO="$(cd "$(dirname "$SELF")/.." && pwd)"
SPEC="$REPO/scripts/toolchain"
# shellcheck source=toolchain/versions.env
source "$SPEC/versions.env"

DIR="${MESH_TOOLCHAIN_DIR:-$HOME/.cache/mesh-toolchain}"
BIN="$DIR/bin"
STAMPS="$DIR/stamps"
WORK="$DIR/work"
PHOME="$DIR/pulumi-home"
CHARTS="$DIR/istio-charts/$ISTIO_VERSION"
JOBS="${MESH_TOOLCHAIN_JOBS:-2}"
DEFAULT_TOOLS=(pulumi langhost kubernetes k8s etcd kwok istio actionlint prometheus)
# The second Istio serves only the day-two suite's upgrade walk (test/e2e/day-two.sh builds it).
ALL_TOOLS=("${DEFAULT_TOOLS[@]}" istio_prev)

# Go settings: module and build caches stay at Go's defaults (shared with other
# work); only what this script needs is forced here.
export GOTOOLCHAIN=local          # never download another Go
export GOFLAGS="-mod=readonly -trimpath -buildvcs=false"
export CGO_ENABLED=0
# Module versions the proxy serves but the checksum database does not know;
# their hashes are pinned in the go.sum files under scripts/toolchain/.
export GONOSUMDB="github.com/pulumi/pulumi-kubernetes/provider,github.com/openshift/api"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

log() { printf '[toolchain] %s\n' "$*" >&2; }
die() { printf '[toolchain] ERROR: %s\n' "$*" >&2; exit 1; }
gobuild() { nice -n 10 go build -p "$JOBS" "$@"; }

command -v go >/dev/null || die "go not found on PATH"
GO_VERSION="$(go env GOVERSION)"

# ---------------------------------------------------------------- lockfile
check_lockfile() {
  local lock="$REPO/package-lock.json"
  if [[ ! -f $lock ]]; then log "no package-lock.json: skipping the npm version check"; return; fi
  command -v node >/dev/null || die "node is needed to read $lock"
  local out
  out="$(node -e '
    const l = require(process.argv[1]); const p = l.packages || {};
    for (const n of ["@pulumi/pulumi", "@pulumi/kubernetes", "@pulumi/tls"]) {
      const e = p["node_modules/" + n]; console.log(n + "=" + (e ? e.version : ""));
    }' "$lock")"
  local bad=0 name have want
  while IFS='=' read -r name have; do
    case $name in
      @pulumi/pulumi) want=$PULUMI_VERSION ;;
      @pulumi/kubernetes) want=$KUBERNETES_PROVIDER_VERSION ;;
      @pulumi/tls) want=$TLS_PROVIDER_VERSION ;;
    esac
    [[ -z $have ]] && continue
    if [[ -z $want ]]; then
      log "WARNING: package-lock.json has $name $have but no plugin for it can be built here (see versions.env)"
    elif [[ $have != "$want" ]]; then
      log "MISMATCH: package-lock.json has $name $have, scripts/toolchain/versions.env pins $want"
      bad=1
    fi
  done <<<"$out"
  if ((bad)); then
    [[ ${MESH_TOOLCHAIN_SKIP_LOCK_CHECK:-} == 1 ]] && { log "MESH_TOOLCHAIN_SKIP_LOCK_CHECK=1: building the pinned versions anyway"; return; }
    die "align package.json (npm install) with scripts/toolchain/versions.env, or bump the pins (scripts/toolchain/README.md)"
  fi
}

# ---------------------------------------------------------------- helpers
# Prepare $WORK/<tool> as a wrapper module from scripts/toolchain/<tool>/.
wrapper() {
  local tool=$1 w="$WORK/$1"
  rm -rf "$w"; mkdir -p "$w"
  cp "$SPEC/$tool/go.mod" "$SPEC/$tool/go.sum" "$w/"
  echo "$w"
}
# Directory of a module in the module cache (downloads it if needed).
moddir() {
  go mod download -json "$1" | node -e '
    let s=""; process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);
    if (j.Error) { console.error(j.Error); process.exit(1) } console.log(j.Dir)})'
}
# Install freshly built files from $1 into $BIN atomically-ish.
install_bins() {
  local from=$1; shift
  mkdir -p "$BIN"
  local f
  for f in "$@"; do mv -f "$from/$f" "$BIN/$f.new" && mv -f "$BIN/$f.new" "$BIN/$f"; done
}

# ---------------------------------------------------------------- recipes
# Each build_<tool> builds into a temp dir then moves into $BIN; outputs_<tool>
# lists what must exist for the stamp to count.

outputs_pulumi() { echo "$BIN/pulumi $BIN/pulumi-resource-pulumi-nodejs"; }
build_pulumi() {
  local w; w=$(wrapper pulumi)
  (cd "$w" && gobuild -tags osusergo,grpcnotrace -o out/pulumi \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  # Dynamic providers (pulumi.dynamic) run through this small launcher script
  # that ships in the sdk module next to the language host sources.
  local sdk; sdk=$(cd "$w" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
  install -m 0755 "$sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$w/out/"
  install_bins "$w/out" pulumi pulumi-resource-pulumi-nodejs
}

outputs_langhost() { echo "$BIN/pulumi-language-nodejs $BIN/pulumi-language-nodejs-host"; }
build_langhost() {
  local w; w=$(wrapper langhost)
  (cd "$w" && gobuild -o out/pulumi-language-nodejs-host \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$LANGHOST_SDK_VERSION" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
  # The v3.68 host takes runtime options only as flags, which CLI 3.259 no longer passes, so it
  # would load ts-node for every program. The CLI starts it in the program's directory: pass the
  # project's `typescript: false` on, as a current host reads it from Pulumi.yaml.
  cat >"$w/out/pulumi-language-nodejs" <<'SH'
#!/bin/sh
host="$(dirname "$0")/pulumi-language-nodejs-host"
if grep -Eq '^[[:space:]]+typescript:[[:space:]]*false[[:space:]]*$' Pulumi.yaml 2>/dev/null; then
  exec "$host" -typescript=false "$@"
fi
exec "$host" "$@"
SH
  chmod +x "$w/out/pulumi-language-nodejs"
  install_bins "$w/out" pulumi-language-nodejs-host pulumi-language-nodejs
}

outputs_kubernetes() { echo "$PHOME/plugins/resource-kubernetes-v$KUBERNETES_PROVIDER_VERSION/pulumi-resource-kubernetes"; }
build_kubernetes() {
  [[ -x $BIN/pulumi ]] || die "kubernetes provider: pulumi must be built first"
  local mod="github.com/pulumi/pulumi-kubernetes/provider/v4@$KUBERNETES_PROVIDER_MODVER"
  local src w="$WORK/kubernetes"
  src=$(moddir "$mod")
  rm -rf "$w"; mkdir -p "$w"; cp -r "$src/." "$w/"; chmod -R u+w "$w"
  # The module replaces its sdk with ../sdk (not in the zip): use the
  # published sdk/v4 of the same release instead; hashes in go.sum.extra.
  (cd "$w" && go mod edit -dropreplace github.com/pulumi/pulumi-kubernetes/sdk/v4 \
                           -require "github.com/pulumi/pulumi-kubernetes/sdk/v4@v$KUBERNETES_PROVIDER_VERSION" \
     && cat "$SPEC/kubernetes/go.sum.extra" >>go.sum)
  # schema-embed.json / terraform-mapping-embed.json are generated (git-ignored).
  (cd "$w/cmd/pulumi-resource-kubernetes" && VERSION="$KUBERNETES_PROVIDER_VERSION" nice -n 10 go generate ./main.go)
  (cd "$w" && gobuild -o out/pulumi-resource-kubernetes \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION" \
    ./cmd/pulumi-resource-kubernetes)
  PULUMI_HOME="$PHOME" "$BIN/pulumi" plugin install resource kubernetes "$KUBERNETES_PROVIDER_VERSION" \
    --file "$w/out/pulumi-resource-kubernetes" --reinstall >&2
  rm -rf "$w"   # a copy of the module source; not needed once installed
}

outputs_k8s() { echo "$BIN/kube-apiserver $BIN/kube-controller-manager $BIN/kube-scheduler $BIN/kubectl"; }
build_k8s() {
  local w; w=$(wrapper k8s)
  local v=$KUBERNETES_VERSION minor
  minor=$(cut -d. -f2 <<<"$v")
  local p=k8s.io/component-base/version cv=k8s.io/client-go/pkg/version
  local ld="-s -w"
  local x
  for x in $p $cv; do
    ld+=" -X $x.gitVersion=v$v -X $x.gitMajor=1 -X $x.gitMinor=$minor -X $x.gitTreeState=clean -X $x.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$w" && gobuild -o out/ -ldflags "$ld" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  install_bins "$w/out" kube-apiserver kube-controller-manager kube-scheduler kubectl
}

outputs_etcd() { echo "$BIN/etcd"; }
build_etcd() {
  local w; w=$(wrapper etcd)
  (cd "$w" && gobuild -o out/etcd -ldflags "-s -w" go.etcd.io/etcd/server/v3)
  install_bins "$w/out" etcd
}

outputs_kwok() { echo "$BIN/kwok $BIN/kwokctl"; }
build_kwok() {
  local w; w=$(wrapper kwok)
  # (the module's pkg/consts already carries Version = the module version)
  (cd "$w" && gobuild -o out/ -ldflags "-s -w" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl)
  install_bins "$w/out" kwok kwokctl
}

outputs_istio() { echo "$BIN/istioctl $BIN/pilot-discovery $CHARTS/base/Chart.yaml $CHARTS/istiod/Chart.yaml $CHARTS/gateway/Chart.yaml"; }
build_istio() {
  local w; w=$(wrapper istio)
  local x=istio.io/istio/pkg/version
  (cd "$w" && gobuild -o out/ \
    -ldflags "-s -w -X $x.buildVersion=$ISTIO_VERSION -X $x.buildGitRevision=$ISTIO_COMMIT -X $x.buildStatus=Clean -X $x.buildTag=$ISTIO_VERSION -X $x.buildHub=$ISTIO_HUB" \
    istio.io/istio/istioctl/cmd/istioctl istio.io/istio/pilot/cmd/pilot-discovery)
  install_bins "$w/out" istioctl pilot-discovery
  # Charts, copied out of the module (read-only in the module cache).
  local src; src=$(cd "$w" && go list -m -f '{{.Dir}}' istio.io/istio)
  rm -rf "$CHARTS.tmp"; mkdir -p "$CHARTS.tmp"
  cp -r "$src/manifests/charts/base" "$CHARTS.tmp/base"
  cp -r "$src/manifests/charts/istio-control/istio-discovery" "$CHARTS.tmp/istiod"
  cp -r "$src/manifests/charts/gateway" "$CHARTS.tmp/gateway"
  chmod -R u+w "$CHARTS.tmp"
  # In the source tree the charts say version 1.0.0 and default to test images
  # (gcr.io/istio-testing:latest); set what the release charts carry.
  sed -i -E "s/^(version|appVersion): 1\.0\.0\$/\1: $ISTIO_VERSION/" "$CHARTS.tmp"/*/Chart.yaml
  sed -i -E -e "s#^(\s+hub: )gcr\.io/istio-testing\$#\1$ISTIO_HUB#" -e "s#^(\s+tag: )latest\$#\1$ISTIO_VERSION#" \
    "$CHARTS.tmp/istiod/values.yaml"
  rm -rf "$CHARTS"; mv "$CHARTS.tmp" "$CHARTS"
}

# The Istio release the day-two e2e upgrades FROM (a canary revision of
# ISTIO_VERSION is installed next to it): only pilot-discovery and the charts.
# A recipe of its own rather than a shared helper with build_istio, because
# build_istio's text is part of the istio stamp (changing it would rebuild the
# cached ISTIO_VERSION for nothing).
PREV_CHARTS="$DIR/istio-charts/$ISTIO_PREV_VERSION"
outputs_istio_prev() { echo "$BIN/pilot-discovery-$ISTIO_PREV_VERSION $PREV_CHARTS/base/Chart.yaml $PREV_CHARTS/istiod/Chart.yaml $PREV_CHARTS/gateway/Chart.yaml"; }
build_istio_prev() {
  local w; w=$(wrapper istio_prev)
  local x=istio.io/istio/pkg/version
  # The proxy serves these pseudo-versions but the checksum database does not
  # know them; their hashes are pinned in scripts/toolchain/istio_prev/go.sum.
  (cd "$w" && mkdir -p out && GONOSUMDB="$GONOSUMDB,istio.io/istio" gobuild -o out/pilot-discovery \
    -ldflags "-s -w -X $x.buildVersion=$ISTIO_PREV_VERSION -X $x.buildGitRevision=$ISTIO_PREV_COMMIT -X $x.buildStatus=Clean -X $x.buildTag=$ISTIO_PREV_VERSION -X $x.buildHub=$ISTIO_HUB" \
    istio.io/istio/pilot/cmd/pilot-discovery)
  mv -f "$w/out/pilot-discovery" "$w/out/pilot-discovery-$ISTIO_PREV_VERSION"
  install_bins "$w/out" "pilot-discovery-$ISTIO_PREV_VERSION"
  local src; src=$(cd "$w" && GONOSUMDB="$GONOSUMDB,istio.io/istio" go list -m -f '{{.Dir}}' istio.io/istio)
  local c=$PREV_CHARTS
  rm -rf "$c.tmp"; mkdir -p "$c.tmp"
  cp -r "$src/manifests/charts/base" "$c.tmp/base"
  cp -r "$src/manifests/charts/istio-control/istio-discovery" "$c.tmp/istiod"
  cp -r "$src/manifests/charts/gateway" "$c.tmp/gateway"
  chmod -R u+w "$c.tmp"
  sed -i -E "s/^(version|appVersion): 1\.0\.0\$/\1: $ISTIO_PREV_VERSION/" "$c.tmp"/*/Chart.yaml
  sed -i -E -e "s#^(\s+hub: )gcr\.io/istio-testing\$#\1$ISTIO_HUB#" -e "s#^(\s+tag: )latest\$#\1$ISTIO_PREV_VERSION#" \
    "$c.tmp/istiod/values.yaml"
  rm -rf "$c"; mv "$c.tmp" "$c"
}

# actionlint lints .github/workflows in `npm test` (scripts/ci/lint-workflows.sh).
outputs_actionlint() { echo "$BIN/actionlint"; }
build_actionlint() {
  local w; w=$(wrapper actionlint)
  # Built from a wrapper module, whose build info carries no actionlint version: set it.
  (cd "$w" && gobuild -o out/actionlint -ldflags "-s -w -X github.com/rhysd/actionlint.version=v$ACTIONLINT_VERSION" \
    github.com/rhysd/actionlint/cmd/actionlint)
  install_bins "$w/out" actionlint
}

# promtool checks the generated Prometheus configurations and prometheus loads the global one in
# `npm test` (test/prometheus.test.ts; built there by scripts/ci/pretest.sh when missing).
outputs_prometheus() { echo "$BIN/prometheus $BIN/promtool"; }
build_prometheus() {
  local w; w=$(wrapper prometheus)
  # Without the `builtinassets` tag (the official build's): the web UI's assets are generated by
  # an npm build and absent from the module, so the UI is not served; the API and /federate are.
  local v=github.com/prometheus/common/version
  # Only the service discoveries the generated configurations use (PROMETHEUS_BUILD_TAGS, with why),
  # which leaves the cloud SDKs (AWS, Azure, GCE, ...) out of the build (scripts/toolchain/README.md: times).
  (cd "$w" && gobuild -tags "$PROMETHEUS_BUILD_TAGS" -o out/ \
    -ldflags "-s -w -X $v.Version=$PROMETHEUS_VERSION -X $v.Revision=$PROMETHEUS_MODVER -X $v.Branch=HEAD -X $v.BuildUser=mesh-toolchain -X $v.BuildDate=19700101-00:00:00" \
    github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool)
  install_bins "$w/out" prometheus promtool
}

# ---------------------------------------------------------------- driver
# The stamp hashes: the tool's pins and wrapper files, its recipe (the bash
# functions), the shared helpers and the Go version.
PINS_pulumi="PULUMI_VERSION PULUMI_PKG_COMMIT PULUMI_SDK_COMMIT"
PINS_langhost="LANGHOST_SDK_VERSION"
PINS_kubernetes="KUBERNETES_PROVIDER_VERSION KUBERNETES_PROVIDER_COMMIT KUBERNETES_PROVIDER_MODVER"
PINS_k8s="KUBERNETES_VERSION"
PINS_etcd="ETCD_VERSION"
PINS_kwok="KWOK_VERSION"
PINS_istio="ISTIO_VERSION ISTIO_COMMIT ISTIO_MODVER ISTIO_HUB"
PINS_istio_prev="ISTIO_PREV_VERSION ISTIO_PREV_COMMIT ISTIO_PREV_MODVER ISTIO_HUB"
PINS_actionlint="ACTIONLINT_VERSION"
PINS_prometheus="PROMETHEUS_VERSION PROMETHEUS_MODVER PROMETHEUS_BUILD_TAGS"
stamp_of() {
  local tool=$1 v pins="PINS_$1"
  {
    echo "go=$GO_VERSION"
    for v in ${!pins}; do echo "$v=${!v}"; done
    [[ -d $SPEC/$tool ]] && find "$SPEC/$tool" -type f | LC_ALL=C sort | xargs cat
    declare -f "build_$tool" "outputs_$tool" wrapper moddir install_bins gobuild
    echo "GOFLAGS=$GOFLAGS CGO_ENABLED=$CGO_ENABLED"
  } | sha256sum | cut -c1-32
}

up_to_date() {
  local tool=$1 f
  [[ -f $STAMPS/$tool && $(cat "$STAMPS/$tool") == "$(stamp_of "$tool")" ]] || return 1
  for f in $("outputs_$tool"); do [[ -e $f ]] || return 1; done
}

write_env() {
  local tmp="$DIR/env.sh.tmp"
  cat >"$tmp" <<EOF
# Generated by scripts/toolchain.sh; source it.
export MESH_TOOLCHAIN_DIR="$DIR"
export PATH="$BIN:\$PATH"
export PULUMI_HOME="$PHOME"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export MESH_ISTIO_VERSION="$ISTIO_VERSION"
export MESH_ISTIO_CHARTS="$CHARTS"
export MESH_ISTIO_PREV_VERSION="$ISTIO_PREV_VERSION"
export MESH_ISTIO_PREV_CHARTS="$PREV_CHARTS"
export KWOK_KUBE_APISERVER_BINARY="$BIN/kube-apiserver"
export KWOK_KUBE_CONTROLLER_MANAGER_BINARY="$BIN/kube-controller-manager"
export KWOK_KUBE_SCHEDULER_BINARY="$BIN/kube-scheduler"
export KWOK_KUBECTL_BINARY="$BIN/kubectl"
export KWOK_CONTROLLER_BINARY="$BIN/kwok"
export KWOK_ETCD_BINARY="$BIN/etcd"
export KWOK_KUBE_VERSION="v$KUBERNETES_VERSION"
EOF
  mv -f "$tmp" "$DIR/env.sh"
}

main() {
  if [[ ${1:-} == --check ]]; then
    shift
    local t
    for t in "${@:-${DEFAULT_TOOLS[@]}}"; do up_to_date "$t" || return 1; done
    return 0
  fi
  local tools=("$@") t
  ((${#tools[@]})) || tools=("${DEFAULT_TOOLS[@]}")
  for t in "${tools[@]}"; do declare -F "build_$t" >/dev/null || die "unknown tool '$t' (tools: ${ALL_TOOLS[*]})"; done
  check_lockfile
  mkdir -p "$BIN" "$STAMPS" "$WORK" "$PHOME"
  log "cache: $DIR ($GO_VERSION, go build -p $JOBS)"
  local failed=() start secs total_start=$SECONDS
  for t in "${tools[@]}"; do
    if up_to_date "$t"; then log "$t: up to date"; continue; fi
    log "$t: building ..."
    start=$SECONDS
    rm -f "$STAMPS/$t"
    local rc=0
    set +e; ( set -e; "build_$t" ); rc=$?; set -e   # (not in an `if`: keeps -e inside)
    if ((rc == 0)); then
      secs=$((SECONDS - start))
      stamp_of "$t" >"$STAMPS/$t"
      log "$t: built in ${secs}s"
    else
      log "$t: FAILED after $((SECONDS - start))s"
      failed+=("$t")
    fi
  done
  write_env
  log "done in $((SECONDS - total_start))s; environment for callers:"
  cat "$DIR/env.sh"
  echo "# or: source \"$DIR/env.sh\""
  ((${#failed[@]} == 0)) || die "failed: ${failed[*]}"
}

main "$@"
