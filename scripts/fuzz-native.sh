#!/usr/bin/env bash
# Fuzzes the native frame parser (native/fuzz/fuzz_parser.cc) for a bounded
# time: scripts/fuzz-native.sh [SECONDS] (or FUZZ_SECONDS; default 60).
# With clang + libFuzzer (apt-get install -y clang libclang-rt-14-dev) it runs
# the coverage-guided libFuzzer target, keeping its corpus in $OUT/corpus
# between runs; otherwise (or FUZZ_MODE=standalone) a standalone mutation
# driver built with g++ -fsanitize=address,undefined. Both end by printing the
# executions and the corpus size; the exit status is non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${1:-${FUZZ_SECONDS:-60}}"
# Outside build/: `node-gyp rebuild` wipes that directory.
OUT="${FUZZ_OUT:-${TMPDIR:-/tmp}/qrpc-fuzz}"
mkdir -p "$OUT"
SRC=native/fuzz/fuzz_parser.cc
FLAGS="-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"

if [[ "${FUZZ_MODE:-auto}" != "standalone" ]] && command -v clang++ >/dev/null 2>&1 \
   && echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long){return 0;}' \
      | clang++ -x c++ -fsanitize=fuzzer - -o "$OUT/probe" >/dev/null 2>&1; then
  clang++ $FLAGS -fsanitize=fuzzer "$SRC" -o "$OUT/fuzz_parser_libfuzzer"
  mkdir -p "$OUT/corpus"
  echo "libFuzzer run for ${SECONDS_TO_RUN}s"
  set +e
  "$OUT/fuzz_parser_libfuzzer" -max_total_time="$SECONDS_TO_RUN" -max_len=200000 -print_final_stats=1 \
    -artifact_prefix="$OUT/" "$OUT/corpus" > "$OUT/last-run.log" 2>&1
  status=$?
  set -e
  grep -E "stat::number_of_executed_units|Done [0-9]+ runs|ERROR|SUMMARY|crash-" "$OUT/last-run.log" || true
  echo "executions: $(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/last-run.log" | tail -1)"
  echo "corpus: $(find "$OUT/corpus" -type f | wc -l) inputs in $OUT/corpus"
  echo "result: $([[ $status -eq 0 ]] && echo 'no failure' || echo "FAILED (status $status, see $OUT/last-run.log)")"
  exit "$status"
else
  g++ $FLAGS -DQRPC_STANDALONE_FUZZ "$SRC" -o "$OUT/fuzz_parser"
  "$OUT/fuzz_parser" "$SECONDS_TO_RUN" "${FUZZ_SEED:-1}"
  echo "corpus: none kept (the standalone driver generates every input from its seed)"
fi
