"""The PINN method as a registered method (see :mod:`pinnlab.methods`): its options, its own
rules, and the run that wraps the trained model in a :class:`~pinnlab.result.Result`."""

from __future__ import annotations

import torch

from ..errors import SpecError
from ..losses import compile_terms
from ..result import Result
from ..spec.problem import Problem
from ..train import RunContext, run_metrics
from . import warmup
from .constraints import condition_status  # noqa: F401  (the PINN states its exact conditions)
from .pinn import PINNConfig, PINNModel, check_names, train_pinn

options = PINNConfig
residual_rows = True  # the loss as rows, for Levenberg–Marquardt (PINNLoss.rows)


def build_model(problem: Problem, cfg: PINNConfig, generator: torch.Generator) -> PINNModel:
    """A fresh, untrained model (the run directory's reload fills in its weights)."""
    return PINNModel(problem, cfg, generator)


def check(problem: Problem, cfg: PINNConfig) -> None:
    """Term weights and output scales must name terms and fields of the problem; every term
    must evaluate (a dry run on a few points)."""
    terms = [t.name for t in compile_terms(problem, {"residual": 1, "boundary": 1,
                                                      "initial": 1})]
    check_names(problem, cfg, terms)
    if cfg.warmup_steps:
        warmup.check(problem, cfg.warmup_target)
    _dry_run(problem, cfg)


def _dry_run(problem: Problem, cfg: PINNConfig) -> None:
    """Evaluate every term once on four points with an untrained network: what only an
    evaluation finds (a plug-in asked for what it cannot give) is reported before training."""
    from .pinn import PINNLoss, _default_dtype

    small = cfg.model_copy(update={"residual_points": 4, "boundary_points": 2,
                                   "initial_points": 2, "compile": False})
    dtype = getattr(torch, cfg.dtype)
    gen = torch.Generator().manual_seed(0)
    try:
        with _default_dtype(dtype), torch.no_grad():
            model = build_model(problem, small, gen).to(dtype=dtype)
            PINNLoss(problem, model, small, gen)()
        if cfg.quasi_newton == "lm" and cfg.lbfgs_steps:
            _check_least_squares(problem, cfg)
        if cfg.quasi_newton != "lbfgs" and cfg.lbfgs_steps:
            from ..bfgs import check_size

            check_size(sum(p.numel() for p in model.parameters() if p.requires_grad),
                       problem.source)
    except SpecError as exc:
        if exc.file:
            raise
        raise SpecError(exc.message, file=problem.source, key=exc.key) from None


def _check_least_squares(problem: Problem, cfg: PINNConfig) -> None:
    """Levenberg–Marquardt needs the loss as a plain sum of squares."""
    if cfg.causal:
        raise SpecError("lm needs the loss as a sum of squares: causal weights "
                        "(training.causal) change it at every step; use lbfgs or bfgs",
                        file=problem.source, key="training.quasi_newton")


def run(problem: Problem, cfg: PINNConfig, ctx: RunContext) -> Result:
    model, trainer = train_pinn(problem, cfg, ctx)
    model.eval()
    metrics = {**run_metrics(trainer, ctx, cfg), "params": model.params.estimates(),
               "points": {t.name: int(t.points.shape[0]) for t in trainer.losses.terms}}
    if problem.unknowns and problem.observations is not None:
        from ..uncertainty import data_sigma, laplace

        unc = laplace(trainer.losses, model, data_sigma(problem.observations), seed=ctx.seed)
        if cfg.ensemble:
            from ..ensemble import refits

            unc["ensemble"] = refits(problem, cfg, ctx, cfg.ensemble, model.params.estimates(),
                                     unc.get("noise") if unc.get("noise_estimated") else None)
        metrics["uncertainty"] = unc
    return Result(problem, ctx.method, model, metrics, trainer.state.history,
                  dtype=getattr(torch, cfg.dtype), device=ctx.device, module=model)
