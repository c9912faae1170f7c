#!/usr/bin/env bash
# The shared journal on a real PostgreSQL server started for this test: the
# journal rules of tests/unit/test_journal_backends.cpp run against it
# (import, claims, transitions, reopening, four stations claiming at once).
set -uo pipefail
src=$1
bin=$2
work=$(mktemp -d)
source "$src/tests/integration/lib/checks.sh"
source "$src/tests/integration/lib/postgres.sh"
trap 'pg_down; rm -rf "$work"' EXIT

port=$((54000 + RANDOM % 1000))
pg_up "$work/pg" "$port" || exit 1

RCPERSO_TEST_POSTGRES=$PG_URI check "journal rules on PostgreSQL" 0 \
  "$bin/rcperso_tests" -tc='*journal rules on PostgreSQL*'
# The cases really ran (doctest skips them without a server).
contains "PostgreSQL cases ran" "$work/out" "test cases:   1 |   1 passed | 0 failed"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
