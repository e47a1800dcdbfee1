#!/usr/bin/env bash
# The GPU session script (run through the device tool on a lent H100/H200; see results/gpu/README.md).
# 1. the CUDA tests; 2. step time on the GPU; 3. a Burgers recipe sweep (float64) on the GPU.
# Everything lands in $OUT/gpu.tar.gz plus $OUT/log.txt.
set -u
export PYTHONPATH=$PWD MPLBACKEND=Agg
W=$(mktemp -d)
{
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
timeout 150 python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py tests/test_jet.py 2>&1 | tail -5
mkdir -p $W/sweep
i=0
while read -r cfg; do
  i=$((i+1))
  timeout 330 python3 results/burgers/track.py problems/burgers.toml --device cuda \
     --options "$cfg" --out $W/sweep/cfg$i.json > $W/sweep/cfg$i.log 2>&1 &
done < results/gpu/sweep_configs.jsonl
timeout 200 python3 results/speed/run.py --device cuda --repeats 20 --no-deepxde 2>&1 | tail -6
cp results/speed/gpu_step_time.* $W/ 2>/dev/null
wait
cat $W/sweep/*.log | grep -v Warning
} > $OUT/log.txt 2>&1
tar czf $OUT/gpu.tar.gz -C $W .
