"""Flame Case 2 (CH4/air, one-step mechanism) on the one path — the core-language spec
``problems/flames/case2_ch4_forward.toml`` through ``pinnlab.solve`` — next to the
flame-specific Case 2 solver (``pinnlab.flames.case2``), same budget, same seed, one process,
interleaved case by case.

The flame-specific stack was removed after this comparison (commit 2b9ea8d is the last
that has it): run this script on that commit to repeat it (its ``steptime`` mode there gave
``case2_steptime.json``). The step time of this tree's spec path against that stack:
``case2_steptime_old.py``, which loads the old stack from git itself.

    python results/unified/case2.py run --phi 0.8 0.6 1.2 --budget small
    python results/unified/case2.py run --phi 0.6 0.8 1.0 1.2 1.4 1.6 --budget full --stacks new

``run``: for each φ, Cantera's FreeFlame (reference s_L, T, and the fixed-temperature point both
solvers pin), then the flame-specific solver, then the spec (its ``phi``, ``x_f`` and ``T_f``
set to the case). Budgets: ``small`` = 1000 warm-up + 2000 Adam + 2000 L-BFGS steps, ``full``
= 2000 + 4000 + 8000 (the published budget). Both: a 4 × 64 tanh network on x* = 4x/L − 2, 200
residual points redrawn every 10 Adam steps, equilibrium outlet, the published loss weights.
Writes ``case2_<budget>.json`` and ``.md`` here.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC = os.path.join(ROOT, "problems", "flames", "case2_ch4_forward.toml")
BUDGETS = {"small": (1000, 2000, 2000), "full": (2000, 4000, 8000)}


def spec_for(phi: float, x_f: float, T_f: float, folder: str) -> str:
    """The spec at another φ (and its fixed point), written beside a copy of the mechanism."""
    text = open(SPEC).read()
    text = re.sub(r"phi = [0-9.]+", f"phi = {phi}", text)
    text = re.sub(r"x_f = [0-9.eE+-]+", f"x_f = {x_f!r}", text)
    text = re.sub(r"T_f = [0-9.eE+-]+", f"T_f = {T_f!r}", text)
    text = text.replace('on = "x = 8.75e-4"', f'on = "x = {x_f!r}"')
    path = os.path.join(folder, f"case2_phi{phi}.toml")
    with open(path, "w") as f:
        f.write(text)
    mech = os.path.join(folder, "ch4_one_step.yaml")
    if not os.path.exists(mech):
        with open(mech, "w") as f:
            f.write(open(os.path.join(ROOT, "problems", "flames", "ch4_one_step.yaml")).read())
    return path


def old_stack(problem, ref, budget, seed: int = 0) -> dict:
    from pinnlab.flames.case2 import Case2Budget, FlameSetup, solve_free_flame

    mech = problem.plugins["gas"]
    p = {k: v.value for k, v in problem.parameters.items() if not v.unknown}
    species = mech.species
    setup = FlameSetup(ref.x[-1], ref.pressure, p["T_in"],
                       np.array([p[f"Y_in_{s}"] for s in species]), p["T_eq"],
                       np.array([p[f"Y_eq_{s}"] for s in species]), ref.x_fixed, ref.T_fixed)
    warm, adam, lbfgs = budget
    torch.manual_seed(seed)
    t0, c0 = time.perf_counter(), time.process_time()
    model, _ = solve_free_flame(mech.gas, setup, Case2Budget(warmup=warm, adam=adam,
                                                             lbfgs=lbfgs, seed=seed),
                               s_L_guess=0.6)
    cpu = time.process_time() - c0
    with torch.no_grad():
        T, _ = model.fields(torch.tensor(ref.x).reshape(-1, 1))
    return {"s_L": float(model.s_L), "T": T.value[:, 0].numpy(), "cpu_s": cpu,
            "wall_s": time.perf_counter() - t0}


def new_stack(path: str, budget, seed: int = 0) -> dict:
    import pinnlab

    warm, adam, lbfgs = budget
    t0, c0 = time.perf_counter(), time.process_time()
    r = pinnlab.solve(path, seed=seed, progress=False, adam_steps=adam, lbfgs_steps=lbfgs,
                      warmup_steps=warm)
    cpu = time.process_time() - c0
    return {"s_L": r.metrics["params"]["s_L"], "result": r, "cpu_s": cpu,
            "wall_s": time.perf_counter() - t0}


def run(args) -> None:
    import pinnlab
    from pinnlab.flames.cantera_ref import free_flame

    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for phi in args.phi:
            problem = pinnlab.load(spec_for(phi, 8.75e-4, 729.083, tmp))
            ref = free_flame(problem.plugins["gas"].mixture, width=problem.domain["x"][1])
            path = spec_for(phi, ref.x_fixed, ref.T_fixed, tmp)
            problem = pinnlab.load(path)
            for stack in args.stacks:
                out = (old_stack(problem, ref, BUDGETS[args.budget]) if stack == "old"
                       else new_stack(path, BUDGETS[args.budget]))
                if stack == "new":
                    out["T"] = out.pop("result").predict({"x": ref.x})["T"]
                T_l2 = float(np.linalg.norm(out["T"] - ref.T) / np.linalg.norm(ref.T))
                rows.append({"phi": phi, "stack": stack, "s_L": out["s_L"], "s_L_ref": ref.s_L,
                             "s_L_error": out["s_L"] / ref.s_L - 1, "T_rel_l2": T_l2,
                             "cpu_s": out["cpu_s"], "wall_s": out["wall_s"]})
                print(rows[-1], flush=True)
    name = f"case2_{args.budget}" + ("" if len(args.stacks) == 2 else f"_{args.stacks[0]}")
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump({"budget": BUDGETS[args.budget], "rows": rows}, f, indent=1)
    lines = ["| φ | stack | s_L | Cantera | s_L error | T rel. L2 | CPU s |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        label = "flames (old)" if r["stack"] == "old" else "spec + solve (new)"
        lines.append(f"| {r['phi']} | {label} | {r['s_L']:.5f} | {r['s_L_ref']:.5f} | "
                     f"{r['s_L_error']:+.2%} | {r['T_rel_l2']:.2e} | {r['cpu_s']:.0f} |")
    with open(os.path.join(HERE, name + ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("run")
    r.add_argument("--phi", type=float, nargs="+", default=[0.8])
    r.add_argument("--budget", choices=list(BUDGETS), default="small")
    r.add_argument("--stacks", nargs="+", choices=["old", "new"], default=["old", "new"],
                   help="new only: the flame-specific figures at the full budget are in "
                        "results/flames/case2_pinn.md")
    args = ap.parse_args()
    run(args)


if __name__ == "__main__":
    main()
