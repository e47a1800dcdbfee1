"""The warm-up stage: before the physics, fit the network's fields to a target profile.

A stiff problem (a flame, a shock) trains far better from a start near the right shape than from
a random network. The target is either the observations (``warmup_target = "observations"``: the
observed fields at the observed points, clipped into any field bounds) or one expression per
field of the coordinates and known parameters (``warmup_target = {T = "T_in + ..."}``) on a grid.
The loss is ``mean(((u(x_i) - target_i) / max|target|)^2)`` per field, summed, where
``max|target|`` is at least 1e-3 of the range a bounded or simplex field can take (a species
absent from the whole target, such as argon in air, would otherwise weigh ``1e12`` times the
others and the fit would spend itself on driving one softmax output to zero); only the
network's weights train in this stage (the unknown parameters keep their guesses).
"""

from __future__ import annotations

import torch

from ..errors import SpecError
from ..expr import Symbol
from ..options import Options, Steps
from ..sampling import uniform_grid
from ..spec.problem import Problem


class WarmupOptions(Options):
    """The warm-up stage's options (shared by the methods that have it)."""

    warmup_steps: Steps = 0
    """Adam steps fitting the network to ``warmup_target`` before the physics (0: none)."""
    warmup_target: str | dict[str, str] = "observations"
    """\"observations\", or a table ``{field = expression}`` of the starting profile."""

    def with_warmup(self, phases: list) -> list:
        """``phases`` preceded by the warm-up fit (Adam on the networks alone)."""
        from ..train import Phase

        if not self.warmup_steps:
            return phases
        return [Phase("adam", self.warmup_steps, lr=self.lr, decay=1.0, objective="warmup",
                      params="network", name="warmup"), *phases]


def check(problem: Problem, target) -> None:
    """The target must name fields, and observations must exist when used."""
    if target == "observations":
        obs = problem.observations
        if obs is None or not any(f in problem.fields for f in obs.values):
            raise SpecError("warmup_target = \"observations\" needs observations of a field",
                            file=problem.source, key="training.warmup_target")
        return
    if isinstance(target, str) or not target:
        raise SpecError("warmup_target is \"observations\" or a table {field = expression}",
                        file=problem.source, key="training.warmup_target")
    for f, text in target.items():
        key = f"training.warmup_target.{f}"
        if f not in problem.fields:
            raise SpecError(f"{f!r} is not a field", file=problem.source, key=key)
        problem.expression(text, key, with_fields=False)


class WarmupFit:
    """The warm-up objective (module docstring): ``__call__() -> {"warmup": loss}``."""

    def __init__(self, problem: Problem, model, target, *, points: int = 512, dtype=None,
                 device=None):
        from .pinn import output_bounds

        self.model = model
        opts = dict(dtype=dtype, device=device)
        if target == "observations":
            obs = problem.observations
            names = [f for f in obs.values if f in problem.fields]
            x = torch.stack([torch.as_tensor(obs.coords[c], **opts) for c in problem.coords], 1)
            values = torch.stack([torch.as_tensor(obs.values[f], **opts) for f in names], 1)
        else:
            names = list(target)
            x = uniform_grid(problem.domain, points, **opts)
            env = {Symbol("coord", c): x[:, i] for i, c in enumerate(problem.coords)}
            env.update({Symbol("param", k): torch.tensor(float(p.value if p.value is not None
                                                               else p.guess), **opts)
                        for k, p in problem.parameters.items()})
            values = torch.stack([
                torch.as_tensor(problem.expression(target[f], f"training.warmup_target.{f}",
                                                   with_fields=False).evaluate(env),
                                **opts).expand(x.shape[0]) for f in names], 1)
        for j, f in enumerate(names):  # clip into the bounds the output map can reach
            if f in problem.bounds:
                lo, hi = output_bounds(problem)[f]
                pad = 1e-6 * (hi - lo)
                values[:, j] = values[:, j].clamp(lo + pad, hi - pad)
        measured = ~torch.isnan(values)  # observations may leave a field unmeasured at a point
        self.x, self.values = x, values.nan_to_num()
        self.index = [problem.fields.index(f) for f in names]
        floor = torch.tensor([_floor(problem, f) for f in names], **opts)
        self.scale = 1.0 / torch.maximum(self.values.abs().amax(0), floor)
        self.weight = measured / measured.sum(0)  # the mean over each field's measured points

    def __call__(self) -> dict[str, torch.Tensor]:
        pred = self.model(self.x)[:, self.index]
        return {"warmup": (((pred - self.values) * self.scale) ** 2 * self.weight).sum()}


def _floor(problem: Problem, name: str) -> float:
    """The smallest scale of a field's target: 1e-3 of its reachable range (bounded fields:
    ``hi - lo``; simplex members: 1), else 1e-12."""
    from .pinn import output_bounds

    if name in problem.bounds:
        lo, hi = output_bounds(problem)[name]
        return 1e-3 * (hi - lo)
    if any(name in members for members in problem.simplex.values()):
        return 1e-3
    return 1e-12
