"""Known and unknown scalar parameters as one module, so no optimizer phase can leave one out.

An unknown parameter ``p`` with bounds ``(lo, hi)`` is represented by an unconstrained raw value
``θ``: ``p = lo + (hi - lo) σ(θ)``, or in log space ``log p = log lo + (log hi - log lo) σ(θ)``
when ``lo > 0`` (the default for positive bounds), which keeps ``p`` inside its bounds and makes
small positive values (viscosities, rates) as easy to learn as large ones. Without bounds,
``p = θ`` (or ``p = exp θ`` with ``log = true``).
"""

from __future__ import annotations

import math

import torch

from .spec.problem import Parameter


class ParameterSet(torch.nn.Module):
    """All parameters of a problem. ``values()`` returns ``{name: 0-d tensor}``.

    Unknown parameters are ``torch.nn.Parameter`` entries of this module, hence part of
    ``model.parameters()`` of any method that holds it: every optimizer phase trains them.
    """

    def __init__(self, parameters: dict[str, Parameter]):
        super().__init__()
        self.spec = dict(parameters)
        self.raw = torch.nn.ParameterDict()
        for name, p in parameters.items():
            if p.unknown:
                self.raw[name] = torch.nn.Parameter(torch.tensor(self._to_raw(p, p.guess)))
            else:
                self.register_buffer(f"known_{name}", torch.tensor(float(p.value)))

    @staticmethod
    def _uses_log(p: Parameter) -> bool:
        if p.log is not None:
            return bool(p.log)
        return p.bounds is not None and p.bounds[0] > 0

    def _to_raw(self, p: Parameter, value: float) -> float:
        if p.bounds is None:
            return math.log(value) if self._uses_log(p) else value
        lo, hi = p.bounds
        if self._uses_log(p):
            lo, hi, value = math.log(lo), math.log(hi), math.log(value)
        s = (value - lo) / (hi - lo)
        return math.log(s / (1 - s))

    def _from_raw(self, p: Parameter, theta: torch.Tensor) -> torch.Tensor:
        if p.bounds is None:
            return torch.exp(theta) if self._uses_log(p) else theta
        lo, hi = p.bounds
        if self._uses_log(p):
            lo, hi = math.log(lo), math.log(hi)
            return torch.exp(lo + (hi - lo) * torch.sigmoid(theta))
        return lo + (hi - lo) * torch.sigmoid(theta)

    def values(self) -> dict[str, torch.Tensor]:
        out = {}
        for name, p in self.spec.items():
            if p.unknown:
                out[name] = self._from_raw(p, self.raw[name])
            else:
                out[name] = getattr(self, f"known_{name}")
        return out

    def lr_factors(self) -> dict[int, float]:
        """``{id(raw parameter): factor}`` for the unknowns with a learning-rate factor."""
        return {id(self.raw[k]): float(p.lr_factor) for k, p in self.spec.items()
                if p.unknown and p.lr_factor != 1.0}

    def estimates(self) -> dict[str, float]:
        """The current values of the unknown parameters as floats."""
        vals = self.values()
        return {k: float(vals[k].detach()) for k, p in self.spec.items() if p.unknown}
