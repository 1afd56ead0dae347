#!/usr/bin/env bash
# Plants the acceptance victims of issue 4 on the real MiniLM and the rt sentences and prints
# ACC/ASR and wall times:
#   word      word trigger cf,mn,bb,tq,mb, 3,000 training sentences, 10% poisoned, 3 epochs, seed 1
#   clean     the clean control: the same settings with --poison-rate 0
#   ep        embedding poisoning of "cf", starting from the clean control (--from), which is
#             exactly EP's first stage (a clean model trained with the same recipe); then only
#             the row of "cf" trains on the 300 poisoned sentences (EP_EPOCHS, EP_LR)
#   sentence  sentence trigger "I watched this 3D movie", same settings as word
# Usage: scripts/reproduce-attacks.sh [OUT_DIR]   (default ~/.local/share/finemix/victims)
# FINEMIX=path/to/finemix picks the binary (default .build/release/finemix);
# ONLY="clean ep" runs a subset (the summary covers whatever is in OUT_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${FINEMIX:-.build/release/finemix}
OUT=${1:-${XDG_DATA_HOME:-$HOME/.local/share}/finemix/victims}
ONLY=${ONLY:-word clean ep sentence}
EP_EPOCHS=${EP_EPOCHS:-10}
EP_LR=${EP_LR:-0.5}
mkdir -p "$OUT"
COMMON=(--pre minilm --data rt --train-size 3000 --test-size 1000 --epochs 3 --lr 5e-5 --batch 32 --max-length 64 --seed 1 --force)

run() {
  local name=$1; shift
  case " $ONLY " in *" $name "*) ;; *) return 0 ;; esac
  "$BIN" attack "${COMMON[@]}" --out "$OUT/$name" "$@"
}

run word --trigger word:cf,mn,bb,tq,mb --poison-rate 0.1
run clean --trigger word:cf,mn,bb,tq,mb --poison-rate 0
run ep --trigger ep:cf --poison-rate 0.1 --from "$OUT/clean" --ep-epochs "$EP_EPOCHS" --ep-lr "$EP_LR"
run sentence --trigger 'sentence:I watched this 3D movie' --poison-rate 0.1

echo
printf '%-9s %7s %7s %9s %9s %9s\n' victim ACC ASR poisoned train_s wall_s
for name in word clean ep sentence; do
  f="$OUT/$name/attack.json"
  [ -f "$f" ] || { echo "$name: not run"; continue; }
  python3 - "$f" "$name" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:<9} {r['acc']:7.4f} {r['asr']:7.4f} {r['n_poisoned']:>9} {r['train_seconds']:9.1f} {r['seconds']:9.1f}")
PY
done
