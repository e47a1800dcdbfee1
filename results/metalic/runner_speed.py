"""Wall time of the same batch of trainings on each runner backend (the runner speed-up figure).

    python results/metalic/runner_speed.py --trials 8 --workers 2   # writes runner_speed.md/json

Runs ``--trials`` advection trainings (the benchmark's per-training budget, XPINN conditions,
different β) in-process (one worker), on the local process pool and on a local Ray instance with
``--workers`` workers, and reports wall seconds, the speed-up over in-process and the machine's
load average (other jobs on the machine lower the speed-up). Results must agree across backends.
"""

from __future__ import annotations

import argparse
import json
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, "..", "..", "problems", "metalic", "advection.toml")
BUDGET = {"adam_steps": 300, "lbfgs_steps": 300, "residual_points": 400}


def main() -> None:
    import torch

    from pinnlab.bandit.trials import run_trial, trial

    torch.set_num_threads(1)  # the in-process runner uses this process; workers use one each
    from pinnlab.runner import make_runner

    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    trials = [trial(os.path.abspath(SPEC), {"beta": 2.0 + 3.0 * i}, (0, 1, 0, 1, 0, 0, 0, 0, 0),
                    seed=i, options=BUDGET) for i in range(args.trials)]
    rows, errors = [], {}
    for backend, workers in (("local", 1), ("local", args.workers), ("ray", args.workers)):
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        with make_runner(backend, workers=workers) as runner:
            started = time.perf_counter()
            res = runner.map(run_trial, trials)
        end = time.perf_counter()
        name = f"{backend}-{workers}" if backend == "local" else f"ray-{workers}"
        errors[name] = [r["error"] for r in res]
        rows.append({"backend": name, "wall_s": end - t0, "startup_s": started - t0,
                     "cpu_s_trials": sum(r["cpu_s"] for r in res),
                     "load_before": load0, "load_after": os.getloadavg()[0]})
        print(rows[-1], flush=True)
    base = rows[0]["wall_s"]
    for r in rows:
        r["speedup"] = base / r["wall_s"]
    same = all(max(abs(a - b) for a, b in zip(errors["local-1"], e))
               < 1e-9 * max(errors["local-1"]) for e in errors.values())
    out = {"trials": args.trials, "workers": args.workers, "cores": os.cpu_count(),
           "rows": rows, "errors_agree": same, "errors": errors}
    with open(os.path.join(HERE, "runner_speed.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    lines = [f"{args.trials} advection trainings (300 Adam + 300 L-BFGS each), "
             f"{os.cpu_count()} cores; identical errors on every backend: {same}", "",
             "| backend | wall s | of which start-up s | speed-up vs in-process | "
             "load average before → after |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['backend']} | {r['wall_s']:.1f} | {r['startup_s']:.1f} | "
                     f"{r['speedup']:.2f}× | {r['load_before']:.1f} → {r['load_after']:.1f} |")
    with open(os.path.join(HERE, "runner_speed.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
