"""Reference solvers against independent computations."""

import numpy as np
import pytest

import pinnlab
from pinnlab.reference import reference_solution
from pinnlab.reference.burgers import burgers_cole_hopf
from pinnlab.reference.convection import convection_diffusion_spectral, convection_exact
from pinnlab.testing import assert_residual_detects, assert_residual_vanishes


def test_cole_hopf_quadrature_converged_and_matches_brute_force():
    nu = 0.01 / np.pi
    x = np.linspace(-1, 1, 41)
    t = np.full_like(x, 0.8)
    u = burgers_cole_hopf(x, t, nu)
    assert np.abs(u - burgers_cole_hopf(x, t, nu, nodes=1200)).max() < 1e-12
    # brute force: trapezoid on a fine grid in eta, in log space
    eta = np.linspace(-12, 12, 200001)
    F = (np.cos(np.pi * (x[:, None] - eta)) - 1) / np.pi
    logk = -F / (2 * nu) - eta**2 / (4 * nu * 0.8)
    k = np.exp(logk - logk.max(1, keepdims=True))
    brute = (k * -np.sin(np.pi * (x[:, None] - eta))).sum(1) / k.sum(1)
    assert np.abs(u - brute).max() < 1e-10


def test_cole_hopf_general_initial_condition_uses_numeric_potential():
    x = np.linspace(-1, 1, 11)
    t = np.full_like(x, 0.3)
    exact = burgers_cole_hopf(x, t, 0.05)
    numeric = burgers_cole_hopf(x, t, 0.05, u0=lambda y: -np.sin(np.pi * y))
    assert np.abs(exact - numeric).max() < 1e-8


def test_burgers_reference_satisfies_pde_and_conditions():
    p = pinnlab.load("problems/burgers.toml")
    nu = p.parameters["nu"].value

    def exact(c):
        return {"u": burgers_cole_hopf(c["x"], c["t"], nu)}

    # away from the shock (|x| small at late times) the derivatives are O(1)-O(10)
    rng = np.random.default_rng(0)
    pts = np.column_stack([rng.uniform(-0.9, -0.3, 40), rng.uniform(0.05, 1.0, 40)])
    assert_residual_vanishes(p, exact, points=pts, rtol=1e-6, h=1e-3)
    assert_residual_detects(p, lambda c: {"u": burgers_cole_hopf(c["x"], c["t"], 2 * nu)})
    ref = reference_solution(p)
    assert ref.fields["u"].shape == (256, 100)
    assert np.abs(ref.fields["u"][[0, -1], :]).max() < 1e-12  # u(±1, t) = 0
    assert np.allclose(ref.fields["u"][:, 0], -np.sin(np.pi * ref.axes["x"]), atol=1e-12)


def test_convection_exact_and_spectral_agree():
    u0 = np.sin
    x = np.linspace(0, 2 * np.pi, 50, endpoint=False)
    t = np.full_like(x, 0.7)
    exact = convection_exact(x, t, 30.0, u0, (0, 2 * np.pi))
    assert np.allclose(exact, np.sin(x - 21.0), atol=1e-12)
    assert np.allclose(convection_diffusion_spectral(x, t, 30.0, 0.0, u0, (0, 2 * np.pi)), exact,
                       atol=1e-10)
    # one Fourier mode decays as exp(-nu k^2 t)
    damped = convection_diffusion_spectral(x, t, 30.0, 0.1, u0, (0, 2 * np.pi))
    assert np.allclose(damped, np.exp(-0.1 * 0.7) * exact, atol=1e-10)


@pytest.mark.parametrize("beta", [10.0, 50.0])
def test_convection_reference_satisfies_pde(beta):
    p = pinnlab.load("problems/convection.toml").with_parameters({"beta": beta})
    ref = reference_solution(p, {"x": 64, "t": 10})

    def exact(c):
        return {"u": np.sin(c["x"] - beta * c["t"])}

    assert np.allclose(ref.fields["u"], exact(ref.mesh())["u"], atol=1e-12)
    assert_residual_vanishes(p, exact, rtol=1e-7, h=2e-4)


def test_transposed_reference_file_is_refused(tmp_path, capsys):
    """A [reference] file's field has the coordinates' axes in [domain] order: a transposed
    array (the grid read (t, x) for a spec of x then t) is one line at load, not a wrong
    score."""
    from pinnlab.cli import main

    spec = tmp_path / "s.toml"
    spec.write_text('fields = ["u"]\n[domain]\nx = [0.0, 1.0]\nt = [0.0, 1.0]\n'
                    '[equations]\nheat = "u_t - u_xx"\n[reference]\nfile = "r.npz"\n')
    x, t = np.linspace(0, 1, 5), np.linspace(0, 1, 3)
    np.savez(tmp_path / "r.npz", x=x, t=t, u=np.zeros((3, 5)))
    assert main(["check", str(spec)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "reference.file" in err and "(5, 3)" in err
    np.savez(tmp_path / "r.npz", x=x, t=t, u=np.zeros((5, 3)))
    assert main(["check", str(spec)]) == 0
