"""Evaluate base models and their conservation updates on one time slice of test functions.

For each test function (context drawn as in training, parameter fixed to a test value) the base
model predicts N(μ, Σ) on the evaluation grid x (N points) at time t. Then, per function:

* ``base``        — the model's own prediction (diagonal of Σ for the likelihood);
* ``hardc``       — mean projected onto G u = U(t), variance unchanged (HardC);
* ``probconserv`` — Gaussian conditioning on G u = U(t) with σ_G = 0 (ProbConserv);
* ``probconserv_sigma`` — the same with a finite σ_G (default 1e-3);
* ``probconserv_mixture`` — ANP only: the ANP's latent mixture conditioned component by
  component, with evidence weights (:mod:`pinnlab.conservation.mixture`).

Each method gets the metrics of :mod:`pinnlab.conservation.metrics`; with ``n_shock_samples``
the shock positions of posterior samples are added (Stefan). Shapes: mean (B, N), cov (B, N) or
(B, N, N).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from pinnlab.conservation import metrics
from pinnlab.conservation.data import FunctionBatch, scale_inputs
from pinnlab.conservation.mixture import conserve_mixture
from pinnlab.conservation.problems import GPMEProblem
from pinnlab.conservation.update import (
    GaussianField,
    conserve,
    hard_constraint,
    mass_constraint,
    sample,
    sample_conserved,
)


@dataclass
class MethodResult:
    """Per-function metrics (B,) of one method, its posterior and optional shock samples."""

    mse: np.ndarray
    ce: np.ndarray
    ll: np.ndarray
    posterior: GaussianField
    shock_first: np.ndarray | None = None  # (S, B) first grid x with u <= 0
    shock_mid: np.ndarray | None = None  # (S, B) midpoint of the crossing cell
    extra: dict = field(default_factory=dict)


def grid_inputs(problem: GPMEProblem, batch: FunctionBatch, x: np.ndarray, t: float, dtype):
    """(context_s, context_u, target_s) tensors; the grid at time t is every target set."""
    b = len(batch.params)
    cs = torch.as_tensor(scale_inputs(problem, batch.context_t, batch.context_x), dtype=dtype)
    cu = torch.as_tensor(batch.context_u, dtype=dtype)
    ts = torch.as_tensor(scale_inputs(problem, np.full_like(x, t), x), dtype=dtype)
    return cs, cu, ts.expand(b, -1, -1).contiguous()


def anp_draws(model, problem, batch, x, t, n_latent: int = 100, seed: int = 0):
    """The ANP's latent mixture on the grid x at time t: decoder means and variances
    (K, B, N) in the model's dtype, for K = ``n_latent`` draws from a generator seeded ``seed``.
    Compute them once and pass them to :func:`anp_slice` and :func:`anp_components`."""
    dtype = next(model.parameters()).dtype
    device = next(model.parameters()).device
    cs, cu, ts = (a.to(device) for a in grid_inputs(problem, batch, x, t, dtype))
    gen = torch.Generator(device=device).manual_seed(seed)
    return model.predict_components(cs, cu, ts, n_latent=n_latent, generator=gen)


def anp_slice(model, problem, batch, x, t, n_latent: int = 100, seed: int = 0, draws=None):
    """ANP predictive mean and variance (B, N) on the grid x at time t (float64): the moments of
    the mixture ``draws`` (:func:`anp_draws`, computed here when not given)."""
    draws = draws if draws is not None else anp_draws(model, problem, batch, x, t, n_latent, seed)
    mean, var = model.moments(*draws)
    return mean.double().cpu(), var.double().cpu()


def anp_components(model, problem, batch, x, t, n_latent: int = 100, seed: int = 0, draws=None):
    """The latent mixture behind :func:`anp_slice` (same draws): means, variances (K, B, N)."""
    draws = draws if draws is not None else anp_draws(model, problem, batch, x, t, n_latent, seed)
    return draws[0].double().cpu(), draws[1].double().cpu()


def gp_slice(gp, problem, batch, x, t):
    """GP predictive mean (B, N) and covariance (B, N, N) on the grid x at time t."""
    cs, cu, ts = grid_inputs(problem, batch, x, t, gp.config.dtype)
    mean, cov = gp.predict(cs, cu, ts)
    return mean.double().cpu(), cov.double().cpu()


def _shocks(draws: torch.Tensor, x: np.ndarray):
    return metrics.shock_position(draws, x)


def evaluate_slice(
    problem: GPMEProblem,
    p: float,
    t: float,
    x: np.ndarray,
    mean: torch.Tensor,
    cov: torch.Tensor,
    sigma_g: float = 1e-3,
    n_shock_samples: int = 0,
    seed: int = 0,
    components: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> dict[str, MethodResult]:
    """Metrics of base, HardC, ProbConserv (σ_G = 0) and ProbConserv (σ_G) for one parameter p;
    with the ANP's latent ``components`` (means, variances (K, B, N)) also ``probconserv_mixture``:
    the exact (σ_G = 0) conditioning of the latent mixture, :mod:`pinnlab.conservation.mixture`."""
    truth = torch.as_tensor(problem.solution(t, x, p), dtype=torch.float64)
    g, b = mass_constraint(problem, t, torch.as_tensor(x, dtype=torch.float64), p)
    b = b.expand(mean.shape[0])
    gen = torch.Generator().manual_seed(seed)
    base_field = GaussianField(mean, cov if cov.ndim == 3 else torch.diag_embed(cov))
    fields = {
        "base": base_field,
        "hardc": hard_constraint(mean, cov, g, b),
        "probconserv": conserve(mean, cov, g, b),
        "probconserv_sigma": conserve(mean, cov, g, b, sigma_g=sigma_g),
    }
    mixture = None
    if components is not None:
        mixture = conserve_mixture(components[0], components[1], g, b)
        fields["probconserv_mixture"] = mixture.moments()
    out = {}
    for name, post in fields.items():
        res = MethodResult(
            mse=metrics.mse(post.mean, truth),
            ce=metrics.conservation_error(post.mean, g, b),
            ll=metrics.log_likelihood(post.mean, post.variance, truth),
            posterior=post,
        )
        if n_shock_samples:
            if name == "probconserv_mixture":
                draws = mixture.sample(n_shock_samples, gen)
            elif name.startswith("probconserv"):
                sg = 0.0 if name == "probconserv" else sigma_g
                draws = sample_conserved(mean, cov, g, b, n_shock_samples, sg, gen)
            else:
                draws = sample(post, n_shock_samples, gen)
            res.shock_first, res.shock_mid = _shocks(draws, x)
        out[name] = res
    return out
