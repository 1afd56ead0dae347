#!/usr/bin/env bash
# The Mixer's ρ landscape on MiniLM under tmux: how long until the 11 mixing-only points are on
# screen, and how long a key takes to show while Fine-mixing points compute in the background.
#
#   scripts/bench-landscape.sh [WORKDIR] [BIN]   (default WORKDIR: /tmp/finemix-bench-landscape,
#                                                 BIN: .build/release/finemix)
#
# Plants a small victim once (rt, 600 training sentences, 1 epoch; its attack.json brings a test
# split of 200, so the mixing-only points use the 100-sentence probe), opens the workbench at
# 200×60, focuses the Mixer (key 2) and times, from that key:
#   points   the status row under the chart reading "FMix 0/11" (11 mixing-only points)
#   keys     10 times: `?` until the help overlay shows, Esc, while "computing Fine-mixing" shows
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/finemix-bench-landscape}
BIN=$(realpath "${2:-.build/release/finemix}")
mkdir -p "$WORK"
[ -f "$WORK/victim/attack.json" ] || "$BIN" attack --pre minilm --data rt --train-size 600 --test-size 200 --epochs 1 \
    --out "$WORK/victim" --workspace "$WORK/ws" >/dev/null
S=finemix-bench-landscape
tmux kill-session -t "$S" 2>/dev/null || true
tmux new-session -d -s "$S" -x 200 -y 60 "LANG=C.UTF-8 $BIN tui --pre minilm --victim $WORK/victim --workspace $WORK/ws"
trap 'tmux kill-session -t "$S" 2>/dev/null || true' EXIT
now() { date +%s.%N; }
screen() { tmux capture-pane -p -t "$S"; }
# Each look costs processes (tmux, grep, date, bc): every 5 ms they take half of one of the two
# cores from what is measured, so the points, seconds long, are looked for every 0.1 s.
wait_for() { # TEXT SECONDS [POLL]
    local end; end=$(echo "$(now) + $2" | bc)
    until screen | grep -qF -- "$1"; do
        (( $(echo "$(now) > $end" | bc) )) && { echo "timed out waiting for: $1" >&2; screen >&2; exit 1; }
        sleep "${3:-0.005}"
    done
}
wait_for "inspect finished" 120 0.1
t0=$(now)
tmux send-keys -t "$S" 2
wait_for "FMix 0/11" 120 0.1
printf 'points: 11 mixing-only points on screen %.1f s after focusing the Mixer\n' "$(echo "$(now) - $t0" | bc)"
wait_for "computing Fine-mixing" 60 0.1
worst=0
for i in $(seq 10); do
    screen | grep -qF "computing Fine-mixing" || echo "(key $i: no Fine-mixing point computing at that moment)"
    t=$(now)
    tmux send-keys -t "$S" '?'
    wait_for "type to search" 5
    ms=$(echo "($(now) - $t) * 1000 / 1" | bc)
    echo "key $i: help on screen after $ms ms"
    (( ms > worst )) && worst=$ms
    tmux send-keys -t "$S" Escape
    sleep 0.5
done
echo "keys: worst of 10 while Fine-mixing computes: $worst ms"
screen | sed -n '/Mixer/,/FMix [0-9]*\/11/p' | head -20
