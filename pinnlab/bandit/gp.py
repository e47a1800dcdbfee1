"""The bandit's reward model: an exact Gaussian process (gpytorch) over (context, interface mask).

Inputs are ``z = [s, w]`` with ``s`` the standardised context (``c`` numbers) and ``w ∈ {0, 1}⁹``
the interface mask. The covariance is the product (METALIC's mixed kernel)

    k(z, z') = σ² · exp(−½ Σ_i (s_i − s'_i)² / ℓ_i²) · exp(θ · (1/9) Σ_j [w_j = w'_j])

(RBF with one length per context dimension × an exponentiated Hamming similarity, ``θ ≥ 0``,
which is positive definite as the exponential of a positive-definite kernel) and the noise is
Gaussian. Rewards are standardised before fitting; hyper-parameters maximise the exact marginal
likelihood (Adam on the raw parameters, then as many L-BFGS steps as converge).
"""

from __future__ import annotations

import torch

from ..errors import optional_import

gpytorch = optional_import("gpytorch", "gp")


class HammingKernel(gpytorch.kernels.Kernel):
    """``exp(θ · mean_j [w_j = w'_j])`` on binary vectors; ``θ ≥ 0`` is learned."""

    has_lengthscale = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.register_parameter("raw_theta", torch.nn.Parameter(torch.zeros(*self.batch_shape,
                                                                            1, 1)))
        self.register_constraint("raw_theta", gpytorch.constraints.Positive())

    @property
    def theta(self) -> torch.Tensor:
        return self.raw_theta_constraint.transform(self.raw_theta)

    def forward(self, x1, x2, diag=False, **params):
        same = 1.0 - (x1[..., :, None, :] - x2[..., None, :, :]).abs()
        k = torch.exp(self.theta * same.mean(-1))
        return k.diagonal(dim1=-2, dim2=-1) if diag else k


class RewardGP(gpytorch.models.ExactGP):
    """``r(s, w)`` with the product kernel; ``n_context`` leading input columns are ``s``."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, n_context: int,
                 likelihood: gpytorch.likelihoods.GaussianLikelihood):
        super().__init__(x, y, likelihood)
        n_bits = x.shape[1] - n_context
        ctx = tuple(range(n_context))
        bits = tuple(range(n_context, n_context + n_bits))
        self.mean_module = gpytorch.means.ConstantMean()
        rbf = gpytorch.kernels.RBFKernel(ard_num_dims=n_context, active_dims=ctx)
        self.covar_module = gpytorch.kernels.ScaleKernel(
            rbf * HammingKernel(active_dims=bits))

    def forward(self, x):
        return gpytorch.distributions.MultivariateNormal(self.mean_module(x),
                                                         self.covar_module(x))


class RewardModel:
    """Fit on ``(x, y)`` pairs; ``posterior(x)`` returns the mean and covariance of the rewards
    (in reward units) at new inputs ``x`` of shape ``(m, n_context + 9)``."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, n_context: int, *, iters: int = 150,
                 seed: int = 0, init: dict | None = None):
        x = torch.as_tensor(x, dtype=torch.float64)
        y = torch.as_tensor(y, dtype=torch.float64)
        self.y_mean = y.mean()
        self.y_std = y.std().clamp_min(1e-6) if len(y) > 1 else torch.tensor(1.0,
                                                                             dtype=torch.float64)
        ys = (y - self.y_mean) / self.y_std
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            lik = gpytorch.likelihoods.GaussianLikelihood(
                noise_constraint=gpytorch.constraints.GreaterThan(1e-4)).double()
            self.model = RewardGP(x, ys, n_context, lik).double()
            lik.noise = 0.1
            if init is not None:  # warm start from the previous round's hyper-parameters
                self.model.load_state_dict(init)
            self._fit(iters)

    def _fit(self, iters: int) -> None:
        model, lik = self.model, self.model.likelihood
        model.train()
        lik.train()
        mll = gpytorch.mlls.ExactMarginalLogLikelihood(lik, model)
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        x, y = model.train_inputs[0], model.train_targets
        for _ in range(iters):
            opt.zero_grad()
            loss = -mll(model(x), y)
            loss.backward()
            opt.step()
        model.eval()
        lik.eval()

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean ``(m,)`` and covariance ``(m, m)`` of the latent reward at ``x``."""
        x = torch.as_tensor(x, dtype=torch.float64)
        with torch.no_grad(), gpytorch.settings.fast_pred_var(False):
            f = self.model(x)
            mean = f.mean * self.y_std + self.y_mean
            cov = f.covariance_matrix * self.y_std**2
        return mean, cov

    def state_dict(self) -> dict:
        """The hyper-parameters (no data), to warm-start the next fit."""
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()}
