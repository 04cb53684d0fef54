#!/usr/bin/env bash
# The one command that tests everything: builds the solution and runs every test project,
# writing TRX results under TestResults/.
set -uo pipefail
cd "$(dirname "$0")/.."
dotnet build OrleansSync.sln -c Release -nologo -v q || exit 1
dotnet test OrleansSync.sln -c Release --no-build --logger "trx" --results-directory TestResults "$@"
