"""Conditioning the ANP's latent mixture on the mass constraint (pinnlab.conservation.mixture)."""

from __future__ import annotations

import math

import pytest
import torch

from pinnlab.conservation.mixture import conserve_mixture
from pinnlab.conservation.update import conserve, trapezoid_row
from pinnlab.errors import DataError


def _mixture(k: int, batch: int, n: int, seed: int):
    gen = torch.Generator().manual_seed(seed)
    means = torch.randn(k, batch, n, dtype=torch.float64, generator=gen)
    variances = 0.05 + torch.rand(k, batch, n, dtype=torch.float64, generator=gen)
    g = trapezoid_row(torch.linspace(0, 1, n, dtype=torch.float64))
    b = torch.randn(batch, dtype=torch.float64, generator=gen)
    return means, variances, g, b


@pytest.mark.parametrize("sigma_g", [0.0, 0.3])
def test_one_component_is_the_gaussian_update(sigma_g):
    means, variances, g, b = _mixture(1, 3, 9, 0)
    mix = conserve_mixture(means, variances, g, b, sigma_g=sigma_g)
    ref = conserve(means[0], variances[0], g, b, sigma_g=sigma_g)
    post = mix.moments()
    torch.testing.assert_close(mix.weights, torch.ones(1, 3, dtype=torch.float64))
    torch.testing.assert_close(post.mean, ref.mean, rtol=0, atol=1e-12)
    torch.testing.assert_close(post.cov, ref.cov, rtol=0, atol=1e-12)


def test_evidence_weights_and_exact_conservation():
    means, variances, g, b = _mixture(4, 5, 11, 1)
    mix = conserve_mixture(means, variances, g, b)
    # weights ∝ N(b; g·μ_k, g D_k gᵀ), written out by hand
    s = (g**2 * variances).sum(-1)
    logw = -0.5 * ((means @ g - b) ** 2 / s + torch.log(2 * math.pi * s))
    torch.testing.assert_close(mix.weights, torch.softmax(logw, 0), rtol=0, atol=1e-12)
    assert float((mix.means @ g - b).abs().max()) < 1e-12  # every component conserves
    post = mix.moments()
    assert float((post.mean @ g - b).abs().max()) < 1e-12
    assert float((post.cov @ g).abs().max()) < 1e-10  # no variance left along the constraint
    lam = torch.linalg.eigvalsh(post.cov)
    assert float((lam[:, 0] / lam[:, -1]).min()) > -1e-12
    # equal weights (the reference's choice) when evidence is off
    flat = conserve_mixture(means, variances, g, b, evidence=False)
    torch.testing.assert_close(flat.weights, torch.full((4, 5), 0.25, dtype=torch.float64))


def test_samples_conserve_and_match_the_mixture_moments():
    means, variances, g, b = _mixture(3, 2, 7, 2)
    mix = conserve_mixture(means, variances, g, b)
    # 160 000 draws: the sample moments' worst errors over seeds 0-7 (1 and 2 threads) are
    # 0.003-0.009 (mean) and 0.006-0.017 (cov); with 40 000 they reached 0.024 and 0.054. The
    # evidence weights move the moments by 0.9 (mean) and 2.0 (cov) from equal weights.
    draws = mix.sample(160_000, torch.Generator().manual_seed(3))
    assert draws.shape == (160_000, 2, 7)
    assert float((draws @ g - b).abs().max()) < 1e-10
    post = mix.moments()
    torch.testing.assert_close(draws.mean(0), post.mean, rtol=0, atol=0.03)
    dev = draws - draws.mean(0)
    cov = torch.einsum("sbi,sbj->bij", dev, dev) / draws.shape[0]
    torch.testing.assert_close(cov, post.cov, rtol=0, atol=0.05)


def test_bad_mixture_input_raises():
    means, variances, g, b = _mixture(2, 2, 5, 4)
    with pytest.raises(DataError, match="equal shapes"):
        conserve_mixture(means, variances[:, :1], g, b)
    with pytest.raises(DataError, match=">= 0"):
        conserve_mixture(means, -variances, g, b)
    with pytest.raises(DataError, match="not positive definite"):
        conserve_mixture(means, torch.zeros_like(variances), g, b)
    bad = means.clone()
    bad[0, 0, 0] = float("nan")
    with pytest.raises(DataError, match="NaN"):
        conserve_mixture(bad, variances, g, b)
