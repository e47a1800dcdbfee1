"""A minimal optimiser driver for the flame PINNs: Adam stages, then L-BFGS.

Each stage minimises ``loss_fn() -> (loss, parts)`` over ``params``. The parameters with the
lowest loss seen (checked every ``check_every`` Adam steps) are restored at the end of a stage; a
non-finite loss stops the stage at once (and restores that best state), and :func:`lbfgs_stage`
reports why L-BFGS stopped: gradient tolerance, loss-change tolerance, iteration budget, or NaN.
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


class _Best:
    def __init__(self, params: Sequence[torch.Tensor]):
        self.params = list(params)
        self.loss = math.inf
        self.state = [p.detach().clone() for p in self.params]

    def offer(self, loss: float) -> None:
        if loss < self.loss:
            self.loss = loss
            self.state = [p.detach().clone() for p in self.params]

    def restore(self) -> None:
        with torch.no_grad():
            for p, s in zip(self.params, self.state, strict=True):
                p.copy_(s)


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


def adam_stage(name: str, params: Sequence[torch.Tensor], loss_fn: LossFn, iterations: int,
               lr: float = 1e-3, decay: float = 0.95, decay_every: int = 1000,
               check_every: int = 100, callback: Callable[[int], None] | None = None,
               deadline: float | None = None, lr_factors: dict[int, float] | None = None
               ) -> StageLog:
    """Adam with step decay lr·decay^(k // decay_every); keeps the best checkpoint.

    ``deadline`` (a ``time.perf_counter()`` value) ends the stage early ("wall-time limit");
    ``lr_factors`` maps ``id(parameter)`` to a multiplier of its learning rate.
    """
    log = StageLog(name)
    params = [p for p in params if p.requires_grad]
    factors = lr_factors or {}
    groups = [{"params": [p], "lr": lr * factors.get(id(p), 1.0)} for p in params]
    opt = torch.optim.Adam(groups, lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=decay_every, gamma=decay)
    best = _Best(params)
    t0 = time.perf_counter()
    log.stop_reason = "iteration budget"
    for k in range(iterations):
        if deadline is not None and time.perf_counter() > deadline:
            log.stop_reason = f"wall-time limit at iteration {k}"
            break
        if callback is not None:
            callback(k)
        opt.zero_grad(set_to_none=True)
        loss, _ = loss_fn()
        value = float(loss.detach())
        if not math.isfinite(value):
            log.stop_reason = f"non-finite loss at iteration {k}"
            break
        if k % check_every == 0 or k == iterations - 1:
            best.offer(value)
            log.history.append((k, value))
        loss.backward()
        opt.step()
        sched.step()
        log.iterations = k + 1
        log.last_loss = value
    best.restore()
    log.best_loss = best.loss
    log.wall_time = time.perf_counter() - t0
    return log


def lbfgs_stage(name: str, params: Sequence[torch.Tensor], loss_fn: LossFn,
                max_iter: int = 5000, tolerance_grad: float = 1e-9,
                tolerance_change: float = 1e-15, chunk: int = 100,
                deadline: float | None = None, callback: Callable[[int], None] | None = None
                ) -> StageLog:
    """torch L-BFGS (strong Wolfe line search) run in chunks, with the reason it stopped.

    ``callback(done)`` runs before each chunk, e.g. to redraw the collocation points (the
    optimiser keeps its curvature pairs from the previous points).
    """
    log = StageLog(name)
    params = [p for p in params if p.requires_grad]
    max_eval = 25 * chunk
    opt = torch.optim.LBFGS(params, lr=1.0, max_iter=chunk, max_eval=max_eval, history_size=50,
                            tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                            line_search_fn="strong_wolfe")
    best = _Best(params)
    t0 = time.perf_counter()

    def closure():
        opt.zero_grad(set_to_none=True)
        loss, _ = loss_fn()
        loss.backward()
        return loss

    done = 0
    log.stop_reason = "iteration budget"
    while done < max_iter:
        if deadline is not None and time.perf_counter() > deadline:
            log.stop_reason = f"wall-time limit after {done} iterations"
            break
        if callback is not None:
            callback(done)
        state = opt.state[opt._params[0]]
        before, evals_before = state.get("n_iter", 0), state.get("func_evals", 0)
        opt.step(closure)
        ran = state.get("n_iter", 0) - before
        evals = state.get("func_evals", 0) - evals_before
        done += ran
        with torch.no_grad():
            value = float(loss_fn()[0])
        log.history.append((done, value))
        if not math.isfinite(value):
            log.stop_reason = f"non-finite loss after {done} iterations"
            break
        best.offer(value)
        log.last_loss = value
        if ran < chunk and evals < max_eval:
            grad = torch.cat([p.grad.reshape(-1) for p in params if p.grad is not None])
            if float(grad.abs().max()) <= tolerance_grad:
                log.stop_reason = f"gradient max-norm below {tolerance_grad:g}"
            else:
                log.stop_reason = (f"loss or step change below {tolerance_change:g} "
                                   f"(line search made no progress)")
            break
    best.restore()
    log.iterations = done
    log.best_loss = best.loss
    log.wall_time = time.perf_counter() - t0
    return log
