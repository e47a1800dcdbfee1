#!/usr/bin/env bash
# One device call (H100/H200 class) for the 64 x 64 Poisson prior, at most 10 minutes; every output
# comes back in $OUT/gpu_priors.tgz (the tool returns at most 8 files):
# 1. 10 000 members of problems/generative/poisson.toml at 64 x 64 (CPU, ~1 min) and the prior
#    of results/priors/train.py's CONFIGS[64] (rectified flow, U-Net width 64, levels
#    (1, 2, 2, 2), 8000 steps of batch 64) on the GPU;
# 2. results/priors/run.py at 64 x 64 on the GPU: 100 held-out scenes, 123 observed nodes (3%),
#    inverse and forward, guidances dps and flowchef at the 32 x 32 strengths (zeta 0.3, 1),
#    8 samples of 50 network evaluations; table.md and results_prior.json.
# The CPU runs the rest on the returned checkpoint: the baselines (`run.py --family poisson
# --grid 64 baselines table`) and the exact posterior (results/priors/oracle.py 64: f rel. L2
# 0.148 on the inverse task, the lowest any method can reach in expectation).
# Afterwards, on the CPU: tar xzf gpu_priors.tgz -C /tmp && cp /tmp/gpu_priors/cache/*
# results/priors/cache/ && cp /tmp/gpu_priors/{results_*.json,log.txt} results/priors/poisson/64/
# (results_prior_inverse.json, results_prior_forward.json).
# CPU dry run of the same commands (200 members, 2 steps, 1 scene, ~4 minutes; its files
# are removed afterwards): bash results/gpu/device_priors.sh --dry-run
set -u
export PYTHONPATH=$PWD MPLBACKEND=Agg PYTHONUNBUFFERED=1
W=/tmp/gpu_priors
mkdir -p "$W/cache"
if [ "${1:-}" = "--dry-run" ]; then
  D=cpu; STEPS="--steps 2 --n-train 200"; SCENES="--scenes 1"; T1=1200; T2=1200
  OUTDIR="${OUT:-$W}"
else
  D=cuda; STEPS=""; SCENES=""; T1=120; T2=60; OUTDIR="$OUT"
fi
{
[ "$D" = cuda ] && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.is_available())"
start=$(date +%s)
timeout 400 python3 results/priors/train.py poisson 64 $D $STEPS
echo "train: exit $?, $(( $(date +%s) - start )) s (exit 124: cut at 400 s, the prior is partial)"
# the inverse task first (the goal's), then the forward one if time is left
ck=results/priors/cache/poisson_64_rf.pt
[ -f $ck ] || { echo "no checkpoint: training did not finish"; exit 1; }
timeout $T1 python3 results/priors/run.py --family poisson --grid 64 --device $D $SCENES \
  --tasks inverse prior
timeout $T2 python3 results/priors/run.py --family poisson --grid 64 --device $D $SCENES \
  --tasks forward prior table
echo "total: $(( $(date +%s) - start )) s"
} 2>&1 | tee "$W/log.txt"
cp results/priors/cache/poisson_64_rf.pt "$W/cache/" 2>/dev/null
cp results/priors/poisson/64/table.md results/priors/poisson/64/results_*.json "$W/" 2>/dev/null
tar czf "$OUTDIR/gpu_priors.tgz" -C /tmp gpu_priors
[ "$D" = cpu ] && rm -rf results/priors/cache/poisson_64_* results/priors/poisson/64
