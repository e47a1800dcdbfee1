"""Schedules, grids and the exact Gaussian-mixture model."""

import numpy as np
import pytest
import torch

from pinnlab.generative.denoiser import convert_prediction
from pinnlab.generative.mixture import GaussianMixture, benchmark_mixture
from pinnlab.generative.schedule import (
    RectifiedFlowSchedule,
    VPSchedule,
    make_schedule,
    time_grid,
)

SCHEDULES = [VPSchedule("linear"), VPSchedule("cosine"), RectifiedFlowSchedule()]


@pytest.mark.parametrize("sch", SCHEDULES)
def test_lambda_inverse_and_derivatives(sch):
    t = np.linspace(0.01, sch.t_max - 0.01, 50)
    np.testing.assert_allclose(sch.t_of_lambda(sch.lambda_(t)), t, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sch.sigma_tilde(t), np.exp(-sch.lambda_(t)), rtol=1e-12)
    np.testing.assert_allclose(sch.alpha_of_sigma_tilde(sch.sigma_tilde(t)), sch.alpha(t),
                               rtol=1e-12)
    dt = 1e-6
    fd_alpha = (sch.alpha(t + dt) - sch.alpha(t - dt)) / (2 * dt)
    fd_sigma = (sch.sigma(t + dt) - sch.sigma(t - dt)) / (2 * dt)
    np.testing.assert_allclose(sch.d_alpha_dt(t), fd_alpha, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(sch.d_sigma_dt(t), fd_sigma, rtol=1e-5, atol=1e-8)
    assert sch.sigma_tilde(0.0) == 0.0


def test_linear_vp_matches_ddpm_table():
    """Continuous linear VP with beta in [0.1, 20] ~ DDPM's 1000-step table: sigma_tilde(1) ~
    152."""
    betas = np.linspace(1e-4, 0.02, 1000)
    abar = np.cumprod(1 - betas)
    sch = VPSchedule()
    np.testing.assert_allclose(2 * sch.log_alpha(np.arange(1, 1001) / 1000), np.log(abar),
                               rtol=1e-2, atol=2e-4)


@pytest.mark.parametrize("grid", ["uniform_t", "uniform_s", "logsnr", "karras"])
def test_grids_are_decreasing_to_zero(grid):
    s = time_grid(make_schedule("vp-linear"), 7, grid, sigma_start=80.0)
    assert len(s) == 8 and s[0] == 80.0 and s[-1] == 0.0 and np.all(np.diff(s) < 0)
    if grid == "logsnr":
        np.testing.assert_allclose(np.diff(np.log(s[:-1])), np.log(2e-3 / 80) / 6)


def test_denoiser_is_tweedie_of_the_noised_density():
    """D(y, s) = y + s^2 grad log p_s(y), grad by autograd."""
    gm = benchmark_mixture(dim=3, seed=2)
    y = torch.tensor(gm.sample(20, np.random.default_rng(0)) * 1.3, requires_grad=True)
    for s in (0.05, 0.7, 6.0):
        (grad,) = torch.autograd.grad(gm.log_prob(y, s).sum(), y)
        np.testing.assert_allclose(gm.denoise(y, s).detach(), (y + s**2 * grad).detach(),
                                   atol=1e-10)
        np.testing.assert_allclose(gm.eps(y, s).detach(), (-s * grad).detach(), atol=1e-10)


def test_exact_endpoint_single_gaussian_closed_form():
    """One Gaussian N(mu, C): along the PF-ODE, U^T (y - mu) scales by sqrt((c + s^2)/(c +
    s0^2))."""
    cov = np.array([[0.3, 0.1], [0.1, 0.2]])
    gm = GaussianMixture([1.0], [[0.5, -1.0]], cov[None])
    y0 = np.random.default_rng(0).standard_normal((5, 2)) * 40
    lam, vec = np.linalg.eigh(cov)
    proj = (y0 - gm.means[0]) @ vec * np.sqrt(lam / (lam + 40.0**2))
    exact = gm.means[0] + proj @ vec.T
    np.testing.assert_allclose(gm.ode_endpoint(y0, 40.0), exact, atol=1e-9)


def test_exact_endpoint_solvers_agree():
    gm = benchmark_mixture(dim=2, seed=0)
    noise = np.random.default_rng(4).standard_normal((16, 2))
    y0 = gm.sample(16, np.random.default_rng(3)) + 80 * noise
    a = gm.ode_endpoint(y0, 80.0)
    b = gm.ode_endpoint(y0, 80.0, method="RK45", rtol=1e-11, atol=1e-11)
    assert np.abs(a - b).max() < 1e-7


@pytest.mark.parametrize("sch", SCHEDULES)
def test_prediction_conversions_roundtrip(sch):
    gm = benchmark_mixture(dim=2)
    t = 0.37
    x = torch.randn(6, 2, dtype=torch.float64)
    outs = {p: gm.as_model(sch, p)(x, torch.full((6,), t, dtype=torch.float64))
            for p in ("noise", "data", "velocity")}
    for src in outs:
        for dst in outs:
            converted = convert_prediction(outs[src], x, t, sch, src, dst)
            np.testing.assert_allclose(converted, outs[dst], atol=1e-10)
