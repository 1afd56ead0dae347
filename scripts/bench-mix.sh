#!/usr/bin/env bash
# Times mixing and E-PUR on two BERT-base-size checkpoints (random weights from `finemix synth`).
#
#   scripts/bench-mix.sh [WORKDIR]        (default WORKDIR: /tmp/finemix-bench-mix)
#
# Builds the release binary (scratch path .build-bench unless SCRATCH is set), writes a
# pre-trained/victim pair (different seeds, so every weight differs; the victim has a 2-label
# head), then reports, from the commands' own timers:
#   plan  building the mix (for largest/smallest: the per-tensor radix select) + kept counts
#   mix   computing every mixed value once, over all cores (no --out)
#   save  streaming the mixed checkpoint to disk (temporary file, fsync, rename)
#   epur  drift of the 30522 embedding rows + token counts of the clean text + ranking
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/finemix-bench-mix}
SCRATCH=${SCRATCH:-.build-bench}
swift build -c release --scratch-path "$SCRATCH" --product finemix >/dev/null
BIN="$SCRATCH/release/finemix"
mkdir -p "$WORK"
[ -f "$WORK/pre/model.safetensors" ] || "$BIN" synth --config bert-base --seed 1 --out "$WORK/pre"
[ -f "$WORK/victim/model.safetensors" ] || "$BIN" synth --config bert-base --seed 2 --labels 2 --out "$WORK/victim"
# One untimed read so both files are in the page cache, as after any earlier use.
cat "$WORK/pre/model.safetensors" "$WORK/victim/model.safetensors" >/dev/null

echo "== mixing, BERT-base size ($(nproc) cores)"
for select in random largest smallest; do
    echo "-- select $select, rho 0.3 (no --out)"
    "$BIN" mix --pre "$WORK/pre" --victim "$WORK/victim" --rho 0.3 --select "$select" --seed 7 | tail -n 1
done
echo "-- select random, rho 0.3, --out"
"$BIN" mix --pre "$WORK/pre" --victim "$WORK/victim" --rho 0.3 --seed 7 --out "$WORK/mixed" | tail -n 1

echo "== E-PUR, 30522-token vocabulary"
for size in 64 256; do
    echo "-- clean rt, $size sentences"
    "$BIN" epur --pre "$WORK/pre" --victim "$WORK/victim" --clean rt --clean-size "$size" --show 0 | tail -n 1
done
echo "-- clean rt, all sentences"
"$BIN" epur --pre "$WORK/pre" --victim "$WORK/victim" --clean rt --show 0 | tail -n 1
