"""One training of a multi-domain PINN for one context and interface mask: the unit of work the
bandit and the sweeps hand to a :mod:`pinnlab.runner` (a picklable function of a dict)."""

from __future__ import annotations

import json
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


def _options(t: dict) -> dict:
    opts = {**t["options"], "interface_conditions": t["mask"],
            "interface_conditions_lbfgs": t["mask_lbfgs"]}
    if t["stage"] == "adam":
        opts["lbfgs_steps"] = 0
    elif t["stage"] == "lbfgs":
        opts["adam_steps"] = 0
    return opts


def _outcome(t: dict, res) -> dict:
    """Error, reward and stop reasons of a trained trial's result (and, after an ``adam``
    stage, the network state for the ``lbfgs`` stage)."""
    out = {"error": res.evaluate()["rel_l2"], "stops": res.metrics["optimizer_stops"]}
    if t["stage"] == "adam":
        out["state"] = {k: v.detach().cpu().numpy() for k, v in res.module.state_dict().items()}
    return out


def _finish(out: dict, error: float, cpu_s: float, wall_s: float) -> dict:
    out.update(error=float(error) if math.isfinite(error) else float("nan"),
               reward=reward(error), cpu_s=cpu_s, wall_s=wall_s)
    return out


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
    state = ({k: torch.as_tensor(np.asarray(v)) for k, v in t["state"].items()}
             if t.get("state") else None)
    try:
        plan = prepare(problem, "multidomain", options=_options(t), seed=t["seed"])
        res = plan.module.run(problem, plan.config, RunContext(method="multidomain",
                                                               seed=t["seed"], progress=False),
                              state=state)
        out = _outcome(t, res)
    except DivergenceError as exc:
        out = {"error": math.inf, "stops": {"diverged": str(exc)}}
    return _finish(out, out.pop("error"), time.process_time() - cpu0,
                   time.perf_counter() - wall0)


def batch_key(t: dict) -> tuple | None:
    """Trials with equal keys can train as one batch (:func:`run_trials`): the same spec,
    masks, stage and options, each from its own seed (contexts and seeds may differ); ``None``
    for a trial that continues an earlier stage."""
    if t["stage"] == "lbfgs" or t.get("state"):
        return None
    return (t["spec"], t["mask"], t["mask_lbfgs"], t["stage"],
            json.dumps(t["options"], sort_keys=True))


def batches(trials: list[dict], workers: int = 1, size: int = 64) -> list[list[int]]:
    """The trials' indices in batches of compatible trials (:func:`batch_key`), at most
    ``size`` each, split so that ``workers`` processes all get one; in trial order."""
    out, by = [], {}
    for i, t in enumerate(trials):
        key = batch_key(t)
        if key is None:
            out.append([i])
        else:
            by.setdefault(key, []).append(i)
    for idx in by.values():
        n = max(1, min(size, math.ceil(len(idx) / max(1, workers))))
        out += [idx[a:a + n] for a in range(0, len(idx), n)]
    return sorted(out)


def run_trials(ts: list[dict]) -> list[dict]:
    """:func:`run_trial` for each of a batch of compatible trials (:func:`batch_key`), their
    Adam phases trained as one batched model (:func:`pinnlab.batched.train_many`): the same
    results to rounding. CPU and wall seconds are the batch's, shared equally; a diverging
    batch is run again trial by trial (so that only the diverging one counts as such)."""
    if len(ts) == 1:
        return [run_trial(ts[0])]
    if len({batch_key(t) for t in ts}) != 1 or batch_key(ts[0]) is None:
        raise ValueError("run_trials takes compatible trials only (see batch_key)")
    import dataclasses

    from ..api import prepare
    from ..batched import train_many
    from ..methods import multidomain
    from ..train import RunContext

    wall0, cpu0 = time.perf_counter(), time.process_time()
    problems = [_problem(t["spec"]).with_parameters(t["context"]) for t in ts]
    plans = [prepare(p, "multidomain", options=_options(t), seed=t["seed"])
             for p, t in zip(problems, ts, strict=True)]
    cfg, ctx = plans[0].config, RunContext(method="multidomain", progress=False)
    try:
        many = train_many(problems, cfg, ctx, [t["seed"] for t in ts],
                          build=multidomain.build_multidomain)
    except DivergenceError:
        return [run_trial(t) for t in ts]
    cpu_s = (time.process_time() - cpu0) / len(ts)
    outs = []
    for t, problem, (model, trainer) in zip(ts, problems, many, strict=True):
        res = multidomain.result(problem, cfg, dataclasses.replace(ctx, seed=t["seed"]), model,
                                 trainer, cpu_s)
        out = _outcome(t, res)
        outs.append(_finish(out, out.pop("error"), cpu_s,
                            (time.perf_counter() - wall0) / len(ts)))
    return outs


def map_trials(runner, trials: list[dict], on_result=None) -> list[dict]:
    """``runner.map(run_trial, trials)`` with compatible trials batched (:func:`batches`);
    ``on_result(i, result)`` is still called per trial, ``i`` its index in ``trials``."""
    groups = batches(trials, runner.workers)
    results: list = [None] * len(trials)

    def keep(j: int, rs: list[dict]) -> None:
        for i, r in zip(groups[j], rs, strict=True):
            results[i] = r
            if on_result is not None:
                on_result(i, r)

    runner.map(run_trials, [[trials[i] for i in g] for g in groups], on_result=keep)
    return results
