#!/usr/bin/env bash
# The main command (`npm start`): builds the hub, makes sure the pinned n8n is installed, then
# runs scripts/start.ts, which starts the hub and n8n with the package built, packed and
# installed as a community node (under the pack lock the tests share, so their builds of dist/
# never overlap), one ready credential and the templates in workflows/.
# State (keys, ledger, n8n's user folder) lives in .fanloop/ (or $FANLOOP_HOME); re-running reuses it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
source scripts/node24.sh
export PATH="$here/node_modules/.bin:$PATH"

bash scripts/install-deps.sh
echo "fanloop: building the hub" >&2
tsc -p hub/tsconfig.json
bash scripts/install-n8n.sh >/dev/null
tsc -p scripts/tsconfig.json
exec node .fanloop/build/scripts/start.js
