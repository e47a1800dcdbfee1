"""Closed-form references and a fourth-order Poisson solver.

* ``exact``: ``[reference] solver = "exact"`` with one expression per field (``u = "sin(x -
  beta*t)"``) in the coordinates and the (known) parameters.
* ``poisson_fd``: ``Δu = f`` on a rectangle with ``u = 0`` on its boundary; the five-point
  Laplacian on ``n`` and ``2n`` intervals per side (sparse LU), combined by Richardson
  extrapolation ``(4 u_{h/2} − u_h)/3`` to fourth order, then interpolated (cubic) to the mesh.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import SpecError
from ..expr import Symbol


def _params(problem) -> dict:
    out = {}
    for k, p in problem.parameters.items():
        if p.value is None:
            raise SpecError(f"parameter {k!r} is unknown; the exact reference needs its value",
                            file=problem.source, key="reference")
        out[Symbol("param", k)] = torch.tensor(p.value, dtype=torch.float64)
    return out


def evaluate_expression(problem, text: str, mesh: dict[str, np.ndarray], key: str) -> np.ndarray:
    """``text`` (coordinates and parameters only) on ``mesh``."""
    expr = problem.expression(text, key, with_fields=False)
    env = {**_params(problem),
           **{Symbol("coord", c): torch.as_tensor(mesh[c], dtype=torch.float64)
              for c in problem.coords}}
    out = expr.evaluate(env)
    shape = next(iter(mesh.values())).shape
    return np.broadcast_to(np.asarray(torch.as_tensor(out), dtype=float), shape).copy()


def exact(problem, mesh, **fields) -> dict[str, np.ndarray]:
    missing = [f for f in problem.fields if f not in fields]
    if missing:
        raise SpecError(f"give the exact solution of {missing[0]!r} as [reference] "
                        f"{missing[0]} = \"...\"", file=problem.source, key="reference")
    return {f: evaluate_expression(problem, str(fields[f]), mesh, f"reference.{f}")
            for f in problem.fields}


def _poisson_grid(problem, source: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Δu = source`` on the ``(n + 1)²`` grid by the five-point scheme (``darcy_fd``, a = 1)."""
    from .diffusion import darcy_fd

    (cx, (x0, x1)), (cy, (y0, y1)) = problem.domain.items()
    x, y = np.linspace(x0, x1, n + 1), np.linspace(y0, y1, n + 1)
    mesh = dict(zip((cx, cy), np.meshgrid(x, y, indexing="ij")))
    f = evaluate_expression(problem, source, mesh, "reference.source")
    return x, y, darcy_fd(x, y, np.ones_like(f), -f)


def poisson_fd(problem, mesh, *, source: str, field: str = "u", n: int = 256
               ) -> dict[str, np.ndarray]:
    """``Δu = source`` with ``u = 0`` on the boundary of a 2-D rectangle (see module doc)."""
    from scipy.interpolate import RectBivariateSpline

    if len(problem.domain) != 2:
        raise SpecError("poisson_fd needs a 2-D domain", file=problem.source, key="domain")
    x, y, coarse = _poisson_grid(problem, source, int(n))
    xf, yf, fine = _poisson_grid(problem, source, 2 * int(n))
    u = (4.0 * fine[::2, ::2] - coarse) / 3.0
    cx, cy = problem.coords
    spline = RectBivariateSpline(x, y, u, kx=3, ky=3)
    return {field: spline.ev(mesh[cx], mesh[cy])}
