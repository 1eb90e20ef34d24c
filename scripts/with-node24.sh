#!/usr/bin/env bash
# Runs a command with Node 24 first on PATH and the project's binaries after it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/node24.sh"
export PATH="$here/node_modules/.bin:$PATH"
exec "$@"
