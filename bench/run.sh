#!/usr/bin/env bash
# One command: builds the node, the baseline and the load generator in Release, raises the open-file limit
# (10,000 sockets on each side), and runs the comparison. Arguments go to the bench: --quick (default) or --full,
# and any override listed in bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != "unlimited" ] && [ "$(ulimit -n)" -lt 10500 ]; then
  echo "note: open-file limit is $(ulimit -n); 10,000 sockets need about 10,100 per process" >&2
fi
dotnet build silo/OrleansSync.Silo.csproj -c Release -nologo -v q
dotnet build bench/OrleansSync.Bench.Baseline/OrleansSync.Bench.Baseline.csproj -c Release -nologo -v q
dotnet build bench/OrleansSync.Bench/OrleansSync.Bench.csproj -c Release -nologo -v q
exec dotnet bench/OrleansSync.Bench/bin/Release/net10.0/OrleansSync.Bench.dll "$@"
