"""The family benchmark behind ``run.py`` (helpers of this results folder, not of the library):
one GPME benchmark run: train the base models, evaluate them and their updates, time both.

``run_problem`` trains an ANP, a SoftC-ANP (the ANP fine-tuned with the residual penalty λ) and
the family GP, then for each test parameter draws ``n_test`` test functions and evaluates every
base model with :func:`pinnlab.conservation.evaluate.evaluate_slice`. HardC and ProbConserv are
applied to both the ANP and the GP; SoftC is reported as its own base model. The returned dict
is JSON-ready (plus ``"_fields"``: the posteriors of the first test function, for plotting).
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from pinnlab.conservation import metrics
from pinnlab.conservation.data import sample_functions
from pinnlab.conservation.evaluate import (
    anp_components,
    anp_draws,
    anp_slice,
    evaluate_slice,
    gp_slice,
)
from pinnlab.conservation.gp import FamilyGaussianProcess, GPConfig
from pinnlab.conservation.problems import GPMEProblem
from pinnlab.conservation.train import TrainConfig, train_anp


@dataclass
class BenchmarkConfig:
    anp: TrainConfig = field(default_factory=lambda: TrainConfig(steps=3000, hidden=64, layers=1))
    softc_steps: int = 300  # 0: no SoftC-ANP
    # λ = 1 on the reference's scale (summed NLL over a batch of 250 × 100 targets plus λ·mean r²);
    # our ELBO is a per-target mean, so the same balance is λ / (250 · 100).
    softc_weight: float = 1.0 / (250 * 100)
    gp: GPConfig = field(default_factory=GPConfig)
    n_test: int | None = None  # default: the problem's n_test
    n_latent: int = 100
    n_shock_samples: int = 500
    sigma_g: float = 1e-3
    mixture: bool = True  # also condition the ANP's latent mixture (probconserv_mixture)
    seed: int = 1234


def train_models(problem: GPMEProblem, cfg: BenchmarkConfig, log_every: int = 0):
    """Train ANP, SoftC-ANP (unless ``softc_steps`` is 0) and GP; return (models, train seconds,
    info: the ANP's validation history and the step of the kept weights)."""
    anp = train_anp(problem, cfg.anp, log_every=log_every)
    models = {"anp": anp.model}
    seconds = {"anp": anp.seconds}
    if cfg.softc_steps > 0:
        softc_cfg = dataclasses.replace(
            cfg.anp,
            steps=cfg.softc_steps,
            softc_weight=cfg.softc_weight,
            lr=cfg.anp.lr * 0.1,
            seed=cfg.anp.seed + 1,
            warmup=0,
            val_every=0,
        )
        softc = train_anp(problem, softc_cfg, model=copy.deepcopy(anp.model), log_every=log_every)
        models["softc"] = softc.model
        seconds["softc"] = anp.seconds + softc.seconds
    gp = FamilyGaussianProcess(problem, cfg.gp).fit()
    models["gp"] = gp
    seconds["gp"] = gp.seconds
    info = {
        "anp_cpu_seconds": anp.cpu_seconds,
        "anp_best_step": anp.best_step,
        "anp_val_history": anp.val_history,
    }
    return models, seconds, info


def _summary(res) -> dict:
    out = {}
    for key in ("mse", "ce", "ll"):
        m, se = metrics.mean_and_stderr(getattr(res, key))
        out[key], out[key + "_se"] = m, se
    out["ce_max"] = float(np.max(res.ce))
    return out


def _shock_summary(res, exact: float) -> dict:
    """Per test function: posterior mean (cell midpoints) and 95 % interval of the shock cell."""
    mean_pos, lo, hi = metrics.shock_posterior(res.shock_first, res.shock_mid)
    m, se = metrics.mean_and_stderr(mean_pos)
    mf, sef = metrics.mean_and_stderr(res.shock_first.mean(axis=0))
    return {
        "exact": exact,
        "mean": m,
        "mean_se": se,
        "rel_error": abs(m - exact) / exact,
        "mean_first_index_rule": mf,
        "mean_first_index_rule_se": sef,
        "coverage95": float(np.mean((lo <= exact) & (exact <= hi))),
        "interval95_first_function": [float(lo[0]), float(hi[0])],
        "samples_first_function": res.shock_mid[:, 0].tolist(),
    }


def evaluate_models(problem: GPMEProblem, models: dict, cfg: BenchmarkConfig) -> dict:
    """Metrics of every base model and update at the problem's evaluation time."""
    t = problem.eval_time
    x = problem.x_grid()
    n_test = cfg.n_test or problem.n_test
    rng = np.random.default_rng(cfg.seed)
    shock = cfg.n_shock_samples if problem.family == "stefan" else 0
    results: dict = {"rows": [], "_fields": {}, "eval_seconds": {}}
    for p in problem.test_values:
        batch = sample_functions(problem, n_test, rng, params=p)
        for model_name, model in models.items():
            start = time.perf_counter()
            comps = None
            if model_name == "gp":
                mean, cov = gp_slice(model, problem, batch, x, t)
            else:
                draws = anp_draws(model, problem, batch, x, t, cfg.n_latent, cfg.seed)
                mean, cov = anp_slice(model, problem, batch, x, t, draws=draws)
                if model_name == "anp" and cfg.mixture:
                    comps = anp_components(model, problem, batch, x, t, draws=draws)
            res = evaluate_slice(
                problem, p, t, x, mean, cov, cfg.sigma_g, shock, cfg.seed, components=comps
            )
            if model_name == "softc":
                res = {"base": res["base"]}
            elapsed = time.perf_counter() - start
            results["eval_seconds"][f"{model_name}@{p:g}"] = elapsed
            for method, r in res.items():
                row = {"parameter": p, "model": model_name, "method": method, **_summary(r)}
                if shock:
                    row["shock"] = _shock_summary(r, float(problem_front(problem, p, t)))
                results["rows"].append(row)
                results["_fields"][(p, model_name, method)] = (
                    r.posterior.mean[0].numpy(),
                    r.posterior.variance[0].clamp_min(0).sqrt().numpy(),
                )
        results["_fields"][(p, "exact", "exact")] = (problem.solution(t, x, p), None)
    results["x"] = x
    return results


def problem_front(problem: GPMEProblem, p: float, t: float) -> float:
    """Exact front position x*(t) for the Stefan family."""
    from pinnlab.reference.gpme import stefan_front

    return float(stefan_front(t, p))


def run_problem(problem: GPMEProblem, cfg: BenchmarkConfig, log_every: int = 0) -> dict:
    """Train, evaluate and time; returns the :func:`evaluate_models` dict plus ``train_seconds``
    and ``train_info``."""
    torch.manual_seed(cfg.seed)
    models, seconds, info = train_models(problem, cfg, log_every)
    results = evaluate_models(problem, models, cfg)
    results["train_seconds"] = seconds
    results["train_info"] = info
    results["models"] = models
    return results
