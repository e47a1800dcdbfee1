"""Case 2 benchmark: detailed-physics free flames, PINN vs Cantera FreeFlame.

    python results/flames/case2.py prepare        # Cantera references + mechanism constants
    python results/flames/case2.py pinn --workers 7 --out DIR [--quick] [--only NAME]
    python results/flames/case2.py report --runs DIR

``prepare`` needs Cantera and writes ``data/`` (reference profiles, HP-equilibrium states and the
torch-gas constants as .npz); ``pinn`` needs only torch and those files, so it also runs on a
machine without Cantera.

Made with the flame-specific solvers, since removed (commit 2b9ea8d is the last that has
them): run this script on that commit to repeat it; the same flames as specs are in
``results/unified/``.
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
DATA = HERE / "data"
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from pool import add_pinn_parser, run_jobs  # noqa: E402

CH4_PHIS = [0.6, 0.8, 1.0, 1.2, 1.4, 1.6]
PUBLISHED_CH4 = dict(zip(CH4_PHIS, [0.16601, 0.27983, 0.38120, 0.45285, 0.49799, 0.52634],
                         strict=True))
CASES = {f"ch4_phi{phi}": dict(mech="ch4", phi=phi, fuel="CH4:1") for phi in CH4_PHIS}
CASES["h2_phi1.0"] = dict(mech="h2o2", phi=1.0, fuel="H2:1")
BUDGET = dict(warmup=2000, adam=4000, lbfgs=8000, n_collocation=200, time_limit=300.0)
QUICK = dict(warmup=50, adam=50, lbfgs=20, n_collocation=100)


def prepare() -> None:
    from pinnlab.flames.mechanisms import one_step_ch4_path

    from pinnlab.flames.cantera_ref import Mixture, free_flame
    from pinnlab.flames.gas import load_solution, mechanism_data

    DATA.mkdir(exist_ok=True)
    mechs = {"ch4": str(one_step_ch4_path()), "h2o2": "h2o2.yaml"}
    for key, path in mechs.items():
        np.savez(DATA / f"gas_{key}.npz", **mechanism_data(load_solution(path)))
    rows = []
    for name, c in CASES.items():
        mix = Mixture(mechs[c["mech"]], phi=c["phi"], fuel=c["fuel"])
        t0 = time.perf_counter()
        ref = free_flame(mix)
        wall = time.perf_counter() - t0
        eq = mix.solution()
        eq.equilibrate("HP")
        ref.save(DATA / f"case2_ref_{name}.npz")
        np.savez(DATA / f"case2_eq_{name}.npz", T=eq.T, Y=eq.Y)
        rows.append(dict(name=name, phi=c["phi"], s_L=ref.s_L, n_points=len(ref.x),
                         T_eq=eq.T, published=PUBLISHED_CH4.get(c["phi"]) if c["mech"] == "ch4"
                         else None, wall_s=wall))
        print(name, ref.s_L, len(ref.x), f"{wall:.1f}s", flush=True)
    (HERE / "case2_reference.json").write_text(json.dumps(rows, indent=1))
    lines = ["| case | s_L Cantera (m/s) | published (1S_CH4_MP1) | rel. diff | grid points | "
             "T_eq (K) | wall (s) |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        pub = r["published"]
        diff = f"{r['s_L'] / pub - 1:+.2%}" if pub else "–"
        lines.append(f"| {r['name']} | {r['s_L']:.5f} | {pub or '–'} | {diff} | {r['n_points']} |"
                     f" {r['T_eq']:.1f} | {r['wall_s']:.1f} |")
    (HERE / "case2_reference.md").write_text("\n".join(lines) + "\n")


def _run(job: dict) -> dict:
    import torch

    torch.set_num_threads(1)
    from pinnlab.flames.case2 import Case2Budget, FlameSetup, solve_free_flame

    from pinnlab.flames.gas import TorchGas

    name, c = job["name"], CASES[job["name"]]
    gas = TorchGas(dict(np.load(DATA / f"gas_{c['mech']}.npz")), device=job["device"])
    ref = dict(np.load(DATA / f"case2_ref_{name}.npz"))
    eq = dict(np.load(DATA / f"case2_eq_{name}.npz"))
    setup = FlameSetup(float(ref["x"][-1]), float(ref["pressure"]), float(ref["T"][0]),
                       ref["Y"][0], float(eq["T"]), eq["Y"], float(ref["x_fixed"]),
                       float(ref["T_fixed"]))
    t0, c0 = time.perf_counter(), time.process_time()
    log = (lambda line: print(f"{name} {time.perf_counter() - t0:7.0f}s {line}", flush=True)
           ) if job.get("verbose") else None
    target = (ref["x"], ref["T"], ref["Y"]) if job.get("start_from_reference") else None
    model, stages = solve_free_flame(gas, setup, Case2Budget(**job["budget"]),
                                     s_L_guess=job["s_L_guess"], log=log, target=target)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    x = torch.as_tensor(ref["x"], dtype=gas.dtype, device=gas.device).reshape(-1, 1)
    with torch.no_grad():
        T, Y = model.fields(x)
        rho = gas.density(T.value, Y.value, setup.pressure)
        u = (model.mass_flux() / rho)[:, 0].cpu().numpy()
    T, Y = T.value[:, 0].cpu().numpy(), Y.value.cpu().numpy()
    s_L = float(model.s_L.detach())
    return dict(job, s_L=s_L, s_L_ref=float(ref["s_L"]), err_s_L=s_L / float(ref["s_L"]) - 1,
                T_rel_l2=float(np.linalg.norm(T - ref["T"]) / np.linalg.norm(ref["T"])),
                Y_rel_l2=float(np.linalg.norm(Y - ref["Y"]) / np.linalg.norm(ref["Y"])),
                u_rel_l2=float(np.linalg.norm(u - ref["u"]) / np.linalg.norm(ref["u"])),
                wall_s=wall, cpu_s=cpu, species=[str(s) for s in ref["species"]],
                profile=dict(x=ref["x"].tolist(), T=T.tolist(), u=u.tolist(), Y=Y.tolist()),
                stages=[dict(name=s.name, iterations=s.iterations, best_loss=s.best_loss,
                             wall_s=s.wall_time, stop_reason=s.stop_reason, history=s.history)
                        for s in stages])


def run_pinn(args: argparse.Namespace) -> None:
    budget = dict(QUICK if args.quick else BUDGET, outlet=args.outlet)
    if args.time_limit:
        budget.update(time_limit=args.time_limit, lbfgs=40000)
    todo = [dict(name=n, budget=budget, device=args.device, s_L_guess=0.6 if "ch4" in n else 2.0)
            for n in CASES if args.only in n]
    todo.sort(key=lambda j: "h2" not in j["name"])  # the slowest first
    run_jobs(_run, todo, args.out, args.workers, prefix="case2_")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("prepare")
    p = add_pinn_parser(sub, HERE / "runs_case2")
    p.add_argument("--time-limit", type=float, default=None,
                   help="seconds for Adam + L-BFGS per run (then up to 40 000 L-BFGS iterations)")
    p.add_argument("--outlet", default="equilibrium", choices=["equilibrium", "zero-gradient"],
                   help="outlet condition (the lent-machine runs of case2_pinn.md: zero-gradient)")
    r = sub.add_parser("report")
    r.add_argument("--runs", default=str(HERE / "runs_case2"))
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.what == "prepare":
        prepare()
    elif args.what == "pinn":
        run_pinn(args)
    else:
        from case2_report import report

        report(Path(args.runs), HERE)


if __name__ == "__main__":
    main()
