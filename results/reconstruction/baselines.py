"""Baselines for the heat-field reconstruction: gpytorch GP regression and a plain torch PINN
inverse.

Both see the same observed points (t_k, x_k, u_k) on the (t, x) grid of the heat family.

* GP: exact GP, constant mean, scaled RBF kernel with one length scale per axis, Gaussian
  likelihood;
  hyper-parameters by 150 Adam steps on the marginal likelihood (inputs scaled to [0, 1]). kappa by
  least
  squares on the finite-difference residual of the posterior mean.
* PINN inverse: MLP u(t', x) (t' = t / t_end, 3 x 32 tanh) and log kappa; loss = data misfit +
  residual (u_t' - kappa t_end u_xx)^2 on 1024 collocation points + boundary u(t, 0) = u(t, 1) = 0;
  Adam, 2500 steps (lr 3e-3 -> cosine).
"""

from __future__ import annotations

import numpy as np
import torch


def gp_reconstruct(t_obs, x_obs, u_obs, t, x, iters: int = 150):
    import gpytorch

    t_end = float(t[-1])
    train_x = torch.tensor(np.stack([t_obs / t_end, x_obs], 1), dtype=torch.float64)
    train_y = torch.tensor(u_obs, dtype=torch.float64)

    class GP(gpytorch.models.ExactGP):
        def __init__(self, lik):
            super().__init__(train_x, train_y, lik)
            self.mean = gpytorch.means.ConstantMean()
            self.cov = gpytorch.kernels.ScaleKernel(gpytorch.kernels.RBFKernel(ard_num_dims=2))

        def forward(self, z):
            return gpytorch.distributions.MultivariateNormal(self.mean(z), self.cov(z))

    lik = gpytorch.likelihoods.GaussianLikelihood().double()
    model = GP(lik).double()
    model.train()
    lik.train()
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    mll = gpytorch.mlls.ExactMarginalLogLikelihood(lik, model)
    for _ in range(iters):
        opt.zero_grad()
        loss = -mll(model(train_x), train_y)
        loss.backward()
        opt.step()
    model.eval()
    lik.eval()
    tt, xx = np.meshgrid(t / t_end, x, indexing="ij")
    grid = torch.tensor(np.stack([tt.ravel(), xx.ravel()], 1), dtype=torch.float64)
    with torch.no_grad(), gpytorch.settings.fast_pred_var():
        mean = model(grid).mean.numpy().reshape(len(t), len(x))
    return mean


def pinn_reconstruct(t_obs, x_obs, u_obs, t, x, steps: int = 2500, seed: int = 0):
    torch.manual_seed(seed)
    t_end = float(t[-1])
    net = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32),
                              torch.nn.Tanh(), torch.nn.Linear(32, 32), torch.nn.Tanh(),
                              torch.nn.Linear(32, 1)).double()
    log_kappa = torch.zeros((), dtype=torch.float64, requires_grad=True)  # kappa = 1 to start
    obs_in = torch.tensor(np.stack([t_obs / t_end, x_obs], 1))
    obs_u = torch.tensor(u_obs)[:, None]
    scale = float(obs_u.std()) + 1e-8
    gen = torch.Generator().manual_seed(seed)
    col = torch.rand(1024, 2, generator=gen, dtype=torch.float64).requires_grad_(True)
    tb = torch.rand(128, 1, generator=gen, dtype=torch.float64)
    bnd = torch.cat([torch.cat([tb, torch.zeros_like(tb)], 1), torch.cat([tb, torch.ones_like(tb)],
                                                                          1)])
    opt = torch.optim.Adam([*net.parameters(), log_kappa], lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        opt.zero_grad()
        u = net(col)
        (du,) = torch.autograd.grad(u.sum(), col, create_graph=True)
        (du_x2,) = torch.autograd.grad(du[:, 1].sum(), col, create_graph=True)
        res = du[:, 0] - torch.exp(log_kappa) * t_end * du_x2[:, 1]
        loss = (((net(obs_in) - obs_u) / scale) ** 2).mean() + (res / scale).pow(2).mean() \
            + (net(bnd) / scale).pow(2).mean()
        loss.backward()
        opt.step()
        sched.step()
    tt, xx = np.meshgrid(t / t_end, x, indexing="ij")
    with torch.no_grad():
        grid = torch.tensor(np.stack([tt.ravel(), xx.ravel()], 1))
        mean = net(grid).numpy().reshape(len(t), len(x))
    return mean, float(torch.exp(log_kappa))
