"""Forward jets give the same derivatives as nested reverse-mode autograd and finite differences."""

import pytest
import torch

from pinnlab.jet import JetBasis
from pinnlab.nn import FieldNetwork
from pinnlab.testing import assert_derivatives_match_fd


def _autograd_derivative(f, x, index):
    """Nested torch.autograd.grad: the reference path."""
    y = f(x)[:, 0]
    for i in index:
        y = torch.autograd.grad(y.sum(), x, create_graph=True)[0][:, i]
    return y


@pytest.mark.parametrize("activation", ["tanh", "sin", "sigmoid"])
@pytest.mark.parametrize("indices", [[(0,), (1,), (0, 0)], [(0, 0, 1), (1, 1)], [(0, 0, 0, 0)]])
def test_network_jet_matches_autograd(activation, indices):
    torch.manual_seed(0)
    net = FieldNetwork({"x": (-1, 1), "t": (0, 2)}, ["u"], width=16, depth=3,
                       activation=activation, fourier=4, periodic=()).double()
    basis = JetBasis(2, indices)
    x = torch.rand(7, 2, dtype=torch.float64, requires_grad=True)
    jet = net.jet(basis.seed(x))
    for idx in basis.indices:
        want = _autograd_derivative(net, x, idx)
        assert torch.allclose(jet.d(idx)[:, 0], want, rtol=1e-10, atol=1e-10), idx


def test_periodic_embedding_is_exact():
    torch.manual_seed(1)
    net = FieldNetwork({"x": (0, 2 * torch.pi), "t": (0, 1)}, ["u"], periodic=["x"],
                       harmonics=2).double()
    basis = JetBasis(2, [(0,), (0, 0)])
    t = torch.rand(5, dtype=torch.float64)
    a = net.jet(basis.seed(torch.stack([torch.zeros(5, dtype=torch.float64), t], 1)))
    b = net.jet(basis.seed(torch.stack([torch.full((5,), 2 * torch.pi, dtype=torch.float64), t],
                                       1)))
    for idx in basis.indices:
        assert torch.allclose(a.d(idx), b.d(idx), atol=1e-12)


def test_derivatives_match_finite_differences():
    torch.manual_seed(2)
    net = FieldNetwork({"x": (-1, 1), "y": (-1, 1)}, ["u", "v"], width=8, depth=2).double()
    pts = torch.rand(6, 2, dtype=torch.float64) * 2 - 1
    assert_derivatives_match_fd(net, pts, [(0,), (1,), (0, 0), (0, 1), (1, 1)], rtol=1e-7)


def test_fd_helper_detects_a_wrong_derivative():
    net = FieldNetwork({"x": (-1, 1)}, ["u"], width=8, depth=2).double()

    class Wrong(torch.nn.Module):
        def forward(self, x):
            return net(x)

        def jet(self, seed):
            j = net.jet(seed)
            j.parts[1] = j.parts[1] * 1.01
            return j

    with pytest.raises(AssertionError, match="differ"):
        assert_derivatives_match_fd(Wrong(), torch.rand(4, 1, dtype=torch.float64), [(0,)])


def test_jet_algebra_rules():
    basis = JetBasis(1, [(0, 0, 0)])
    x = torch.linspace(0.2, 1.5, 9, dtype=torch.float64)[:, None]
    j = basis.seed(x)
    f = (j * j.exp()) / (j + 1.0) + j ** 2.5 - j.log() * j.cos()
    xs = x.clone().requires_grad_(True)

    def g(z):
        return (z * z.exp()) / (z + 1.0) + z ** 2.5 - z.log() * z.cos()

    for idx in basis.indices:
        want = _autograd_derivative(g, xs, idx)
        assert torch.allclose(f.d(idx)[:, 0], want, rtol=1e-10), idx
