"""Per-step speed, pinnlab against DeepXDE (PyTorch backend), side by side in one process.

The problem: Burgers, u_t + u u_x = nu u_xx, nu = 0.01/pi, x in [-1, 1], t in [0, 1],
u(x, 0) = -sin(pi x), u(+-1, t) = 0; network 2-[64]*4-1 tanh; N residual points + 256 wall
points (128 per wall) + 256 initial points; soft conditions in both libraries; Adam, lr 1e-3.

What one step is:

* pinnlab: the model and loss built as ``pinnlab.solve`` builds them (``prepare`` on
  ``problems/burgers.toml`` with ``hard_constraints=false``, no resampling, width 64, depth 4,
  the ``dtype`` and ``compile`` options; ``PINNModel``/``PINNLoss`` built under that dtype as in
  ``train_pinn``). Timed: ``zero_grad``, the loss, ``backward``, ``optimizer.step`` -- nothing
  else. ``eager`` and ``compiled`` (``compile=true``; the first call's compilation is timed
  separately and excluded from the step).
* DeepXDE: after ``model.compile("adam", lr=1e-3)``, the call ``Model._train_step(X, y, aux)``
  that ``Model.train`` makes once per iteration (PyTorch backend: ``opt.step(closure)``, the
  closure = ``outputs_losses_train`` + ``zero_grad`` + ``backward``). Not timed: ``Model.train``'s
  loss evaluations at its start and end, the batch fetch, callbacks, display.
  Two set-ups of the same problem:
    - ``dde`` (matched, the headline): pinnlab's own points given to DeepXDE -- the N residual
      points as ``anchors`` (residual on these only), each wall and the initial line as a
      ``PointSetBC`` -- so the loss has the same four terms on the same points as pinnlab's;
      the network and its derivatives are evaluated on N + 512 points in both.
    - ``dde_std``: DeepXDE as its Burgers example writes it (``DirichletBC`` + ``IC``,
      ``num_domain=N, num_boundary=256, num_initial=256``): its residual is then taken on
      N + 512 points and the network and derivatives are evaluated on N + 1024 points (the
      condition points twice), so it does more work than the matched set-up.

Blocks of k steps of each set-up alternate in one process (the order rotates each round), so
machine load falls on all of them; the median block gives ms per step (wall clock and process
CPU time both recorded). One torch thread throughout (``torch.set_num_threads(1)``; DeepXDE runs
on the same torch).

    python results/speed/harness.py                       # full run (about 20 min here)
    python results/speed/harness.py --quick               # about 2 min, smoke test
    python results/speed/harness.py --sizes 4096 --dtypes float32 --neighbours 2 --tag busy

Writes ``harness[_TAG].json`` and ``harness[_TAG].md`` next to this file (``--quick`` writes
``harness_quick.*`` unless ``--tag`` is given).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("DDE_BACKEND", "pytorch")

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC = os.path.join(ROOT, "problems", "burgers.toml")
NU = 0.01 / math.pi
SIZES = [1024, 4096, 16384, 65536]
LIBS = ["dde", "dde_std", "eager", "compiled"]
LABEL = {"dde": "DeepXDE (matched)", "dde_std": "DeepXDE (its example's set-up)",
         "eager": "pinnlab eager", "compiled": "pinnlab compiled"}


# ---- pinnlab ----------------------------------------------------------------------------------
def build_pinnlab(n: int, dtype: str, compiled: bool):
    """Model, loss and Adam as ``pinnlab.solve`` -> ``train_pinn`` builds them."""
    from pinnlab.api import prepare
    from pinnlab.methods.pinn import PINNLoss, PINNModel, _default_dtype

    plan = prepare(SPEC, "pinn", options={
        "width": 64, "depth": 4, "residual_points": n, "boundary_points": 128,
        "initial_points": 256, "hard_constraints": False, "resample": "uniform",
        "resample_every": 0, "lbfgs_resample_every": 0, "dtype": dtype, "compile": compiled})
    cfg = plan.config
    tdtype = getattr(torch, cfg.dtype)
    gen = torch.Generator().manual_seed(0)
    with _default_dtype(tdtype):
        model = PINNModel(plan.problem, cfg, gen).to(dtype=tdtype)
        loss = PINNLoss(plan.problem, model, cfg, gen)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        total = sum(loss().values())
        total.backward()
        opt.step()

    return step, model, loss


# ---- DeepXDE ----------------------------------------------------------------------------------
def _dde():
    with contextlib.redirect_stdout(io.StringIO()):
        import deepxde as dde
    return dde


def _quiet(fn, *a, **k):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*a, **k)


def _pde(dde):
    def pde(x, y):
        dy_x = dde.grad.jacobian(y, x, i=0, j=0)
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        return dy_t + y * dy_x - NU * dy_xx
    return pde


def pinnlab_points(loss) -> dict[str, np.ndarray]:
    """pinnlab's points by term name (to give DeepXDE the very same points)."""
    return {t.name: t.points.detach().cpu().numpy() for t in loss.terms}


