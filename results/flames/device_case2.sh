#!/bin/bash
# Case 2 PINN runs on the lent machine: 7 single-threaded CPU workers (the φ sweep of one-step CH4
# and H2/air) and the φ = 0.8 CH4 run on the GPU, at the same time; one tarball comes back.
set -u
OUT=${OUT:-/tmp/out}
export PYTHONPATH=$PWD OMP_NUM_THREADS=1
(timeout 400 python3 results/flames/case2.py pinn --device cuda --only ch4_phi0.8 \
    --outlet zero-gradient --out /tmp/runs2_gpu > /tmp/gpu2.log 2>&1; echo gpu done) &
timeout 420 python3 results/flames/case2.py pinn --workers 7 --outlet zero-gradient --out /tmp/runs2_cpu
wait
cat /tmp/gpu2.log
tar czf "$OUT/case2_runs.tgz" -C /tmp runs2_cpu runs2_gpu
