"""Calibration of the Laplace intervals of ``pinnlab solve`` on the inverse Burgers problem.

    python results/inference/burgers_calibration.py [--draws 20] [--workers 2]
        [--adam 1000] [--lbfgs 3000]

The design of ``results/burgers/noise_floor.md``: the 100 observation points of
``problems/burgers_inverse_obs.csv`` (ν = 0.01/π, Cole–Hopf), fresh 1% noise per draw
(σ = 0.01 · RMS of the observed values; draw ``k`` uses ``numpy.random.default_rng(k + 1)``).
Each draw is solved by ``pinnlab.solve`` on ``problems/burgers_inverse.toml`` with its
observations replaced, at the budget given (Adam then L-BFGS, no compilation, one thread per
run). Reported: the point error of ν, the Laplace standard deviation (relative to ν), whether
the nominal 95% interval holds the true ν, and their summaries; against the exact-model
estimator's spread over 200 draws, 8.33%. Writes ``burgers_calibration.json`` and ``.md`` here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NU = 0.01 / np.pi
EXACT_MODEL_SD = 0.0833


def points():
    """The 100 points of problems/make_burgers_inverse.py and the exact values there."""
    from pinnlab.reference.burgers import burgers_cole_hopf

    rng = np.random.default_rng(1234)
    x, t = rng.uniform(-1.0, 1.0, 100), rng.uniform(0.0, 1.0, 100)
    return x, t, burgers_cole_hopf(x, t, NU)


def fit(draw: int, adam: int = 1000, lbfgs: int = 3000):
    """The inverse solve of noise draw ``draw`` (a :class:`~pinnlab.result.Result`)."""
    import pinnlab

    x, t, u = points()
    noisy = u + 0.01 * np.sqrt(np.mean(u**2)) * np.random.default_rng(draw + 1).standard_normal(
        u.size)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(ROOT, "problems", "burgers_inverse.toml"), tmp)
        np.savetxt(os.path.join(tmp, "burgers_inverse_obs.csv"), np.column_stack([x, t, noisy]),
                   delimiter=",", header="x,t,u", comments="", fmt="%.10f")
        return pinnlab.solve(os.path.join(tmp, "burgers_inverse.toml"), progress=False,
                             adam_steps=adam, lbfgs_steps=lbfgs, compile=False, threads=1)


def one(draw: int, adam: int, lbfgs: int) -> dict:
    t0 = time.process_time()
    r = fit(draw, adam, lbfgs)
    nu, unc = r.metrics["params"]["nu"], r.metrics["uncertainty"]
    lo, hi = unc["interval"]["nu"]
    return {"draw": draw, "nu": nu, "error": nu / NU - 1, "std_rel": unc["std"]["nu"] / nu,
            "covered": bool(lo <= NU <= hi), "noise": unc["noise"],
            "cpu_s": time.process_time() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--adam", type=int, default=1000)
    ap.add_argument("--lbfgs", type=int, default=3000)
    args = ap.parse_args()
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(one, range(args.draws), [args.adam] * args.draws,
                             [args.lbfgs] * args.draws))
    err = np.array([r["error"] for r in rows])
    sd = np.array([r["std_rel"] for r in rows])
    summary = {"draws": len(rows), "coverage_95": float(np.mean([r["covered"] for r in rows])),
               "median_std_rel": float(np.median(sd)),
               "median_std_over_exact_model_sd": float(np.median(sd) / EXACT_MODEL_SD),
               "error_mean": float(err.mean()), "error_sd": float(err.std(ddof=1)),
               "error_abs_median": float(np.median(np.abs(err))),
               "budget": {"adam_steps": args.adam, "lbfgs_steps": args.lbfgs}}
    with open(os.path.join(HERE, "burgers_calibration.json"), "w") as f:
        json.dump({"summary": summary, "rows": rows}, f, indent=1)
    lines = ["| draw | ν error | Laplace σ/ν | 95% interval holds ν | CPU s |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['draw']} | {r['error']:+.2%} | {r['std_rel']:.2%} | "
              f"{'yes' if r['covered'] else 'no'} | {r['cpu_s']:.0f} |" for r in rows]
    lines += ["", f"Coverage of the nominal 95% interval: {summary['coverage_95']:.0%} "
              f"({len(rows)} draws); median σ/ν {summary['median_std_rel']:.2%} "
              f"({summary['median_std_over_exact_model_sd']:.2f}× the exact-model spread 8.33%); "
              f"point error mean {summary['error_mean']:+.2%}, sd {summary['error_sd']:.2%} "
              f"(exact model: +0.71%, 8.33%)."]
    with open(os.path.join(HERE, "burgers_calibration.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
