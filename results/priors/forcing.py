"""The forcing of a Darcy scene from 3% of its pressure: the posterior of a scalar from a joint
prior's samples (problems/generative/darcy_forcing.toml).

-div(a grad u) = q on the unit square, u = 0 on the walls, a in {3, 12} (the darcy_binary
family), q unknown. Scenes: the first 20 held-out scenes of run.py (``family_dataset
(darcy_binary, 20, seed=2026)``, 32 x 32), each with its own q drawn log-uniformly in [0.5, 2]
(``default_rng(77)``) and u scaled to it (u is linear in q); 31 observed nodes of u per scene
(run.py's masks), no noise.

Methods:
* prior dps_solve: the joint [a, u] prior of train.py (trained at q = 1); each estimate's u is
  the five-point solve of its a, ``u = u_0 + q u_1``, with q the least-squares fit to the
  observed u (pinnlab.generative.solver_map); 16 posterior samples, 50 network evaluations;
  q's estimate is the samples' mean, its 90% interval their 5% and 95% quantiles;
* constant a: the same least-squares q with a = 7.5 everywhere (the family's mean), i.e. what
  the data say about q without a prior over a.

Writes forcing.md and forcing.json. Run from the repository root (after train.py):
``python results/priors/forcing.py``.
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

import run  # noqa: E402

import pinnlab  # noqa: E402
from pinnlab.generative.guidance import Observations, reconstruct  # noqa: E402
from pinnlab.generative.prior import Prior  # noqa: E402
from pinnlab.generative.solver_map import SolverMap  # noqa: E402

N_SCENES, N_SAMPLES = 20, 16
SPEC = HERE.parents[1] / "problems" / "generative" / "darcy_forcing.toml"
SOLVER = {"name": "darcy_fd", "coefficient": "a", "source": "q", "field": "u"}


def main() -> None:
    torch.set_num_threads(1)
    fields, coords, nodes = run.scenes()
    fields, nodes = fields[:N_SCENES], nodes[:N_SCENES]
    q_true = np.exp(np.random.default_rng(77).uniform(np.log(0.5), np.log(2.0), N_SCENES))
    prior = Prior.load(run.checkpoint_path("darcy_binary"))
    solver = SolverMap(pinnlab.load(SPEC), coords, SOLVER)
    zeta = run.SOLVE_ZETA["darcy_binary"]
    rows = []
    for i, truth in enumerate(fields):
        u = q_true[i] * truth[1]
        mask = run.task_mask("inverse", nodes[i])
        obs = Observations(mask, np.where(mask, np.stack([truth[0], u]), 0.0))
        start = time.perf_counter()
        rec = reconstruct(prior, obs, method="dps_solve", n_samples=N_SAMPLES, nfe=run.NFE,
                          zeta=zeta, seed=i, solver=solver)
        seconds = time.perf_counter() - start
        q = rec.params.double().numpy()
        lo, hi = np.quantile(q, [0.05, 0.95])
        flat = torch.full((1, 2, 32, 32), 7.5, dtype=torch.float64)
        _, q_flat = solver(flat, obs)
        s = rec.samples.double().numpy()
        rows.append({"q_true": float(q_true[i]), "q_mean": float(q.mean()),
                     "q_sd": float(q.std(ddof=1)), "q_lo": float(lo), "q_hi": float(hi),
                     "covered": bool(lo <= q_true[i] <= hi), "q_constant_a": float(q_flat[0]),
                     "a_error_rate": run.scores(s.mean(0)[0], s.mean(0)[1],
                                                np.stack([truth[0], u]))["a_error_rate"],
                     "seconds": seconds})
        r = rows[-1]
        print(f"scene {i}: q {r['q_true']:.3f} -> {r['q_mean']:.3f} [{lo:.3f}, {hi:.3f}] "
              f"constant a {r['q_constant_a']:.3f} ({seconds:.1f} s)", flush=True)
    (HERE / "forcing.json").write_text(json.dumps(rows, indent=1))
    report(rows)


def report(rows: list[dict]) -> None:
    rel = lambda k: np.array([r[k] / r["q_true"] - 1 for r in rows])  # noqa: E731
    width = np.array([(r["q_hi"] - r["q_lo"]) / r["q_true"] for r in rows])
    lines = [
        "# The forcing q of a Darcy scene from 31 values of u (`python results/priors/forcing.py`)",
        "",
        f"{len(rows)} held-out scenes of the binary Darcy family, 32 x 32, q log-uniform in "
        "[0.5, 2], 31 noise-free values of u; prior `dps_solve`, "
        f"{N_SAMPLES} samples of 50 network evaluations (see the script's docstring).",
        "",
        "| estimate | mean rel. error | sd of rel. error | max abs rel. error | "
        "90% interval holds q | median interval width (rel.) |",
        "|---|---|---|---|---|---|",
        f"| prior dps_solve (mean of samples) | {rel('q_mean').mean():+.3f} | "
        f"{rel('q_mean').std():.3f} | {np.abs(rel('q_mean')).max():.3f} | "
        f"{sum(r['covered'] for r in rows)} / {len(rows)} | {np.median(width):.3f} |",
        f"| least squares with a = 7.5 | {rel('q_constant_a').mean():+.3f} | "
        f"{rel('q_constant_a').std():.3f} | {np.abs(rel('q_constant_a')).max():.3f} | — | — |",
        "",
        f"Permeability error rate of the samples' mean: "
        f"{np.mean([r['a_error_rate'] for r in rows]):.3f}; seconds per scene "
        f"{np.mean([r['seconds'] for r in rows]):.1f}.",
        "",
        "| scene | q | prior mean | 90% interval | a = 7.5 |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {i} | {r['q_true']:.3f} | {r['q_mean']:.3f} | [{r['q_lo']:.3f}, "
              f"{r['q_hi']:.3f}] | {r['q_constant_a']:.3f} |" for i, r in enumerate(rows)]
    (HERE / "forcing.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:10]))


if __name__ == "__main__":
    if sys.argv[1:] == ["--report"]:
        report(json.loads((HERE / "forcing.json").read_text()))
    else:
        main()
