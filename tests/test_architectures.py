"""The network options beyond the MLP. Random weight factorisation W = diag(exp(s)) V: the same
network function at initialisation as the plain network of the same seed (a reparametrisation,
not a new model), exact jet derivatives, gradients that reach s. PirateNet: at the start (every
α = 0) a linear function of its features, exact jets, gradients that reach α. Both are options
of every method's network."""

import numpy as np
import pytest
import torch

import pinnlab
from pinnlab.jet import JetBasis
from pinnlab.nn import FieldNetwork
from pinnlab.testing import assert_derivatives_match_fd


def _net(factorized: bool, **kw) -> FieldNetwork:
    torch.set_default_dtype(torch.float64)
    try:
        return FieldNetwork({"x": (-1.0, 1.0), "t": (0.0, 1.0)}, ["u", "v"], width=16, depth=3,
                            factorized=factorized, generator=torch.Generator().manual_seed(4),
                            **kw)
    finally:
        torch.set_default_dtype(torch.float32)


def test_same_function_at_initialisation_and_exact_jets():
    plain, fact = _net(False), _net(True)
    assert len(fact.log_scales) == 4 and not len(plain.log_scales)
    s = torch.cat([p.detach() for p in fact.log_scales])
    assert abs(float(s.mean()) - 1.0) < 0.05 and 0.05 < float(s.std()) < 0.15
    pts = torch.rand(50, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    basis = JetBasis(2, [(0, 0), (1,), (0, 1)])
    a, b = plain.jet(basis.seed(pts)), fact.jet(basis.seed(pts))
    for idx in basis.indices:  # exp(s) exp(-s) = 1 up to rounding
        assert torch.allclose(a.d(idx), b.d(idx), rtol=0, atol=1e-13)
    assert_derivatives_match_fd(fact, pts, [(0, 0), (1, 1), (0, 1)], rtol=1e-6)


def test_gradients_reach_the_scales():
    fact = _net(True)
    pts = torch.rand(20, 2, dtype=torch.float64)
    (fact(pts) ** 2).sum().backward()
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in fact.log_scales)


def test_piratenet_starts_linear_in_its_features_with_exact_jets():
    net = _net(False, architecture="piratenet", fourier=8)
    assert len(net.alphas) == 3 and len(net.layers) == 2 + 3 * 3 + 1
    pts = torch.rand(40, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    basis = JetBasis(2, [(0, 0), (1,)])
    feats = net.features(basis.seed(pts))
    last = net.layers[-1]
    with torch.no_grad():
        linear = feats.linear(last.weight, last.bias)  # α = 0: the blocks pass φ through
        got = net.jet(basis.seed(pts))
    for idx in basis.indices:
        assert torch.allclose(got.d(idx), linear.d(idx), rtol=0, atol=1e-14)
    with torch.no_grad():
        for a in net.alphas:
            a.fill_(0.7)
    assert_derivatives_match_fd(net, pts, [(0, 0), (1, 1), (0, 1)], rtol=1e-6)
    (net(pts) ** 2).sum().backward()
    assert all(float(a.grad.abs()) > 0 for a in net.alphas)
    fact = _net(True, architecture="piratenet", fourier=8)
    assert len(fact.log_scales) == len(fact.layers)


@pytest.mark.parametrize("method", ["pinn", "lpinn"])
def test_option_of_the_methods(method):
    """Untrained, the factorised model predicts what the plain one of the same seed does."""
    spec = "problems/lpinn/convection_diffusion.toml"
    pts = {"x": np.linspace(0.1, 6.0, 7), "t": np.linspace(0.0, 1.0, 7)}
    out = {}
    for fact in (False, True):
        r = pinnlab.solve(spec, method=method, progress=False, weight_factorization=fact,
                          adam_steps=0, lbfgs_steps=0, evaluate=False)
        names = [n for n, _ in r.module.named_parameters()]
        assert any("log_scales" in n for n in names) == fact
        out[fact] = r.predict(pts)["u"]
    assert np.abs(out[True] - out[False]).max() < 1e-12
    extra = {"fourier": 4} if method == "pinn" else {}  # LPINN's net has no Fourier option
    r = pinnlab.solve(spec, method=method, progress=False, architecture="piratenet",
                      adam_steps=3, lbfgs_steps=0, evaluate=False, **extra)
    assert any("alphas" in n for n, _ in r.module.named_parameters())
    assert np.all(np.isfinite(r.predict(pts)["u"]))
