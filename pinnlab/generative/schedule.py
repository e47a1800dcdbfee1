"""Noise schedules x_t = alpha_t x0 + sigma_t eps and the time grids samplers step on.

Every schedule is described by alpha_t and sigma_t on t in [0, t_max]. Derived quantities:

* half log-SNR  lambda_t = log(alpha_t / sigma_t), decreasing in t;
* the schedule-free noise level  sigma_tilde = sigma_t / alpha_t = exp(-lambda_t)  (EDM's sigma);
* the schedule-free state  y = x / alpha_t.

The probability-flow ODE in (y, sigma_tilde), dy/dsigma_tilde = eps_hat(y, sigma_tilde), does not
depend on the
schedule, so every sampler in this package integrates in y and sigma_tilde and uses the schedule
only to turn a
noise level back into the model's time input and to build grids uniform in t.

Schedules:

* :class:`VPSchedule` (variance preserving, alpha^2 + sigma^2 = 1) with the linear beta schedule
  beta(t) = beta_min + t (beta_max - beta_min) (DDPM's table in continuous time) or the cosine
  schedule
  alpha_t = cos(pi/2 (t + s)/(1 + s)) / cos(pi/2 s/(1 + s)).
* :class:`RectifiedFlowSchedule`: x_t = (1 - t) x0 + t eps, so sigma_tilde = t / (1 - t).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError


class Schedule(ABC):
    """Base class: subclasses define ``log_alpha(t)``, ``alpha``/``sigma`` and ``t_of_lambda``.

    Scalars or numpy arrays in, same shape out (float64).
    """

    t_max: float = 1.0

    @abstractmethod
    def alpha(self, t):
        ...

    @abstractmethod
    def sigma(self, t):
        ...

    @abstractmethod
    def d_alpha_dt(self, t):
        ...

    @abstractmethod
    def d_sigma_dt(self, t):
        ...

    @abstractmethod
    def t_of_lambda(self, lam):
        ...

    def lambda_(self, t):
        """Half log-SNR lambda_t = log(alpha_t / sigma_t)."""
        return np.log(self.alpha(t)) - np.log(self.sigma(t))

    def sigma_tilde(self, t):
        """sigma_t / alpha_t (0 at t = 0)."""
        return np.asarray(self.sigma(t), dtype=float) / np.asarray(self.alpha(t), dtype=float)

    def t_of_sigma_tilde(self, sigma_tilde):
        """Inverse of :meth:`sigma_tilde`; exact 0 for sigma_tilde = 0."""
        s = np.asarray(sigma_tilde, dtype=float)
        with np.errstate(divide="ignore"):
            t = self.t_of_lambda(-np.log(np.where(s > 0, s, 1.0)))
        return np.where(s > 0, t, 0.0)

    @abstractmethod
    def alpha_of_sigma_tilde(self, sigma_tilde):
        """alpha at the time where sigma/alpha = sigma_tilde (schedule-specific closed form)."""


@dataclass
class VPSchedule(Schedule):
    """Variance-preserving schedule, ``kind`` = "linear" (beta_min, beta_max) or "cosine"
    (cosine_s).

    For "cosine" t_max defaults to 0.9946 (as in DPM-Solver) because lambda -> -inf at t = 1.
    """

    kind: str = "linear"
    beta_min: float = 0.1
    beta_max: float = 20.0
    cosine_s: float = 0.008
    t_max: float = 1.0

    def __post_init__(self):
        if self.kind not in ("linear", "cosine"):
            raise SpecError(f"unknown VP schedule kind {self.kind!r}; use 'linear' or 'cosine'",
                            key="schedule.kind")
        if self.kind == "cosine" and self.t_max == 1.0:
            self.t_max = 0.9946

    # --- log alpha and its derivative -------------------------------------------------------
    def _cos_arg(self, t):
        return (np.asarray(t, dtype=float) + self.cosine_s) / (1.0 + self.cosine_s) * math.pi / 2

    def log_alpha(self, t):
        t = np.asarray(t, dtype=float)
        if self.kind == "linear":
            return -0.25 * t**2 * (self.beta_max - self.beta_min) - 0.5 * t * self.beta_min
        return np.log(np.cos(self._cos_arg(t))) - math.log(math.cos(self._cos_arg(0.0)))

    def d_log_alpha_dt(self, t):
        t = np.asarray(t, dtype=float)
        if self.kind == "linear":
            return -0.5 * t * (self.beta_max - self.beta_min) - 0.5 * self.beta_min
        return -np.tan(self._cos_arg(t)) * math.pi / 2 / (1.0 + self.cosine_s)

    def alpha(self, t):
        return np.exp(self.log_alpha(t))

    def sigma(self, t):
        return np.sqrt(-np.expm1(2.0 * self.log_alpha(t)))

    def d_alpha_dt(self, t):
        return self.alpha(t) * self.d_log_alpha_dt(t)

    def d_sigma_dt(self, t):
        # sigma^2 = 1 - alpha^2  =>  sigma' = -alpha alpha' / sigma
        return -self.alpha(t) * self.d_alpha_dt(t) / self.sigma(t)

    def lambda_(self, t):
        la = self.log_alpha(t)
        return la - 0.5 * np.log(-np.expm1(2.0 * la))

    def t_of_lambda(self, lam):
        lam = np.asarray(lam, dtype=float)
        # -2 log alpha = log(1 + exp(-2 lambda))
        big_l = np.logaddexp(0.0, -2.0 * lam)
        if self.kind == "linear":
            b0, db = self.beta_min, self.beta_max - self.beta_min
            return 2.0 * big_l / (b0 + np.sqrt(b0**2 + 2.0 * db * big_l))
        log_alpha = -0.5 * big_l + math.log(math.cos(self._cos_arg(0.0)))
        return 2.0 * (1.0 + self.cosine_s) / math.pi * np.arccos(np.exp(log_alpha)) - self.cosine_s

    def alpha_of_sigma_tilde(self, sigma_tilde):
        return 1.0 / np.sqrt(1.0 + np.asarray(sigma_tilde, dtype=float) ** 2)


@dataclass
class RectifiedFlowSchedule(Schedule):
    """Rectified flow x_t = (1 - t) x0 + t eps (alpha = 1 - t, sigma = t); velocity v = eps - x0."""

    t_max: float = 1.0

    def alpha(self, t):
        return 1.0 - np.asarray(t, dtype=float)

    def sigma(self, t):
        return np.asarray(t, dtype=float) * 1.0

    def d_alpha_dt(self, t):
        return -np.ones_like(np.asarray(t, dtype=float))

    def d_sigma_dt(self, t):
        return np.ones_like(np.asarray(t, dtype=float))

    def t_of_lambda(self, lam):
        # lambda = log((1 - t)/t)  =>  t = 1/(1 + e^lambda)
        return 1.0 / (1.0 + np.exp(np.asarray(lam, dtype=float)))

    def alpha_of_sigma_tilde(self, sigma_tilde):
        return 1.0 / (1.0 + np.asarray(sigma_tilde, dtype=float))


def make_schedule(name: str) -> Schedule:
    """'vp-linear' | 'vp-cosine' | 'rf' -> a schedule with default parameters."""
    table = {"vp-linear": lambda: VPSchedule("linear"), "vp-cosine": lambda: VPSchedule("cosine"),
             "rf": RectifiedFlowSchedule}
    if name not in table:
        raise SpecError(f"unknown schedule {name!r}; choose one of {sorted(table)}", key="schedule")
    return table[name]()


GRIDS = ("uniform_t", "uniform_s", "logsnr", "karras")


def time_grid(schedule: Schedule, n_steps: int, grid: str = "logsnr", *, sigma_start: float,
              sigma_min: float = 2e-3, rho: float = 7.0) -> np.ndarray:
    """Decreasing noise levels sigma_tilde[0..n_steps] with sigma_tilde[0] = sigma_start and last =
    0.

    * "uniform_t": t uniform from t(sigma_start) to 0 (for a rectified flow: uniform in s).
    * "uniform_s": uniform in the rectified-flow time s = sigma/(1 + sigma), s(sigma_start) to 0,
      whatever the schedule (the grid of a rectified flow; dense where sigma_tilde is O(1)).
    * "logsnr": lambda uniform from lambda(sigma_start) to lambda(sigma_min) over n_steps - 1
      intervals,
      then a last interval to zero noise.
    * "karras": sigma_i = (sigma_start^(1/rho) + i/(n-1) (sigma_min^(1/rho) -
      sigma_start^(1/rho)))^rho over
      n_steps - 1 intervals (EDM), then a last interval to zero noise.

    Returns float64 array of shape (n_steps + 1,).
    """
    if n_steps < 1:
        raise SpecError("a time grid needs at least one step", key="nfe")
    if not sigma_start > sigma_min > 0:
        raise SpecError(f"need sigma_start > sigma_min > 0, got {sigma_start}, {sigma_min}",
                        key="sigma_min")
    if grid == "uniform_t":
        t0 = float(schedule.t_of_sigma_tilde(sigma_start))
        ts = np.linspace(t0, 0.0, n_steps + 1)
        out = schedule.sigma_tilde(ts)
        out[0], out[-1] = sigma_start, 0.0
        return out
    if grid == "uniform_s":
        s = np.linspace(sigma_start / (1.0 + sigma_start), 0.0, n_steps + 1)
        out = s / (1.0 - s)
        out[0], out[-1] = sigma_start, 0.0
        return out
    if grid == "logsnr":
        inner = np.exp(-np.linspace(-math.log(sigma_start), -math.log(sigma_min), n_steps))
    elif grid == "karras":
        ramp = np.linspace(0.0, 1.0, n_steps)
        lo, hi = sigma_min ** (1 / rho), sigma_start ** (1 / rho)
        inner = (hi + ramp * (lo - hi)) ** rho
    else:
        raise SpecError(f"unknown time grid {grid!r}; choose one of {GRIDS}", key="grid")
    if n_steps == 1:
        inner = np.array([sigma_start])
    inner[0] = sigma_start
    return np.concatenate([inner, [0.0]])
