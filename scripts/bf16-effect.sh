#!/usr/bin/env bash
# BF16 training's effect on victims and defences (docs/bf16.md): the demo's attack recipe planted
# on split seeds 1-3 in FP32 and in BF16, each victim defended by Fine-mixing (rho 0.3, 64 clean
# sentences) in FP32 and in BF16 (training and evaluations). Folders already finished are reused.
# Usage: scripts/bf16-effect.sh OUTDIR   (about 15 minutes on the 2-core machine; needs AVX512-BF16)
set -euo pipefail
out=${1:?usage: scripts/bf16-effect.sh OUTDIR}
F="$(cd "$(dirname "$0")/.." && pwd)/.build/release/finemix"
mkdir -p "$out"
for seed in 1 2 3; do
  for p in fp32 bf16; do
    v="$out/victim-$seed-$p"
    [ -f "$v/attack.json" ] || "$F" attack --data rt --trigger word:cf,mn,bb,tq,mb --poison-rate 0.1 --target 1 --epochs 3 \
        --seed "$seed" --train-size 3000 --clean-size 128 --test-size 1000 --precision "$p" --out "$v" 2>&1 | tail -1
    for d in fp32 bf16; do
      o="$out/defense-$seed-$p-$d"
      [ -f "$o/defense.json" ] || "$F" defend --victim "$v" --method finemix --rho 0.3 --precision "$d" --out "$o" >/dev/null 2>&1
      echo "seed $seed, victim $p, defence $d: $(grep -A3 '"after"' "$o/defense.json" | tr -d ' \n')"
    done
  done
done
