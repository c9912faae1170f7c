#!/usr/bin/env bash
# The whole test suite: set-up and Release build, unit and integration tests,
# the same tests in a clang tree with AddressSanitizer + UndefinedBehaviorSanitizer
# (all but the two longest card tests), every libFuzzer harness of that tree for a
# bounded time (FUZZ_SECONDS each, 6 by default), and the benchmarks (print figures).
# About 17 minutes on 2 cores once the packages are installed.
# Card tests run through the real pcscd with vsmartcard's virtual reader.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
stage() { echo "== $1 (at $(((SECONDS - started) / 60))m$(((SECONDS - started) % 60))s)"; }
./scripts/setup.sh
jobs=$(nproc)
# The card tests mostly wait for pcscd's 0.4 s presence polling: twice as many tests as cores.
test_jobs=$((2 * jobs))

stage "tests (Release)"
ctest --test-dir build --output-on-failure -j"$test_jobs"

stage "sanitizer tree (clang: ASan + UBSan, with the libFuzzer harnesses)"
# Sanitized code at -O1 with line tables: fast enough to run, stack traces with file and line.
CC=clang CXX=clang++ cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug \
  "-DCMAKE_C_FLAGS_DEBUG=-O1 -gline-tables-only" "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -gline-tables-only" \
  -DRCPERSO_SANITIZE=ON -DRCPERSO_FUZZ=ON -DRCPERSO_WERROR=ON -DRCPERSO_BENCH=OFF >/dev/null
cmake --build build-san -j"$jobs"

stage "tests (ASan + UBSan)"
# All but the two longest card tests (label release-only), and batch_issue with fewer orders.
BATCH_ORDERS=12 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-san --output-on-failure -j"$test_jobs" -LE release-only

stage "fuzzers (libFuzzer, ASan + UBSan)"
./scripts/fuzz.sh "${FUZZ_SECONDS:-6}" build-san

stage "benchmarks"
./build/bin/bench_prepare --seconds 2
./build/bin/bench_wsq --seconds 1
./build/bin/bench_signer --seconds 1
./bench/card_bench.sh build/bin 1
./bench/journal_bench.sh build/bin 100
./bench/batch_bench.sh build/bin 3
stage "done"
