"""The ProbConserv update: exact constraint, PSD posterior, agreement with dense conditioning."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pinnlab.conservation.problems import builtin_problem
from pinnlab.conservation.update import (
    GaussianField,
    conserve,
    hard_constraint,
    mass_constraint,
    sample_conserved,
    trapezoid_row,
)
from pinnlab.errors import DataError, PinnlabError

N = 201


def _random_gaussian(batch: int, n: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    x = torch.linspace(0, 1, n, dtype=torch.float64)
    mean = torch.sin(3 * x) + 0.1 * torch.randn(batch, n, generator=gen, dtype=torch.float64)
    # smooth (squared-exponential) covariance plus a random low-rank part: ill-conditioned but PD
    se = torch.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / 0.05**2)
    lr = torch.randn(batch, n, 5, generator=gen, dtype=torch.float64) * 0.1
    cov = 0.01 * se + lr @ lr.transpose(-1, -2) + 1e-8 * torch.eye(n, dtype=torch.float64)
    return x, mean, cov


def _min_eig_ratio(cov: torch.Tensor) -> float:
    lam = torch.linalg.eigvalsh(cov)
    return float((lam[..., 0] / lam[..., -1]).min())


@pytest.mark.parametrize("sigma_g", [0.0, 1e-3])
def test_update_matches_dense_conditioning(sigma_g):
    x, mean, cov = _random_gaussian(4, 60, seed=1)
    g = trapezoid_row(x)
    b = torch.tensor([0.3, -0.1, 0.5, 0.0], dtype=torch.float64)
    post = conserve(mean, cov, g, b, sigma_g=sigma_g)
    for i in range(4):  # peer: textbook formula with numpy solves, one slice at a time
        m, s, gg = mean[i].numpy(), cov[i].numpy(), g.numpy()[None, :]
        big_s = gg @ s @ gg.T + sigma_g**2
        m_ref = m - s @ gg.T @ np.linalg.solve(big_s, gg @ m - b[i].numpy())
        s_ref = s - s @ gg.T @ np.linalg.solve(big_s, gg @ s)
        np.testing.assert_allclose(post.mean[i].numpy(), m_ref, rtol=0, atol=1e-12)
        np.testing.assert_allclose(post.cov[i].numpy(), s_ref, rtol=0, atol=1e-12)


def test_exact_limit_conserves_to_1e10_and_stays_psd():
    x, mean, cov = _random_gaussian(8, N, seed=2)
    g = trapezoid_row(x)
    b = torch.linspace(-1, 1, 8, dtype=torch.float64)
    post = conserve(mean, cov, g, b)
    assert float((post.mean @ g - b).abs().max()) <= 1e-10
    assert float((mean @ g - b).abs().min()) > 1e-3  # the prior really was violating it
    assert _min_eig_ratio(post.cov) >= -1e-12
    # no variance left along the constraint: G Σ̃ Gᵀ = 0
    ratio = (g @ post.cov @ g) / (g @ cov @ g)
    assert float(ratio.abs().max()) < 1e-12
    # posterior variance never exceeds the prior's
    assert bool((post.variance <= torch.diagonal(cov, dim1=-2, dim2=-1) + 1e-15).all())


def test_finite_sigma_tends_to_exact_limit():
    x, mean, cov = _random_gaussian(2, 80, seed=3)
    g, b = trapezoid_row(x), torch.tensor([0.2, 0.4], dtype=torch.float64)
    exact = conserve(mean, cov, g, b)
    errs = [
        float((conserve(mean, cov, g, b, sigma_g=s).mean - exact.mean).abs().max())
        for s in (1e-1, 1e-2, 1e-3)
    ]
    assert errs[0] > errs[1] > errs[2]
    assert errs[1] / errs[2] > 50  # the gap closes like σ_G²
    loose = conserve(mean, cov, g, b, sigma_g=1e3)  # an uninformative constraint changes nothing
    assert float((loose.mean - mean).abs().max()) < 1e-6


def test_diagonal_input_moves_points_in_proportion_to_variance():
    x = torch.linspace(0, 1, N, dtype=torch.float64)
    var = 1e-4 + torch.exp(-0.5 * (x - 0.3) ** 2 / 0.02**2)  # large variance near x = 0.3
    mean = torch.zeros(N, dtype=torch.float64)
    g = trapezoid_row(x)
    post = conserve(mean, var, g, torch.tensor(0.1, dtype=torch.float64))
    full = conserve(mean, torch.diag(var), g, torch.tensor(0.1, dtype=torch.float64))
    torch.testing.assert_close(post.mean, full.mean, rtol=0, atol=1e-15)
    shift = post.mean - mean
    torch.testing.assert_close(
        shift / (var * g), (shift / (var * g))[0].expand(N), rtol=1e-10, atol=0
    )
    assert float(shift.argmax()) == pytest.approx(60, abs=1)  # x = 0.3


def test_hard_constraint_projects_mean_and_keeps_variance():
    x, mean, cov = _random_gaussian(3, N, seed=4)
    g, b = trapezoid_row(x), torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    post = hard_constraint(mean, cov, g, b)
    assert float((post.mean @ g - b).abs().max()) <= 1e-10
    torch.testing.assert_close(post.cov, cov, rtol=1e-12, atol=1e-14)  # symmetrised: rounding only
    shift = post.mean - mean  # orthogonal projection: the shift is parallel to G
    torch.testing.assert_close(shift / g, (shift / g)[:, :1].expand(-1, N), rtol=1e-9, atol=0)


def test_samples_of_exact_posterior_each_conserve_mass():
    x, mean, cov = _random_gaussian(1, N, seed=5)
    g, b = trapezoid_row(x), torch.tensor([0.25], dtype=torch.float64)
    post = conserve(mean, cov, g, b)
    draws = sample_conserved(mean, cov, g, b, 4000, generator=torch.Generator().manual_seed(0))
    assert float((draws @ g - b).abs().max()) <= 1e-10
    emp_var = draws.var(dim=0)
    rel = (emp_var - post.variance).abs() / post.variance.clamp_min(1e-12)
    assert float(rel[post.variance > 1e-4].max()) < 0.15  # 4000 draws: ~2.2 % sd of a variance


def test_trapezoid_row_integrates_exactly_linear_functions():
    x = torch.sort(torch.rand(50, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))[
        0
    ]
    w = trapezoid_row(x)
    assert float(w @ (2 * x + 1)) == pytest.approx(
        float((x[-1] ** 2 + x[-1]) - (x[0] ** 2 + x[0])), rel=1e-13
    )


def test_bad_input_raises():
    x, mean, cov = _random_gaussian(1, 40, seed=6)
    g, b = trapezoid_row(x), torch.tensor([0.1], dtype=torch.float64)
    indefinite = cov.clone()
    indefinite[0, 5, 5] = -1.0
    with pytest.raises(DataError, match="positive semi-definite"):
        conserve(mean, indefinite, g, b)
    with pytest.raises(DataError, match="negative"):
        conserve(mean[0], -torch.ones(40, dtype=torch.float64), g, b[0])
    bad_mean = mean.clone()
    bad_mean[0, 3] = float("nan")
    with pytest.raises(DataError, match="NaN"):
        conserve(bad_mean, cov, g, b)
    with pytest.raises(DataError, match="not positive definite"):
        conserve(mean, torch.zeros_like(mean), g, b)  # zero variance: nothing can move
    with pytest.raises(DataError, match="symmetric"):
        asym = cov.clone()
        asym[0, 0, 1] += 1.0
        conserve(mean, asym, g, b)
    stefan = builtin_problem("stefan")
    grid = torch.linspace(0, 1, 41, dtype=torch.float64)
    with pytest.raises(PinnlabError, match="outside the time domain"):
        mass_constraint(stefan, 0.5, grid, 0.6)
    with pytest.raises(DataError, match="span"):
        mass_constraint(stefan, 0.05, grid[:-5], 0.6)
    g_ok, b_ok = mass_constraint(stefan, 0.05, grid, 0.6)
    assert float(b_ok) == pytest.approx(0.18595, abs=1e-5)


def test_gaussian_field_variance_is_diagonal():
    f = GaussianField(torch.zeros(3), torch.diag(torch.tensor([1.0, 2.0, 3.0])))
    assert f.variance.tolist() == [1.0, 2.0, 3.0]
