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
    """Pseudo-spectral ETDRK4 solution at points ``(x, t)``: the field is stepped to each
    distinct ``t`` (steps of at most ``dt``) and summed exactly at the ``x`` of that time."""
    a, b = period
    L = b - a
    grid = a + L * np.arange(modes) / modes
    k = 2 * np.pi * np.fft.rfftfreq(modes, d=L / modes)
    keep = np.abs(np.fft.rfftfreq(modes, d=1.0 / modes)) < modes / 3  # 2/3 rule
    x, t = np.broadcast_arrays(np.asarray(x, float), np.asarray(t, float))
    out = np.empty(x.shape)
    v = np.fft.rfft(u0(grid))

    def nonlinear(vh):
        u = np.fft.irfft(vh, n=modes)
        return -0.5j * k * np.fft.rfft(u * u) * keep

    def stepper(h):
        lin = -nu * k**2
        E, E2 = np.exp(h * lin), np.exp(h * lin / 2)
        r = np.exp(1j * np.pi * (np.arange(1, 33) - 0.5) / 32)
        LR = h * lin[:, None] + r[None, :]
        Q = h * np.mean(((np.exp(LR / 2) - 1) / LR).real, axis=1)
        f1 = h * np.mean(((-4 - LR + np.exp(LR) * (4 - 3 * LR + LR**2)) / LR**3).real, 1)
        f2 = h * np.mean(((2 + LR + np.exp(LR) * (-2 + LR)) / LR**3).real, 1)
        f3 = h * np.mean(((-4 - 3 * LR - LR**2 + np.exp(LR) * (4 - LR)) / LR**3).real, 1)

        def step(vh):
            Nv = nonlinear(vh)
            a_ = E2 * vh + Q * Nv
            Na = nonlinear(a_)
            b_ = E2 * vh + Q * Na
            Nb = nonlinear(b_)
            c_ = E2 * a_ + Q * (2 * Nb - Nv)
            Nc = nonlinear(c_)
            return E * vh + Nv * f1 + 2 * (Na + Nb) * f2 + Nc * f3

        return step

    now = 0.0
    weight = np.where(np.arange(k.size) == 0, 1.0, 2.0)
    if modes % 2 == 0:
        weight[-1] = 1.0
    for tk in np.unique(t):
        if tk > now:
            n = int(np.ceil((tk - now) / dt))
            step = stepper((tk - now) / n)
            for _ in range(n):
                v = step(v)
            now = tk
        sel = t == tk
        phase = np.exp(1j * k[None, :] * (x[sel][:, None] - a))
        out[sel] = np.real(phase @ (weight * v / modes))
    return out
