#!/usr/bin/env bash
# Runs the defence tables of docs/reproduction.md on the victims planted by
# scripts/reproduce-attacks.sh and writes them under docs/results/.
# Usage: scripts/reproduce-defenses.sh [VICTIMS_DIR]   (default ~/.local/share/finemix/victims)
# FINEMIX=path/to/finemix picks the binary; ONLY="compare64 sweep64 ..." runs a subset;
# SEEDS (default 1) and TEST_LIMIT (default 500: the first 500 of the 1,000 recorded test
# sentences; set TEST_LIMIT=1000 for all of them) trade time for noise.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FINEMIX:-.build/release/finemix}
V=${1:-${XDG_DATA_HOME:-$HOME/.local/share}/finemix/victims}
OUT=docs/results
ONLY=${ONLY:-compare64x3 compare64 sweepmix64 sweep64 compare256 compare256x3 sweep256 ep ep256 sentence sentence256 sweepsentence sweepsentence256}
SEEDS=${SEEDS:-1}
TL=${TEST_LIMIT:-500}
ROWS=finetune,finemix,fineprune,finemix+epur,finetune+epur,fineprune+epur,mix,mix+epur,none+epur,retrain
mkdir -p "$OUT"
want() { case " $ONLY " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# Table 1: the main rows, three seeds, the full test split.
want compare64x3 && "$BIN" compare --victim "$V/word" --clean-size 64 --seeds 3 \
  --only finetune,fineprune,finemix,finemix+epur,mix,none+epur \
  --markdown "$OUT/compare-word-64-3seeds.md" --json "$OUT/compare-word-64-3seeds.json"
want compare64 && "$BIN" compare --victim "$V/word" --clean-size 64 --seeds "$SEEDS" --test-limit "$TL" --only "$ROWS" \
  --markdown "$OUT/compare-word-64.md" --json "$OUT/compare-word-64.json"
want sweepmix64 && "$BIN" sweep --victim "$V/word" --clean-size 64 --test-limit "$TL" --rho 0:1:0.1 --mix-only \
  --csv "$OUT/sweep-mix-word.csv" --json "$OUT/sweep-mix-word.json"
want sweep64 && "$BIN" sweep --victim "$V/word" --clean-size 64 --test-limit "$TL" --rho 1,0.1,0.5,0.2,0.3 \
  --csv "$OUT/sweep-finemix-word-64.csv" --json "$OUT/sweep-finemix-word-64.json"
want compare256 && "$BIN" compare --victim "$V/word" --clean-size 256 --seeds "$SEEDS" --test-limit "$TL" --only "$ROWS" \
  --markdown "$OUT/compare-word-256.md" --json "$OUT/compare-word-256.json"
want sweep256 && "$BIN" sweep --victim "$V/word" --clean-size 256 --test-limit "$TL" --rho 1,0.1,0.5,0.2,0.3 \
  --csv "$OUT/sweep-finemix-word-256.csv" --json "$OUT/sweep-finemix-word-256.json"
# Table 4b: 256 clean sentences, three seeds, the full test split.
want compare256x3 && "$BIN" compare --victim "$V/word" --clean-size 256 --seeds 3 \
  --only finetune,fineprune,finemix,finemix+epur \
  --markdown "$OUT/compare-word-256-3seeds.md" --json "$OUT/compare-word-256-3seeds.json"
# Tables 5 and 6: three seeds, the full test split, clean sets of 64 and 256.
for n in 64 256; do
  ep=ep; sent=sentence; [ $n = 64 ] || { ep=ep$n; sent=sentence$n; }
  want $ep && [ -d "$V/ep" ] && "$BIN" compare --victim "$V/ep" --clean-size $n --seeds 3 \
    --only finetune,finemix,finetune+epur,finemix+epur,none+epur \
    --markdown "$OUT/compare-ep-$n.md" --json "$OUT/compare-ep-$n.json"
  want $sent && [ -d "$V/sentence" ] && "$BIN" compare --victim "$V/sentence" --clean-size $n --seeds 3 \
    --only finetune,finemix,fineprune,finemix+epur \
    --markdown "$OUT/compare-sentence-$n.md" --json "$OUT/compare-sentence-$n.json"
done
want sweepsentence && [ -d "$V/sentence" ] && "$BIN" sweep --victim "$V/sentence" --clean-size 64 --rho 1,0.1,0.2,0.3 \
  --csv "$OUT/sweep-finemix-sentence-64.csv" --json "$OUT/sweep-finemix-sentence-64.json"
want sweepsentence256 && [ -d "$V/sentence" ] && "$BIN" sweep --victim "$V/sentence" --clean-size 256 --rho 1,0.1,0.2,0.3 \
  --csv "$OUT/sweep-finemix-sentence-256.csv" --json "$OUT/sweep-finemix-sentence-256.json"
true
