"""Exact Gaussian-process base model (gpytorch), hyper-parameters shared across the GPME family.

Prior u ~ GP(c, k_θ) on scaled inputs s = (s_t, s_x) ∈ [0, 1]², with a constant mean c and an
ARD Matérn-5/2 kernel k_θ = σ_f² M_{5/2}(|(s - s')/ℓ|); observations u_i = f(s_i) + ε_i,
ε_i ~ N(0, σ_n²). "Training across the family" fits θ = (c, σ_f, ℓ_t, ℓ_x, σ_n) once, by Adam on
the summed exact marginal likelihood of many training functions' context sets (each function is
its own independent GP draw with the same θ). Prediction for a test function conditions the GP
on that function's context points only, and returns the full predictive covariance on the
evaluation grid (latent f plus σ_n² I, which also keeps Σ well conditioned).

Shapes: context_s (B, Nc, 2), context_u (B, Nc), target_s (B, Nt, 2) → mean (B, Nt),
covariance (B, Nt, Nt). gpytorch is imported lazily by the functions that need it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from pinnlab.conservation.data import sample_functions
from pinnlab.conservation.problems import GPMEProblem
from pinnlab.errors import DivergenceError, optional_import


@dataclass
class GPConfig:
    """Hyper-parameter fit budget: ``iters`` Adam steps on ``n_functions`` training functions."""

    n_functions: int = 64
    iters: int = 150
    lr: float = 0.05
    seed: int = 0
    dtype: torch.dtype = torch.float64
    device: str | torch.device = "cpu"


def _model(train_s: torch.Tensor, train_u: torch.Tensor):
    gpytorch = optional_import("gpytorch", "gp")

    class FamilyGP(gpytorch.models.ExactGP):
        def __init__(self, s, u, likelihood):
            super().__init__(s, u, likelihood)
            self.mean_module = gpytorch.means.ConstantMean()
            self.covar_module = gpytorch.kernels.ScaleKernel(
                gpytorch.kernels.MaternKernel(nu=2.5, ard_num_dims=2)
            )

        def forward(self, s):
            return gpytorch.distributions.MultivariateNormal(
                self.mean_module(s), self.covar_module(s)
            )

    likelihood = gpytorch.likelihoods.GaussianLikelihood(
        noise_constraint=gpytorch.constraints.GreaterThan(1e-6)
    )
    return FamilyGP(train_s, train_u, likelihood).to(train_s)


class FamilyGaussianProcess:
    """An exact GP whose hyper-parameters were fitted on the whole GPME family."""

    def __init__(self, problem: GPMEProblem, config: GPConfig | None = None):
        self.problem = problem
        self.config = config or GPConfig()
        self.model = None
        self.seconds = 0.0
        self.losses: list[float] = []

    def fit(self) -> FamilyGaussianProcess:
        """Maximise Σ_functions log p(u_context | θ) over θ with Adam (float64 by default)."""
        gpytorch = optional_import("gpytorch", "gp")

        from pinnlab.conservation.train import to_tensors

        cfg = self.config
        torch.manual_seed(cfg.seed)
        batch = sample_functions(self.problem, cfg.n_functions, np.random.default_rng(cfg.seed))
        cs, cu, _, _, _ = to_tensors(self.problem, batch, cfg.dtype, cfg.device)
        self.model = _model(cs, cu)
        self.model.train()
        mll = gpytorch.mlls.ExactMarginalLogLikelihood(self.model.likelihood, self.model)
        opt = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        start = time.perf_counter()
        for it in range(cfg.iters):
            opt.zero_grad(set_to_none=True)
            loss = -mll(self.model(cs), cu).sum() / cu.numel()
            if not torch.isfinite(loss):
                raise DivergenceError(f"GP marginal likelihood became {float(loss)} at step {it}")
            loss.backward()
            opt.step()
            self.losses.append(float(loss.detach()))
        self.seconds = time.perf_counter() - start
        return self

    @torch.no_grad()
    def predict(self, context_s, context_u, target_s) -> tuple[torch.Tensor, torch.Tensor]:
        """Predictive mean (B, Nt) and covariance (B, Nt, Nt) given each function's context."""
        gpytorch = optional_import("gpytorch", "gp")

        if self.model is None:
            raise RuntimeError("call fit() before predict()")
        dtype = self.config.dtype
        dev = self.config.device
        cs, cu, ts = (
            torch.as_tensor(a, dtype=dtype, device=dev) for a in (context_s, context_u, target_s)
        )
        self.model.set_train_data(cs, cu, strict=False)
        self.model.eval()
        with gpytorch.settings.fast_pred_var(False), gpytorch.settings.max_cholesky_size(10**6):
            pred = self.model.likelihood(self.model(ts))
            return pred.mean, pred.covariance_matrix
