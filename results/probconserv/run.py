"""ProbConserv benchmark on the GPME family (issue 6): table with standard errors, band plots,
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

from pinnlab.conservation.benchmark import BenchmarkConfig, run_problem  # noqa: E402
from pinnlab.conservation.problems import load_problem  # noqa: E402

LABEL = {
    ("anp", "base"): "ANP",
    ("softc", "base"): "SoftC-ANP",
    ("anp", "hardc"): "HardC-ANP",
    ("anp", "probconserv"): "ProbConserv-ANP",
    ("anp", "probconserv_sigma"): "ProbConserv-ANP (σ_G=1e-3)",
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
            for method, color in (("base", "tab:blue"), ("probconserv", "tab:red")):
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

    sel = [r for r in rows if r["parameter"] == 0.6 and r["method"] in ("base", "probconserv")]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    bins = np.arange(0.15, 0.35, 0.005) + 0.0025
    for r in sel:
        s = np.asarray(r["shock"]["samples_first_function"])
        ax.hist(s, bins=bins, alpha=0.45, label=LABEL[(r["model"], r["method"])])
    ax.axvline(sel[0]["shock"]["exact"], color="k", ls="--", label="exact x*(0.05)")
    ax.set_xlabel("shock position (crossing-cell midpoint)")
    ax.set_ylabel("count of 500 samples")
    ax.set_title("Stefan u*=0.6, t=0.05, first test function")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_one(family: str, steps: int, lr: float | None = None, tag: str = "") -> None:
    problem = load_problem(ROOT / "problems" / f"gpme_{family}.toml")
    cfg = BenchmarkConfig()
    cfg.anp.steps = steps
    if lr is not None:
        cfg.anp.lr = lr
    start = time.perf_counter()
    res = run_problem(problem, cfg, log_every=500)
    out = ROOT / "runs" / "probconserv"
    out.mkdir(parents=True, exist_ok=True)
    for name in ("anp", "softc"):
        torch.save(res["models"][name].state_dict(), out / f"{family}{tag}_{name}.pt")
    plot_bands(problem, res, HERE / f"{family}{tag}_bands.png")
    if family == "stefan":
        plot_shock(res["rows"], HERE / f"stefan{tag}_shock_hist.png")
    record = {
        "family": family,
        "eval_time": problem.eval_time,
        "n_test": problem.n_test,
        "anp_steps": steps,
        "anp_lr": cfg.anp.lr,
        "train_seconds": res["train_seconds"],
        "eval_seconds": res["eval_seconds"],
        "wall_seconds": time.perf_counter() - start,
        "rows": res["rows"],
    }
    (HERE / f"{family}{tag}.json").write_text(json.dumps(record, indent=1))
    print(f"{family}: wall {record['wall_seconds']:.0f} s")


def fmt(m, se, scale=1.0):
    return f"{m / scale:.3g} ({se / scale:.2g})"


def report() -> None:
    lines = ["# ProbConserv on the GPME family", ""]
    csv_rows = []
    paths = [HERE / f"{f}.json" for f in ("diffusion", "pme", "stefan")]
    paths += sorted(HERE.glob("*_steps*.json"))  # kept runs at other ANP budgets
    for path in paths:
        if not path.exists():
            continue
        rec = json.loads(path.read_text())
        family = rec["family"]
        ts = rec["train_seconds"]
        lines += [
            f"## {path.stem} (t = {rec['eval_time']}, {rec['n_test']} test functions per value)",
            "",
            f"CPU time: train ANP {ts['anp']:.0f} s ({rec['anp_steps']} steps, lr "
            f"{rec.get('anp_lr', 1e-3):g}), SoftC-ANP "
            f"{ts['softc']:.0f} s (incl. ANP), GP {ts['gp']:.0f} s; evaluation "
            + ", ".join(f"{k} {v:.1f} s" for k, v in rec["eval_seconds"].items())
            + ".",
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
                "95 % interval contains the exact x*):",
                "",
                "| u* | method | exact x* | posterior mean (se) | rel. error | "
                "first-index rule | 95 % coverage |",
                "|---|---|---|---|---|---|---|",
            ]
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
    parser.add_argument("--tag", default="", help="suffix of the output names, e.g. _steps5000")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.problem:
        run_one(args.problem, args.steps, args.lr, args.tag)
    if args.report or not args.problem:
        report()


if __name__ == "__main__":
    main()
