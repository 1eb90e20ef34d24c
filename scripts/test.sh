#!/usr/bin/env bash
# The test command README.md gives (`npm test`) and CI runs: every suite, on real
# SQLite and PostgreSQL, the nodes in n8n's engine and the package in a real n8n.
# It first installs what the suites need and a fresh machine lacks — the npm dependencies,
# Debian's Chromium and the pinned n8n (about 3 GB, once per machine) — so no suite's hook
# waits on an install.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
source scripts/node24.sh
bash scripts/install-deps.sh
bash scripts/install-chromium.sh
bash scripts/install-n8n.sh >/dev/null
exec node_modules/.bin/jest --ci "$@"
