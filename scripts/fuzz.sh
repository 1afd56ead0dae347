#!/usr/bin/env bash
# Fuzzes every parser of untrusted input with libFuzzer + AddressSanitizer for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]        (default 60)
#   FUZZ_TARGETS="safetensors vocab" scripts/fuzz.sh 300
#
# Targets (fuzz/Sources/FinemixFuzz/FuzzTargets.swift): safetensors (header + data, then loaded as
# a tiny model folder), config (config.json), vocab (vocab.txt + tokenizer over it), tokenizer
# (arbitrary bytes), dataset (TSV/CSV/JSONL), command (the command language and its option values),
# attack (attack.json), journal (journal.jsonl, then an append) and keys (keys.conf).
# Each starts from the committed seeds in Tests/Fixtures/fuzz/<target>/ plus the corpus grown by
# earlier runs (.build-fuzz-lf/corpus/<target>). The fuzzer is built in debug so Swift's bounds
# and overflow checks trap (release uses -Ounchecked). A crash, hang (>5 s), leak of the RSS limit
# or ASan report leaves its input in .build-fuzz-lf/artifacts/<target>/ and makes the script fail;
# turn each into a regression test in Tests/DefenseTests/FuzzRegressionTests.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-60}
targets=${FUZZ_TARGETS:-"safetensors config vocab tokenizer dataset command attack journal keys"}
scratch=${FUZZ_SCRATCH:-$root/.build-fuzz-lf}

echo "building the fuzzer (debug, -sanitize=fuzzer,address)..."
(cd fuzz && swift build -c debug --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address 2>&1 \
    | grep -v "Cannot export local symbol" | tail -3)
bin="$scratch/debug/FinemixFuzz"
vocab="$HOME/.local/share/finemix/cache/minilm/vocab.txt"
[ -f "$vocab" ] || vocab=""

# No leak checking (-detect_leaks=0 for libFuzzer, detect_leaks=0 for ASan's check at exit):
# Foundation's Data(contentsOf:) leaks its 4 KB buffer on an empty file (FoundationEssentials'
# readBytesFromFile, not finemix), which LeakSanitizer would report for every file-reading target.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
failed=0
printf "%-12s %8s %12s %8s  %s\n" target seconds executions corpus result
for t in $targets; do
    corpus="$scratch/corpus/$t"; artifacts="$scratch/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    log="$scratch/fuzz-$t.log"
    status=ok
    FINEMIX_FUZZ_TARGET=$t FINEMIX_FUZZ_VOCAB=$vocab "$bin" "$corpus" "Tests/Fixtures/fuzz/$t" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=5 -max_len=65536 -detect_leaks=0 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || status="FAILED (see $log)"
    runs=$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$" | tail -1)
    took=$(grep -o "Done [0-9]* runs in [0-9]* second" "$log" | grep -o "in [0-9]*" | grep -o "[0-9]*" | tail -1)
    printf "%-12s %8s %12s %8s  %s\n" "$t" "${took:-?}" "${runs:-?}" "$(ls "$corpus" | wc -l)" "$status"
    [ "$status" = ok ] || failed=1
done
exit $failed
