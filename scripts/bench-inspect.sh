#!/usr/bin/env bash
# Times `finemix inspect` on two BERT-base-size checkpoints (110 M parameters each), as issue 2
# asks (target: under 2 s, release build). The checkpoints are random weights from
# `finemix synth`; the victim differs in one encoder tensor and the word embeddings and has a
# classifier head. The first inspect warms the page cache; the timed runs follow.
#
#   scripts/bench-inspect.sh [SCRATCH_PATH] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${1:-.build}"
runs="${2:-3}"
swift build -c release --scratch-path "$scratch" --product finemix >/dev/null
bin="$scratch/release/finemix"
work="$(mktemp -d /tmp/finemix-bench-inspect.XXXXXX)"
trap 'rm -rf "$work"' EXIT

"$bin" synth --config bert-base --seed 1 --out "$work/pre"
"$bin" synth --config bert-base --seed 1 --labels 2 --out "$work/victim" \
    --perturb encoder.layer.3.output.dense.weight=0.001 \
    --perturb embeddings.word_embeddings.weight=0.0001

"$bin" inspect --pre "$work/pre" --victim "$work/victim" --json >/dev/null   # warm the page cache
for i in $(seq "$runs"); do
    start=$(date +%s.%N)
    "$bin" inspect --pre "$work/pre" --victim "$work/victim" --json >/dev/null
    end=$(date +%s.%N)
    awk -v i="$i" -v s="$start" -v e="$end" 'BEGIN { printf "inspect run %d: %.3f s\n", i, e - s }'
done
"$bin" inspect --pre "$work/pre" --victim "$work/victim" --top 3 | head -4
