"""The ProbConserv update: condition a Gaussian prediction on a conservation law in integral form.

A base model predicts, on a spatial grid x_1..x_N at one time t, u ~ N(μ, Σ). The conservation
law in integral form is a linear constraint G u = b with G the 1 × N row of trapezoid weights
(G u ≈ ∫ u dx) and b = U(t), observed with noise σ_G: b = G u + σ_G ε. Gaussian conditioning gives

    S  = σ_G² I + G Σ Gᵀ                       (K × K, K = number of constraints)
    K  = Σ Gᵀ S⁻¹                              (N × K, the gain)
    μ̃ = μ - K (G μ - b)
    Σ̃ = Σ - K G Σ = (I - K G) Σ (I - K G)ᵀ + σ_G² K Kᵀ      (Joseph form, used here)

σ_G = 0 is the ProbConserv limit: G μ̃ = b exactly. HardC projects the mean with Σ = I (an
orthogonal projection onto {G u = b}) and leaves the variance alone.

Everything runs in float64 on the input's device, with Cholesky solves of S (no explicit inverse).
Shapes: ``mean`` (..., N); ``cov`` either (..., N) — a diagonal, i.e. pointwise variances — or
(..., N, N); ``G`` (N,) or (K, N); ``b`` (...) or (..., K). Leading dimensions are time slices or
test functions and are conditioned independently.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from pinnlab.errors import DataError


@dataclass
class GaussianField:
    """A Gaussian over a field on a grid: mean (..., N) and covariance (..., N, N), float64."""

    mean: torch.Tensor
    cov: torch.Tensor

    @property
    def variance(self) -> torch.Tensor:
        """Pointwise variances diag Σ, shape (..., N)."""
        return torch.diagonal(self.cov, dim1=-2, dim2=-1)


def trapezoid_row(x: torch.Tensor) -> torch.Tensor:
    """Trapezoid weights w (N,) on the sorted grid x (N,), so that w · u ≈ ∫ u dx."""
    x = torch.as_tensor(x, dtype=torch.float64)
    if x.ndim != 1 or x.numel() < 2 or not bool(torch.all(torch.diff(x) > 0)):
        raise DataError("quadrature grid must be a strictly increasing 1-D array of >= 2 points")
    dx = torch.diff(x)
    w = torch.zeros_like(x)
    w[:-1] += dx / 2
    w[1:] += dx / 2
    return w


def _check_finite(name: str, value: torch.Tensor) -> None:
    if not bool(torch.isfinite(value).all()):
        raise DataError(f"{name} contains NaN or infinite values; refusing to condition on it")


def _full_covariance(mean: torch.Tensor, cov: torch.Tensor, rtol: float) -> torch.Tensor:
    """Validate ``cov`` (diagonal or full) and return it as a symmetric (..., N, N) matrix."""
    n = mean.shape[-1]
    if cov.shape == mean.shape:
        if bool((cov < 0).any()):
            raise DataError(
                "predicted variance is negative: the covariance is not positive definite"
            )
        return torch.diag_embed(cov)
    if cov.shape != mean.shape + (n,):
        raise DataError(
            f"covariance shape {tuple(cov.shape)} matches neither the mean {tuple(mean.shape)} "
            f"(diagonal) nor mean + ({n},) (full)"
        )
    scale = cov.diagonal(dim1=-2, dim2=-1).abs().amax(dim=-1).clamp_min(torch.finfo(cov.dtype).tiny)
    asym = (cov - cov.transpose(-1, -2)).abs().amax(dim=(-1, -2))
    if bool((asym > 1e-8 * scale).any()):
        raise DataError("covariance is not symmetric")
    cov = 0.5 * (cov + cov.transpose(-1, -2))
    lam_min = torch.linalg.eigvalsh(cov)[..., 0]
    if bool((lam_min < -rtol * scale).any()):
        worst = float((lam_min / scale).min())
        raise DataError(
            f"covariance is not positive semi-definite (smallest eigenvalue {worst:.3e} "
            "relative to the largest variance)"
        )
    return cov


def _constraint(g: torch.Tensor, b: torch.Tensor, batch: torch.Size, n: int):
    g = torch.as_tensor(g, dtype=torch.float64)
    g = g.unsqueeze(0) if g.ndim == 1 else g
    if g.ndim != 2 or g.shape[-1] != n:
        raise DataError(f"constraint matrix G must be (N,) or (K, N) with N = {n}")
    b = torch.as_tensor(b, dtype=torch.float64)
    if b.shape == batch and g.shape[0] == 1:
        b = b.unsqueeze(-1)
    if b.shape != batch + (g.shape[0],):
        raise DataError(f"constraint values b have shape {tuple(b.shape)}, expected {tuple(batch)}")
    _check_finite("constraint matrix G", g)
    _check_finite("constraint values b", b)
    return g, b


def conserve(
    mean: torch.Tensor,
    cov: torch.Tensor,
    g: torch.Tensor,
    b: torch.Tensor,
    sigma_g: float = 0.0,
    psd_rtol: float = 1e-9,
) -> GaussianField:
    """Condition N(mean, cov) on G u = b + σ_G ε (ProbConserv step 2); see the module docstring.

    Args:
        mean: predicted mean (..., N).
        cov: predicted variances (..., N) or covariance (..., N, N); must be positive semi-definite.
        g: constraint rows (N,) or (K, N), e.g. :func:`trapezoid_row` of the grid.
        b: constraint values (...) or (..., K), e.g. the exact mass U(t) per slice.
        sigma_g: constraint noise σ_G ≥ 0; 0 is the exact (ProbConserv) limit.
        psd_rtol: eigenvalues below -psd_rtol × max variance make the covariance invalid.

    Returns:
        The posterior :class:`GaussianField` in float64 on the input's device.

    Raises:
        DataError: NaN/inf input, a covariance that is not PSD, or G Σ Gᵀ + σ_G² I not positive
            definite (the model claims certainty about a direction the constraint corrects).
    """
    mean, sigma, g, b = _validated(mean, cov, g, b, sigma_g, psd_rtol)
    gain = _gain(sigma, g, sigma_g)
    mean_new = _apply(mean, gain, g, b, exact=sigma_g == 0)
    n = mean.shape[-1]
    eye = torch.eye(n, dtype=sigma.dtype, device=sigma.device)
    a = eye - gain @ g  # (..., N, N)
    cov_new = a @ sigma @ a.transpose(-1, -2)
    if sigma_g > 0:
        cov_new = cov_new + sigma_g**2 * gain @ gain.transpose(-1, -2)
    cov_new = 0.5 * (cov_new + cov_new.transpose(-1, -2))
    return GaussianField(mean_new, cov_new)


def _validated(mean, cov, g, b, sigma_g: float, psd_rtol: float):
    if not sigma_g >= 0:
        raise DataError(f"constraint noise sigma_g must be >= 0, got {sigma_g}")
    mean = torch.as_tensor(mean).to(torch.float64)
    cov = torch.as_tensor(cov).to(device=mean.device, dtype=torch.float64)
    _check_finite("predicted mean", mean)
    _check_finite("predicted covariance", cov)
    sigma = _full_covariance(mean, cov, psd_rtol)
    g, b = _constraint(g, b, mean.shape[:-1], mean.shape[-1])
    return mean, sigma, g.to(mean.device), b.to(mean.device)


def _gain(sigma: torch.Tensor, g: torch.Tensor, sigma_g: float) -> torch.Tensor:
    """K = Σ Gᵀ S⁻¹ with S = G Σ Gᵀ + σ_G² I, by a Cholesky solve of S Kᵀ = G Σ."""
    return _gain_from(sigma @ g.T, g, sigma_g)[0]


def _gain_from(sigma_gt: torch.Tensor, g: torch.Tensor, sigma_g: float):
    """(K, chol S) from Σ Gᵀ (..., N, K); also used with a diagonal Σ (:mod:`.mixture`)."""
    s = g @ sigma_gt  # (..., K, K)
    s = 0.5 * (s + s.transpose(-1, -2))
    s = s + sigma_g**2 * torch.eye(g.shape[0], dtype=s.dtype, device=s.device)
    chol, info = torch.linalg.cholesky_ex(s)
    if bool((info != 0).any()):
        raise DataError(
            "G Σ Gᵀ + σ_G² I is not positive definite: the base model has zero variance "
            "along the constraint; use sigma_g > 0 or a model with non-degenerate variance"
        )
    return torch.cholesky_solve(sigma_gt.transpose(-1, -2), chol).transpose(-1, -2), chol


def _apply(u: torch.Tensor, gain: torch.Tensor, g: torch.Tensor, b: torch.Tensor, exact: bool):
    """u - K (G u - b) for u (..., N); with ``exact`` one refinement step removes rounding."""
    for _ in range(2 if exact else 1):
        resid = (u.unsqueeze(-2) @ g.T).squeeze(-2) - b  # (..., K)
        u = u - (gain @ resid.unsqueeze(-1)).squeeze(-1)
    return u


def hard_constraint(mean: torch.Tensor, cov: torch.Tensor, g: torch.Tensor, b: torch.Tensor):
    """HardC: orthogonal projection of the mean onto {G u = b} (Σ = I in the update); the
    covariance is returned unchanged (as a full matrix), as in the HardC-ANP baseline."""
    mean = torch.as_tensor(mean).to(torch.float64)
    cov = torch.as_tensor(cov).to(device=mean.device, dtype=torch.float64)
    _check_finite("predicted covariance", cov)
    projected = conserve(mean, torch.ones_like(mean), g, b).mean
    return GaussianField(projected, _full_covariance(mean, cov, 1e-9))


def sample(field: GaussianField, n_samples: int, generator: torch.Generator | None = None):
    """Draw samples (n_samples, ..., N) from N(mean, cov) via a symmetric eigen square root
    (which also handles a singular PSD covariance; rounding eigenvalues < 0 are clamped to 0)."""
    lam, q = torch.linalg.eigh(field.cov)
    root = q * lam.clamp_min(0).sqrt().unsqueeze(-2)
    z = torch.randn(
        (n_samples, *field.mean.shape),
        dtype=field.mean.dtype,
        device=field.mean.device,
        generator=generator,
    )
    return field.mean + torch.einsum("...ij,s...j->s...i", root, z)


def sample_conserved(
    mean: torch.Tensor,
    cov: torch.Tensor,
    g: torch.Tensor,
    b: torch.Tensor,
    n_samples: int,
    sigma_g: float = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Samples (n_samples, ..., N) of the conditioned posterior by Matheron's rule.

    Draw u ~ N(μ, Σ) from the base model and ε ~ N(0, I), then move each draw with the same gain
    as the mean: ũ = u - K (G u + σ_G ε - b). The draws have mean μ̃ and covariance Σ̃ of
    :func:`conserve`, and for σ_G = 0 each one satisfies G ũ = b to rounding (a square root of the
    singular Σ̃ would instead leave errors of order sqrt(machine eps)).
    """
    mean, sigma, g, b = _validated(mean, cov, g, b, sigma_g, 1e-9)
    gain = _gain(sigma, g, sigma_g)
    draws = sample(GaussianField(mean, sigma), n_samples, generator)
    if sigma_g > 0:
        noise = torch.randn(
            draws.shape[:-1] + (g.shape[0],),
            dtype=draws.dtype,
            device=draws.device,
            generator=generator,
        )
        b = b + sigma_g * noise
    return _apply(draws, gain, g, b, exact=sigma_g == 0)


def mass_constraint(problem, t: float | torch.Tensor, x: torch.Tensor, p: float):
    """(G, b) for ∫ u(t, x) dx = U(t) of a :class:`~pinnlab.conservation.problems.GPMEProblem`.

    G is the trapezoid row of the grid x (N,) and b = U(t) with shape of t. A time outside the
    problem's time domain, or a grid that leaves its space domain, raises DataError.
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    lo, hi = problem.x_range
    tol = 1e-12 * max(1.0, abs(hi - lo))
    if float(x.min()) < lo - tol or float(x.max()) > hi + tol:
        raise DataError(f"quadrature grid leaves the space domain [{lo}, {hi}]", key="constraint.x")
    if float(x[0]) > lo + tol or float(x[-1]) < hi - tol:
        raise DataError(
            "the mass constraint integrates over the whole domain: the grid must "
            f"span [{lo}, {hi}]",
            key="constraint.x",
        )
    t_np = torch.as_tensor(t, dtype=torch.float64).cpu().numpy()
    b = torch.as_tensor(problem.mass(t_np, p), dtype=torch.float64, device=x.device)
    return trapezoid_row(x), b
