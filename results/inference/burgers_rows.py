"""The Laplace interval against the number of physics rows it linearises, over noise draws.

    python results/inference/burgers_rows.py [--draws 8] [--workers 2] [--rows 256 1024 2048]

The draws of ``burgers_calibration.py`` (draw ``k``: the same 100 points, fresh 1% noise from
``numpy.random.default_rng(k + 1)``, the same budget: 1000 Adam + 3000 L-BFGS, one thread), so
each fit reproduces that script's estimate. For each fitted model, :func:`pinnlab.uncertainty.
laplace` is evaluated with every observation as a row and ``n`` fresh uniform points (seeded)
as the physics rows, for each ``n`` of ``--rows``. With few physics rows the linearised network
can absorb a change of ν at the points that are checked, and the interval widens; with many,
each row also counts as an independent measurement at the level the residual reached, which
can make it too narrow. Reported per ``n``: coverage of the nominal 95% interval and the median
σ/ν against the exact-model estimator's spread (8.33%). Writes ``burgers_rows.json``/``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NU = 0.01 / np.pi
EXACT_MODEL_SD = 0.0833


def one(draw: int, rows: list[int]) -> dict:
    import torch
    from burgers_calibration import fit  # this folder's script

    from pinnlab.api import prepare
    from pinnlab.methods.pinn import PINNLoss, _default_dtype
    from pinnlab.uncertainty import data_sigma, laplace

    torch.set_num_threads(1)
    r = fit(draw)  # the calibration script's solve of this draw
    nu = r.metrics["params"]["nu"]
    out = {"draw": draw, "nu": nu, "error": nu / NU - 1, "laplace": {}}
    for n in rows:
        cfg = prepare(r.problem, "pinn").config.model_copy(
            update={"residual_points": n, "resample": "uniform", "compile": False})
        with _default_dtype(torch.float64):
            loss = PINNLoss(r.problem, r.module, cfg, torch.Generator().manual_seed(7))
        c0 = time.process_time()
        lap = laplace(loss, r.module, data_sigma(r.problem.observations), rows=n,
                      total_rows=n, seed=0)
        lo, hi = lap["interval"]["nu"]
        out["laplace"][n] = {"std_rel": lap["std"]["nu"] / nu, "covered": bool(lo <= NU <= hi),
                             "cpu_s": time.process_time() - c0}
    return out


def main() -> None:
    import sys

    sys.path.insert(0, HERE)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rows", type=int, nargs="+", default=[256, 1024, 2048])
    args = ap.parse_args()
    with ProcessPoolExecutor(args.workers) as pool:
        fits = list(pool.map(one, range(args.draws), [args.rows] * args.draws))
    err = np.array([f["error"] for f in fits])
    summary = {"draws": len(fits), "error_sd": float(err.std(ddof=1)),
               "error_mean": float(err.mean()), "rows": {}}
    lines = ["| physics rows | coverage of the 95% interval | median σ/ν | ÷ exact-model spread |",
             "|---|---|---|---|"]
    for n in args.rows:
        sd = np.array([f["laplace"][n]["std_rel"] for f in fits])
        cov = float(np.mean([f["laplace"][n]["covered"] for f in fits]))
        summary["rows"][n] = {"coverage_95": cov, "median_std_rel": float(np.median(sd)),
                              "over_exact_model_sd": float(np.median(sd) / EXACT_MODEL_SD)}
        lines.append(f"| {n} | {cov:.0%} ({len(fits)} draws) | {np.median(sd):.2%} | "
                     f"{np.median(sd) / EXACT_MODEL_SD:.2f}× |")
    lines += ["", f"Point error over the draws: mean {err.mean():+.2%}, sd {err.std(ddof=1):.2%}."]
    with open(os.path.join(HERE, "burgers_rows.json"), "w") as fh:
        json.dump({"summary": summary, "fits": fits}, fh, indent=1)
    with open(os.path.join(HERE, "burgers_rows.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
