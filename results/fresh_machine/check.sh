#!/usr/bin/env bash
# The README's first fresh-machine command, run on a clean clone in a new virtual environment
# (no site packages): install, then the main job on the bundled Burgers spec. Writes log.txt here
# (pip's notes about the local package index and the progress bar are filtered out).
#   bash results/fresh_machine/check.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
git clone -q "$repo" "$work/clone"
python -m venv "$work/venv"
source "$work/venv/bin/activate"
cd "$work/clone"
export OMP_NUM_THREADS=1
{
  echo "# $(date -u +%F) $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores"
  time (pip install -q torch==2.13.0 && pip install -q -e .)
  time pinnlab solve problems/burgers.toml
} 2>&1 | grep -v "^WARNING: Location" | tr '\r' '\n' | grep -v "step/s\|s/step" \
  | tee "$repo/results/fresh_machine/log.txt"
