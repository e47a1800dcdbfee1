"""Every method on every spec: PINN, LPINN, the multi-domain methods, ProbConserv and the
generative prior on a Burgers, a GPME, a flame and a heat-reconstruction spec, at one small
budget each, or the one-line reason the method does not apply.

    python results/unified/methods.py            # writes methods.json and methods.md here
    python results/unified/methods.py flame_case1   # re-runs those specs' rows only

All runs use one torch thread, seed 0, and one small budget (500 Adam, then 200 L-BFGS steps,
where the method has those options; the PINN on the flames adds the spec's warm-up fit;
ProbConserv fits its default Gaussian process; the prior method uses a prior of the heat family
trained here first: 512 fields, 300 rectified-flow steps, as in the tutorial): a table of what
applies and runs on the one path, not of converged accuracy (the converged figures are on each
family's page).
"""

from __future__ import annotations

import json
import os
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPECS = {"burgers": "problems/burgers.toml", "gpme_diffusion": "problems/gpme_diffusion.toml",
         "gpme_stefan": "problems/gpme_stefan.toml",
         "flame_case1": "problems/flames/case1_forward.toml",
         "flame_case2": "problems/flames/case2_ch4_forward.toml",
         "heat_observed": "problems/generative/heat_observed.toml"}
METHODS = ["pinn", "lpinn", "xpinn", "cpinn", "multidomain", "probconserv", "prior"]
BUDGET = {"adam_steps": 500, "lbfgs_steps": 200}


def heat_prior() -> str:
    """A small prior of the heat family (the tutorial's): its checkpoint path."""
    import tempfile

    from pinnlab.generative import PriorConfig, family_dataset, train_prior

    torch.manual_seed(0)
    path = os.path.join(tempfile.mkdtemp(), "heat_rf.pt")
    cfg = PriorConfig(objective="rf", base=8, steps=300, batch=16, lr=3e-3)
    train_prior(family_dataset("heat", 512, seed=0).fields, cfg, checkpoint=path,
                progress=False)
    return path


def budget(method: str, checkpoint: str) -> dict:
    """The budget options ``method`` has (and the prior's checkpoint)."""
    from pinnlab.methods import METHODS as REGISTRY

    fields = REGISTRY[method].load().options.model_fields
    out = {k: v for k, v in BUDGET.items() if k in fields}
    return {**out, "checkpoint": checkpoint} if "checkpoint" in fields else out


def one(spec: str, method: str, checkpoint: str = "") -> dict:
    import pinnlab
    from pinnlab.api import prepare
    from pinnlab.errors import PinnlabError

    path = os.path.join(ROOT, SPECS[spec])
    row = {"spec": spec, "method": method}
    options = budget(method, checkpoint)
    try:
        prepare(path, method, options=dict(options))
    except PinnlabError as exc:
        return {**row, "ran": False, "reason": exc.one_line()}
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        r = pinnlab.solve(path, method, progress=False, **options)
    except PinnlabError as exc:
        return {**row, "ran": True, "error": exc.one_line(),
                "cpu_s": time.process_time() - c0}
    m = r.metrics
    return {**row, "ran": True, "rel_l2": m.get("rel_l2"),
            "params_rel_error": m.get("params_rel_error", {}), "cpu_s": time.process_time() - c0,
            "wall_s": time.perf_counter() - t0, "stops": m.get("optimizer_stops", {})}


def table(rows: list[dict]) -> str:
    lines = ["| spec | method | rel. L2 | parameter error | CPU s | note |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        if not r["ran"]:
            reason = r["reason"].split(": ", 2)[-1]
            lines.append(f"| {r['spec']} | {r['method']} | — | — | — | does not apply: "
                         f"{reason} |")
            continue
        if "error" in r:
            lines.append(f"| {r['spec']} | {r['method']} | — | — | {r['cpu_s']:.0f} | "
                         f"{r['error'].split(': ', 2)[-1]} |")
            continue
        perr = ", ".join(f"{k} {100 * v:+.2f}%" for k, v in r["params_rel_error"].items())
        lines.append(f"| {r['spec']} | {r['method']} | {r['rel_l2']:.2e} | {perr or '—'} | "
                     f"{r['cpu_s']:.0f} | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    torch.set_num_threads(1)
    only = sys.argv[1:]  # spec names: re-run those rows, keep the others from methods.json
    path = os.path.join(HERE, "methods.json")
    old = json.load(open(path)) if only and os.path.exists(path) else []
    rows, checkpoint = [], heat_prior()
    for spec in SPECS:
        for method in METHODS:
            kept = [r for r in old if r["spec"] == spec and r["method"] == method]
            if only and spec not in only and kept:
                rows.append(kept[0])
                continue
            rows.append(one(spec, method, checkpoint))
            print(json.dumps(rows[-1]), flush=True)
    with open(os.path.join(HERE, "methods.json"), "w") as fh:
        json.dump(rows, fh, indent=1)
    with open(os.path.join(HERE, "methods.md"), "w") as fh:
        fh.write(table(rows))
    print(table(rows))
