"""The Lagrangian form: residuals vanish on exact characteristics, the chain rule for the
Eulerian u_xx, the Eulerian mapping, the built-in initial data, and bad specs."""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import pinnlab
from pinnlab.errors import SpecError
from pinnlab.jet import JetBasis
from pinnlab.methods.lagrangian import eulerian, lagrangian_residuals, read_transport
from pinnlab.methods.lpinn import LPINNConfig, LPINNModel

TWO_PI = 2 * math.pi
BASIS = JetBasis(2, [(0,), (0, 0), (1,)])


def labels(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 2, generator=g, dtype=torch.float64) * torch.tensor([TWO_PI, 1.0])


def problem(beta=50.0, nu=0.0):
    return pinnlab.load("problems/lpinn/convection_diffusion.toml").with_parameters(
        {"beta": beta, "nu": nu})


@pytest.mark.parametrize("nu", [0.0, 0.01])
def test_exact_characteristics_give_zero_residual(nu):
    beta = 50.0
    tr = read_transport(problem(beta, nu))
    assert tr.nu == nu and float(tr.velocity(torch.zeros(1), torch.zeros(1), 0.0)) == beta
    pts = labels()
    lab = BASIS.seed(pts)
    X, t = lab.channel(0), lab.channel(1)
    u = X.sin() * (t * -nu).exp()  # u = exp(-nu t) sin X on x = X + beta t
    r_x, r_u = lagrangian_residuals(tr, pts, u, X + t * beta, 0, 1)
    assert float(r_x.abs().max()) < 1e-12 and float(r_u.abs().max()) < 1e-12
    r_x, r_u = lagrangian_residuals(tr, pts, u, X + t * (0.98 * beta), 0, 1)
    assert float(r_x.abs().max()) > 0.9  # a wrong speed is detected


def test_chain_rule_gives_the_eulerian_second_derivative():
    # non-uniform map x = X + 0.3 t sin X and u = cos(x): R_u = u_t|_X - nu u_xx
    # = -sin(x) 0.3 sin X + nu cos(x); differentiating in X instead would be wrong here
    tr = read_transport(problem(10.0, 0.5))
    pts = labels()
    lab = BASIS.seed(pts)
    X, t = lab.channel(0), lab.channel(1)
    xl = X + t * X.sin() * 0.3
    _, r_u = lagrangian_residuals(tr, pts, xl.cos(), xl, 0, 1)
    x = xl.value[:, 0]
    want = -torch.sin(x) * 0.3 * torch.sin(pts[:, 0]) + 0.5 * torch.cos(x)
    assert float((r_u - want).abs().max()) < 1e-12


def _grid(nx=256, nt=100):
    x = np.linspace(0, TWO_PI, nx)
    t = np.linspace(0, 1, nt)
    X, T = np.meshgrid(x, t, indexing="ij")
    return X, T, torch.as_tensor(np.stack([X.ravel(), T.ravel()], 1))


def test_eulerian_mapping_of_exact_lagrangian_solution_is_sin_x_minus_beta_t():
    beta = 30.0
    X, T, pts = _grid()

    def curve(lab, basis):
        j = basis.seed(lab)
        return j.channel(0) + j.channel(1) * beta

    def state(lab):
        return torch.sin(lab[:, :1])

    u, label = eulerian(curve, state, pts, 0, (0.0, TWO_PI))
    exact = np.sin(X - beta * T).ravel()
    assert np.abs(u[:, 0].numpy() - exact).max() < 1e-9
    assert np.abs(label.numpy() + beta * pts[:, 1].numpy() - pts[:, 0].numpy()).max() < 1e-9


