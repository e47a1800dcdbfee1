"""The Cantera mechanism plug-in and the flames written in the core language: the spec's
residuals vanish on Cantera's solutions at Cantera's order, the plug-in's properties are
Cantera's, and its bad inputs are one-line errors naming the key."""

import os

import numpy as np
import pytest
import torch

pytest.importorskip("cantera")

import pinnlab  # noqa: E402
from pinnlab.errors import SpecError  # noqa: E402
from pinnlab.flames.cantera_ref import free_flame  # noqa: E402
from pinnlab.testing import residuals_of_samples  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "problems", "flames", "case2_ch4_forward.toml")


@pytest.fixture(scope="module")
def case2():
    problem = pinnlab.load(SPEC)
    mech = problem.plugins["gas"]
    return problem, mech, free_flame(mech.mixture, width=problem.domain["x"][1])


def _free_flame_rms(problem, n: int) -> dict[str, float]:
    mech = problem.plugins["gas"]
    ref = free_flame(mech.mixture, width=problem.domain["x"][1], n_initial=n,
                     refine=(10.0, 0.9, 0.9))  # no refinement: 251 or 501 uniform nodes
    fields = {"T": ref.T, **{f"Y_{s}": ref.Y[:, k] for k, s in enumerate(ref.species)}}
    res = residuals_of_samples(problem, ref.x, fields, {"s_L": ref.s_L})
    return {k: float(np.sqrt(np.mean(r[2:-2] ** 2))) for k, r in res.items()}


@pytest.mark.parametrize("name", ["case2_ch4_forward.toml", "case2_h2.toml"])
def test_spec_residuals_vanish_on_cantera_at_first_order(name):
    """The spec writes the equations Cantera's FreeFlame solves: on its converged solution the
    spec's residuals shrink at first order (Cantera's upwind convection) as the grid halves.
    Measured (scaled residuals, RMS, 251 -> 501 nodes): CH4 ratios 1.97-2.02 (N2, inert, at
    3e-4: left out); H2/air (10 species, 29 reactions) 1.83-2.18."""
    problem = pinnlab.load(os.path.join(ROOT, "problems", "flames", name))
    coarse, fine = _free_flame_rms(problem, 251), _free_flame_rms(problem, 501)
    checked = [k for k in fine if fine[k] > 1e-3]
    assert len(checked) >= len(fine) - 2
    for k in checked:
        assert 1.6 < coarse[k] / fine[k] < 2.6, (k, coarse[k], fine[k])


def test_inlet_equilibrium_and_molar_masses_come_from_cantera(case2):
    problem, mech, ref = case2
    p = {k: v.value for k, v in problem.parameters.items() if not v.unknown}
    gas = mech.mixture.solution()
    assert p["T_in"] == pytest.approx(300.0) and p["rho_in"] == pytest.approx(gas.density)
    assert sum(p[f"Y_in_{s}"] for s in ref.species) == pytest.approx(1.0, abs=1e-12)
    gas.equilibrate("HP")
    assert p["T_eq"] == pytest.approx(gas.T, rel=1e-9)
    assert p["W_CH4"] == pytest.approx(16.043, rel=1e-3)


def _spec(tmp_path, text):
    path = tmp_path / "flame.toml"
    path.write_text(text)
    return path


BASE = """
[domain]
x = [0.0, 0.002]

[fields]
T = {}
Y = { species = ["H2", "H", "O", "O2", "OH", "H2O", "HO2", "H2O2", "AR", "N2"] }

[equations]
energy = "cp*T_xx"

[plugins.gas]
kind = "cantera"
mechanism = "h2o2.yaml"
"""


@pytest.mark.parametrize("change, key", [
    (("h2o2.yaml", "../outside.yaml"), "plugins.gas.mechanism"),
    (('kind = "cantera"', 'kind = "chemkin"'), "plugins.gas.kind"),
    (('mechanism = "h2o2.yaml"', 'mechanism = "h2o2.yaml"\ncolour = 1'), "plugins.gas.colour"),
    (('"AR", "N2"', '"AR"'), "plugins.gas.mechanism"),  # a species without a field
    (('mechanism = "h2o2.yaml"', 'mechanism = "h2o2.yaml"\nactivation_energy = "E_x"'),
     "plugins.gas.activation_energy"),  # not a parameter of the spec
    (('energy = "cp*T_xx"', 'energy = "cp*T_xx"\n[definitions]\ncp = "1.0"'),
     "definitions.cp"),  # the plug-in already defines cp
])
def test_bad_plugin_tables_name_the_key(tmp_path, change, key):
    text = BASE.replace(*change)
    with pytest.raises(SpecError) as err:
        pinnlab.load(_spec(tmp_path, text))
    assert err.value.key == key and "\n" not in str(err.value)


def test_rates_cannot_be_differentiated(tmp_path, capsys):
    """Found by check's dry run, before any training: one line naming the file."""
    from pinnlab.cli import main

    path = _spec(tmp_path, BASE.replace('energy = "cp*T_xx"', 'energy = "(wdot_H2)_x"'))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(path) in err[0] and "differentiate" in err[0]


