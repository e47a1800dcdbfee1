"""Heat-field reconstruction from 1% and 3% of the grid points (+1% noise): priors vs GP vs PINN.

Family: u_t = kappa u_xx on [0, 1] x [0, 0.05], u = 0 at x = 0, 1, random 4-mode sine initial state,
kappa ~ U(0.2, 1) (``family_dataset("heat", ...)``: problems/generative/heat.toml), 32 x 32 grid.
Priors: a VP diffusion U-Net (data prediction) and a rectified-flow U-Net (velocity), 1500 Adam
steps each on 2000 fields (trained here unless the checkpoints exist in ``priors/``). Test: 6
held-out fields (seed 123); for each, 10 (1%) or 31 (3%)
random grid points with Gaussian noise of 1% of the field's RMS.

Methods (same points): DPS + PDE-residual guidance on the VP prior (DiffusionPDE-style, kappa by
least
squares on the spectral residual, 50 NFE, 8 posterior samples), FlowChef on the RF prior (50 NFE,
8 samples), gpytorch GP regression, plain torch PINN inverse (unknown kappa). Metrics: relative L2
error
of the field (posterior mean / prediction) on the full grid, relative error of kappa, wall time per
reconstruction. Writes table.md, results.json, reconstruction.png. Run:
``python results/reconstruction/run.py``.
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

from baselines import gp_reconstruct, pinn_reconstruct  # noqa: E402

import pinnlab  # noqa: E402
from pinnlab.generative.datasets import family_dataset  # noqa: E402
from pinnlab.generative.guidance import Observations, SpecPDE, reconstruct  # noqa: E402
from pinnlab.generative.prior import Prior, PriorConfig, train_prior  # noqa: E402

RATIOS = [0.01, 0.03]
N_TEST = 6


def load_or_train(objective: str) -> Prior:
    path = HERE / "priors" / f"heat_{objective}.pt"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        train_prior(family_dataset("heat", 2000, seed=0).fields,
                    PriorConfig(objective=objective, steps=1500), checkpoint=path)
    return Prior.load(path)


def main():
    torch.set_num_threads(1)
    t_all = time.time()
    priors = {"vp": load_or_train("vp"), "rf": load_or_train("rf")}
    test = family_dataset("heat", N_TEST, seed=123)
    t, x = test.coords["t"], test.coords["x"]
    spec = pinnlab.load(HERE.parents[1] / "problems" / "generative" / "heat.toml")
    pde = SpecPDE(spec, test.coords)  # the spec's u_t - kappa u_xx; sine projection in x
    fd = SpecPDE(spec, test.coords, operators={"x": "central"})  # central differences
    rng = np.random.default_rng(0)
    rows, examples = [], {}
    for ratio in RATIOS:
        n_obs = int(round(ratio * t.size * x.size))
        for i in range(N_TEST):
            u, kappa = test.fields[i, 0].astype(float), float(test.params[i, 0])
            flat = rng.choice(u.size, n_obs, replace=False)
            it, ix = np.unravel_index(flat, u.shape)
            u_obs = u[it, ix] + 0.01 * np.sqrt((u**2).mean()) * rng.standard_normal(n_obs)
            mask = np.zeros((1, *u.shape), bool)
            mask[0, it, ix] = True
            values = np.zeros((1, *u.shape))
            values[0, it, ix] = u_obs
            obs = Observations(mask, torch.tensor(values, dtype=torch.float32), 0.01)
            results = {}
            for name, prior, method in (("DPS+PDE (VP prior)", priors["vp"], "dps_pde"),
                                        ("FlowChef (RF prior)", priors["rf"], "flowchef")):
                t0 = time.time()
                rec = reconstruct(prior, obs, method=method, n_samples=8, nfe=50, zeta=1.0,
                                  pde=pde, seed=i)
                results[name] = (rec.mean[0].numpy(), float(rec.params.mean()), time.time() - t0,
                                 float(rec.std[0].mean()))
            t0 = time.time()
            gp = gp_reconstruct(t[it], x[ix], u_obs, t, x)
            k_gp = float(fd.fit(torch.tensor(gp, dtype=torch.float64)[None, None])[0])
            results["GP regression"] = (gp, k_gp, time.time() - t0, None)
            t0 = time.time()
            pinn, k_pinn = pinn_reconstruct(t[it], x[ix], u_obs, t, x, steps=1500, seed=i)
            results["PINN inverse"] = (pinn, k_pinn, time.time() - t0, None)
            for name, (field, k_hat, secs, spread) in results.items():
                rows.append({"ratio": ratio, "case": i, "method": name, "n_obs": n_obs,
                             "field_rel_error": float(np.linalg.norm(field - u)
                                                      / np.linalg.norm(u)),
                             "kappa_rel_error": float(abs(k_hat - kappa) / kappa),
                             "seconds": secs, "mean_posterior_std": spread})
            if i == 0:
                examples[ratio] = {"truth": u, "mask": mask[0],
                                   **{k: v[0] for k, v in results.items()}}
            print(ratio, i, {r["method"]: round(r["field_rel_error"], 3) for r in rows[-4:]},
                  flush=True)
    res = {"rows": rows, "wall_seconds": time.time() - t_all}
    (HERE / "results.json").write_text(json.dumps(res, indent=1))
    write_table(res)
    plot(examples)


def write_table(res):
    rows = res["rows"]
    methods = list(dict.fromkeys(r["method"] for r in rows))
    lines = ["# Heat-field reconstruction from sparse noisy points", "",
             f"Mean (median) over {N_TEST} held-out fields; 32 x 32 grid; 1% noise.", "",
             "| observed | method | field rel. error | kappa rel. error | s / reconstruction |",
             "|---|---|---|---|---|"]
    for ratio in RATIOS:
        for m in methods:
            sel = [r for r in rows if r["ratio"] == ratio and r["method"] == m]
            fe = np.array([r["field_rel_error"] for r in sel])
            ke = np.array([r["kappa_rel_error"] for r in sel])
            sec = np.mean([r["seconds"] for r in sel])
            lines.append(f"| {ratio:.0%} ({sel[0]['n_obs']} pts) | {m} | {fe.mean():.3f} "
                         f"({np.median(fe):.3f}) | {ke.mean():.3f} ({np.median(ke):.3f}) | "
                         f"{sec:.1f} |")
    lines += ["", "Priors: 50 NFE, 8 posterior samples per reconstruction (time includes all 8).",
              f"Wall time {res['wall_seconds']:.0f} s (2-core CPU, shared)."]
    (HERE / "table.md").write_text("\n".join(lines) + "\n")


def plot(examples):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["truth", "DPS+PDE (VP prior)", "FlowChef (RF prior)", "GP regression", "PINN inverse"]
    fig, axes = plt.subplots(len(examples), len(names), figsize=(3.2 * len(names),
                                                                 3 * len(examples)), squeeze=False)
    for row, (ratio, ex) in zip(axes, examples.items(), strict=True):
        lim = np.abs(ex["truth"]).max()
        for ax, name in zip(row, names, strict=True):
            ax.imshow(ex[name], origin="lower", aspect="auto", vmin=-lim, vmax=lim, cmap="RdBu_r")
            r, c = np.nonzero(ex["mask"])
            ax.plot(c, r, "k.", ms=4)
            ax.set_title(f"{name}\n{ratio:.0%} observed", fontsize=8)
            ax.set_xlabel("x index")
            ax.set_ylabel("t index")
    fig.tight_layout()
    fig.savefig(HERE / "reconstruction.png", dpi=110)


if __name__ == "__main__":
    main()
