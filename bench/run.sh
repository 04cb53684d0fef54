#!/usr/bin/env bash
# One command: builds the node, the baseline and the load generator in Release, raises the open-file limit
# (10,000 sockets on each side), and runs the comparison. Arguments go to the bench: --quick (default) or --full,
# and any override listed in bench/README.md. With --peers (or --only naming signalr or socketio) it also builds
# the SignalR peer and installs the Socket.IO peer's packages (npm ci, from its package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != "unlimited" ] && [ "$(ulimit -n)" -lt 10500 ]; then
  echo "note: open-file limit is $(ulimit -n); 10,000 sockets need about 10,100 per process" >&2
fi
peers=0
previous=""
for argument in "$@"; do
  case "$argument" in
    --peers) peers=1 ;;
    *signalr*|*socketio*) [ "$previous" = "--only" ] && peers=1 ;;
  esac
  previous="$argument"
done
dotnet build silo/OrleansSync.Silo.csproj -c Release -nologo -v q
dotnet build bench/OrleansSync.Bench.Baseline/OrleansSync.Bench.Baseline.csproj -c Release -nologo -v q
dotnet build bench/OrleansSync.Bench/OrleansSync.Bench.csproj -c Release -nologo -v q
if [ "$peers" = 1 ]; then
  dotnet build bench/peers/signalr/OrleansSync.Bench.SignalR.csproj -c Release -nologo -v q
  command -v node >/dev/null || { echo "the Socket.IO peer needs node (v20 or newer) and npm" >&2; exit 1; }
  # Reinstall only when the lock file changed since the last install.
  if [ ! -f bench/peers/socketio/node_modules/.package-lock.json ] \
     || [ bench/peers/socketio/package-lock.json -nt bench/peers/socketio/node_modules/.package-lock.json ]; then
    (cd bench/peers/socketio && npm ci --no-audit --no-fund)
  fi
fi
exec dotnet bench/OrleansSync.Bench/bin/Release/net10.0/OrleansSync.Bench.dll "$@"