def test_plugin_properties_match_cantera_at_a_state(case2):
    """The plug-in's pointwise properties (what the spec's definitions call) against Cantera."""
    import cantera as ct

    problem, mech, _ = case2
    Y = [0.1, 0.1, 0.05, 0.05, 0.7]
    gas = ct.Solution(os.path.join(ROOT, "problems", "flames", "ch4_one_step.yaml"))
    gas.TPY = 1500.0, 101325.0, Y
    args = [torch.tensor([1500.0], dtype=torch.float64)] + [
        torch.tensor([y], dtype=torch.float64) for y in Y]
    # the species order of the mechanism is the fields' order after T
    for what, k, truth in [("rho", None, gas.density), ("cp", None, gas.cp_mass),
                           ("lam", None, gas.thermal_conductivity), ("mu", None, gas.viscosity),
                           ("wdot", 2, gas.net_production_rates[2])]:
        assert float(mech(what, k, *args)) == pytest.approx(truth, rel=1e-10), what


def test_result_predicts_plugin_definitions(tmp_path):
    """After a (tiny) solve, predict evaluates the plug-in's definitions at new points: rho from
    the predicted state equals Cantera's density of that state; the fluxes j_k sum to zero."""
    import cantera as ct

    result = pinnlab.solve(SPEC, progress=False, out=str(tmp_path / "out"), warmup_steps=2,
                           adam_steps=2, lbfgs_steps=0, evaluate=False)
    x = np.linspace(0.0, 2.5e-3, 7)
    names = ("rho", "q") + tuple(f"j_{s}" for s in ["O2", "H2O", "CH4", "CO2", "N2"])
    out = result.predict({"x": x}, definitions=names)
    gas = ct.Solution(os.path.join(ROOT, "problems", "flames", "ch4_one_step.yaml"))
    for i in range(len(x)):
        gas.TPY = out["T"][i], 101325.0, {s: out[f"Y_{s}"][i] for s in gas.species_names}
        assert out["rho"][i] == pytest.approx(gas.density, rel=1e-9)
    total = sum(out[f"j_{s}"] for s in ["O2", "H2O", "CH4", "CO2", "N2"])
    scale = max(np.abs(out[f"j_{s}"]).max() for s in ["O2", "H2O", "CH4", "CO2", "N2"])
    assert np.abs(total).max() < 1e-12 * max(scale, 1e-30)


INLET = BASE + 'inlet = { T = 300.0, phi = 1.0, fuel = "H2:1" }\n'


@pytest.mark.parametrize("change, message", [
    (('"H2:1"', '"H3:1"'), "unknown species"),
    (('fuel = "H2:1"', 'fuel = "H2:1", composition = "H2:2, O2:1"'), "not both"),
    (('"H2:1"', '"N2:1"'), "fuel"),
    (('phi = 1.0, fuel = "H2:1"', 'composition = "H2:-1, O2:1"'), "non-negative"),
    (("phi = 1.0", "phi = -1.0"), "plugins.gas.inlet.phi"),
])
def test_bad_inlet_is_one_line_exit_2(tmp_path, capsys, change, message):
    pytest.importorskip("cantera")
    path = tmp_path / "flame.toml"
    path.write_text(INLET.replace(*change))
    from pinnlab.cli import main

    code, err = main(["check", str(path)]), capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err and "plugins.gas" in err and str(path) in err


def test_one_kinetics_evaluation_per_pass_and_no_compile(monkeypatch):
    """Every per-species rate of a loss pass comes from one evaluation of the kinetics (the
    evaluator's per-pass state), nothing is kept between passes, and ``compile = true`` on a
    spec with the mechanism warns and runs the same loss eagerly."""
    from pinnlab.api import prepare
    from pinnlab.methods.pinn import PINNLoss, PINNModel

    losses = {}
    for compile in (False, True):
        plan = prepare(SPEC, "pinn", options={"compile": compile, "residual_points": 32})
        gen = torch.Generator().manual_seed(0)
        model = PINNModel(plan.problem, plan.config, gen).double()
        if compile:
            with pytest.warns(UserWarning, match="compile is off"):
                loss = PINNLoss(plan.problem, model, plan.config, gen)
            assert loss._compiled is None
        else:
            loss = PINNLoss(plan.problem, model, plan.config, gen)
        kinetics = plan.problem.plugins["gas"].kinetics
        calls = []
        rates = kinetics.net_production_rates
        monkeypatch.setattr(kinetics, "net_production_rates",
                            lambda *a, c=calls, f=rates: c.append(1) or f(*a))
        losses[compile] = [float(sum(loss().values()).detach()) for _ in range(2)]
        assert len(calls) == 2  # one per pass, 5 species' rates and q from it
        monkeypatch.undo()
    assert losses[True] == pytest.approx(losses[False], rel=1e-12)
