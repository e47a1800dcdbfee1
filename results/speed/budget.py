"""Error reached in the same CPU-time budget: pinnlab vs DeepXDE 1.15 (PyTorch backend), same
Burgers problem, same network (2-[64]*4-1 tanh), same points (4096 domain, 256 boundary,
256 initial), one thread each, in one run.

Each tool trains with its own recommended recipe until the budget of CPU seconds (process time)
is spent: DeepXDE as in its Burgers example (Adam lr 1e-3, then L-BFGS, float32, soft
conditions); pinnlab with the defaults of problems/burgers.toml (hard constraints, RAD, Adam then
L-BFGS in float64, compiled loss) but the shared network and point counts. The error is the
relative L2 norm on the 256 x 100 Cole–Hopf grid.

    python results/speed/budget.py --budget 300     # writes results/speed/budget.{md,json,png}
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

import pinnlab
from pinnlab.reference import reference_solution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
N = 4096


def grid():
    problem = pinnlab.load(os.path.join(ROOT, "problems", "burgers.toml"))
    ref = reference_solution(problem)
    pts = np.stack([a.ravel() for a in ref.mesh().values()], 1)
    return problem, pts, ref.fields["u"].ravel()


def rel_l2(u, target):
    return float(np.linalg.norm(u - target) / np.linalg.norm(target))


def run_pinnlab(budget: float, problem, pts, target) -> dict:
    x = torch.as_tensor(pts)

    def monitor(model):
        with torch.no_grad():
            u = model(x.to(next(model.parameters()).dtype))[:, 0].double().numpy()
        return {"rel_l2": rel_l2(u, target), "cpu_s": time.process_time() - cpu0}

    cpu0 = time.process_time()
    r = pinnlab.solve(problem, progress=False, monitor=monitor, width=64, depth=4,
                      residual_points=N, boundary_points=128, initial_points=256,
                      adam_steps=1000, lbfgs_steps=100000, time_limit=budget,
                      time_clock="process")
    curve = [(h["cpu_s"], h["rel_l2"]) for h in r.history]
    return {"tool": "pinnlab", "rel_l2": r.metrics["rel_l2"], "cpu_s": time.process_time() - cpu0,
            "steps": r.metrics["steps"], "stops": r.metrics["optimizer_stops"], "curve": curve}


def run_deepxde(budget: float, pts, target) -> dict:
    from run import deepxde_model

    dde, model = deepxde_model(N)
    curve, steps = [], 0
    cpu0 = time.process_time()

    def error():
        return rel_l2(model.predict(pts.astype(np.float32))[:, 0].astype(float), target)

    phase = "adam"
    while time.process_time() - cpu0 < budget:
        if phase == "adam" and steps >= 15000:  # the example's Adam length, then L-BFGS
            model.compile("L-BFGS")
            dde.optimizers.config.set_LBFGS_options(maxiter=1000)
            phase = "lbfgs"
        chunk = 200 if phase == "adam" else 1000
        model.train(iterations=chunk, display_every=10**9, verbose=0)
        steps += chunk
        curve.append((time.process_time() - cpu0, error()))
    return {"tool": "deepxde", "rel_l2": curve[-1][1], "cpu_s": time.process_time() - cpu0,
            "steps": steps, "stops": {"budget": f"{budget:g} CPU s", "last_phase": phase},
            "curve": curve}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=300.0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    problem, pts, target = grid()
    rows = [run_deepxde(args.budget, pts, target), run_pinnlab(args.budget, problem, pts, target)]
    torch.set_default_dtype(torch.float32)
    with open(os.path.join(HERE, "budget.json"), "w") as fh:
        json.dump({"budget_cpu_s": args.budget, "rows": rows}, fh, indent=1)
    lines = [f"# Error in the same budget ({args.budget:g} CPU seconds, 1 thread), Burgers, "
             "2-[64]*4-1 tanh, 4096 + 256 + 256 points", "",
             f"Reproduce: `python results/speed/budget.py --budget {args.budget:g}`", "",
             "| tool | rel. L2 (256×100) | CPU s | steps | stops |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['tool']} | {r['rel_l2']:.3e} | {r['cpu_s']:.0f} | {r['steps']} | "
                     f"{r['stops']} |")
    with open(os.path.join(HERE, "budget.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for r in rows:
        c = np.array(r["curve"])
        ax.semilogy(c[:, 0], c[:, 1], label=r["tool"])
    ax.set_xlabel("CPU seconds")
    ax.set_ylabel("relative L2 error")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "budget.png"), dpi=110)


if __name__ == "__main__":
    main()
