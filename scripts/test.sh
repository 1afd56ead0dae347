#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up, then every test in a release build (the
# tests that train real models are too slow in debug).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec swift test -c release -Xswiftc -enable-testing "$@"
