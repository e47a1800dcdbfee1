"""The accuracy table: method x problem, each cell the relative L2 error against the exact
solution and the CPU time, on one torch thread.

    python results/accuracy/run.py                  # every cell; writes table.md, table.json,
                                                    # error_vs_cpu.png and cells/*.json here
    python results/accuracy/run.py --workers 2      # two cells at a time (one thread each)
    python results/accuracy/run.py --quick          # smoke run: tiny budgets, into runs/
    python results/accuracy/run.py --only wave --only burgers:soap
    python results/accuracy/run.py --table-only     # rebuild the table from cells/*.json

Error: the relative L2 norm ``||u - u_ref||_2 / ||u_ref||_2`` over every node of the spec's
reference grid (``metrics["rel_l2"]`` of :func:`pinnlab.solve`). Time: ``time.process_time``
of the cell's own process, which runs one torch (and OpenMP) thread and compiles, where a spec
asks for ``torch.compile``, in the same process (``TORCHINDUCTOR_COMPILE_THREADS=1``); the
parent also records each cell process's CPU time as the kernel counts it (``os.wait4``),
children included. CPU time does not grow when other jobs share the machine; wall time does.

Budget: every method of a problem gets the same CPU budget ``B``. Training stops at
``time_limit = B - reserve`` CPU seconds (``time_clock = "process"``; the reserve, 5% of B,
covers loading, the reference solution and the final evaluation, so that the whole solve stays
within B); the first-order phase (Adam, or SOAP) runs the spec's steps and L-BFGS runs until
the budget ends, it converges or it stalls. Everything else is the spec's default.

Every cell runs in a process of its own; during training a monitor evaluates the error on the
reference grid every 50 steps (its cost is part of the budget), which gives the error along
the CPU time (``error_vs_cpu.png``) and shows where it levels off.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

#: environment of a cell's process: one thread everywhere, compilation in-process
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "TORCHINDUCTOR_COMPILE_THREADS": "1", "PINNLAB_QUICK": "0"}
#: share of the budget kept for loading, the reference and the final evaluation
RESERVE = 0.05
#: L-BFGS iterations allowed: in effect unlimited, the budget ends the phase
LBFGS_CAP = 10**7
#: the smoke run (``--quick``): CPU seconds per cell and steps per phase
QUICK_BUDGET_S, QUICK_STEPS = 20.0, 50


@dataclass(frozen=True)
class Case:
    """A problem of the table: a spec, its parameter overrides (``--set``), the goal (largest
    relative L2 error) and the CPU budget per cell in seconds; ``options`` are deviations
    from the spec's ``[training]`` table applied to every method (stated in the table)."""

    label: str
    spec: str
    goal: float
    budget_s: float
    parameters: dict[str, float] = field(default_factory=dict)
    options: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Method:
    """A training method: options of the one PINN trainer on top of the spec's; ``skip``
    lists the problems it is not run on, with the reason (shown in the table)."""

    label: str
    options: dict[str, object]
    skip: dict[str, str] = field(default_factory=dict)


CASES: dict[str, Case] = {
    "burgers": Case("Burgers, ν = 0.01/π", "problems/burgers.toml", goal=5e-5, budget_s=900.0),
    # the spec's 5000 Adam steps on 8192 points take about 700 CPU s alone: 1000 here
    "convection": Case("convection, β = 30 (PINN)", "problems/convection.toml", goal=1e-2,
                       budget_s=300.0, parameters={"beta": 30.0},
                       options={"adam_steps": 1000}),
    "poisson2d": Case("Poisson 2-D, manufactured", "problems/accuracy/poisson2d.toml",
                      goal=1e-4, budget_s=300.0),
    "wave": Case("wave, c = 2", "problems/accuracy/wave.toml", goal=1e-3, budget_s=300.0),
}

