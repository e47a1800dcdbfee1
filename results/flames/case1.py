"""Case 1 benchmark: shooting reference table, PINN forward (φ × p sweep) and inverse (n × noise).

The PINN runs solve the core-language specs ``problems/flames/case1_forward.toml`` and
``case1_inverse.toml`` with ``pinnlab.solve`` (φ and p set as parameters, the inverse
observations drawn from the shooting reference with ``pinnlab.reference.noisy_samples``).

Usage (from the repository root):

    python results/flames/case1.py reference               # shooting table, seconds
    python results/flames/case1.py pinn --workers 15 --out DIR [--quick] [--device cuda]
    python results/flames/case1.py report --runs DIR       # tables + figures into results/flames

``pinn`` runs every solve as its own single-threaded process (``--workers`` at a time) and writes
one JSON per run into DIR; ``report`` turns them into markdown/JSON tables and PNG figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from pool import add_pinn_parser, run_jobs  # noqa: E402

from pinnlab.flames.shooting import shoot_flame_speed  # noqa: E402
from pinnlab.flames.simple import ATM, SimpleFlame  # noqa: E402

PHIS = [0.40, 0.42, 0.44, 0.46, 0.48, 0.50]
PRESSURES = [1.0, 1.2]
N_OBS = [5, 6, 7, 8, 9, 10, 12, 15, 20, 25]
NOISES = [0.0, 0.01, 0.02]
PUBLISHED = {1.0: [0.26794, 0.29293, 0.31815, 0.34354, 0.36904, 0.39461],
             1.2: [0.25847, 0.28257, 0.30689, 0.33137, 0.35596, 0.38062]}
SPECS = {"forward": HERE.parents[1] / "problems" / "flames" / "case1_forward.toml",
         "inverse": HERE.parents[1] / "problems" / "flames" / "case1_inverse.toml"}
BUDGET: dict = {}  # the specs' own [training] budgets: 1000 warm-up, 10 000 Adam, 5000 L-BFGS
QUICK = dict(warmup_steps=100, adam_steps=200, lbfgs_steps=50, residual_points=101)


def reference_table() -> dict:
    rows = []
    for p in PRESSURES:
        for phi, pub in zip(PHIS, PUBLISHED[p], strict=True):
            flame = SimpleFlame(phi=phi, pressure=p * ATM)
            t0 = time.perf_counter()
            s = shoot_flame_speed(flame).s_L
            wall = time.perf_counter() - t0
            s_fine = shoot_flame_speed(flame, n_points=100_000).s_L
            rows.append(dict(p_atm=p, phi=phi, s_L=s, published=pub, s_L_fine=s_fine,
                             wall_s=wall))
    return {"rows": rows}


def _run(job: dict) -> dict:
    """One PINN solve in a fresh single-threaded process; returns a JSON-able record."""
    import torch

    torch.set_num_threads(1)
    import pinnlab
    from pinnlab.reference import noisy_samples
    from pinnlab.spec.problem import Observations

    flame = SimpleFlame(phi=job["phi"], pressure=job["p_atm"] * ATM)
    ref = shoot_flame_speed(flame)
    problem = pinnlab.load(SPECS[job["mode"]]).with_parameters(
        {"phi": job["phi"], "p": job["p_atm"] * ATM})
    if job["mode"] == "inverse":
        obs = noisy_samples(ref.x, {"T": ref.T, "u": ref.u}, job["n_obs"], job["noise"],
                            seed=job["seed"])
        problem.observations = Observations({"x": obs["x"]}, {"T": obs["T"], "u": obs["u"]},
                                            noise=job["noise"])
        problem.validate()
    t0 = time.perf_counter()
    result = pinnlab.solve(problem, device=job["device"], progress=False, **job["budget"])
    wall = time.perf_counter() - t0
    T = result.predict({"x": ref.x})["T"]
    est = {**{k: v for k, v in problem.parameters.items() if not v.unknown},
           **result.metrics["params"]}
    value = {k: (v.value if hasattr(v, "value") else v) for k, v in est.items()}
    s_L = value["s_L"]
    u = flame.velocity(T, s_L)
    stages = []
    for key, reason in result.metrics["optimizer_stops"].items():
        label = key.split(":", 1)[1]
        hist = [(h["step"], h["loss"]) for h in result.history if h["phase"] == label]
        stages.append(dict(name=label, iterations=result.metrics["phase_steps"].get(key, 0),
                           best_loss=min((v for _, v in hist), default=float("nan")),
                           stop_reason=reason, history=hist))
    record = dict(job, s_L=s_L, s_L_ref=ref.s_L, conductivity=value["lam"],
                  activation_energy=value["E_a"], err_s_L=s_L / ref.s_L - 1.0,
                  err_conductivity=value["lam"] / flame.conductivity - 1.0,
                  err_activation_energy=value["E_a"] / flame.activation_energy - 1.0,
                  T_rel_l2=float(np.linalg.norm(T - ref.T) / np.linalg.norm(ref.T)),
                  u_rel_l2=float(np.linalg.norm(u - ref.u) / np.linalg.norm(ref.u)),
                  wall_s=wall, stages=stages)
    if job.get("profile"):
        every = 20
        record["profile"] = dict(x=ref.x[::every].tolist(), T_ref=ref.T[::every].tolist(),
                                 u_ref=ref.u[::every].tolist(), T=T[::every].tolist(),
                                 u=u[::every].tolist())
        if job["mode"] == "inverse":
            record["profile"]["obs"] = dict(x=obs["x"].tolist(), T=obs["T"].tolist(),
                                            u=obs["u"].tolist())
    return record


def jobs(quick: bool, device: str) -> list[dict]:
    budget = QUICK if quick else BUDGET
    out = []
    for p in PRESSURES:
        for phi in PHIS:
            out.append(dict(mode="forward", phi=phi, p_atm=p, budget=budget, device=device,
                            profile=(phi == 0.42 and p == 1.0), name=f"fwd_p{p}_phi{phi}"))
    for n in N_OBS:
        for noise in NOISES:
            out.append(dict(mode="inverse", phi=0.46, p_atm=1.0, n_obs=n, noise=noise, seed=0,
                            budget=budget, device=device, profile=(n == 10 and noise == 0.02),
                            name=f"inv_n{n}_noise{noise}"))
    return out


def run_pinn(args: argparse.Namespace) -> None:
    todo = [j for j in jobs(args.quick, args.device) if args.only in j["name"]]
    todo.sort(key=lambda j: j["mode"] == "forward")  # inverse first: there are more of them
    run_jobs(_run, todo, args.out, args.workers, prefix="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("reference")
    add_pinn_parser(sub, HERE / "runs_case1")
    r = sub.add_parser("report")
    r.add_argument("--runs", default=str(HERE / "runs_case1"))
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.what == "reference":
        table = reference_table()
        (HERE / "case1_reference.json").write_text(json.dumps(table, indent=1))
        from case1_report import write_reference_md

        write_reference_md(table, HERE / "case1_reference.md")
    elif args.what == "pinn":
        run_pinn(args)
    else:
        from case1_report import report

        report(Path(args.runs), HERE)


if __name__ == "__main__":
    main()