def build_deepxde(n: int, dtype: str, variant: str, points: dict[str, np.ndarray] | None = None,
                  feature_map: tuple | None = None):
    """A compiled ``dde.Model``; ``variant`` ``matched`` (pinnlab's points, four terms) or
    ``std`` (DirichletBC + IC sampled by DeepXDE). Returns (model, X, y, aux)."""
    dde = _dde()
    _quiet(dde.config.set_default_float, dtype)  # sets config.real and torch's default dtype
    dde.config.set_random_seed(0)
    geom = dde.geometry.GeometryXTime(dde.geometry.Interval(-1, 1),
                                      dde.geometry.TimeDomain(0, 1))
    if variant == "std":
        bc = dde.icbc.DirichletBC(geom, lambda x: 0, lambda _, on_boundary: on_boundary)
        ic = dde.icbc.IC(geom, lambda x: -np.sin(np.pi * x[:, 0:1]),
                         lambda _, on_initial: on_initial)
        data = dde.data.TimePDE(geom, _pde(dde), [bc, ic], num_domain=n, num_boundary=256,
                                num_initial=256, train_distribution="pseudo")
    else:
        real = dde.config.real(np)
        bcs = []
        for name, pts in points.items():
            if name.startswith("equations."):
                continue
            pts = pts.astype(real)
            val = (-np.sin(np.pi * pts[:, :1]) if name.startswith("conditions.initial")
                   else np.zeros((len(pts), 1)))
            bcs.append(dde.icbc.PointSetBC(pts, val.astype(real)))
        anchors = points["equations.burgers"].astype(real)
        data = dde.data.TimePDE(geom, _pde(dde), bcs, num_domain=0, num_boundary=0,
                                num_initial=0, anchors=anchors)
    net = dde.nn.FNN([2] + [64] * 4 + [1], "tanh", "Glorot normal")
    if feature_map is not None:
        scale, shift = feature_map
        net.apply_feature_transform(lambda x: x * scale + shift)
    model = dde.Model(data, net)
    _quiet(model.compile, "adam", lr=1e-3)
    model.train_state.set_data_train(*model.data.train_next_batch(model.batch_size))
    ts = model.train_state
    return model, ts.X_train, ts.y_train, ts.train_aux_vars


def deepxde_step(model, X, y, aux):
    """DeepXDE's step, run under the torch default dtype DeepXDE sets for itself
    (``set_default_float``), as in a DeepXDE run; pinnlab's steps run under float32, the
    default ``pinnlab.solve`` leaves in place."""
    dtype = next(model.net.parameters()).dtype

    def step():
        torch.set_default_dtype(dtype)
        model._train_step(X, y, aux)  # what Model._train_sgd calls once per iteration
        torch.set_default_dtype(torch.float32)
    return step


def check_same_loss(n: int, dtype: str, model, loss) -> dict:
    """DeepXDE (matched set-up) with pinnlab's weights and points, plus pinnlab's input map as
    a feature transform: its loss terms should equal pinnlab's (same recipe)."""
    net = model.net
    scale, shift = net.in_scale.clone(), net.in_shift.clone()
    m, X, y, aux = build_deepxde(n, dtype, "matched", pinnlab_points(loss), (scale, shift))
    with torch.no_grad():
        for dl, pl in zip(m.net.linears, net.layers, strict=True):
            dl.weight.copy_(pl.weight)
            dl.bias.copy_(pl.bias)
    d_terms = m.outputs_losses_train(X, y, aux)[1].detach().double().tolist()
    with torch.no_grad():
        p = {k: float(v) for k, v in loss().items()}
    p_terms = [p["equations.burgers"]] + [v for k, v in p.items() if k != "equations.burgers"]
    rel = max(abs(a - b) / max(abs(b), 1e-30) for a, b in zip(d_terms, p_terms, strict=True))
    return {"deepxde_terms": d_terms, "pinnlab_terms": p_terms, "max_rel_diff": rel,
            "pinnlab_names": ["equations.burgers"] + [k for k in p if k != "equations.burgers"]}


