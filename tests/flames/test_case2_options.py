"""The Case 2/3 training options: the fixed-point warm-up profile passes through the fixed point
with the requested thermal thickness, the counterflow flame zone brackets the steepest observed
rise, per-parameter Adam rates scale the steps, ``flux_scale`` divides the residuals (and
for "fixed" the inlet flux balance) by ρ_in s_L,guess or min(ρ_in s_L, ρ_in s_L,guess) instead
of the trainable ρ_in s_L, and a bad warm-up profile name is a SpecError."""

import numpy as np
import pytest
import torch

from pinnlab.errors import SpecError
from pinnlab.flames.case2 import Case2Budget, FlameSetup, FreeFlamePINN, _warmup_target
from pinnlab.flames.case3 import CounterflowObservations, flame_zone
from pinnlab.flames.training import adam_stage

SETUP = FlameSetup(length=2.5e-3, pressure=101325.0, T_in=300.0, Y_in=np.array([0.2, 0.8]),
                   T_out=2300.0, Y_out=np.array([0.0, 1.0]), x_fixed=0.9e-3, T_fixed=800.0)


def test_fixed_point_profile_through_fixed_point_with_thickness():
    thickness = 2e-4
    x, T, Y = _warmup_target(SETUP, n=20001, profile="fixed-point", thickness=thickness)
    T = T[:, 0]
    assert np.interp(SETUP.x_fixed, x, T) == pytest.approx(SETUP.T_fixed, rel=1e-6)
    slope = np.max(np.gradient(T, x))
    assert (SETUP.T_out - SETUP.T_in) / slope == pytest.approx(thickness, rel=1e-6)
    theta = (T - SETUP.T_in) / (SETUP.T_out - SETUP.T_in)
    np.testing.assert_allclose(Y, SETUP.Y_in + (SETUP.Y_out - SETUP.Y_in) * theta[:, None],
                               atol=1e-15)


def test_flame_zone_brackets_steepest_observed_interval():
    x = np.linspace(0.0, 0.02, 16)
    T = np.where(x < 0.005, 300.0, 2000.0)  # the rise lies between x[3] and x[4]
    obs = CounterflowObservations(x, x, x, T, np.ones((16, 1)))
    assert flame_zone(obs) == (x[2], x[5])


def test_adam_learning_rate_factor():
    a = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))
    b = torch.nn.Parameter(torch.tensor(1.0, dtype=torch.float64))

    def loss():
        return a + b, {}  # constant gradients: Adam steps are exactly lr per iteration

    adam_stage("t", [a, b], loss, 10, lr=1e-3, check_every=1, lr_factors={id(b): 10.0})
    # the best (lowest) loss is the last state: a moved 10 lr, b 100 lr (less the last step,
    # whose loss is not recorded)
    assert float(a.detach()) == pytest.approx(1.0 - 9e-3, rel=1e-9)
    assert float(b.detach()) == pytest.approx(1.0 - 9e-2, rel=1e-9)


def test_unknown_warmup_profile_is_spec_error():
    class _Gas:
        n_species, dtype, device = 2, torch.float64, None

    with pytest.raises(SpecError, match="warm-up profile"):
        FreeFlamePINN(_Gas(), SETUP, Case2Budget(warmup_profile="tanh"))


class _UniformGas:
    """Constant ρ = 1.2, c_p = 1000, λ = 0.025: enough to build a FreeFlamePINN."""

    n_species, dtype, device = 2, torch.float64, None

    def density(self, T, Y, p):
        return torch.tensor(1.2, dtype=self.dtype)

    def cp_mass(self, T, Y):
        return torch.tensor(1000.0, dtype=self.dtype)

    def thermal_conductivity(self, T, Y):
        return torch.tensor(0.025, dtype=self.dtype)


@pytest.mark.parametrize("mode, s_L, divisor_s_L", [("trainable", 10.0, 10.0),
                                                     ("fixed", 10.0, 2.0), ("fixed", 0.5, 2.0),
                                                     ("fixed-pde", 0.5, 2.0),
                                                     ("min", 10.0, 2.0), ("min", 0.5, 0.5)])
def test_flux_scale_divides_residuals_as_chosen(mode, s_L, divisor_s_L):
    model = FreeFlamePINN(_UniformGas(), SETUP, Case2Budget(flux_scale=mode), s_L_guess=2.0)
    e = torch.full((3, 1), 7.0, dtype=torch.float64)
    s = torch.full((3, 2), 3.0, dtype=torch.float64)
    with torch.no_grad():
        model.s_L.fill_(s_L)  # trained away from the guess 2.0
    r_e, r_s = model.scaled_residuals(e, s)
    m = 1.2 * divisor_s_L  # ρ_in times the s_L the residuals are divided by
    c = model.scale_T / model.scale_x
    np.testing.assert_allclose(r_e.detach().numpy(), 7.0 / (m * 1000.0) * c, rtol=1e-12)
    np.testing.assert_allclose(r_s.detach().numpy(),
                               (3.0 / m * model.scale_Y / model.scale_x).expand(3, 2).numpy(),
                               rtol=1e-12)
    # the divisor depends on the trainable s_L only where it is not the fixed m_ref
    grad = torch.autograd.grad(r_e.sum(), model.s_L)[0] if r_e.requires_grad else 0.0
    assert (float(grad) != 0.0) is (divisor_s_L == s_L)


@pytest.mark.parametrize("mode, inlet_s_L", [("trainable", 0.5), ("fixed", 2.0),
                                             ("fixed-pde", 0.5), ("min", 0.5)])
def test_inlet_flux_balance_divisor(mode, inlet_s_L):
    model = FreeFlamePINN(_UniformGas(), SETUP, Case2Budget(flux_scale=mode), s_L_guess=2.0)
    with torch.no_grad():
        model.s_L.fill_(0.5)
        assert float(model.flux_scale(inlet=True)) == pytest.approx(1.2 * inlet_s_L, rel=1e-12)


def test_unknown_flux_scale_is_spec_error():
    with pytest.raises(SpecError, match="flux scale"):
        FreeFlamePINN(_UniformGas(), SETUP, Case2Budget(flux_scale="max"), s_L_guess=2.0)
