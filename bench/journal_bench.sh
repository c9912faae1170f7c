#!/usr/bin/env bash
# Journal throughput on SQLite and on a throw-away PostgreSQL server (bench_journal).
#   bench/journal_bench.sh BIN_DIR [ORDERS]
set -euo pipefail
bin=$1
orders=${2:-300}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
source "$src/tests/integration/lib/postgres.sh"
trap 'pg_down; rm -rf "$work"' EXIT
pg_up "$work/pg" $((55000 + RANDOM % 1000))
"$bin/bench_journal" --orders "$orders" --postgres "$PG_URI"
