"""Choose the guidance strengths of run.py on validation scenes (not the held-out ones).

Scenes: ``family_dataset(FAMILY, 4, seed=7)`` with masks from ``default_rng(1000 + i)``;
both tasks; 8 samples, 50 network evaluations. Sweeps zeta for dps, flowchef and dps_solve, and
the residual weight for dps_pde at the best dps zeta; the sum of the errors decides (u and a;
for a binary a its error rate). Writes tune.md in the family's folder of run.py. Run from the
repository root: ``python results/priors/tune.py [darcy_binary|poisson|helmholtz] [GUIDANCE]
[--grid 64] [--device cuda]`` (one guidance: its rows into tune_GUIDANCE.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402

from pinnlab.generative.datasets import bundled_spec, family_dataset  # noqa: E402
from pinnlab.generative.prior import Prior  # noqa: E402


def score(prior, fields, coords, nodes, guidance, **kw) -> dict:
    rows = {task: [] for task in run.TASKS}
    for task in run.TASKS:
        for i, truth in enumerate(fields):
            samples, _ = run.guided(prior, run.task_mask(task, nodes[i]), truth, guidance,
                                    coords, i, **kw)
            mean = samples.mean(0)
            rows[task].append(run.scores(mean[0], mean[1], truth))
    return {task: {k: float(np.mean([r[k] for r in v])) for k in v[0]} for task, v in
            rows.items()}


def main(family: str = "darcy_binary", only: str | None = None, grid: int = 32,
         device: str = "cpu") -> None:
    """All guidances into tune.md, or ``only`` one of them into tune_<only>.md."""
    if device == "cpu":
        torch.set_num_threads(1)
    run.DEVICE = device
    fam = run.select(family, grid)
    ds = family_dataset(bundled_spec(family), 4, seed=7, grid=run.GRID)
    fields = ds.fields.astype(np.float64)
    shape = (run.GRID["x"], run.GRID["y"])
    nodes = [np.stack(np.unravel_index(np.random.default_rng(1000 + i).choice(
        shape[0] * shape[1], run.n_obs(), replace=False), shape), 1) for i in range(len(fields))]
    prior = Prior.load(run.checkpoint_path(family), device=run.DEVICE)
    a = "a_error_rate" if fam.threshold is not None else "a"
    label = f"{fam.field} error rate" if fam.threshold is not None else f"{fam.field} rel. L2"
    lines = [f"| guidance | setting | inverse: u | inverse: {label} | forward: u | "
             f"forward: {label} |", "|---|---|---|---|---|---|"]

    def row(guidance, **kw):
        s = score(prior, fields, ds.coords, nodes, guidance, **kw)
        lines.append(f"| {guidance} | {kw} | {s['inverse']['u']:.3f} | "
                     f"{s['inverse'][a]:.3f} | {s['forward']['u']:.3f} | "
                     f"{s['forward'][a]:.3f} |")
        print(lines[-1], flush=True)
        return s['inverse']['u'] + s['forward']['u'] + s['inverse'][a] + s['forward'][a]

    if only in (None, "dps", "dps_pde"):
        best = min((row("dps", zeta=z), z) for z in (0.3, 1.0, 3.0))[1]
        for w in (1e-3, 1e-2, 3e-2):
            row("dps_pde", zeta=best, pde_weight=w)
    if only in (None, "flowchef"):
        for z in (0.5, 1.0):
            row("flowchef", zeta=z)
    if only in (None, "dps_solve"):
        binary = run.FAMILIES[family].threshold is not None
        for z in (1.0, 3.0, 10.0) if binary else (0.3, 1.0, 3.0):
            row("dps_solve", zeta=z)
    (fam.out / ("tune.md" if only is None else f"tune_{only}.md")).write_text(
        f"# Guidance strengths for {family} on 4 validation scenes (seed 7)\n\n"
        f"Sum of the four columns decides; `python results/priors/tune.py {family}"
        f"{'' if only is None else ' ' + only}`.\n\n"
        + "\n".join(lines) + "\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    kw = {}
    for flag in ("--grid", "--device"):
        if flag in args:
            i = args.index(flag)
            kw[flag[2:]] = int(args[i + 1]) if flag == "--grid" else args[i + 1]
            del args[i:i + 2]
    main(*args[:2], **kw)
