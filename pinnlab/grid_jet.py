"""The derivative engine's grid backend: jets of fields sampled on a tensor-product grid.

A generative prior produces whole fields on a grid, not a network the jets can run through.
This backend gives those fields the engine's :class:`~pinnlab.jet.Jet`, so the spec's compiled
equations evaluate on them unchanged (the PDE guidance of a reconstruction reads the same text
``pinnlab solve`` trains on). Per coordinate, one of two linear operators:

* ``"central"``: second-order central differences, ``(u[i+1] − u[i−1]) / 2h`` and
  ``(u[i+1] − 2u[i] + u[i−1]) / h²``, on the interior nodes (every component is then cut to
  the interior along that coordinate);
* ``"sine"``: spectral, from the least-squares projection of ``u`` on ``sin(kπ(x − x₀)/L)``,
  ``k = 1..modes`` (fields that vanish at both ends; a second difference would amplify a
  sampled field's small-scale errors by 1/h²), at every node.

Mixed derivatives compose the operators of their coordinates. Derivatives up to second order
per coordinate.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from .jet import Jet, JetBasis


def sine_operator(x: np.ndarray, order: int, modes: int) -> np.ndarray:
    """The (n, n) matrix of d^order/dx^order through the sine projection (module docstring)."""
    k = np.arange(1, modes + 1)
    w = np.pi * k / (x[-1] - x[0])
    phase = np.outer(x - x[0], w)
    basis = np.sin(phase)
    derivative = (w**order) * (np.sin, np.cos)[order % 2](phase) * (-1) ** (order // 2)
    return derivative @ np.linalg.pinv(basis)


class GridJets:
    """Jets of fields on the grid ``axes`` (name -> nodes, in the fields' axis order) for the
    coordinates ``coords`` (the spec's order), with an operator per coordinate."""

    def __init__(self, axes: Mapping[str, np.ndarray], coords: list[str],
                 operators: Mapping[str, str], modes: int = 8):
        self.names = list(axes)
        self.coords = list(coords)
        self.axes = {k: np.asarray(v, dtype=np.float64) for k, v in axes.items()}
        self.operators = {c: operators[c] for c in coords}
        self.modes = modes
        self._matrices: dict[tuple[str, int], torch.Tensor] = {}

    def interior(self) -> dict[str, np.ndarray]:
        """The nodes the jets are given at, per axis."""
        return {k: v[1:-1] if self.operators.get(k) == "central" else v
                for k, v in self.axes.items()}

    def points(self) -> torch.Tensor:
        """Those nodes as points ``(M, dim)`` in the spec's coordinate order."""
        mesh = np.meshgrid(*self.interior().values(), indexing="ij")
        by_name = dict(zip(self.names, mesh, strict=True))
        return torch.tensor(np.stack([by_name[c].ravel() for c in self.coords], 1))

    def jet(self, u: torch.Tensor, basis: JetBasis) -> Jet:
        """The jet of ``u`` (n, fields, *grid) on ``basis``: parts ``(n·M, fields)``."""
        parts = []
        for a in basis.indices:
            v = u
            for ci in sorted(set(a)):
                v = self._apply(v, self.coords[ci], a.count(ci))
            for k, name in enumerate(self.names):  # the interior along untouched central axes
                if self.operators[name] == "central" and self.coords.index(name) not in a:
                    v = v.narrow(2 + k, 1, v.shape[2 + k] - 2)
            parts.append(v.movedim(1, -1).reshape(-1, u.shape[1]))
        return Jet(parts, basis)

    def _apply(self, v: torch.Tensor, name: str, order: int) -> torch.Tensor:
        dim, nodes, op = 2 + self.names.index(name), self.axes[name], self.operators[name]
        if order > 2:
            raise ValueError(f"the grid backend gives derivatives up to second order in {name}")
        if op == "central":
            h = float(nodes[1] - nodes[0])
            n = v.shape[dim]
            lo, mid, hi = v.narrow(dim, 0, n - 2), v.narrow(dim, 1, n - 2), v.narrow(dim, 2, n - 2)
            return (hi - lo) / (2 * h) if order == 1 else (hi - 2 * mid + lo) / h**2
        key = (name, order)
        if key not in self._matrices:
            self._matrices[key] = torch.tensor(sine_operator(nodes, order, self.modes))
        m = self._matrices[key].to(v)
        return (v.movedim(dim, -1) @ m.T).movedim(-1, dim)
