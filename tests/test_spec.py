"""Specs: TOML and Python build the same problem; every bad spec gets one clear line, exit 2."""

import os
import subprocess
import sys

import numpy as np
import pytest

import pinnlab
from pinnlab.cli import main
from pinnlab.errors import DataError, SpecError
from pinnlab.spec import Condition, Parameter, Problem

HERE = os.path.dirname(__file__)
BAD = os.path.join(HERE, "bad_specs")
ROOT = os.path.dirname(HERE)

# each bad spec and the key its message must name
EXPECTED_KEYS = {
    "unknown_symbol.toml": "equations.burgers",
    "malformed.toml": "malformed TOML",
    "unknown_function.toml": "equations.poisson",
    "bad_coordinate_derivative.toml": "equations.heat",
    "unknown_without_guess.toml": "parameters.nu",
    "nan_observation.toml": "observations:u",
    "outside_domain.toml": "observations:x",
    "wrong_column.toml": "observations:v",
    "boundary_outside.toml": "conditions.left.on",
    "unknown_field_condition.toml": "conditions.initial.field",
    "bad_range.toml": "domain.x",
    "unknown_reference_solver.toml": "reference.solver",
}


def test_every_bad_spec_is_listed():
    assert sorted(EXPECTED_KEYS) == sorted(f for f in os.listdir(BAD) if f.endswith(".toml"))


@pytest.mark.parametrize("name", sorted(EXPECTED_KEYS))
def test_check_rejects_bad_spec(name, capsys):
    code = main(["check", os.path.join(BAD, name)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("pinnlab: error: ")
    assert EXPECTED_KEYS[name] in err
    assert name.split(".")[0] in err or "obs.csv" in err  # the file is named


def test_cli_exit_code_and_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "pinnlab", "check",
                           os.path.join(BAD, "unknown_symbol.toml")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "unknown symbol 'mu'" in proc.stderr


def test_bundled_specs_check_ok(capsys):
    for name in ("burgers.toml", "burgers_inverse.toml", "convection.toml"):
        assert main(["check", os.path.join(ROOT, "problems", name)]) == 0


def test_python_and_toml_build_the_same_problem():
    from_toml = pinnlab.load(os.path.join(ROOT, "problems", "burgers.toml"))
    in_code = Problem(
        name="burgers", domain={"x": (-1, 1), "t": (0, 1)}, fields=["u"],
        parameters={"nu": 0.01 / np.pi}, equations={"burgers": "u_t + u*u_x - nu*u_xx"},
        conditions={"initial": Condition("initial", "u", value="-sin(pi*x)"),
                    "walls": Condition("dirichlet", "u", on="x", value=0.0)})
    assert in_code.domain == from_toml.domain
    assert in_code.parameters["nu"].value == pytest.approx(from_toml.parameters["nu"].value)
    assert in_code.conditions == from_toml.conditions
    assert in_code.time == from_toml.time == "t"


def test_python_errors_name_python_source():
    with pytest.raises(SpecError, match=r"<python>: equations.e: .*unknown symbol 'v'"):
        Problem(name="p", domain={"x": (0, 1)}, fields=["u"], equations={"e": "u_xx + v"})
    with pytest.raises(SpecError, match="guess"):
        Problem(name="p", domain={"x": (0, 1)}, fields=["u"], equations={"e": "u_xx + k"},
                parameters={"k": Parameter(bounds=(0, 1))})


def test_set_override_and_bad_set():
    p = pinnlab.load(os.path.join(ROOT, "problems", "convection.toml"))
    assert p.with_parameters({"beta": 50}).parameters["beta"].value == 50
    with pytest.raises(SpecError, match="no such parameter"):
        p.with_parameters({"gamma": 1})


def test_observations_are_split_by_name():
    p = pinnlab.load(os.path.join(ROOT, "problems", "burgers_inverse.toml"))
    assert set(p.observations.coords) == {"x", "t"} and set(p.observations.values) == {"u"}
    assert len(p.observations) == 100
    with pytest.raises(DataError):
        p.observations.values["u"][0] = np.inf  # NaN would mean "not measured here"
        p.validate()


BUNDLED = sorted(os.path.relpath(os.path.join(d, f), ROOT)
                 for d, _, files in os.walk(os.path.join(ROOT, "problems"))
                 for f in files if f.endswith(".toml"))


def test_bundled_specs_are_found():
    assert len(BUNDLED) >= 30 and "problems/burgers.toml" in BUNDLED


@pytest.mark.parametrize("path", BUNDLED)
def test_every_bundled_spec_passes_check(path):
    """What ``pinnlab check SPEC`` validates (load, the default method's plan, every loss term)
    holds for each spec under problems/."""
    from pinnlab.api import prepare
    from pinnlab.losses import compile_terms

    plan = prepare(pinnlab.load(os.path.join(ROOT, path)))
    terms = compile_terms(plan.problem, {"residual": 1, "boundary": 1, "initial": 1})
    assert terms and plan.problem.fields
