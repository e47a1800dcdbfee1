"""Where a batched trial and the same trial trained alone part: the logged loss of both, step by
step (the trial of ``batched_trials.py`` with ν = 0.05, seed 507, trained in a batch with a
second trial, ν = 0.0164, seed 505; 300 Adam + 300 L-BFGS at the METALIC CPU budget).

    python results/speed/batched_trials_divergence.py      # batched_trials_divergence.{md,json}
"""

from __future__ import annotations

import dataclasses
import json
import os

import torch

from pinnlab.api import prepare
from pinnlab.bandit.trials import _options, _problem, trial
from pinnlab.batched import train_many
from pinnlab.methods.multidomain import build_multidomain, train_multidomain
from pinnlab.stages import RunContext

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "problems", "metalic", "burgers.toml")
XPINN = (0, 1, 0, 1, 0, 0, 0, 0, 0)
OPTS = {"adam_steps": 300, "lbfgs_steps": 300, "residual_points": 400}


def main() -> None:
    torch.set_num_threads(1)
    t = trial(SPEC, {"nu": 0.05}, XPINN, seed=507, options=OPTS)
    problems = [_problem(SPEC).with_parameters({"nu": nu}) for nu in (0.05, 0.016351214)]
    cfg = prepare(problems[0], "multidomain", options=_options(t)).config
    ctx = RunContext(method="multidomain", progress=False)
    (_, batched), _ = train_many(problems, cfg, ctx, [507, 505], build=build_multidomain)
    _, alone = train_multidomain(problems[0], cfg, dataclasses.replace(ctx, seed=507))
    rows = [{"step": a["step"], "phase": a["phase"], "alone": a["loss"], "batched": b["loss"],
             "relative_gap": abs(a["loss"] - b["loss"]) / abs(a["loss"])}
            for a, b in zip(alone.state.history, batched.state.history, strict=True)]
    with open(os.path.join(HERE, "batched_trials_divergence.json"), "w") as f:
        json.dump(rows, f, indent=1)
    lines = ["| step | phase | loss, alone | loss, batched | relative gap |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['step']} | {r['phase']} | {r['alone']:.12g} | {r['batched']:.12g} | "
              f"{r['relative_gap']:.1e} |" for r in rows]
    with open(os.path.join(HERE, "batched_trials_divergence.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
