"""The same recipe in pinnlab and DeepXDE 1.15: error against CPU time, in one run.

    python results/speed/same_recipe.py [--budget 300] [--problems burgers diffusion_reaction]

Everything a training recipe fixes is the same in both libraries, so that only the libraries'
speed differs:

* the problem and the loss: the four soft terms ``mean(r²)`` (equation, initial line, each wall),
  weight 1, on the **same points** — pinnlab's draw of N residual points (4096 Burgers, 2000
  diffusion–reaction), 128 per wall and 256 initial points, handed to DeepXDE as ``anchors`` and
  ``PointSetBC`` (never redrawn);
* the network and its start: 2-[64]*4-1 tanh (Burgers) or 2-[32]*3-1 (diffusion–reaction),
  float32 (``--dtype float64`` for the other); DeepXDE's network gets pinnlab's initial weights
  and pinnlab's input map as its feature transform, so both start from the same function (the
  step-0 losses are compared);
* the optimiser: Adam, learning rate 1e-3 held constant, 3000 steps, then L-BFGS (history 100,
  strong-Wolfe line search) until the budget of CPU seconds (process time, one torch thread)
  is spent, checked in both after each step / L-BFGS chunk.

Not the same: how derivatives are taken (pinnlab: forward jets, eager and ``torch.compile``,
its compilation inside the budget; DeepXDE: nested reverse mode) and each library's bookkeeping
(DeepXDE evaluates its losses once per 1000 Adam steps and once per L-BFGS chunk of 50
iterations; pinnlab logs every 50 steps). The error (relative L2 on the problem's reference grid)
is computed every 50 steps; that evaluation's CPU time is subtracted from the curves' time axis
(it still counts against the budget in both).

The three runs of each problem follow one another in one process (DeepXDE, pinnlab eager,
pinnlab compiled); writes ``same_recipe[_float64].{json,md,png}`` here (or in ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import harness  # this folder: DeepXDE set-up helpers
import numpy as np
import torch

from pinnlab.api import prepare, solve
from pinnlab.reference import reference_solution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ADAM = int(os.environ.get("SAME_RECIPE_ADAM", 3000))
DTYPE = "float32"  # set by --dtype
PROBLEMS = {
    "burgers": {"spec": "problems/burgers.toml", "width": 64, "depth": 4, "points": 4096,
                "initial": lambda x: -np.sin(np.pi * x)},
    "diffusion_reaction": {"spec": "problems/speed/diffusion_reaction.toml", "width": 32,
                           "depth": 3, "points": 2000, "initial": lambda x: np.sin(np.pi * x)},
}


def options(p: dict, compiled: bool) -> dict:
    return {"width": p["width"], "depth": p["depth"], "residual_points": p["points"],
            "boundary_points": 128, "initial_points": 256, "hard_constraints": False,
            "resample": "uniform", "resample_every": 0, "lbfgs_resample_every": 0,
            "dtype": DTYPE, "compile": compiled, "adam_steps": ADAM, "lr": 1e-3,
            "lr_decay": 1.0, "lbfgs_steps": 10**7, "lbfgs_history": 100}


def pde(name: str, dde):
    def burgers(x, y):
        nu = 0.01 / np.pi
        return (dde.grad.jacobian(y, x, i=0, j=1) + y * dde.grad.jacobian(y, x, i=0, j=0)
                - nu * dde.grad.hessian(y, x, i=0, j=0))

    def diffusion_reaction(x, y):
        s = torch.sin(np.pi * x[:, 0:1])
        return (dde.grad.jacobian(y, x, i=0, j=1) - dde.grad.hessian(y, x, i=0, j=0)
                + torch.exp(-x[:, 1:2]) * (s - np.pi**2 * s))

    return {"burgers": burgers, "diffusion_reaction": diffusion_reaction}[name]


class Clock:
    """Process CPU time with the error evaluations taken out."""

    def __init__(self):
        self.start, self.excluded = time.process_time(), 0.0

    def now(self) -> float:
        return time.process_time() - self.start - self.excluded

    def spent(self) -> float:
        return time.process_time() - self.start


def run_pinnlab(name: str, p: dict, compiled: bool, budget: float, grid, target) -> dict:
    x = torch.as_tensor(grid, dtype=getattr(torch, DTYPE))
    clock = Clock()
    curve = []

    def monitor(model):
        t0 = time.process_time()
        with torch.no_grad():
            u = model(x)[:, 0].double().numpy()
        err = float(np.linalg.norm(u - target) / np.linalg.norm(target))
        curve.append((clock.now(), err))
        clock.excluded += time.process_time() - t0
        return {"rel_l2_grid": err}

    r = solve(os.path.join(ROOT, p["spec"]), progress=False, evaluate=False, monitor=monitor,
              time_limit=budget, time_clock="process", **options(p, compiled))
    return {"tool": "pinnlab compiled" if compiled else "pinnlab eager", "curve": curve,
            "final": curve[-1][1], "steps": r.metrics["steps"], "cpu_s": clock.spent(),
            "stops": r.metrics["optimizer_stops"], "first_loss": r.history[0]["loss"]}


def pinnlab_start(p: dict):
    """pinnlab's initial model and loss for the shared recipe (its points, its weights)."""
    from pinnlab.methods.pinn import PINNLoss, PINNModel, _default_dtype

    plan = prepare(os.path.join(ROOT, p["spec"]), options=options(p, False))
    gen = torch.Generator().manual_seed(0)
    with _default_dtype(getattr(torch, DTYPE)):
        model = PINNModel(plan.problem, plan.config, gen).to(getattr(torch, DTYPE))
        loss = PINNLoss(plan.problem, model, plan.config, gen)
    return model, loss


