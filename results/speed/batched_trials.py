"""Multi-domain trainings of a METALIC held-out round as one batch, against one by one.

    python results/speed/batched_trials.py [--k 8] [--rounds 2] [--stage adam full]
                                           [--out results/speed]

K trainings of ``problems/metalic/burgers.toml`` at K viscosities of its family (log-spaced over
[0.001, 0.05]), each from its own seed, with one interface condition (XPINN's: average solution
+ residual continuity), at the budget of ``results/metalic/run.sh`` (2-[20]*2-1 networks per
subdomain, 400 residual points per subdomain, float64, one torch thread): 300 Adam steps
(``--stage adam``: the part batching changes) or 300 Adam + 300 L-BFGS (``full``: L-BFGS runs
instance by instance in both). Timed, alternating, the order rotating each round: the K trials
through ``pinnlab.bandit.trials.run_trials`` (one batch) and through ``run_trial`` one by one,
each a whole trial (build, train, evaluate on the reference grid). Reported: CPU and wall
seconds per trial, median over the rounds, the gain (one by one / batched) and the largest
difference of the trials' errors between the two. For the full trainings also: each trial run
alone from its own initial weights with one weight moved by one unit in the last place (ulp),
and the largest relative change of the error that causes: the sensitivity of the outcome to a
rounding-sized change, against which the batched/one-by-one difference is to be read (a batched
product sums in another order, so the weights after Adam agree to rounding, not bit for bit).
Writes ``batched_trials.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np
import torch

from pinnlab.api import prepare
from pinnlab.bandit.trials import _options, _problem, batches, run_trial, run_trials, trial
from pinnlab.methods.multidomain import build_multidomain
from pinnlab.stages import RunContext

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "problems", "metalic", "burgers.toml")
XPINN = (0, 1, 0, 1, 0, 0, 0, 0, 0)
OPTS = {"adam_steps": 300, "lbfgs_steps": 300, "residual_points": 400}


def timed(how: str, ts: list[dict]):
    """The trials run one way, with the CPU and wall seconds it took."""
    c0, w0 = time.process_time(), time.perf_counter()
    out = run_trials(ts) if how == "batched" else [run_trial(t) for t in ts]
    return out, time.process_time() - c0, time.perf_counter() - w0


def nudged(t: dict) -> dict:
    """Trial ``t`` started from its own initial weights with the first weight moved by 1 ulp."""
    problem = _problem(t["spec"]).with_parameters(t["context"])
    cfg = prepare(problem, "multidomain", options=_options(t), seed=t["seed"]).config
    model, _, _ = build_multidomain(problem, cfg, RunContext(method="multidomain",
                                                             seed=t["seed"], progress=False))
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    first = next(k for k, v in model.named_parameters() if v.numel())  # a network weight
    w = state[first].reshape(-1)
    w[0] = np.nextafter(w[0], np.inf)
    return {**t, "state": state}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--stage", nargs="+", default=["adam", "full"], choices=["adam", "full"])
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "speed"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for stage in args.stage:
        ts = [trial(SPEC, {"nu": float(nu)}, XPINN, seed=500 + j, options=OPTS, stage=stage)
              for j, nu in enumerate(np.geomspace(0.001, 0.05, args.k))]
        assert batches(ts, workers=1) == [list(range(args.k))]
        rec = {"batched": [], "single": []}
        errors = {}
        for r in range(args.rounds):
            order = ["batched", "single"] if r % 2 == 0 else ["single", "batched"]
            for how in order:
                out, cpu, wall = timed(how, ts)
                rec[how].append({"cpu_s": cpu / args.k, "wall_s": wall / args.k})
                errors[how] = [o["error"] for o in out]
                print(stage, how, f"{cpu / args.k:.2f} CPU s per trial", flush=True)
        med = {h: {k: statistics.median(x[k] for x in v) for k in ("cpu_s", "wall_s")}
               for h, v in rec.items()}
        gap = max(abs(a - b) / abs(b) for a, b in zip(errors["batched"], errors["single"]))
        ulp = None
        if stage == "full":
            moved = [run_trial(nudged(t))["error"] for t in ts]
            ulp = max(abs(a - b) / abs(b) for a, b in zip(moved, errors["single"]))
        rows.append({"stage": stage, "k": args.k, "rounds": rec, "median": med,
                     "gain_cpu": med["single"]["cpu_s"] / med["batched"]["cpu_s"],
                     "gain_wall": med["single"]["wall_s"] / med["batched"]["wall_s"],
                     "largest_relative_error_difference": gap,
                     "largest_relative_error_change_one_ulp": ulp,
                     "errors": errors["single"]})
    meta = {"machine": platform.processor() or platform.machine(), "torch": torch.__version__,
            "threads": 1, "load_1min": os.getloadavg()[0],
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    with open(os.path.join(args.out, "batched_trials.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    lines = [f"METALIC Burgers trials, K = {args.k} viscosities, XPINN condition, "
             f"{meta['date']}, one thread, load {meta['load_1min']:.1f}; median of "
             f"{args.rounds} alternating rounds.", "",
             "| stage | one by one: CPU s per trial | batched: CPU s per trial | gain (CPU) | "
             "gain (wall) | largest relative difference of the errors | the same, one by one "
             "with one weight moved by 1 ulp |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        what = "300 Adam" if r["stage"] == "adam" else "300 Adam + 300 L-BFGS"
        lines.append(f"| {what} | {r['median']['single']['cpu_s']:.2f} | "
                     f"{r['median']['batched']['cpu_s']:.2f} | **{r['gain_cpu']:.2f}** | "
                     f"{r['gain_wall']:.2f} | {r['largest_relative_error_difference']:.1e} | "
                     + (f"{r['largest_relative_error_change_one_ulp']:.1e} |"
                        if r["largest_relative_error_change_one_ulp"] is not None else "— |"))
    with open(os.path.join(args.out, "batched_trials.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
