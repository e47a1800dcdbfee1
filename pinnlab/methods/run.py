"""Run the PINN method end to end and wrap the outcome in a :class:`~pinnlab.result.Result`."""

from __future__ import annotations

import time

import torch

from ..result import Result
from ..spec.problem import Problem
from .pinn import PINNConfig, train_pinn


def run_pinn(problem: Problem, options: dict, *, seed: int = 0, device: str = "cpu",
             out: str | None = None, resume: bool = False, progress: bool = True) -> Result:
    options = dict(options)
    monitor = options.pop("monitor", None)  # Python API only: monitor(model) -> {name: float}
    cfg = PINNConfig.from_options({**problem.training, **options}, source=problem.source)
    start = time.perf_counter()
    model, trainer = train_pinn(problem, cfg, seed=seed, device=device, out=out, resume=resume,
                                progress=progress, monitor=monitor)
    model.eval()
    metrics = {
        "method": "pinn",
        "device": str(device),
        "dtype": cfg.dtype,
        "seed": seed,
        "steps": trainer.state.step,
        "wall_s": trainer.state.wall_s if resume else time.perf_counter() - start,
        "params": model.params.estimates(),
        "optimizer_stops": trainer.state.stops,
        "loss_final": trainer.state.history[-1]["loss"] if trainer.state.history else None,
        "points": {t.name: int(t.points.shape[0]) for t in trainer.losses.terms},
        "config": {k: v for k, v in cfg.__dict__.items()},
    }
    return Result(problem, "pinn", model, metrics, trainer.state.history,
                  dtype=getattr(torch, cfg.dtype), device=device, module=model)
