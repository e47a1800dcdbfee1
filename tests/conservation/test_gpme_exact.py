"""Exact GPME solutions: the residual of each bundled spec's equation (finite differences of the
exact field through :func:`pinnlab.testing.assert_residual_vanishes`), mass by quadrature,
constants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

import pinnlab
from pinnlab.errors import SpecError
from pinnlab.reference import gpme
from pinnlab.testing import assert_residual_vanishes, residuals_of_exact

SPEC = "problems/gpme_{}.toml"


def _vanishes(family: str, name: str, value: float, solution, t, x, h: float = 1e-3,
              rtol: float = 1e-5) -> None:
    """The spec's equation vanishes on ``solution`` at the points (t, x)."""
    problem = pinnlab.load(SPEC.format(family)).with_parameters({name: value})
    exact = lambda p: {"u": solution(p["t"], p["x"], value)}  # noqa: E731
    assert problem.coords == ["x", "t"]
    pts = np.stack([x, t], 1)
    assert_residual_vanishes(problem, exact, points=pts, h=h, rtol=rtol)


@pytest.mark.parametrize("k", [1.0, 3.0, 5.0])
def test_diffusion_satisfies_heat_equation_and_zero_mass(k):
    rng = np.random.default_rng(0)
    t, x = rng.uniform(0.1, 0.9, 50), rng.uniform(0.0, 2 * np.pi, 50)
    u = lambda t, x: gpme.diffusion_solution(t, x, k)  # noqa: E731
    _vanishes("diffusion", "k", k, gpme.diffusion_solution, t, x)
    for ti in (0.0, 0.5, 1.0):
        mass = quad(lambda xx, ti=ti: u(ti, xx), 0.0, 2 * np.pi, epsabs=1e-13)[0]
        assert abs(mass - gpme.diffusion_mass(ti, k)) < 1e-12


@pytest.mark.parametrize("m", [1.0, 3.0, 6.0])
def test_pme_satisfies_equation_behind_front_and_mass_formula(m):
    rng = np.random.default_rng(1)
    t = rng.uniform(0.3, 0.9, 50)
    x = t * rng.uniform(0.05, 0.8, 50)  # strictly behind the front x* = t
    u = lambda t, x: gpme.pme_solution(t, x, m)  # noqa: E731
    _vanishes("pme", "m", m, gpme.pme_solution, t, x)
    # ahead of the front the solution is identically zero
    assert np.all(u(t, t + 0.01) == 0.0)
    for ti in (0.2, 0.5, 1.0):
        mass = quad(lambda xx, ti=ti: u(ti, xx), 0.0, 1.0, points=[ti], epsabs=1e-13, limit=200)[0]
        assert mass == pytest.approx(float(gpme.pme_mass(ti, m)), rel=1e-8)
    # boundary condition u(0, t) = (m t)^{1/m}
    assert u(0.5, 0.0) == pytest.approx((0.5 * m) ** (1 / m), rel=1e-14)


def test_pme_mass_closed_form_m3_at_half():
    # m^{1+1/m}/(m+1) t^{1+1/m} with m = 3, t = 0.5
    assert gpme.pme_mass(0.5, 3.0) == pytest.approx(3 ** (4 / 3) / 4 * 0.5 ** (4 / 3), rel=1e-15)


@pytest.mark.parametrize(
    "u_star, alpha, front, mass",
    [(0.5, 1.24013, 0.27730, 0.20366), (0.6, 1.05134, 0.23509, 0.18595)],
)
def test_stefan_constants_match_reference_table(u_star, alpha, front, mass):
    a, c1 = gpme.stefan_constants(u_star)
    assert a == pytest.approx(alpha, abs=1e-5)
    assert gpme.stefan_front(0.05, u_star) == pytest.approx(front, abs=1e-5)
    assert gpme.stefan_mass(0.05, u_star) == pytest.approx(mass, abs=1e-5)
    # the front value is the melting threshold: 1 - c1 erf(α/2) = u*
    assert 1 - c1 * math.erf(a / 2) == pytest.approx(u_star, abs=1e-14)


@pytest.mark.parametrize("u_star", [0.5, 0.6, 0.7])
def test_stefan_satisfies_heat_equation_behind_front_and_mass_balance(u_star):
    rng = np.random.default_rng(2)
    t = rng.uniform(0.02, 0.1, 50)
    x = gpme.stefan_front(t, u_star) * rng.uniform(0.05, 0.9, 50)
    u = lambda t, x: gpme.stefan_solution(t, x, u_star)  # noqa: E731
    _vanishes("stefan", "u_star", u_star, gpme.stefan_solution, t, x, h=1e-4)
    # beyond the front: zero field, zero residual
    beyond = gpme.stefan_front(t, u_star) + 0.05
    assert np.all(u(t, beyond) == 0.0)
    problem = pinnlab.load(SPEC.format("stefan")).with_parameters({"u_star": u_star})
    r, _ = residuals_of_exact(problem, lambda p: {"u": u(p["t"], p["x"])},
                              np.stack([beyond, t], 1))["gpme"]
    assert np.all(r == 0.0)
    # the jump at the front from u* to 0 is what the Stefan condition needs; the mass balance
    # (integral of the field = time integral of the boundary inflow) holds only with it
    for ti in (0.01, 0.05, 0.1):
        xs = float(gpme.stefan_front(ti, u_star))
        mass = quad(lambda xx, ti=ti: u(ti, xx), 0.0, xs, epsabs=1e-14)[0]
        assert mass == pytest.approx(float(gpme.stefan_mass(ti, u_star)), rel=1e-10)


def test_bad_parameters_raise_spec_error():
    with pytest.raises(SpecError):
        gpme.stefan_constants(1.2)
    with pytest.raises(SpecError):
        gpme.pme_solution(0.5, 0.1, -1.0)
    with pytest.raises(SpecError):
        gpme.diffusion_solution(0.5, 0.1, 0.0)