METHODS: dict[str, Method] = {
    "adam": Method("Adam → L-BFGS (baseline)", {}),
    "soap": Method("SOAP → L-BFGS", {"optimizer": "soap"}),
    "fourier": Method(
        "Fourier features → Adam → L-BFGS", {"fourier": 32, "fourier_sigma": 10.0},
        skip={"burgers": "a Burgers cell costs 900 CPU s, over the table's total budget",
              "poisson2d": "its solution is one smooth mode, sin(πx) sin(πy), and random "
                           "features of frequency ~10 target oscillation in time"}),
    "rwf": Method("random weight factorisation → Adam → L-BFGS", {"weight_factorization": True},
                  skip={"burgers": "a Burgers cell costs 900 CPU s, over the table's total "
                                   "budget"}),
    "lbfgs1000": Method("Adam → L-BFGS with 1000 curvature pairs", {"lbfgs_history": 1000},
                        skip={"poisson2d": "the baseline meets its goal by 70x"}),
    "bfgs": Method("Adam → dense BFGS", {"quasi_newton": "bfgs"},
                   skip={"poisson2d": "the baseline meets its goal by 70x"}),
    "bfgs_fixed": Method("Adam → dense BFGS on fixed points", {"quasi_newton": "bfgs",
                                                             "lbfgs_resample_every": 0},
                         skip={"poisson2d": "the baseline meets its goal by 70x"}),
    "bfgs_rs500": Method("Adam → dense BFGS, points redrawn every 500 iterations",
                         {"quasi_newton": "bfgs", "lbfgs_resample_every": 500},
                         skip={"poisson2d": "the baseline meets its goal by 70x"}),
    "ssbfgs": Method("Adam → self-scaled BFGS", {"quasi_newton": "ssbfgs"},
                     skip={"poisson2d": "the baseline meets its goal by 70x"}),
    "lm": Method("Adam → Levenberg–Marquardt, points redrawn every 25 iterations",
                 {"quasi_newton": "lm", "lbfgs_resample_every": 25},
                 skip={"poisson2d": "the baseline meets its goal by 70x"}),
    "fourier_lm": Method("Fourier features → Adam → Levenberg–Marquardt",
                         {"fourier": 32, "fourier_sigma": 10.0, "quasi_newton": "lm",
                          "lbfgs_resample_every": 25},
                         skip={"burgers": "Burgers needs no features", "wave": "features fail "
                               "on the wave (above)", "poisson2d": "one smooth mode"}),
    "piratenet": Method("PirateNet → Adam → L-BFGS", {"architecture": "piratenet"},
                        skip={"burgers": "a Burgers cell costs 900 CPU s, over the table's "
                                         "total budget"}),
}


# ---- one cell (in its own process) ----------------------------------------------------------
def cell_options(case: Case, method: Method, quick: bool,
                 budget_s: float | None = None) -> dict[str, object]:
    """The options a cell passes to :func:`pinnlab.solve` on top of the spec's; ``budget_s``
    replaces the case's CPU budget."""
    budget = QUICK_BUDGET_S if quick else (budget_s or case.budget_s)
    options: dict[str, object] = {**case.options, **method.options,
                                  "time_limit": round(budget * (1 - RESERVE), 3),
                                  "time_clock": "process", "lbfgs_steps": LBFGS_CAP}
    if quick:
        options.update(adam_steps=QUICK_STEPS, lbfgs_steps=QUICK_STEPS)
    return options


