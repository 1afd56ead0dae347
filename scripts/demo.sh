#!/usr/bin/env bash
# Set up if needed, then open the workbench on the built-in demo scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .build/release/finemix "$@"
