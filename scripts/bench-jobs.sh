#!/usr/bin/env bash
# The analyst's jobs (an attacker epoch and a Fine-mixing point, `finemix bench --jobs`) in finemix
# and in PyTorch + transformers on the same sentences, batches and model, alternating engine by
# engine for ROUNDS rounds so every ratio is measured under the same load. FP32 and BF16 in both
# (BF16 only where the CPU has AVX512-BF16; PyTorch's BF16 is torch.autocast). Needs the PyTorch
# venv (scripts/torch-env.sh) and a release build; not part of CI. Every job's line goes to
# DIR/jobs.tsv: engine, precision, round, then `finemix bench --jobs`'s columns (job, batches,
# seconds, real tokens/s, phase=seconds...).
#
#   scripts/bench-jobs.sh DIR [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:?usage: scripts/bench-jobs.sh DIR [ROUNDS]}"
rounds="${2:-2}"
fm=.build/release/finemix
[ -x "$fm" ] || { echo "bench-jobs: no release build at $fm (scripts/setup.sh builds it)" >&2; exit 1; }
[ -x /opt/refpy/bin/python ] || { echo "bench-jobs: no PyTorch venv at /opt/refpy (scripts/torch-env.sh makes it)" >&2; exit 1; }
mkdir -p "$dir"

precisions=(fp32)
grep -qw avx512_bf16 /proc/cpuinfo && precisions+=(bf16)

# The sentences and the epoch's model for PyTorch, written once (this run is not counted).
[ -f "$dir/data/split.json" ] || "$fm" bench --jobs --batches length-grouped --job-data "$dir/data" >/dev/null

out="$dir/jobs.tsv"
: > "$out"
for r in $(seq 1 "$rounds"); do
  for p in "${precisions[@]}"; do
    "$fm" bench --jobs --batches length-grouped --precision "$p" | sed "s/^/finemix\t$p\t$r\t/" | tee -a "$out"
    scripts/bench_jobs_torch.py "$dir/data" --batches length-grouped --precision "$p" | sed "s/^/pytorch\t$p\t$r\t/" | tee -a "$out"
  done
done
echo "bench-jobs: $out" >&2