def run_cell(name: str, method_name: str, *, quick: bool = False, seed: int = 0,
             budget_s: float | None = None) -> dict:
    """Train one cell with :func:`pinnlab.solve` on one thread and return its record: the
    final relative L2 error, the CPU seconds, the optimizer steps and stop reasons, and the
    error along the run (every 50 steps)."""
    import numpy as np
    import torch

    import pinnlab
    from pinnlab.reference import reference_solution

    cpu0, wall0 = time.process_time(), time.perf_counter()
    case, method = CASES[name], METHODS[method_name]
    problem = pinnlab.load(os.path.join(ROOT, case.spec))
    if case.parameters:
        problem = problem.with_parameters(case.parameters)  # what --set NAME=VALUE does
    ref = reference_solution(problem)
    ref_cpu = time.process_time() - cpu0
    points = torch.as_tensor(np.stack([a.ravel() for a in ref.mesh().values()], 1))
    target = np.concatenate([ref.fields[f].ravel() for f in problem.fields])
    norm = float(np.linalg.norm(target))

    def monitor(model: torch.nn.Module) -> dict[str, float]:
        """The relative L2 error of all fields on the reference grid, and the CPU time."""
        with torch.no_grad():
            pred = model(points.to(next(model.parameters()).dtype)).double().numpy()
        err = float(np.linalg.norm(pred.T.ravel() - target)) / norm
        return {"rel_l2": err, "cpu_s": time.process_time() - cpu0}

    options = cell_options(case, method, quick, budget_s)
    solve0 = time.process_time()
    result = pinnlab.solve(problem, "pinn", seed=seed, threads=1, progress=False,
                           monitor=monitor, quick=quick, **options)
    solve_cpu = time.process_time() - solve0
    m = result.metrics
    curve = [{"step": h["step"], "phase": h["phase"], "cpu_s": h.get("cpu_s"),
              "loss": h["loss"], "rel_l2": h.get("rel_l2")} for h in result.history]
    cfg = m["config"]
    return {"problem": name, "method": method_name, "spec": case.spec,
            "parameters": case.parameters, "options": options, "seed": seed, "quick": quick,
            "budget_s": QUICK_BUDGET_S if quick else (budget_s or case.budget_s),
            "goal": case.goal,
            "rel_l2": m["rel_l2"], "rel_l2_fields": m["rel_l2_fields"], "grid": m["grid"],
            "cpu_s": time.process_time() - cpu0, "solve_cpu_s": solve_cpu,
            "reference_cpu_s": ref_cpu, "wall_s": time.perf_counter() - wall0,
            "train_wall_s": m["wall_s"], "threads": m["threads"],
            "torch_threads": torch.get_num_threads(), "steps": m["steps"],
            "phase_steps": m["phase_steps"], "stops": m["optimizer_stops"],
            "loss_final": m["loss_final"], "conditions": m["conditions"],
            "points": m["points"],
            "spec_steps": {"adam_steps": cfg["adam_steps"],
                           "lbfgs_steps": _spec_steps(problem, "lbfgs_steps")},
            "config": {k: cfg[k] for k in ("width", "depth", "activation", "dtype",
                                           "residual_points", "adam_steps", "optimizer", "lr",
                                           "resample", "compile", "hard_constraints",
                                           "fourier", "causal") if k in cfg},
            "curve": curve}


def _spec_steps(problem, key: str) -> int:
    """A step count of the spec's ``[training]`` table, else the PINN's default."""
    from pinnlab.methods.pinn import PINNConfig

    return int(problem.training.get(key, PINNConfig.model_fields[key].default))


# ---- the table (parent process) ------------------------------------------------------------
def cells_wanted(only: list[str]) -> list[tuple[str, str]]:
    """(problem, method) pairs: every pair, or those ``--only`` names (``wave`` or
    ``wave:soap``), without the pairs a method skips; longest budgets first."""
    pairs = [(p, m) for p in CASES for m in METHODS if p not in METHODS[m].skip]
    if only:
        keep = []
        for sel in only:
            p, _, m = sel.partition(":")
            if p not in CASES or (m and m not in METHODS):
                raise SystemExit(f"--only {sel}: unknown problem or method "
                                 f"(problems: {', '.join(CASES)}; methods: {', '.join(METHODS)})")
            keep += [(q, n) for q, n in pairs if q == p and (not m or n == m)]
        pairs = [c for c in pairs if c in keep]
    return sorted(pairs, key=lambda c: -CASES[c[0]].budget_s)


