#!/usr/bin/env bash
# Installs the Debian packages the tests use: Chromium (browser tests, driven by Playwright through
# /usr/bin/chromium, since browsers cannot be downloaded here) and PostgreSQL 15 (cluster tests start a
# private server on loopback). Safe to run again; skips what is present.
set -euo pipefail
need=()
command -v python3 >/dev/null || need+=(python3)
command -v chromium >/dev/null || need+=(chromium)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
# The store-fault tests make files immutable (chattr, e2fsprogs) and mount a small tmpfs (mount, util-linux).
command -v chattr >/dev/null || need+=(e2fsprogs)
command -v mount >/dev/null || need+=(mount)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
echo "test dependencies present: $(chromium --version 2>/dev/null | head -1), $(/usr/lib/postgresql/15/bin/postgres --version)"
