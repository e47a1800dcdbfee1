"""Exact solutions and exact mass of the generalized porous medium equation (GPME) benchmarks.

The GPME in one space dimension reads

    u_t - (k(u) u_x)_x = 0,        flux F(u) = -k(u) u_x,

and its integral form is the mass balance  U(t) = ∫_Ω u(t, x) dx = U(0) - ∫_0^t [F]_{∂Ω} ds.
The three members used by ProbConserv (Hansen et al., ICML 2023) all have closed forms:

* diffusion (heat), k constant, x ∈ [0, 2π] periodic, u0 = sin x:
      u = exp(-k t) sin x,                     U(t) = 0;
* porous medium, k(u) = u^m, x ∈ [0, 1], u(0, t) = (m t)^{1/m}, u(x, 0) = 0:
      u = (m (t - x)_+)^{1/m},                 U(t) = m^{1+1/m} t^{1+1/m} / (m + 1)   (t ≤ 1);
* Stefan, k(u) = 1 if u ≥ u* else 0, x ∈ [0, 1], u(0, t) = 1, u(x, 0) = 0:
      u = 1 - c1 erf(x / (2√t)) for x ≤ x*(t) = α√t, u = 0 beyond,
      α = 2 z1 with u* erf(z1) z1 exp(z1²) = (1 - u*)/√π,  c1 = (1 - u*)/erf(α/2),
      U(t) = 2 c1 √(t/π)   (the time integral of the boundary flux c1/√(π t)).

Every function takes numpy arrays ``t`` and ``x`` that broadcast against each other and returns a
float64 array of the broadcast shape. Parameters outside their meaningful range raise
:class:`pinnlab.errors.SpecError`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import erf

from pinnlab.errors import SpecError

__all__ = [
    "diffusion_solution",
    "diffusion_mass",
    "pme_solution",
    "pme_mass",
    "stefan_constants",
    "stefan_front",
    "stefan_solution",
    "stefan_mass",
]


def _as_float(t: np.ndarray | float, x: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(t, dtype=np.float64), np.asarray(x, dtype=np.float64)


# --- diffusion (heat) ---------------------------------------------------------------------------


def diffusion_solution(t: np.ndarray, x: np.ndarray, k: float) -> np.ndarray:
    """u(t, x) = exp(-k t) sin x, the solution of u_t = k u_xx with u(0, x) = sin x (periodic)."""
    if not k > 0:
        raise SpecError(f"diffusivity k must be positive, got {k}", key="parameters.k")
    t, x = _as_float(t, x)
    return np.exp(-k * t) * np.sin(x)


def diffusion_mass(t: np.ndarray | float, k: float) -> np.ndarray:
    """U(t) = ∫_0^{2π} u dx = 0: the periodic boundary carries no net flux and ∫ sin x dx = 0."""
    if not k > 0:
        raise SpecError(f"diffusivity k must be positive, got {k}", key="parameters.k")
    return np.zeros_like(np.asarray(t, dtype=np.float64))


# --- porous medium, k = u^m ---------------------------------------------------------------------


def _check_m(m: float) -> None:
    if not m > 0:
        raise SpecError(f"porous-medium exponent m must be positive, got {m}", key="parameters.m")


def pme_solution(t: np.ndarray, x: np.ndarray, m: float) -> np.ndarray:
    """u(t, x) = (m (t - x)_+)^{1/m}: a front moving at unit speed, x* = t."""
    _check_m(m)
    t, x = _as_float(t, x)
    return (m * np.clip(t - x, 0.0, None)) ** (1.0 / m)


def pme_mass(t: np.ndarray | float, m: float) -> np.ndarray:
    """U(t) = ∫_0^1 u dx = m^{1+1/m} t^{1+1/m} / (m+1), valid while the front is inside (t ≤ 1)."""
    _check_m(m)
    t = np.asarray(t, dtype=np.float64)
    return m ** (1.0 + 1.0 / m) / (m + 1.0) * np.clip(t, 0.0, None) ** (1.0 + 1.0 / m)


# --- Stefan, k = 1[u ≥ u*] ----------------------------------------------------------------------


def stefan_constants(u_star: float) -> tuple[float, float]:
    """Return (α, c1) of the Stefan similarity solution for the melting threshold u* ∈ (0, 1).

    z1 is the unique positive root of u* erf(z) z exp(z²) = (1 - u*)/√π (the left side is
    increasing from 0), α = 2 z1 and c1 = (1 - u*)/erf(α/2), so that u(x*) = u* at the front.
    """
    if not 0.0 < u_star < 1.0:
        raise SpecError(
            f"Stefan threshold u* must lie in (0, 1), got {u_star}", key="parameters.u_star"
        )
    rhs = (1.0 - u_star) / math.sqrt(math.pi)

    def g(z: float) -> float:
        # u* erf(z) z exp(z²) - rhs, evaluated as a log-ratio to stay finite for large z
        return math.log(u_star * math.erf(z) * z) + z * z - math.log(rhs)

    hi = 1.0
    while g(hi) < 0.0:
        hi *= 2.0
    z1 = brentq(g, 1e-12, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps)
    alpha = 2.0 * z1
    return alpha, (1.0 - u_star) / math.erf(z1)


def stefan_front(t: np.ndarray | float, u_star: float) -> np.ndarray:
    """Front position x*(t) = α √t."""
    alpha, _ = stefan_constants(u_star)
    return alpha * np.sqrt(np.clip(np.asarray(t, dtype=np.float64), 0.0, None))


def stefan_solution(t: np.ndarray, x: np.ndarray, u_star: float) -> np.ndarray:
    """u = 1 - c1 erf(x/(2√t)) for x ≤ α√t, else 0 (u(x, 0) = 0 for x > 0, u(0, t) = 1)."""
    alpha, c1 = stefan_constants(u_star)
    t, x = _as_float(t, x)
    t, x = np.broadcast_arrays(t, x)
    u = np.zeros(t.shape, dtype=np.float64)
    pos = t > 0
    eta = np.divide(
        x, 2.0 * np.sqrt(t, where=pos, out=np.ones_like(t)), where=pos, out=np.full_like(t, np.inf)
    )
    inside = pos & (x <= alpha * np.sqrt(np.clip(t, 0.0, None)))
    u[inside] = 1.0 - c1 * erf(eta[inside])
    u[(x <= 0) & ~pos] = 1.0  # boundary value at the corner t = 0, x = 0
    return u


def stefan_mass(t: np.ndarray | float, u_star: float) -> np.ndarray:
    """U(t) = 2 c1 √(t/π), the time integral of the inflow c1/√(π t) through x = 0."""
    _, c1 = stefan_constants(u_star)
    return 2.0 * c1 * np.sqrt(np.clip(np.asarray(t, dtype=np.float64), 0.0, None) / math.pi)


#: each family's parameter, exact solution u(t, x, p) and mass U(t, p)
PARAMETER = {"diffusion": "k", "pme": "m", "stefan": "u_star"}
SOLUTION = {"diffusion": diffusion_solution, "pme": pme_solution, "stefan": stefan_solution}
MASS = {"diffusion": diffusion_mass, "pme": pme_mass, "stefan": stefan_mass}
