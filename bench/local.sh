#!/usr/bin/env bash
# Wall time of the real engine against local kwok clusters: preview, first up, no-op up and
# destroy of a mesh of N clusters, median of RUNS runs, for each N in SIZES.
#
#   RUNS=3 SIZES="2 3 5" bash bench/local.sh
#   OBSERVABILITY=1 ...   with the local stack's mesh:observability (default: off)
#   PHASES=1 ...   then one more preview and no-op up per size at -v=7, split into phases by
#                  bench/engine-phases.js (the log costs time itself: those runs are not in the medians)
#
# Stacks `bench-N` are generated (c1, c2 primaries on net1/net2; c3, c5, ... remotes of c1 and
# c4, ... remotes of c2, each on its own network) in a scratch project under
# $MESH_LOCAL_STATE/bench that links to this program, so nothing in the checkout changes.
set -euo pipefail
LOG_TAG=bench
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/local-env.sh"
cd "$MESH_REPO"
RUNS="${RUNS:-3}"
SIZES="${SIZES:-2 3 5}"
need_tools pulumi kubectl kwokctl node
charts="$(istio_charts_dir)" || die "no Istio charts (bash scripts/toolchain.sh istio)"
ensure_tls_plugin
node scripts/build.js || die "the program does not compile"  # main.js runs bin/program; build it outside the timings

# The bench stacks install Istio into the same clusters as the `local` stack.
if pulumi stack select "$LOCAL_STACK" >/dev/null 2>&1 && [[ $(pulumi stack export --stack "$LOCAL_STACK" | jq '.deployment.resources // [] | length') != 0 ]]; then
  die "the $LOCAL_STACK stack is deployed on these clusters; first: bash scripts/local-down.sh --keep-clusters"
fi

max=0; for n in $SIZES; do ((n > max)) && max=$n; done
bash scripts/local-clusters.sh up "$max"

proj="$MESH_LOCAL_STATE/bench/project"
mkdir -p "$proj" "$MESH_LOCAL_STATE/pulumi-state"
cp "$MESH_REPO/Pulumi.yaml" "$proj/Pulumi.yaml"
for f in package.json tsconfig.json main.js index.ts components stacks node_modules; do ln -sfn "$MESH_REPO/$f" "$proj/$f"; done
salt="$(sed -n 's/^encryptionsalt: //p' Pulumi.local.yaml)"

# mesh:observability: off by default (the mesh as issue 8 measured it); OBSERVABILITY=1 takes the
# local stack's from Pulumi.local.yaml (its chart directory made absolute for the scratch project).
observability_config() {
  if [[ ${OBSERVABILITY:-} == 1 ]]; then
    node -e '
      const YAML = require("yaml"), path = require("path"), [file, repo] = process.argv.slice(1);
      const o = YAML.parse(require("fs").readFileSync(file, "utf8")).config["mesh:observability"];
      if (o.metrics?.chart?.repository) o.metrics.chart.repository = path.resolve(repo, o.metrics.chart.repository);
      process.stdout.write(YAML.stringify({ "mesh:observability": o }).replace(/^(?=.)/gm, "  "));
    ' "$MESH_REPO/Pulumi.local.yaml" "$MESH_REPO"
  else
    cat <<EOF
  mesh:observability:
    metrics: { enabled: false }
    global: { enabled: false }
    grafana: { enabled: false }
EOF
  fi
}

stack_config() {  # stack_config N → Pulumi.bench-N.yaml
  local n=$1 i
  cat <<EOF
encryptionsalt: $salt
config:
  mesh:meshId: bench-$n
  mesh:istio:
    version: "${MESH_ISTIO_VERSION:-1.31.0-dev.eed52ebb66ad}"
    chartRepository: $charts
    timeoutSeconds: 180
  mesh:pki:
    protectRoot: false
  mesh:availability:  # one pod each, as before mesh:availability (one pilot-discovery per cluster here)
    istiod: { replicas: 1 }
    eastWestGateway: { replicas: 1 }
$(observability_config)
  mesh:clusters:
EOF
  for ((i = 1; i <= n; i++)); do
    local role=primary primary=""
    if ((i > 2)); then role=remote; primary="c$((i % 2 == 1 ? 1 : 2))"; fi
    cat <<EOF
    - name: c$i
      provider: existing
      network: net$i
      role: $role
$( [[ -n $primary ]] && echo "      primary: $primary")
      existing:
        kubeconfig: $MESH_LOCAL_STATE/clusters/c$i/kubeconfig
EOF
  done
}

