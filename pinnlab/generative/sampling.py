"""One entry point for every ODE sampler: ``sample(model, x_T, method=..., nfe=..., grid=...)``.

Every sampler integrates the probability-flow ODE from x_T at time ``t_start`` down to zero noise
and spends
exactly ``nfe`` model evaluations (the count is checked; ``dpm_solver_adaptive`` spends what its
tolerance
needs, at most ``nfe``). Methods, theoretical orders and evaluations per step:

=====================  =====  =================================================================
method                 order  notes
=====================  =====  =================================================================
ddim                   1      Euler in sigma_tilde = DPM-Solver-1; 1 NFE/step
dpm_solver_1/2/3       1/2/3  single-step, k NFE/step (remainder as one lower-order first step)
dpm_solver_fast        3      orders 3..3,2,1 spending exactly nfe (DPM-Solver paper)
dpm_solver_adaptive    3      DPM-Solver-23 with embedded error control (rtol, atol)
dpmpp_2s               2      DPM-Solver++(2S), data prediction, 2 NFE/step
dpmpp_2m, dpmpp_3m     2, 3   DPM-Solver++ multistep, data prediction, 1 NFE/step
unipc                  p+1    UniP-p + UniC corrector (bh2), ``order`` = p (default 2)
deis                   3      rho-AB DEIS (Adams-Bashforth in sigma_tilde), ``order`` (default 3)
plms                   2      PNDM's pseudo linear multistep (AB4 coefficients) with AB warm-up
pndm                   2*     F-PNDM: 3 pseudo-RK4 warm-up steps (12 NFE), then PLMS; nfe >= 13
rf_euler               1      Euler in the rectified-flow variable s = sigma/(1 + sigma)
rf_midpoint            2      explicit midpoint in s (= RF-Solver-2), 2 NFE/step
heun, rf_heun          2      Heun in sigma_tilde (EDM) / in s; last step Euler; 2 steps - 1 NFE
=====================  =====  =================================================================

(*) PLMS uses fixed Adams-Bashforth-4 coefficients, which assume steps uniform in sigma_tilde;
on the log-SNR, Karras and uniform-t grids (non-uniform in sigma_tilde) the weighted-mean error
makes it second order, which is what the tests measure.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..errors import DataError, SpecError
from .denoiser import Denoiser, Thresholding
from .multistep import run_multistep
from .rk import run_rk
from .schedule import Schedule, VPSchedule, time_grid
from .singlestep import fast_orders, padded_orders, run_adaptive, run_singlestep

#: method -> (theoretical order, minimum NFE, default grid)
METHODS: dict[str, tuple[int, int, str]] = {
    "ddim": (1, 1, "uniform_s"),
    "dpm_solver_1": (1, 1, "uniform_s"),
    "dpm_solver_2": (2, 2, "uniform_s"),
    "dpm_solver_3": (3, 3, "uniform_s"),
    "dpm_solver_fast": (3, 3, "uniform_s"),
    "dpm_solver_adaptive": (3, 3, "uniform_s"),
    "dpmpp_2s": (2, 2, "uniform_s"),
    "dpmpp_2m": (2, 2, "uniform_s"),
    "dpmpp_3m": (3, 3, "uniform_s"),
    "unipc": (3, 2, "uniform_s"),
    "deis": (3, 3, "uniform_s"),
    "plms": (2, 4, "uniform_s"),
    "pndm": (2, 13, "uniform_s"),
    "rf_euler": (1, 1, "uniform_s"),
    "rf_midpoint": (2, 2, "uniform_s"),
    "heun": (2, 3, "karras"),
    "rf_heun": (2, 3, "uniform_s"),
}


def theoretical_order(method: str, order: int | None = None) -> int:
    """Global convergence order of ``method`` (UniPC: predictor order + 1)."""
    if method == "unipc":
        return (order or 2) + 1
    if method == "deis" and order:
        return order
    return METHODS[method][0]


def n_intervals(method: str, nfe: int) -> int:
    """Number of grid intervals that spend exactly ``nfe`` evaluations with ``method``."""
    if method in ("dpm_solver_2", "dpmpp_2s"):
        return len(padded_orders(nfe, 2))
    if method == "dpm_solver_3":
        return len(padded_orders(nfe, 3))
    if method == "dpm_solver_fast":
        return len(fast_orders(nfe))
    if method == "rf_midpoint":
        return nfe // 2 + nfe % 2
    if method in ("heun", "rf_heun"):
        return (nfe + 1) // 2 if nfe % 2 else nfe // 2 + 1
    if method == "pndm":
        return nfe - 9
    return nfe


def check_nfe(method: str, nfe: int) -> None:
    """Raise :class:`DataError` if ``method`` is unknown or ``nfe`` is below what it needs."""
    if method not in METHODS:
        raise SpecError(f"unknown sampler {method!r}; choose one of {sorted(METHODS)}",
                        key="method")
    need = METHODS[method][1]
    if not isinstance(nfe, int) or nfe < need:
        raise DataError(f"sampler {method} needs nfe >= {need}, got {nfe}", key="nfe")


def sample(model: Callable, x_T: torch.Tensor, method: str = "dpmpp_3m", nfe: int = 20,
           grid: str | None = None, *, schedule: Schedule | None = None, prediction: str = "noise",
           t_start: float | None = None, sigma_min: float = 2e-3, rho: float = 7.0,
           order: int | None = None, threshold: Thresholding | None = None, rtol: float = 0.05,
           atol: float = 0.0078, info: dict | None = None) -> torch.Tensor:
    """Integrate the probability-flow ODE of ``model`` from x_T to zero noise.

    Args:
        model: callable (x_t, t) -> prediction, x_t of shape (batch, *field), t of shape (batch,).
        x_T: starting state at time ``t_start`` (default ``schedule.t_max``), shape (batch,
        *field); its
            dtype and device are used throughout.
        method: a key of :data:`METHODS`.
        nfe: number of model evaluations (exact; the cap for ``dpm_solver_adaptive``).
        grid: "uniform_t", "uniform_s", "logsnr" or "karras" (default per method, see
            :data:`METHODS`: "uniform_s", uniform in s = sigma/(1 + sigma); Heun: "karras").
        schedule: the model's schedule (default linear VP).
        prediction: "noise", "data" or "velocity".
        sigma_min: smallest non-zero noise level of the logsnr / karras grids (sigma_tilde units).
        rho: Karras grid exponent.
        order: solver order for dpmpp_*m, unipc and deis (defaults: 2M -> 2, 3M -> 3, unipc 2, deis
        3).
        threshold: optional dynamic thresholding of x0_hat.
        info: if a dict, receives "nfe" (evaluations spent) and "sigmas" (the grid).

    Returns:
        x0, the sample at zero noise, shape of x_T.
    """
    check_nfe(method, nfe)
    if not torch.isfinite(x_T).all():
        raise DataError("x_T contains NaN or infinite values", key="x_T")
    schedule = schedule or VPSchedule()
    t_start = schedule.t_max if t_start is None else t_start
    sigma_start = float(schedule.sigma_tilde(t_start))
    den = Denoiser(model, schedule, prediction, threshold)
    y = x_T / float(schedule.alpha(t_start))
    grid = grid or METHODS[method][2]
    if method == "dpm_solver_adaptive":
        y = run_adaptive(den, y, sigma_start, sigma_min, 3, rtol=rtol, atol=atol, max_nfe=nfe)
        sigmas = None
    else:
        sigmas = time_grid(schedule, n_intervals(method, nfe), grid, sigma_start=sigma_start,
                           sigma_min=sigma_min, rho=rho)
        y = _dispatch(den, y, sigmas, method, nfe, order)
        if den.nfe != nfe:  # pragma: no cover - internal consistency
            raise RuntimeError(f"{method} spent {den.nfe} evaluations instead of {nfe}")
    if info is not None:
        info.update(nfe=den.nfe, sigmas=sigmas)
    return y


def _dispatch(den, y, sigmas, method, nfe, order):
    if method in ("ddim", "dpm_solver_1"):
        return run_singlestep(den, y, sigmas, [1] * nfe)
    if method in ("dpm_solver_2", "dpm_solver_3"):
        return run_singlestep(den, y, sigmas, padded_orders(nfe, int(method[-1])))
    if method == "dpm_solver_fast":
        return run_singlestep(den, y, sigmas, fast_orders(nfe))
    if method == "dpmpp_2s":
        return run_singlestep(den, y, sigmas, padded_orders(nfe, 2), kind="dpmpp")
    if method in ("dpmpp_2m", "dpmpp_3m"):
        return run_multistep(den, y, sigmas, "dpmpp", order or int(method[-2]))
    if method == "unipc":
        return run_multistep(den, y, sigmas, "unipc", order or 2)
    if method == "deis":
        return run_multistep(den, y, sigmas, "deis", order or 3)
    if method == "plms":
        return run_multistep(den, y, sigmas, "plms", 4)
    if method == "pndm":
        return run_multistep(den, y, sigmas, "plms", 4, warmup_rk=3)
    variable = "flow" if method.startswith("rf_") else "sigma"
    tableau = {"rf_euler": "euler", "rf_midpoint": "midpoint", "heun": "heun",
               "rf_heun": "heun"}[method]
    first_euler = (method == "rf_midpoint" and nfe % 2 == 1) or (
        method in ("heun", "rf_heun") and nfe % 2 == 0)
    return run_rk(den, y, sigmas, tableau, variable, first_euler=first_euler)
