"""Where a loss term's points come from: uniform (scrambled Sobol) points in a box, a fixed
grid, or a union of boxes (an L-shaped or multi-block domain), each with optional fixed
coordinates (a face)."""

from __future__ import annotations

import torch


class BoxSampler:
    """Uniform (scrambled Sobol) points in the box, optionally with some coordinates fixed."""

    def __init__(self, domain: dict[str, tuple[float, float]],
                 fixed: dict[str, float] | None = None, *, dtype=None, device=None):
        self.coords = list(domain)
        self.lo = torch.tensor([domain[c][0] for c in self.coords], dtype=dtype, device=device)
        self.hi = torch.tensor([domain[c][1] for c in self.coords], dtype=dtype, device=device)
        self.fixed = {self.coords.index(c): v for c, v in (fixed or {}).items()}
        self.free = [i for i in range(len(self.coords)) if i not in self.fixed]

    def __call__(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``(n, d)`` points; a single point where every coordinate is fixed (a point
        condition of a 1-D problem)."""
        if not self.free:
            x = self.lo.clone()
            for i, v in self.fixed.items():
                x[i] = v
            return x[None]
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        engine = torch.quasirandom.SobolEngine(len(self.free), scramble=True, seed=seed)
        u = engine.draw(n).to(self.lo)
        x = self.lo.expand(n, -1).clone()
        x[:, self.free] = self.lo[self.free] + (self.hi[self.free] - self.lo[self.free]) * u
        for i, v in self.fixed.items():
            x[:, i] = v
        return x


class GridSampler:
    """A fixed uniform tensor grid of about ``n`` points (ends included; the generator is not
    used): collocation that never moves, as in the flame papers."""

    def __init__(self, domain: dict[str, tuple[float, float]], *, dtype=None, device=None):
        self.domain, self.opts = domain, dict(dtype=dtype, device=device)

    def __call__(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return uniform_grid(self.domain, n, **self.opts)


def uniform_grid(domain: dict[str, tuple[float, float]], n: int, *, dtype=None,
                 device=None) -> torch.Tensor:
    """About ``n`` points ``(M, d)`` on a uniform tensor grid of the box (ends included)."""
    m = max(2, round(n ** (1.0 / len(domain))))
    axes = [torch.linspace(lo, hi, m, dtype=dtype, device=device) for lo, hi in domain.values()]
    return torch.stack([g.reshape(-1) for g in torch.meshgrid(*axes, indexing="ij")], 1)


class UnionSampler:
    """Uniform points on a union of boxes (faces when ``fixed`` pins a coordinate): each box
    gets a share of the points proportional to its measure in the free coordinates."""

    def __init__(self, boxes: list[dict], fixed: dict[str, float] | None = None, *, dtype=None,
                 device=None):
        fixed = fixed or {}
        self.samplers = [BoxSampler(b, fixed, dtype=dtype, device=device) for b in boxes]
        sizes = []
        for b in boxes:
            m = 1.0
            for c, (lo, hi) in b.items():
                m *= 1.0 if c in fixed else hi - lo
            sizes.append(m)
        total = sum(sizes)
        self.shares = [s / total for s in sizes]

    def __call__(self, n: int, generator: torch.Generator) -> torch.Tensor:
        if len(self.samplers) == 1:
            return self.samplers[0](n, generator)
        counts = [int(n * s) for s in self.shares]
        for i in sorted(range(len(counts)), key=lambda i: n * self.shares[i] - counts[i],
                        reverse=True)[: n - sum(counts)]:
            counts[i] += 1
        return torch.cat([s(c, generator) for s, c in zip(self.samplers, counts) if c])
