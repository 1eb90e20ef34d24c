#!/usr/bin/env bash
# The test command README.md gives (`npm test`) and CI runs: every suite, on real
# SQLite and PostgreSQL, the nodes in n8n's engine and the package in a real n8n.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
source scripts/node24.sh
bash scripts/install-deps.sh
exec node_modules/.bin/jest --ci "$@"
