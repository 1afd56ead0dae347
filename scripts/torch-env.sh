#!/usr/bin/env bash
# The reference Python environment: PyTorch, transformers, tokenizers and peft from PyPI, at the
# versions the committed fixtures were generated with, in a venv at DIR (default /opt/refpy, the
# path the generators' and benchmarks' #! lines name). finemix never needs it to build, run or
# test; the fixture generators (scripts/gen_*.py), scripts/torch_side_by_side.py and
# scripts/bench_jobs_torch.py do. Quick when already done; several GB of downloads the first time
# (PyPI's torch wheel brings its CUDA libraries).
#
#   scripts/torch-env.sh [DIR]
set -euo pipefail
dir="${1:-/opt/refpy}"
pins=(torch==2.15.0 transformers==5.24.0 tokenizers==0.23.3 peft==0.21.2 safetensors numpy)

if [ -x "$dir/bin/python" ] && "$dir/bin/python" - <<'EOF' 2>/dev/null
import importlib.metadata as m
want = {"torch": "2.15.0", "transformers": "5.24.0", "tokenizers": "0.23.3", "peft": "0.21.2"}
raise SystemExit(any(not m.version(k).startswith(v) for k, v in want.items()))
EOF
then
  echo "torch-env: $dir is ready" >&2
  exit 0
fi

command -v python3 >/dev/null || { echo "torch-env: python3 is needed" >&2; exit 1; }
python3 -m venv "$dir"
"$dir/bin/python" -m pip install -q --upgrade pip
"$dir/bin/python" -m pip install -q "${pins[@]}"
"$dir/bin/python" -c 'import torch, transformers, tokenizers, peft; print("torch-env: torch", torch.__version__, "transformers", transformers.__version__, "in '"$dir"'")' >&2
