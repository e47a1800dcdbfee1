"""Numerical assertions for the conservation package (used by its tests and benchmark).

* :func:`gpme_fd_residual` — the GPME residual u_t - (k(u) u_x)_x of a closed-form field by
  second-order central differences in flux form;
* :func:`assert_residual_vanishes` — the finite-difference residual of an exact solution
  shrinks like h² (so it vanishes in the limit, not merely "is small" at one step).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Field = Callable[[np.ndarray, np.ndarray], np.ndarray]
Conductivity = Callable[[np.ndarray], np.ndarray]


def gpme_fd_residual(
    u: Field, k: Conductivity, t: np.ndarray, x: np.ndarray, h: float
) -> np.ndarray:
    """Residual u_t - (k(u) u_x)_x at (t, x) by central differences of step h in t and x.

    The flux is differenced in conservative form,
    (k(u_{i+1/2}) (u_{i+1} - u_i) - k(u_{i-1/2}) (u_i - u_{i-1})) / h², with u_{i±1/2} the
    midpoint values, so the truncation error is O(h²) for a smooth solution.
    """
    u_t = (u(t + h, x) - u(t - h, x)) / (2 * h)
    u0, up, um = u(t, x), u(t, x + h), u(t, x - h)
    k_p, k_m = k(u(t, x + h / 2)), k(u(t, x - h / 2))
    flux_div = (k_p * (up - u0) - k_m * (u0 - um)) / h**2
    return u_t - flux_div


def assert_residual_vanishes(
    u: Field, k: Conductivity, t: np.ndarray, x: np.ndarray, h: float = 1e-3, order: float = 2.0
) -> None:
    """Assert that the FD residual of ``u`` at step h is small and drops at least like h^order.

    Compares max |residual| at steps h and h/2: the ratio must be ≥ 2^order · 0.8 unless the
    residual at h/2 is already at the float64 round-off level of the differences.
    """
    r1 = np.max(np.abs(gpme_fd_residual(u, k, t, x, h)))
    r2 = np.max(np.abs(gpme_fd_residual(u, k, t, x, h / 2)))
    scale = np.max(np.abs(u(t, x))) + 1.0
    roundoff = 1e-14 * scale / (h / 2) ** 2
    assert r2 < 1e-3 * scale or r2 < 10 * roundoff, f"FD residual too large: {r2:.3e} at h={h / 2}"
    if r2 > 10 * roundoff:
        assert r1 / r2 >= 0.8 * 2**order, (
            f"residual does not converge at order {order}: {r1:.3e} -> {r2:.3e}"
        )
