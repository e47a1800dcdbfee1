"""The diffusion references of the families against closed forms: heat_sine (Dirichlet heat by
sine series) and darcy_fd (-div(a grad u) = f by finite differences, second order)."""

import os

import numpy as np
import pytest

import pinnlab
from pinnlab.reference import reference_solution
from pinnlab.spec.toml import from_dict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_heat_spec_own_member_is_the_closed_form():
    spec = pinnlab.load(os.path.join(ROOT, "problems", "generative", "heat.toml"))
    sol = reference_solution(spec)
    t, x = sol.mesh()["t"], sol.mesh()["x"]
    exact = np.exp(-0.5 * np.pi**2 * t) * np.sin(np.pi * x)
    assert np.abs(sol.fields["u"] - exact).max() < 1e-14


def test_heat_sine_on_a_shifted_interval_and_start_time():
    """x in [1, 3], t in [0.5, 1]: two modes of the interval, each decaying from t0 = 0.5."""
    problem = from_dict({
        "fields": ["u"], "domain": {"x": [1.0, 3.0], "t": [0.5, 1.0]},
        "parameters": {"D": 0.3}, "equations": {"heat": "u_t - D*u_xx"},
        "conditions": {"init": {"kind": "initial", "field": "u",
                                "value": "sin(pi*(x - 1)/2) - 0.4*sin(3*pi*(x - 1)/2)"},
                       "ends": {"kind": "dirichlet", "field": "u", "on": "x"}},
        "reference": {"solver": "heat_sine", "diffusivity": "D", "modes": 16,
                      "grid": {"x": 21, "t": 11}}})
    sol = reference_solution(problem)
    x, t = sol.mesh()["x"], sol.mesh()["t"]
    exact = sum(c * np.exp(-0.3 * (k * np.pi / 2) ** 2 * (t - 0.5))
                * np.sin(k * np.pi * (x - 1) / 2) for k, c in ((1, 1.0), (3, -0.4)))
    assert np.abs(sol.fields["u"] - exact).max() < 1e-14


def darcy(a: str, source: str, n: int):
    return from_dict({
        "fields": ["u"], "domain": {"x": [0.0, 1.0], "y": [0.0, 2.0]},
        "definitions": {"a": a}, "equations": {"darcy": f"-(a*u_x)_x - (a*u_y)_y - ({source})"},
        "conditions": {"walls": {"kind": "dirichlet", "field": "u", "on": "boundary"}},
        "reference": {"solver": "darcy_fd", "coefficient": "a", "source": source,
                      "grid": {"x": n + 1, "y": n + 1}}})  # h_y = 2 h_x


def test_darcy_fd_is_second_order_on_a_manufactured_solution():
    """u = sin(pi x) sin(pi y / 2) on [0, 1] x [0, 2] with a = 1 + x y: f = -div(a grad u);
    h_y = 2 h_x; the error falls fourfold per halving of h (measured ratios 4.0)."""
    s = "sin(pi*x)*sin(pi*y/2)"
    f = (f"(1 + x*y)*pi**2*1.25*{s} - pi*y*cos(pi*x)*sin(pi*y/2)"
         f" - pi/2*x*sin(pi*x)*cos(pi*y/2)")
    errors = []
    for n in (8, 16, 32):
        sol = reference_solution(darcy("1 + x*y", f, n))
        m = sol.mesh()
        exact = np.sin(np.pi * m["x"]) * np.sin(np.pi * m["y"] / 2)
        errors.append(np.abs(sol.fields["u"] - exact).max())
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 3.6) & (ratios < 4.4)), (errors, ratios)
    assert errors[-1] < 2e-3


def test_darcy_spec_own_member_is_the_poisson_problem():
    """a = 1: -lap u = 1 on the unit square, u(1/2, 1/2) = 0.0736713 (Fourier series)."""
    spec = pinnlab.load(os.path.join(ROOT, "problems", "generative", "darcy.toml"))
    sol = reference_solution(spec, grid={"x": 33, "y": 33})
    assert abs(sol.fields["u"][16, 16] - 0.0736713) < 2e-4