def run_deepxde(name: str, p: dict, budget: float, grid, target) -> dict:
    dde = harness._dde()
    model0, loss0 = pinnlab_start(p)
    harness._quiet(dde.config.set_default_float, DTYPE)
    geom = dde.geometry.GeometryXTime(dde.geometry.Interval(-1, 1),
                                      dde.geometry.TimeDomain(0, 1))
    bcs = []
    for t in loss0.terms:
        pts = t.points.detach().numpy().astype(DTYPE)
        if t.kind == "residual":
            anchors = pts
            continue
        val = p["initial"](pts[:, :1]) if t.kind == "initial" else np.zeros((len(pts), 1))
        bcs.append(dde.icbc.PointSetBC(pts, val.astype(DTYPE)))
    data = dde.data.TimePDE(geom, pde(name, dde), bcs, num_domain=0, num_boundary=0,
                            num_initial=0, anchors=anchors)
    net = dde.nn.FNN([2] + [p["width"]] * p["depth"] + [1], "tanh", "Glorot normal")
    scale, shift = model0.net.in_scale.clone(), model0.net.in_shift.clone()
    net.apply_feature_transform(lambda x: x * scale + shift)
    with torch.no_grad():
        for dl, pl in zip(net.linears, model0.net.layers, strict=True):
            dl.weight.copy_(pl.weight)
            dl.bias.copy_(pl.bias)
    model = dde.Model(data, net)
    x = torch.as_tensor(grid, dtype=getattr(torch, DTYPE))
    clock = Clock()
    curve = []

    class Watch(dde.callbacks.Callback):
        def __init__(self, every: int):
            super().__init__()
            self.every, self.epochs = every, 0

        def on_epoch_end(self):
            self.epochs += 1
            if self.epochs % self.every == 0:
                t0 = time.process_time()
                with torch.no_grad():
                    u = self.model.net(x)[:, 0].double().numpy()
                curve.append((clock.now(), float(np.linalg.norm(u - target)
                                                 / np.linalg.norm(target))))
                clock.excluded += time.process_time() - t0
            if clock.spent() > budget:
                self.model.stop_training = True

    harness._quiet(model.compile, "adam", lr=1e-3)
    first = float(model.outputs_losses_train(*_train(model))[1].sum())
    harness._quiet(model.train, iterations=ADAM, callbacks=[Watch(50)], display_every=1000,
                   verbose=0)
    steps = model.train_state.step
    if clock.spent() < budget:
        dde.optimizers.set_LBFGS_options(maxcor=100, ftol=0, gtol=1e-8, maxiter=10**7, maxls=50)
        dde.optimizers.config.LBFGS_options["iter_per_step"] = 50
        dde.optimizers.config.LBFGS_options["fun_per_step"] = 25 * 50
        harness._quiet(model.compile, "L-BFGS")
        harness._quiet(model.train, callbacks=[Watch(1)], verbose=0)
        steps = model.train_state.step
    return {"tool": "DeepXDE", "curve": curve, "final": curve[-1][1], "steps": steps,
            "cpu_s": clock.spent(), "first_loss": first}