def run_cells(pairs: list[tuple[str, str]], out: str, *, workers: int, quick: bool,
              seed: int, budget_s: float | None = None) -> list[dict]:
    """Run each cell in its own process, ``workers`` at a time; each writes
    ``out/cells/PROBLEM__METHOD.json`` (its log: ``out/logs/``)."""
    os.makedirs(os.path.join(out, "cells"), exist_ok=True)
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    env = {**os.environ, **ONE_THREAD}
    todo, running, records = list(pairs), {}, []
    while todo or running:
        while todo and len(running) < workers:
            p, m = todo.pop(0)
            path = os.path.join(out, "cells", f"{p}__{m}.json")
            log = open(os.path.join(out, "logs", f"{p}__{m}.log"), "w")
            cmd = [sys.executable, os.path.abspath(__file__), "--cell", p, m,
                   "--cell-json", path, "--seed", str(seed)] + (["--quick"] if quick else []) + (
                       ["--budget", str(budget_s)] if budget_s else [])
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT)
            running[proc.pid] = (p, m, path, proc, log, time.perf_counter(), os.getloadavg())
            print(f"[{time.strftime('%H:%M:%S')}] start {p}:{m}", flush=True)
        pid, status, usage = os.wait4(-1, 0)
        if pid not in running:
            continue
        p, m, path, proc, log, start, load0 = running.pop(pid)
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.close()
        if proc.returncode != 0 or not os.path.exists(path):
            print(f"  {p}:{m} FAILED (exit {proc.returncode}); see "
                  f"{os.path.join(out, 'logs', f'{p}__{m}.log')}", flush=True)
            continue
        logfile = os.path.join(out, "logs", f"{p}__{m}.log")
        if os.path.getsize(logfile) == 0:  # nothing was printed: no empty files left behind
            os.remove(logfile)
        with open(path) as fh:
            rec = json.load(fh)
        rec["os_cpu_s"] = usage.ru_utime + usage.ru_stime  # kernel's count, children included
        rec["process_wall_s"] = time.perf_counter() - start
        rec["load_avg_start"], rec["load_avg_end"] = load0, os.getloadavg()
        with open(path, "w") as fh:
            json.dump(rec, fh, indent=1)
        records.append(rec)
        print(f"  done {p}:{m}: rel. L2 {rec['rel_l2']:.3e}, CPU {rec['cpu_s']:.0f} s, "
              f"stops {rec['stops']}", flush=True)
    if not os.listdir(os.path.join(out, "logs")):
        os.rmdir(os.path.join(out, "logs"))
    return records


def error_at(rec: dict, cpu_s: float) -> float | None:
    """The monitored error at the last logged step at or before ``cpu_s`` CPU seconds."""
    rows = [r for r in rec["curve"] if r["cpu_s"] is not None and r["cpu_s"] <= cpu_s
            and r["rel_l2"] is not None]
    return rows[-1]["rel_l2"] if rows else None


def error_at_step(rec: dict, step: int) -> float | None:
    """The monitored error at the last logged step at or before ``step``."""
    rows = [r for r in rec["curve"] if r["step"] <= step and r["rel_l2"] is not None]
    return rows[-1]["rel_l2"] if rows and rec["steps"] >= step else None


def summary(rec: dict) -> dict:
    """Derived numbers of a cell: goal met, steps per phase, the error at fractions of the
    budget, the best error seen and at the spec's own step counts."""
    phases = {k.split(":", 1)[1]: v for k, v in rec["phase_steps"].items()}
    first = phases.get("adam", 0)
    spec_total = rec["spec_steps"]["adam_steps"] + rec["spec_steps"]["lbfgs_steps"]
    logged = [r for r in rec["curve"] if r["rel_l2"] is not None]
    best = min(logged, key=lambda r: r["rel_l2"]) if logged else None
    within = rec["solve_cpu_s"] <= rec["budget_s"]
    return {"met": bool(rec["rel_l2"] <= rec["goal"] and within), "within_budget": within,
            "first_order_steps": first, "lbfgs_iterations": phases.get("lbfgs", 0),
            "at_fraction": {f: error_at(rec, f * rec["budget_s"]) for f in (0.25, 0.5, 0.75)},
            "at_spec_steps": error_at_step(rec, spec_total), "spec_total_steps": spec_total,
            "best": best["rel_l2"] if best else None,
            "best_cpu_s": best["cpu_s"] if best else None}


def _e(v: float | None) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.2e}"


def _ratio(v: float | None) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.2f}"


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f}"


def _stops(rec: dict) -> str:
    return "; ".join(f"{k.split(':', 1)[1]}: {v}" for k, v in rec["stops"].items())


def machine() -> dict:
    """What the table ran on."""
    import torch

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "platform": platform.platform()}


