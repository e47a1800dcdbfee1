"""The mechanism constants survive a round trip through .npz; bad inlet input is a SpecError.
(The flames' residuals on Cantera's solutions: test_mechanism_plugin.py, test_case3_spec.py.)"""

import os

import numpy as np
import pytest
import torch

pytest.importorskip("cantera")

from pinnlab.errors import SpecError  # noqa: E402
from pinnlab.flames.cantera_ref import Mixture  # noqa: E402
from pinnlab.flames.gas import TorchGas, load_solution, mechanism_data  # noqa: E402
from pinnlab.flames.kinetics import TorchKinetics  # noqa: E402

ONE_STEP_CH4 = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "problems", "flames", "ch4_one_step.yaml")


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
        Mixture(str(ONE_STEP_CH4), **kwargs).solution()


def test_unknown_mechanism_file_is_spec_error(tmp_path):
    with pytest.raises(SpecError, match="mechanism"):
        Mixture(str(tmp_path / "nope.yaml"), phi=1.0).solution()
