"""Torch thermo, transport and kinetics against Cantera at sampled states (1e-6 relative)."""

import os

import numpy as np
import pytest
import torch

ct = pytest.importorskip("cantera")

from pinnlab.errors import SpecError  # noqa: E402
from pinnlab.flames import ops  # noqa: E402
from pinnlab.flames.gas import TorchGas, load_solution, species_index  # noqa: E402
from pinnlab.flames.kinetics import TorchKinetics  # noqa: E402
from pinnlab.jet import Jet  # noqa: E402

ONE_STEP_CH4 = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "problems", "flames", "ch4_one_step.yaml")

MECHANISMS = ["h2o2.yaml", "gri30.yaml", "one-step"]
RTOL = 1e-6


def _solution(name):
    return load_solution(ONE_STEP_CH4 if name == "one-step" else name)


def _states(sol, n=16, seed=0):
    rng = np.random.default_rng(seed)
    T = rng.uniform(300.0, 2800.0, n)
    Y = rng.dirichlet(np.full(sol.n_species, 0.5), n)
    p = 101325.0 * rng.uniform(0.5, 5.0)
    return T, Y, p


def _cantera(sol, T, Y, p, getter):
    out = []
    for Ti, Yi in zip(T, Y, strict=True):
        sol.TPY = Ti, p, Yi
        out.append(np.array(getter(sol), dtype=float))
    return np.array(out)


def _rel_err(a, b):
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))


PROPERTIES = {
    "cp_mass": (lambda g, T, Y, p: g.cp_mass(T, Y)[:, 0], lambda s: s.cp_mass),
    "enthalpy_mass": (lambda g, T, Y, p: g.enthalpy_mass(T, Y)[:, 0], lambda s: s.enthalpy_mass),
    "density": (lambda g, T, Y, p: g.density(T, Y, p)[:, 0], lambda s: s.density),
    "species_cp": (lambda g, T, Y, p: g.cp_R(T), lambda s: s.standard_cp_R),
    "species_h": (lambda g, T, Y, p: g.h_RT(T), lambda s: s.standard_enthalpies_RT),
    "conductivity": (lambda g, T, Y, p: g.thermal_conductivity(T, Y)[:, 0],
                     lambda s: s.thermal_conductivity),
    "viscosity": (lambda g, T, Y, p: g.viscosity(T, Y)[:, 0], lambda s: s.viscosity),
    "mix_diff_coeffs": (lambda g, T, Y, p: g.mix_diff_coeffs(T, Y, p),
                        lambda s: s.mix_diff_coeffs),
    "binary_diffusion": (lambda g, T, Y, p: g.binary_diffusion(T, p),
                         lambda s: s.binary_diff_coeffs),
}


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("prop", sorted(PROPERTIES))
def test_property_matches_cantera(mechanism, prop):
    sol = _solution(mechanism)
    gas = TorchGas(sol)
    T, Y, p = _states(sol)
    ours, theirs = PROPERTIES[prop]
    a = ours(gas, torch.tensor(T).reshape(-1, 1), torch.tensor(Y), p).numpy()
    assert _rel_err(a, _cantera(sol, T, Y, p, theirs)) < RTOL


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_entropy_matches_cantera_at_reference_pressure(mechanism):
    sol = _solution(mechanism)
    T, Y, _ = _states(sol)
    p = sol.reference_pressure
    a = TorchGas(sol).s_R(torch.tensor(T).reshape(-1, 1)).numpy()
    assert _rel_err(a, _cantera(sol, T, Y, p, lambda s: s.standard_entropies_R)) < RTOL


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("what", ["net_rates_of_progress", "net_production_rates",
                                  "heat_release_rate"])
def test_kinetics_match_cantera(mechanism, what):
    sol = _solution(mechanism)
    kin = TorchKinetics(TorchGas(sol))
    T, Y, p = _states(sol, seed=1)
    Tt, Yt = torch.tensor(T).reshape(-1, 1), torch.tensor(Y)
    ours = {"net_rates_of_progress": kin.rates_of_progress,
            "net_production_rates": kin.net_production_rates,
            "heat_release_rate": lambda *a: kin.heat_release_rate(*a)[:, 0]}[what]
    theirs = _cantera(sol, T, Y, p, lambda s: getattr(s, what))
    a = ours(Tt, Yt, p).numpy()
    scale = np.max(np.abs(theirs), axis=-1, keepdims=True) if theirs.ndim > 1 else 0.0
    err = np.abs(a - theirs) / np.maximum(np.abs(theirs), 1e-12 * scale + 1e-300)
    assert err.max() < RTOL


def _fields(x, K, jet):
    """T(x) = 800 + 900 tanh(2x), Y = softmax(sin((k+1)x)) as tensors or Jets."""
    if not jet:
        logits = torch.cat([torch.sin((k + 1) * x) for k in range(K)], -1)
        return 800.0 + 900.0 * torch.tanh(2 * x), torch.softmax(logits, -1)
    xj = ops.variable(x)
    z = [((k + 1) * xj).sin() for k in range(K)]
    return 800.0 + 900.0 * (2 * xj).tanh(), Jet.cat(z).softmax()


@pytest.mark.parametrize("prop", ["thermal_conductivity", "mix_diff_coeffs", "density"])
def test_jet_derivatives_of_properties_match_autograd(prop):
    """First and second x-derivatives of a property through Jets equal nested autograd."""
    sol = _solution("h2o2.yaml")
    gas = TorchGas(sol)
    args = {"thermal_conductivity": (), "mix_diff_coeffs": (101325.0,), "density": (101325.0,)}
    f = getattr(gas, prop)
    x = torch.linspace(0.0, 1.0, 7, dtype=torch.float64).reshape(-1, 1).requires_grad_()
    jet = f(*_fields(x.detach(), sol.n_species, True), *args[prop])
    plain = f(*_fields(x, sol.n_species, False), *args[prop])
    for k in range(plain.shape[1]):
        d1 = torch.autograd.grad(plain[:, k].sum(), x, create_graph=True)[0][:, 0]
        d2 = torch.autograd.grad(d1.sum(), x, retain_graph=True)[0][:, 0]
        assert torch.allclose(jet.value[:, k], plain[:, k].detach(), rtol=1e-12)
        assert torch.allclose(ops.d1(jet)[:, k], d1, rtol=1e-9, atol=1e-12 * float(d1.abs().max()))
        assert torch.allclose(ops.d2(jet)[:, k], d2, rtol=1e-8, atol=1e-10 * float(d2.abs().max()))


def test_unknown_species_and_mechanism_are_spec_errors(tmp_path):
    with pytest.raises(SpecError, match="mechanism"):
        load_solution(tmp_path / "missing.yaml")
    with pytest.raises(SpecError, match="unknown species"):
        species_index(_solution("h2o2.yaml"), "CH4")
