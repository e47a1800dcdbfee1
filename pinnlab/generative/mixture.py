"""Analytic Gaussian-mixture data: exact denoiser, exact noise prediction, exact probability-flow
endpoint.

Data p0 = sum_k w_k N(mu_k, C_k) in R^d. In the frame y = x/alpha the noised density at noise level
s = sigma_tilde is the mixture of N(mu_k, C_k + s^2 I), whose Tweedie denoiser and noise prediction
are

    D(y, s)   = sum_k r_k(y) [mu_k + C_k (C_k + s^2 I)^-1 (y - mu_k)],
    eps(y, s) = (y - D)/s = s sum_k r_k(y) (C_k + s^2 I)^-1 (y - mu_k)       (finite, = 0, at s =
    0),

with r_k the responsibilities. The probability-flow ODE in (y, u = log s), dy/du = y - D(y, e^u),
is solved
with scipy's DOP853 at tight tolerances down to s = 1e-7 (the remaining change is O(s^2)), giving
the exact
endpoint that every sampler is scored against.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .schedule import Schedule


@dataclass
class GaussianMixture:
    """weights (K,), means (K, d), covs (K, d, d) symmetric positive definite; float64 numpy."""

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray

    def __post_init__(self):
        self.weights = np.asarray(self.weights, dtype=float) / np.sum(self.weights)
        self.means = np.asarray(self.means, dtype=float)
        self.covs = np.asarray(self.covs, dtype=float)
        self.eigval, self.eigvec = np.linalg.eigh(self.covs)  # (K, d), (K, d, d)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n exact data samples, shape (n, d)."""
        k = rng.choice(len(self.weights), size=n, p=self.weights)
        z = rng.standard_normal((n, self.dim))
        root = self.eigvec * np.sqrt(self.eigval)[:, None, :]  # C_k = root root^T
        return self.means[k] + np.einsum("nij,nj->ni", root[k], z)

    # --- exact model, torch (any dtype/device) ---------------------------------------------------
    def _tensors(self, like: torch.Tensor):
        cvt = lambda a: torch.as_tensor(a, dtype=like.dtype, device=like.device)  # noqa: E731
        return cvt(np.log(self.weights)), cvt(self.means), cvt(self.eigval), cvt(self.eigvec)

    def _components(self, y: torch.Tensor, s: float | torch.Tensor):
        """Responsibilities r (n, K) and (C_k + s^2)^-1 (y - mu_k) in the eigenbasis pieces."""
        logw, mu, lam, vec = self._tensors(y)
        diff = y[:, None, :] - mu[None]                         # (n, K, d)
        proj = torch.einsum("kdj,nkd->nkj", vec, diff)          # coordinates in eigenbasis
        var = lam[None] + torch.as_tensor(s, dtype=y.dtype, device=y.device) ** 2  # (1, K, d)
        logp = logw - 0.5 * (proj**2 / var + torch.log(2 * math.pi * var)).sum(-1)
        r = torch.softmax(logp, dim=1)
        return r, proj, var, lam, vec

    def eps(self, y: torch.Tensor, s: float) -> torch.Tensor:
        """Exact noise prediction at noise level s >= 0; y of shape (n, d)."""
        r, proj, var, _, vec = self._components(y, s)
        return s * torch.einsum("nk,kdj,nkj->nd", r, vec, proj / var)

    def denoise(self, y: torch.Tensor, s: float) -> torch.Tensor:
        """Exact Tweedie denoiser D(y, s) = E[x0 | y]."""
        r, proj, var, lam, vec = self._components(y, s)
        _, mu, _, _ = self._tensors(y)
        inner = torch.einsum("kdj,nkj->nkd", vec, lam[None] * proj / var) + mu[None]
        return torch.einsum("nk,nkd->nd", r, inner)

    def log_prob(self, y: torch.Tensor, s: float = 0.0) -> torch.Tensor:
        """log density of the noised mixture at noise level s, shape (n,)."""
        logw, mu, lam, vec = self._tensors(y)
        diff = y[:, None, :] - mu[None]
        proj = torch.einsum("kdj,nkd->nkj", vec, diff)
        var = lam[None] + s**2
        logp = logw - 0.5 * (proj**2 / var + torch.log(2 * math.pi * var)).sum(-1)
        return torch.logsumexp(logp, dim=1)

    def as_model(self, schedule: Schedule, prediction: str = "noise") -> Callable:
        """The exact model ``(x_t, t) -> eps | x0 | v`` under ``schedule``, for
        :class:`Denoiser`."""

        def model(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            tt = float(t.reshape(-1)[0])
            a, sg = float(schedule.alpha(tt)), float(schedule.sigma(tt))
            y, s = x / a, sg / a
            eps = self.eps(y, s)
            if prediction == "noise":
                return eps
            x0 = self.denoise(y, s)
            if prediction == "data":
                return x0
            return float(schedule.d_alpha_dt(tt)) * x0 + float(schedule.d_sigma_dt(tt)) * eps

        return model

    # --- exact probability-flow endpoint --------------------------------------------------------
    def ode_endpoint(self, y_start: np.ndarray, sigma_start: float, *, method: str = "DOP853",
                     rtol: float = 1e-12, atol: float = 1e-12,
                     sigma_end: float = 1e-7) -> np.ndarray:
        """Exact PF-ODE endpoint of y_start (n, d) at noise level sigma_start, float64 numpy (n,
        d)."""
        from scipy.integrate import solve_ivp

        y0 = np.asarray(y_start, dtype=float)
        shape = y0.shape

        def rhs(u, flat):
            y = torch.from_numpy(flat.reshape(shape))
            return (y - self.denoise(y, math.exp(u))).numpy().ravel()

        span = (math.log(sigma_start), math.log(sigma_end))
        sol = solve_ivp(rhs, span, y0.ravel(), method=method, rtol=rtol, atol=atol)
        if not sol.success:  # pragma: no cover - scipy failure
            raise RuntimeError(f"reference ODE solve failed: {sol.message}")
        return sol.y[:, -1].reshape(shape)


def benchmark_mixture(dim: int = 2, n_components: int = 5, seed: int = 0) -> GaussianMixture:
    """The mixture used by the sampler tests and benchmark: means ~ N(0, 1.5^2 I), anisotropic
    covariances
    with standard deviations in [0.1, 0.5] along random axes, Dirichlet(2) weights."""
    rng = np.random.default_rng(seed)
    means = 1.5 * rng.standard_normal((n_components, dim))
    covs = []
    for _ in range(n_components):
        q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        std = rng.uniform(0.1, 0.5, dim)
        covs.append(q @ np.diag(std**2) @ q.T)
    return GaussianMixture(rng.dirichlet(2.0 * np.ones(n_components)), means, np.stack(covs))
