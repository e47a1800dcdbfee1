"""ProbConserv (Hansen et al. 2023) as a method of :func:`pinnlab.solve`: a probabilistic base
model of the spec's family, conditioned on the spec's conservation law.

Step 1 fits a base model over the family ``[family]`` of a GPME spec (``[reference] solver =
"gpme"``): a Gaussian process whose hyper-parameters maximise the marginal likelihood of the
whole family (``base = "gp"``), or an attentive neural process (``base = "anp"``, or a saved
one, ``anp_checkpoint``). Given the context of the spec's own member — its ``[observations]``, else
``n_context`` points of its exact solution drawn with the seed — the base model predicts, at
each time t, ``u(t, ·) ~ N(μ, Σ)`` on the ``n_grid`` grid of ``[conservation]``.

Step 2 conditions that Gaussian on the conservation law ``G u = U(t) + σ_G ε`` (G the
trapezoid row of the grid, U(t) the exact mass of ``[conservation] density``):

    μ̃ = μ − Σ Gᵀ (G Σ Gᵀ + σ_G²)⁻¹ (G μ − U(t))

(:func:`pinnlab.conservation.update.conserve`). The result's field is μ̃, linear in x between
grid points (``predict``, ``solution.npz`` and the plots use it); a trained ANP is kept as
``anp.pt`` in the output folder (``anp_checkpoint`` reads it back). ``metrics["conservation"]`` has,
at the spec's evaluation time, the MSE, conservation error and log-likelihood of the base
model, HardC and ProbConserv.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
import torch
from pydantic import Field

from ..errors import SpecError
from ..options import Count, NonNegative, Options, Steps
from ..result import Result
from ..spec.problem import Problem
from ..train import RunContext

CHUNK = 64  # time slices predicted in one batch


class ProbConservConfig(Options):
    """ProbConserv on a GPME spec: a GP or ANP base model of the family, then the
    conservation update."""

    base: Literal["gp", "anp"] = "gp"
    """the probabilistic base model: an exact Gaussian process or an attentive neural process."""
    adam_steps: Steps = 1000
    """ANP training steps."""
    gp_iters: Count = 150
    """Adam steps on the GP's hyper-parameters."""
    width: Annotated[int, Field(ge=1, le=4096)] = 64
    """ANP hidden width."""
    depth: Annotated[int, Field(ge=1, le=16)] = 1
    """ANP attention blocks per path."""
    n_latent: Count = 100
    """ANP latent draws behind its predictive moments."""
    sigma_g: NonNegative = 0.0
    """noise of the conservation constraint (0: it holds exactly)."""
    anp_checkpoint: str = ""
    """a saved ANP (``anp.pt`` of an earlier run) to use instead
    of training one; in a spec, a file in the spec's folder."""


options = ProbConservConfig


def check(problem: Problem, cfg: ProbConservConfig) -> None:
    """The spec must be a GPME family with a conservation law; observations, if any, must be
    of the field ``u`` at (t, x)."""
    from ..conservation.problems import from_spec

    from_spec(problem)  # the family parameter is known: the loader refuses it unknown
    if cfg.base == "gp":
        from ..errors import optional_import

        optional_import("gpytorch", "gp")
    obs = problem.observations
    if obs is not None and set(obs.values) != {"u"}:
        raise SpecError("ProbConserv's context is observations of u alone",
                        file=obs.file or problem.source, key="observations")
    if cfg.anp_checkpoint and cfg.base != "anp":
        raise SpecError("anp_checkpoint is a saved ANP: set base = \"anp\" with it",
                        file=problem.source, key="training.base")
    if cfg.anp_checkpoint:  # read (safely) before anything is written
        _saved_anp(problem, cfg)


def condition_status(problem: Problem, cfg: ProbConservConfig) -> dict[str, tuple[str, str]]:
    """No condition enters as a loss: the base model learns them from the family's exact
    solutions; only the conservation law is imposed (exactly when ``sigma_g = 0``)."""
    why = "learned from the family's exact solutions (only the conservation law is imposed)"
    return {k: ("soft", why) for k in problem.conditions}


def _context(gp_problem, problem: Problem, seed: int):
    """The spec member's context: its observations, else one function drawn at its parameter."""
    from ..conservation.data import FunctionBatch, sample_functions

    p = problem.parameters[gp_problem.parameter].value
    obs = problem.observations
    if obs is None:
        return sample_functions(gp_problem, 1, np.random.default_rng(seed + 1234), params=p)
    seen = obs.measured("u")
    t, x, u = (np.asarray(a, float)[seen][None] for a in
               (obs.coords[problem.time], obs.coords[problem.space[0]], obs.values["u"]))
    return FunctionBatch(np.array([p]), t, x, u, t, x, u)


def _saved_anp(problem: Problem, cfg: ProbConservConfig):
    """The ANP of ``anp_checkpoint`` (a file the spec names must lie in its folder)."""
    from ..conservation.train import load_checkpoint
    from ..io import option_file

    path, key = option_file(problem, "probconserv", "anp_checkpoint", cfg.anp_checkpoint)
    return load_checkpoint(path, key=key)


