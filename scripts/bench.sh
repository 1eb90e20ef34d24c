#!/usr/bin/env bash
# `npm run bench`: compiles bench/*.ts (with what they import) and runs each with Node 24.
# Pass names to run some: `npm run bench -- event-throughput`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
source scripts/node24.sh
bash scripts/install-deps.sh
rm -rf hub/.bench-build
node_modules/.bin/tsc -p bench/tsconfig.json
if [ "$#" -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in bench/*.ts; do names+=("$(basename "$f" .ts)"); done
fi
for name in "${names[@]}"; do
	echo "== bench/$name.ts" >&2
	node "hub/.bench-build/bench/$name.js"
done
