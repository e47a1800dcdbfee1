"""Flame Case 1 on the one path (a core-language spec through ``pinnlab.solve``) next to the
flame-specific stack it replaced (``pinnlab.flames.case1``), same budget, same seeds, run in
one process, interleaved run by run.

The flame-specific stack was removed after this comparison (commit 20dd640 is the last that
has it): run this script on that commit to repeat it.

    python results/unified/case1.py forward --seeds 0 1 2
    python results/unified/case1.py inverse --seeds 0 1 2
    python results/unified/case1.py steptime

Writes ``case1_<what>.json`` and ``case1_<what>.md`` here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPECS = {"forward": os.path.join(ROOT, "problems", "flames", "case1_forward.toml"),
         "inverse": os.path.join(ROOT, "problems", "flames", "case1_inverse.toml")}
OBS = os.path.join(ROOT, "problems", "flames", "case1_obs_n10_noise2.csv")
TRUE = {"lam": 2.6e-2, "E_a": 1.214172e5}


def old_stack(what: str, seed: int) -> dict:
    from pinnlab.flames.case1 import Budget, solve_forward, solve_inverse
    from pinnlab.flames.run import read_observations_csv
    from pinnlab.flames.spec import FlameCase

    from pinnlab.flames.shooting import shoot_flame_speed
    from pinnlab.flames.simple import SimpleFlame

    flame = SimpleFlame(phi=0.42 if what == "forward" else 0.46)
    ref = shoot_flame_speed(flame)
    budget = Budget(warmup=1000, adam=10000, lbfgs=5000, n_collocation=201, seed=seed)
    t0, c0 = time.perf_counter(), time.process_time()
    if what == "forward":
        r = solve_forward(flame, budget)
    else:
        case = FlameCase(__import__("pathlib").Path(OBS), "simple", "inverse", {})
        obs = read_observations_csv(case, os.path.basename(OBS))
        r = solve_inverse(flame, obs, budget)
    T = r.temperature(ref.x)
    out = {"stack": "flames (old)", "seed": seed, "wall_s": time.perf_counter() - t0,
           "cpu_s": time.process_time() - c0, "s_L": r.s_L, "s_L_err": r.s_L / ref.s_L - 1,
           "T_l2": float(np.linalg.norm(T - ref.T) / np.linalg.norm(ref.T)),
           "loss": r.stages[-1].best_loss}
    if what == "inverse":
        out.update(lam_err=r.conductivity / TRUE["lam"] - 1,
                   E_a_err=r.activation_energy / TRUE["E_a"] - 1)
    return out


def new_path(what: str, seed: int) -> dict:
    import pinnlab

    t0, c0 = time.perf_counter(), time.process_time()
    r = pinnlab.solve(SPECS[what], seed=seed, progress=False)
    m = r.metrics
    err = m["params_rel_error"]
    out = {"stack": "spec + solve (new)", "seed": seed, "wall_s": time.perf_counter() - t0,
           "cpu_s": time.process_time() - c0, "s_L": m["params"]["s_L"],
           "s_L_err": m["params"]["s_L"] / m["params_true"]["s_L"] - 1,
           "T_l2": m["rel_l2"], "loss": m["loss_final"]}
    if what == "inverse":
        out.update(lam_err=m["params"]["lam"] / TRUE["lam"] - 1,
                   E_a_err=m["params"]["E_a"] / TRUE["E_a"] - 1)
    assert err  # the estimate was scored against the reference
    return out


def runs(what: str, seeds: list[int]) -> None:
    rows = []
    for seed in seeds:  # interleaved: each seed runs both stacks back to back
        for fn in (old_stack, new_path):
            rows.append(fn(what, seed))
            print(json.dumps(rows[-1]), flush=True)
    with open(os.path.join(HERE, f"case1_{what}.json"), "w") as fh:
        json.dump(rows, fh, indent=1)
    cols = ["stack", "seed", "s_L_err", "T_l2"] + (["lam_err", "E_a_err"] if what == "inverse"
                                                   else []) + ["loss", "cpu_s"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [r["stack"], str(r["seed"])]
        for c in cols[2:]:
            v = r[c]
            cells.append(f"{100 * v:+.3f}%" if c.endswith("_err") else
                         f"{v:.0f}" if c == "cpu_s" else f"{v:.2e}")
        lines.append("| " + " | ".join(cells) + " |")
    with open(os.path.join(HERE, f"case1_{what}.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def steptime(blocks: int = 20, per_block: int = 20) -> None:
    """Seconds per loss + backward of the two stacks on the same 201 points, alternating
    blocks of ``per_block`` steps (median and spread over ``blocks`` blocks each)."""
    from pinnlab.flames.case1 import Budget, Case1Model

    import pinnlab
    from pinnlab.flames.simple import SimpleFlame
    from pinnlab.methods.pinn import PINNLoss, PINNModel, _default_dtype
    from pinnlab.options import build

    torch.manual_seed(0)
    flame = SimpleFlame()
    old = Case1Model(flame, Budget(), 0.4)
    x = torch.linspace(0.0, flame.length, 201, dtype=torch.float64).reshape(-1, 1)
    x0 = x[:1]

    def old_step():
        res = old.residual(x).pow(2).mean()
        T0 = old.temperature(x0)
        loss = res + ((T0.v - flame.T_in) * old.scale_T).pow(2).sum() + (
            (T0.d1 - flame.grad_T0) / flame.grad_T0).pow(2).sum()
        loss.backward()

    problem = pinnlab.load(SPECS["forward"])
    from pinnlab.methods.pinn import PINNConfig

    cfg = build(PINNConfig, problem.training)
    gen = torch.Generator().manual_seed(0)
    with _default_dtype(torch.float64):
        model = PINNModel(problem, cfg, gen)
        loss = PINNLoss(problem, model, cfg, gen)

    def new_step():
        sum(loss().values()).backward()

    times = {"old": [], "new": []}
    for _ in range(3):
        old_step(), new_step()  # warm up
    for _ in range(blocks):
        for name, fn in (("old", old_step), ("new", new_step)):
            t0 = time.perf_counter()
            for _ in range(per_block):
                fn()
            times[name].append((time.perf_counter() - t0) / per_block)
    out = {k: {"median_ms": 1e3 * statistics.median(v), "min_ms": 1e3 * min(v),
               "max_ms": 1e3 * max(v)} for k, v in times.items()}
    out["ratio_new_over_old"] = out["new"]["median_ms"] / out["old"]["median_ms"]
    out["threads"] = torch.get_num_threads()
    with open(os.path.join(HERE, "case1_steptime.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["forward", "inverse", "steptime"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.what == "steptime":
        steptime()
    else:
        runs(a.what, a.seeds)
