"""Single-step exponential integrators: DPM-Solver-1/2/3, DPM-Solver-fast, adaptive
DPM-Solver-12/23,
DPM-Solver++(2S).

Written in the schedule-free frame (y = x/alpha, s = sigma_tilde = e^-lambda, h = lambda_t -
lambda_s):

* DPM-Solver-1 (= DDIM):  y_t = y_s - (s_s - s_t) eps_s.
* DPM-Solver-2 (intermediate at lambda_s + r1 h):
      u  = y_s - s_1 (e^{r1 h} - 1) eps_s
      y_t = y_s - (s_s - s_t) [eps_s + (eps(u) - eps_s) / (2 r1)].
* DPM-Solver-3 (r1 = 1/3, r2 = 2/3), with D1 = eps(u1) - eps_s, D2 = eps(u2) - eps_s:
      u1 = y_s - s_1 (e^{r1 h} - 1) eps_s
      u2 = y_s - s_2 (e^{r2 h} - 1) eps_s - s_2 (r2/r1) ((e^{r2 h} - 1)/(r2 h) - 1) D1
      y_t = y_s - (s_s - s_t) eps_s - (s_t/r2) ((e^h - 1)/h - 1) D2.
* DPM-Solver++(2S) (data prediction, r = 1/2), rho = e^{-h}:
      u = e^{-r h} y_s + (1 - e^{-r h}) x0_s,  y_t = rho y_s + (1 - rho) [(1 - 1/(2r)) x0_s +
      x0(u)/(2r)].

A step into zero noise (h = infinity) is taken by the Runge-Kutta step of the same order in
sigma_tilde
(:func:`pinnlab.generative.rk.final_single_step`), so the global order is kept down to sigma = 0.
"""

from __future__ import annotations

import math

import torch

from .rk import final_single_step


def dpm_solver_step(den, y: torch.Tensor, s: float, t: float, order: int, *,
                    r1: float | None = None, first=None) -> torch.Tensor:
    """One DPM-Solver-``order`` step from noise level s to t > 0 (noise prediction). ``first`` =
    (eps_s, x0_s) reuses the evaluation at the start."""
    eps_s, _ = first if first is not None else den(y, s)
    h = math.log(s / t)
    if order == 1:
        return y - (s - t) * eps_s
    if order == 2:
        r1 = 0.5 if r1 is None else r1
        s1 = s * math.exp(-r1 * h)
        u = y - s1 * math.expm1(r1 * h) * eps_s
        eps1, _ = den(u, s1)
        return y - (s - t) * (eps_s + (eps1 - eps_s) / (2 * r1))
    return _embedded_23(den, y, s, t, (eps_s, None))[1]


def dpmpp_2s_step(den, y: torch.Tensor, s: float, t: float, r: float = 0.5) -> torch.Tensor:
    """One DPM-Solver++(2S) step from s to t > 0 (data prediction)."""
    _, x0_s = den(y, s)
    h = math.log(s / t)
    s1 = s * math.exp(-r * h)
    u = math.exp(-r * h) * y - math.expm1(-r * h) * x0_s
    _, x0_1 = den(u, s1)
    rho = math.exp(-h)
    return rho * y - math.expm1(-h) * ((1 - 1 / (2 * r)) * x0_s + x0_1 / (2 * r))


def run_singlestep(den, y: torch.Tensor, sigmas, orders: list[int],
                   kind: str = "dpm") -> torch.Tensor:
    """Integrate over ``sigmas`` (ending at 0) with per-interval ``orders`` (len(sigmas) - 1
    entries).
    ``kind`` = "dpm" (DPM-Solver-k, noise prediction) or "dpmpp" (DPM-Solver++(2S); orders 1 or
    2)."""
    for i, k in enumerate(orders):
        s, t = float(sigmas[i]), float(sigmas[i + 1])
        if t == 0.0:
            y = final_single_step(den, y, s, k)
        elif kind == "dpmpp" and k == 2:
            y = dpmpp_2s_step(den, y, s, t)
        else:
            y = dpm_solver_step(den, y, s, t, k)
    return y