def write_table(records: list[dict], out: str, meta: dict) -> None:
    """``table.md`` and ``table.json`` (and ``error_vs_cpu.png``) from the cell records."""
    order = {(p, m): i for i, (p, m) in enumerate((p, m) for p in CASES for m in METHODS)}
    records = sorted(records, key=lambda r: order.get((r["problem"], r["method"]), 1 << 30))
    base = {r["problem"]: r["rel_l2"] for r in records if r["method"] == "adam"}
    rows = []
    for r in records:
        s = summary(r)
        ratio = r["rel_l2"] / base[r["problem"]] if r["problem"] in base else None
        rows.append({**{k: r[k] for k in ("problem", "method", "rel_l2", "cpu_s",
                                         "solve_cpu_s", "os_cpu_s", "budget_s", "goal",
                                         "stops", "steps")
                        if k in r}, **s, "vs_baseline": ratio})
    lines = [
        "# Accuracy table: relative L2 error and CPU time, one thread",
        "",
        "Generated by " + "; then ".join(
            f"`python results/accuracy/run.py{r.get('args', '')}` ({r['date']}, "
            f"{r['wall_s'] / 60:.1f} min wall)" for r in meta.get("runs", [meta]))
        + f". Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores shared with "
        f"other jobs, torch {meta['machine']['torch']}, one torch thread per cell.",
        "",
        "rel. L2: over the reference grid at the end of the run; CPU s: process time of "
        "`pinnlab.solve` (reference, training, evaluation); goal met: rel. L2 ≤ goal with the "
        "solve within the budget; ÷ baseline: the error over the Adam → L-BFGS error of the "
        "same problem. Every method keeps the spec's `[training]` options (deviations "
        "under Settings), runs its first-order phase for the steps given and then L-BFGS "
        "until the budget ends (`time_limit`, CPU clock), it converges or it stalls.",
        "",
        "| problem | goal | budget (CPU s) | method | rel. L2 | goal met | CPU s | "
        "first-order steps | L-BFGS iterations | ÷ baseline |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c, m = CASES[r["problem"]], METHODS[r["method"]]
        lines.append(
            f"| {c.label} | ≤ {c.goal:g} | {r['budget_s']:g} | {m.label} | {_e(r['rel_l2'])} | "
            f"{'yes' if r['met'] else 'no'} | {r['solve_cpu_s']:.0f} | {r['first_order_steps']} | "
            f"{r['lbfgs_iterations']} | "
            f"{_ratio(r['vs_baseline'])} |")
    for p in dict.fromkeys(r["problem"] for r in rows):
        for m in METHODS.values():
            if p in m.skip:
                lines.append(f"| {CASES[p].label} | ≤ {CASES[p].goal:g} | — | {m.label} | "
                             f"not run: {m.skip[p]} | | | | | |")
    lines += ["", "## Along the run", "",
              "The monitored error (every 50 steps) at a quarter, half and three quarters of "
              "the budget, the lowest error seen and when, and the error where the spec's own "
              "run would end (the first-order steps + the L-BFGS iterations of its "
              "`[training]` table; — where the budget ended before).", "",
              "| problem | method | ¼ budget | ½ budget | ¾ budget | end | lowest (at CPU s) "
              "| at the spec's steps |",
              "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        f = r["at_fraction"]
        lines.append(
            f"| {r['problem']} | {r['method']} | {_e(f[0.25])} | {_e(f[0.5])} | "
            f"{_e(f[0.75])} | {_e(r['rel_l2'])} | {_e(r['best'])} "
            f"({_num(r['best_cpu_s'])}) | "
            f"{_e(r['at_spec_steps'])} ({r['spec_total_steps']} steps) |")
    lines += ["", "## Why each phase stopped", "", "| problem | method | stops |", "|---|---|---|"]
    for r in records:
        lines.append(f"| {r['problem']} | {r['method']} | {_stops(r)} |")
    lines += ["", "## Settings", ""]
    for name, c in CASES.items():
        mine = [r for r in records if r["problem"] == name]
        if not mine:
            continue
        extra = ", ".join(f"{k} = {v}" for k, v in {**c.parameters, **c.options}.items())
        lines.append(f"- {name}: `{c.spec}`" + (f" with {extra}" if extra else "")
                     + f"; budget {mine[0]['budget_s']:g} CPU s per cell.")
    for name, m in METHODS.items():
        opts = ", ".join(f"{k} = {v}" for k, v in m.options.items()) or "the spec's defaults"
        skips = "".join(f" Not run on {p}: {why}." for p, why in m.skip.items())
        lines.append(f"- {name} ({m.label}): {opts}.{skips}")
    total_cpu = sum(r["cpu_s"] for r in records)
    wall = sum(r["wall_s"] for r in meta.get("runs", [meta]))
    lines += ["", f"Cells: {len(records)}; CPU time of all cells {total_cpu:.0f} s "
              f"({total_cpu / 60:.1f} min); wall time of the run(s) above "
              f"{wall / 60:.1f} min.", ""]
    with open(os.path.join(out, "table.md"), "w") as fh:
        fh.write("\n".join(lines))
    with open(os.path.join(out, "table.json"), "w") as fh:
        json.dump({"meta": meta, "rows": rows, "cells": records}, fh, indent=1)
    plot(records, out)


def plot(records: list[dict], out: str) -> None:
    """``error_vs_cpu.png``: the monitored error against CPU seconds, one panel a problem,
    the goal dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [p for p in CASES if any(r["problem"] == p for r in records)]
    if not names:
        return
    cols = min(2, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.6 * rows), squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax, p in zip(axes.flat, names):
        for r in (r for r in records if r["problem"] == p):
            pts = [(c["cpu_s"], c["rel_l2"]) for c in r["curve"]
                   if c["cpu_s"] is not None and c["rel_l2"] is not None]
            if pts:
                ax.semilogy(*zip(*pts), label=METHODS[r["method"]].label, lw=1)
        ax.axhline(CASES[p].goal, ls="--", c="k", lw=0.8, label="goal")
        ax.set_title(CASES[p].label, fontsize=9)
        ax.set_xlabel("CPU s (one thread)")
        ax.set_ylabel("rel. L2")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "error_vs_cpu.png"), dpi=110)
    plt.close(fig)


def _read(path: str) -> dict:
    with open(path) as fh:
        return json.load(fh)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help=f"smoke run: {QUICK_BUDGET_S:g} CPU s and {QUICK_STEPS} steps per "
                    "phase per cell, small point sets; writes into runs/accuracy_quick")
    ap.add_argument("--only", action="append", default=[], metavar="PROBLEM[:METHOD]")
    ap.add_argument("--workers", type=int, default=1, help="cells at a time (one thread each)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--budget", type=float, default=None, metavar="CPU_S",
                    help="one CPU budget for every cell instead of each problem's own")
    ap.add_argument("--out", default=None, help="output folder (default: this folder; "
                    "--quick: runs/accuracy_quick)")
    ap.add_argument("--table-only", action="store_true",
                    help="rebuild table.md/json from OUT/cells/*.json without training")
    ap.add_argument("--cell", nargs=2, metavar=("PROBLEM", "METHOD"), help=argparse.SUPPRESS)
    ap.add_argument("--cell-json", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.cell:  # a child process: one cell
        rec = run_cell(*args.cell, quick=args.quick, seed=args.seed, budget_s=args.budget)
        with open(args.cell_json, "w") as fh:
            json.dump(rec, fh, indent=1)
        return
    out = args.out or (os.path.join(ROOT, "runs", "accuracy_quick") if args.quick else HERE)
    wall0 = time.perf_counter()
    flags = "".join(f" --only {o}" for o in args.only) + (" --quick" if args.quick else "") + (
        f" --workers {args.workers}" if args.workers != 1 else "") + (
        f" --budget {args.budget:g}" if args.budget else "")
    if args.table_only:
        paths = sorted(glob.glob(os.path.join(out, "cells", "*.json")))
        records = [_read(p) for p in paths]
        old = os.path.join(out, "table.json")
        meta = _read(old)["meta"] if os.path.exists(old) else {
            "date": time.strftime("%Y-%m-%d"), "machine": machine(), "workers": args.workers,
            "wall_s": float("nan"), "args": flags}
    else:
        records = run_cells(cells_wanted(args.only), out, workers=args.workers,
                            quick=args.quick, seed=args.seed, budget_s=args.budget)
        done = {(r["problem"], r["method"]) for r in records}
        if args.only:  # keep the other cells of an earlier full run
            for p in sorted(glob.glob(os.path.join(out, "cells", "*.json"))):
                rec = _read(p)
                if (rec["problem"], rec["method"]) not in done and rec["quick"] == args.quick:
                    records.append(rec)
        run = {"date": time.strftime("%Y-%m-%d %H:%M"), "args": flags,
               "workers": args.workers, "wall_s": time.perf_counter() - wall0,
               "cells": sorted(f"{p}:{m}" for p, m in done)}
        old = os.path.join(out, "table.json")
        earlier = []
        if args.only and os.path.exists(old):  # the runs that made the cells kept
            previous = _read(old)["meta"]
            earlier = previous.get("runs", [previous])
        meta = {**run, "machine": machine(), "runs": [*earlier, run]}
    write_table(records, out, meta)
    print(f"wrote {os.path.join(out, 'table.md')}")


if __name__ == "__main__":
    main()
