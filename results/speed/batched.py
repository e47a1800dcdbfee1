"""Many PINNs per step: the throughput of K instances trained as one batch (``pinnlab.batched``)
against K separate trainings, and the check that both end at the same weights.

    python results/speed/batched.py [--device cpu] [--points 1024] [--ks 1 4 16 64]
                                    [--rounds 5] [--compile-mode default] [--out results/speed]

Problem: ``problems/burgers.toml`` (forward Burgers, its hard constraints and spec defaults) with
N residual points, float64, one torch thread on a CPU. Networks: 2-[20]*2-1 (the METALIC size)
and 2-[64]*4-1. For each network, mode (eager, ``compile``) and K, blocks of Adam steps
alternate, the order rotating each round: a *batched* block (one step of the stacked K
instances: ``zero_grad``, the vmapped loss, ``backward``, ``Adam.step``) and a *single* block
(the same four calls for one instance; K separate trainings cost K of them). Nothing else is in
the timed region. Reported: time per instance-step, median [min–max] over the rounds, and the
throughput gain = single / (batched / K). The first compiled call (compilation) is not timed.

Identity: K = 4 instances (seeds 0–3) trained 100 Adam steps by ``train_many`` and one by one;
the largest weight difference. Writes ``batched_<device>_<points>.{json,md}`` in ``--out``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import time

import torch

from pinnlab.api import prepare
from pinnlab.batched import Stack, train_many
from pinnlab.methods.pinn import build_pinn, train_pinn
from pinnlab.stages import RunContext

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SPEC = os.path.join(ROOT, "problems", "burgers.toml")
NETWORKS = {"2-[20]*2-1": (20, 2), "2-[64]*4-1": (64, 4)}


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def setups(width: int, depth: int, points: int, k: int, compiled: bool, device: str,
           mode: str = "default"):
    """A batched step of K instances and a single instance's step, both ready to time."""
    plan = prepare(SPEC, options={"width": width, "depth": depth, "residual_points": points,
                                  "compile": compiled, "compile_mode": mode}, device=device)
    ctx = RunContext(progress=False, device=device)
    built = [build_pinn(plan.problem, plan.config, dataclasses.replace(ctx, seed=s))
             for s in range(k)]
    stack = Stack([m for m, _, _ in built], [lo for _, lo, _ in built],
                  compile=plan.config.compile_mode if compiled else None)
    batch_opt = torch.optim.Adam(stack.parameters(), lr=1e-3)
    model, loss, _ = build_pinn(plan.problem, plan.config, dataclasses.replace(ctx, seed=99))
    single_opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def batched():
        batch_opt.zero_grad(set_to_none=True)
        sum(stack().values()).backward()
        batch_opt.step()

    def single():
        single_opt.zero_grad(set_to_none=True)
        sum(loss().values()).backward()
        single_opt.step()

    t0 = time.perf_counter()
    batched()
    sync(device)
    compile_s = time.perf_counter() - t0
    single()
    batched()
    single()
    sync(device)
    return batched, single, compile_s


def block(fn, steps: int, device: str) -> float:
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    sync(device)
    return (time.perf_counter() - t0) / steps


def measure(args) -> list[dict]:
    rows = []
    for net, (width, depth) in NETWORKS.items():
        for compiled in (False, True):
            for k in args.ks:
                batched, single, compile_s = setups(width, depth, args.points, k, compiled,
                                                    args.device, args.compile_mode)
                steps_b = max(2, args.target_steps // k)
                b, s = [], []
                for r in range(args.rounds):
                    order = [("b", batched, steps_b), ("s", single, args.target_steps)]
                    for name, fn, n in (order if r % 2 == 0 else order[::-1]):
                        (b if name == "b" else s).append(block(fn, n, args.device))
                per_b = [t / k for t in b]
                mode = (args.compile_mode if args.compile_mode != "default" else "compiled"
                        ) if compiled else "eager"
                row = {"network": net, "mode": mode, "K": k,
                       "batched_ms": 1e3 * statistics.median(per_b),
                       "batched_range": [1e3 * min(per_b), 1e3 * max(per_b)],
                       "single_ms": 1e3 * statistics.median(s),
                       "single_range": [1e3 * min(s), 1e3 * max(s)],
                       "compile_s": compile_s if compiled else None,
                       "load": os.getloadavg()[0]}
                row["gain"] = row["single_ms"] / row["batched_ms"]
                rows.append(row)
                print(json.dumps(row), flush=True)
    return rows


def identity(device: str) -> dict:
    plan = prepare(SPEC, options={"width": 20, "depth": 2, "residual_points": 512,
                                  "adam_steps": 100, "lbfgs_steps": 0, "compile": False})
    ctx = RunContext(progress=False, device=device)
    seeds = [0, 1, 2, 3]
    many = train_many([plan.problem] * 4, plan.config, ctx, seeds)
    gap = 0.0
    for (bm, _), seed in zip(many, seeds, strict=True):
        model, _ = train_pinn(plan.problem, plan.config, dataclasses.replace(ctx, seed=seed))
        for name, v in model.state_dict().items():
            if v.numel():
                gap = max(gap, float((bm.state_dict()[name] - v).abs().max()))
    return {"instances": 4, "adam_steps": 100, "max_weight_difference": gap,
            "batched": many[0][1].batched}


def table(rows: list[dict]) -> str:
    out = ["| network | mode | K | batched ms per instance-step | single ms per step | "
           "throughput gain | compile s |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        comp = f"{r['compile_s']:.0f}" if r["compile_s"] is not None else ""
        out.append(f"| {r['network']} | {r['mode']} | {r['K']} | {r['batched_ms']:.3g} "
                   f"[{r['batched_range'][0]:.3g}–{r['batched_range'][1]:.3g}] | "
                   f"{r['single_ms']:.3g} [{r['single_range'][0]:.3g}–"
                   f"{r['single_range'][1]:.3g}] | **{r['gain']:.2f}** | {comp} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--points", type=int, default=1024)
    ap.add_argument("--ks", type=int, nargs="+", default=[1, 4, 16, 64])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--compile-mode", default="default",
                    help="torch.compile mode of the compiled rows (reduce-overhead: CUDA graphs)")
    ap.add_argument("--target-steps", type=int, default=16,
                    help="single steps per block; batched blocks take max(2, this / K)")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    if args.device == "cpu":
        torch.set_num_threads(1)
    t0 = time.time()
    same = identity(args.device)
    print(json.dumps(same), flush=True)
    rows = measure(args)
    info = {"device": args.device, "torch": torch.__version__, "threads":
            torch.get_num_threads(), "machine": platform.processor() or platform.machine(),
            "points": args.points, "rounds": args.rounds, "wall_s": time.time() - t0,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, f"batched_{args.device.split(':')[0]}_{args.points}")
    with open(stem + ".json", "w") as f:
        json.dump({"info": info, "identity": same, "rows": rows}, f, indent=1)
    with open(stem + ".md", "w") as f:
        f.write(f"Burgers, {args.points} residual points, float64, {info['threads']} thread(s), "
                f"{args.device}, torch {info['torch']}, {info['date']}; median "
                f"[min–max] of {args.rounds} interleaved rounds.\n\n{table(rows)}\n\n"
                f"Identity: {same['instances']} instances, {same['adam_steps']} Adam steps, "
                f"batched vs one by one: largest weight difference "
                f"{same['max_weight_difference']:.2e}.\n")


if __name__ == "__main__":
    main()
