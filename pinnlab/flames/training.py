"""The stages of the flame-specific Case 2/3 solvers, run by the project's one trainer.

Each stage minimises ``loss_fn() -> (loss, parts)`` over ``params`` as one phase of
:class:`pinnlab.train.Trainer` and ends at the lowest loss seen; a non-finite loss stops it (and
restores the best state); the log says why it stopped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

LossFn = Callable[[], tuple[torch.Tensor, dict[str, float]]]


@dataclass
class StageLog:
    """What one stage did: iterations, losses (best and last), wall time [s] and why it stopped."""

    name: str
    iterations: int = 0
    best_loss: float = math.inf
    last_loss: float = math.inf
    wall_time: float = 0.0
    stop_reason: str = ""
    history: list[tuple[int, float]] = field(default_factory=list)


class ZonePoints:
    """Collocation points on [0, L]: ``n - n_zone`` over the whole interval and ``n_zone`` inside
    the flame zone [a, b] (n_zone = round(zone_fraction · n)). :meth:`grid` gives them evenly
    spaced (sorted, zone ends excluded), :meth:`draw` uniformly at random; shape (n, 1)."""

    def __init__(self, length: float, zone: tuple[float, float], n: int, zone_fraction: float,
                 **opts):
        self.length, self.zone, self.opts = length, zone, opts
        self.n_zone = int(round(zone_fraction * n))
        self.n_all = n - self.n_zone

    def grid(self) -> torch.Tensor:
        a, b = self.zone
        x = torch.cat([torch.linspace(0.0, self.length, self.n_all, **self.opts),
                       torch.linspace(a, b, self.n_zone + 2, **self.opts)[1:-1]])
        return x.sort().values.reshape(-1, 1)

    def draw(self) -> torch.Tensor:
        a, b = self.zone
        return torch.cat([torch.rand(self.n_all, 1, **self.opts) * self.length,
                          a + torch.rand(self.n_zone, 1, **self.opts) * (b - a)])


def _run(name: str, params: Sequence[torch.Tensor], loss_fn: LossFn, phase, *,
         callback, deadline, lr_factors=None, check_every: int = 1, chunk: int = 20) -> StageLog:
    """One phase of the project's trainer on ``params`` (best state restored at the end)."""
    from ..errors import DivergenceError
    from ..train import Trainer

    holder = torch.nn.ParameterList([p for p in params if p.requires_grad])
    trainer = Trainer(holder, lambda: {"loss": loss_fn()[0]}, [phase], progress=False,
                      on_step=(lambda k, kind: callback(k) and False) if callback else None,
                      log_every=check_every, blowup=math.inf, lr_factors=lr_factors,
                      time_limit=0.0 if deadline is None else max(deadline - time.perf_counter(),
                                                                  1e-9))
    trainer.LBFGS_CHUNK = chunk
    log, t0 = StageLog(name), time.perf_counter()
    try:
        state = trainer.run()
        log.stop_reason = next(iter(state.stops.values()), "")
    except DivergenceError:
        state = trainer.state
        log.stop_reason = f"non-finite loss after {state.step} iterations"
    log.iterations = state.step
    log.history = [(row["step"], row["loss"]) for row in state.history]
    if trainer._phase_best is not None:
        log.best_loss = trainer._phase_best[0]
    log.last_loss = log.history[-1][1] if log.history else math.inf
    log.wall_time = time.perf_counter() - t0
    return log


def adam_stage(name: str, params: Sequence[torch.Tensor], loss_fn: LossFn, iterations: int,
               lr: float = 1e-3, decay: float = 0.95, decay_every: int = 1000,
               check_every: int = 100, callback: Callable[[int], None] | None = None,
               deadline: float | None = None, lr_factors: dict[int, float] | None = None
               ) -> StageLog:
    """Adam with step decay lr·decay^(k // decay_every), ending at the best state seen (every
    ``check_every`` steps); ``callback(k)`` before step k; ``deadline`` (a
    ``time.perf_counter()`` value) ends it early; ``lr_factors`` maps ``id(parameter)`` to a
    multiplier of its learning rate."""
    from ..train import Phase

    phase = Phase("adam", iterations, lr=lr, decay=decay, decay_every=decay_every,
                  schedule="staircase", restore_best=True, name=name)
    return _run(name, params, loss_fn, phase, callback=callback, deadline=deadline,
                lr_factors=lr_factors, check_every=check_every)


def lbfgs_stage(name: str, params: Sequence[torch.Tensor], loss_fn: LossFn,
                max_iter: int = 5000, tolerance_grad: float = 1e-9,
                tolerance_change: float = 1e-15, chunk: int = 100,
                deadline: float | None = None, callback: Callable[[int], None] | None = None
                ) -> StageLog:
    """L-BFGS (strong Wolfe line search) in chunks of ``chunk`` iterations, ending at the best
    state; ``callback(done)`` runs before each chunk (e.g. to redraw the collocation points;
    the curvature pairs are kept)."""
    from ..train import Phase

    phase = Phase("lbfgs", max_iter, tolerance_grad=tolerance_grad,
                  tolerance_change=tolerance_change, restore_best=True, name=name)
    return _run(name, params, loss_fn, phase, callback=callback, deadline=deadline,
                chunk=chunk)
