"""Integral conditions, ``∫ value dx = equals`` over the space domain: the quadrature is exact on
closed forms (one space coordinate, two, and at every time of a time-dependent problem), a wrong
total is detected, an integral can be the only thing that pins a solution, and bad integral
conditions get one named line."""

import math

import pytest

import pinnlab
from pinnlab.errors import SpecError
from pinnlab.testing import assert_terms_vanish

# u_x = 2x on [0, 1] fixes u up to a constant; ∫ u dx = 1/3 fixes the constant: u = x²
PINNED = """
name = "pinned_by_integral"
fields = ["u"]

[domain]
x = [0.0, 1.0]

[equations]
slope = "u_x - 2*x"

[conditions.mean]
kind = "integral"
value = "u"
equals = "1/3"

[reference]
solver = "exact"
u = "x**2"
grid = { x = 101 }

[training]
width = 16
depth = 2
residual_points = 64
adam_steps = 300
lbfgs_steps = 200
"""

# heat on [0, π] with u = 0 at both ends: u = exp(-k t) sin x, ∫ u dx = 2 exp(-k t)
HEAT = """
name = "heat_mass"
fields = ["u"]
time = "t"

[domain]
x = [0.0, 3.141592653589793]
t = [0.0, 1.0]

[parameters]
k = 0.5

[equations]
heat = "u_t - k*u_xx"

[conditions.mass]
kind = "integral"
value = "u"
equals = "2*exp(-k*t)"
"""


def _load(tmp_path, text: str, name: str = "spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return pinnlab.load(str(path))


def test_integral_vanishes_on_the_exact_solution_and_detects_a_wrong_total(tmp_path):
    problem = _load(tmp_path, HEAT)

    def exact(x):  # u = exp(-k t) sin x as a jet of the inputs
        return {"u": (x["t"] * -0.5).exp() * x["x"].sin()}

    worst = assert_terms_vanish(problem, exact, atol=1e-12)
    assert set(worst) == {"equations.heat", "conditions.mass"}
    wrong = _load(tmp_path, HEAT.replace("2*exp(-k*t)", "2*exp(-0.9*k*t)"), "wrong.toml")
    with pytest.raises(AssertionError, match="conditions.mass"):
        assert_terms_vanish(wrong, exact, atol=1e-3)


def test_integral_over_two_space_coordinates(tmp_path):
    spec = """
name = "plate"
fields = ["u"]
[domain]
x = [0.0, 1.0]
y = [0.0, 2.0]
[equations]
laplace = "u_xx + u_yy"
[conditions.total]
kind = "integral"
value = "u*u_x"
equals = 2.0
nodes = 8
"""
    problem = _load(tmp_path, spec)

    def exact(x):  # u = x y: u u_x = x y², ∫∫ = (1/2)(8/3) = 4/3; the condition says 2
        return {"u": x["x"] * x["y"]}

    with pytest.raises(AssertionError, match=r"conditions.total: max \|residual\| = 6.667e-01"):
        assert_terms_vanish(problem, exact, atol=1e-12)
    fixed = _load(tmp_path, spec.replace("equals = 2.0", "equals = 1.3333333333333333"), "b.toml")
    assert assert_terms_vanish(fixed, exact, atol=1e-12)["conditions.total"] <= 1e-12


def test_an_integral_alone_pins_the_constant(tmp_path):
    path = tmp_path / "pinned.toml"
    path.write_text(PINNED)
    result = pinnlab.solve(str(path), progress=False, seed=0)
    # measured 3.4e-5 .. 8.6e-5 over seeds 0-2 at 1 and 2 threads; without the condition the
    # slope alone leaves u + c free and the same runs end at rel. L2 12 .. 14
    assert result.metrics["rel_l2"] < 1e-3
    assert math.isfinite(result.metrics["loss_final"])


@pytest.mark.parametrize("extra, key", [
    ('on = "x = 0"', "conditions.mean.on"),
    ('field = "u"', "conditions.mean.field"),
])
def test_an_integral_with_a_place_or_field_is_refused(tmp_path, extra, key):
    text = PINNED.replace('kind = "integral"', f'kind = "integral"\n{extra}')
    with pytest.raises(SpecError) as err:
        _load(tmp_path, text)
    assert err.value.key == key


def test_an_integral_whose_total_reads_a_field_is_refused(tmp_path):
    with pytest.raises(SpecError) as err:
        _load(tmp_path, PINNED.replace('equals = "1/3"', 'equals = "u"'))
    assert err.value.key == "conditions.mean.equals"
