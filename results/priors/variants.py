"""Guidance variants tried and not kept, against DPS as pinnlab runs it, on validation scenes.

Scenes: ``family_dataset(darcy_binary, 3, seed=7)`` with masks from ``default_rng(1000 + i)``
(as tune.py); both tasks; the prior of train.py; 8 samples, 50 steps, zeta = 3. Variants:

* ``dps``: pinnlab's DPS (the misfit in the prior's normalised units);
* ``dps, physical misfit``: the same with the misfit in physical units (pinnlab's former DPS);
* ``dps + Polyak residual step``: after each of the last 30% of DPS steps, a step of
  0.3 |R| / |g|^2 g against the mean absolute Darcy residual R (g its gradient through the
  denoiser): 0.3 of the step that zeroes the residual's linearisation;
* ``decoupled``: no gradient through the network: at each noise level the observed nodes of the
  denoised estimate get the exact Gaussian update (prior width s/sqrt(1+s^2), data width 0.01),
  then the estimate is re-noised to the next level.

Writes variants.md. Run from the repository root: ``python results/priors/variants.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402

import pinnlab  # noqa: E402
from pinnlab.generative.datasets import bundled_spec, family_dataset  # noqa: E402
from pinnlab.generative.denoiser import Denoiser  # noqa: E402
from pinnlab.generative.guidance import Observations, reconstruct  # noqa: E402
from pinnlab.generative.prior import Prior  # noqa: E402
from pinnlab.generative.schedule import time_grid  # noqa: E402
from pinnlab.methods.prior import PriorOptions, pde_for  # noqa: E402

ZETA, SEEDS = 3.0, 3


def variant(prior, pde, mask, values, kind: str, seed: int) -> np.ndarray:
    """Samples (8, 2, 32, 32) of one variant (module docstring)."""
    mask_t, vals = torch.tensor(mask)[None], torch.tensor(values, dtype=torch.float32)[None]
    sch = prior.schedule
    sigmas = time_grid(sch, run.NFE, "uniform_s", sigma_start=float(sch.sigma_tilde(
        prior.t_start)))
    den = Denoiser(prior, sch, prior.prediction)
    y = prior.noise(run.SAMPLES, (32, 32), seed) / float(sch.alpha(prior.t_start))
    gen = torch.Generator().manual_seed(seed + 1)
    target = prior.to_normal(vals)
    for i in range(run.NFE):
        s, t = float(sigmas[i]), float(sigmas[i + 1])
        if kind == "decoupled":
            with torch.no_grad():
                _, x0 = den(y, s)
                prec = (1 + s**2) / s**2 + mask_t / 0.01**2
                mean = (x0 * (1 + s**2) / s**2 + mask_t * target / 0.01**2) / prec
                x0 = mean + torch.randn(mean.shape, generator=gen) / prec.sqrt()
                y = x0 + t * torch.randn(mean.shape, generator=gen)
            continue
        y = y.detach().requires_grad_(True)
        eps, x0 = den(y, s)
        u0 = prior.to_physical(x0)
        misfit = mask_t * (u0 - vals) / (1.0 if kind == "physical" else prior.scale)
        (g,) = torch.autograd.grad(misfit.flatten(1).norm(dim=1).sum(), y, retain_graph=True)
        move = ZETA * float(sch.alpha_of_sigma_tilde(s)) ** -2 * g
        if kind == "polyak" and i >= int(0.7 * run.NFE):
            r = pde.residual(u0).abs().flatten(1).mean(1)
            (gp,) = torch.autograd.grad(r.sum(), y)
            step = 0.3 * r / gp.flatten(1).pow(2).sum(1).clamp_min(1e-30)
            move = move + step.view(-1, 1, 1, 1) * gp
        y = (y + (t - s) * eps - move).detach()
    return prior.to_physical(y).double().numpy()


def main() -> None:
    torch.set_num_threads(1)
    ds = family_dataset(bundled_spec("darcy_binary"), SEEDS, seed=7, grid=run.GRID)
    fields = ds.fields.astype(np.float64)
    nodes = [np.stack(np.unravel_index(np.random.default_rng(1000 + i).choice(
        1024, run.N_OBS, replace=False), (32, 32)), 1) for i in range(SEEDS)]
    prior = Prior.load(run.checkpoint_path())
    problem = pinnlab.load(HERE.parents[1] / "problems" / "generative" / "darcy_observed.toml")
    pde = pde_for(problem, PriorOptions(space_derivatives="central"), ds.coords)
    lines = ["| variant | inverse: u | inverse: a error rate | inverse: misfit at observed "
             "nodes | forward: u | forward: a error rate |", "|---|---|---|---|---|---|"]
    for kind, label in [("pinnlab", "dps"), ("physical", "dps, physical misfit"),
                        ("polyak", "dps + Polyak residual step"), ("decoupled", "decoupled")]:
        cells = {}
        for task, field in run.TASKS.items():
            rows = []
            for i, truth in enumerate(fields):
                c = run.CHANNEL[field]
                mask = np.zeros((2, 32, 32), bool)
                mask[c, nodes[i][:, 0], nodes[i][:, 1]] = True
                values = np.where(mask, truth, 0.0)
                if kind == "pinnlab":
                    samples = reconstruct(prior, Observations(mask, values), method="dps",
                                          n_samples=run.SAMPLES, nfe=run.NFE, zeta=ZETA,
                                          seed=i).samples.double().numpy()
                else:
                    samples = variant(prior, pde, mask, values, kind, i)
                mean = samples.mean(0)
                seen = mean[c][mask[c]]
                rows.append(run.scores(mean[0], mean[1], truth) | {"misfit": float(
                    np.linalg.norm(seen - truth[c][mask[c]]) / np.linalg.norm(truth[c][mask[c]]))})
            cells[task] = {k: np.mean([r[k] for r in rows]) for k in rows[0]}
        inv, fwd = cells["inverse"], cells["forward"]
        lines.append(f"| {label} | {inv['u']:.3f} | {inv['a_error_rate']:.3f} | "
                     f"{inv['misfit']:.3f} | {fwd['u']:.3f} | {fwd['a_error_rate']:.3f} |")
        print(lines[-1], flush=True)
    (HERE / "variants.md").write_text(
        "# Guidance variants on 3 validation scenes (seed 7), zeta = 3\n\n"
        "`python results/priors/variants.py` (see its docstring).\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
