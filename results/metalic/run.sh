#!/usr/bin/env bash
# METALIC benchmark (issue 4): GP-UCB / GP-TS / random interface conditions over two PDE families.
# Budget per training (CPU-sized): 300 Adam + 300 L-BFGS iterations, 400 residual points per
# subnet, [2, 20, 20, 1] networks, float64, one torch thread. Each family: 5 warm-up rounds,
# 15 online rounds, 20 held-out contexts; every method sees the same network seed per context.
#   bash results/metalic/run.sh burgers     # ~20 min of one CPU core
#   bash results/metalic/run.sh advection   # ~15 min
#   ROUNDS=25 bash results/metalic/run.sh advection   # continues a finished session to 25 rounds
#   python results/metalic/report.py        # results/metalic/README tables from the runs
set -euo pipefail
family=${1:?family: burgers | advection | reaction | poisson | heat | kdv}
out=results/metalic/$family
mkdir -p "$out"
OMP_NUM_THREADS=1 python -m pinnlab bandit "problems/metalic/$family.toml" \
  --warmup 5 --rounds "${ROUNDS:-15}" --heldout 20 --policies ucb,ts,random --fixed xpinn,all \
  --adam-steps 300 --lbfgs-steps 300 --option residual_points=400 \
  --workers "${WORKERS:-1}" --seed 0 --out "$out" 2>&1 | tee "$out/log.txt"
