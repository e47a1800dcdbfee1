"""Explicit Runge-Kutta steps of the probability-flow ODE in one of two variables.

* variable "sigma" (DDIM / EDM frame): state y = x/alpha, time sigma_tilde, dy/dsigma = eps_hat(y,
  sigma).
* variable "flow" (rectified-flow frame): state z = y/(1 + sigma) = (1 - s) y, time s = sigma/(1 +
  sigma),
  dz/ds = v = eps_hat - x0_hat.

Both reach zero noise at a finite time, so these steps integrate to sigma = 0 without an infinite
log-SNR
step. Methods (Butcher tableaux with nodes that never touch the end of the step except Heun, whose
last step to
zero noise is Euler as in EDM):

* Euler (order 1), explicit midpoint (order 2; RF-Solver-2 in the flow variable), Heun / trapezoid
  (order 2),
  Heun's third-order method with nodes 0, 1/3, 2/3 and weights 1/4, 0, 3/4 (order 3), classical RK4.

All functions take the :class:`~pinnlab.generative.denoiser.Denoiser` ``den``, the state y (batch,
*field) and
two noise levels sigma_s > sigma_t >= 0, and return y at sigma_t.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def tau_of_sigma(sigma: float, variable: str) -> float:
    return sigma if variable == "sigma" else sigma / (1.0 + sigma)


def sigma_of_tau(tau: float, variable: str) -> float:
    return tau if variable == "sigma" else tau / (1.0 - tau)


def to_state(y: torch.Tensor, sigma: float, variable: str) -> torch.Tensor:
    return y if variable == "sigma" else y / (1.0 + sigma)


def from_state(z: torch.Tensor, sigma: float, variable: str) -> torch.Tensor:
    return z if variable == "sigma" else z * (1.0 + sigma)


def drift(den, z: torch.Tensor, tau: float, variable: str) -> torch.Tensor:
    """dz/dtau at (z, tau): eps_hat (sigma variable) or eps_hat - x0_hat (flow variable). One
    NFE."""
    sigma = sigma_of_tau(tau, variable)
    eps, x0 = den(from_state(z, sigma, variable), sigma)
    return eps if variable == "sigma" else eps - x0


# Butcher tableaux (c, a, b) of the explicit methods used here
TABLEAUX = {
    "euler": ([0.0], [[]], [1.0]),
    "midpoint": ([0.0, 0.5], [[], [0.5]], [0.0, 1.0]),
    "heun": ([0.0, 1.0], [[], [1.0]], [0.5, 0.5]),
    "heun3": ([0.0, 1 / 3, 2 / 3], [[], [1 / 3], [0.0, 2 / 3]], [0.25, 0.0, 0.75]),
    "rk4": ([0.0, 0.5, 0.5, 1.0], [[], [0.5], [0.0, 0.5], [0.0, 0.0, 1.0]],
            [1 / 6, 1 / 3, 1 / 3, 1 / 6]),
}


def rk(fun: Callable, z: tuple, t0: float, t1: float, tableau: str,
       k0: tuple | None = None) -> tuple:
    """One explicit RK step (``TABLEAUX[tableau]``) of dz/dt = fun(z, t) from t0 to t1, for a
    state z that is a tuple of tensors; ``k0`` reuses a first-stage slope."""
    c, a, b = TABLEAUX[tableau]
    h = t1 - t0
    ks: list[tuple] = []
    for i, ci in enumerate(c):
        if i == 0 and k0 is not None:
            ks.append(k0)
            continue
        zi = z
        for aij, kj in zip(a[i], ks, strict=True):
            if aij:
                zi = tuple(u + (h * aij) * k for u, k in zip(zi, kj, strict=True))
        ks.append(fun(zi, t0 + ci * h))
    for bi, ki in zip(b, ks, strict=True):
        if bi:
            z = tuple(u + (h * bi) * k for u, k in zip(z, ki, strict=True))
    return z


def rk_step(den, y: torch.Tensor, sigma_s: float, sigma_t: float, tableau: str, variable: str,
            k0: torch.Tensor | None = None) -> torch.Tensor:
    """One explicit RK step from sigma_s to sigma_t in ``variable``; ``k0`` reuses a first-stage
    drift."""
    (z,) = rk(lambda s, t: (drift(den, s[0], t, variable),), (to_state(y, sigma_s, variable),),
              tau_of_sigma(sigma_s, variable), tau_of_sigma(sigma_t, variable), tableau,
              None if k0 is None else (k0,))
    return from_state(z, sigma_t, variable)


def final_single_step(den, y: torch.Tensor, sigma_s: float, order: int) -> torch.Tensor:
    """Step from sigma_s to zero noise with ``order`` evaluations (Euler, midpoint, Heun-3 in
    sigma)."""
    tableau = {1: "euler", 2: "midpoint", 3: "heun3"}[order]
    return rk_step(den, y, sigma_s, 0.0, tableau, "sigma")


def run_rk(den, y: torch.Tensor, sigmas, tableau: str, variable: str,
           first_euler: bool = False) -> torch.Tensor:
    """Integrate over the grid ``sigmas`` with one tableau. Heun's step into zero noise is Euler
    (its
    second stage would evaluate the model at zero noise). ``first_euler`` makes the first step Euler
    (used to spend an odd NFE budget exactly)."""
    n = len(sigmas) - 1
    for i in range(n):
        s, t = float(sigmas[i]), float(sigmas[i + 1])
        tab = tableau
        if (tableau == "heun" and t == 0.0) or (first_euler and i == 0):
            tab = "euler"
        y = rk_step(den, y, s, t, tab, variable)
    return y
