#!/usr/bin/env bash
# Ensures Debian's Chromium is at /usr/bin/chromium, where the browser tests (playwright-core)
# look for it: installed from the distribution's packages once per machine, with the package
# lists refreshed only when the first attempt fails (a fresh machine's lists are often stale).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "fanloop: installing Chromium from Debian's packages (once per machine)" >&2
install() { as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; }
install || { as_root apt-get update >/dev/null && install; }
test -x /usr/bin/chromium
