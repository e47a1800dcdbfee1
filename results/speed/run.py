"""Time per Adam step: pinnlab (forward jets, eager and torch.compile) vs DeepXDE 1.15 (PyTorch
backend) vs plain nested torch.autograd.grad, on the same Burgers problem, the same network
(2-[64]*4-1 tanh, float32), the same points, in one run.

Points are counted the same way for every tool: N residual (domain) points plus 256 boundary and
256 initial points; every tool evaluates the PDE residual on the N domain points only and the
condition residuals on the condition points (soft constraints everywhere, no hard constraints,
so the work per step is the same).

    python results/speed/run.py                    # CPU, writes results/speed/cpu_*.{md,json,png}
    python results/speed/run.py --device cuda      # GPU (no DeepXDE), writes gpu_*
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
NU = 0.01 / math.pi
SIZES = [1024, 4096, 16384, 65536]


def timed(step, device, repeats: int, warmup: int = 3) -> float:
    """Median seconds per call: wall time on a GPU; on the CPU the process time (CPU seconds
    of this process), which other load on a shared machine does not inflate."""
    clock = time.perf_counter if device.startswith("cuda") else time.process_time
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = clock()
        step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(clock() - t0)
    return statistics.median(times)


def pinnlab_step(n: int, device: str, compiled: bool, mode: str = "default"):
    import pinnlab
    from pinnlab.methods.pinn import PINNConfig, PINNLoss, PINNModel, _default_dtype

    problem = pinnlab.load(os.path.join(HERE, "..", "..", "problems", "burgers.toml"))
    cfg = PINNConfig(width=64, depth=4, hard_constraints=False, residual_points=n,
                     boundary_points=128, initial_points=256, dtype="float32", compile=compiled,
                     compile_mode=mode)
    gen = torch.Generator().manual_seed(0)
    with _default_dtype(torch.float32):
        model = PINNModel(problem, cfg, gen).to(device)
        loss = PINNLoss(problem, model, cfg, gen)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        total = sum(loss().values())
        total.backward()
        opt.step()

    return step


def autograd_step(n: int, device: str):
    torch.manual_seed(0)
    layers = [torch.nn.Linear(2, 64), torch.nn.Tanh()]
    for _ in range(3):
        layers += [torch.nn.Linear(64, 64), torch.nn.Tanh()]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(64, 1)).to(device)
    x = (torch.rand(n, 2, device=device) * torch.tensor([2.0, 1.0], device=device)
         - torch.tensor([1.0, 0.0], device=device)).requires_grad_(True)
    xb = torch.rand(512, 2, device=device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        u = net(x)
        g = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)[0]
        ux, ut = g[:, :1], g[:, 1:]
        uxx = torch.autograd.grad(ux, x, torch.ones_like(ux), create_graph=True)[0][:, :1]
        r = ut + u * ux - NU * uxx
        loss = (r**2).mean() + (net(xb) ** 2).mean()
        loss.backward()
        opt.step()

    return step


def deepxde_model(n: int, seed: int = 0):
    os.environ.setdefault("DDE_BACKEND", "pytorch")
    import deepxde as dde

    dde.config.set_random_seed(seed)
    dde.config.set_default_float("float32")
    geom = dde.geometry.GeometryXTime(dde.geometry.Interval(-1, 1), dde.geometry.TimeDomain(0, 1))

    def pde(x, y):
        dy_x = dde.grad.jacobian(y, x, i=0, j=0)
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        return dy_t + y * dy_x - NU * dy_xx

    bc = dde.icbc.DirichletBC(geom, lambda x: 0, lambda _, on_boundary: on_boundary)
    ic = dde.icbc.IC(geom, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial)
    data = dde.data.TimePDE(geom, pde, [bc, ic], num_domain=n, num_boundary=256,
                            num_initial=256, train_distribution="pseudo")
    net = dde.nn.FNN([2] + [64] * 4 + [1], "tanh", "Glorot normal")
    model = dde.Model(data, net)
    model.compile("adam", lr=1e-3)
    return dde, model


def deepxde_time(n: int, repeats: int) -> float:
    """CPU seconds per DeepXDE training step (its own ``Model.train`` loop)."""
    _, model = deepxde_model(n)
    model.train(iterations=3, display_every=10**9, verbose=0)
    t0 = time.process_time()
    model.train(iterations=repeats, display_every=10**9, verbose=0)
    return (time.process_time() - t0) / repeats


def matmul_rate(device: str, dtype: torch.dtype = torch.float32) -> float:
    """FLOP/s of a 1024 × 1024 product (median of 10, the clock of :func:`timed`)."""
    a = torch.randn(1024, 1024, device=device, dtype=dtype)
    b = torch.randn(1024, 1024, device=device, dtype=dtype)
    dt = timed(lambda: a @ b, device, 10)
    return 2 * 1024**3 / dt


def jet_flops(n: int) -> float:
    """Matmul FLOPs of one pinnlab step: 4 jet components through 2-64-64-64-64-1, forward
    plus backward (≈ 2x forward for the weight and input gradients)."""
    per_point = sum(2 * a * b for a, b in [(2, 64), (64, 64), (64, 64), (64, 64), (64, 1)])
    return 3 * 4 * n * per_point


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--no-deepxde", action="store_true")
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--compile-modes", default="default",
                    help="torch.compile modes to time, comma-separated (GPU: reduce-overhead "
                    "replays CUDA graphs)")
    ap.add_argument("--out", default=HERE, help="folder of the outputs")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sizes = [int(s) for s in args.sizes.split(",")]
    dev = args.device
    tag = "gpu" if dev.startswith("cuda") else "cpu"
    if args.threads != 1:
        tag += f"_{args.threads}threads"
    name = torch.cuda.get_device_name() if tag == "gpu" else platform.processor() or "cpu"
    rows = []
    for n in sizes:
        reps = args.repeats if n <= 16384 else max(3, args.repeats // 3)
        row = {"points": n}
        row["pinnlab_eager_s"] = timed(pinnlab_step(n, dev, False), dev, reps)
        for mode in ([] if args.no_compile else args.compile_modes.split(",")):
            key = "" if mode == "default" else "_" + mode.replace("-", "_")
            step = pinnlab_step(n, dev, True, mode)
            t0 = time.perf_counter()
            step()
            row[f"compile{key}_wall_s"] = time.perf_counter() - t0
            row[f"pinnlab_compiled{key}_s"] = timed(step, dev, reps)
        row["autograd_s"] = timed(autograd_step(n, dev), dev, reps)
        if tag == "cpu" and not args.no_deepxde:
            row["deepxde_s"] = deepxde_time(n, reps)
        print(json.dumps(row), flush=True)
        rows.append(row)
    rate = matmul_rate(dev)
    for r in rows:
        best = min([v for k, v in r.items() if k.startswith("pinnlab_")])
        r["matmul_fraction"] = jet_flops(r["points"]) / best / rate
        if "deepxde_s" in r:
            r["speedup_vs_deepxde"] = r["deepxde_s"] / best
    meta = {"device": dev, "device_name": name, "threads": torch.get_num_threads(),
            "torch": torch.__version__, "matmul_gflops": rate / 1e9,
            "python": sys.version.split()[0],
            "command": "python results/speed/" + os.path.basename(__file__) + " " +
            " ".join(sys.argv[1:])}
    with open(os.path.join(args.out, f"{tag}_step_time.json"), "w") as fh:
        json.dump({"meta": meta, "rows": rows}, fh, indent=1)
    write_table(rows, meta, os.path.join(args.out, f"{tag}_step_time.md"))
    plot(rows, meta, os.path.join(args.out, f"{tag}_step_time.png"))


def write_table(rows, meta, path):
    cols = [c for c in ("points", "deepxde_s", "autograd_s", "pinnlab_eager_s",
                        "pinnlab_compiled_s", "pinnlab_compiled_reduce_overhead_s",
                        "compile_wall_s", "compile_reduce_overhead_wall_s", "speedup_vs_deepxde",
                        "matmul_fraction") if any(c in r for r in rows)]
    clock = "wall seconds" if meta["device"].startswith("cuda") else "CPU seconds (process time)"
    lines = [f"# Time per Adam step, Burgers, 2-[64]*4-1 tanh, float32 — {meta['device_name']} "
             f"({meta['threads']} threads, torch {meta['torch']})", "",
             f"Times are median {clock} per step over the repeats.", "",
             f"Reproduce: `{meta['command']}`. Matmul rate measured: "
             f"{meta['matmul_gflops']:.1f} GFLOP/s.", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def _fmt(v):
    if v is None:
        return "–"
    if isinstance(v, int):
        return str(v)
    return f"{v:.4g}"


def plot(rows, meta, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    n = [r["points"] for r in rows]
    for key, label in [("deepxde_s", "DeepXDE 1.15 (pytorch)"), ("autograd_s", "nested autograd"),
                       ("pinnlab_eager_s", "pinnlab jets (eager)"),
                       ("pinnlab_compiled_s", "pinnlab jets (compiled)"),
                       ("pinnlab_compiled_reduce_overhead_s", "pinnlab jets (CUDA graphs)")]:
        if any(key in r for r in rows):
            ax.loglog(n, [r.get(key, np.nan) for r in rows], "o-", label=label)
    ax.set_xlabel("collocation points")
    ax.set_ylabel("seconds per Adam step")
    ax.set_title(f"Burgers step time — {meta['device_name']}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
