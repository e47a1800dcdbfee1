"""Train the PINN on a spec while tracking the relative L2 error against the reference.

Used by the Burgers benchmark (``run.py``) to record the error against iterations and wall time:

    python results/burgers/track.py problems/burgers.toml --options '{"lbfgs_steps": 8000}' \\
        --out /tmp/track.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time

import numpy as np
import torch

import pinnlab
from pinnlab.methods.pinn import PINNConfig, train_pinn
from pinnlab.reference import reference_solution


def track(spec: str, options: dict, *, device: str = "cpu", seed: int = 0,
          out: str | None = None) -> tuple[dict, object]:
    """Train with ``options`` over the spec's ``[training]``; return (report, model)."""
    problem = pinnlab.load(spec)
    cfg = PINNConfig.from_options({**problem.training, **options})
    ref = reference_solution(problem)  # the full evaluation grid (256 x 100 for Burgers)
    pts = np.stack([a.ravel() for a in ref.mesh().values()], 1)
    target = np.concatenate([ref.fields[f].ravel() for f in problem.fields])
    x = torch.as_tensor(pts, dtype=getattr(torch, cfg.dtype), device=device)

    def monitor(model) -> dict:
        with torch.no_grad():
            u = model(x).T.reshape(-1).double().cpu().numpy()
        return {"rel_l2": float(np.linalg.norm(u - target) / np.linalg.norm(target))}

    cpu0 = time.process_time()
    start = time.perf_counter()
    model, trainer = train_pinn(problem, cfg, seed=seed, device=device, out=out, resume=False,
                                progress=False, monitor=monitor)
    wall = time.perf_counter() - start
    name = (torch.cuda.get_device_name() if device.startswith("cuda")
            else platform.processor() or platform.machine())
    report = {"spec": spec, "options": options, "seed": seed, "device": device,
              "device_name": name, "threads": torch.get_num_threads(), "wall_s": wall,
              "cpu_s": time.process_time() - cpu0, "rel_l2": monitor(model)["rel_l2"],
              "params": model.params.estimates(), "stops": trainer.state.stops,
              "steps": trainer.state.step, "load_avg": os.getloadavg(),
              "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              "curve": [{k: h.get(k) for k in ("step", "phase", "loss", "rel_l2", "wall_s",
                                                *model.params.estimates())}
                        for h in trainer.state.history]}
    return report, model


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
    report, _ = track(args.spec, json.loads(args.options), device=args.device, seed=args.seed)
    with open(args.out, "w") as fh:
        json.dump(report, fh, indent=1)
    print(f"{args.out}: rel_l2 {report['rel_l2']:.3e} in {report['wall_s']:.1f} s, "
          f"{report['steps']} steps, {report['stops']}")


if __name__ == "__main__":
    main()
