#!/usr/bin/env bash
# The environments a change affects, as a JSON list (the workflow's matrix and up jobs read it).
#
#   git diff --name-only BASE HEAD | scripts/ci/affected-stacks.sh
#   scripts/ci/affected-stacks.sh --all                  every environment
#
# Environments are the stack files Pulumi.<env>.yaml but Pulumi.local.yaml (the e2e's). A stack file
# or policy/config/<env>.json affects its environment; what no environment runs (docs, tests, the
# local world and toolchain, the application team's program, lint and test configuration) affects
# none; anything else (the program, its dependencies, Pulumi.yaml, the policy pack, the workflows
# and these scripts, the pinned CLI version) affects every environment.
set -euo pipefail
cd "$(dirname "$0")/../.."
envs=()
for f in Pulumi.*.yaml; do
  e=${f#Pulumi.}; e=${e%.yaml}
  [[ $e == local ]] || envs+=("$e")
done
json() { if (($#)); then printf '"%s"\n' "$@" | paste -sd, | sed 's/.*/[&]/'; else echo '[]'; fi; }
if [[ ${1:-} == --all ]]; then json "${envs[@]}"; exit 0; fi

declare -A hit=()
all=0
while IFS= read -r path || [[ -n $path ]]; do
  [[ -z $path ]] && continue
  case $path in
    Pulumi.local.yaml | policy/config/local.json) ;;
    Pulumi.*.yaml) hit[$(sed -E 's/^Pulumi\.(.*)\.yaml$/\1/' <<<"$path")]=1 ;;
    policy/config/*.json) hit[$(basename "$path" .json)]=1 ;;
    scripts/toolchain/versions.env) all=1 ;;  # PULUMI_VERSION is the workflow's CLI version too
    *.md | test/* | policy/test/* | bench/* | stacks/app/* | .ci/* | scripts/local-* | \
      scripts/toolchain.sh | scripts/toolchain/* | eslint.config.mjs | jest.config.js | .gitignore) ;;
    *) all=1 ;;
  esac
done
out=()
for e in "${envs[@]}"; do
  if ((all)) || [[ -n ${hit[$e]:-} ]]; then out+=("$e"); fi
done
json "${out[@]}"
