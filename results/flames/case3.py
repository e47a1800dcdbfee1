"""Case 3 benchmark: counterflow premixed CH4/air flame (φ = 0.8), inverse for Λ and E_a.

    python results/flames/case3.py [--time-limit SECONDS] [--quick] [--zone-fraction F]
        [--n N] [--resample-every K] [--adam-share S] [--tag NAME]

Cantera CounterflowPremixedFlame (one-step CH4 mechanism, L = 2 cm, 1 kg/(m² s) on both sides,
N2 at 300 K opposite, 501 points, no refinement) is the reference; 16 uniformly spaced
observations of u, V, T, Y_k (no noise) feed the inverse PINN. Writes case3_inverse.md/json and
case3_inverse.png here (case3_inverse_<tag>.* with --tag); the JSON holds the command.

Made with the flame-specific solvers, since removed (commit 2b9ea8d is the last that has
them): run this script on that commit to repeat it; the same flames as specs are in
``results/unified/``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

PUBLISHED_LAMBDA = -13622.0  # Pa/m², published reference data at φ = 0.8


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    torch.set_num_threads(1)
    from pinnlab.flames.case3 import (
        Case3Budget,
        CounterflowObservations,
        solve_counterflow_inverse,
    )
    from pinnlab.flames.mechanisms import one_step_ch4_path

    from pinnlab.flames.cantera_ref import Mixture, counterflow_flame
    from pinnlab.flames.gas import TorchGas, load_solution

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=1500.0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--zone-fraction", type=float, default=0.0)
    parser.add_argument("--n", type=int, default=300, help="collocation points")
    parser.add_argument("--resample-every", type=int, default=0)
    parser.add_argument("--adam-share", type=float, default=0.4)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    mech = str(one_step_ch4_path())
    sol = load_solution(mech)
    t0 = time.perf_counter()
    ref = counterflow_flame(Mixture(mech, phi=0.8))
    ref_wall = time.perf_counter() - t0
    Ea_nominal = sol.reactions()[0].rate.activation_energy
    idx = np.round(np.linspace(0, len(ref.x) - 1, 16)).astype(int)
    obs = CounterflowObservations(ref.x[idx], ref.u[idx], ref.V[idx], ref.T[idx], ref.Y[idx])
    options = dict(n_collocation=args.n, zone_fraction=args.zone_fraction,
                   resample_every=args.resample_every, adam_share=args.adam_share)
    budget = (Case3Budget(warmup=50, adam=20, lbfgs=10, **options) if args.quick else
              Case3Budget(warmup=2000, adam=100000, lbfgs=40000, time_limit=args.time_limit,
                          **options))
    t0, c0 = time.perf_counter(), time.process_time()
    model, stages = solve_counterflow_inverse(TorchGas(sol), float(ref.x[-1]), ref.pressure, obs,
                                              Ea_nominal, budget=budget)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    Lam, Ea = float(model.Lambda().detach()), float(model.activation_energy().detach())
    with torch.no_grad():
        u, V, T, Y = (f.value.numpy() for f in model.fields(torch.tensor(ref.x).reshape(-1, 1)))
    rec = dict(Lambda=Lam, Lambda_ref=ref.Lambda, err_Lambda=Lam / ref.Lambda - 1,
               Lambda_published=PUBLISHED_LAMBDA, activation_energy=Ea, Ea_ref=Ea_nominal,
               err_activation_energy=Ea / Ea_nominal - 1, wall_s=wall, cpu_s=cpu,
               reference_wall_s=ref_wall, budget=vars(budget),
               command="OMP_NUM_THREADS=1 python results/flames/case3.py "
               + " ".join(shlex.quote(a) for a in sys.argv[1:]),
               T_rel_l2=float(np.linalg.norm(T[:, 0] - ref.T) / np.linalg.norm(ref.T)),
               stages=[dict(name=s.name, iterations=s.iterations, best_loss=s.best_loss,
                            wall_s=s.wall_time, stop_reason=s.stop_reason) for s in stages])
    stem = HERE / ("case3_inverse" + (f"_{args.tag}" if args.tag else ""))
    stem.with_suffix(".json").write_text(json.dumps(rec, indent=1))
    lines = ["| quantity | PINN | Cantera | error |", "|---|---|---|---|",
             f"| Λ (Pa/m²) | {Lam:.1f} | {ref.Lambda:.1f} | {rec['err_Lambda']:+.2%} |",
             f"| E_a (J/kmol) | {Ea:.5g} | {Ea_nominal:.5g} | "
             f"{rec['err_activation_energy']:+.2%} |", "",
             f"T rel. L2 {rec['T_rel_l2']:.2e}; wall {wall:.0f} s, CPU {cpu:.0f} s (local 2-core "
             "CPU, shared); "
             "stages: " + "; ".join(f"{s['name']} {s['iterations']} it., best loss "
                                    f"{s['best_loss']:.1e}, {s['stop_reason']}"
                                    for s in rec["stages"])]
    lines.append(f"\nCommand: `{rec['command']}`")
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    x = ref.x * 1e3
    for ax, name, a, r, o in ((axes[0], "u (m/s)", u[:, 0], ref.u, obs.u),
                              (axes[1], "V (1/s)", V[:, 0], ref.V, obs.V),
                              (axes[2], "T (K)", T[:, 0], ref.T, obs.T)):
        ax.plot(x, r, "k-", lw=2, label="Cantera")
        ax.plot(x, a, "r--", label="PINN")
        ax.plot(obs.x * 1e3, o, "bo", ms=4, label="observations")
        ax.set_ylabel(name)
    for k, sp in enumerate(sol.species_names):
        line, = axes[3].plot(x, ref.Y[:, k], "-", lw=2, label=sp)
        axes[3].plot(x, Y[:, k], "--", color=line.get_color())
    axes[3].set_ylabel("Y_k (Cantera solid, PINN dashed)")
    for ax in axes:
        ax.set_xlabel("x (mm)")
        ax.legend(fontsize=8)
    fig.suptitle(f"Case 3 inverse, φ = 0.8: Λ {rec['err_Lambda']:+.2%}, "
                 f"E_a {rec['err_activation_energy']:+.2%}")
    fig.tight_layout()
    fig.savefig(stem.with_suffix(".png"), dpi=100)
    print(json.dumps({k: v for k, v in rec.items() if k != "stages"}))


if __name__ == "__main__":
    main()
