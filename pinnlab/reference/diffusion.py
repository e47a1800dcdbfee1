"""Diffusion references: the Dirichlet heat equation by sine series, Darcy flow (and Poisson and
Helmholtz problems) by finite differences (the solvers of the generative priors' families).

* ``heat_sine``: ``u_t = kappa u_xx`` on ``[x0, x0 + L]``, ``u = 0`` at both ends, from the spec's
  initial condition ``u0``. Its sine coefficients ``b_k`` (k = 1..M-1) come from ``u0`` at the
  ``M - 1`` interior points ``x_j = x0 + j L / M`` by a type-I discrete sine transform (exact for
  a sine series of fewer than ``M`` modes), and each mode decays exactly:
  ``u = sum_k b_k exp(-kappa (k pi / L)^2 (t - t0)) sin(k pi (x - x0) / L)``.
* ``darcy_fd``: ``-div(a grad u) + c u = f`` on a rectangle, ``u = 0`` on its boundary, on the
  evaluation grid itself: the five-point scheme with face coefficients the arithmetic means
  of ``a`` at the two nodes (second order), solved by sparse LU. ``a``, ``c`` (``reaction``,
  default 0) and ``f`` are expressions (a definition among them may be a family's
  ``gaussian_field``, drawn on the nodes). Poisson ``∇²u = f``: ``a = 1``, source ``-f``;
  Helmholtz ``∇²u + k²u = f``: ``a = 1``, ``reaction = "-k**2"``, source ``-f``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import numpy as np
from pydantic import Field

from ..errors import SpecError
from . import Options, _param, initial_condition, register


def heat_sine(x: np.ndarray, t: np.ndarray, kappa: float, u0: Callable[[np.ndarray], np.ndarray],
              interval: tuple[float, float], t0: float = 0.0, modes: int = 256) -> np.ndarray:
    """The sine-series solution (module docstring) at the points ``(x, t)`` (same shape)."""
    from scipy.fft import dst

    x0, x1 = interval
    length = x1 - x0
    b = dst(u0(x0 + length * np.arange(1, modes) / modes), type=1) / modes  # (M - 1,)
    u = np.zeros(np.broadcast(x, t).shape)
    for k, bk in enumerate(b, start=1):
        w = k * np.pi / length
        u += bk * np.exp(-kappa * w**2 * (t - t0)) * np.sin(w * (x - x0))
    return u


def darcy_matrix(x: np.ndarray, y: np.ndarray, a: np.ndarray, c: np.ndarray | float = 0.0):
    """The five-point matrix ``A`` (scipy CSR, interior nodes in row-major order) of
    ``-div(a grad u) + c u`` with ``u = 0`` on the boundary (module docstring): the face between
    nodes ``p`` and ``q`` adds ``a_pq (u_p - u_q) / h^2`` to row ``p`` (and to row ``q`` when it
    is interior), ``a_pq`` the mean of ``a`` at the two nodes; ``A`` is symmetric."""
    import scipy.sparse as sp

    nx, ny = len(x), len(y)
    hx2, hy2 = (x[1] - x[0]) ** 2, (y[1] - y[0]) ** 2
    ax = 0.5 * (a[1:, :] + a[:-1, :])  # the faces between nodes i and i + 1
    ay = 0.5 * (a[:, 1:] + a[:, :-1])
    w, e = ax[:-1, 1:-1], ax[1:, 1:-1]  # each interior node's four faces, (nx - 2, ny - 2)
    s, n = ay[1:-1, :-1], ay[1:-1, 1:]
    diag = (w + e + s + n) / hx2 if hx2 == hy2 else (w + e) / hx2 + (s + n) / hy2
    diag = diag + np.broadcast_to(c, (nx, ny))[1:-1, 1:-1]
    idx = np.arange((nx - 2) * (ny - 2)).reshape(nx - 2, ny - 2)
    i, j = np.meshgrid(np.arange(nx - 2), np.arange(ny - 2), indexing="ij")
    cols = np.stack([idx, np.roll(idx, 1, 0), np.roll(idx, -1, 0), np.roll(idx, 1, 1),
                     np.roll(idx, -1, 1)], -1)  # the node, then west, east, south, north
    vals = np.stack([diag, -w / hx2, -e / hx2, -s / hy2, -n / hy2], -1)
    inside = np.stack([i >= 0, i > 0, i < nx - 3, j > 0, j < ny - 3], -1)
    rows = np.broadcast_to(idx[..., None], cols.shape)
    return sp.csr_matrix((vals[inside], (rows[inside], cols[inside])), shape=(idx.size,) * 2)


def darcy_fd(x: np.ndarray, y: np.ndarray, a: np.ndarray, f: np.ndarray,
             c: np.ndarray | float = 0.0) -> np.ndarray:
    """``u`` (nx, ny) of ``-div(a grad u) + c u = f``, ``u = 0`` on the boundary, on the uniform
    grid of the axes ``x`` (nx,), ``y`` (ny,); ``a``, ``f``, ``c``: values at the nodes
    (nx, ny) (``c`` may be a number)."""
    from scipy.sparse.linalg import spsolve

    u = np.zeros((len(x), len(y)))
    u[1:-1, 1:-1] = spsolve(darcy_matrix(x, y, a, c), f[1:-1, 1:-1].ravel()).reshape(
        len(x) - 2, len(y) - 2)
    return u


class HeatSineOptions(Options):
    diffusivity: str = "kappa"
    modes: Annotated[int, Field(ge=4, le=2**14)] = 256


class DarcyOptions(Options):
    coefficient: str
    source: str = "1"
    reaction: str = "0"


def _heat_sine(problem, mesh, o: HeatSineOptions):
    if problem.time is None or len(problem.space) != 1:
        raise SpecError("heat_sine needs one space coordinate and time", file=problem.source,
                        key="domain")
    x = problem.space[0]
    return {o.field: heat_sine(mesh[x], mesh[problem.time], _param(problem, o.diffusivity),
                               initial_condition(problem, o.field), problem.domain[x],
                               problem.domain[problem.time][0], o.modes)}


def _darcy(problem, mesh, o: DarcyOptions):
    from .exact import evaluate_expression

    if problem.time is not None or len(problem.domain) != 2:
        raise SpecError("darcy_fd needs a steady 2-D domain", file=problem.source, key="domain")
    cx, cy = problem.coords
    x, y = mesh[cx][:, 0], mesh[cy][0, :]
    a = evaluate_expression(problem, o.coefficient, mesh, "reference.coefficient")
    f = evaluate_expression(problem, o.source, mesh, "reference.source")
    c = evaluate_expression(problem, o.reaction, mesh, "reference.reaction")
    return {o.field: darcy_fd(x, y, a, f, c)}


register("heat_sine", _heat_sine, HeatSineOptions)
register("darcy_fd", _darcy, DarcyOptions)
