"""Train the joint [a, u] prior of the Darcy family (problems/generative/darcy_binary.toml),
32 x 32.

Data: 10 000 members of the family (seed 0), each a binary permeability a in {3, 12} from a
thresholded Gaussian random field and its solution u of -div(a grad u) = 1, u = 0 on the walls
(pinnlab's finite-volume reference ``darcy_fd``). Prior: a rectified-flow U-Net (2 channels;
1 for a one-field family such as burgers_ic, whose grid is (t, x); width 32, levels (1, 2, 2)),
6000 Adam steps of batch 32 with a cosine learning rate from 2e-3,
one CPU thread. The checkpoint goes to results/priors/cache/darcy_binary_rf.pt (not committed;
``run.py`` calls this script when it is missing). Run from the repository root:
``python results/priors/train.py [FAMILY [GRID [DEVICE]]] [--steps N] [--n-train N]``.

At 64 x 64 (``GRID`` 64, files ``<family>_64_*``) the recipe is sized for a GPU (CONFIGS[64]:
width 64, levels (1, 2, 2, 2), 8000 steps of batch 64; about 4 times the work per sample and
16 times the samples per run of the CPU recipe); ``results/gpu/device_priors.sh`` runs it.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from pinnlab.generative.datasets import bundled_spec, family_dataset
from pinnlab.generative.prior import PriorConfig, train_prior

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
GRID = {"x": 32, "y": 32}  # the grid every script here works on (set_grid changes it in place)
CONFIGS = {32: PriorConfig(objective="rf", channels=2, base=32, mults=(1, 2, 2), steps=6000,
                           batch=32, lr=2e-3, seed=0),
           64: PriorConfig(objective="rf", channels=2, base=64, mults=(1, 2, 2, 2), steps=8000,
                           batch=64, lr=2e-3, seed=0)}


def set_grid(n: int) -> None:
    """Work on ``n`` x ``n`` grids (32 or 64) from now on."""
    if n not in CONFIGS:
        raise SystemExit(f"grid {n}: one of {sorted(CONFIGS)}")
    GRID.update(x=n, y=n)


def _stem(family: str) -> str:
    return family if GRID["x"] == 32 else f"{family}_{GRID['x']}"


def family_grid(family: str) -> dict[str, int]:
    """The grid's size on every coordinate of ``family`` (x, y; or t, x for burgers_ic)."""
    import pinnlab

    return {c: GRID["x"] for c in pinnlab.load(bundled_spec(family)).domain}


def checkpoint_path(family: str = "darcy_binary") -> Path:
    return CACHE / f"{_stem(family)}_rf.pt"


def data_path(family: str = "darcy_binary") -> Path:
    return CACHE / f"{_stem(family)}_train.npz"


def main(family: str = "darcy_binary", n_train: int = 10_000, device: str = "cpu",
         steps: int | None = None) -> None:
    """Data (cached) and the prior of ``family`` on the current grid; ``steps`` overrides the
    recipe's (a dry run)."""
    if device == "cpu":
        torch.set_num_threads(1)
    CACHE.mkdir(exist_ok=True)
    t0 = time.time()
    data = data_path(family)
    if data.exists():
        from pinnlab.generative.datasets import FieldDataset
        fields = FieldDataset.load(data).fields
    else:
        ds = family_dataset(bundled_spec(family), n_train, seed=0, grid=family_grid(family))
        ds.save(data)
        fields = ds.fields
    print(f"data {fields.shape} in {time.time() - t0:.0f} s", flush=True)
    t0 = time.time()
    config = replace(CONFIGS[GRID["x"]], channels=fields.shape[1])
    train_prior(fields, config if steps is None else replace(config, steps=steps),
                checkpoint=checkpoint_path(family), resume=True,
                checkpoint_every=250, progress=False, device=device)
    print(f"prior trained in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    steps, n_train = None, 10_000
    for flag in ("--steps", "--n-train"):  # a dry run of the recipe
        if flag in args:
            i = args.index(flag)
            value, args = int(args[i + 1]), args[:i] + args[i + 2:]
            steps, n_train = (value, n_train) if flag == "--steps" else (steps, value)
    if len(args) > 1:
        set_grid(int(args[1]))
    main(*args[:1], n_train, device=args[2] if len(args) > 2 else "cpu", steps=steps)
