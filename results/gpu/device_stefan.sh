#!/usr/bin/env bash
# Second GPU call of session 3: the Stefan ANP alone on the card (the first call trained Stefan and
# PME side by side, and the Stefan files did not come back: the device tool returns at most 8 files,
# so everything is packed into one tarball here).
set -u
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
mkdir -p /tmp/anp
timeout 440 python3 results/probconserv/gpu_train.py --problem stefan --budget 400 --workers 12 \
    --out /tmp/anp --tag _gpu 2>&1 | tee /tmp/anp/stefan.log
tar czf $OUT/anp.tgz -C /tmp anp
