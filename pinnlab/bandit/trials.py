"""One training of a multi-domain PINN for one context and interface mask: the unit of work the
bandit and the sweeps hand to a :mod:`pinnlab.runner` (a picklable function of a dict)."""

from __future__ import annotations

import math
import time
from functools import lru_cache

import numpy as np

from ..errors import DivergenceError
from ..spec.decomposition import mask_string
from .agent import reward


@lru_cache(maxsize=8)
def _problem(spec: str):
    from ..spec.toml import load

    return load(spec)


def trial(spec: str, context: dict, mask, *, seed: int = 0, options: dict | None = None,
          stage: str = "full", mask_lbfgs=None, state: dict | None = None) -> dict:
    """The trial dict :func:`run_trial` takes (``stage``: ``full``, ``adam`` or ``lbfgs``)."""
    return {"spec": spec, "context": dict(context), "mask": mask_string(mask),
            "mask_lbfgs": mask_string(mask_lbfgs if mask_lbfgs is not None else mask),
            "seed": int(seed), "options": dict(options or {}), "stage": stage, "state": state}


def run_trial(t: dict) -> dict:
    """Train on ``t["spec"]`` with the family parameters ``t["context"]`` and return the relative
    L2 error on the reference grid, the reward ``−log10(error)`` (NaN and divergence count as
    error 100), CPU and wall seconds, the optimizer stop reasons and, after an ``adam`` stage,
    the network state for the ``lbfgs`` stage."""
    import torch

    from ..api import prepare
    from ..train import RunContext

    wall0, cpu0 = time.perf_counter(), time.process_time()
    problem = _problem(t["spec"]).with_parameters(t["context"])
    opts = {**t["options"], "interface_conditions": t["mask"],
            "interface_conditions_lbfgs": t["mask_lbfgs"]}
    if t["stage"] == "adam":
        opts["lbfgs_steps"] = 0
    elif t["stage"] == "lbfgs":
        opts["adam_steps"] = 0
    state = ({k: torch.as_tensor(np.asarray(v)) for k, v in t["state"].items()}
             if t.get("state") else None)
    out: dict = {"stops": {}}
    try:
        plan = prepare(problem, "multidomain", options=opts, seed=t["seed"])
        res = plan.module.run(problem, plan.config, RunContext(method="multidomain",
                                                               seed=t["seed"], progress=False),
                              state=state)
        error = res.evaluate()["rel_l2"]
        out["stops"] = res.metrics["optimizer_stops"]
        if t["stage"] == "adam":
            out["state"] = {k: v.detach().cpu().numpy() for k, v in
                            res.module.state_dict().items()}
    except DivergenceError as exc:
        error, out["stops"] = math.inf, {"diverged": str(exc)}
    out.update(error=float(error) if math.isfinite(error) else float("nan"),
               reward=reward(error), cpu_s=time.process_time() - cpu0,
               wall_s=time.perf_counter() - wall0)
    return out
