#!/usr/bin/env bash
# Lints the publishable sources the way n8n's community-package scanner does: the
# @n8n/node-cli config with n8n Cloud support (eslint.config.mjs, kept identical to the
# node-cli template so `n8n-node lint` strict mode accepts it), inline eslint-disable
# comments ignored, and any finding — warnings included — fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
exec bash scripts/with-node24.sh eslint \
	--no-inline-config \
	--max-warnings 0 \
	--report-unused-disable-directives-severity off \
	nodes credentials package.json
