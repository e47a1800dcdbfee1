"""ProbConserv metrics on one time slice, per test function (methods.md §4.3).

* MSE  = mean_x (μ(x) - u(x))²;
* CE   = |G μ - U(t)|, the conservation error of the predicted mean (trapezoid rule G);
* LL   = mean_x log N(u(x) | μ(x), σ²(x)), the pointwise Gaussian log-likelihood of the truth;
* shock position of a sample: the first grid point x_i where u ≤ 0 (the reference's rule); the
  front lies in the cell (x_{i-1}, x_i], so we also report the cell midpoint x_i - h/2.

All inputs are (B, N) arrays or tensors over B functions and N grid points; every metric returns
(B,) values, summarised by :func:`mean_and_stderr` (mean and sd/√B).
"""

from __future__ import annotations

import math

import numpy as np
import torch


def _np(a) -> np.ndarray:
    return a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)


def mse(mean, truth) -> np.ndarray:
    return np.mean((_np(mean) - _np(truth)) ** 2, axis=-1)


def conservation_error(mean, g, b) -> np.ndarray:
    """|G μ - b| per function; g (N,), b (B,) or scalar."""
    return np.abs(_np(mean) @ _np(g) - _np(b))


def log_likelihood(mean, variance, truth) -> np.ndarray:
    mean, var, truth = _np(mean), _np(variance), _np(truth)
    return np.mean(
        -0.5 * (math.log(2 * math.pi) + np.log(var) + (truth - mean) ** 2 / var), axis=-1
    )


def shock_position(samples, x) -> tuple[np.ndarray, np.ndarray]:
    """(first grid x with u ≤ 0, midpoint of the cell where u first drops to ≤ 0) per sample.

    ``samples`` (..., N). A sample that never reaches u ≤ 0 gets the right end of the domain.
    """
    samples, x = _np(samples), _np(x)
    nonpositive = samples <= 0
    idx = np.where(nonpositive.any(axis=-1), nonpositive.argmax(axis=-1), len(x) - 1)
    first = x[idx]
    mid = np.where(idx > 0, 0.5 * (x[np.maximum(idx - 1, 0)] + first), first)
    return first, mid


def shock_posterior(first: np.ndarray, mid: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per function, from the (S, B) shock positions of :func:`shock_position`: the posterior
    mean of the crossing-cell midpoints and the 95 % interval [2.5 % quantile of the cells' left
    edges, 97.5 % quantile of their right edges], each (B,)."""
    return (mid.mean(axis=0), np.quantile(2 * mid - first, 0.025, axis=0),
            np.quantile(first, 0.975, axis=0))


def mean_and_stderr(values) -> tuple[float, float]:
    v = _np(values).astype(np.float64).ravel()
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0
