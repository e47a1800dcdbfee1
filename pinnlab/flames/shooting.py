"""Reference solution of Case 1 by shooting on the flame speed s_L.

For a trial s_L the energy equation is marched from the inlet as the first-order system

    g' = (ρ_in s_L c_p g − q_F ω(T)) / λ,   T' = g,   T(0) = T_in, g(0) = (dT/dx)(0),

with the semi-implicit Euler step g_i = g_{i−1} + Δx g'(T_{i−1}, g_{i−1}), T_i = T_{i−1} + Δx g_i on
``n_points`` uniform nodes of [0, L]. A trial that turns back (g < 0, "flashback") has s_L too
small; one that overshoots T_max ("blow-out") has s_L too large. Bisection on [s_lo, s_hi] brackets
the eigenvalue until the bracket is narrower than ``tol``; the lower end is returned (it is the
largest speed known to flash back), and the profile of the last trial, frozen after the node where
it left the admissible set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from .simple import R_UNIVERSAL, SimpleFlame


@dataclass
class ShootingSolution:
    """Flame speed and profiles on the marching grid (arrays of shape (n_points,))."""

    s_L: float
    x: np.ndarray
    T: np.ndarray
    u: np.ndarray
    rho: np.ndarray
    Y_F: np.ndarray
    omega: np.ndarray
    iterations: int


def _march(flame: SimpleFlame, s_L: float, n_points: int) -> tuple[int, np.ndarray, int]:
    """One trial → (verdict, T, last valid index); verdict −1 flashback, +1 blow-out, 0 ok."""
    dx = flame.length / (n_points - 1)
    Rg, T_in, T_max = flame.gas_constant, flame.T_in, flame.T_max
    rho_in, Y_in, nu = flame.rho_in, flame.Y_F_in, flame.reaction_order
    cp, qF, lam = flame.cp, flame.heat_of_reaction, flame.conductivity
    A, Ea = flame.pre_exponential, flame.activation_energy
    c = s_L + Rg * T_in / s_L
    k_conv = dx * rho_in * cp * s_L / lam
    k_heat = dx * qF / lam
    T = np.empty(n_points)
    T[0] = t = T_in
    g = flame.grad_T0

    def rate(temp: float) -> float:
        u = 0.5 * (c - math.sqrt(c * c - 4.0 * Rg * temp))
        Y = max(Y_in + cp * (T_in - temp) / qF, 0.0)
        return A * math.exp(-Ea / (R_UNIVERSAL * temp)) * (rho_in * s_L / u * Y) ** nu

    w = rate(t)
    for i in range(1, n_points):
        g = g + k_conv * g - k_heat * w
        t = t + dx * g
        if g < 0.0:
            T[i:] = T[i - 1]
            return -1, T, i - 1
        if t > T_max:
            T[i:] = T[i - 1]
            return 1, T, i - 1
        T[i] = t
        w = rate(t)
    return 0, T, n_points - 1


def shoot_flame_speed(flame: SimpleFlame, n_points: int = 10_000, s_lo: float = 0.0,
                      s_hi: float = 1.0, tol: float = 1e-16, max_iter: int = 200
                      ) -> ShootingSolution:
    """Flame speed s_L [m/s] and profiles of ``flame`` by bisection (see the module docstring).

    Raises:
        SpecError: the bracket is invalid, or the flame does not settle inside it.
    """
    if not (0.0 <= s_lo < s_hi):
        raise SpecError(f"invalid s_L bracket [{s_lo}, {s_hi}]", key="s_L")
    if n_points < 10:
        raise SpecError(f"n_points must be at least 10, got {n_points}", key="n_points")
    lo, hi = s_lo, s_hi
    iterations = 0
    T = np.full(n_points, flame.T_in)
    verdict, mid = 1, 0.5 * (lo + hi)
    while iterations < max_iter:
        iterations += 1
        mid = 0.5 * (lo + hi)
        if mid <= 0.0:
            raise SpecError("s_L bracket collapsed to zero", key="s_L")
        verdict, T, _ = _march(flame, mid, n_points)
        if verdict < 0:
            lo = mid
        elif verdict > 0:
            hi = mid
        if verdict == 0 or hi - lo < tol or mid in (lo, hi) and hi - lo <= 4 * math.ulp(mid):
            break
    if lo <= s_lo or hi >= s_hi:
        raise SpecError(f"no flame speed inside [{s_lo}, {s_hi}] m/s (bisection ended at "
                        f"[{lo:.6g}, {hi:.6g}])", key="s_L")
    s_L = lo if verdict != 0 else mid
    x = np.linspace(0.0, flame.length, n_points)
    return ShootingSolution(
        s_L=s_L, x=x, T=T, u=flame.velocity(T, s_L), rho=flame.density(T, s_L),
        Y_F=flame.fuel_fraction(T), omega=flame.reaction_rate(T, s_L), iterations=iterations)
