"""Train the joint [a, u] prior of the Darcy family (problems/generative/darcy_binary.toml),
32 x 32.

Data: 10 000 members of the family (seed 0), each a binary permeability a in {3, 12} from a
thresholded Gaussian random field and its solution u of -div(a grad u) = 1, u = 0 on the walls
(pinnlab's finite-volume reference ``darcy_fd``). Prior: a rectified-flow U-Net (2 channels,
width 32, levels (1, 2, 2)), 6000 Adam steps of batch 32 with a cosine learning rate from 2e-3,
one CPU thread. The checkpoint goes to results/priors/cache/darcy_binary_rf.pt (not committed;
``run.py`` calls this script when it is missing). Run from the repository root:
``python results/priors/train.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from pinnlab.generative.datasets import bundled_spec, family_dataset
from pinnlab.generative.prior import PriorConfig, train_prior

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
GRID = {"x": 32, "y": 32}
CONFIG = PriorConfig(objective="rf", channels=2, base=32, mults=(1, 2, 2), steps=6000, batch=32,
                     lr=2e-3, seed=0)


def checkpoint_path(family: str = "darcy_binary") -> Path:
    return CACHE / f"{family}_rf.pt"


def main(family: str = "darcy_binary", n_train: int = 10_000) -> None:
    torch.set_num_threads(1)
    CACHE.mkdir(exist_ok=True)
    t0 = time.time()
    data = CACHE / f"{family}_train.npz"
    if data.exists():
        from pinnlab.generative.datasets import FieldDataset
        fields = FieldDataset.load(data).fields
    else:
        ds = family_dataset(bundled_spec(family), n_train, seed=0, grid=GRID)
        ds.save(data)
        fields = ds.fields
    print(f"data {fields.shape} in {time.time() - t0:.0f} s", flush=True)
    t0 = time.time()
    train_prior(fields, CONFIG, checkpoint=checkpoint_path(family), resume=True,
                checkpoint_every=250, progress=False)
    print(f"prior trained in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:2])
