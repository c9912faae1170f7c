#!/usr/bin/env bash
# The whole test suite: set-up and Release build, unit and integration tests,
# the same tests under AddressSanitizer + UndefinedBehaviorSanitizer, every
# libFuzzer harness for a bounded time, and the benchmarks (print figures).
# Card tests run through the real pcscd with vsmartcard's virtual reader.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs=$(nproc)

echo "== tests (Release)"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== tests (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRCPERSO_SANITIZE=ON -DRCPERSO_WERROR=ON -DRCPERSO_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"

echo "== fuzzers (clang, libFuzzer, ASan + UBSan)"
./scripts/fuzz.sh "${FUZZ_SECONDS:-30}"

echo "== benchmarks"
./build/bin/bench_prepare --seconds 3
./build/bin/bench_wsq --seconds 2
./build/bin/bench_signer --seconds 2
./bench/card_bench.sh build/bin 2
./bench/journal_bench.sh build/bin 300
./bench/batch_bench.sh build/bin 4
