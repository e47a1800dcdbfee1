"""Random weight factorisation W = diag(exp(s)) V: the same network function at initialisation
as the plain network of the same seed (a reparametrisation, not a new model), exact jet
derivatives, and gradients that reach s; an option of every method's network."""

import numpy as np
import pytest
import torch

import pinnlab
from pinnlab.jet import JetBasis
from pinnlab.nn import FieldNetwork
from pinnlab.testing import assert_derivatives_match_fd


def _net(factorized: bool) -> FieldNetwork:
    torch.set_default_dtype(torch.float64)
    try:
        return FieldNetwork({"x": (-1.0, 1.0), "t": (0.0, 1.0)}, ["u", "v"], width=16, depth=3,
                            factorized=factorized, generator=torch.Generator().manual_seed(4))
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
