#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang and runs each for a bounded time
# on its corpus (tests/fuzz/corpus/NAME). Fails on any crash, leak or hang.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRCPERSO_FUZZ=ON \
  -DRCPERSO_TESTS=ON -DRCPERSO_BENCH=OFF >/dev/null
for src in tests/fuzz/fuzz_*.cpp; do
  name=$(basename "$src" .cpp)
  cmake --build build-fuzz -j"$(nproc)" --target "$name" >/dev/null
done
status=0
for src in tests/fuzz/fuzz_*.cpp; do
  name=$(basename "$src" .cpp)
  corpus=tests/fuzz/corpus/${name#fuzz_}
  work=$(mktemp -d)
  echo "-- $name (${seconds}s, corpus $corpus)"
  if ! ./build-fuzz/bin/"$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -print_final_stats=0 -artifact_prefix="$work/" "$work" "$corpus" >"$work/log" 2>&1; then
    echo "FAILED: $name"; tail -40 "$work/log"; status=1
  else
    grep -E "^(Done|#[0-9]+ *DONE)" "$work/log" | tail -1 || true
  fi
  rm -rf "$work"
done
exit $status
