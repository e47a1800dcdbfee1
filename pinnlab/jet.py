"""Truncated multivariate Taylor arithmetic ("jets") for derivatives in one forward pass.

A :class:`Jet` carries a function value together with a fixed set of its partial derivatives with
respect to the input coordinates, kept as a list of ``K`` tensors of shape ``(N, C)``: ``K``
derivative components (the first is the value itself), ``N`` points, ``C`` channels. Which partial
derivative each component holds is described by a shared :class:`JetBasis`: a list of multi-indices
written as sorted tuples of coordinate positions, e.g. for coordinates ``(x, t)``::

    ()      -> u          (0,)   -> u_x        (1,)  -> u_t        (0, 0) -> u_xx

The basis is closed under taking sub-multi-indices, which is what the product rule (Leibniz) and
the chain rule (Faa di Bruno) need::

    d^a (f g)   = sum over subsets S of the positions of a:  d^{a_S} f * d^{a \\ S} g
    d^a h(f)    = sum over set partitions P of a:  h^{(|P|)}(f) * prod_{B in P} d^B f

A linear map acts on every component alike (``W @ d^a z``; the bias only enters the value).
Propagating a jet through an MLP therefore costs one stacked matmul per layer plus a few
element-wise products, instead of one reverse-mode sweep per derivative and per order, and the
training gradient is a single ordinary backward pass through this forward computation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from functools import cache

import torch

MultiIndex = tuple[int, ...]


def _set_partitions(items: tuple[int, ...]) -> list[list[tuple[int, ...]]]:
    """All set partitions of ``items`` (positions), each block a tuple of positions."""
    if not items:
        return [[]]
    first, rest = items[0], items[1:]
    out = []
    for part in _set_partitions(rest):
        out.append([(first,), *part])
        for i in range(len(part)):
            out.append([*part[:i], (first, *part[i]), *part[i + 1 :]])
    return out


class JetBasis:
    """The multi-indices a family of jets carries, with precomputed rule tables.

    Args:
        dim: number of input coordinates.
        indices: multi-indices (any order of positions) that must be present; the basis adds
            every sub-multi-index so that products and compositions close.
    """

    def __init__(self, dim: int, indices: Iterable[Sequence[int]]):
        closed = closure(dim, indices)
        self.dim = dim
        self.indices: list[MultiIndex] = sorted(closed, key=lambda a: (len(a), a))
        self.position = {a: k for k, a in enumerate(self.indices)}
        self.order = max(len(a) for a in self.indices)
        self.first = [self.position.get((i,)) for i in range(dim)]
        # Leibniz table: for each component, list of (i, j, multiplicity)
        self.product_table: list[list[tuple[int, int, int]]] = []
        for a in self.indices:
            counts: dict[tuple[int, int], int] = {}
            for r in range(len(a) + 1):
                for pos in _combinations(len(a), r):
                    left = tuple(a[p] for p in pos)
                    right = tuple(a[p] for p in range(len(a)) if p not in pos)
                    key = (self.position[left], self.position[right])
                    counts[key] = counts.get(key, 0) + 1
            self.product_table.append([(i, j, c) for (i, j), c in counts.items()])
        # Faa di Bruno table: for each component, list of (order n, [component ids], multiplicity)
        self.chain_table: list[list[tuple[int, tuple[int, ...], int]]] = []
        for a in self.indices:
            counts2: dict[tuple[int, tuple[int, ...]], int] = {}
            for part in _set_partitions(tuple(range(len(a)))):
                blocks = tuple(sorted(self.position[tuple(sorted(a[p] for p in b))] for b in part))
                key = (len(part), blocks)
                counts2[key] = counts2.get(key, 0) + 1
            self.chain_table.append([(n, b, c) for (n, b), c in counts2.items()])

    def __len__(self) -> int:
        return len(self.indices)

    def seed(self, x: torch.Tensor) -> Jet:
        """The jet of the identity map at points ``x`` of shape ``(N, dim)``."""
        n, d = x.shape
        if d != self.dim:
            raise ValueError(f"points have {d} coordinates, basis expects {self.dim}")
        eye = torch.eye(d, dtype=x.dtype, device=x.device)
        zero = x.new_zeros(()).expand(n, d)
        parts = [x] + [zero] * (len(self) - 1)
        for i, k in enumerate(self.first):
            if k is not None:
                parts[k] = eye[i].expand(n, d)
        return Jet(parts, self)


def closure(dim: int, indices: Iterable[Sequence[int]]) -> set[MultiIndex]:
    """``indices`` (sorted) with every sub-multi-index: the components a basis must carry."""
    closed: set[MultiIndex] = set()
    for a in {tuple(sorted(a)) for a in indices} | {()}:
        if any(i < 0 or i >= dim for i in a):
            raise ValueError(f"multi-index {a} out of range for {dim} coordinates")
        for r in range(len(a) + 1):
            for pos in _combinations(len(a), r):
                closed.add(tuple(a[p] for p in pos))
    return closed


@cache
def _combinations(n: int, r: int) -> tuple[tuple[int, ...], ...]:
    from itertools import combinations

    return tuple(combinations(range(n), r))


class Jet:
    """A value with its partial derivatives; see the module docstring.

    Attributes:
        parts: list of ``K`` tensors ``(N, C)``; ``parts[k]`` is the derivative
            ``basis.indices[k]`` (a list rather than one stacked tensor, so that the backward
            pass never scatters slices into zero-filled buffers).
        basis: the shared :class:`JetBasis`.
    """

    __slots__ = ("parts", "basis")

    def __init__(self, parts, basis: JetBasis):
        self.parts = list(parts)
        self.basis = basis

    # ---- access -------------------------------------------------------------------------
    @property
    def value(self) -> torch.Tensor:
        return self.parts[0]

    @property
    def data(self) -> torch.Tensor:
        """All components stacked: ``(K, N, C)``."""
        return torch.stack(self.parts)

    def d(self, index: Sequence[int]) -> torch.Tensor:
        """The partial derivative with multi-index ``index`` (positions), shape ``(N, C)``."""
        return self.parts[self.basis.position[tuple(sorted(index))]]

    def channel(self, c: int | slice) -> Jet:
        sl = slice(c, c + 1) if isinstance(c, int) else c
        return Jet([p[:, sl] for p in self.parts], self.basis)

    def select(self, channels: Sequence[int]) -> Jet:
        return Jet([p[:, list(channels)] for p in self.parts], self.basis)

    def map(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> Jet:
        """A linear, shape-only operation (reshape, indexing, unsqueeze) on every component."""
        return Jet([fn(p) for p in self.parts], self.basis)

    def affine(self, scale: torch.Tensor | None = None, shift: torch.Tensor | None = None
               ) -> Jet:
        """``scale * self + shift`` for constant tensors (an explicit method, which
        ``torch.compile`` traces where the operators on a jet and a tensor break its graph)."""
        parts = self.parts if scale is None else [p * scale for p in self.parts]
        if shift is not None:
            parts = [parts[0] + shift, *parts[1:]]
        return Jet(parts, self.basis)

    def __getitem__(self, index) -> Jet:
        return Jet([p[index] for p in self.parts], self.basis)

    @staticmethod
    def cat(jets: Sequence[Jet]) -> Jet:
        if len(jets) == 1:
            return jets[0]
        k = len(jets[0].parts)
        return Jet([torch.cat([j.parts[i] for j in jets], dim=-1) for i in range(k)],
                   jets[0].basis)

    # ---- linear operations ---------------------------------------------------------------
    def linear(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> Jet:
        """``z = h W^T + b`` applied to every component (bias on the value only)."""
        parts = [p @ weight.T for p in self.parts]
        if bias is not None:
            parts[0] = parts[0] + bias
        return Jet(parts, self.basis)

    def _lift(self, other) -> Jet:
        """A constant (float or tensor broadcastable to the value) as a jet."""
        if isinstance(other, Jet):
            return other
        v = self.parts[0]
        other = torch.as_tensor(other, dtype=v.dtype, device=v.device)
        zero = torch.zeros((), dtype=v.dtype, device=v.device).expand_as(v)
        return Jet([torch.zeros_like(v) + other] + [zero] * (len(self.parts) - 1), self.basis)

    def __add__(self, other):
        if isinstance(other, Jet):
            return Jet([a + b for a, b in zip(self.parts, other.parts)], self.basis)
        return Jet([self.parts[0] + other, *self.parts[1:]], self.basis)

    __radd__ = __add__

    def __neg__(self):
        return Jet([-p for p in self.parts], self.basis)

    def __sub__(self, other):
        if isinstance(other, Jet):
            return Jet([a - b for a, b in zip(self.parts, other.parts)], self.basis)
        return Jet([self.parts[0] - other, *self.parts[1:]], self.basis)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if not isinstance(other, Jet):
            return Jet([p * other for p in self.parts], self.basis)
        f, g = self.parts, other.parts
        comps = []
        for table in self.basis.product_table:
            acc = None
            for i, j, c in table:  # acc + c f_i g_j in one fused operation
                if acc is not None:
                    acc = torch.addcmul(acc, f[i], g[j], value=c)
                else:
                    acc = f[i] * g[j] if c == 1 else (f[i] * c) * g[j]
            comps.append(acc)
        return Jet(comps, self.basis)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, Jet):
            return self * other.reciprocal()
        return self * (1.0 / other)

    def __rtruediv__(self, other):
        return self.reciprocal() * other

    def __pow__(self, p):
        if isinstance(p, Jet):
            return (self.log() * p).exp()
        p = p if torch.is_tensor(p) and p.numel() > 1 else float(p)  # per point, or one number
        if isinstance(p, float) and p == int(p) and 1 <= p <= 4:
            out = self
            for _ in range(int(p) - 1):
                out = out * self
            return out
        return self.compose(lambda y, n: _power_derivatives(y, p, n))

    def __rpow__(self, base):
        return (self * math.log(float(base))).exp()

    # ---- composition with element-wise functions -------------------------------------------
    def compose(self, derivatives: Callable[[torch.Tensor, int], list[torch.Tensor]]) -> Jet:
        """``h(self)`` for an element-wise ``h``; ``derivatives(y, n)`` returns
        ``[h(y), h'(y), ..., h^{(n)}(y)]``."""
        f = self.parts
        hs = derivatives(f[0], self.basis.order)
        comps = [hs[0]]
        for table in self.basis.chain_table[1:]:
            acc = None
            for n, blocks, c in table:  # acc + c h^(n) Π f_b, the last step fused
                term = f[blocks[0]]
                for b in blocks[1:]:
                    term = term * f[b]
                if acc is not None:
                    acc = torch.addcmul(acc, hs[n], term, value=c)
                else:
                    acc = hs[n] * term if c == 1 else (hs[n] * c) * term
            comps.append(acc)
        return Jet(comps, self.basis)

    def tanh(self) -> Jet:
        return self.compose(_tanh_derivatives)

    def sin(self) -> Jet:
        return self.compose(lambda y, n: _trig_derivatives(y, n, 0))

    def cos(self) -> Jet:
        return self.compose(lambda y, n: _trig_derivatives(y, n, 1))

    def exp(self) -> Jet:
        return self.compose(lambda y, n: [torch.exp(y)] * (n + 1))

    def log(self) -> Jet:
        def derivs(y, n):
            out = [torch.log(y)]
            if n:
                inv = y.reciprocal()
                power = inv
                for k in range(1, n + 1):
                    out.append(power * (((-1) ** (k - 1)) * math.factorial(k - 1)))
                    power = power * inv
            return out

        return self.compose(derivs)

    def sqrt(self) -> Jet:
        return self ** 0.5

    def reciprocal(self) -> Jet:
        return self.compose(lambda y, n: _power_derivatives(y, -1.0, n))

    def sinh(self) -> Jet:
        return self.compose(lambda y, n: [torch.sinh(y) if k % 2 == 0 else torch.cosh(y)
                                          for k in range(n + 1)])

    def cosh(self) -> Jet:
        return self.compose(lambda y, n: [torch.cosh(y) if k % 2 == 0 else torch.sinh(y)
                                          for k in range(n + 1)])

    def erf(self) -> Jet:
        return self.compose(_erf_derivatives)

    def sigmoid(self) -> Jet:
        # sigmoid(y) = (1 + tanh(y/2)) / 2
        return (self * 0.5).tanh() * 0.5 + 0.5

    def abs(self) -> Jet:
        return self * torch.sign(self.parts[0])

    def tan(self) -> Jet:
        return self.sin() / self.cos()

    def sum(self, dim: int = -1, keepdim: bool = True) -> Jet:
        """Sum over a dimension of the parts (a linear map: component-wise)."""
        return Jet([p.sum(dim, keepdim=keepdim) for p in self.parts], self.basis)

    def softmax(self) -> Jet:
        """Softmax over the last dimension (channels), shifted by the detached maximum (which
        leaves the value and every derivative unchanged)."""
        shift = self.parts[0].detach().amax(-1, keepdim=True)
        e = Jet([self.parts[0] - shift, *self.parts[1:]], self.basis).exp()
        return e * e.sum().reciprocal()

    def where(self, cond: torch.Tensor, other: Jet) -> Jet:
        """``self`` where ``cond`` holds, else ``other`` (component-wise)."""
        return Jet([torch.where(cond, a, b) for a, b in zip(self.parts, other.parts)],
                   self.basis)


def _erf_derivatives(y: torch.Tensor, n: int) -> list[torch.Tensor]:
    """``erf^{(k)}(y) = (2/√π) (−1)^{k−1} H_{k−1}(y) e^{−y²}`` (physicists' Hermite ``H``)."""
    out = [torch.erf(y)]
    g = (2.0 / math.sqrt(math.pi)) * torch.exp(-y * y)
    h_prev, h = torch.zeros_like(y), torch.ones_like(y)  # H_{-1} = 0, H_0 = 1
    for k in range(1, n + 1):
        out.append(((-1) ** (k - 1)) * h * g)
        h_prev, h = h, 2 * y * h - 2 * (k - 1) * h_prev
    return out


def _tanh_derivatives(y: torch.Tensor, n: int) -> list[torch.Tensor]:
    """tanh and its derivatives as polynomials in s = tanh(y): p_{k+1}(s) = p_k'(s) (1 - s^2)."""
    s = torch.tanh(y)
    out = [s]
    if n == 0:
        return out
    if n <= 2:
        d1 = 1.0 - s * s
        return [s, d1, -2.0 * s * d1][: n + 1]
    coeffs = [0.0, 1.0]  # p_0(s) = s
    for _ in range(n):
        deriv = [i * coeffs[i] for i in range(1, len(coeffs))]
        nxt = [0.0] * (len(deriv) + 2)
        for i, c in enumerate(deriv):
            nxt[i] += c
            nxt[i + 2] -= c
        coeffs = nxt
        acc = torch.zeros_like(s)
        for c in reversed(coeffs):
            acc = acc * s + c
        out.append(acc)
    return out


def _trig_derivatives(y: torch.Tensor, n: int, shift: int) -> list[torch.Tensor]:
    s, c = torch.sin(y), torch.cos(y)
    cycle = [s, c, -s, -c]
    return [cycle[(k + shift) % 4] for k in range(n + 1)]


def _power_derivatives(y: torch.Tensor, p, n: int) -> list[torch.Tensor]:
    """``[y^p, p y^(p-1), p(p-1) y^(p-2), ...]``: one power and one reciprocal, then products
    (``y^(p-k) = y^p · (1/y)^k``; cheaper forward and backward than a power per order); ``p``
    a number or a tensor of exponents per point."""
    reciprocal = isinstance(p, float) and p == -1.0
    base = y.reciprocal() if reciprocal else y.pow(p)
    if n == 0:
        return [base]
    inv = base if reciprocal else y.reciprocal()
    out, coef, power = [base], 1.0, base
    for k in range(n):
        coef *= p - k
        power = power * inv
        out.append(power * coef if torch.is_tensor(coef) or coef != 0 else torch.zeros_like(y))
    return out
