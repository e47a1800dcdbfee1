#!/usr/bin/env bash
# The GPU session script (run through the device tool on a lent H100/H200; see results/gpu/README.md).
# 1. step time on the GPU (alone on the card, <= 100 s);
# 2. the ProbConserv ANP at the reference scale for Stefan and PME (two processes, 320 s each),
#    with the CUDA tests running beside them (they assert numbers, not times).
# Everything lands under $OUT: log.txt, gpu_step_time.*, anp/ (weights, records, logs).
set -u
export PYTHONPATH=$PWD MPLBACKEND=Agg PYTHONUNBUFFERED=1
LOG=$OUT/log.txt
mkdir -p $OUT/anp
{
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
nproc
timeout 100 python3 results/speed/run.py --device cuda --sizes 4096,16384,65536,262144 --repeats 20 --no-deepxde --no-compile
cp results/speed/gpu_step_time.* $OUT/ 2>/dev/null
for f in stefan pme; do
  timeout 400 python3 results/probconserv/gpu_train.py --problem $f --budget 320 --workers 6 \
      --out $OUT/anp --tag _gpu > $OUT/anp/$f.log 2>&1 &
done
timeout 240 python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py
wait
tail -3 $OUT/anp/*.log
} > $LOG 2>&1
cat $LOG
