"""Where a training step's time goes: matrix products against everything else.

    python results/speed/profile_step.py            # writes profile_step.json and profile_step.md

For the Burgers step of ``harness.py`` (2-[64]*4-1 tanh, N residual points + 512 condition points,
one Adam step, one torch thread) in DeepXDE 1.15 (matched points), pinnlab eager and pinnlab
compiled. Per step: the CPU time without the profiler (median of five blocks of ``--steps``, the
three set-ups' blocks interleaved);
then, from ``torch.profiler`` over ``--steps`` steps (no FLOP counting), the self time of the
matrix products (``aten::mm``, ``addmm``, ``bmm``, ``baddbmm``) and its share of the profiled
step, the rate they reach; their number and FLOPs from one more step profiled with FLOP counting
(kept out of the timed pass: it slows every operator); the rate of one 1024 × 1024 product
measured in the same run (``run.py``'s ``matmul_rate``); and one hidden layer's twelve
products for four jet components against the three products of the components stacked into one
operand. The profiler adds time of its
own to every operator, most to steps of many small operators (eager ones), so the share is of
the profiled step.

The point of the table: a step's matrix-product FLOPs set a floor on its time. If the jets'
products are as many FLOPs as nested autograd's, no fusion of the element-wise work can make the
step faster than the products alone.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from run import matmul_rate  # noqa: E402

MATMUL_OPS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm")


def stacking(n: int, dtype: torch.dtype, reps: int = 50) -> dict:
    """One hidden layer's products for four jet components, forward (P W^T) and backward (G W,
    G^T P): twelve products on (n × 64) operands against three on the stacked (4n × 64) ones.
    Median ms of ``reps``, alternating."""
    w = torch.randn(64, 64, dtype=dtype)
    ps = [torch.randn(n, 64, dtype=dtype) for _ in range(4)]
    gs = [torch.randn(n, 64, dtype=dtype) for _ in range(4)]
    p, g = torch.cat(ps), torch.cat(gs)
    ways = {"separate": lambda: [(q @ w.T, h @ w, h.T @ q) for q, h in zip(ps, gs)],
            "stacked": lambda: (p @ w.T, g @ w, g.T @ p)}
    times: dict[str, list[float]] = {k: [] for k in ways}
    for _ in range(reps):
        for k, f in ways.items():
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    return {f"layer_{k}_ms": 1e3 * sorted(v)[len(v) // 2] for k, v in times.items()}


def profile(step, steps: int) -> dict:
    """Matrix-product ms per step and its share of the profiled step (over ``steps`` steps),
    product count and FLOPs per step (one more step, with FLOP counting)."""
    cpu = torch.profiler.ProfilerActivity.CPU
    with torch.profiler.profile(activities=[cpu]) as prof:  # times: without FLOP counting,
        for _ in range(steps):                              # which slows every operator
            step()
    events = prof.key_averages()
    mm = [e for e in events if e.key in MATMUL_OPS]
    total_self = sum(e.self_cpu_time_total for e in events)
    mm_self = sum(e.self_cpu_time_total for e in mm)
    with torch.profiler.profile(activities=[cpu], with_flops=True) as prof:
        step()
    mm_counted = [e for e in prof.key_averages() if e.key in MATMUL_OPS]
    return {"matmul_ms": mm_self / 1e3 / steps,
            "matmul_share": mm_self / total_self,
            "matmul_calls": sum(e.count for e in mm_counted),
            "matmul_gflop": sum(e.flops for e in mm_counted) / 1e9}


def measure(n: int, dtype: str, steps: int, rounds: int = 5) -> list[dict]:
    """The three set-ups at one size and dtype (run in a process of its own): step CPU time from
    ``rounds`` interleaved blocks of ``steps`` steps (order rotating), then the profiles."""
    torch.set_num_threads(1)
    rate = matmul_rate("cpu", getattr(torch, dtype))
    setups = {}
    for lib, compiled in (("eager", False), ("compiled", True)):
        step, model, loss = harness.build_pinnlab(n, dtype, compiled)
        setups[lib] = step
    m, X, y, aux = harness.build_deepxde(n, dtype, "matched", harness.pinnlab_points(loss))
    setups = {"DeepXDE": harness.deepxde_step(m, X, y, aux), **setups}
    for step in setups.values():
        for _ in range(5):
            step()
    blocks: dict[str, list[float]] = {lib: [] for lib in setups}
    libs = list(setups)
    for r in range(rounds):
        for lib in libs[r % 3:] + libs[:r % 3]:
            c0 = time.process_time()
            for _ in range(steps):
                setups[lib]()
            blocks[lib].append((time.process_time() - c0) / steps)
    rows = []
    for lib, step in setups.items():
        r = {"points": n, "dtype": dtype, "library": lib, "matmul_rate_gflops": rate / 1e9,
             "cpu_ms": 1e3 * sorted(blocks[lib])[rounds // 2], **profile(step, steps)}
        r["matmul_gflops"] = r["matmul_gflop"] / (r["matmul_ms"] / 1e3)
        r["floor_ms"] = r["matmul_gflop"] / (rate / 1e9) * 1e3
        rows.append(r)
    rows[-1]["ceiling"] = rows[0]["cpu_ms"] / rows[-1]["matmul_ms"]
    rows[0].update(stacking(n, getattr(torch, dtype)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1024,4096,16384")
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        n, dtype = args.one.split(",")
        print("ROWS " + json.dumps(measure(int(n), dtype, args.steps)))
        return
    rows = []
    for dtype in args.dtypes.split(","):
        for n in args.sizes.split(","):  # one process per size: no memory carried over
            out = subprocess.run([sys.executable, __file__, "--one", f"{n},{dtype}",
                                  "--steps", str(args.steps)], capture_output=True, text=True,
                                 check=True).stdout
            for r in json.loads(out.split("ROWS ", 1)[1]):
                rows.append(r)
                print(f"{r['points']:6d} {dtype} {r['library']:9s} {r['cpu_ms']:8.1f} ms, "
                      f"products {r['matmul_ms']:7.1f} ms ({r['matmul_share']:.0%}), "
                      f"{r['matmul_calls']:.0f} calls, {r['matmul_gflop']:.3f} GFLOP, "
                      f"{r['matmul_gflops']:.0f} GFLOP/s", flush=True)
    meta = {"cpu": harness.cpu_model(), "torch": torch.__version__, "threads": 1,
            "steps": args.steps, "load1": os.getloadavg()[0],
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with open(os.path.join(HERE, "profile_step.json"), "w") as fh:
        json.dump({"meta": meta, "rows": rows}, fh, indent=1)
    write_md(meta, rows)


def write_md(meta: dict, rows: list[dict]) -> None:
    """``profile_step.md``; the compiled row's ``ceiling``: DeepXDE's step over the compiled
    step's product time, the ratio a compiled step made of nothing but its products would
    reach."""
    lines = [f"# Where the Burgers step's time goes ({meta['cpu']}, 1 thread, torch "
             f"{meta['torch']}, {meta['date']})", "",
             "`python results/speed/profile_step.py`; the columns are explained in its "
             f"docstring ({meta['steps']} steps per block). step ms: CPU ms per step without "
             "the profiler; share: the products' part of the profiled step; floor: the step's "
             "product FLOPs at the 1024² rate; of rate: floor / step ms (the share of the "
             "matmul rate the step reaches); ceiling (compiled rows): DeepXDE's step / the "
             "compiled step's products' time; layer products (DeepXDE rows, a separate "
             "measurement): one hidden layer's products for four jet components, twelve "
             "separate / three stacked, ms.", "",
             "| N | dtype | library | step ms | products ms | share | products | GFLOP | "
             "GFLOP/s | 1024² GFLOP/s | floor ms | of rate | ceiling | layer products |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        bound = f"{r['ceiling']:.2f}" if "ceiling" in r else ""
        layer = (f"{r['layer_separate_ms']:.2f} / {r['layer_stacked_ms']:.2f}"
                 if "layer_separate_ms" in r else "")
        lines.append(f"| {r['points']} | {r['dtype']} | {r['library']} | {r['cpu_ms']:.1f} | "
                     f"{r['matmul_ms']:.1f} | {r['matmul_share']:.0%} | "
                     f"{r['matmul_calls']:.0f} | {r['matmul_gflop']:.3f} | "
                     f"{r['matmul_gflops']:.0f} | {r['matmul_rate_gflops']:.0f} | "
                     f"{r['floor_ms']:.1f} | {r['floor_ms'] / r['cpu_ms']:.0%} | {bound} | "
                     f"{layer} |")
    with open(os.path.join(HERE, "profile_step.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
