#!/usr/bin/env bash
# Cluster benchmark in one command: builds the node and the load generator in Release, starts a private
# PostgreSQL 15 on a free loopback port (data under /tmp, as the postgres user when run as root), runs the
# scenarios (1 node on SQLite, 1 node on PostgreSQL, 3 nodes on one PostgreSQL) with the foundation bench's load
# phases, and stops PostgreSQL at the end. Arguments go to the bench (e.g. --full, --rate 500, --cluster sqlite1,postgres3).
# --cluster postgresgw-kill --rate 200 is the failover run instead (kill -9 of a silo under load; bench/README.md).
# POSTGRES_OPTIONS="Max Auto Prepare=64" adds Npgsql connection-string options for the nodes.
# PG_STAT_STATEMENTS=1 loads pg_stat_statements (planning tracked too) for bench/postgres-statements.sh; it costs the
# server a little, so the figures of a run with it are not compared with runs without.
# The PostgreSQL scenarios' nodes run with --Node:InlineIo=true, as README.md's cluster on one machine does (nodes,
# PostgreSQL and here the load generator share two cores); INLINE_IO=0 runs them at the plain defaults instead.
# (A SQLite node refuses that setting: sqlite1 runs at its defaults either way.)
set -euo pipefail
cd "$(dirname "$0")/.."
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

dotnet build silo/OrleansSync.Silo.csproj -c Release -nologo -v q
dotnet build bench/OrleansSync.Bench/OrleansSync.Bench.csproj -c Release -nologo -v q

STATEMENT_STATS=
if [ "${PG_STAT_STATEMENTS:-0}" = 1 ]; then
  STATEMENT_STATS=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on"
fi
PG_DIR=$(mktemp -d /tmp/orleanssync-bench-postgres-XXXXXX)
PG_PORT=$(free_port)
if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; fi
stop_postgres() {
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  echo "PostgreSQL stopped (log kept in $PG_DIR/server.log)"
}
trap stop_postgres EXIT
as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >"$PG_DIR/initdb.log"
# Settings: PostgreSQL 15 defaults (fsync on, synchronous_commit on), more connections for 3 nodes' pools.
as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c max_connections=400${STATEMENT_STATS}" -w start >/dev/null
PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
echo "PostgreSQL 15 on 127.0.0.1:$PG_PORT (pid $PG_PID, data $PG_DIR/data)"

ONE_MACHINE=()
if [ "${INLINE_IO:-1}" != 0 ]; then ONE_MACHINE=(--postgres-node-arg --Node:InlineIo=true); fi

SCENARIOS=sqlite1,postgres1,postgres3
RATE_DEFAULT=(--rate 50)  # below the 3-node saturation, so all scenarios are measured unsaturated
for arg in "$@"; do if [ "$arg" = --rate ]; then RATE_DEFAULT=(); fi; done
for arg in "$@"; do if [ "$arg" = --cluster ]; then SCENARIOS=; fi; done
# Warm-up 30 s unless given: three node processes tier up their JIT code on two busy cores, and with a 5 s warm-up the
# 3-node window measured mostly tier-0 code (per node, 4,000 methods were still being recompiled 12–27 s after the
# start). Steady state is what a cluster runs at. Passed after the arguments, so it also overrides --full's 5 s.
WARMUP_DEFAULT=(--warmup 30)
for arg in "$@"; do if [ "$arg" = --warmup ]; then WARMUP_DEFAULT=(); fi; done
dotnet bench/OrleansSync.Bench/bin/Release/net10.0/OrleansSync.Bench.dll \
  ${SCENARIOS:+--cluster "$SCENARIOS"} --postgres "Host=127.0.0.1;Port=$PG_PORT;Username=postgres${POSTGRES_OPTIONS:+;$POSTGRES_OPTIONS}" --postgres-pid "$PG_PID" "${ONE_MACHINE[@]}" "${RATE_DEFAULT[@]}" "$@" "${WARMUP_DEFAULT[@]}"
