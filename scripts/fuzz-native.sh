#!/usr/bin/env bash
# Fuzzes the native frame parser for a bounded time (FUZZ_SECONDS, default 60).
# With clang + libFuzzer available (apt-get install -y clang libclang-rt-14-dev)
# it runs a libFuzzer target; otherwise a standalone mutation driver built with
# g++ -fsanitize=address,undefined. Prints the execution count either way.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${FUZZ_SECONDS:-60}"
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
  "$OUT/fuzz_parser_libfuzzer" -max_total_time="$SECONDS_TO_RUN" -max_len=200000 -print_final_stats=1 -artifact_prefix="$OUT/" "$OUT/corpus" 2>&1 \
    | grep -E "stat::number_of_executed_units|Done|ERROR|SUMMARY|crash" || true
  test "${PIPESTATUS[0]}" -eq 0
else
  g++ $FLAGS -DQRPC_STANDALONE_FUZZ "$SRC" -o "$OUT/fuzz_parser"
  "$OUT/fuzz_parser" "$SECONDS_TO_RUN" "${FUZZ_SEED:-1}"
fi
