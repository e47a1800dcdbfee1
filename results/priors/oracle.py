"""The best reconstruction any method can reach on the Gaussian-source families, by grid size.

Poisson (lap u = f) and Helmholtz (lap u + k^2 u = f, k = 1), u = 0 on the walls of the unit
square, u the five-point solve of f, with two source families:
* ``poisson``, ``helmholtz`` (problems/generative/): f a squared-exponential Gaussian field,
  length scale 0.1, sd 1 (infinitely smooth);
* ``poisson_grf``, ``helmholtz_grf``: DiffusionPDE's source (``baselines.grf_factor``: the
  FNO paper's random field, alpha = 2, tau = 3, a Matern-like field with one derivative's
  smoothness; for Helmholtz set to 0 on the walls, as DiffusionPDE's data are) — the family
  behind DiffusionPDE's and DDIS's published numbers.
f is Gaussian and u linear in f, so the posterior of both fields given any observed nodes is
Gaussian and exact (``baselines.GaussianOracle``); its mean is the lowest expected error of
every method that knows nothing more than the family.

Grids 32 x 32, 64 x 64 and 128 x 128 with 3% of the nodes observed (31, 123 and, as in
DiffusionPDE and DDIS, 500 of 128^2); 100 scenes per grid, f drawn from the family's own
covariance (``f = M xi``, M the Cholesky factor of K or the GRF's own factor, xi from
``default_rng(2026)``), u its solve, scene i
observing nodes drawn by ``default_rng(i)`` without replacement, no noise. Tasks: inverse (u
observed), forward (f observed), joint (u at the first half of the nodes, f at the rest).
Scores: relative L2 of u and f of the posterior mean, and the share of nodes inside the
central 90% band. Writes oracle.md and oracle.json here. Run from the repository root:
``python results/priors/oracle.py [GRID ...] [--families F,..]`` (each family at 128 x 128:
about 20 CPU minutes and 12 GB).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from baselines import GaussianOracle, grf_factor, reaction_of  # noqa: E402

import pinnlab  # noqa: E402
from pinnlab.generative.datasets import bundled_spec, squared_exponential  # noqa: E402

N_SCENES, SEED = 100, 2026
N_OBS = {32: 31, 64: 123, 128: 500}
# family -> (the spec whose gaussian_field f is drawn, or None for DiffusionPDE's GRF;
#            the spec whose operator -lap u + c u = -f is solved (c from its [reference]);
#            f zero on the walls)
FAMILIES = {"poisson": ("poisson", "poisson", False),
            "helmholtz": ("helmholtz", "helmholtz", False),
            "poisson_grf": (None, "poisson", False),
            "helmholtz_grf": (None, "helmholtz", True)}


def tasks(nodes: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    half = len(nodes) // 2
    return {"inverse": {"u": nodes}, "forward": {"f": nodes},
            "joint": {"u": nodes[:half], "f": nodes[half:]}}


def run(family: str, grid: int) -> dict[str, dict[str, float]]:
    spec, operator, zero_walls = FAMILIES[family]
    reaction = reaction_of(bundled_spec(operator))
    x = np.linspace(0.0, 1.0, grid)
    start = time.perf_counter()
    # torch's linear algebra: numpy's OpenBLAS crashed on a 16 384 x 16 384 Cholesky
    if spec is not None:
        draw = pinnlab.load(bundled_spec(spec)).family_draws["f"]
        k = squared_exponential([x, x], draw.length_scale, draw.std or 1.0)
        factor = torch.linalg.cholesky(torch.from_numpy(k)).numpy()
    else:
        factor = grf_factor(grid)
        if zero_walls:
            factor.reshape(grid, grid, -1)[[0, -1]] = 0
            factor.reshape(grid, grid, -1)[:, [0, -1]] = 0
        t = torch.from_numpy(factor)
        k = (t @ t.T).numpy()
    z = np.random.default_rng(SEED).standard_normal((factor.shape[1], N_SCENES))
    f_all = factor @ z
    del factor
    oracle = GaussianOracle(x, x, k, reaction)
    u_all = oracle.apply_s(f_all)
    setup = time.perf_counter() - start
    rows: dict[str, list] = {t: [] for t in tasks(np.zeros((0, 2), int))}
    for i in range(N_SCENES):
        truth = {"f": f_all[:, i].reshape(grid, grid), "u": u_all[:, i].reshape(grid, grid)}
        flat = np.random.default_rng(i).choice(grid * grid, N_OBS[grid], replace=False)
        nodes = np.stack(np.unravel_index(flat, (grid, grid)), 1)
        for task, seen in tasks(nodes).items():
            empty = np.zeros((0, 2), int)
            obs = [a for k in ("f", "u") for a in (seen.get(k, empty),
                                                   truth[k][tuple(seen.get(k, empty).T)])]
            post = oracle.posterior(*obs)
            row = {}
            for k in ("u", "f"):
                err = post[k] - truth[k]
                row[k] = float(np.linalg.norm(err) / np.linalg.norm(truth[k]))
                row[f"{k}_in_90"] = float(np.mean(np.abs(err) <= 1.6449 * post[f"{k}_sd"]
                                                  + 1e-12))
            rows[task].append(row)
    out = {t: {k: float(np.mean([r[k] for r in v])) for k in v[0]}
           | {f"{k}_sd": float(np.std([r[k] for r in v])) for k in ("u", "f")}
           for t, v in rows.items()}
    for t in out:
        out[t]["setup_s"] = setup
    print(family, grid, {t: (round(v["u"], 3), round(v["f"], 3)) for t, v in out.items()},
          f"{time.perf_counter() - start:.0f} s", flush=True)
    return out


def main(grids: list[int], families: list[str]) -> None:
    path = HERE / "oracle.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for grid in grids:
        for family in families:
            results[f"{family}/{grid}"] = run(family, grid)
            path.write_text(json.dumps(results, indent=1))
    lines = ["| family | grid | observed | task | u rel. L2 | f rel. L2 | u in 90% band | "
             "f in 90% band |", "|---|---|---|---|---|---|---|---|"]
    for key, res in sorted(results.items(), key=lambda kv: (kv[0].split("/")[0],
                                                           int(kv[0].split("/")[1]))):
        family, grid = key.split("/")
        for task, r in res.items():
            lines.append(f"| {family} | {grid} × {grid} | {N_OBS[int(grid)]} | {task} | "
                         f"{r['u']:.3f} ± {r['u_sd']:.3f} | {r['f']:.3f} ± {r['f_sd']:.3f} | "
                         f"{r['u_in_90']:.3f} | {r['f_in_90']:.3f} |")
    (HERE / "oracle.md").write_text(
        "# The exact Gaussian posterior of the Poisson and Helmholtz families, by grid\n\n"
        "`python results/priors/oracle.py` (docstring: set-up). 100 scenes per row; mean ± sd "
        "over the scenes of the posterior mean's relative L2; the share of nodes inside the "
        "central 90% band.\n\n" + "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    args = sys.argv[1:]
    names = list(FAMILIES)
    if "--families" in args:
        i = args.index("--families")
        names, args = args[i + 1].split(","), args[:i] + args[i + 2:]
    main([int(g) for g in args] or [32, 64, 128], names)
