"""Gradients through an ODE sampler by the adjoint method (AdjointDPM-style), memory flat in the
steps.

Forward: integrate the probability-flow ODE dz/dtau = f(z, tau; theta) from noise to data with an
explicit
Runge-Kutta method (variable "sigma": z = y, tau = sigma_tilde, f = eps_hat; variable "flow": z =
(1 - s) y,
tau = s, f = eps_hat - x0_hat) without recording a graph. Backward: integrate the augmented system

    dz/dtau = f,   da/dtau = -a^T df/dz,   dg/dtau = -a^T df/dtheta,

from tau = 0 (a = dL/dz(0), g = 0) back to tau_T with the same Runge-Kutta tableau on the reversed
grid,
re-solving z backwards instead of storing it. Each stage needs one model evaluation and one
vector-Jacobian product, so memory is that of a single evaluation, whatever the number of steps;
dL/dz_T = a(tau_T), dL/dtheta = g(tau_T). The continuous adjoint equals backpropagation through the
unrolled sampler up to the discretisation error of both, O(h^p).

The model must be evaluable at zero noise (noise or velocity prediction), because the last stage of
RK4
and the first backward stage sit at tau = 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from .denoiser import Denoiser
from .rk import drift, from_state, rk, tau_of_sigma, to_state
from .schedule import Schedule, VPSchedule, time_grid


class _AdjointSample(torch.autograd.Function):
    @staticmethod
    def forward(ctx, setup, z_T, *params):
        den, taus, tableau, variable = setup
        with torch.no_grad():
            z = (z_T,)
            for t0, t1 in zip(taus[:-1], taus[1:], strict=True):
                z = rk(lambda s, t: (drift(den, s[0], t, variable),), z, t0, t1, tableau)
        ctx.setup, ctx.params = setup, params
        ctx.save_for_backward(z[0].detach())
        return z[0]

    @staticmethod
    def backward(ctx, grad_out):
        den, taus, tableau, variable = ctx.setup
        (z0,) = ctx.saved_tensors
        params = list(ctx.params)

        def augmented(state, tau):
            z, a = state[0], state[1]
            with torch.enable_grad():
                zz = z.detach().requires_grad_(True)
                f = drift(den, zz, tau, variable)
                grads = torch.autograd.grad(f, [zz, *params], grad_outputs=a, allow_unused=True)
            vjp_z = grads[0]
            vjp_p = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads[1:],
                                                                              strict=True)]
            return (f.detach(), -vjp_z, *[-g for g in vjp_p])

        state = (z0, grad_out, *[torch.zeros_like(p) for p in params])
        rev = taus[::-1]
        for t0, t1 in zip(rev[:-1], rev[1:], strict=True):
            state = rk(augmented, state, t0, t1, tableau)
        return (None, state[1], *state[2:])


def _setup(model, x_T, n_steps, schedule, prediction, t_start, variable, grid, sigma_min):
    """(denoiser, integration times tau_0..tau_N, state z_T) of the RK sampler."""
    schedule = schedule or VPSchedule()
    t_start = schedule.t_max if t_start is None else t_start
    sigma_start = float(schedule.sigma_tilde(t_start))
    sigmas = time_grid(schedule, n_steps, grid, sigma_start=sigma_start, sigma_min=sigma_min)
    taus = [tau_of_sigma(float(s), variable) for s in sigmas]
    z_T = to_state(x_T / float(schedule.alpha(t_start)), sigma_start, variable)
    return Denoiser(model, schedule, prediction), taus, z_T


def adjoint_sample(model: Callable, x_T: torch.Tensor, params: Sequence[torch.Tensor], n_steps: int,
                   *, schedule: Schedule | None = None, prediction: str = "noise",
                   t_start: float | None = None, tableau: str = "rk4", variable: str = "sigma",
                   grid: str = "uniform_s", sigma_min: float = 2e-3) -> torch.Tensor:
    """x0 = ODE sample of x_T with gradients to x_T and ``params`` by the adjoint method.

    Args:
        model: (x_t, t) -> prediction; its trainable tensors that need gradients are ``params``.
        x_T: (batch, *field) at ``t_start``.
        n_steps: number of RK steps (NFE = n_steps * stages forward, twice that plus VJPs backward).
        tableau: "euler", "midpoint", "heun", "rk4"; variable: "sigma" or "flow".
    Returns:
        x0 (batch, *field); differentiable with respect to x_T and params.
    """
    den, taus, z_T = _setup(model, x_T, n_steps, schedule, prediction, t_start, variable, grid,
                            sigma_min)
    z0 = _AdjointSample.apply((den, taus, tableau, variable), z_T, *params)
    return from_state(z0, 0.0, variable)


def unrolled_sample(model: Callable, x_T: torch.Tensor, n_steps: int, *,
                    schedule: Schedule | None = None, prediction: str = "noise",
                    t_start: float | None = None, tableau: str = "rk4", variable: str = "sigma",
                    grid: str = "uniform_s", sigma_min: float = 2e-3) -> torch.Tensor:
    """The same sampler as :func:`adjoint_sample`, differentiated by plain backpropagation
    (memory grows linearly with ``n_steps``)."""
    den, taus, z = _setup(model, x_T, n_steps, schedule, prediction, t_start, variable, grid,
                          sigma_min)
    z = (z,)
    for t0, t1 in zip(taus[:-1], taus[1:], strict=True):
        z = rk(lambda s, t: (drift(den, s[0], t, variable),), z, t0, t1, tableau)
    return from_state(z[0], 0.0, variable)
