"""The 15-CPU-minute table: every cell run with ``--budget 900`` (one seed per folder), gathered.

    python results/accuracy/run.py --only burgers:lbfgs1000 --only convection:fourier \\
        --only wave:adam --budget 900 --workers 2 --out results/accuracy/budget900/seed0
    python results/accuracy/run.py --only burgers:bfgs --budget 900 \\
        --out results/accuracy/budget900/seed0_bfgs
    python results/accuracy/run.py --only burgers:bfgs_fixed --only burgers:bfgs_rs500 \\
        --budget 900 --workers 2 --out results/accuracy/budget900/seed0_bfgs2
    python results/accuracy/run.py --only convection:fourier --only wave:adam --budget 900 \\
        --workers 2 --seed N --out results/accuracy/budget900/seedN        # N = 1, 2
    python results/accuracy/run.py --only burgers:lm --budget 900 --seed N \\
        --out results/accuracy/budget900/seedN_lm                          # N = 0, 1, 2
    python results/accuracy/run.py --only burgers:ssbfgs --budget 900 --seed N \\
        --out results/accuracy/budget900/seedN_ssbfgs                      # N = 0, 1
    python results/accuracy/run.py --only wave:lm --budget 900 \\
        --out results/accuracy/budget900/seed0_lm_wave
    python results/accuracy/budget900.py

reads ``budget900/*/cells/*.json`` and writes ``budget900/table.md``: per problem and method,
the relative L2 error of each seed, the goal, and whether every seed meets it.
"""

import glob
import json
import os
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    cells = defaultdict(dict)
    for path in sorted(glob.glob(os.path.join(HERE, "budget900", "*", "cells", "*.json"))):
        with open(path) as f:
            rec = json.load(f)
        cells[rec["problem"], rec["method"]][rec["seed"]] = rec
    lines = ["| problem | method | goal | rel. L2 by seed | every seed meets the goal | "
             "CPU s (largest) | first-order steps, quasi-Newton iterations (seed 0) |",
             "|---|---|---|---|---|---|---|"]
    for (problem, method), by_seed in sorted(cells.items()):
        recs = [by_seed[s] for s in sorted(by_seed)]
        errs = ", ".join(f"{r['rel_l2']:.2e} (seed {r['seed']})" for r in recs)
        met = all(r["rel_l2"] <= r["goal"] and r["solve_cpu_s"] <= r["budget_s"] for r in recs)
        steps = ", ".join(str(v) for v in recs[0]["phase_steps"].values())
        lines.append(f"| {problem} | {method} | ≤ {recs[0]['goal']:g} | {errs} | "
                     f"{'yes' if met else 'no'} ({len(recs)} seed{'s' * (len(recs) > 1)}) | "
                     f"{max(r['cpu_s'] for r in recs):.0f} | {steps} |")
    out = os.path.join(HERE, "budget900", "table.md")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