def test_inviscid_burgers_characteristics_and_their_eulerian_map():
    # before the shock (t < 1 for u0 = sin x + c) u = u0(X) on x = X + t u0(X) is exact
    p = pinnlab.load("problems/lpinn/burgers_shock.toml").with_parameters({"c": 5.0, "nu": 0.0})
    tr = read_transport(p)
    pts = labels() * torch.tensor([1.0, 0.9])
    lab = BASIS.seed(pts)
    X, t = lab.channel(0), lab.channel(1)
    u0 = X.sin() + 5.0
    r_x, r_u = lagrangian_residuals(tr, pts, u0, X + t * u0, 0, 1)
    assert float(r_x.abs().max()) < 1e-12 and float(r_u.abs().max()) < 1e-12
    _, _, grid = _grid(64, 10)
    grid = grid * torch.tensor([1.0, 0.9])
    u, _ = eulerian(lambda q, b: (lambda j: j.channel(0) + j.channel(1) * (j.channel(0).sin() + 5))
                    (b.seed(q)), lambda q: torch.sin(q[:, :1]) + 5, grid, 0, (0.0, TWO_PI))
    x, tt, uu = grid[:, 0], grid[:, 1], u[:, 0]
    assert float((uu - torch.sin(x - tt * uu) - 5).abs().max()) < 1e-9  # u = u0(x - u t)


def test_model_holds_initial_data_and_periodicity_exactly():
    p = pinnlab.load("problems/lpinn/burgers_shock.toml")
    tr = read_transport(p)
    for ballistic in (True, False):
        m = LPINNModel(p, tr, LPINNConfig(ballistic=ballistic), torch.Generator().manual_seed(1))
        m = m.double()
        X = torch.linspace(0, TWO_PI, 33, dtype=torch.float64)
        t = torch.rand(33, dtype=torch.float64)
        with torch.no_grad():
            u, xl = m.lagrangian_jet(torch.stack([X, 0 * X], 1), JetBasis(2, []))
            assert float((xl.value[:, 0] - X).abs().max()) == 0.0
            assert float((u.value[:, 0] - torch.sin(X) - 20).abs().max()) < 1e-13
            _, a = m.lagrangian_jet(torch.stack([X, t], 1), JetBasis(2, []))
            _, b = m.lagrangian_jet(torch.stack([X + TWO_PI, t], 1), JetBasis(2, []))
            assert float((b.value - a.value - TWO_PI).abs().max()) < 1e-12


BAD = {
    "reaction": "u_t + beta*u_x - 5*u*(1 - u)",
    "third derivative": "u_t + beta*u_x + u_xxx",
    "mixed derivative": "u_t + beta*u_x - nu*u_xt",
    "nonlinear in u_x": "u_t + u_x**2",
    "negative viscosity": "u_t + beta*u_x + 0.1*u_xx",
    "u-dependent factor of u_t": "u*u_t + u_x",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_equations_not_of_transport_form_are_rejected(name):
    p = problem()
    p.equations = {"e": BAD[name]}
    with pytest.raises(SpecError, match="lpinn"):
        read_transport(p)


def test_other_conditions_and_unknown_parameters_are_rejected():
    from pinnlab.spec.problem import Condition, Parameter

    p = problem()
    p.conditions["wall"] = Condition("dirichlet", "u", "x = 0", 0.0)
    with pytest.raises(SpecError, match="periodicity"):
        read_transport(p)
    p = problem()
    p.parameters["beta"] = Parameter(guess=10.0)
    with pytest.raises(SpecError, match="unknown"):
        read_transport(p)


def test_stated_velocity_is_checked_against_the_equation():
    p = pinnlab.load("problems/lpinn/burgers_shock.toml")
    tr = read_transport(p, velocity="u")
    assert float(tr.velocity(torch.tensor([2.5]), torch.zeros(1), 0.0)) == 2.5
    with pytest.raises(SpecError, match="stated velocity"):
        read_transport(p, velocity="2*u")


def test_cli_bad_spec_exits_2_with_one_line(tmp_path):
    text = open("problems/lpinn/convection_diffusion.toml").read().replace(
        '"u_t + beta*u_x - nu*u_xx"', '"u_t + beta*u_x - nu*u_xx - u*(1 - u)"')
    spec = tmp_path / "reaction.toml"
    spec.write_text(text)
    out = subprocess.run([sys.executable, "-m", "pinnlab", "solve", str(spec), "--method",
                          "lpinn", "--quiet", "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "lpinn" in lines[0] and "source or reaction" in lines[0]
