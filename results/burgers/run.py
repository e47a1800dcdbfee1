"""Burgers benchmark: forward accuracy and time with the default settings of
``problems/burgers.toml``, and the inverse problem (ν from 100 observations with 1% noise) with
those of ``problems/burgers_inverse.toml``, on this machine's CPU.

    python results/burgers/run.py                 # both; writes results/burgers/{forward,inverse}/,
                                                  # burgers.md, burgers.json, error_vs_time.png
    python results/burgers/run.py --only inverse

The error is the relative L2 norm against the Cole–Hopf solution on the 256 x 100 grid (all grid
points, PINNacle's L2RE). Wall time is the training time (reference and plots excluded); CPU time
is the process time, which does not depend on other load on the machine.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import time

import numpy as np
import torch

import pinnlab
from pinnlab.reference import reference_solution

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CASES = {"forward": "problems/burgers.toml", "inverse": "problems/burgers_inverse.toml"}


def run_case(name: str, spec: str, threads: int, options: dict | None = None) -> dict:
    problem = pinnlab.load(os.path.join(ROOT, spec))
    ref = reference_solution(problem)
    pts = np.stack([a.ravel() for a in ref.mesh().values()], 1)
    target = ref.fields["u"].ravel()
    x = torch.as_tensor(pts)

    def monitor(model) -> dict:
        with torch.no_grad():
            u = model(x.to(next(model.parameters()).dtype))[:, 0].double().numpy()
        return {"rel_l2": float(np.linalg.norm(u - target) / np.linalg.norm(target))}

    cpu0 = time.process_time()
    result = pinnlab.solve(problem, progress=False, monitor=monitor, **(options or {}))
    cpu = time.process_time() - cpu0
    result.save(os.path.join(HERE, name))
    m = result.metrics
    return {"case": name, "spec": spec, "options": options or {}, "rel_l2": m["rel_l2"],
            "wall_s": m["wall_s"],
            "cpu_s": cpu, "steps": m["steps"], "stops": m["optimizer_stops"],
            "params": m["params"], "params_rel_error": m.get("params_rel_error", {}),
            "points": m["points"], "threads": threads, "load_avg_after": os.getloadavg(),
            "config": {k: m["config"][k] for k in ("width", "depth", "residual_points",
                                                   "adam_steps", "lbfgs_steps", "dtype",
                                                   "resample", "compile", "hard_constraints")},
            "curve": [{k: h.get(k) for k in ("step", "phase", "rel_l2", "wall_s", "nu")}
                      for h in result.history]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=sorted(CASES))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--options", default="{}", help="JSON overriding the spec's [training]")
    ap.add_argument("--tag", default="", help="suffix of the case name for such a variant")
    args = ap.parse_args()
    options = json.loads(args.options)
    torch.set_num_threads(args.threads)
    for name, spec in CASES.items():
        if args.only and name != args.only:
            continue
        name = name + (f"_{args.tag}" if args.tag else "")
        row = run_case(name, spec, args.threads, options)
        row["machine"] = f"{platform.machine()} {os.cpu_count()} cores, torch {torch.__version__}"
        print(name, {k: row[k] for k in ("rel_l2", "wall_s", "cpu_s", "params")})
        with open(os.path.join(HERE, f"burgers_{name}.json"), "w") as fh:
            json.dump(row, fh, indent=1)
    rows = {}
    for path in sorted(glob.glob(os.path.join(HERE, "burgers_*.json"))):  # every case so far
        with open(path) as fh:
            row = json.load(fh)
        rows[row["case"]] = row
    write_table(rows)
    plot(rows)


def write_table(rows: dict) -> None:
    lines = ["# Burgers (ν = 0.01/π): PINN with the specs' default settings, CPU", "",
             "Reproduce: `python results/burgers/run.py` (each case alone: `--only forward`).", "",
             "| case | rel. L2 (256×100) | ν estimate (rel. error) | wall s | CPU s | threads | "
             "load avg (1 min) | steps | optimizer stops |", "|" + "---|" * 9]
    for r in rows.values():
        nu = r["params"].get("nu")
        nu_s = f"{nu:.6g} ({r['params_rel_error'].get('nu', 0):.2%})" if nu else "known"
        stops = "; ".join(f"{k}: {v}" for k, v in r["stops"].items())
        lines.append(f"| {r['case']} | {r['rel_l2']:.3e} | {nu_s} | {r['wall_s']:.0f} | "
                     f"{r['cpu_s']:.0f} | {r['threads']} | {r['load_avg_after'][0]:.1f} | "
                     f"{r['steps']} | {stops} |")
    lines += ["", "Wall times were measured on the shared 2-core development machine while other "
              "jobs ran (load average 5–8 during the runs; the column shows it at the end); CPU s "
              "is this process's own time on one torch thread, which that load does not inflate "
              "— on an idle machine wall ≈ CPU s.",
              "", "Settings: " + "; ".join(f"{r['case']}: {r['config']}"
                                         + (f" with {r['options']}" if r.get("options") else "")
                                         for r in rows.values()),
              "", "Targets: forward rel. L2 ≤ 1e-3 in ≤ 10 min on 2 cores; inverse ν "
              "within 1%. Peers: PINNacle vanilla PINN 1.45e-2; DeepXDE's Burgers example ≈ 9e-3.",
              "", "Figures: `error_vs_time.png`, `forward/solution.png`, `forward/loss.png`, "
              "`inverse/solution.png`, `inverse/loss.png`."]
    with open(os.path.join(HERE, "burgers.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


def plot(rows: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for r in rows.values():
        c = [p for p in r["curve"] if p["rel_l2"] is not None]
        axes[0].semilogy([p["wall_s"] for p in c], [p["rel_l2"] for p in c], label=r["case"])
        if r["case"].startswith("inverse"):
            nu_true = 0.01 / np.pi
            axes[1].semilogy([p["wall_s"] for p in c], [abs(p["nu"] - nu_true) / nu_true
                                                        for p in c], color="C1")
    axes[0].axhline(1e-3, color="k", ls=":", lw=1)
    axes[0].set_xlabel("wall time [s]")
    axes[0].set_ylabel("relative L2 error")
    axes[0].legend()
    axes[1].axhline(1e-2, color="k", ls=":", lw=1)
    axes[1].set_xlabel("wall time [s]")
    axes[1].set_ylabel("|ν − ν*| / ν*  (inverse)")
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "error_vs_time.png"), dpi=110)


if __name__ == "__main__":
    main()
