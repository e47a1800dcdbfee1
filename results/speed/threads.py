"""One thread or two for a PINN step on this CPU, idle and beside busy neighbours.

    python results/speed/threads.py [--points 1024 4096 16384 65536] [--blocks 5]

The Burgers spec's PINN (its network, hard constraints and loss), one Adam step = loss,
backward, optimizer step; nothing else is timed. For each residual-point count, blocks of 10
steps alternate between 1 and 2 torch threads in one process (so machine load hits both), and
the median block gives ms per step. Conditions: ``idle`` (nothing else started by this script)
and ``busy`` (two CPU-bound neighbour processes spinning for the whole measurement). Writes
``threads.json`` and ``threads.md`` here, with the machine's core count and load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def build(points: int):
    import torch

    from pinnlab.api import prepare
    from pinnlab.methods.pinn import PINNLoss, PINNModel, _default_dtype

    plan = prepare(os.path.join(ROOT, "problems", "burgers.toml"), "pinn",
                   options={"residual_points": points, "compile": False})
    gen = torch.Generator().manual_seed(0)
    with _default_dtype(torch.float64):
        model = PINNModel(plan.problem, plan.config, gen).to(dtype=torch.float64)
        loss = PINNLoss(plan.problem, model, plan.config, gen)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        sum(loss().values()).backward()
        opt.step()
    return step


def measure(points: int, blocks: int) -> dict[int, float]:
    import torch

    step = build(points)
    times: dict[int, list[float]] = {1: [], 2: []}
    for n in (1, 2):  # warm-up at each count
        torch.set_num_threads(n)
        step()
    for _ in range(blocks):
        for n in (1, 2):
            torch.set_num_threads(n)
            t = time.perf_counter()
            for _ in range(10):
                step()
            times[n].append((time.perf_counter() - t) / 10)
    return {n: 1e3 * statistics.median(v) for n, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, nargs="+", default=[1024, 4096, 16384, 65536])
    ap.add_argument("--blocks", type=int, default=5)
    args = ap.parse_args()
    rows = []
    for condition in ("idle", "busy"):
        spinners = []
        if condition == "busy":
            spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                        for _ in range(2)]
            time.sleep(1.0)
        try:
            for p in args.points:
                ms = measure(p, args.blocks)
                rows.append({"condition": condition, "points": p, "ms_1": ms[1], "ms_2": ms[2],
                             "load": os.getloadavg()[0]})
                print(rows[-1], flush=True)
        finally:
            for s in spinners:
                s.kill()
    rec = {"cores": os.cpu_count(), "rows": rows}
    with open(os.path.join(HERE, "threads.json"), "w") as f:
        json.dump(rec, f, indent=1)
    lines = ["| condition | residual points | 1 thread ms/step | 2 threads ms/step | 2 / 1 |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['condition']} | {r['points']} | {r['ms_1']:.1f} | {r['ms_2']:.1f} | "
              f"{r['ms_2'] / r['ms_1']:.2f} |" for r in rows]
    with open(os.path.join(HERE, "threads.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
