"""ProbConserv's update applied to the ANP's latent mixture instead of its moment-matched Gaussian.

The ANP's predictive distribution on a grid is a mixture over latent draws z_1..z_K,

    p(u | context) = (1/K) Σ_k N(u; μ_k, D_k),      D_k = diag σ_k²,

which :meth:`~pinnlab.conservation.anp.AttentiveNeuralProcess.predict` collapses to one Gaussian
(mean E[μ], variance E[σ²] + Var[μ]) before :func:`~pinnlab.conservation.update.conserve` conditions
it. Conditioning the mixture itself on b = G u + σ_G ε is still closed form (Bayes' rule per
component):

    S_k  = G D_k Gᵀ + σ_G² I,   K_k = D_k Gᵀ S_k⁻¹
    μ̃_k = μ_k - K_k (G μ_k - b),   Σ̃_k = D_k - K_k G D_k
    w̃_k ∝ N(b; G μ_k, S_k)                       (the evidence of component k)

so the posterior is Σ_k w̃_k N(μ̃_k, Σ̃_k). The reference code (amazon-science/probconserv,
``PhysNP.sample``) conditions every latent draw in the same way but keeps equal weights; the
evidence weights are what exact conditioning of the mixture gives: latent draws whose mass
disagrees with U(t) lose weight. For σ_G = 0 every component, hence the mixture mean, satisfies
G μ̃ = b exactly.

Shapes: ``means`` and ``variances`` (K, ..., N) — K components, then leading batch dimensions
(test functions) — ``g`` (N,) or (C, N), ``b`` (...) or (..., C). Everything runs in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from pinnlab.conservation.update import (
    GaussianField,
    _apply,
    _check_finite,
    _constraint,
    _gain_from,
)
from pinnlab.errors import DataError


@dataclass
class ConditionedMixture:
    """Posterior mixture: weights (K, ...), means (K, ..., N), and per component the diagonal
    D_k (K, ..., N), gain K_k (K, ..., N, C) and rows G (C, N) that define Σ̃_k = D_k - K_k G D_k."""

    weights: torch.Tensor
    means: torch.Tensor
    diag: torch.Tensor
    gain: torch.Tensor
    g: torch.Tensor
    b: torch.Tensor
    sigma_g: float = 0.0

    def moments(self) -> GaussianField:
        """The mixture's mean Σ w̃_k μ̃_k and full covariance Σ w̃_k (Σ̃_k + (μ̃_k - m)(μ̃_k - m)ᵀ)."""
        w = self.weights.unsqueeze(-1)
        mean = (w * self.means).sum(0)
        dev = self.means - mean
        gd = self.g * self.diag.unsqueeze(-2)  # G D_k: (K, ..., C, N)
        cov = torch.diag_embed((w * self.diag).sum(0))
        cov = cov - torch.einsum("k...,k...ic,k...cj->...ij", self.weights, self.gain, gd)
        cov = cov + torch.einsum("k...,k...i,k...j->...ij", self.weights, dev, dev)
        return GaussianField(mean, 0.5 * (cov + cov.transpose(-1, -2)))

    def sample(self, n_samples: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draws (n_samples, ..., N): pick a component k ~ w̃, then μ̃_k + (I - K_k G) D_k^{1/2} ε
        - σ_G K_k ε' ~ N(μ̃_k, Σ̃_k) (Matheron's rule; for σ_G = 0 each draw has G u = b)."""
        k = self.weights.shape[0]
        flat_w = self.weights.reshape(k, -1).T  # (B, K)
        idx = torch.multinomial(flat_w, n_samples, replacement=True, generator=generator).T
        batch = torch.arange(flat_w.shape[0], device=flat_w.device)
        n = self.means.shape[-1]
        mu = self.means.reshape(k, -1, n)[idx, batch]  # (S, B, N)
        d = self.diag.reshape(k, -1, n)[idx, batch]
        gain = self.gain.reshape(k, -1, n, self.g.shape[0])[idx, batch]
        eps = torch.randn(mu.shape, dtype=mu.dtype, device=mu.device, generator=generator)
        noise = d.sqrt() * eps
        shift = noise @ self.g.T  # (S, B, C)
        if self.sigma_g > 0:
            shift = shift + self.sigma_g * torch.randn(
                shift.shape, dtype=mu.dtype, device=mu.device, generator=generator
            )
        noise = noise - (gain @ shift.unsqueeze(-1)).squeeze(-1)
        return (mu + noise).reshape(n_samples, *self.means.shape[1:])


def conserve_mixture(
    means: torch.Tensor,
    variances: torch.Tensor,
    g: torch.Tensor,
    b: torch.Tensor,
    sigma_g: float = 0.0,
    evidence: bool = True,
) -> ConditionedMixture:
    """Condition the equal-weight mixture (1/K) Σ_k N(μ_k, diag v_k) on G u = b + σ_G ε.

    ``evidence=False`` keeps equal weights (the reference code's choice). Raises DataError for
    NaN/inf input, negative variances, or a component with zero variance along the constraint.
    """
    if not sigma_g >= 0:
        raise DataError(f"constraint noise sigma_g must be >= 0, got {sigma_g}")
    means = torch.as_tensor(means).to(torch.float64)
    variances = torch.as_tensor(variances).to(device=means.device, dtype=torch.float64)
    if means.ndim < 2 or variances.shape != means.shape:
        raise DataError("mixture means and variances must both be (K, ..., N) with equal shapes")
    _check_finite("mixture means", means)
    _check_finite("mixture variances", variances)
    if bool((variances < 0).any()):
        raise DataError("mixture variances must be >= 0")
    g, b = _constraint(g, b, means.shape[1:-1], means.shape[-1])
    g, b = g.to(means.device), b.to(means.device)
    # D_k Gᵀ (K, ..., N, C) -> gain K_k (K, ..., N, C) and the Cholesky factor of S_k
    gain, chol = _gain_from(variances.unsqueeze(-1) * g.T, g, sigma_g)
    resid = (means @ g.T) - b  # (K, ..., C)
    new_means = _apply(means, gain, g, b, exact=sigma_g == 0)
    if evidence:
        white = torch.linalg.solve_triangular(chol, resid.unsqueeze(-1), upper=False).squeeze(-1)
        log_det = 2 * torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
        logw = -0.5 * (white.pow(2).sum(-1) + log_det + g.shape[0] * math.log(2 * math.pi))
        weights = torch.softmax(logw, dim=0)
    else:
        weights = torch.full(means.shape[:-1], 1.0 / means.shape[0], dtype=means.dtype,
                             device=means.device)
    return ConditionedMixture(weights, new_means, variances, gain, g, b, sigma_g)
