# Shared environment for the local (kwok) clusters, the `local` stack, the e2e test and the
# local benchmark. Source it from bash: `source scripts/local-env.sh`.
#
#   MESH_TOOLCHAIN_DIR   toolchain cache built by scripts/toolchain.sh (default ~/.cache/mesh-toolchain)
#   MESH_LOCAL_STATE     state dir for clusters, kubeconfigs and the Pulumi file backend
#                        (default <repo>/.e2e, which is git-ignored)
#   PULUMI_CONFIG_PASSPHRASE  passphrase of the local stacks (default: "local-mesh", not a secret:
#                        these stacks only ever hold throwaway local-cluster credentials)

MESH_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MESH_REPO
export MESH_TOOLCHAIN_DIR="${MESH_TOOLCHAIN_DIR:-$HOME/.cache/mesh-toolchain}"
export MESH_LOCAL_STATE="${MESH_LOCAL_STATE:-$MESH_REPO/.e2e}"
export KWOK_WORKDIR="$MESH_LOCAL_STATE/kwok"
# @pulumi/pulumi >= 3.250 wants Node >= 22: installed (once) by scripts/with-node22.sh.
MESH_NODE_BIN="$("$MESH_REPO/scripts/with-node22.sh" sh -c 'dirname "$(command -v node)"')"
export PATH="$MESH_NODE_BIN:$PATH"

# The toolchain's env.sh: PATH, PULUMI_HOME, offline Pulumi settings, KWOK_* binaries.
if [[ -f $MESH_TOOLCHAIN_DIR/env.sh ]]; then
  # shellcheck disable=SC1091
  source "$MESH_TOOLCHAIN_DIR/env.sh"
else  # before the first build: enough for need_tools to name what is missing
  export PATH="$MESH_TOOLCHAIN_DIR/bin:$PATH" PULUMI_HOME="$MESH_TOOLCHAIN_DIR/pulumi-home"
fi
# File backend inside the state dir; no `pulumi login` (which would change ~/.pulumi).
export PULUMI_BACKEND_URL="file://$MESH_LOCAL_STATE/pulumi-state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-local-mesh}"
unset PULUMI_CONFIG_PASSPHRASE_FILE
# No telemetry/interactive prompts in scripts.
export PULUMI_SKIP_CONFIRMATIONS=true
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true

LOCAL_STACK="${LOCAL_STACK:-local}"

log() { printf '[%s] %s\n' "${LOG_TAG:-local}" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "${LOG_TAG:-local}" "$*" >&2; exit 1; }

# Where the Istio charts are (base/, istiod/, gateway/); from the toolchain's env.sh.
istio_charts_dir() {
  if [[ -n ${MESH_ISTIO_CHARTS:-} && -f $MESH_ISTIO_CHARTS/istiod/Chart.yaml ]]; then echo "$MESH_ISTIO_CHARTS"; return; fi
  local d
  for d in "$MESH_TOOLCHAIN_DIR"/istio-charts/*; do [[ -f $d/istiod/Chart.yaml ]] && { echo "$d"; return; }; done
  return 1
}

# The tls provider plugin (@pulumi/tls 5.5.1) cannot be built from the Go proxy here
# (scripts/toolchain/versions.env). Unless a real one is in the plugin store, install the
# local stand-in from test/e2e/tls-provider under the version the npm package asks for.
ensure_tls_plugin() {
  local want dir launcher
  want="$(node -p 'require(process.argv[1]).version' "$MESH_REPO/node_modules/@pulumi/tls/package.json" 2>/dev/null)" || return 0
  dir="$PULUMI_HOME/plugins/resource-tls-v$want"
  launcher="$dir/pulumi-resource-tls"
  if [[ -x $launcher ]] && ! grep -q 'mesh-tls-stand-in' "$launcher" 2>/dev/null; then return 0; fi  # a real plugin
  local tmp; tmp="$(mktemp)"
  cat >"$tmp" <<EOF
#!/bin/sh
# mesh-tls-stand-in: local stand-in for pulumi-resource-tls (see test/e2e/tls-provider/provider.js)
MESH_TLS_SHIM_VERSION=$want exec "$(command -v node)" "$MESH_REPO/test/e2e/tls-provider/provider.js" "\$@"
EOF
  if [[ -x $launcher ]] && cmp -s "$tmp" "$launcher"; then rm -f "$tmp"; return 0; fi
  log "installing the local tls provider stand-in as plugin tls v$want (the real plugin cannot be built here)"
  chmod +x "$tmp"
  pulumi plugin install resource tls "$want" --file "$tmp" --reinstall >/dev/null 2>&1 || {
    mkdir -p "$dir"; cp "$tmp" "$launcher"; chmod +x "$launcher"; touch "$dir.lock" 2>/dev/null || true; }
  rm -f "$tmp"
}

# Debian packages the scripts use (a fresh machine may lack them); installs what is missing.
# Each argument is a command, or COMMAND:PACKAGE where the package has another name.
ensure_packages() {
  local missing=() t
  for t in "$@"; do command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}"); done
  ((${#missing[@]} == 0)) && return 0
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Fail early, with the missing names, if a tool is not built yet.
need_tools() {
  local missing=() t
  for t in "$@"; do command -v "$t" >/dev/null || missing+=("$t"); done
  ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (build them: bash scripts/toolchain.sh; cache $MESH_TOOLCHAIN_DIR)"
}

# Seconds (with millis) since the epoch, for timings.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
