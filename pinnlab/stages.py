"""The pieces a :class:`~pinnlab.train.Trainer` runs with: optimizer phases (the trainer's
stages) and their learning-rate schedules, loss weights, the run's state and context, the
progress bar and the metrics every run reports.

Learning rate of a phase at its local step k (base rate ``lr``):

* ``schedule = "step"``: ``lr · decay^(k / decay_every)`` (continuous exponential decay);
  ``"staircase"``: ``lr · decay^⌊k / decay_every⌋``;
* ``schedule = "cosine"``: linear warm-up ``lr · (k + 1) / warmup`` for k < ``warmup``, then
  ``lr · (floor + (1 − floor) · ½ (1 + cos(π (k − warmup) / (steps − warmup))))``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from .train import Trainer


@dataclass
class Phase:
    """One optimizer phase (a stage of the trainer): ``kind`` is ``adam``, ``lbfgs``,
    ``bfgs``, ``ssbfgs`` (dense, :mod:`pinnlab.bfgs`) or ``lm``
    (:mod:`pinnlab.gauss_newton`), the last three driven like L-BFGS (``history`` unused);
    ``steps`` counts optimizer iterations. Adam: learning rate ``lr`` decayed by ``decay`` every
    ``decay_every`` steps. L-BFGS: strong-Wolfe line search, ``history`` pairs, stops at
    ``steps`` iterations or when the gradient's max-norm falls below ``tolerance_grad`` or the
    loss stops changing. ``objective`` names the loss it minimises (``main``, or another the
    trainer was given, e.g. a warm-up fit), ``params`` the parameters it trains (``all`` or a
    named set, e.g. ``network``); ``restore_best`` ends the phase at its lowest loss; ``name``
    labels it in the history and the stop reasons (default: the kind). Adam's learning rate
    follows ``schedule`` (``step`` or ``cosine`` with ``warmup`` and ``floor``, module
    docstring); ``clip`` > 0 clips the gradient's norm before each Adam step (minibatch
    training of the ANP and the generative priors); ``stall`` > 0 ends an Adam phase whose loss
    has not improved by 1% on its best for that many steps (reported as the stop reason);
    ``optimizer`` is the first-order phase's optimizer (``adam`` or ``soap``)."""

    kind: str
    steps: int
    lr: float = 1e-3
    decay: float = 0.9
    decay_every: int = 1000
    history: int = 50
    tolerance_grad: float = 1e-10
    tolerance_change: float = 1e-14
    objective: str = "main"
    params: str = "all"
    restore_best: bool = False
    name: str = ""
    schedule: str = "step"
    warmup: int = 0
    floor: float = 0.0
    clip: float = 0.0
    stall: int = 0
    optimizer: str = "adam"

    def lr_factor(self, k: int) -> float:
        """The learning rate at local step ``k`` divided by ``lr`` (module docstring)."""
        if self.schedule == "cosine":
            if k < self.warmup:
                return (k + 1) / self.warmup
            span = max(self.steps - self.warmup, 1)
            cosine = 0.5 * (1 + math.cos(math.pi * (k - self.warmup) / span))
            return self.floor + (1 - self.floor) * cosine
        if self.schedule == "staircase":
            return self.decay ** (k // self.decay_every)
        return self.decay ** (k / self.decay_every)

    @property
    def label(self) -> str:
        return self.name or self.kind


class LossWeights:
    """Named loss weights: fixed, or balanced by gradient norms.

    Gradient-norm balancing (Wang et al.): every ``every`` steps,
    ``ŵ_k = Σ_j ‖∇_θ L_j‖ / ‖∇_θ L_k‖`` and ``w_k ← α w_k + (1 - α) ŵ_k``.
    """

    def __init__(self, names: list[str], fixed: dict[str, float] | None = None, *,
                 adaptive: bool = False, every: int = 500, momentum: float = 0.9):
        self.values = {n: float((fixed or {}).get(n, 1.0)) for n in names}
        self.adaptive, self.every, self.momentum = adaptive, every, momentum

    def maybe_update(self, step: int, losses: dict[str, torch.Tensor], params: list) -> None:
        if not self.adaptive or step % self.every != 0 or len(losses) < 2:
            return
        norms = {}
        for name, loss in losses.items():
            grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
            norms[name] = math.sqrt(sum(float((g**2).sum()) for g in grads if g is not None))
        total = sum(norms.values())
        for name, norm in norms.items():
            target = total / max(norm, 1e-30)
            self.values[name] = self.momentum * self.values[name] + (1 - self.momentum) * target

    def state_dict(self) -> dict:
        return dict(self.values)

    def load_state_dict(self, state: dict) -> None:
        self.values.update(state)


@dataclass
class TrainState:
    """Where a run stands: ``step`` counts every optimizer iteration so far; ``done`` the
    iterations of each phase (keyed ``"0:adam"``, ``"1:lbfgs"``); ``stops`` why each phase
    ended."""

    step: int = 0
    done: dict[str, int] = field(default_factory=dict)
    stops: dict[str, str] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    wall_s: float = 0.0


@dataclass
class RunContext:
    """How a method runs (not what it computes): seed, device, output folder, resume,
    progress bar, the identity a checkpoint must carry to be resumed here, and ``on_row``:
    called with every logged history row (a live logger such as TensorBoard's)."""

    method: str = "pinn"
    seed: int = 0
    device: str = "cpu"
    out: str | None = None
    resume: bool = False
    progress: bool = True
    identity: dict | None = None
    monitor: Callable | None = None
    source: str | None = None
    on_row: Callable | None = None


def first_order(phase: Phase, groups: list[dict]) -> torch.optim.Optimizer:
    """The optimizer of a first-order phase over parameter ``groups``: Adam, or SOAP
    (pytorch-optimizer; its default betas (0.95, 0.95) and preconditioner refresh every 10
    steps, no weight decay, so that only the preconditioning differs from Adam)."""
    if phase.optimizer == "soap":
        from .errors import optional_import

        soap = optional_import("pytorch_optimizer", "soap").SOAP
        return soap(groups, lr=phase.lr, weight_decay=0.0)
    return torch.optim.Adam(groups, lr=phase.lr)


def quasi_newton_stop(params: list[torch.Tensor], phase: Phase, step: int) -> str:
    """Why an L-BFGS/BFGS phase ended before its budget: converged or stalled."""
    grads = [p.grad.abs().max() for p in params if p.grad is not None]
    gmax = float(torch.stack(grads).max()) if grads else 0.0
    note = " (float32: precision limits L-BFGS; use dtype=float64)" if \
        params[0].dtype == torch.float32 else ""
    if gmax <= phase.tolerance_grad:
        return f"converged: gradient max-norm {gmax:.2e} <= {phase.tolerance_grad:g}"
    return (f"stalled at iteration {step}: loss or step change below "
            f"{phase.tolerance_change:g}, line search found no decrease{note}")


def run_metrics(trainer: Trainer, ctx: RunContext, cfg) -> dict:
    """The metrics every training run reports (``metrics.json``)."""
    st = trainer.state
    return {"method": ctx.method, "device": str(ctx.device), "dtype": cfg.dtype,
            "seed": ctx.seed, "steps": st.step, "wall_s": st.wall_s,
            "optimizer_stops": dict(st.stops), "phase_steps": dict(st.done),
            "loss_final": st.history[-1]["loss"] if st.history else None,
            "config": cfg.model_dump()}


def _short(row: dict, terms: dict) -> str:
    parts = [f"loss={row['loss']:.2e}"]
    for k in terms:
        parts.append(f"{k.split('.')[-1]}={row[k]:.1e}")
    return " ".join(parts)


class _NoBar:
    def update(self, n=1):
        pass

    def set_postfix_str(self, s):
        pass

    def close(self):
        pass


def _bar(total: int, initial: int, show: bool):
    if not show:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True)


