"""Exact GPME solutions: PDE residual by finite differences, mass by quadrature, constants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from pinnlab.conservation.testing import assert_residual_vanishes, gpme_fd_residual
from pinnlab.errors import SpecError
from pinnlab.reference import gpme


@pytest.mark.parametrize("k", [1.0, 3.0, 5.0])
def test_diffusion_satisfies_heat_equation_and_zero_mass(k):
    rng = np.random.default_rng(0)
    t, x = rng.uniform(0.1, 0.9, 50), rng.uniform(0.0, 2 * np.pi, 50)
    u = lambda t, x: gpme.diffusion_solution(t, x, k)  # noqa: E731
    assert_residual_vanishes(u, lambda v: np.full_like(v, k), t, x)
    for ti in (0.0, 0.5, 1.0):
        mass = quad(lambda xx, ti=ti: u(ti, xx), 0.0, 2 * np.pi, epsabs=1e-13)[0]
        assert abs(mass - gpme.diffusion_mass(ti, k)) < 1e-12


@pytest.mark.parametrize("m", [1.0, 3.0, 6.0])
def test_pme_satisfies_equation_behind_front_and_mass_formula(m):
    rng = np.random.default_rng(1)
    t = rng.uniform(0.3, 0.9, 50)
    x = t * rng.uniform(0.05, 0.8, 50)  # strictly behind the front x* = t
    u = lambda t, x: gpme.pme_solution(t, x, m)  # noqa: E731
    assert_residual_vanishes(u, lambda v: v**m, t, x)
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
    k = lambda v: (v >= u_star).astype(float)  # noqa: E731
    assert_residual_vanishes(u, k, t, x, h=1e-4)
    # beyond the front: zero field, zero residual
    beyond = gpme.stefan_front(t, u_star) + 0.05
    assert np.all(u(t, beyond) == 0.0)
    assert np.all(gpme_fd_residual(u, k, t, beyond, 1e-3) == 0.0)
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
