"""Every compiled term vanishes on an exact solution and does not on a wrong one."""

import math

import pytest

import pinnlab
from pinnlab.spec import Condition, Problem
from pinnlab.testing import assert_terms_vanish


def test_burgers_terms_on_manufactured_solution():
    # not a Burgers solution: the exact solution is Cole-Hopf (tests/test_reference.py); here the
    # initial and wall terms are checked on a function meeting them, and the residual must not
    # vanish on it
    p = pinnlab.load("problems/burgers.toml")

    def fn(c):
        return {"u": -(c["x"] * math.pi).sin() * (-c["t"]).exp()}

    worst = assert_terms_vanish(p, fn, atol=float("inf"))
    assert worst["conditions.initial"] < 1e-12
    assert worst["conditions.walls@x=-1"] < 1e-12 and worst["conditions.walls@x=1"] < 1e-12
    assert worst["equations.burgers"] > 1e-2


@pytest.mark.parametrize("beta", [1.0, 30.0])
def test_convection_terms_vanish(beta):
    p = pinnlab.load("problems/convection.toml").with_parameters({"beta": beta})
    assert_terms_vanish(p, lambda c: {"u": (c["x"] - c["t"] * beta).sin()}, atol=1e-9)
    with pytest.raises(AssertionError, match="equations.convection"):
        assert_terms_vanish(p, lambda c: {"u": (c["x"] - c["t"] * (beta + 1)).sin()})


def test_heat_with_neumann_and_robin():
    # u = exp(-pi^2 t) cos(pi x): u_x(0) = 0 (Neumann), at x = 1: u_x = 0 and u = -exp(-pi^2 t)
    p = Problem(
        name="heat", domain={"x": (0, 1), "t": (0, 0.5)}, fields=["u"],
        equations={"heat": "u_t - u_xx"},
        conditions={
            "initial": Condition("initial", "u", value="cos(pi*x)"),
            "left": Condition("neumann", "u", on="x = 0", value=0.0),
            "right": Condition("robin", "u", on="x = max", alpha=2.0, beta=3.0,
                               value="-2*exp(-pi^2*t)"),
        })
    assert_terms_vanish(p, lambda c: {"u": (c["t"] * -math.pi**2).exp() * (c["x"] * math.pi).cos()})


def test_first_order_system_two_fields():
    p = Problem(name="wave", domain={"x": (0, 1), "t": (0, 1)}, fields=["u", "v"],
                equations={"a": "u_t - v_x", "b": "v_t - u_x"},
                conditions={"u0": Condition("initial", "u", value="sin(x)"),
                            "v0": Condition("initial", "v", value="sin(x)")})
    assert_terms_vanish(p, lambda c: {"u": (c["x"] + c["t"]).sin(), "v": (c["x"] + c["t"]).sin()})


def test_poisson_2d_mixed_and_second_derivatives():
    p = Problem(name="poisson", domain={"x": (0, 1), "y": (0, 1)}, fields=["u"],
                equations={"p": "u_xx + u_yy + 2*pi^2*sin(pi*x)*sin(pi*y) + 0*u_xy"},
                conditions={"walls": Condition("dirichlet", "u", on="boundary", value=0.0)})
    assert_terms_vanish(p, lambda c: {"u": (c["x"] * math.pi).sin() * (c["y"] * math.pi).sin()})


def test_periodic_term_detects_non_periodic_field():
    p = pinnlab.load("problems/convection.toml")
    with pytest.raises(AssertionError, match="conditions.periodic"):
        assert_terms_vanish(p, lambda c: {"u": (c["x"] * 0.5 - c["t"] * 15).sin()})
