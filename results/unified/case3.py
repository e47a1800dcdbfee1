"""Flame Case 3 (counterflow CH4/air, φ = 0.8, inverse for Λ and E_a) on the one path — the
core-language spec ``problems/flames/case3_counterflow.toml`` through ``pinnlab.solve`` — next to
the flame-specific Case 3 solver it replaces (``pinnlab.flames.case3``, at the commit that still
has it), same budget, same seed, same 16 observations, one process.

The flame-specific stack was removed after this comparison (commit 2b9ea8d is the last
that has it): run this script on that commit to repeat it.

    python results/unified/case3.py run --budget small      # both stacks, side by side
    python results/unified/case3.py run --budget full --stacks new

Budgets: ``small`` = 2000 warm-up + 3000 Adam + 3000 L-BFGS steps; ``full`` = the spec's own
(2000 + 20000 + 30000). The flame-specific solver uses its best published options (40% of the
collocation points in the observed flame zone, points redrawn every 10 Adam steps); the spec
redraws its 300 points every 10 Adam steps by the residual (RAD). One thread. Writes
``case3_<budget>.json`` and ``.md`` here.
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
SPEC = os.path.join(ROOT, "problems", "flames", "case3_counterflow.toml")
BUDGETS = {"small": (2000, 3000, 3000), "full": (2000, 20000, 30000)}


def old_stack(problem, budget, seed: int = 0) -> dict:
    from pinnlab.flames.case3 import (
        Case3Budget,
        CounterflowObservations,
        solve_counterflow_inverse,
    )

    mech, obs = problem.plugins["gas"], problem.observations
    Y = np.column_stack([obs.values[f"Y_{s}"] for s in mech.species])
    o = CounterflowObservations(obs.coords["x"], obs.values["u"], obs.values["V"],
                                obs.values["T"], Y)
    warm, adam, lbfgs = budget
    t0, c0 = time.perf_counter(), time.process_time()
    model, _ = solve_counterflow_inverse(
        mech.gas, problem.domain["x"][1], mech.pressure, o, mech.activation_energy,
        budget=Case3Budget(warmup=warm, adam=adam, lbfgs=lbfgs, seed=seed, zone_fraction=0.4,
                           resample_every=10))
    cpu = time.process_time() - c0

    def predict(x):
        with torch.no_grad():
            return model.fields(torch.tensor(x).reshape(-1, 1))[2].value[:, 0].numpy()
    return {"Lambda": float(model.Lambda()), "E_a": float(model.activation_energy()),
            "T": predict, "cpu_s": cpu, "wall_s": time.perf_counter() - t0}


def new_stack(budget, seed: int = 0) -> dict:
    import pinnlab

    warm, adam, lbfgs = budget
    t0, c0 = time.perf_counter(), time.process_time()
    r = pinnlab.solve(SPEC, seed=seed, progress=False, adam_steps=adam, lbfgs_steps=lbfgs,
                      warmup_steps=warm)
    cpu = time.process_time() - c0
    return {**{k: r.metrics["params"][k] for k in ("Lambda", "E_a")},
            "T": lambda x: r.predict({"x": x})["T"], "cpu_s": cpu,
            "wall_s": time.perf_counter() - t0}


def main() -> None:
    import pinnlab
    from pinnlab.reference import reference_solution

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["run"])
    ap.add_argument("--budget", choices=list(BUDGETS), default="small")
    ap.add_argument("--stacks", nargs="+", choices=["old", "new"], default=["old", "new"])
    args = ap.parse_args()
    torch.set_num_threads(1)
    problem = pinnlab.load(SPEC)
    ref = reference_solution(problem)
    truth = {"Lambda": ref.params["Lambda"], "E_a": problem.reference.options["E_a"]}
    x, T_ref = ref.axes["x"], ref.fields["T"]
    rows = []
    for stack in args.stacks:
        out = (old_stack(problem, BUDGETS[args.budget]) if stack == "old"
               else new_stack(BUDGETS[args.budget]))
        T = out.pop("T")(x)
        row = {"stack": stack, **out, **{f"{k}_error": out[k] / v - 1 for k, v in truth.items()},
               "T_rel_l2": float(np.linalg.norm(T - T_ref) / np.linalg.norm(T_ref))}
        rows.append(row)
        print(row, flush=True)
    name = f"case3_{args.budget}" + ("" if len(args.stacks) == 2 else f"_{args.stacks[0]}")
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump({"budget": BUDGETS[args.budget], "truth": truth, "rows": rows}, f, indent=1)
    lines = ["| stack | Λ error | E_a error | T rel. L2 | CPU s |", "|---|---|---|---|---|"]
    for r in rows:
        label = "flames (old)" if r["stack"] == "old" else "spec + solve (new)"
        lines.append(f"| {label} | {r['Lambda_error']:+.2%} | {r['E_a_error']:+.2%} | "
                     f"{r['T_rel_l2']:.2e} | {r['cpu_s']:.0f} |")
    with open(os.path.join(HERE, name + ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
