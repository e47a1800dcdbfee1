"""Second-order Taylor jets in one coordinate: f, f' and f'' carried through a computation.

A :class:`Jet` holds three tensors of one shape, (v, d1, d2) = (f(x), df/dx, d²f/dx²). Arithmetic
and the elementwise functions below propagate them by the chain rule,

    φ(f)' = φ'(f) f',     φ(f)'' = φ''(f) f'² + φ'(f) f'',
    (fg)' = f'g + fg',    (fg)'' = f''g + 2f'g' + fg'',

so one forward pass gives a network's output and its first two x-derivatives (no nested autograd),
and the parameters' gradients come from one ordinary backward pass through it. Everything a 1D flame
residual needs (thermodynamic polynomials, exp/log, square roots, quotients) is covered.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Jet:
    """(value, first derivative, second derivative), each a tensor of the same shape."""

    v: torch.Tensor
    d1: torch.Tensor
    d2: torch.Tensor

    @staticmethod
    def variable(x: torch.Tensor) -> Jet:
        """The independent variable itself: (x, 1, 0)."""
        return Jet(x, torch.ones_like(x), torch.zeros_like(x))

    @staticmethod
    def constant(c: torch.Tensor) -> Jet:
        return Jet(c, torch.zeros_like(c), torch.zeros_like(c))

    # -- arithmetic ---------------------------------------------------------------------------
    def __add__(self, other):
        if isinstance(other, Jet):
            return Jet(self.v + other.v, self.d1 + other.d1, self.d2 + other.d2)
        return Jet(self.v + other, self.d1, self.d2)

    __radd__ = __add__

    def __neg__(self) -> Jet:
        return Jet(-self.v, -self.d1, -self.d2)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if isinstance(other, Jet):
            return Jet(self.v * other.v, self.d1 * other.v + self.v * other.d1,
                       self.d2 * other.v + 2.0 * self.d1 * other.d1 + self.v * other.d2)
        return Jet(self.v * other, self.d1 * other, self.d2 * other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, Jet):
            return self * other.reciprocal()
        return Jet(self.v / other, self.d1 / other, self.d2 / other)

    def __rtruediv__(self, other):
        return self.reciprocal() * other

    def __pow__(self, p: float) -> Jet:
        """f**p for a constant exponent p (f > 0 where p is not an integer)."""
        return self.apply(self.v**p, p * self.v ** (p - 1), p * (p - 1) * self.v ** (p - 2))

    def __getitem__(self, index) -> Jet:
        return Jet(self.v[index], self.d1[index], self.d2[index])

    # -- elementwise functions ----------------------------------------------------------------
    def apply(self, f: torch.Tensor, df: torch.Tensor, d2f: torch.Tensor) -> Jet:
        """φ(self), given φ, φ' and φ'' evaluated at self.v."""
        return Jet(f, df * self.d1, d2f * self.d1 * self.d1 + df * self.d2)

    def reciprocal(self) -> Jet:
        r = 1.0 / self.v
        return self.apply(r, -r * r, 2.0 * r * r * r)

    def exp(self) -> Jet:
        e = torch.exp(self.v)
        return self.apply(e, e, e)

    def log(self) -> Jet:
        r = 1.0 / self.v
        return self.apply(torch.log(self.v), r, -r * r)

    def sqrt(self) -> Jet:
        s = torch.sqrt(self.v)
        return self.apply(s, 0.5 / s, -0.25 / (s * self.v))

    def tanh(self) -> Jet:
        t = torch.tanh(self.v)
        dt = 1.0 - t * t
        return self.apply(t, dt, -2.0 * t * dt)

    def sigmoid(self) -> Jet:
        s = torch.sigmoid(self.v)
        ds = s * (1.0 - s)
        return self.apply(s, ds, ds * (1.0 - 2.0 * s))

    def linear(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> Jet:
        """self @ weight.T (+ bias) over the last axis, as torch.nn.functional.linear."""
        lin = torch.nn.functional.linear
        return Jet(lin(self.v, weight, bias), lin(self.d1, weight), lin(self.d2, weight))

    def sum(self, dim: int, keepdim: bool = False) -> Jet:
        return Jet(self.v.sum(dim, keepdim), self.d1.sum(dim, keepdim),
                   self.d2.sum(dim, keepdim))

    def softmax(self, dim: int = -1) -> Jet:
        """softmax along ``dim``: s = e^f/Σe^f; s' = s(f' − Σ s f'), s'' from differentiating s'."""
        s = torch.softmax(self.v, dim)
        m1 = (s * self.d1).sum(dim, keepdim=True)
        g = self.d1 - m1  # s' = s g
        d1 = s * g
        # g' = f'' − Σ(s' f' + s f'')
        dg = self.d2 - (d1 * self.d1 + s * self.d2).sum(dim, keepdim=True)
        return Jet(s, d1, d1 * g + s * dg)


def cat(jets: list[Jet], dim: int = -1) -> Jet:
    """Concatenate jets along ``dim``."""
    return Jet(torch.cat([j.v for j in jets], dim), torch.cat([j.d1 for j in jets], dim),
               torch.cat([j.d2 for j in jets], dim))