# ---- timing -----------------------------------------------------------------------------------
def run_block(step, k: int) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(k):
        step()
    return (time.perf_counter() - w0) / k, (time.process_time() - c0) / k


def summarize(vals: list[float]) -> dict:
    ms = sorted(1e3 * v for v in vals)
    q = np.percentile(ms, [25, 75])
    return {"median": statistics.median(ms), "min": ms[0], "max": ms[-1],
            "q1": float(q[0]), "q3": float(q[1]), "blocks_ms": ms}


def measure(n: int, dtype: str, libs: list[str], blocks: int, k: int, budget_s: float,
            min_blocks: int) -> dict:
    load0 = os.getloadavg()[0]
    t_cfg = time.perf_counter()
    steps, info = {}, {}
    torch._dynamo.reset()  # a fresh, static compilation per configuration, as in one solve
    p_step, p_model, p_loss = build_pinnlab(n, dtype, False)
    points = pinnlab_points(p_loss)
    info["pinnlab_points"] = {k_: len(v) for k_, v in points.items()}
    if "eager" in libs:
        steps["eager"] = p_step
    if "compiled" in libs:
        from torch._dynamo.utils import counters

        c_step, _, _ = build_pinnlab(n, dtype, True)
        hits = counters["inductor"]["fxgraph_cache_hit"]
        w0, c0 = time.perf_counter(), time.process_time()
        c_step()
        info["compile_wall_s"] = time.perf_counter() - w0
        info["compile_cpu_s"] = time.process_time() - c0
        # the first call compiles; torch's on-disk cache (left by an earlier run with the
        # same shapes) makes it much shorter: record whether it was used
        info["compile_cache_hits"] = counters["inductor"]["fxgraph_cache_hit"] - hits
        steps["compiled"] = c_step
    for lib, variant in (("dde", "matched"), ("dde_std", "std")):
        if lib in libs:
            model, X, y, aux = build_deepxde(n, dtype, variant, points)
            pdt = next(model.net.parameters()).dtype
            info[f"{lib}_points"] = {"network_inputs": int(len(X)),
                                     "condition_points": [int(v) for v in model.data.num_bcs],
                                     "residual_points": int(len(X) - sum(model.data.num_bcs)),
                                     "param_dtype": str(pdt), "input_dtype": str(X.dtype)}
            assert pdt == getattr(torch, dtype) and str(X.dtype) == dtype, (pdt, X.dtype)
            steps[lib] = deepxde_step(model, X, y, aux)
    if "dde" in libs:
        info["same_loss_check"] = check_same_loss(n, dtype, p_model, p_loss)
    torch.set_default_dtype(torch.float32)
    for lib in libs:  # warm-up: 2 steps each
        steps[lib]()
        steps[lib]()
    wall = {lib: [] for lib in libs}
    cpu = {lib: [] for lib in libs}
    w_all, c_all = time.perf_counter(), time.process_time()
    nb = 0
    while nb < blocks:
        order = libs[nb % len(libs):] + libs[:nb % len(libs)]  # rotate who goes first
        for lib in order:
            w, c = run_block(steps[lib], k)
            wall[lib].append(w)
            cpu[lib].append(c)
        nb += 1
        spent = time.perf_counter() - w_all
        if nb < blocks and nb >= min_blocks and spent / nb * (nb + 1) > budget_s:
            info["blocks_reduced"] = (
                f"{nb} blocks instead of {blocks}: a round of {k} steps of each set-up took "
                f"{spent / nb:.0f} s and another would pass the budget of {budget_s:g} s")
            print("  " + info["blocks_reduced"], flush=True)
            break
    w_all, c_all = time.perf_counter() - w_all, time.process_time() - c_all
    row = {"points": n, "dtype": dtype, "blocks": nb, "steps_per_block": k,
           "wall": {lib: summarize(v) for lib, v in wall.items()},
           "cpu": {lib: summarize(v) for lib, v in cpu.items()},
           "timed_wall_s": w_all, "timed_cpu_s": c_all, "cpu_over_wall": c_all / w_all,
           "load1_before": load0, "load1_after": os.getloadavg()[0],
           "config_wall_s": time.perf_counter() - t_cfg, **info}
    for clock in ("wall", "cpu"):
        for base in ("dde", "dde_std"):
            for lib in ("eager", "compiled"):
                if base in row[clock] and lib in row[clock]:
                    row[f"ratio_{clock}_{base}_over_{lib}"] = (
                        row[clock][base]["median"] / row[clock][lib]["median"])
    return row


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ---- output -----------------------------------------------------------------------------------
def write_md(rec: dict, path: str) -> None:
    m = rec["meta"]
    rows = rec["rows"]
    L = [f"# Per-step time, Burgers, pinnlab against DeepXDE {m['deepxde']} — interleaved", "",
         f"{m['cpu_model']}, {m['cores']} cores, torch {m['torch']} with "
         f"{m['torch_threads']} thread, Python {m['python']}; {m['neighbours']} CPU-bound "
         f"neighbour processes started by the harness. One-minute load average: "
         f"{m['load1_start']:.2f} at the start, {m['load1_end']:.2f} at the end "
         f"(per row below). Started {m['started']}, {m['total_wall_s'] / 60:.1f} min.", "",
         f"Reproduce: `{m['command']}`", "",
         "Wall-clock ms per Adam step: median of the blocks [min–max]; ratio = DeepXDE median / "
         "pinnlab median (> 1: pinnlab faster). DeepXDE = the matched set-up (pinnlab's points "
         "and terms); `DeepXDE ex.` = its example's set-up (condition points also in the "
         "residual, more work). `cpu/wall` = process CPU time / wall time over the timed "
         "blocks (< 1: the process waited for a core). `compile s`: the first compiled call "
         "(excluded from the step); `(cached)`: torch's on-disk compile cache, left by an "
         "earlier run with the same shapes, was used.", "",
         "| N | dtype | DeepXDE ms | pinnlab eager ms | pinnlab compiled ms | DeepXDE / eager "
         "| DeepXDE / compiled | DeepXDE ex. ms | ex. / compiled | compile s, wall "
         "| blocks × steps | load before→after | cpu/wall |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def cell(r, lib, clock="wall"):
        s = r[clock].get(lib)
        if s is None:
            return "–"
        return f"{s['median']:.1f} [{s['min']:.1f}–{s['max']:.1f}]"

    def ratio(r, key):
        v = r.get(key)
        return "–" if v is None else f"{v:.2f}"

    for r in rows:
        L.append(f"| {r['points']} | {r['dtype']} | {cell(r, 'dde')} | {cell(r, 'eager')} | "
                 f"{cell(r, 'compiled')} | {ratio(r, 'ratio_wall_dde_over_eager')} | "
                 f"{ratio(r, 'ratio_wall_dde_over_compiled')} | {cell(r, 'dde_std')} | "
                 f"{ratio(r, 'ratio_wall_dde_std_over_compiled')} | "
                 f"{r.get('compile_wall_s', float('nan')):.1f}"
                 f"{' (cached)' if r.get('compile_cache_hits') else ''} | {r['blocks']} × "
                 f"{r['steps_per_block']} | {r['load1_before']:.2f}→{r['load1_after']:.2f} | "
                 f"{r['cpu_over_wall']:.2f} |")
    L += ["", "Process CPU time (ms per step, medians; less sensitive to neighbours):", "",
          "| N | dtype | DeepXDE | pinnlab eager | pinnlab compiled | DeepXDE / eager | "
          "DeepXDE / compiled | DeepXDE ex. | ex. / compiled |",
          "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        c = r["cpu"]
        med = {lib: (f"{c[lib]['median']:.1f}" if lib in c else "–") for lib in LIBS}
        L.append(f"| {r['points']} | {r['dtype']} | {med['dde']} | {med['eager']} | "
                 f"{med['compiled']} | {ratio(r, 'ratio_cpu_dde_over_eager')} | "
                 f"{ratio(r, 'ratio_cpu_dde_over_compiled')} | {med['dde_std']} | "
                 f"{ratio(r, 'ratio_cpu_dde_std_over_compiled')} |")
    notes = [f"* {r['points']} {r['dtype']}: {r['blocks_reduced']}" for r in rows
             if "blocks_reduced" in r]
    checks = [f"{r['points']} {r['dtype']}: {r['same_loss_check']['max_rel_diff']:.1e}"
              for r in rows if "same_loss_check" in r]
    if notes:
        L += ["", "Fewer blocks than asked:", *notes]
    if checks:
        L += ["", "Same loss: DeepXDE (matched set-up) given pinnlab's weights, points and input "
              "map reproduces pinnlab's four loss terms to a max relative difference of "
              + "; ".join(checks) + "."]
    with open(path, "w") as fh:
        fh.write("\n".join(L) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=None, help="residual points, comma-separated "
                    "(default " + ",".join(map(str, SIZES)) + ")")
    ap.add_argument("--dtypes", default=None, help="default float32,float64")
    ap.add_argument("--blocks", type=int, default=None, help="blocks per set-up (default 7)")
    ap.add_argument("--steps", type=int, default=0,
                    help="steps per block (default: 10 up to N=4096, else 5)")
    ap.add_argument("--libs", default=",".join(LIBS),
                    help="set-ups to time, of: " + ",".join(LIBS))
    ap.add_argument("--budget", type=float, default=450.0,
                    help="seconds of timed blocks per (N, dtype); after --min-blocks rounds, "
                         "no round is started that would pass it (said so in the output)")
    ap.add_argument("--min-blocks", type=int, default=5)
    ap.add_argument("--neighbours", type=int, default=0,
                    help="CPU-bound processes (`while True: pass`) to run during the measurement")
    ap.add_argument("--quick", action="store_true",
                    help="~2 min: N 1024,4096, float32, 3 blocks of 5 steps (flags still win)")
    ap.add_argument("--tag", default=None, help="suffix of the output files")
    ap.add_argument("--warm-compile-cache", action="store_true",
                    help="use torch's usual on-disk compile cache (default: a fresh, empty one "
                         "for this run, so `compile s` is a first compilation)")
    args = ap.parse_args()
    cache_dir = None
    if not args.warm_compile_cache:
        cache_dir = tempfile.mkdtemp(prefix="harness_inductor_")
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache_dir
    if args.quick:
        args.sizes = args.sizes or "1024,4096"
        args.dtypes = args.dtypes or "float32"
        args.blocks = args.blocks or 3
        args.min_blocks = min(args.min_blocks, args.blocks)
        args.steps = args.steps or 5
    args.sizes = args.sizes or ",".join(map(str, SIZES))
    args.dtypes = args.dtypes or "float32,float64"
    args.blocks = args.blocks or 7
    args.min_blocks = min(args.min_blocks, args.blocks)
    tag = args.tag if args.tag is not None else ("quick" if args.quick else "")
    sizes = [int(s) for s in args.sizes.split(",")]
    dtypes = args.dtypes.split(",")
    libs = [lib for lib in LIBS if lib in args.libs.split(",")]
    torch.set_num_threads(1)
    dde = _dde()
    from deepxde import backend

    assert backend.backend_name == "pytorch", backend.backend_name
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(args.neighbours)]
    if spinners:
        time.sleep(2.0)
    t0, started = time.perf_counter(), time.strftime("%Y-%m-%d %H:%M %Z")
    meta = {"cpu_model": cpu_model(), "cores": os.cpu_count(), "torch": torch.__version__,
            "deepxde": dde.__version__, "python": sys.version.split()[0],
            "torch_threads": torch.get_num_threads(), "neighbours": args.neighbours,
            "compile_cache": "warm (torch's usual)" if args.warm_compile_cache else "fresh",
            "load1_start": os.getloadavg()[0], "started": started,
            "command": ("python results/speed/harness.py " + " ".join(sys.argv[1:])).strip()}
    rows = []
    try:
        for dtype in dtypes:
            for n in sizes:
                k = args.steps or (10 if n <= 4096 else 5)
                print(f"N={n} {dtype}: {args.blocks} blocks x {k} steps ...", flush=True)
                r = measure(n, dtype, libs, args.blocks, k, args.budget, args.min_blocks)
                rows.append(r)
                brief = {lib: round(r["wall"][lib]["median"], 2) for lib in libs}
                print(f"  ms/step {brief}  ratios dde/eager "
                      f"{r.get('ratio_wall_dde_over_eager', math.nan):.2f} dde/compiled "
                      f"{r.get('ratio_wall_dde_over_compiled', math.nan):.2f}  load "
                      f"{r['load1_before']:.2f}->{r['load1_after']:.2f}  "
                      f"({r['config_wall_s']:.0f} s)", flush=True)
    finally:
        for s in spinners:
            s.kill()
        if cache_dir:
            shutil.rmtree(cache_dir, ignore_errors=True)
    meta["load1_end"] = os.getloadavg()[0]
    meta["total_wall_s"] = time.perf_counter() - t0
    meta["torch_threads_end"] = torch.get_num_threads()
    rec = {"meta": meta, "rows": rows}
    stem = os.path.join(HERE, "harness" + (f"_{tag}" if tag else ""))
    with open(stem + ".json", "w") as fh:
        json.dump(rec, fh, indent=1)
    write_md(rec, stem + ".md")
    print(f"wrote {stem}.json, {stem}.md ({meta['total_wall_s'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
