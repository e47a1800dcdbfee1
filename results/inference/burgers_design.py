"""Sensor placement for the inverse Burgers problem: D-optimal (Fisher information of the
linearised fit, ``pinnlab.design``) against random placement, same count.

    python results/inference/burgers_design.py [--adam 1000] [--lbfgs 3000] [--n 100]

1. Fit ν by ``pinnlab.solve`` on ``problems/burgers_inverse.toml`` (its 100 observations) at the
   budget given. 2. Sensitivities ``s_c = ∂u(x_c)/∂ν`` (the physics held) at 2000 uniformly
   random candidate points. 3. Choose ``n`` by ``choose_sensors``; draw 20 random designs of ``n``
   candidates. 4. Predicted σ_ν of each design (``predicted_std``, 1% noise of the RMS of u).
   5. Check by solving again: observations (Cole–Hopf, 1% noise, seed 7) at the chosen points and
   at the first random design, the Laplace σ_ν of each solve. Writes ``burgers_design.json`` and
   ``.md`` and ``burgers_design.png`` here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC = os.path.join(ROOT, "problems", "burgers_inverse.toml")
NU = 0.01 / np.pi


def solve(x, t, budget, obs_seed=None):
    """Solve the inverse spec; with ``obs_seed``, on new Cole–Hopf observations at (x, t)."""
    import pinnlab
    from pinnlab.reference.burgers import burgers_cole_hopf

    kw = dict(progress=False, adam_steps=budget[0], lbfgs_steps=budget[1], compile=False,
              threads=1)
    if obs_seed is None:
        return pinnlab.solve(SPEC, **kw)
    u = burgers_cole_hopf(x, t, NU)
    u = u + 0.01 * np.sqrt(np.mean(u**2)) * np.random.default_rng(obs_seed).standard_normal(u.size)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(SPEC, tmp)
        np.savetxt(os.path.join(tmp, "burgers_inverse_obs.csv"), np.column_stack([x, t, u]),
                   delimiter=",", header="x,t,u", comments="", fmt="%.10f")
        return pinnlab.solve(os.path.join(tmp, "burgers_inverse.toml"), **kw)


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from pinnlab.design import choose_sensors, predicted_std, sensitivities
    from pinnlab.reference.burgers import burgers_cole_hopf

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adam", type=int, default=1000)
    ap.add_argument("--lbfgs", type=int, default=3000)
    ap.add_argument("--n", type=int, default=100)
    args = ap.parse_args()
    torch.set_num_threads(1)
    budget = (args.adam, args.lbfgs)
    fit = solve(None, None, budget)
    rng = np.random.default_rng(5)
    cx, ct = rng.uniform(-1, 1, 2000), rng.uniform(0, 1, 2000)
    s = sensitivities(fit, {"x": cx, "t": ct}, "u")
    u = burgers_cole_hopf(cx, ct, NU)
    sigma = 0.01 * np.sqrt(np.mean(u**2))
    best = choose_sensors(s, args.n, sigma)
    randoms = [rng.choice(len(cx), args.n, replace=False) for _ in range(20)]
    pred_best = float(predicted_std(s[best], sigma)[0]) / NU
    pred_random = [float(predicted_std(s[r], sigma)[0]) / NU for r in randoms]
    check = {}
    for name, idx in (("D-optimal", best), ("random", randoms[0])):
        r = solve(cx[idx], ct[idx], budget, obs_seed=7)
        check[name] = {"nu": r.metrics["params"]["nu"], "error": r.metrics["params"]["nu"] / NU - 1,
                       "laplace_std_rel": r.metrics["uncertainty"]["std"]["nu"] / NU}
    rec = {"budget": budget, "n": args.n, "fit_nu": fit.metrics["params"]["nu"],
           "predicted_std_rel": {"D-optimal": pred_best, "random_median": float(np.median(
               pred_random)), "random_min": float(np.min(pred_random))}, "solved": check}
    with open(os.path.join(HERE, "burgers_design.json"), "w") as f:
        json.dump(rec, f, indent=1)
    lines = ["| design (100 sensors) | predicted σ_ν/ν | solved: ν error | solved: Laplace σ_ν/ν |",
             "|---|---|---|---|",
             f"| D-optimal | {pred_best:.2%} | {check['D-optimal']['error']:+.2%} | "
             f"{check['D-optimal']['laplace_std_rel']:.2%} |",
             f"| random (median of 20; best {np.min(pred_random):.2%}) | "
             f"{np.median(pred_random):.2%} | {check['random']['error']:+.2%} | "
             f"{check['random']['laplace_std_rel']:.2%} |"]
    with open(os.path.join(HERE, "burgers_design.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    sc = ax.scatter(cx, ct, c=np.abs(s[:, 0]), s=4, cmap="viridis")
    ax.plot(cx[best], ct[best], "r.", ms=6, label="D-optimal")
    ax.set_xlabel("x")
    ax.set_ylabel("t")
    fig.colorbar(sc, ax=ax, label="|∂u/∂ν| (physics held)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "burgers_design.png"), dpi=110)
    print(json.dumps(rec, indent=1))


if __name__ == "__main__":
    main()
