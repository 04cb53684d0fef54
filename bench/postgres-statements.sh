#!/usr/bin/env bash
# What PostgreSQL spends its time on in the 3-node saturation window: runs `run-cluster.sh --cluster postgres3`
# with pg_stat_statements loaded, resets the statistics when the warm-up ends, and prints the statements by total
# time (planning + execution) when the window's figure is printed. Arguments go to the bench
# (e.g. --rate 100; INLINE_IO=0 in the environment for nodes at the plain defaults). Usage: bash bench/postgres-statements.sh [bench args]
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp /tmp/orleanssync-statements-XXXXXX.log)
WARMUP=30
PG_STAT_STATEMENTS=1 bash bench/run-cluster.sh --cluster postgres3 --saturation 20 --latency 2 --warmup "$WARMUP" "$@" >"$log" 2>&1 &
bench=$!
wait_for() { until grep -q "$1" "$log"; do kill -0 "$bench" 2>/dev/null || { cat "$log"; exit 1; }; sleep 0.5; done; }
wait_for "PostgreSQL 15 on"
port=$(grep -o "127.0.0.1:[0-9]*" "$log" | head -1 | cut -d: -f2)
wait_for "clients authenticated"
sleep "$WARMUP" # the warm-up runs from here; the reset marks the start of the measuring window (to within a second)
psql=(psql -h 127.0.0.1 -p "$port" -U postgres -d bench_postgres3 -X -q -At)
"${psql[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null
wait_for "postgres3: saturation:"
echo "calls | plans | plan ms | exec ms | exec µs a call | rows | statement"
"${psql[@]}" -F ' | ' -c "SELECT calls, plans, round(total_plan_time::numeric), round(total_exec_time::numeric),
  round((total_exec_time / greatest(calls, 1) * 1000)::numeric, 1), rows, left(regexp_replace(query, '\s+', ' ', 'g'), 120)
  FROM pg_stat_statements ORDER BY total_plan_time + total_exec_time DESC LIMIT 15"
wait "$bench"
grep -o 'postgres3: saturation: .*' "$log"
echo "(bench log: $log)"
