#!/usr/bin/env bash
# Times the README's first command as a newcomer meets it: a fresh clone of this repository's HEAD
# (no .build), an empty workspace (no cached model, corpora or victim), scripts/demo.sh in a real
# terminal (tmux, 160x45). Reports when set-up (build + fetch) ends, when planting starts and ends,
# and when the first screen shows the victim's drift map; then starts it again and times the
# cached start. Packages already installed are not reinstalled (apt-get time is not included).
# Usage: scripts/time-first-run.sh [WORKDIR]   (default: a new temporary directory, removed after)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work=${1:-$(mktemp -d /tmp/finemix-first-run.XXXXXX)}
keep=${1:+yes}
command -v tmux >/dev/null || { echo "time-first-run: tmux is needed" >&2; exit 1; }
session="finemix-first-run-$$"
cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; [ -n "$keep" ] || rm -rf "$work"; }
trap cleanup EXIT

git clone -q "$repo" "$work/finemix"
mkdir -p "$work/workspace"
stamp="$work/setup.log"
now() { date +%s.%N; }
since() { echo "$1 $2" | awk '{ printf "%.1f", $1 - $2 }'; }

start_demo() {
  # Each stderr line of set-up gets the time it arrived, so build and fetch can be told apart.
  tmux new-session -d -s "$session" -x 160 -y 45 -c "$work/finemix" \
    "FINEMIX_WORKSPACE='$work/workspace' scripts/demo.sh 2> >(while IFS= read -r l; do echo \"\$(date +%s.%N) \$l\"; done > '$stamp'); sleep 600"
}
screen() { tmux capture-pane -p -t "$session" 2>/dev/null || true; }
drift_shown() { screen | grep -Eq 'encoder\.layer\.5\.ffn +[0-9]+\.[0-9]+'; }

t0=$(now)
start_demo
plant_start="" plant_end=""
while ! drift_shown; do
  s=$(screen)
  if [ -z "$plant_start" ] && grep -q ' victim [0-9]*%' <<<"$s"; then plant_start=$(now); fi
  if [ -n "$plant_start" ] && [ -z "$plant_end" ] && ! grep -q ' victim [0-9]*%' <<<"$s"; then plant_end=$(now); fi
  if (( $(since "$(now)" "$t0" | cut -d. -f1) > 3600 )); then echo "time-first-run: no drift map after an hour" >&2; screen >&2; exit 1; fi
  sleep 0.5
done
t_first=$(now)
ready=$(awk '/setup: ready/ { print $1; exit }' "$stamp")
built=$(awk '/Build complete/ { print $1; exit }' "$stamp")
tmux kill-session -t "$session"

t1=$(now)
start_demo
while ! drift_shown; do
  if (( $(since "$(now)" "$t1" | cut -d. -f1) > 300 )); then echo "time-first-run: the cached start showed no drift map" >&2; exit 1; fi
  sleep 0.1
done
t_second=$(now)

echo "first run (fresh clone, empty workspace, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the end):"
echo "  build done         $(since "${built:-$t0}" "$t0") s"
echo "  set-up done        $(since "${ready:-$t0}" "$t0") s   (build + fetch)"
[ -n "$plant_start" ] && echo "  planting           $(since "${plant_end:-$t_first}" "$plant_start") s"
echo "  drift map shown    $(since "$t_first" "$t0") s"
echo "second run (cached victim): drift map shown after $(since "$t_second" "$t1") s"
