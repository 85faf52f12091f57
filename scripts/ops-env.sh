# Shared by scripts/mesh-picture and scripts/mesh-check: Node 22 and, for the `local` stack, the
# local environment (file backend, passphrase, toolchain; scripts/local-env.sh).
ops_env() {
  local stack=local a prev=""
  for a in "$@"; do
    case $prev in --stack) stack=$a ;; esac
    case $a in --stack=*) stack=${a#*=} ;; esac
    prev=$a
  done
  if [[ $stack == local ]]; then
    # shellcheck disable=SC1091
    source "$repo/scripts/local-env.sh"
  else
    PATH="$("$repo/scripts/with-node22.sh" sh -c 'dirname "$(command -v node)"'):$PATH"
  fi
  export TS_NODE_PROJECT="$repo/tsconfig.json"
}
