#!/usr/bin/env bash
# Installs the workspace's npm dependencies when they are missing or the lock file
# changed since the last install. Install scripts stay off: one lint plugin's
# preinstall insists on pnpm, and nothing the project runs needs a build step.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
source scripts/node24.sh
stamp="node_modules/.fanloop-installed"
wanted="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
	echo "fanloop: installing npm dependencies" >&2
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
	echo "$wanted" >"$stamp"
fi
