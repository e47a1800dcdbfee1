#!/usr/bin/env bash
# The README's test command, run as a new user would: a clean clone of this repository's HEAD,
# a new virtual environment (no site packages), then exactly the command from the README.
# Writes tests_log.txt here (pip's notes about the local package index are filtered out).
#   bash results/fresh_machine/tests.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
git clone -q "$repo" "$work/clone"
python -m venv "$work/venv"
source "$work/venv/bin/activate"
cd "$work/clone"
{
  echo "# $(date -u +%F) $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores, threads: torch default"
  time (pip install -q torch==2.13.0 && pip install -q -e '.[test]' && python -m pytest -q)
} 2>&1 | grep -v "^WARNING: Location" | tee "$repo/results/fresh_machine/tests_log.txt"