def fast_orders(nfe: int) -> list[int]:
    """DPM-Solver-fast: orders of the M = nfe//3 + 1 steps that spend exactly ``nfe`` evaluations
    (3,...,3,2,1 when nfe % 3 == 0; 3,...,3,1 when 1; 3,...,3,2 when 2)."""
    m = nfe // 3 + 1
    if nfe % 3 == 0:
        return [3] * (m - 2) + [2, 1]
    return [3] * (m - 1) + [nfe % 3]


def padded_orders(nfe: int, order: int) -> list[int]:
    """Steps of a fixed ``order`` that spend exactly ``nfe``: the remainder nfe % order is one
    lower-order
    step, placed first (at high noise, where the trajectory is nearly straight)."""
    orders = [order] * (nfe // order)
    return ([nfe % order] if nfe % order else []) + orders


def run_adaptive(den, y: torch.Tensor, sigma_start: float, sigma_min: float, order: int = 3, *,
                 rtol: float = 0.05, atol: float = 0.0078, h_init: float = 0.05, theta: float = 0.9,
                 max_nfe: int = 100_000) -> torch.Tensor:
    """Adaptive DPM-Solver-12 (order=2) or -23 (order=3) in log-SNR, from sigma_start to sigma_min,
    then a
    step of the same order to zero noise. Embedded error E = max over samples of the RMS of
    (y_high - y_low)/max(atol, rtol max(|y_low|, |y_prev|)); accept if E <= 1; h <- theta h
    E^(-1/order).
    The evaluation at an unchanged state is reused after a rejected step."""
    lam_s, lam_end = -math.log(sigma_start), -math.log(sigma_min)
    s, y_prev, h = sigma_start, y, h_init
    first = None
    while lam_end - lam_s > 1e-9:
        if den.nfe > max_nfe:
            from ..errors import DivergenceError

            raise DivergenceError(f"adaptive DPM-Solver exceeded {max_nfe} evaluations", key="rtol")
        t = math.exp(-(lam_s + h))
        if first is None:
            first = den(y, s)
        if order == 2:
            y_low = dpm_solver_step(den, y, s, t, 1, first=first)
            y_high = dpm_solver_step(den, y, s, t, 2, first=first)
        else:
            y_low, y_high = _embedded_23(den, y, s, t, first)
        scale = torch.maximum(y_low.abs(), y_prev.abs()) * rtol
        scale = torch.clamp(scale, min=atol)
        err = ((y_high - y_low) / scale).pow(2).reshape(y.shape[0], -1).mean(1).sqrt().max().item()
        if err <= 1.0:
            y_prev, y, s, lam_s, first = y_low, y_high, t, lam_s + h, None
        h = min(theta * h * max(err, 1e-10) ** (-1.0 / order), lam_end - lam_s)
    return final_single_step(den, y, s, order)


def _embedded_23(den, y, s, t, first):
    """DPM-Solver-2 with r1 = 1/3 and DPM-Solver-3 sharing the evaluations at s and s1 (3 NFE)."""
    eps_s = first[0]
    h = math.log(s / t)
    r1, r2 = 1 / 3, 2 / 3
    s1, s2 = s * math.exp(-r1 * h), s * math.exp(-r2 * h)
    u1 = y - s1 * math.expm1(r1 * h) * eps_s
    d1 = den(u1, s1)[0] - eps_s
    y_low = y - (s - t) * (eps_s + d1 / (2 * r1))
    u2 = (y - s2 * math.expm1(r2 * h) * eps_s
          - s2 * (r2 / r1) * (math.expm1(r2 * h) / (r2 * h) - 1.0) * d1)
    d2 = den(u2, s2)[0] - eps_s
    y_high = y - (s - t) * eps_s - (t / r2) * (math.expm1(h) / h - 1.0) * d2
    return y_low, y_high