class StallWatch:
    """``watch(loss, step)`` is true once the loss has not improved by 1% on its best for
    ``steps`` steps (the stall criterion of an Adam phase, :attr:`Phase.stall`)."""

    def __init__(self, steps: int, start: int = 0):
        self.steps, self.best, self.best_at = steps, math.inf, start
        self.reason = f"no 1% improvement of the loss in {steps} steps"

    def __call__(self, loss: float, step: int) -> bool:
        if loss < 0.99 * self.best:
            self.best, self.best_at = loss, step
        return step - self.best_at >= self.steps


def second_order(phase: Phase, module: torch.nn.Module, params: list, rows=None
                 ) -> torch.optim.Optimizer:
    """The optimizer of a phase after Adam: L-BFGS, dense (self-scaled) BFGS, or
    Levenberg–Marquardt on the residual rows ``rows()``; each runs one iteration per ``step``
    until the trainer raises ``max_iter``."""
    if phase.kind == "lm":
        from .gauss_newton import LevenbergMarquardt

        return LevenbergMarquardt(module, rows, max_iter=1)
    from .bfgs import DenseBFGS

    extra = {} if phase.kind == "lbfgs" else {"self_scaled": phase.kind == "ssbfgs"}
    return (torch.optim.LBFGS if phase.kind == "lbfgs" else DenseBFGS)(
        params, **extra, lr=1.0, max_iter=1, history_size=phase.history,
        line_search_fn="strong_wolfe", tolerance_grad=phase.tolerance_grad,
        tolerance_change=phase.tolerance_change)


def refuse_lm(method: str, source: str | None) -> None:
    """The one line for a Levenberg–Marquardt phase on a loss without residual rows."""
    from .errors import SpecError

    raise SpecError(f'quasi_newton = "lm" needs the loss as residual rows, which {method} '
                    "does not give; use lbfgs or bfgs", file=source, key="training.quasi_newton")


def check_phases(phases: list[Phase], module: torch.nn.Module, rows, source: str | None
                 ) -> None:
    """Before any training: the dense phases' matrix fits, and a Levenberg–Marquardt phase
    has the loss's residual rows (one line naming ``training.quasi_newton`` otherwise)."""
    kinds = {p.kind for p in phases}
    if "lm" in kinds and rows is None:
        refuse_lm("this method", source)
    if kinds & {"bfgs", "ssbfgs", "lm"}:
        from .bfgs import check_size

        check_size(sum(p.numel() for p in module.parameters() if p.requires_grad), source)
