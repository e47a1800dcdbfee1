"""Validation split for choosing ProbConserv-ANP settings without looking at the test functions.

    python results/probconserv/validate.py pme _steps4000_lr5e-4     # saved weights of a run
    python results/probconserv/validate.py stefan _steps6000_warm
    python results/probconserv/validate.py --report                 # validation.md

The validation functions have family parameters inside the training range but away from the
test values (PME m ∈ {1.5, 2.5, 3.5, 4.5, 5.5}; Stefan u* ∈ {0.56, 0.59, 0.62, 0.65, 0.68};
diffusion k ∈ {1.5, 2.5, 3.5, 4.5}), 20 functions each, drawn from their own seed. For each saved
ANP it reports the MSE of the base model, of ProbConserv on the moment-matched Gaussian and on
the latent mixture (evidence weights, and equal weights as in the reference code), the median
effective sample size of the evidence weights, and for Stefan the shock-position error of the
posterior means (signed, in % of the exact front) and the coverage of the 95 % intervals. Writes
``validation.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from pinnlab.conservation import metrics  # noqa: E402
from pinnlab.conservation.data import sample_functions  # noqa: E402
from pinnlab.conservation.evaluate import (  # noqa: E402
    anp_components,
    anp_draws,
    anp_slice,
    evaluate_slice,
)
from pinnlab.conservation.mixture import conserve_mixture  # noqa: E402
from pinnlab.conservation.problems import load_problem  # noqa: E402
from pinnlab.conservation.train import load_checkpoint  # noqa: E402
from pinnlab.conservation.update import mass_constraint  # noqa: E402
from pinnlab.reference.gpme import stefan_front  # noqa: E402

VALUES = {
    "pme": (1.5, 2.5, 3.5, 4.5, 5.5),
    "stefan": (0.56, 0.59, 0.62, 0.65, 0.68),
    "diffusion": (1.5, 2.5, 3.5, 4.5),
}
METHODS = ("base", "probconserv", "probconserv_mixture")
OUT = HERE / "validation.json"


def validate(family: str, tag: str, n_per_value: int = 20, seed: int = 4242) -> dict:
    problem = load_problem(ROOT / "problems" / f"gpme_{family}.toml")
    path = ROOT / "runs" / "probconserv" / f"{family}{tag}_anp.pt"
    if not path.exists():  # weights kept in the repository (the GPU-trained ANPs)
        path = HERE / "weights" / path.name
    model = load_checkpoint(path)
    model.eval()
    rng = np.random.default_rng(seed)
    t, x = problem.eval_time, problem.x_grid()
    mse = {m: [] for m in METHODS}
    shock_err = {m: [] for m in METHODS}
    covered = {m: [] for m in METHODS}
    mse_equal, ess = [], []
    start, cpu = time.perf_counter(), time.process_time()
    n_shock = 500 if family == "stefan" else 0
    for p in VALUES[family]:
        batch = sample_functions(problem, n_per_value, rng, params=p)
        draws = anp_draws(model, problem, batch, x, t, seed=seed)
        mean, var = anp_slice(model, problem, batch, x, t, draws=draws)
        comps = anp_components(model, problem, batch, x, t, draws=draws)
        res = evaluate_slice(problem, p, t, x, mean, var, 1e-3, n_shock, seed, components=comps)
        g, b = mass_constraint(problem, t, torch.as_tensor(x), p)
        b = b.expand(n_per_value)
        equal = conserve_mixture(comps[0], comps[1], g, b, evidence=False).moments()
        truth = problem.solution(t, x, p)
        mse_equal.append(metrics.mse(equal.mean, truth))
        w = conserve_mixture(comps[0], comps[1], g, b).weights
        ess.append((1 / (w**2).sum(0)).numpy())
        exact = float(stefan_front(t, p)) if family == "stefan" else None
        for m in METHODS:
            mse[m].append(res[m].mse)
            if n_shock:
                pos, lo, hi = metrics.shock_posterior(res[m].shock_first, res[m].shock_mid)
                shock_err[m].append((pos - exact) / exact)
                covered[m].append((lo <= exact) & (exact <= hi))
    out = {"family": family, "tag": tag, "values": VALUES[family], "n_per_value": n_per_value}
    for m in METHODS:
        mm, se = metrics.mean_and_stderr(np.concatenate(mse[m]))
        out[m] = {"mse": mm, "mse_se": se}
        if n_shock:
            err = np.concatenate(shock_err[m])
            out[m].update(
                shock_signed_rel_error=float(err.mean()),
                shock_abs_rel_error=float(np.abs(err).mean()),
                coverage95=float(np.concatenate(covered[m]).mean()),
            )
    mm, se = metrics.mean_and_stderr(np.concatenate(mse_equal))
    out["probconserv_mixture_equal_weights"] = {"mse": mm, "mse_se": se}
    out["evidence_ess_median"] = float(np.median(np.concatenate(ess)))
    out["n_latent"] = int(comps[0].shape[0])
    out["wall_seconds"] = time.perf_counter() - start
    out["cpu_seconds"] = time.process_time() - cpu
    return out


def report(records: dict) -> None:
    lines = [
        "# ProbConserv-ANP on the validation split",
        "",
        "Validation functions: parameters inside the training range, away from the test values",
        "(see `validate.py`), 20 functions per value. Used to choose settings; test numbers are",
        "in `table.md`.",
        "",
        "| run | method | MSE (se) | shock: mean signed error | mean abs error | 95 % coverage |",
        "|---|---|---|---|---|---|",
    ]
    ess_rows: list[str] = []
    for key in sorted(records):
        rec = records[key]
        for m in METHODS:
            r = rec[m]
            shock = "| – | – | – |"
            if "shock_signed_rel_error" in r:
                shock = (
                    f"| {100 * r['shock_signed_rel_error']:+.2f} % | "
                    f"{100 * r['shock_abs_rel_error']:.2f} % | {r['coverage95']:.2f} |"
                )
            lines.append(f"| {key} | {m} | {r['mse']:.3g} ({r['mse_se']:.2g}) {shock}")
        if "probconserv_mixture_equal_weights" in rec:
            r = rec["probconserv_mixture_equal_weights"]
            lines.append(
                f"| {key} | mixture, equal weights (reference) | {r['mse']:.3g} "
                f"({r['mse_se']:.2g}) | – | – | – |"
            )
            ess_rows.append(f"| {key} | {rec['evidence_ess_median']:.1f} of {rec['n_latent']} |")
    lines += ["", "Median effective sample size 1/Σw̃² of the evidence weights:", ""]
    lines += ["| run | ESS |", "|---|---|", *ess_rows]
    (HERE / "validation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", nargs="?", choices=sorted(VALUES))
    parser.add_argument("tag", nargs="?", default="")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    records = json.loads(OUT.read_text()) if OUT.exists() else {}
    if args.family:
        rec = validate(args.family, args.tag)
        records[f"{args.family}{args.tag}"] = rec
        OUT.write_text(json.dumps(records, indent=1))
        print(json.dumps(rec, indent=1))
    report(records)


if __name__ == "__main__":
    main()
