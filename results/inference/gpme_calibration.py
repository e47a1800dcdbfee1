"""Calibration of the Laplace intervals on a GPME inverse problem: the diffusivity k.

    python results/inference/gpme_calibration.py [--draws 20] [--workers 2] [--k 3.0]
        [--n 50] [--noise 0.01] [--adam 1000] [--lbfgs 2000] [--points 2048]

``problems/gpme_diffusion.toml`` (u_t = (k u_x)_x on a periodic [0, 2π], u0 = sin x, exact
u = exp(−k t) sin x) with ``k`` made unknown (guess 1, bounds [0.1, 10]; its family and
conservation tables dropped) and ``n`` observations at uniform random points (seed 7), the
exact values plus fresh noise per draw, σ = noise · RMS (draw ``j`` uses
``numpy.random.default_rng(1000 + j)``). Each draw is solved by ``pinnlab.solve`` at the budget
given (no compilation, one thread per run). Reference: the exact-model estimator, k̂ =
argmin Σ (y_i − exp(−k t_i) sin x_i)², over 200 noise draws (its spread is what the data can
tell). Reported: each draw's error, Laplace σ and coverage of the 95% interval, and their
summary against the exact model's spread. Writes ``gpme_calibration.json`` and ``.md`` here.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy.optimize import minimize_scalar

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC = os.path.join(ROOT, "problems", "gpme_diffusion.toml")


def points(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.uniform(0.0, 2 * np.pi, n), rng.uniform(0.0, 1.0, n)


def data(k: float, n: int, noise: float, draw: int) -> tuple[np.ndarray, ...]:
    """Observation points and noisy values of draw ``draw``."""
    x, t = points(n)
    u = np.exp(-k * t) * np.sin(x)
    sigma = noise * np.sqrt(np.mean(u**2))
    return x, t, u + sigma * np.random.default_rng(1000 + draw).standard_normal(n)


def exact_model(x: np.ndarray, t: np.ndarray, y: np.ndarray) -> float:
    """Least-squares k of the exact solution family."""
    res = minimize_scalar(lambda k: np.sum((y - np.exp(-k * t) * np.sin(x)) ** 2),
                          bounds=(0.1, 10.0), method="bounded", options={"xatol": 1e-10})
    return float(res.x)


def inverse_spec(folder: str, noise: float) -> str:
    """The GPME diffusion spec with k unknown and an [observations] table."""
    text = open(SPEC).read()
    text = re.sub(r"\n\[family\].*?(?=\n\[)", "\n", text, flags=re.S)
    text = re.sub(r"\n\[conservation\].*?(?=\n\[)", "\n", text, flags=re.S)
    text = re.sub(r"\nk = 1\.0[^\n]*", '\nk = { guess = 1.0, bounds = [0.1, 10.0] }', text)
    text += f'\n[observations]\nfile = "obs.csv"\nnoise = {noise}\n'
    path = os.path.join(folder, "gpme_diffusion_inverse.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def one(draw: int, a) -> dict:
    import pinnlab

    t0 = time.process_time()
    x, t, y = data(a.k, a.n, a.noise, draw)
    with tempfile.TemporaryDirectory() as tmp:
        np.savetxt(os.path.join(tmp, "obs.csv"), np.column_stack([x, t, y]), delimiter=",",
                   header="x,t,u", comments="", fmt="%.12g")
        r = pinnlab.solve(inverse_spec(tmp, a.noise), progress=False, adam_steps=a.adam,
                          lbfgs_steps=a.lbfgs, residual_points=a.points, compile=False,
                          threads=1, evaluate=False)
    k, unc = r.metrics["params"]["k"], r.metrics["uncertainty"]
    lo, hi = unc["interval"]["k"]
    return {"draw": draw, "k": k, "error": k / a.k - 1, "std_rel": unc["std"]["k"] / a.k,
            "covered": bool(lo <= a.k <= hi), "exact_model_error": exact_model(x, t, y) / a.k - 1,
            "cpu_s": time.process_time() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--k", type=float, default=3.0)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--noise", type=float, default=0.01)
    ap.add_argument("--adam", type=int, default=1000)
    ap.add_argument("--lbfgs", type=int, default=2000)
    ap.add_argument("--points", type=int, default=2048)
    a = ap.parse_args()
    spread = np.array([exact_model(*data(a.k, a.n, a.noise, 10_000 + j)) / a.k - 1
                       for j in range(200)])
    with ProcessPoolExecutor(a.workers) as pool:
        rows = list(pool.map(one, range(a.draws), [a] * a.draws))
    err = np.array([r["error"] for r in rows])
    sd = np.array([r["std_rel"] for r in rows])
    s = {"draws": len(rows), "coverage_95": float(np.mean([r["covered"] for r in rows])),
         "median_std_rel": float(np.median(sd)), "exact_model_sd": float(spread.std(ddof=1)),
         "exact_model_mean": float(spread.mean()), "error_mean": float(err.mean()),
         "error_sd": float(err.std(ddof=1)), "settings": vars(a)}
    s["median_std_over_exact_model_sd"] = s["median_std_rel"] / s["exact_model_sd"]
    with open(os.path.join(HERE, "gpme_calibration.json"), "w") as f:
        json.dump({"summary": s, "rows": rows}, f, indent=1)
    lines = ["| draw | k error | exact model's error | Laplace σ/k | 95% interval holds k | "
             "CPU s |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['draw']} | {r['error']:+.2%} | {r['exact_model_error']:+.2%} | "
              f"{r['std_rel']:.2%} | {'yes' if r['covered'] else 'no'} | {r['cpu_s']:.0f} |"
              for r in rows]
    lines += ["", f"k = {a.k}, {a.n} observations, {a.noise:.0%} noise, {a.adam} Adam + "
              f"{a.lbfgs} L-BFGS steps, {a.points} residual points. Coverage of the nominal 95% "
              f"interval: {s['coverage_95']:.0%} ({len(rows)} draws); median σ/k "
              f"{s['median_std_rel']:.2%} ({s['median_std_over_exact_model_sd']:.2f}× the "
              f"exact-model spread {s['exact_model_sd']:.2%}, 200 draws); point error mean "
              f"{s['error_mean']:+.2%}, sd {s['error_sd']:.2%} (exact model: "
              f"{s['exact_model_mean']:+.2%}, {s['exact_model_sd']:.2%})."]
    with open(os.path.join(HERE, "gpme_calibration.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
