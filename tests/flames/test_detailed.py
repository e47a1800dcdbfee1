"""Detailed-physics residuals vanish on Cantera's converged flames up to discretisation error;
the mechanism constants survive a round trip through .npz; bad inlet input is a SpecError."""

import numpy as np
import pytest
import torch

pytest.importorskip("cantera")

from pinnlab.errors import SpecError  # noqa: E402
from pinnlab.flames.cantera_ref import Mixture, free_flame  # noqa: E402
from pinnlab.flames.detailed import free_flame_residuals, jets_from_samples  # noqa: E402
from pinnlab.flames.gas import TorchGas, load_solution, mechanism_data  # noqa: E402
from pinnlab.flames.kinetics import TorchKinetics  # noqa: E402
from pinnlab.flames.mechanisms import one_step_ch4_path  # noqa: E402
from pinnlab.flames.ops import d1  # noqa: E402

CASES = {"ch4": (str(one_step_ch4_path()), dict(phi=0.8)),
         "h2": ("h2o2.yaml", dict(phi=1.0, fuel="H2:1"))}


def _relative_residuals(mechanism, mix, n):
    ref = free_flame(Mixture(mechanism, **mix), n_initial=n, refine=(10.0, 0.9, 0.9))
    gas = TorchGas(load_solution(mechanism))
    x = torch.tensor(ref.x)
    T = jets_from_samples(x, torch.tensor(ref.T).reshape(-1, 1))
    Y = jets_from_samples(x, torch.tensor(ref.Y))
    m = ref.rho[0] * ref.s_L
    energy, species = free_flame_residuals(gas, TorchKinetics(gas), T, Y, m, ref.pressure)
    e = energy.abs() / (m * gas.cp_mass(T.value, Y.value) * d1(T)).abs().max()
    s = species.abs() / (m * d1(Y)).abs().max()
    rms = [float(r[2:-2].pow(2).mean().sqrt()) for r in (e, s)]
    return rms


@pytest.mark.parametrize("name", sorted(CASES))
def test_free_flame_residuals_vanish_at_first_order(name):
    """Cantera's upwind convection is first order: halving Δx halves the residual of the
    converged solution; on 501 points it is below 1% of the convective term."""
    mechanism, mix = CASES[name]
    coarse = _relative_residuals(mechanism, mix, 251)
    fine = _relative_residuals(mechanism, mix, 501)
    for c, f in zip(coarse, fine, strict=True):
        assert f < 1e-2
        assert 1.6 < c / f < 2.6


def test_mechanism_data_round_trip(tmp_path):
    sol = load_solution("h2o2.yaml")
    np.savez(tmp_path / "gas.npz", **mechanism_data(sol))
    a, b = TorchGas(sol), TorchGas(dict(np.load(tmp_path / "gas.npz")))
    T = torch.linspace(400.0, 2400.0, 5, dtype=torch.float64).reshape(-1, 1)
    Y = torch.softmax(torch.randn(5, sol.n_species, dtype=torch.float64), -1)
    assert torch.equal(a.mix_diff_coeffs(T, Y, 1e5), b.mix_diff_coeffs(T, Y, 1e5))
    assert torch.equal(TorchKinetics(a).net_production_rates(T, Y, 1e5),
                       TorchKinetics(b).net_production_rates(T, Y, 1e5))


@pytest.mark.parametrize("kwargs, message", [
    (dict(phi=0.8, fuel="CH5:1"), "unknown species"),
    (dict(phi=0.8, composition="CH4:1, O2:2"), "not both"),
    (dict(phi=None), "either phi"),
    (dict(phi=None, composition="CH4:1, O2:-2"), "non-negative"),
    (dict(phi=0.8, fuel="N2:1"), "fuel"),
])
def test_inconsistent_inlet_is_spec_error(kwargs, message):
    with pytest.raises(SpecError, match=message):
        Mixture(str(one_step_ch4_path()), **kwargs).solution()


def test_unknown_mechanism_file_is_spec_error(tmp_path):
    with pytest.raises(SpecError, match="mechanism"):
        Mixture(str(tmp_path / "nope.yaml"), phi=1.0).solution()


def _counterflow_rms(n):
    from pinnlab.flames.cantera_ref import counterflow_flame
    from pinnlab.flames.detailed import counterflow_residuals

    mechanism = str(one_step_ch4_path())
    ref = counterflow_flame(Mixture(mechanism, phi=0.8), n_points=n)
    gas = TorchGas(load_solution(mechanism))
    x = torch.tensor(ref.x)

    def jet(a):
        return jets_from_samples(x, torch.tensor(a).reshape(len(ref.x), -1))

    u, V, T, Y = jet(ref.u), jet(ref.V), jet(ref.T), jet(ref.Y)
    res = counterflow_residuals(gas, TorchKinetics(gas), u, V, T, Y, ref.Lambda, ref.pressure)
    rho = torch.tensor(ref.rho).reshape(-1, 1)
    mass = rho * u.value
    scales = {"continuity": (rho * u.value).abs().max() / (ref.x[-1] / 20),
              "momentum": abs(ref.Lambda),
              "energy": (mass * gas.cp_mass(T.value, Y.value) * d1(T)).abs().max(),
              "species": (mass * d1(Y)).abs().max()}
    return {k: float((r / scales[k])[2:-2].pow(2).mean().sqrt()) for k, r in res.items()}


def test_counterflow_residuals_vanish_on_cantera_solution():
    """Continuity, radial momentum (with Cantera's Λ), energy and species of the converged
    CounterflowPremixedFlame are small and shrink with the grid."""
    coarse, fine = _counterflow_rms(251), _counterflow_rms(501)
    for key in coarse:
        assert fine[key] < 2e-2, key
        assert coarse[key] / fine[key] > 1.5, key
