"""ProbConserv benchmark on the GPME family: table with standard errors, band plots,
Stefan shock-position histogram, training and evaluation times.

    python results/probconserv/run.py --problem stefan      # one problem (train + evaluate)
    python results/probconserv/run.py --problem diffusion
    python results/probconserv/run.py --problem pme
    python results/probconserv/run.py --report              # merge the three into table.md/.csv

Each problem run writes ``<family>.json`` and ``<family>_bands.png`` (and for Stefan
``stefan_shock_hist.png``) into this folder; trained weights go to ``runs/probconserv/``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(HERE))
from benchmark import (  # noqa: E402
    BenchmarkConfig,
    evaluate_models,
    problem_front,
    run_problem,
)

from pinnlab.conservation.gp import FamilyGaussianProcess  # noqa: E402
from pinnlab.conservation.metrics import shock_position  # noqa: E402
from pinnlab.conservation.problems import load_problem  # noqa: E402
from pinnlab.conservation.train import load_checkpoint  # noqa: E402

RUNS = ROOT / "runs" / "probconserv"

LABEL = {
    ("anp", "base"): "ANP",
    ("softc", "base"): "SoftC-ANP",
    ("anp", "hardc"): "HardC-ANP",
    ("anp", "probconserv"): "ProbConserv-ANP",
    ("anp", "probconserv_sigma"): "ProbConserv-ANP (σ_G=1e-3)",
    ("anp", "probconserv_mixture"): "ProbConserv-ANP (latent mixture)",
    ("gp", "base"): "GP",
    ("gp", "hardc"): "HardC-GP",
    ("gp", "probconserv"): "ProbConserv-GP",
    ("gp", "probconserv_sigma"): "ProbConserv-GP (σ_G=1e-3)",
}


def plot_bands(problem, res, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = res["x"]
    params = problem.test_values
    fig, axes = plt.subplots(2, len(params), figsize=(4.2 * len(params), 6.5), squeeze=False)
    for j, p in enumerate(params):
        exact = res["_fields"][(p, "exact", "exact")][0]
        for i, model in enumerate(("anp", "gp")):
            ax = axes[i, j]
            ax.plot(x, exact, "k-", lw=1.5, label="exact")
            methods = [("base", "tab:blue"), ("probconserv", "tab:red")]
            if (p, model, "probconserv_mixture") in res["_fields"]:
                methods.append(("probconserv_mixture", "tab:green"))
            for method, color in methods:
                mu, sd = res["_fields"][(p, model, method)]
                ax.plot(x, mu, color=color, lw=1, label=LABEL[(model, method)])
                ax.fill_between(x, mu - 2 * sd, mu + 2 * sd, color=color, alpha=0.2)
            ax.set_title(f"{problem.family}, {problem.parameter}={p:g}, t={problem.eval_time:g}")
            ax.set_xlabel("x")
            ax.legend(fontsize=7)
    fig.suptitle("mean ± 2σ on the first test function")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_shock(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = ("base", "probconserv", "probconserv_mixture")
    sel = [r for r in rows if r["parameter"] == 0.6 and r["method"] in methods]
    sel = [r for r in sel if r["model"] == "anp" or r["method"] == "base"]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    bins = np.arange(0.15, 0.35, 0.005) + 0.0025
    for r in sel:
        s = np.asarray(r["shock"]["samples_first_function"])
        ax.hist(s, bins=bins, alpha=0.4, label=LABEL[(r["model"], r["method"])])
    ax.axvline(sel[0]["shock"]["exact"], color="k", ls="--", label="exact x*(0.05)")
    ax.set_xlabel("shock position (crossing-cell midpoint)")
    ax.set_ylabel("count of 500 samples")
    ax.set_title("Stefan u*=0.6, t=0.05, first test function")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _config(args) -> BenchmarkConfig:
    cfg = BenchmarkConfig()
    cfg.anp.steps = args.steps
    for name in ("lr", "batch", "warmup", "clip", "val_every"):
        if getattr(args, name) is not None:
            setattr(cfg.anp, name, getattr(args, name))
    cfg.softc_steps = args.softc_steps
    return cfg


def _load_models(problem, cfg, family, tag):
    """The saved ANP (and SoftC-ANP if saved) of an earlier run, and a freshly fitted GP."""
    models = {}
    for name in ("anp", "softc"):
        path = RUNS / f"{family}{tag}_{name}.pt"
        if not path.exists():  # weights kept in the repository (the GPU-trained ANPs)
            path = HERE / "weights" / path.name
        if path.exists():
            models[name] = load_checkpoint(path)
    models["gp"] = FamilyGaussianProcess(problem, cfg.gp).fit()
    return models


def run_one(family: str, args) -> None:
    tag = args.tag
    problem = load_problem(ROOT / "problems" / f"gpme_{family}.toml")
    cfg = _config(args)
    start, cpu_start = time.perf_counter(), time.process_time()
    record_path = HERE / f"{family}{tag}.json"
    if args.load:  # re-evaluate saved weights; training figures come from the earlier record
        old = json.loads(record_path.read_text())
        torch.manual_seed(cfg.seed)
        models = _load_models(problem, cfg, family, tag)
        res = evaluate_models(problem, models, cfg)
        res["models"] = models
        res["train_seconds"] = {**old["train_seconds"], "gp": models["gp"].seconds}
        res["train_info"] = old.get("train_info", {})
        fresh = {r["model"] for r in res["rows"]}
        res["rows"] += [r for r in old["rows"] if r["model"] not in fresh]  # e.g. unsaved SoftC
        steps, lr = old["anp_steps"], old.get("anp_lr", cfg.anp.lr)
        settings = old.get("anp_settings", {})
        run_seconds = old.get("run_seconds")
        if run_seconds is None and not old.get("reevaluated"):
            run_seconds = {"wall": old["wall_seconds"], "cpu": old.get("cpu_seconds")}
    else:
        res = run_problem(problem, cfg, log_every=500)
        RUNS.mkdir(parents=True, exist_ok=True)
        for name in ("anp", "softc"):
            if name in res["models"]:
                torch.save(res["models"][name].state_dict(), RUNS / f"{family}{tag}_{name}.pt")
        steps, lr = cfg.anp.steps, cfg.anp.lr
        settings = {k: getattr(cfg.anp, k) for k in ("batch", "warmup", "clip", "val_every")}
        settings["softc_steps"] = cfg.softc_steps
        run_seconds = None
    plot_bands(problem, res, HERE / f"{family}{tag}_bands.png")
    if family == "stefan":
        plot_shock(res["rows"], HERE / f"stefan{tag}_shock_hist.png")
    record = {
        "family": family,
        "eval_time": problem.eval_time,
        "n_test": problem.n_test,
        "anp_steps": steps,
        "anp_lr": lr,
        "anp_settings": settings,
        "train_seconds": res["train_seconds"],
        "train_info": res["train_info"],
        "eval_seconds": res["eval_seconds"],
        "reevaluated": bool(args.load),
        "rows": res["rows"],
    }
    seconds = {"wall": time.perf_counter() - start, "cpu": time.process_time() - cpu_start}
    if args.load:  # keep the training run's own times; add the re-evaluation's
        record["run_seconds"] = run_seconds
        record["reevaluation_seconds"] = seconds
    else:
        record["run_seconds"] = seconds
    wall, cpu = seconds["wall"], seconds["cpu"]
    record_path.write_text(json.dumps(record, indent=1))
    print(f"{family}: wall {wall:.0f} s, CPU {cpu:.0f} s")


def _times(rec) -> str:
    """Training CPU seconds and the run / re-evaluation times kept in a record."""
    out = ""
    cpu = rec.get("train_info", {}).get("anp_cpu_seconds")
    if cpu:
        out += f" ANP training: {cpu:.0f} CPU s."
    run = rec.get("run_seconds")
    if run is None and not rec.get("reevaluated") and "wall_seconds" in rec:
        run = {"wall": rec["wall_seconds"], "cpu": rec.get("cpu_seconds")}
    if run:
        cpu_run = f", {run['cpu']:.0f} CPU s" if run.get("cpu") else ""
        out += f" Whole training run: {run['wall']:.0f} s wall{cpu_run}."
    again = rec.get("reevaluation_seconds")
    if again:
        out += (
            f" Re-evaluated from the saved weights (adds the latent-mixture rows): "
            f"{again['wall']:.0f} s wall, {again['cpu']:.0f} CPU s."
        )
    return out


def _grid_floor_row(family: str, value: float) -> str:
    """The shock estimator on the exact solution sampled on the grid: its resolution limit."""
    problem = load_problem(ROOT / "problems" / f"gpme_{family}.toml")
    x, t = problem.x_grid(), problem.eval_time
    exact = float(problem_front(problem, value, t))
    first, mid = (float(a.ravel()[0]) for a in shock_position(problem.solution(t, x, value), x))
    return (
        f"| {value:g} | *grid floor: exact solution on the grid* | {exact:.4f} | {mid:.4f} | "
        f"{100 * (mid - exact) / exact:+.2f} % | {first:.4f} ({100 * (first - exact) / exact:+.2f}"
        " %) | – |"
    )


def fmt(m, se, scale=1.0):
    return f"{m / scale:.3g} ({se / scale:.2g})"


def report() -> None:
    lines = ["# ProbConserv on the GPME family", ""]
    csv_rows = []
    paths = [HERE / f"{f}.json" for f in ("diffusion", "pme", "stefan")]
    paths += sorted(HERE.glob("*_*.json"))  # kept runs at other ANP budgets (_steps*, _gpu)
    for path in paths:
        if not path.exists():
            continue
        rec = json.loads(path.read_text())
        family = rec["family"]
        ts = rec["train_seconds"]
        info = rec.get("train_info", {})
        settings = rec.get("anp_settings", {})
        softc = f"SoftC-ANP {ts['softc']:.0f} s (incl. ANP), " if "softc" in ts else ""
        extra = ", ".join(
            f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in settings.items()
        )
        if info.get("anp_best_step"):
            extra += f"; kept the weights of step {info['anp_best_step']} (best validation NLL)"
        lines += [
            f"## {path.stem} (t = {rec['eval_time']}, {rec['n_test']} test functions per value)",
            "",
            f"Wall time: train ANP {ts['anp']:.0f} s ({rec['anp_steps']} steps, lr "
            f"{rec.get('anp_lr', 1e-3):g}{', ' + extra if extra else ''}), {softc}"
            f"GP {ts['gp']:.0f} s; evaluation "
            + ", ".join(f"{k} {v:.1f} s" for k, v in rec["eval_seconds"].items())
            + "."
            + _times(rec),
            "",
            "| parameter | method | MSE | CE (mean abs) | CE max | LL |",
            "|---|---|---|---|---|---|",
        ]
        for r in rec["rows"]:
            label = LABEL[(r["model"], r["method"])]
            lines.append(
                f"| {r['parameter']:g} | {label} | {fmt(r['mse'], r['mse_se'])} | "
                f"{fmt(r['ce'], r['ce_se'])} | {r['ce_max']:.2g} | {fmt(r['ll'], r['ll_se'])} |"
            )
            csv_rows.append(
                {
                    "run": path.stem,
                    "family": family,
                    "label": label,
                    **{k: v for k, v in r.items() if k != "shock"},
                }
            )
        shock_rows = [r for r in rec["rows"] if "shock" in r]
        if shock_rows:
            lines += [
                "",
                "Shock position at t = 0.05 (500 samples per function; mean over "
                "functions of the posterior mean; coverage = fraction of functions whose "
                "95 % interval contains the exact x*; grid floor = the same estimator applied to "
                "the exact solution sampled on the evaluation grid, midpoint / first-index "
                "rule):",
                "",
                "| u* | method | exact x* | posterior mean (se) | rel. error | "
                "first-index rule | 95 % coverage |",
                "|---|---|---|---|---|---|---|",
            ]
            for value in sorted({r["parameter"] for r in shock_rows}):
                lines.append(_grid_floor_row(family, value))
            for r in shock_rows:
                s = r["shock"]
                lines.append(
                    f"| {r['parameter']:g} | {LABEL[(r['model'], r['method'])]} | "
                    f"{s['exact']:.4f} | {s['mean']:.4f} ({s['mean_se']:.1g}) | "
                    f"{100 * s['rel_error']:.2f} % | {s['mean_first_index_rule']:.4f} | "
                    f"{s['coverage95']:.2f} |"
                )
        lines.append("")
    (HERE / "table.md").write_text("\n".join(lines))
    if csv_rows:
        with open(HERE / "table.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(csv_rows[0]))
            writer.writeheader()
            writer.writerows(csv_rows)
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", choices=["diffusion", "pme", "stefan"])
    parser.add_argument("--steps", type=int, default=3000, help="ANP training steps")
    parser.add_argument("--lr", type=float, default=None, help="ANP learning rate (1e-3)")
    parser.add_argument("--batch", type=int, default=None, help="functions per step (16)")
    parser.add_argument("--warmup", type=int, default=None, help="linear lr warm-up steps (0)")
    parser.add_argument("--clip", type=float, default=None, help="gradient-norm clip (10)")
    parser.add_argument(
        "--val-every", type=int, default=None, help="keep the best validation weights (0: off)"
    )
    parser.add_argument("--softc-steps", type=int, default=300, help="0: no SoftC-ANP")
    parser.add_argument(
        "--load", action="store_true", help="re-evaluate the saved weights of an earlier run"
    )
    parser.add_argument("--tag", default="", help="suffix of the output names, e.g. _steps5000")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.problem:
        run_one(args.problem, args)
    if args.report or not args.problem:
        report()


if __name__ == "__main__":
    main()
