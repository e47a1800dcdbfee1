"""Linear convection and convection–diffusion on a periodic interval.

``u_t + beta u_x = nu u_xx`` on ``[a, a + L)`` with periodic boundary conditions.

* ``nu = 0``: the exact solution ``u(x, t) = u0(x - beta t)`` (argument wrapped into the period).
* ``nu > 0``: spectral solution. With ``u0 = Σ_k c_k exp(i k' (x - a))``, ``k' = 2πk/L``, each
  Fourier mode evolves as ``c_k exp(-(i beta k' + nu k'^2) t)``; the coefficients come from an FFT
  of ``u0`` on a fine uniform grid and the field is summed exactly at the requested points.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def convection_exact(x: np.ndarray, t: np.ndarray, beta: float,
                     u0: Callable[[np.ndarray], np.ndarray], period: tuple[float, float]
                     ) -> np.ndarray:
    """``u0(x - beta t)`` wrapped into ``period = (a, a + L)``; shapes broadcast."""
    a, b = period
    shifted = np.mod(np.asarray(x, float) - beta * np.asarray(t, float) - a, b - a) + a
    return u0(shifted)


def convection_diffusion_spectral(x: np.ndarray, t: np.ndarray, beta: float, nu: float,
                                  u0: Callable[[np.ndarray], np.ndarray],
                                  period: tuple[float, float], modes: int = 1024) -> np.ndarray:
    """Spectral solution of ``u_t + beta u_x = nu u_xx`` (periodic), exact in time."""
    a, b = period
    L = b - a
    grid = a + L * np.arange(modes) / modes
    c = np.fft.rfft(u0(grid)) / modes
    k = 2 * np.pi * np.arange(c.size) / L
    x, t = np.broadcast_arrays(np.asarray(x, float), np.asarray(t, float))
    out = np.empty(x.shape)
    weight = np.where(np.arange(c.size) == 0, 1.0, 2.0)
    if modes % 2 == 0:
        weight[-1] = 1.0
    fx, ft, fo = x.ravel(), t.ravel(), out.ravel()
    for i0 in range(0, fx.size, 2048):
        xs, ts = fx[i0:i0 + 2048, None], ft[i0:i0 + 2048, None]
        phase = np.exp(1j * k * (xs - a) - (1j * beta * k + nu * k**2) * ts)
        fo[i0:i0 + 2048] = np.real(phase @ (weight * c))
    return out
