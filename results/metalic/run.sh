#!/usr/bin/env bash
# METALIC benchmark: GP-UCB / GP-TS / random interface conditions over two PDE families.
# Budget per training (CPU-sized): 300 Adam + 300 L-BFGS iterations, 400 residual points per
# subnet, [2, 20, 20, 1] networks, float64, one torch thread. Each family: 5 warm-up rounds,
# 15 online rounds, 20 held-out contexts; every method sees the same network seed per context.
#   bash results/metalic/run.sh burgers     # ~20 min of one CPU core
#   bash results/metalic/run.sh advection   # ~15 min
#   ROUNDS=25 bash results/metalic/run.sh advection   # continues a finished session to 25 rounds
#   python results/metalic/report.py        # results/metalic/README tables from the runs
#   BUDGET=paper bash results/metalic/run.sh burgers   # METALIC's budget: 1000 Adam + up to
#       10 000 L-BFGS per training, 1000 residual points per subnet, into
#       results/metalic/burgers_paper (170 CPU s a Burgers training, 280 a KdV one:
#       paper_budget_probe.txt; 7-12 CPU h a family; re-run the same command to resume)
set -euo pipefail
family=${1:?family: burgers | advection | reaction | poisson | heat | kdv}
if [ "${BUDGET:-cpu}" = paper ]; then
  adam=1000; lbfgs=10000; points=1000; out=results/metalic/${family}_paper
else
  adam=300; lbfgs=300; points=400; out=results/metalic/$family
fi
mkdir -p "$out"
OMP_NUM_THREADS=1 python -m pinnlab bandit "problems/metalic/$family.toml" \
  --warmup 5 --rounds "${ROUNDS:-15}" --heldout 20 --policies ucb,ts,random --fixed xpinn,all \
  --adam-steps $adam --lbfgs-steps $lbfgs --option residual_points=$points \
  --workers "${WORKERS:-1}" --seed 0 --out "$out" 2>&1 | tee -a "$out/log.txt"