timeit() {  # timeit VAR CMD... : seconds into VAR; fails the bench on error
  local __v=$1 t; shift
  t=$(now)
  if ! "$@" >"$MESH_LOCAL_STATE/bench/last.log" 2>&1; then tail -30 "$MESH_LOCAL_STATE/bench/last.log" >&2; die "failed: $*"; fi
  printf -v "$__v" '%s' "$(elapsed "$t")"
}
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A RESULT PHASES_OUT
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
for n in $SIZES; do
  stack="bench-$n"
  stack_config "$n" >"$proj/Pulumi.$stack.yaml"
  p=(-C "$proj" --stack "$stack")
  pulumi stack select -C "$proj" "$stack" >/dev/null 2>&1 || pulumi stack init -C "$proj" "$stack" --secrets-provider passphrase >/dev/null 2>&1
  pre=() up=() noop=() des=()
  for ((r = 1; r <= RUNS; r++)); do
    log "N=$n run $r/$RUNS"
    timeit a pulumi preview "${p[@]}" --suppress-progress
    timeit b pulumi up "${p[@]}" --yes --skip-preview --suppress-progress
    timeit c pulumi up "${p[@]}" --yes --skip-preview --suppress-progress --expect-no-changes
    timeit d pulumi destroy "${p[@]}" --yes --skip-preview --suppress-progress
    log "N=$n run $r: preview ${a}s, up ${b}s, no-op up ${c}s, destroy ${d}s"
    pre+=("$a"); up+=("$b"); noop+=("$c"); des+=("$d")
  done
  RESULT[$n]="$(median "${pre[@]}") $(median "${up[@]}") $(median "${noop[@]}") $(median "${des[@]}")"
  if [[ ${PHASES:-} == 1 ]]; then
    logs="$MESH_LOCAL_STATE/bench/phases-$n"; mkdir -p "$logs"
    timeit a pulumi preview "${p[@]}" --suppress-progress -v=7 --logtostderr; cp "$MESH_LOCAL_STATE/bench/last.log" "$logs/preview.log"
    timeit b pulumi up "${p[@]}" --yes --skip-preview --suppress-progress
    timeit c pulumi up "${p[@]}" --yes --skip-preview --suppress-progress --expect-no-changes -v=7 --logtostderr; cp "$MESH_LOCAL_STATE/bench/last.log" "$logs/noop.log"
    timeit d pulumi destroy "${p[@]}" --yes --skip-preview --suppress-progress
    PHASES_OUT[$n]="$(echo "N=$n preview (-v=7, ${a}s):"; node bench/engine-phases.js "$logs/preview.log" "$a"; echo "N=$n no-op up (-v=7, ${c}s):"; node bench/engine-phases.js "$logs/noop.log" "$c")"
  fi
  pulumi stack rm -C "$proj" "$stack" --yes --force >/dev/null 2>&1 || true
done

echo
echo "Local kwok clusters, real engine; median of $RUNS run(s), seconds ($(nproc) cores; observability ${OBSERVABILITY:-0})"
printf '%-9s %9s %9s %10s %9s\n' clusters preview "first up" "no-op up" destroy
for n in $SIZES; do
  read -r a b c d <<<"${RESULT[$n]}"
  printf '%-9s %9s %9s %10s %9s\n' "$n" "$a" "$b" "$c" "$d"
done
echo "load average (1, 5, 15 min) at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $SIZES; do [[ -n ${PHASES_OUT[$n]:-} ]] && printf '\n%s\n' "${PHASES_OUT[$n]}"; done
true
