# Shared by scripts/mesh-picture and scripts/mesh-check: Node 22 and, for the `local` stack, the
# local environment (file backend, passphrase, toolchain; scripts/local-env.sh). Graphviz for SVG.
ops_env() {
  local stack=local svg=1 a prev=""
  for a in "$@"; do
    case $prev in --stack) stack=$a ;; --format) [[ $a == svg ]] || svg=0 ;; -o|--output) [[ $a == *.svg ]] || svg=0 ;; esac
    case $a in --stack=*) stack=${a#*=} ;; --format=*) [[ ${a#*=} == svg ]] || svg=0 ;; esac
    prev=$a
  done
  if [[ $stack == local ]]; then
    # shellcheck disable=SC1091
    source "$repo/scripts/local-env.sh"
  else
    PATH="$("$repo/scripts/with-node22.sh" sh -c 'dirname "$(command -v node)"'):$PATH"
    ensure_packages() { :; }
  fi
  if [[ ${OPS_NEEDS_DOT:-0} == 1 && $svg == 1 ]]; then ensure_packages dot:graphviz; fi
  export TS_NODE_PROJECT="$repo/tsconfig.json"
}
