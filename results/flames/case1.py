"""Case 1 benchmark: shooting reference table, PINN forward (φ × p sweep) and inverse (n × noise).

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
BUDGET = dict(warmup=1000, adam=10000, lbfgs=5000, n_collocation=201)
QUICK = dict(warmup=100, adam=200, lbfgs=50, n_collocation=101)


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
    from pinnlab.flames.case1 import Budget, noisy_observations, solve_forward, solve_inverse

    flame = SimpleFlame(phi=job["phi"], pressure=job["p_atm"] * ATM)
    ref = shoot_flame_speed(flame)
    budget = Budget(**job["budget"])
    t0 = time.perf_counter()
    if job["mode"] == "forward":
        result = solve_forward(flame, budget, device=job["device"])
    else:
        obs = noisy_observations(ref.x, ref.T, ref.u, job["n_obs"], job["noise"], seed=job["seed"])
        result = solve_inverse(flame, obs, budget, device=job["device"])
    wall = time.perf_counter() - t0
    T = result.temperature(ref.x)
    u = result.velocity(ref.x)
    record = dict(job, s_L=result.s_L, s_L_ref=ref.s_L, conductivity=result.conductivity,
                  activation_energy=result.activation_energy,
                  err_s_L=result.s_L / ref.s_L - 1.0,
                  err_conductivity=result.conductivity / flame.conductivity - 1.0,
                  err_activation_energy=result.activation_energy / flame.activation_energy - 1.0,
                  T_rel_l2=float(np.linalg.norm(T - ref.T) / np.linalg.norm(ref.T)),
                  u_rel_l2=float(np.linalg.norm(u - ref.u) / np.linalg.norm(ref.u)),
                  wall_s=wall,
                  stages=[dict(name=s.name, iterations=s.iterations, best_loss=s.best_loss,
                               wall_s=s.wall_time, stop_reason=s.stop_reason,
                               history=s.history) for s in result.stages])
    if job.get("profile"):
        every = 20
        record["profile"] = dict(x=ref.x[::every].tolist(), T_ref=ref.T[::every].tolist(),
                                 u_ref=ref.u[::every].tolist(), T=T[::every].tolist(),
                                 u=u[::every].tolist())
        if job["mode"] == "inverse":
            record["profile"]["obs"] = dict(x=obs.x.tolist(), T=obs.T.tolist(), u=obs.u.tolist())
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
