"""Elementwise operations on torch tensors and 1-D second-order jets alike.

The flame physics (:mod:`pinnlab.flames.gas`, :mod:`~pinnlab.flames.kinetics`) is written with
these, so one code path gives plain values (checks against Cantera, the kinetics) and, on jets,
the values with their first two x-derivatives (the flux divergences of the residuals). The jets
are the core engine's (:class:`pinnlab.jet.Jet`) on the basis ``{f, f_x, f_xx}`` of one
coordinate: a component has shape (N, K) or (N, K, K).
"""

from __future__ import annotations

from functools import cache

import torch

from ..jet import Jet, JetBasis


@cache
def basis() -> JetBasis:
    """The basis of a 1-D second-order jet: ``()``, ``(0,)``, ``(0, 0)``."""
    return JetBasis(1, [(0, 0)])


def variable(x: torch.Tensor, scale: float = 1.0, shift: float = 0.0) -> Jet:
    """The jet of ``scale·x + shift`` in ``x`` (shape (N, 1)): value, ``scale``, 0."""
    return Jet([x * scale + shift, torch.full_like(x, scale), torch.zeros_like(x)], basis())



def d1(a) -> torch.Tensor:
    """df/dx of a jet."""
    return a.parts[1]


def d2(a) -> torch.Tensor:
    """d²f/dx² of a jet."""
    return a.parts[2]


def derivative(a: Jet) -> Jet:
    """The jet of f' on the same 1-D basis; its highest component, which would need one more
    derivative of f, is set to 0 (valid: one order fewer than ``a``)."""
    return Jet([*a.parts[1:], torch.zeros_like(a.parts[-1])], a.basis)



def log(a):
    return a.log() if isinstance(a, Jet) else torch.log(a)


def sqrt(a):
    return a.sqrt() if isinstance(a, Jet) else torch.sqrt(a)


def value(a) -> torch.Tensor:
    """The plain value of a tensor or jet."""
    return a.value if isinstance(a, Jet) else a


def sum_(a, dim: int, keepdim: bool = False):
    return a.sum(dim, keepdim) if isinstance(a, Jet) else a.sum(dim, keepdim=keepdim)



def where(condition: torch.Tensor, a, b):
    """Elementwise choice of a (where ``condition``) or b; the condition is a plain bool tensor."""
    if isinstance(a, Jet) or isinstance(b, Jet):
        ref = a if isinstance(a, Jet) else b
        a, b = ref._lift(a), ref._lift(b)
        shape = torch.broadcast_shapes(condition.shape, a.value.shape, b.value.shape)
        return Jet([torch.where(condition, x.expand(shape), y.expand(shape))
                    for x, y in zip(a.parts, b.parts, strict=True)], ref.basis)
    return torch.where(condition, a, b)


def floor(a, minimum: float):
    """max(a, minimum) elementwise (derivatives vanish where the floor is active)."""
    v = value(a)
    return where(v > minimum, a, torch.full_like(v, minimum))


def unsqueeze(a, dim: int):
    return a.map(lambda p: p.unsqueeze(dim)) if isinstance(a, Jet) else a.unsqueeze(dim)


def reshape(a, *shape: int):
    return a.map(lambda p: p.reshape(*shape)) if isinstance(a, Jet) else a.reshape(*shape)
