"""Elementwise operations that accept torch tensors and :class:`~pinnlab.flames.jet.Jet` alike.

The gas-property code (:mod:`pinnlab.flames.gas`) is written with these, so one code path gives
plain values (for checks against Cantera and for the kinetics) and, on Jet inputs, the values with
their first two x-derivatives (for the flux divergences of the flame residuals).
"""

from __future__ import annotations

import torch

from .jet import Jet


def exp(a):
    return a.exp() if isinstance(a, Jet) else torch.exp(a)


def log(a):
    return a.log() if isinstance(a, Jet) else torch.log(a)


def sqrt(a):
    return a.sqrt() if isinstance(a, Jet) else torch.sqrt(a)


def value(a) -> torch.Tensor:
    """The plain value of a tensor or Jet."""
    return a.v if isinstance(a, Jet) else a


def sum_(a, dim: int, keepdim: bool = False):
    return a.sum(dim, keepdim) if isinstance(a, Jet) else a.sum(dim, keepdim=keepdim)


def matmul(a, matrix: torch.Tensor):
    """a @ matrix over the last axis, for a constant ``matrix``."""
    return a.linear(matrix.T) if isinstance(a, Jet) else a @ matrix


def where(condition: torch.Tensor, a, b):
    """Elementwise choice of a (where ``condition``) or b; the condition is a plain bool tensor."""
    if isinstance(a, Jet) or isinstance(b, Jet):
        a = a if isinstance(a, Jet) else Jet.constant(a)
        b = b if isinstance(b, Jet) else Jet.constant(b)
        return Jet(torch.where(condition, a.v, b.v), torch.where(condition, a.d1, b.d1),
                   torch.where(condition, a.d2, b.d2))
    return torch.where(condition, a, b)


def floor(a, minimum: float):
    """max(a, minimum) elementwise (derivatives vanish where the floor is active)."""
    v = value(a)
    return where(v > minimum, a, torch.full_like(v, minimum))


def unsqueeze(a, dim: int):
    if isinstance(a, Jet):
        return Jet(a.v.unsqueeze(dim), a.d1.unsqueeze(dim), a.d2.unsqueeze(dim))
    return a.unsqueeze(dim)
