"""Sampler accuracy on an analytic Gaussian mixture: pinnlab vs diffusers, same noise, same exact
model.

Problem (samplers.md sec. 4): 8-D mixture of 6 anisotropic Gaussians (``benchmark_mixture(8, 6,
seed=0)``),
500 start points x_T = alpha_999 x0 + sigma_999 z of the DDPM linear table (sigma_tilde ~ 157.4),
exact
probability-flow endpoints by DOP853 (rtol = atol = 1e-12), cross-checked with RK45. Metric: mean
per-sample
L2 distance to the exact endpoint. Every pinnlab sampler on every grid, every diffusers
configuration of
``diffusers_harness.py``; NFE 5, 10, 20, 50 counted by a wrapper around the model.

Writes table.md, results.json and error_vs_nfe.png (errors and orders) here. Run: ``python
results/samplers/run.py``.
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

from diffusers_harness import labels, run_config, start_sigma_tilde  # noqa: E402

from pinnlab.generative.mixture import benchmark_mixture  # noqa: E402
from pinnlab.generative.sampling import METHODS, sample, theoretical_order  # noqa: E402
from pinnlab.generative.schedule import RectifiedFlowSchedule, VPSchedule  # noqa: E402
from pinnlab.generative.testing import convergence_slope, mean_distance  # noqa: E402

NFES = [5, 10, 20, 50]
GRIDS = ["uniform_s", "uniform_t", "logsnr", "karras"]
ORDER_NFES = [60, 120, 240]


def pinnlab_run(gm, y_T, sigma_T, method, nfe, grid, **kw):
    """Sample with the exact model as a noise-prediction VP model (rf_*: velocity, rectified
    flow)."""
    rf = method.startswith("rf_")
    sch = RectifiedFlowSchedule() if rf else VPSchedule()
    pred = "velocity" if rf else "noise"
    t0 = float(sch.t_of_sigma_tilde(sigma_T))
    x_T = torch.tensor(y_T * float(sch.alpha(t0)))
    info: dict = {}
    out = sample(gm.as_model(sch, pred), x_T, method, nfe, grid, schedule=sch, prediction=pred,
                 t_start=t0, info=info, **kw)
    return out.numpy(), info["nfe"]


def order_grid(method):
    return "uniform_s" if method.startswith("rf_") else "karras" if method == "heun" else "logsnr"


def order_nfes(method):
    """Heun spends 2 steps - 1 NFE: odd budgets avoid its extra Euler step."""
    return [n - 1 for n in ORDER_NFES] if method in ("heun", "rf_heun") else ORDER_NFES


def main():
    torch.set_num_threads(1)
    t_all = time.time()
    gm = benchmark_mixture(dim=8, n_components=6, seed=0)
    rng = np.random.default_rng(0)
    x0 = gm.sample(500, rng)
    sigma_T = start_sigma_tilde()
    y_T = x0 + sigma_T * rng.standard_normal(x0.shape)
    ref = gm.ode_endpoint(y_T, sigma_T)
    ref_check = mean_distance(ref, gm.ode_endpoint(y_T, sigma_T, method="RK45", rtol=1e-11,
                                                   atol=1e-11))
    data_rms = float(np.sqrt((x0**2).sum(1).mean()))
    res = {"problem": {"dim": 8, "components": 6, "n": 500, "sigma_tilde_start": sigma_T,
                       "data_rms": data_rms, "reference_dop853_vs_rk45": ref_check},
           "diffusers": {}, "pinnlab": {}, "adaptive": [], "orders": {}}

    for lab in labels():
        row = {}
        for nfe in NFES:
            t = time.time()
            out, used = run_config(lab, gm, y_T, nfe)
            assert used == nfe, (lab, used, nfe)
            err = mean_distance(out, ref)
            row[nfe] = {"error": err if np.isfinite(err) else None, "seconds": time.time() - t}
        res["diffusers"][lab] = row
        print(lab, [row[n]["error"] for n in NFES], flush=True)

    for method in METHODS:
        if method == "dpm_solver_adaptive":
            continue
        for grid in GRIDS:
            row = {}
            for nfe in NFES:
                if nfe < METHODS[method][1]:
                    continue
                out, used = pinnlab_run(gm, y_T, sigma_T, method, nfe, grid)
                err = mean_distance(out, ref)
                row[nfe] = {"error": err if np.isfinite(err) else None}
            res["pinnlab"][f"{method}@{grid}"] = row
        print(method, flush=True)
    for rtol in (0.05, 0.02, 0.01, 0.005):
        out, used = pinnlab_run(gm, y_T, sigma_T, "dpm_solver_adaptive", 10_000, None, rtol=rtol,
                                atol=1e-3, sigma_min=1e-2)
        res["adaptive"].append({"rtol": rtol, "nfe": used, "error": mean_distance(out, ref)})

    for method in METHODS:
        if method == "dpm_solver_adaptive":
            continue
        nfes = order_nfes(method)
        errs = [mean_distance(pinnlab_run(gm, y_T, sigma_T, method, n, order_grid(method))[0], ref)
                for n in nfes]
        res["orders"][method] = {"grid": order_grid(method), "nfe": nfes, "errors": errs,
                                 "measured": convergence_slope(nfes, errs),
                                 "theory": theoretical_order(method)}
    for lab in ("DPMSolver++ 3M logSNR", "UniPC-3 bh2", "DEIS-3"):
        errs = [mean_distance(run_config(lab, gm, y_T, n)[0], ref) for n in ORDER_NFES]
        res["orders"]["diffusers " + lab] = {"nfe": ORDER_NFES, "errors": errs,
                                             "measured": convergence_slope(ORDER_NFES, errs)}
    res["wall_seconds"] = time.time() - t_all
    (HERE / "results.json").write_text(json.dumps(res, indent=1))
    write_table(res)
    plot(res)
    print(f"done in {res['wall_seconds']:.0f} s")


def _best(table):
    best = {}
    for name, row in table.items():
        for nfe, cell in row.items():
            e = cell["error"]
            if e is not None and (nfe not in best or e < best[nfe][1]):
                best[nfe] = (name, e)
    return best


def write_table(res):
    bp, bd = _best(res["pinnlab"]), _best(res["diffusers"])
    p = res["problem"]
    lines = ["# Sampler accuracy on the analytic Gaussian mixture",
             "",
             f"8-D, 6 components, 500 samples, start sigma_tilde = {p['sigma_tilde_start']:.1f} "
             f"(timestep 999), data RMS = {p['data_rms']:.2f}; reference DOP853 vs RK45 differ by "
             f"{p['reference_dop853_vs_rk45']:.1e}. Error = mean L2 distance to the exact PF-ODE "
             "endpoint.",
             "", "## Headline: best of each library per NFE", "",
             "| NFE | pinnlab best | error | diffusers best | error | ratio |",
             "|---|---|---|---|---|---|"]
    for nfe in NFES:
        (pn, pe), (dn, de) = bp[nfe], bd[nfe]
        lines.append(f"| {nfe} | {pn} | {pe:.3e} | {dn} | {de:.3e} | {pe / de:.2f} |")
    lines += ["", "## diffusers configurations", "", "| config | " + " | ".join(
        f"NFE {n}" for n in NFES) + " |", "|---" * (len(NFES) + 1) + "|"]
    for lab, row in res["diffusers"].items():
        lines.append(f"| {lab} | " + " | ".join(_fmt(row.get(n)) for n in NFES) + " |")
    lines += ["", "## pinnlab samplers (every grid)", "", "| sampler@grid | " + " | ".join(
        f"NFE {n}" for n in NFES) + " |", "|---" * (len(NFES) + 1) + "|"]
    for name, row in res["pinnlab"].items():
        lines.append(f"| {name} | " + " | ".join(_fmt(row.get(n)) for n in NFES) + " |")
    lines += ["", "Adaptive DPM-Solver-23 (logSNR steps to sigma_min = 0.01, atol 1e-3):", "",
              "| rtol | NFE | error |", "|---|---|---|"]
    lines += [f"| {a['rtol']} | {a['nfe']} | {a['error']:.3e} |" for a in res["adaptive"]]
    lines += ["", f"## Measured convergence order (NFE {ORDER_NFES}, least-squares slope)", "",
              "| sampler | grid | measured | theory |", "|---|---|---|---|"]
    for name, o in res["orders"].items():
        lines.append(f"| {name} | {o.get('grid', 'default')} | {o['measured']:.2f} | "
                     f"{o.get('theory', '-')} |")
    lines += ["", f"Wall time {res['wall_seconds']:.0f} s."]
    (HERE / "table.md").write_text("\n".join(lines) + "\n")


def _fmt(cell):
    if cell is None:
        return "n/a"
    return "nan" if cell["error"] is None else f"{cell['error']:.2e}"


def plot(res):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    ax = axes[0]
    for row in res["diffusers"].values():
        n = [k for k in NFES if row[k]["error"] is not None]
        ax.loglog(n, [row[k]["error"] for k in n], "--", color="grey", alpha=0.7)
    for name in ("unipc@uniform_s", "dpmpp_3m@uniform_s", "plms@uniform_s", "rf_midpoint@uniform_s",
                 "dpmpp_3m@logsnr", "dpm_solver_3@uniform_t", "rf_euler@uniform_s"):
        row = res["pinnlab"][name]
        n = [k for k in NFES if k in row and row[k]["error"] is not None]
        ax.loglog(n, [row[k]["error"] for k in n], "o-", label=name)
    bd = _best(res["diffusers"])
    ax.loglog(NFES, [bd[k][1] for k in NFES], "k-", lw=2.5, label="diffusers best (grey: each)")
    ax.set_xlabel("NFE")
    ax.set_ylabel("mean L2 to exact endpoint")
    ax.legend(fontsize=7)
    ax.set_title("Gaussian mixture, 8-D: error vs NFE")
    ax = axes[1]
    names = [k for k in res["orders"] if not k.startswith("diffusers")]
    ax.bar(range(len(names)), [res["orders"][k]["measured"] for k in names], label="measured")
    ax.plot(range(len(names)), [res["orders"][k]["theory"] for k in names], "r_", ms=20, mew=3,
            label="theory")
    ax.set_xticks(range(len(names)), names, rotation=70, fontsize=7)
    ax.set_ylabel("order")
    ax.legend()
    ax.set_title(f"convergence order, NFE {ORDER_NFES}")
    fig.tight_layout()
    fig.savefig(HERE / "error_vs_nfe.png", dpi=120)


if __name__ == "__main__":
    main()
