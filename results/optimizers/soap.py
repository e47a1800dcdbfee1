"""Does SOAP pay on a PINN? Adam against SOAP in pinnlab's one trainer, everything else equal.

Burgers (``problems/burgers.toml``: ν = 0.01/π, 4 × 32 tanh network, 4096 residual points
redrawn by RAD every 250 steps, exact initial and wall conditions, float64), seeds 0 and 1:
``--steps`` first-order steps at learning rate 1e-3 (decay 0.9 every 1000) with Adam or with
SOAP (pytorch-optimizer, betas (0.95, 0.95), preconditioner refreshed every 10 steps, no weight
decay), then the same run continued by ``--lbfgs`` L-BFGS iterations. The error is the
relative L2 against the Cole–Hopf reference on its 256 × 100 grid. Runs alternate between the
optimizers (seed by seed), so machine load hits both alike; CPU seconds are the process's.

    python results/optimizers/soap.py [--steps 3000] [--lbfgs 1000] [--seeds 0 1]
    python results/optimizers/soap.py --soap-betas 0.99 0.999 --soap-every 2 --only-soap \
        --tag pinn_betas      # SOAP with other hyper-parameters (monkeypatched here)
    python results/optimizers/soap.py --heat [--soap-betas 0.99 0.999 --soap-every 2 --tag ...]

``--heat``: the small problem of ``tests/test_soap.py`` instead (``problems/generative/heat.toml``,
2 × 16 network, 512 points, 300 first-order steps, no L-BFGS, seeds 0-2):
``soap_heat[_TAG].md``/``.json``.

Writes ``soap[_TAG].json`` and ``.md`` here.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, "..", "..", "problems", "burgers.toml")


def one(optimizer: str, seed: int, steps: int, lbfgs: int) -> dict:
    import pinnlab

    out = tempfile.mkdtemp()
    common = dict(optimizer=optimizer, seed=seed, compile=False, progress=False, out=out)
    c0 = time.process_time()
    first = pinnlab.solve(SPEC, adam_steps=steps, lbfgs_steps=0, **common)
    c1 = time.process_time()
    second = pinnlab.solve(SPEC, adam_steps=steps, lbfgs_steps=lbfgs, resume=True, **common)
    return {"optimizer": optimizer, "seed": seed, "first_order_rel_l2": first.metrics["rel_l2"],
            "first_order_loss": first.metrics["loss_final"], "first_order_cpu_s": c1 - c0,
            "rel_l2": second.metrics["rel_l2"], "loss": second.metrics["loss_final"],
            "cpu_s": time.process_time() - c0, "stops": second.metrics["optimizer_stops"]}


def patch_soap(betas, every) -> None:
    """Build SOAP with other betas / preconditioner refresh than pinnlab's option does."""
    import pytorch_optimizer
    import torch

    from pinnlab import stages

    def first_order(phase, groups):
        if phase.optimizer != "soap":
            return torch.optim.Adam(groups, lr=phase.lr)
        extra = {"betas": tuple(betas)} if betas else {}
        extra.update({"precondition_frequency": every} if every else {})
        return pytorch_optimizer.SOAP(groups, lr=phase.lr, weight_decay=0.0, **extra)

    stages.first_order = first_order


def heat_rows(optimizers, seeds) -> list[dict]:
    """The small heat problem (module docstring): rel. L2 and final loss per optimizer and
    seed."""
    import pinnlab

    spec = os.path.join(HERE, "..", "..", "problems", "generative", "heat.toml")
    rows = []
    for seed in seeds:
        for optimizer in optimizers:
            r = pinnlab.solve(spec, optimizer=optimizer, seed=seed, adam_steps=300,
                              lbfgs_steps=0, residual_points=512, width=16, depth=2,
                              compile=False, progress=False, threads=1)
            rows.append({"optimizer": optimizer, "seed": seed, "rel_l2": r.metrics["rel_l2"],
                         "loss": r.metrics["loss_final"]})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def table(rows: list[dict], steps: int, lbfgs: int) -> str:
    lines = [f"| optimizer | seed | rel. L2 after {steps} steps | loss | CPU s | rel. L2 after "
             f"+{lbfgs} L-BFGS | loss | CPU s |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['optimizer']} | {r['seed']} | {r['first_order_rel_l2']:.2e} | "
                     f"{r['first_order_loss']:.2e} | {r['first_order_cpu_s']:.0f} | "
                     f"{r['rel_l2']:.2e} | {r['loss']:.2e} | {r['cpu_s']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--lbfgs", type=int, default=1000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--soap-betas", type=float, nargs=2, default=None)
    ap.add_argument("--soap-every", type=int, default=None, help="preconditioner refresh")
    ap.add_argument("--only-soap", action="store_true")
    ap.add_argument("--tag", default="")
    ap.add_argument("--heat", action="store_true", help="the small heat problem instead")
    args = ap.parse_args()
    if args.soap_betas or args.soap_every:
        patch_soap(args.soap_betas, args.soap_every)
    optimizers = ("soap",) if args.only_soap else ("adam", "soap")
    if args.heat:
        rows = heat_rows(optimizers, [0, 1, 2])
        name = "soap_heat" + (f"_{args.tag}" if args.tag else "")
        with open(os.path.join(HERE, f"{name}.json"), "w") as fh:
            json.dump({"args": vars(args), "rows": rows}, fh, indent=1)
        lines = ["| optimizer | seed | rel. L2 after 300 steps | loss |", "|---|---|---|---|"]
        lines += [f"| {r['optimizer']} | {r['seed']} | {r['rel_l2']:.2e} | {r['loss']:.2e} |"
                  for r in rows]
        with open(os.path.join(HERE, f"{name}.md"), "w") as fh:
            fh.write("\n".join(lines) + "\n")
        print("\n".join(lines))
        return
    rows = []
    for seed in args.seeds:
        for optimizer in optimizers:
            rows.append(one(optimizer, seed, args.steps, args.lbfgs))
            print(json.dumps(rows[-1]), flush=True)
    name = "soap" + (f"_{args.tag}" if args.tag else "")
    with open(os.path.join(HERE, f"{name}.json"), "w") as fh:
        json.dump({"args": vars(args), "rows": rows}, fh, indent=1)
    with open(os.path.join(HERE, f"{name}.md"), "w") as fh:
        fh.write(table(rows, args.steps, args.lbfgs))
    print(table(rows, args.steps, args.lbfgs))


if __name__ == "__main__":
    main()