def _train(model):
    model.train_state.set_data_train(*model.data.train_next_batch(model.batch_size))
    ts = model.train_state
    return ts.X_train, ts.y_train, ts.train_aux_vars


def reference(p: dict):
    from pinnlab.api import load

    ref = reference_solution(load(os.path.join(ROOT, p["spec"])))
    grid = np.stack([a.ravel() for a in ref.mesh().values()], 1)
    return grid, ref.fields["u"].ravel()


def error_at(curve, t: float) -> float:
    """The last error recorded at or before CPU time ``t`` (NaN before the first)."""
    seen = [e for s, e in curve if s <= t]
    return seen[-1] if seen else float("nan")


def time_to(curve, level: float) -> float:
    """The CPU time at which the error first fell to ``level`` (NaN if it never did)."""
    return next((t for t, e in curve if e <= level), float("nan"))


def write(results: dict, budget: float, out: str) -> None:
    stem = os.path.join(out, "same_recipe" + ("" if DTYPE == "float32" else f"_{DTYPE}"))
    with open(stem + ".json", "w") as f:
        json.dump({"budget_s": budget, "dtype": DTYPE, "torch": torch.__version__,
                   "results": results}, f)
    marks = [b for b in (30, 60, 120, 300, 600, 900) if b <= budget]
    levels = (1e-2, 1e-3)
    lines = [f"Same recipe, {DTYPE}, one thread, budget {budget:g} CPU s per run "
             f"(`python results/speed/same_recipe.py --budget {budget:g} --dtype {DTYPE}`).",
             "", "| problem | library | loss at step 0 | steps | CPU s used | "
             + " | ".join(f"error at {m} s" for m in marks) + " | final error | "
             + " | ".join(f"CPU s to {v:g}" for v in levels) + " |",
             "|---|---|---|---|---|" + "---|" * (len(marks) + 1 + len(levels))]
    for name, runs in results.items():
        for r in runs:
            lines.append(f"| {name} | {r['tool']} | {r['first_loss']:.6g} | {r['steps']} | "
                         f"{r['cpu_s']:.0f} | "
                         + " | ".join(f"{error_at(r['curve'], m):.3g}" for m in marks)
                         + f" | {r['final']:.3g} | "
                         + " | ".join(f"{time_to(r['curve'], v):.0f}" for v in levels) + " |")
    with open(stem + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(5.5 * len(results), 4), squeeze=False)
    for ax, (name, runs) in zip(axes[0], results.items(), strict=True):
        for r in runs:
            t, e = zip(*r["curve"], strict=True)
            ax.semilogy(t, e, label=r["tool"])
        ax.set_xlabel("CPU seconds (error evaluations excluded)")
        ax.set_ylabel("relative L2 error")
        ax.set_title(f"{name}: same recipe, {DTYPE}")
        ax.legend()
    fig.tight_layout()
    fig.savefig(stem + ".png", dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=300.0)
    ap.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = ap.parse_args()
    global DTYPE
    DTYPE = args.dtype
    torch.set_num_threads(1)
    results = {}
    for name in args.problems:
        p = PROBLEMS[name]
        grid, target = reference(p)
        runs = [run_deepxde(name, p, args.budget, grid, target)]
        print(json.dumps({k: v for k, v in runs[-1].items() if k != "curve"}), flush=True)
        for compiled in (False, True):
            runs.append(run_pinnlab(name, p, compiled, args.budget, grid, target))
            print(json.dumps({k: v for k, v in runs[-1].items() if k != "curve"}), flush=True)
        results[name] = runs
        write(results, args.budget, args.out)


if __name__ == "__main__":
    main()
