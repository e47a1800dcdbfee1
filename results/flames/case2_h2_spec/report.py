"""Summarise the H2/air spec runs from their checkpoints (each run's history and stop reasons):

    python results/flames/case2_h2_spec/report.py runs/h2/plain2 runs/h2/int2

writes ``runs.json`` and ``runs.md`` beside this file. Cantera's FreeFlame s_L for the same
inlet is 2.3432 m/s (``results/flames/case2_h2.md``).
"""

import json
import os
import sys

from pinnlab import checkpoint

HERE = os.path.dirname(os.path.abspath(__file__))
S_L_CANTERA = 2.3432


def summary(folder: str) -> dict:
    state = checkpoint.load(os.path.join(folder, "checkpoint.pt"), kind="trainer")["state"]
    h = state["history"]
    rows = [{k: r[k] for k in ("step", "phase", "loss", "s_L", "conditions.energy_balance")
             if k in r} for r in h[::10]]
    last = h[-1]
    return {"run": os.path.basename(folder.rstrip("/")), "steps": state["step"],
            "done": state["done"], "stops": state["stops"], "s_L": last["s_L"],
            "s_L_error": last["s_L"] / S_L_CANTERA - 1, "loss": last["loss"],
            "warmup_final": [r["loss"] for r in h if r["phase"] == "warmup"][-1],
            "energy_balance": last.get("conditions.energy_balance"), "trajectory": rows}


def main() -> None:
    runs = [summary(f) for f in sys.argv[1:]]
    with open(os.path.join(HERE, "runs.json"), "w") as f:
        json.dump(runs, f, indent=1)
    lines = ["| run | steps (warm-up, Adam, L-BFGS) | warm-up loss at its end | final loss | "
             "s_L (m/s) | vs Cantera 2.3432 | s_L along L-BFGS (every 1000 steps) |",
             "|---|---|---|---|---|---|---|"]
    for r in runs:
        lb = [x for x in r["trajectory"] if x["phase"] == "lbfgs"][::2]
        path = ", ".join(f"{x['s_L']:.2f}" for x in lb)
        lines.append(f"| {r['run']} | {', '.join(str(v) for v in r['done'].values())} | "
                     f"{r['warmup_final']:.3g} | {r['loss']:.3g} | {r['s_L']:.3f} | "
                     f"{100 * r['s_L_error']:+.0f}% | {path} |")
    with open(os.path.join(HERE, "runs.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