def _fit(problem: Problem, gp_problem, cfg: ProbConservConfig, ctx: RunContext):
    """The trained base model, its loss history and training seconds."""
    from ..conservation.gp import FamilyGaussianProcess, GPConfig
    from ..conservation.train import TrainConfig, train_anp

    if cfg.anp_checkpoint:
        return _saved_anp(problem, cfg).to(ctx.device), [], 0.0
    if cfg.base == "gp":
        gp = FamilyGaussianProcess(gp_problem, GPConfig(iters=cfg.gp_iters, seed=ctx.seed)).fit()
        return gp, gp.losses, gp.seconds
    trained = train_anp(gp_problem, TrainConfig(steps=cfg.adam_steps, hidden=cfg.width,
                                                layers=cfg.depth, seed=ctx.seed,
                                                device=ctx.device))
    return trained.model, trained.losses, trained.seconds


def _predictor(model, gp_problem, batch, cfg: ProbConservConfig, seed: int) -> Callable:
    """``moments(times (K,)) -> mean (K, N), covariance (K, N, N) or variances (K, N)`` on the
    grid, float64, given the one context ``batch``."""
    from ..conservation.data import scale_inputs
    from ..conservation.gp import FamilyGaussianProcess

    grid = gp_problem.x_grid()
    cs0 = scale_inputs(gp_problem, batch.context_t, batch.context_x)  # (1, n, 2)

    def moments(times: np.ndarray):
        k = len(times)
        ts = scale_inputs(gp_problem, np.repeat(times[:, None], len(grid), 1),
                          np.broadcast_to(grid, (k, len(grid))))
        cs, cu = np.repeat(cs0, k, 0), np.repeat(batch.context_u, k, 0)
        if isinstance(model, FamilyGaussianProcess):
            mean, cov = model.predict(cs, cu, ts)
            return mean.double().cpu(), cov.double().cpu()
        par = next(model.parameters())
        as_t = [torch.as_tensor(a, dtype=par.dtype, device=par.device) for a in (cs, cu, ts)]
        gen = torch.Generator(device=par.device).manual_seed(seed)
        with torch.no_grad():
            mean, var = model.moments(*model.predict_components(*as_t, n_latent=cfg.n_latent,
                                                                generator=gen))
        return mean.double().cpu(), var.double().cpu()

    return moments


def conserved_field(moments: Callable, gp_problem, p: float, sigma_g: float) -> Callable:
    """``fn(points (M, 2) [x, t]) -> (M, 1)``: the conserved mean at each point's time,
    interpolated linearly in x; slices are computed once per distinct time and cached."""
    from ..conservation.update import conserve, mass_constraint

    grid = torch.as_tensor(gp_problem.x_grid(), dtype=torch.float64)
    cache: dict[float, np.ndarray] = {}

    def slices(times: np.ndarray) -> None:
        for i in range(0, len(times), CHUNK):
            chunk = times[i:i + CHUNK]
            mean, cov = moments(chunk)
            g, b = mass_constraint(gp_problem, torch.as_tensor(chunk), grid, p)
            post = conserve(mean, cov, g, b, sigma_g=sigma_g).mean.numpy()
            cache.update(zip(chunk.tolist(), post))

    def fn(points: torch.Tensor, x_col: int = 0, t_col: int = 1) -> torch.Tensor:
        pts = points.detach().double().cpu().numpy()
        times = np.unique(pts[:, t_col])
        slices(np.array([t for t in times if float(t) not in cache]))
        out = np.empty(len(pts))
        for t in times:
            sel = pts[:, t_col] == t
            out[sel] = np.interp(pts[sel, x_col], gp_problem.x_grid(), cache[float(t)])
        return torch.as_tensor(out[:, None], dtype=points.dtype, device=points.device)

    return fn


def run(problem: Problem, cfg: ProbConservConfig, ctx: RunContext) -> Result:
    from ..conservation.evaluate import evaluate_slice
    from ..conservation.problems import from_spec

    if ctx.resume:
        raise SpecError("probconserv has no checkpoint to resume; run it again",
                        key="--resume")
    gp_problem = from_spec(problem)
    p = problem.parameters[gp_problem.parameter].value
    batch = _context(gp_problem, problem, ctx.seed)
    model, losses, seconds = _fit(problem, gp_problem, cfg, ctx)
    moments = _predictor(model, gp_problem, batch, cfg, ctx.seed)
    conserved = conserved_field(moments, gp_problem, p, cfg.sigma_g)
    cols = problem.coords.index(problem.space[0]), problem.coords.index(problem.time)

    t = gp_problem.eval_time
    mean, cov = moments(np.array([t]))
    rows = evaluate_slice(gp_problem, p, t, gp_problem.x_grid(), mean, cov, cfg.sigma_g)
    rows["probconserv"] = rows.pop("probconserv_sigma") if cfg.sigma_g else rows["probconserv"]
    rows.pop("probconserv_sigma", None)
    summary = {name: {"mse": float(r.mse[0]), "ce": float(r.ce[0]), "ll": float(r.ll[0]),
                      "std_mean": float(r.posterior.variance.clamp_min(0).sqrt().mean())}
               for name, r in rows.items()}
    if ctx.out and cfg.base == "anp" and not cfg.anp_checkpoint:  # reusable: anp_checkpoint
        from ..conservation.train import save_checkpoint

        save_checkpoint(model, os.path.join(ctx.out, "anp.pt"), steps=cfg.adam_steps)
    metrics = {"method": ctx.method, "device": str(ctx.device), "seed": ctx.seed,
               "config": cfg.model_dump(), "params": {}, "wall_s": seconds, "eval_time": t,
               "context_points": int(batch.context_u.size), "conservation": summary}
    history = [{"step": i, "phase": cfg.base, "loss": float(v)} for i, v in enumerate(losses)]
    return Result(problem, ctx.method, lambda x: conserved(x, *cols), metrics, history,
                  dtype=torch.float64, device="cpu")
