#!/usr/bin/env bash
# One device call (H100/H200 class) for the GPU speed figures, ~7 minutes; every output comes
# back in $OUT/gpu_speed.tgz (the tool returns at most 8 files):
# 1. the CUDA tests;
# 2. the Burgers PINN step (2-[64]*4-1, float32) at 1k, 16k and 65k points: nested autograd,
#    pinnlab eager, torch.compile, and torch.compile(mode="reduce-overhead") (CUDA graphs)
#    (goal: 65k points <= 2 ms and >= 2x nested autograd);
# 3. K = 1, 4, 16, 64 PINNs per step (pinnlab.batched), METALIC size and 2-[64]*4-1, eager and
#    CUDA graphs, 1024 points (goal: K = 64 METALIC-size at >= 20x the throughput of one).
# Afterwards, on the CPU: tar xzf gpu_speed.tgz -C /tmp && cp /tmp/gpu_speed/*.{md,json,png}
# results/gpu/ and write the reading into results/gpu/README.md.
# CPU dry run of the same Python (small sizes): bash results/gpu/device_speed.sh --dry-run
set -u
export PYTHONPATH=$PWD MPLBACKEND=Agg PYTHONUNBUFFERED=1
W=/tmp/gpu_speed
mkdir -p "$W"
if [ "${1:-}" = "--dry-run" ]; then
  D=cpu; SIZES=1024; KS="1 4"; R=2; OUTDIR="${OUT:-$W}"
else
  D=cuda; SIZES=1024,16384,65536; KS="1 4 16 64"; R=5; OUTDIR="$OUT"
fi
{
[ "$D" = cuda ] && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.is_available())"
[ "$D" = cuda ] && timeout 120 python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py
timeout 200 python3 results/speed/run.py --device $D --sizes $SIZES --no-deepxde --repeats 20 \
  --compile-modes default,reduce-overhead --out "$W"
timeout 240 python3 results/speed/batched.py --device $D --points 1024 --ks $KS --rounds $R \
  --compile-mode reduce-overhead --out "$W"
} 2>&1 | tee "$W/log.txt"
tar czf "$OUTDIR/gpu_speed.tgz" -C /tmp gpu_speed
