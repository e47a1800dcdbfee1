#!/bin/bash
# Case 1 PINN sweeps on the lent machine: 14 single-threaded CPU workers + the default forward
# solve on the GPU, at the same time. Results come back as one tarball (the file count is limited).
set -u
OUT=${OUT:-/tmp/out}
export PYTHONPATH=$PWD OMP_NUM_THREADS=1
nproc; nvidia-smi --query-gpu=name --format=csv,noheader; lscpu | grep "Model name"
(timeout 480 python3 results/flames/case1.py pinn --workers 1 --device cuda \
    --only fwd_p1.0_phi0.42 --out /tmp/runs_gpu > /tmp/gpu.log 2>&1; echo gpu done) &
timeout 500 python3 results/flames/case1.py pinn --workers 14 --out /tmp/runs_cpu
wait
cat /tmp/gpu.log
tar czf "$OUT/case1_runs.tgz" -C /tmp runs_cpu runs_gpu
ls -la "$OUT"
