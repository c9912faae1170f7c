#!/usr/bin/env bash
# Runs every libFuzzer harness for a bounded time on its corpus
# (tests/fuzz/corpus/NAME), as many at once as there are cores. Fails on any
# crash, leak or hang; what made it fail is kept as tests/fuzz/crash-* (or
# leak-*, timeout-*) to reproduce with `BUILD_DIR/bin/NAME FILE`.
#
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR]
# BUILD_DIR: a clang tree configured with -DRCPERSO_FUZZ=ON (scripts/test.sh's
# build-san); without it, build-fuzz is configured and built here.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
tree=${2:-}
if [ -z "$tree" ]; then
  tree=build-fuzz
  CC=clang CXX=clang++ cmake -S . -B "$tree" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRCPERSO_FUZZ=ON \
    -DRCPERSO_TESTS=ON -DRCPERSO_BENCH=OFF >/dev/null
fi
names=()
for src in tests/fuzz/fuzz_*.cpp; do names+=("$(basename "$src" .cpp)"); done
cmake --build "$tree" -j"$(nproc)" --target "${names[@]}" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run_one() {  # run_one NAME: its log and verdict in $work/NAME.*
  local name=$1 corpus=tests/fuzz/corpus/${1#fuzz_}
  mkdir -p "$work/$name.new"
  if "$tree/bin/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -print_final_stats=0 -artifact_prefix=tests/fuzz/ "$work/$name.new" "$corpus" >"$work/$name.log" 2>&1; then
    echo ok >"$work/$name.verdict"
  else
    echo failed >"$work/$name.verdict"
  fi
}
parallel=$(nproc)
running=0
for name in "${names[@]}"; do
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then wait -n; running=$((running - 1)); fi
done
wait

status=0
for name in "${names[@]}"; do
  if [ "$(cat "$work/$name.verdict" 2>/dev/null)" = ok ]; then
    echo "-- $name (${seconds}s, corpus tests/fuzz/corpus/${name#fuzz_}): $(grep -E "^(Done|#[0-9]+ *DONE)" "$work/$name.log" | tail -1)"
  else
    echo "FAILED: $name"; tail -40 "$work/$name.log"; status=1
    grep -E "^artifact_prefix|Test unit written to" "$work/$name.log" || true
  fi
done
exit $status