def test_darcy_fd_needs_a_steady_2d_domain():
    problem = darcy("1", "1", 4)
    problem.time = "y"  # a time-dependent problem
    with pytest.raises(pinnlab.SpecError, match="darcy_fd needs a steady 2-D domain"):
        reference_solution(problem)


def test_darcy_fd_reaction_term_is_second_order():
    """-div(a grad u) + c u = f with a = 1 + x y, c = -1 + x (a Helmholtz-like reaction) on the
    manufactured u of the test above; the error falls fourfold per halving of h."""
    s = "sin(pi*x)*sin(pi*y/2)"
    f = (f"(1 + x*y)*pi**2*1.25*{s} - pi*y*cos(pi*x)*sin(pi*y/2)"
         f" - pi/2*x*sin(pi*x)*cos(pi*y/2) + (-1 + x)*{s}")
    errors = []
    for n in (8, 16, 32):
        problem = darcy("1 + x*y", f, n)
        problem.reference.options["reaction"] = "-1 + x"
        sol = reference_solution(problem)
        m = sol.mesh()
        errors.append(np.abs(sol.fields["u"] - np.sin(np.pi * m["x"])
                             * np.sin(np.pi * m["y"] / 2)).max())
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 3.6) & (ratios < 4.4)), (errors, ratios)


@pytest.mark.parametrize("name", ["poisson", "helmholtz"])
def test_poisson_and_helmholtz_specs_own_members(name):
    """Their own members have the solution sin(pi x) sin(pi y): the spec's equation vanishes on
    it, and the finite-difference reference on the 64 x 64 grid is within its O(h^2) error
    (measured 2.0e-4 and 2.0e-4)."""
    from pinnlab.testing import assert_residual_vanishes

    spec = pinnlab.load(os.path.join(ROOT, "problems", "generative", f"{name}.toml"))

    def exact(p):
        return {"u": np.sin(np.pi * p["x"]) * np.sin(np.pi * p["y"])}

    assert_residual_vanishes(spec, exact)
    sol = reference_solution(spec)
    m = sol.mesh()
    assert np.abs(sol.fields["u"] - exact(m)["u"]).max() < 4e-4


def test_poisson_fd_is_fourth_order_accurate():
    """poisson_fd (Richardson-extrapolated five-point scheme) on Δu = f for
    u = sin(pi x) sin(2 pi y) on [0, 1] x [0, 2]: near the spline's accuracy at n = 32."""
    problem = from_dict({
        "fields": ["u"], "domain": {"x": [0.0, 1.0], "y": [0.0, 2.0]},
        "equations": {"poisson": "u_xx + u_yy + 5*pi**2*sin(pi*x)*sin(2*pi*y)"},
        "conditions": {"walls": {"kind": "dirichlet", "field": "u", "on": "boundary"}},
        "reference": {"solver": "poisson_fd", "source": "-5*pi**2*sin(pi*x)*sin(2*pi*y)",
                      "n": 32, "grid": {"x": 17, "y": 33}}})
    sol = reference_solution(problem)
    m = sol.mesh()
    err = np.abs(sol.fields["u"] - np.sin(np.pi * m["x"]) * np.sin(2 * np.pi * m["y"])).max()
    assert err < 2e-5, err


def test_darcy_binary_family_draws_two_values():
    from pinnlab.generative.datasets import family_dataset

    ds = family_dataset(os.path.join(ROOT, "problems", "generative", "darcy_binary.toml"), 2,
                        seed=0, grid={"x": 24, "y": 24})
    a = ds.fields[:, 0]
    assert set(np.unique(a)) == {3.0, 12.0}
    assert 0.2 < float((a == 12.0).mean()) < 0.8
