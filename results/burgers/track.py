"""Train the PINN on a spec while tracking the relative L2 error against the reference.

Used by the Burgers benchmarks (and the GPU recipe sweep) to record error against iterations and
wall time. Example:

    python results/burgers/track.py problems/burgers.toml --options '{"lbfgs_steps": 8000}' \
        --out results/burgers/track_default.json --device cpu
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch

import pinnlab
from pinnlab.methods.pinn import PINNConfig, PINNModel, train_pinn
from pinnlab.reference import reference_solution


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("--options", default="{}")
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    problem = pinnlab.load(args.spec)
    opts = json.loads(args.options)
    cfg = PINNConfig.from_options({**problem.training, **opts})
    ref = reference_solution(problem)  # the full evaluation grid (256 x 100 for Burgers)
    pts = np.stack([a.ravel() for a in ref.mesh().values()], 1)
    target = np.concatenate([ref.fields[f].ravel() for f in problem.fields])
    holder: dict = {}
    original = PINNModel.__init__

    def init(self, *a, **k):
        original(self, *a, **k)
        holder["model"] = self

    PINNModel.__init__ = init
    dtype = getattr(torch, cfg.dtype)
    x = torch.as_tensor(pts, dtype=dtype, device=args.device)

    def monitor() -> dict:
        model = holder["model"]
        with torch.no_grad():
            u = model(x).T.reshape(-1).double().cpu().numpy()
        return {"rel_l2": float(np.linalg.norm(u - target) / np.linalg.norm(target))}

    start = time.perf_counter()
    model, trainer = train_pinn(problem, cfg, seed=args.seed, device=args.device, out=None,
                                resume=False, progress=False, monitor=monitor)
    wall = time.perf_counter() - start
    final = monitor()["rel_l2"]
    device_name = (torch.cuda.get_device_name() if args.device.startswith("cuda")
                   else platform.processor() or platform.machine())
    report = {"spec": args.spec, "options": opts, "seed": args.seed, "device": args.device,
              "device_name": device_name, "threads": torch.get_num_threads(),
              "wall_s": wall, "rel_l2": final, "stops": trainer.state.stops,
              "steps": trainer.state.step,
              "curve": [{k: h[k] for k in ("step", "phase", "loss", "rel_l2", "wall_s")}
                        for h in trainer.state.history]}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(report, fh, indent=1)
    print(f"{args.out}: rel_l2 {final:.3e} in {wall:.1f} s, {trainer.state.step} steps, "
          f"{trainer.state.stops}")


if __name__ == "__main__":
    main()
