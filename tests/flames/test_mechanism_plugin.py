"""The Cantera mechanism plug-in and the flame written in the core language: the spec's
residuals on Cantera's solution match the flame-specific residuals (a peer implementation), and
the plug-in's bad inputs are one-line errors naming the key."""

import os

import numpy as np
import pytest
import torch

pytest.importorskip("cantera")

import pinnlab  # noqa: E402
from pinnlab.errors import SpecError  # noqa: E402
from pinnlab.flames.cantera_ref import free_flame  # noqa: E402
from pinnlab.flames.detailed import free_flame_residuals, jets_from_samples  # noqa: E402
from pinnlab.jet import Jet, JetBasis  # noqa: E402
from pinnlab.losses import environment  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "problems", "flames", "case2_ch4_forward.toml")


@pytest.fixture(scope="module")
def case2():
    problem = pinnlab.load(SPEC)
    mech = problem.plugins["gas"]
    return problem, mech, free_flame(mech.mixture, width=problem.domain["x"][1])


def test_spec_residuals_match_the_flame_specific_ones(case2):
    problem, mech, ref = case2
    x = torch.tensor(ref.x)
    order = [ref.species.index(f.split("_", 1)[1]) for f in problem.fields[1:]]
    F = np.column_stack([ref.T, ref.Y[:, order]])
    d1 = np.gradient(F, ref.x, axis=0, edge_order=2)
    d2 = np.gradient(d1, ref.x, axis=0, edge_order=2)
    jet = Jet([torch.tensor(F), torch.tensor(d1), torch.tensor(d2)], JetBasis(1, [(0, 0)]))
    params = {k: p.value if not p.unknown else ref.s_L for k, p in problem.parameters.items()}
    env = environment(problem, x.reshape(-1, 1), jet, params)
    new = {k: e.evaluate(env).numpy() for k, e in problem.compiled_equations().items()}
    T = jets_from_samples(x, torch.tensor(ref.T).reshape(-1, 1))
    Y = jets_from_samples(x, torch.tensor(ref.Y))
    m = params["rho_in"] * ref.s_L
    energy, species = free_flame_residuals(mech.gas, mech.kinetics, T, Y, m, ref.pressure)
    L, T_hi = problem.domain["x"][1], params["T_eq"] + 0.02 * (params["T_eq"] - params["T_in"])
    old = {"energy": energy[:, 0].numpy() / (m * params["cp_in"]) * (5 / T_hi) * (L / 4)}
    for k, s in enumerate(ref.species):
        scale = 5 / max(params[f"Y_in_{s}"], params[f"Y_eq_{s}"], 1e-3)
        old[s] = species[:, k].numpy() / m * scale * (L / 4)
    # measured: largest difference 1.0e-4 of the residual's scale (the two evaluate the flux
    # divergence through different but equivalent jet paths on finite-difference data)
    for k, r in old.items():
        assert np.abs(new[k] - r).max() < 1e-3 * np.abs(r).max(), k


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
