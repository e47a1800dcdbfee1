"""Multistep samplers (one model evaluation per step): DPM-Solver++(2M/3M), UniPC, DEIS, PLMS, PNDM.

Frame: y = x/alpha, s = sigma_tilde = e^-lambda; m_i = x0_hat at the i-th evaluation, h = lambda_t
- lambda_s0,
rho = e^-h, phi1 = expm1(-h).

* DPM-Solver++(2M):  y_t = rho y - phi1 m0 - phi1/2 (m0 - m1)/r0,  r0 = h0/h.
* DPM-Solver++(3M):  with D1_0 = (m0 - m1)/r0, D1_1 = (m1 - m2)/r1, D1 = D1_0 + r0/(r0 + r1)(D1_0 -
  D1_1)
  ~ h x0', D2 = 2 (D1_0 - D1_1)/(r0 + r1) ~ h^2 x0'', phi2 = phi1/h + 1, phi3 = phi2/h - 1/2:
  y_t = rho y - phi1 m0 + phi2 D1 - phi3 D2  (the Taylor term int_0^h e^-(h-u) u^2/2 du x0'' = -h^2
  phi3 x0'').
  Note: the reference implementations (dpm-solver, diffusers 0.42) use D2 without the factor 2,
  which makes
  the step locally O(h^3), i.e. second order; ``tests/generative`` checks the local order on a
  closed-form
  Gaussian trajectory.
* UniPC (bh2, data prediction): UniP-p predictor and the UniC corrector that reuses the next
  evaluation
  (order p + 1 at no extra NFE); coefficients from the linear system R rho = b of the UniPC paper.
* DEIS (rho-AB): the exponential integrator in rho = sigma_tilde, y_t = y_s + int_s^t P(sigma)
  dsigma with P the
  Lagrange polynomial through the last k noise predictions (variable-step Adams-Bashforth in
  sigma_tilde).
* PLMS: DDIM transfer y_t = y_s + (s_t - s_s) eps' with eps' = (55 e0 - 59 e1 + 37 e2 - 9 e3)/24
  (lower
  Adams-Bashforth coefficients while the history fills). PNDM: three pseudo-RK4 warm-up steps (4
  NFE each),
  then PLMS.

The interval into zero noise (lambda = infinity) is always taken by variable-step Adams-Bashforth in
sigma_tilde through the last k noise predictions, which keeps the local error O(h^(k+1)).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .rk import rk_step


def ab_weights(nodes, a: float, b: float) -> np.ndarray:
    """w with int_a^b P(x) dx = sum_j w_j f_j for the Lagrange polynomial P through (nodes_j,
    f_j)."""
    nodes = np.asarray(nodes, dtype=float)
    scale = max(abs(b - a), 1e-300)
    u = (nodes - a) / scale  # integrate over u in [0, sign] for conditioning
    ub = (b - a) / scale
    w = np.empty(len(nodes))
    for j in range(len(nodes)):
        others = np.delete(u, j)
        poly = np.poly1d([1.0])
        if len(others):
            poly = np.poly1d(others, r=True) / np.prod(u[j] - others)
        integ = poly.integ()
        w[j] = (integ(ub) - integ(0.0)) * scale
    return w


def ab_step(y: torch.Tensor, s: float, t: float, hist: list, k: int) -> torch.Tensor:
    """Adams-Bashforth in sigma_tilde through the last k entries (sigma, eps, x0) of ``hist``."""
    recent = hist[-k:]
    w = ab_weights([h[0] for h in recent], s, t)
    for wj, entry in zip(w, recent, strict=True):
        y = y + float(wj) * entry[1]
    return y


def _lams(hist, k):
    return [-math.log(h[0]) for h in hist[-k:]][::-1]  # most recent first


def dpmpp_multistep_step(y, s, t, hist, k):
    """DPM-Solver++ multistep step of order k (1, 2, 3) from s (= hist[-1][0]) to t > 0."""
    h = math.log(s / t)
    phi1 = math.expm1(-h)
    m = [e[2] for e in hist[-k:]][::-1]
    y_t = math.exp(-h) * y - phi1 * m[0]
    if k == 1:
        return y_t
    lam = _lams(hist, k)
    r0 = (lam[0] - lam[1]) / h
    d1_0 = (m[0] - m[1]) / r0
    if k == 2:
        return y_t - 0.5 * phi1 * d1_0
    r1 = (lam[1] - lam[2]) / h
    d1_1 = (m[1] - m[2]) / r1
    d1 = d1_0 + r0 / (r0 + r1) * (d1_0 - d1_1)
    d2 = 2.0 * (d1_0 - d1_1) / (r0 + r1)  # ~ h^2 x0'' (the Taylor term's own normalisation)
    phi2 = phi1 / h + 1.0
    phi3 = phi2 / h - 0.5
    return y_t + phi2 * d1 - phi3 * d2


def _unipc_coefficients(hist, h, k):
    """UniPC bh2 system: returns (rks, D1s, R, b, B_h, phi1) for order k from the history."""
    lam = _lams(hist, k)
    m = [e[2] for e in hist[-k:]][::-1]
    rks, d1s = [], []
    for i in range(1, k):
        rk = (lam[i] - lam[0]) / h
        rks.append(rk)
        d1s.append((m[i] - m[0]) / rk)
    rks.append(1.0)
    hh = -h
    phi1 = math.expm1(hh)
    h_phi_k = phi1 / hh - 1.0
    fact = 1
    b_h = math.expm1(hh)
    rows, rhs = [], []
    for i in range(1, k + 1):
        rows.append(np.asarray(rks) ** (i - 1))
        rhs.append(h_phi_k * fact / b_h)
        fact *= i + 1
        h_phi_k = h_phi_k / hh - 1.0 / fact
    return d1s, np.stack(rows), np.asarray(rhs), b_h, phi1


def unipc_predict(y, s, t, hist, k):
    """UniP-k predictor from s (= hist[-1][0]) to t > 0; returns (prediction, base) for the
    corrector."""
    h = math.log(s / t)
    d1s, big_r, b, b_h, phi1 = _unipc_coefficients(hist, h, k)
    base = math.exp(-h) * y - phi1 * hist[-1][2]
    if k == 1:
        return base
    rhos = [0.5] if k == 2 else np.linalg.solve(big_r[:-1, :-1], b[:-1])
    return base - b_h * sum(float(r) * d for r, d in zip(rhos, d1s, strict=True))


def unipc_correct(y_s, s, t, hist, k, m_t):
    """UniC-k corrector of the step s -> t using the evaluation m_t (x0_hat at the predicted
    point)."""
    h = math.log(s / t)
    d1s, big_r, b, b_h, phi1 = _unipc_coefficients(hist, h, k)
    base = math.exp(-h) * y_s - phi1 * hist[-1][2]
    rhos = [0.5] if k == 1 else np.linalg.solve(big_r, b)
    corr = sum(float(r) * d for r, d in zip(rhos[:-1], d1s, strict=True)) if k > 1 else 0.0
    return base - b_h * (corr + float(rhos[-1]) * (m_t - hist[-1][2]))


PLMS_COEFFS = {1: [1.0], 2: [1.5, -0.5], 3: [23 / 12, -16 / 12, 5 / 12],
               4: [55 / 24, -59 / 24, 37 / 24, -9 / 24]}


def run_multistep(den, y: torch.Tensor, sigmas, method: str, order: int = 3,
                  warmup_rk: int = 0) -> torch.Tensor:
    """Integrate over ``sigmas`` (ending at 0) with one evaluation per step.

    ``method`` in {"dpmpp", "unipc", "deis", "plms"}; ``order`` is the predictor order (warm-up
    uses lower
    orders while the history fills); ``warmup_rk`` pseudo-RK4 steps first (PNDM: 3).
    UniPC's global order is order + 1 (corrector), so its final Adams-Bashforth step uses order + 1
    nodes.
    """
    hist: list[tuple[float, torch.Tensor, torch.Tensor]] = []
    n = len(sigmas) - 1
    y_prev, k_prev = None, 0
    final_k = min(order + 1, 4) if method == "unipc" else order
    for i in range(n):
        s, t = float(sigmas[i]), float(sigmas[i + 1])
        eps, x0 = den(y, s)
        if method == "unipc" and y_prev is not None:
            y = unipc_correct(y_prev, float(sigmas[i - 1]), s, hist, k_prev, x0)
        hist.append((s, eps, x0))
        k = min(order, len(hist))
        if i < warmup_rk:
            y = rk_step(den, y, s, t, "rk4", "sigma", k0=eps)
        elif t == 0.0 and method != "plms":
            y = ab_step(y, s, t, hist, min(final_k, len(hist)))
        elif method == "dpmpp":
            y = dpmpp_multistep_step(y, s, t, hist, k)
        elif method == "unipc":
            y_prev, k_prev = y, k
            y = unipc_predict(y, s, t, hist, k)
        elif method == "deis":
            y = ab_step(y, s, t, hist, k)
        else:  # plms: fixed coefficients on the history of noise predictions
            k = min(4, len(hist))
            eps_bar = sum(c * e[1] for c, e in zip(PLMS_COEFFS[k], hist[::-1], strict=False))
            y = y + (t - s) * eps_bar
        del hist[:-4]
    return y
