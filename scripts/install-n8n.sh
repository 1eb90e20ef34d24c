#!/usr/bin/env bash
# Ensures the pinned n8n is installed in the shared cache and prints its folder on stdout.
# Used by the real-n8n tests, the benchmark and scripts/start.sh.
#
# Why it is done this way (see DESIGN.md §5):
# - n8n@2.41.1 is pinned: 2.41.3 cannot install (a dependency is missing from the registry).
# - a plain install fails building a Kafka native module, so install with --ignore-scripts
#   and rebuild only sqlite3 (n8n's default database) against Node 24's headers.
# - about 3 GB: installed once per machine into $FANLOOP_CACHE, never as a project dependency.
# - a marker file written last means "complete": a half-finished install is redone;
#   a lock keeps two test runs from installing at the same time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/node24.sh"

n8n_version="${FANLOOP_N8N_VERSION:-2.41.1}"
n8n_dir="$FANLOOP_CACHE/n8n-$n8n_version"
marker="$n8n_dir/.fanloop-install-complete"

if [ ! -f "$marker" ]; then
	mkdir -p "$FANLOOP_CACHE"
	exec 9>"$FANLOOP_CACHE/n8n-$n8n_version.lock"
	flock 9
	if [ ! -f "$marker" ]; then
		echo "fanloop: installing n8n@$n8n_version into $n8n_dir (once per machine, a few minutes)" >&2
		rm -rf "$n8n_dir"
		mkdir -p "$n8n_dir"
		echo '{"name":"fanloop-n8n-cache","private":true}' >"$n8n_dir/package.json"
		(
			cd "$n8n_dir"
			npm install --ignore-scripts --no-audit --no-fund --loglevel=error "n8n@$n8n_version" >&2
			npm rebuild sqlite3 --loglevel=error >&2
		)
		"$n8n_dir/node_modules/.bin/n8n" --version >/dev/null
		date -u +%Y-%m-%dT%H:%M:%SZ >"$marker"
	fi
	flock -u 9
fi
echo "$n8n_dir"
