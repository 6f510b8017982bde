#!/usr/bin/env bash
# The robustness suite, each in its own build folder:
#   1. AddressSanitizer + UndefinedBehaviorSanitizer over the whole test suite, built with clang
#      together with the libFuzzer targets (one build for both),
#   2. libFuzzer on the IDX, checkpoint and session readers (three targets): the committed corpus
#      replayed, then FIRSTSPIKE_FUZZ_SECONDS (default 40) of fuzzing per target, side by side,
#   3. ThreadSanitizer over the training-thread and GUI tests.
# Run after scripts/deps.sh (scripts/test.sh calls it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
FUZZ_SECONDS="${FIRSTSPIKE_FUZZ_SECONDS:-40}"
GEN=()
command -v ninja >/dev/null 2>&1 && GEN=(-G Ninja)
JOBS="$(nproc)"

step() { echo; echo "=== $* ==="; }

step "ASan + UBSan (clang): all tests and the fuzz corpus replayed"
# A build-asan folder configured with another compiler is started afresh (CMake keeps the first).
if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang' build-asan/CMakeCache.txt; then
  rm -rf build-asan
fi
CC=clang CXX=clang++ cmake -S . -B build-asan "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1" \
  -DFIRSTSPIKE_FUZZ=ON -DFIRSTSPIKE_FUZZ_SECONDS="$FUZZ_SECONDS" -DFIRSTSPIKE_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$JOBS"
(cd build-asan && QT_QPA_PLATFORM=offscreen \
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  LSAN_OPTIONS=suppressions="$ROOT/tests/sanitizers/lsan.supp":print_suppressions=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j"$JOBS" -LE fuzz)

step "libFuzzer: IDX, checkpoint and session readers, ${FUZZ_SECONDS}s each"
# The three fuzzers run side by side (each for FUZZ_SECONDS of wall time, whatever the cores).
(cd build-asan && ctest --output-on-failure -j3 -L fuzz)

step "TSan: training threads and GUI"
cmake -S . -B build-tsan "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DFIRSTSPIKE_SANITIZE=thread \
  -DFIRSTSPIKE_BUILD_BENCH=OFF >/dev/null
# The threaded core suites and the GUI suites that drive the controller, worker, snapshot and
# inspection threads. Left out: tst_gui_mainwindow, tst_gui_export and tst_gui_screenshot, which
# train for tens of seconds of wall-clock time or start the real binaries; under ThreadSanitizer
# on this 2-core machine they ran past ctest's 300 s limit (they run in the plain and the ASan
# stages, and the threads they use are exercised by the suites below).
TSAN_TARGETS=(tst_training tst_checkpoint tst_runfolder tst_gui_data tst_gui_data_download tst_gui_inspection tst_gui_hostile
  tst_gui_runs)
TSAN_TOOLS=(firstspike-cli firstspike) # some GUI tests also run the real binaries
cmake --build build-tsan -j"$JOBS" --target "${TSAN_TARGETS[@]}" "${TSAN_TOOLS[@]}"
REGEX="$(IFS='|'; echo "^(${TSAN_TARGETS[*]})\$")"
(cd build-tsan && QT_QPA_PLATFORM=offscreen \
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions="$ROOT/tests/sanitizers/tsan.supp" \
  ctest --output-on-failure -j"$JOBS" -R "$REGEX")

echo "robustness suite passed"
