"""A model of the data seen through a schedule: noise, data and velocity prediction, converted.

A model is a callable ``model(x_t, t) -> output`` with x_t of shape (batch, *field) and t a tensor
of shape
(batch,). With x_t = alpha_t x0 + sigma_t eps its output is one of

* "noise":    eps_hat  ~ E[eps | x_t]
* "data":     x0_hat   ~ E[x0 | x_t]
* "velocity": v_hat    ~ E[alpha'_t x0 + sigma'_t eps | x_t]   (the time derivative of the
  interpolation;
  for a rectified flow v = eps - x0, and it is the probability-flow drift dx/dt for every schedule).

Conversions (x = alpha x0 + sigma eps, v = alpha' x0 + sigma' eps, det = alpha sigma' - sigma
alpha'):

    x0 = (x - sigma eps) / alpha,   eps = (alpha v - alpha' x) / det,   x0 = (sigma' x - sigma v) /
    det.

:class:`Denoiser` exposes the model in the schedule-free frame y = x/alpha, sigma_tilde =
sigma/alpha used by
all samplers: ``den(y, sigma_tilde) -> (eps_hat, x0_hat)``, counting function evaluations (NFE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..errors import SpecError
from .schedule import Schedule

PREDICTIONS = ("noise", "data", "velocity")


@dataclass
class Thresholding:
    """Dynamic thresholding of x0_hat (Imagen / DPM-Solver++): per sample, s = quantile(|x0|,
    ratio) clamped
    to [1, max_value]; x0 <- clamp(x0, -s, s) / s. With ``dynamic=False``: x0 <- clamp(x0,
    -max_value, max_value).
    """

    ratio: float = 0.995
    max_value: float = 1.0
    dynamic: bool = True

    def __call__(self, x0: torch.Tensor) -> torch.Tensor:
        if not self.dynamic:
            return x0.clamp(-self.max_value, self.max_value)
        flat = x0.reshape(x0.shape[0], -1).abs()
        s = torch.quantile(flat, self.ratio, dim=1).clamp(min=1.0, max=self.max_value)
        s = s.reshape(-1, *([1] * (x0.dim() - 1)))
        return torch.maximum(torch.minimum(x0, s), -s) / s


class Denoiser:
    """Wraps ``model(x_t, t)`` of a given ``prediction`` under ``schedule``; call with (y,
    sigma_tilde).

    Args:
        model: callable (x_t, t) -> tensor shaped like x_t.
        schedule: the schedule the model was trained with.
        prediction: "noise", "data" or "velocity".
        threshold: optional :class:`Thresholding` applied to x0_hat (eps_hat recomputed to match).
    """

    def __init__(self, model: Callable, schedule: Schedule, prediction: str = "noise",
                 threshold: Thresholding | None = None):
        if prediction not in PREDICTIONS:
            raise SpecError(f"unknown prediction {prediction!r}; choose one of {PREDICTIONS}",
                            key="prediction")
        self.model, self.schedule = model, schedule
        self.prediction, self.threshold = prediction, threshold
        self.nfe = 0

    def __call__(self, y: torch.Tensor, sigma_tilde: float) -> tuple[torch.Tensor, torch.Tensor]:
        """(eps_hat, x0_hat) at noise level sigma_tilde > 0 for y of shape (batch, *field)."""
        self.nfe += 1
        sch = self.schedule
        t = float(sch.t_of_sigma_tilde(sigma_tilde))
        alpha, sigma = float(sch.alpha(t)), float(sch.sigma(t))
        x = alpha * y
        t_in = torch.full((y.shape[0],), t, dtype=y.dtype, device=y.device)
        out = self.model(x, t_in)
        if self.prediction == "noise":
            eps = out
            x0 = (x - sigma * eps) / alpha
        elif self.prediction == "data":
            x0 = out
            eps = (y - x0) / sigma_tilde
        else:
            da, ds = float(sch.d_alpha_dt(t)), float(sch.d_sigma_dt(t))
            det = alpha * ds - sigma * da
            eps = (alpha * out - da * x) / det
            x0 = (ds * x - sigma * out) / det
        if self.threshold is not None:
            x0 = self.threshold(x0)
            eps = (y - x0) / sigma_tilde
        return eps, x0


def convert_prediction(output: torch.Tensor, x: torch.Tensor, t: float, schedule: Schedule,
                       source: str, target: str) -> torch.Tensor:
    """Convert a model output at (x_t, t) between "noise", "data" and "velocity" prediction."""
    for p in (source, target):
        if p not in PREDICTIONS:
            raise SpecError(f"unknown prediction {p!r}; choose one of {PREDICTIONS}",
                            key="prediction")
    a, s = float(schedule.alpha(t)), float(schedule.sigma(t))
    da, ds = float(schedule.d_alpha_dt(t)), float(schedule.d_sigma_dt(t))
    det = a * ds - s * da
    if source == "noise":
        eps, x0 = output, (x - s * output) / a
    elif source == "data":
        eps, x0 = (x - a * output) / s, output
    else:
        eps, x0 = (a * output - da * x) / det, (ds * x - s * output) / det
    return {"noise": eps, "data": x0, "velocity": da * x0 + ds * eps}[target]
