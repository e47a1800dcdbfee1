#!/usr/bin/env bash
# The README's two fresh-machine commands, run as a new user would: a clean clone of this
# repository's HEAD and a new virtual environment (no site packages), then exactly the README's
# command. Writes the log here (pip's notes about the local package index and the progress bar
# are filtered out).
#   bash results/fresh_machine/check.sh solve   # install + the main job      -> log.txt
#   bash results/fresh_machine/check.sh tests   # install + the test command  -> tests_log.txt
set -euo pipefail
mode=${1:-solve}
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
git clone -q "$repo" "$work/clone"
python -m venv "$work/venv"
source "$work/venv/bin/activate"
cd "$work/clone"
if [ "$mode" = tests ]; then
  log="$repo/results/fresh_machine/tests_log.txt"
  run() { pip install -q torch==2.13.0 && pip install -q -e '.[test]' && python -m pytest -q; }
else
  log="$repo/results/fresh_machine/log.txt"
  export OMP_NUM_THREADS=1
  run() { pip install -q torch==2.13.0 && pip install -q -e . && pinnlab solve problems/burgers.toml; }
fi
{
  echo "# $(date -u +%F) $(git -C "$repo" rev-parse --short HEAD), $(nproc --all) cores, $mode"
  time run
} 2>&1 | grep -v "^WARNING: Location" | tr '\r' '\n' | grep -v "step/s\|s/step" | tee "$log"
