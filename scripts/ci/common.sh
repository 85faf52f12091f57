# shellcheck shell=bash
# Shared by scripts/ci/preview.sh and scripts/ci/up.sh: the flags the workflow's pulumi/actions steps pass
# (.github/workflows/mesh-stack.yml), built once. Source it from bash.

# The policy pack and this environment's policy config: policy/config/<env>.json, <env> being the stack's
# name without its organization (example-corp/prod → prod).
policy_flags() {
  local env=${1##*/}
  if [[ ! -f policy/config/$env.json ]]; then
    echo "no policy config for environment '$env': add policy/config/$env.json (README: adding an environment)" >&2
    return 2
  fi
  printf '%s\n' --policy-pack policy/analyzer --policy-pack-config "policy/config/$env.json"
}

# The policy pack's own dependencies (policy/package-lock.json), installed when missing or stale.
ensure_policy_deps() {
  if [[ ! -f policy/node_modules/.package-lock.json || policy/package-lock.json -nt policy/node_modules/.package-lock.json ]]; then
    npm ci --prefix policy --no-audit --no-fund >&2
  fi
}

# run CMD...: runs the command, or with MESH_CI_PRINT=1 prints it one argument per line (for the tests).
run() {
  if [[ ${MESH_CI_PRINT:-} == 1 ]]; then printf '%s\n' "$@"; return; fi
  ensure_policy_deps
  exec "$@"
}

# policy_step STACK COMMAND [flags...]: pulumi COMMAND on STACK with the policy pack and its config.
policy_step() {
  local stack=$1 command=$2 policy
  shift 2
  mapfile -t policy < <(policy_flags "$stack")
  ((${#policy[@]})) || exit 2
  run pulumi "$command" --stack "$stack" "${policy[@]}" "$@"
}
