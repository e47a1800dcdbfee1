"""Case 2, H2/air at φ = 1 (Cantera's h2o2.yaml): PINN variants against Cantera FreeFlame.

    python results/flames/case2_h2.py run --tag NAME [options]   # one run → case2_h2_runs/NAME.json
    python results/flames/case2_h2.py report                     # → case2_h2.md/json, figures

Each run is one single-threaded process (torch.set_num_threads(1)); it needs only torch and the
files that ``case2.py prepare`` wrote to ``data/``. The options select the warm-up profile, the
flame-zone collocation share, the species-scale floor, the network and the budget (see
:class:`pinnlab.flames.case2.Case2Budget`); the exact command of each run is stored in its JSON.

Made with the flame-specific solvers, since removed (commit 2b9ea8d is the last that has
them): run this script on that commit to repeat it; the same flames as specs are in
``results/unified/``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = HERE / "case2_h2_runs"
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))


def run(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(1)
    from case2 import _run

    budget = dict(warmup=args.warmup, adam=args.adam, lbfgs=args.lbfgs, lr=args.lr,
                  n_collocation=args.n, time_limit=args.time_limit, adam_share=args.adam_share,
                  outlet=args.outlet, warmup_profile=args.warmup_profile,
                  thickness=args.thickness, zone_fraction=args.zone_fraction,
                  init_bias=args.init_bias, scale_floor=args.scale_floor, width=args.width,
                  depth=args.depth, modified=args.modified, seed=args.seed,
                  lr_s_L=args.lr_s_L, burnt_fraction=args.burnt_fraction, anchor=args.anchor,
                  anchor_weights=(args.anchor_T, args.anchor_Y), flux_scale=args.flux_scale,
                  lbfgs_redraw=args.lbfgs_redraw)
    job = dict(name="h2_phi1.0", budget=budget, device="cpu", s_L_guess=args.s_L_guess,
               verbose=True, start_from_reference=args.start_from_reference)
    rec = _run(job)
    rec.update(tag=args.tag, command="OMP_NUM_THREADS=1 python results/flames/case2_h2.py "
               + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    RUNS.mkdir(exist_ok=True)
    (RUNS / f"{args.tag}.json").write_text(json.dumps(rec))
    print(args.tag, f"s_L {rec['s_L']:.5f} vs {rec['s_L_ref']:.5f} ({rec['err_s_L']:+.2%}),",
          f"T L2 {rec['T_rel_l2']:.2e}, wall {rec['wall_s']:.0f} s, CPU {rec['cpu_s']:.0f} s",
          flush=True)


def report() -> None:
    from case2_report import _profiles

    recs = [json.loads(f.read_text()) for f in sorted(RUNS.glob("*.json"))]
    recs.sort(key=lambda r: (bool(r.get("start_from_reference")), r["tag"]))
    md = ["# Case 2, H2/air φ = 1 (h2o2.yaml): PINN variants vs Cantera FreeFlame", "",
          "Local 2-core CPU shared with other jobs, one single-threaded process per run (wall "
          "time inflated by the load; CPU time from time.process_time). Columns: start of "
          "training, outlet (zero-gradient: Cantera's; f: the burnt-outlet penalty "
          "T(L) ≥ T_in + f ΔT), share of collocation points in the flame zone, points, "
          "species-scale floor, anchor steps (T, Y weights), s_L's Adam-rate factor, the mass flux "
          "the residuals are divided by (m = ρ_in s_L trainable, m_ref = ρ_in s_L,guess fixed, "
          "or min(m, m_ref); '+ redraw': L-BFGS on points redrawn every 50 iterations). Each "
          "run's exact command is in case2_h2.json.", "",
          "| run | start | outlet | zone | points | floor | anchor | s_L rate | residual ÷ | "
          "s_L PINN | s_L Cantera | error | T rel. L2 | wall (s) | CPU (s) | stages: "
          "iterations, best loss, stop reason |", "|" + "---|" * 16]
    summary = []
    for r in recs:
        b = r["budget"]
        st = "; ".join(f"{s['name']} {s['iterations']}, {s['best_loss']:.1e}, {s['stop_reason']}"
                       for s in r["stages"])
        start = "Cantera (diagnostic)" if r.get("start_from_reference") else b.get(
            "warmup_profile", "ramp")
        outlet = b["outlet"] + (f", f = {b['burnt_fraction']:g}"
                                if b.get("burnt_fraction") and b["outlet"] != "equilibrium"
                                else "")
        # runs before anchor_weights existed used weight 1 − k/anchor on T and Y from step 0
        w = b.get("anchor_weights")
        anchor = ("–" if not b.get("anchor") else f"{b['anchor']} (1, 1; linear from 0)"
                  if w is None else f"{b['anchor']} ({w[0]:g}, {w[1]:g})")
        scale = {"trainable": "m", "fixed": "m_ref", "fixed-pde": "m_ref (inlet ÷ m)",
                 "min": "min(m, m_ref)"}[
            b.get("flux_scale") or ("fixed" if b.get("fixed_scale") else "trainable")]
        scale += " + redraw" if b.get("lbfgs_redraw") and b.get("lbfgs") else ""
        md.append(f"| {r['tag']} | {start} | {outlet} | {b.get('zone_fraction', 0):.2f} | "
                  f"{b['n_collocation']} | {b.get('scale_floor', 1e-3):g} | {anchor} | "
                  f"{b.get('lr_s_L', 1):g} | {scale} | {r['s_L']:.4f} | {r['s_L_ref']:.4f} | "
                  f"{r['err_s_L']:+.1%} | {r['T_rel_l2']:.1e} | {r['wall_s']:.0f} | "
                  f"{r['cpu_s']:.0f} | {st} |")
        _profiles(r | {"name": "h2_phi1.0"}, HERE / f"case2_h2_{r['tag']}.png")
        summary.append({k: v for k, v in r.items() if k != "profile"})
        summary[-1]["stages"] = [{k: v for k, v in s.items() if k != "history"}
                                 for s in r["stages"]]
    (HERE / "case2_h2.md").write_text("\n".join(md) + "\n")
    (HERE / "case2_h2.json").write_text(json.dumps(summary, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("run")
    p.add_argument("--tag", required=True)
    p.add_argument("--warmup", type=int, default=3000)
    p.add_argument("--adam", type=int, default=200000)
    p.add_argument("--lbfgs", type=int, default=200000)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--n", type=int, default=300, help="collocation points")
    p.add_argument("--time-limit", type=float, default=1800.0)
    p.add_argument("--adam-share", type=float, default=0.5)
    p.add_argument("--outlet", default="zero-gradient", choices=["equilibrium", "zero-gradient"])
    p.add_argument("--warmup-profile", default="fixed-point", choices=["ramp", "fixed-point"])
    p.add_argument("--thickness", type=float, default=None)
    p.add_argument("--zone-fraction", type=float, default=0.5)
    p.add_argument("--init-bias", action="store_true")
    p.add_argument("--scale-floor", type=float, default=1e-3)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--modified", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr-s-L", type=float, default=1.0, help="multiplier of s_L's Adam rate")
    p.add_argument("--burnt-fraction", type=float, default=0.0)
    p.add_argument("--anchor", type=int, default=0, help="Adam steps with the warm-up misfit")
    p.add_argument("--anchor-T", type=float, default=1.0, help="weight of its T part")
    p.add_argument("--anchor-Y", type=float, default=1.0, help="weight of its Y part")
    p.add_argument("--s-L-guess", type=float, default=2.0)
    p.add_argument("--flux-scale", default="trainable",
                   choices=["trainable", "fixed", "fixed-pde", "min"],
                   help="residual divisor: m, m_ref = rho_in s_L,guess (fixed-pde: inlet balance "
                   "still by m), or min(m, m_ref)")
    p.add_argument("--fixed-scale", dest="flux_scale", action="store_const", const="fixed",
                   help="same as --flux-scale fixed")
    p.add_argument("--lbfgs-redraw", action="store_true",
                   help="redraw the random collocation points before every L-BFGS chunk")
    p.add_argument("--start-from-reference", action="store_true",
                   help="diagnostic, not a forward solve: warm-up on Cantera's profile")
    sub.add_parser("report")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.what == "run":
        run(args)
    else:
        report()


if __name__ == "__main__":
    main()
