"""Periodic viscous Burgers ``u_t + u u_x = ν u_xx`` with a moving front (``u0 = sin x + c``).

Two independent solvers:

* :func:`burgers_moving_frame`: Galilean invariance. With ``c`` the mean of ``u0`` over the
  period and ``v0 = u0 − c`` (zero mean, so its potential is periodic and bounded),
  ``u(x, t) = c + v(x − c t, t)`` where ``v`` solves Burgers from ``v0``; ``v`` comes from the
  Cole–Hopf formula (:func:`~pinnlab.reference.burgers.burgers_cole_hopf`). Evaluating the
  Cole–Hopf integral directly with the mean included would put the heat kernel's centre
  ``c t / sqrt(4 ν t)`` (100 for c = 20, ν = 0.01) far outside any Gauss–Hermite rule.
* :func:`burgers_spectral`: Fourier pseudo-spectral in the lab frame, ETDRK4 in time
  (Cox–Matthews, with the Kassam–Trefethen contour integrals), 2/3 de-aliasing; for checks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def burgers_moving_frame(x: np.ndarray, t: np.ndarray, nu: float,
                         u0: Callable[[np.ndarray], np.ndarray], period: tuple[float, float],
                         *, nodes: int = 400, mean_points: int = 4096) -> np.ndarray:
    """``u(x, t)`` (broadcast shapes) for periodic ``u0`` on ``period = (a, b)``."""
    from .burgers import burgers_cole_hopf

    a, b = period
    L = b - a
    grid = a + L * np.arange(mean_points) / mean_points
    c = float(np.mean(u0(grid)))  # exact for trigonometric polynomials of low degree

    def v0(y):
        return u0(y) - c

    x, t = np.broadcast_arrays(np.asarray(x, float), np.asarray(t, float))
    xi = np.mod(x - c * t - a, L) + a  # the solution is periodic: wrap into the period
    return c + burgers_cole_hopf(xi, t, nu, u0=v0, nodes=nodes)


def burgers_spectral(x: np.ndarray, t: np.ndarray, nu: float,
                     u0: Callable[[np.ndarray], np.ndarray], period: tuple[float, float],
                     *, modes: int = 1024, dt: float = 2e-4) -> np.ndarray:
    """Pseudo-spectral ETDRK4 solution at points ``(x, t)``: ``L = -ν k²``, ``N(u) = -(1/2)
    i k F[u²]`` (2/3-dealiased); see :mod:`pinnlab.reference.spectral`."""
    from .spectral import quadratic_flux_solve

    return quadratic_flux_solve(x, t, lambda k: -nu * k**2, 1.0, u0, period, modes, dt)
