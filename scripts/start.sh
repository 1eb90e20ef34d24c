#!/usr/bin/env bash
# The main command (`npm start`): builds the node package and the hub, makes sure the pinned
# n8n is installed, then runs scripts/start.ts, which starts the hub and n8n with the package
# installed as a community node, one ready credential and the templates in workflows/.
# State (keys, ledger, n8n's user folder) lives in .fanloop/; re-running reuses it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
source scripts/node24.sh
export PATH="$here/node_modules/.bin:$PATH"

bash scripts/install-deps.sh
echo "fanloop: building the node package and the hub" >&2
gulp build >/dev/null
tsc -p hub/tsconfig.json
bash scripts/install-n8n.sh >/dev/null
tsc -p scripts/tsconfig.json
exec node .fanloop/build/scripts/start.js
