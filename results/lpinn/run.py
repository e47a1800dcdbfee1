"""LPINN benchmark: PINN, causal PINN and LPINN on convection (ν = 0, 0.01) and LPINN vs PINN on
the moving-shock Burgers problem, on the 256 × 100 grid. One torch thread; cells run one after
another, each cell's numbers are written to ``cells/<cell>.json`` as soon as it finishes (a rerun
skips finished cells unless ``--force``), then the table and figures are rebuilt from all cells.

    python results/lpinn/run.py                    # all cells (key cells first)
    python results/lpinn/run.py --only key         # beta = 50, 70 and c = 20 only
    python results/lpinn/run.py --report           # rebuild table/figures from cells/
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CELLS = os.path.join(HERE, "cells")
BETAS = [10, 20, 30, 40, 50, 70]
NUS = [0.0, 0.01]
SHOCK_C = [5, 20]
# budgets sized for a shared 2-core CPU (one thread per run)
LPINN = dict(adam_steps=500, lbfgs_steps=200, residual_points=1024)
LPINN_SHOCK = dict(adam_steps=600, lbfgs_steps=200, residual_points=2048)
PINN = dict(adam_steps=3000, lbfgs_steps=1000, residual_points=2048, initial_points=256,
            time_limit=60.0)
PINN_SHOCK = dict(PINN, time_limit=120.0)


def cells() -> list[dict]:
    out = []
    for beta in BETAS:
        for nu in NUS:
            for method in ("lpinn", "pinn", "pinn_causal"):
                out.append(dict(problem="convection", beta=beta, nu=nu, method=method))
    for c in SHOCK_C:
        for method in ("lpinn", "pinn"):
            out.append(dict(problem="burgers_shock", c=c, nu=0.01, method=method))
    plain = [dict(problem="convection", beta=b, nu=nu, method="lpinn_plain")
             for b in (50, 70) for nu in NUS]
    key = [c for c in out if c.get("beta") in (50, 70) or c.get("c") == 20]
    return key + plain + [c for c in out if c not in key]


def name(cell: dict) -> str:
    if cell["problem"] == "convection":
        return f"convection_beta{cell['beta']}_nu{cell['nu']:g}_{cell['method']}"
    return f"burgers_shock_c{cell['c']}_{cell['method']}"


def run_cell(cell: dict) -> dict:
    import pinnlab

    if cell["problem"] == "convection":
        spec = os.path.join(ROOT, "problems/lpinn/convection_diffusion.toml")
        params = {"beta": cell["beta"], "nu": cell["nu"]}
        budget = PINN
    else:
        spec = os.path.join(ROOT, "problems/lpinn/burgers_shock.toml")
        params = {"c": cell["c"], "nu": cell["nu"]}
        budget = PINN_SHOCK
    method = "lpinn" if cell["method"].startswith("lpinn") else "pinn"
    if method == "lpinn":  # lpinn_plain: the curves learn their slope (no a(u0) start)
        budget = LPINN if cell["problem"] == "convection" else LPINN_SHOCK
        opts = dict(budget, ballistic=cell["method"] == "lpinn")
    else:
        opts = dict(budget, causal=cell["method"] == "pinn_causal")
    start = time.perf_counter()
    r = pinnlab.solve(spec, method, parameters=params, progress=False, seed=0, **opts)
    total = time.perf_counter() - start
    ref = r.reference.fields["u"]
    pred = r.predict(r.reference.mesh())["u"]
    fluct = float(np.linalg.norm(pred - ref) / np.linalg.norm(ref - ref.mean()))
    return {**cell, "rel_l2": r.metrics["rel_l2"], "rel_l2_fluct": fluct,
            "train_s": r.metrics["wall_s"], "total_s": total, "steps": r.metrics["steps"],
            "stops": r.metrics["optimizer_stops"], "budget": opts,
            "pred": pred.astype(np.float32).tolist() if _keep_field(cell) else None,
            "ref": ref.astype(np.float32).tolist() if _keep_field(cell) else None}


def _keep_field(cell: dict) -> bool:
    return cell.get("beta") == 50 and cell["nu"] == 0.0 or cell.get("c") == 20


def report() -> None:
    rows = []
    for f in sorted(os.listdir(CELLS)):
        with open(os.path.join(CELLS, f)) as fh:
            rows.append(json.load(fh))
    slim = [{k: v for k, v in r.items() if k not in ("pred", "ref")} for r in rows]
    with open(os.path.join(HERE, "results.json"), "w") as fh:
        json.dump(slim, fh, indent=1)
    lines = ["# LPINN benchmark (256 × 100 grid, relative L2; CPU wall time of training)", "",
             "## Convection u_t + β u_x = ν u_xx, u0 = sin x", "",
             "LPINN: curves start at x = X + t a(u0(X)) (default); LPINN plain: the curve network "
             "learns the slope itself (`ballistic=false`, key cells only).", "",
             "| β | ν | PINN | PINN causal | LPINN | LPINN plain | time PINN / causal / LPINN "
             "/ plain (s) |", "|---|---|---|---|---|---|---|"]
    conv = {(r["beta"], r["nu"], r["method"]): r for r in slim if r["problem"] == "convection"}
    for nu in NUS:
        for beta in BETAS:
            got = [conv.get((beta, nu, m)) for m in ("pinn", "pinn_causal", "lpinn",
                                                      "lpinn_plain")]
            err = [f"{g['rel_l2']:.2e}" if g else "–" for g in got]
            tim = [f"{g['train_s']:.0f}" if g else "–" for g in got]
            lines.append(f"| {beta} | {nu:g} | {' | '.join(err)} | {' / '.join(tim)} |")
    lines += ["", "## Moving-shock Burgers u_t + u u_x = 0.01 u_xx, u0 = sin x + c", "",
              "Errors normalised by ‖u_ref‖ (as `Result.evaluate`) and by ‖u_ref − mean‖ "
              "(the paper's normalisation, blind to the mean c).", "",
              "| c | PINN | PINN (fluct.) | LPINN | LPINN (fluct.) | time PINN / LPINN (s) |",
              "|---|---|---|---|---|---|"]
    shock = {(r["c"], r["method"]): r for r in slim if r["problem"] == "burgers_shock"}
    for c in SHOCK_C:
        p, lp = shock.get((c, "pinn")), shock.get((c, "lpinn"))
        f = [f"{g[k]:.2e}" if g else "–" for g in (p, lp) for k in ("rel_l2", "rel_l2_fluct")]
        t = [f"{g['train_s']:.0f}" if g else "–" for g in (p, lp)]
        lines.append(f"| {c} | {' | '.join(f)} | {' / '.join(t)} |")
    lines += ["", "Budgets: " + json.dumps({"lpinn": LPINN, "lpinn_shock": LPINN_SHOCK,
                                            "pinn": PINN, "pinn_shock": PINN_SHOCK})]
    with open(os.path.join(HERE, "table.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    _figures(rows, conv)


def _figures(rows, conv) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, nu in zip(axes, NUS):
        for m, style in (("pinn", "o-"), ("pinn_causal", "s--"), ("lpinn", "^-"),
                         ("lpinn_plain", "v:")):
            pts = [(b, conv[(b, nu, m)]["rel_l2"]) for b in BETAS if (b, nu, m) in conv]
            if pts:
                ax.semilogy(*zip(*pts), style, label=m)
        ax.set_title(f"convection, ν = {nu:g}")
        ax.set_xlabel("β")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("relative L2")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "error_vs_beta.png"), dpi=110)
    plt.close(fig)
    fields = [r for r in rows if r.get("pred") is not None]
    if not fields:
        return
    fig, axes = plt.subplots(len(fields), 2, figsize=(9, 2.6 * len(fields)), squeeze=False)
    for row, r in zip(axes, sorted(fields, key=name)):
        pred, ref = np.array(r["pred"]), np.array(r["ref"])
        im = row[0].imshow(pred, aspect="auto", origin="lower", extent=[0, 1, 0, 2 * np.pi],
                           cmap="RdBu_r")
        fig.colorbar(im, ax=row[0])
        row[0].set_title(f"{name(r)}: u", fontsize=8)
        im = row[1].imshow(np.abs(pred - ref), aspect="auto", origin="lower",
                           extent=[0, 1, 0, 2 * np.pi], cmap="magma")
        fig.colorbar(im, ax=row[1])
        row[1].set_title(f"|error|, rel L2 {r['rel_l2']:.2e}", fontsize=8)
        for ax in row:
            ax.set_xlabel("t")
            ax.set_ylabel("x")
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "solutions.png"), dpi=100)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["key", "all", "rest"], default="all")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(CELLS, exist_ok=True)
    if not args.report:
        todo = cells()
        if args.only == "key":
            todo = [c for c in todo if c.get("beta") in (50, 70) or c.get("c") == 20]
        if args.only == "rest":
            todo = [c for c in todo if c["method"] != "pinn_causal"] + [
                c for c in todo if c["method"] == "pinn_causal"]
        for cell in todo:
            path = os.path.join(CELLS, name(cell) + ".json")
            if os.path.exists(path) and not args.force:
                continue
            out = run_cell(cell)
            with open(path + ".tmp", "w") as fh:
                json.dump(out, fh)
            os.replace(path + ".tmp", path)
            print(f"{name(cell)}: rel_l2 {out['rel_l2']:.3e} (fluct {out['rel_l2_fluct']:.3e}) "
                  f"train {out['train_s']:.0f} s", flush=True)
            report()
    report()


if __name__ == "__main__":
    main()
