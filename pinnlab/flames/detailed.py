"""Residuals of 1D flames with detailed physics (Cases 2 and 3), on 1-D jets (:mod:`.ops`).

Freely-propagating flame (continuity integrated: ρu = m = ρ_in s_L):

    energy:   m c_p T' − (λ T')' + (Σ_k j_k c_p,k) T' − ω̇_T = 0                [W/m³]
    species:  m Y_k' + j_k' − W_k ω̇_k = 0,  k = 1..K                          [kg/(m³ s)]

Counterflow (axisymmetric stagnation flow, spread rate V = v/r, pressure curvature Λ):

    continuity: (ρu)' + 2ρV = 0
    radial momentum: ρu V' + ρV² + Λ − (μ V')' = 0
    energy and species as above with m replaced by ρu.

j_k are the corrected mixture-averaged fluxes of :meth:`TorchGas.diffusive_fluxes`, ω̇_k and
ω̇_T = −Σ h_k ω̇_k come from :class:`TorchKinetics`. T is a jet of shape (N, 1) and Y a jet of
shape (N, K) (network outputs, or finite-difference derivatives of a reference solution); results
are plain tensors of shapes (N, 1) and (N, K).
"""

from __future__ import annotations

import torch

from ..jet import Jet
from .gas import TorchGas
from .kinetics import TorchKinetics
from .ops import d1, d2, from_parts


def _transport_terms(gas: TorchGas, T: Jet, Y: Jet, pressure: float):
    lam = gas.thermal_conductivity(T, Y)
    j = gas.diffusive_fluxes(T, Y, pressure)
    conduction = d1(lam) * d1(T) + lam.value * d2(T)  # (λT')'
    enthalpy_flux = (j.value * gas.cp_species_mass(T.value)).sum(-1, keepdim=True) * d1(T)
    return conduction, enthalpy_flux, j


def free_flame_residuals(gas: TorchGas, kinetics: TorchKinetics, T: Jet, Y: Jet,
                         mass_flux, pressure: float, ea_factor=1.0
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """(energy (N, 1) [W/m³], species (N, K) [kg/(m³ s)]) of a freely-propagating flame."""
    conduction, enthalpy_flux, j = _transport_terms(gas, T, Y, pressure)
    cp = gas.cp_mass(T.value, Y.value)
    wdot = kinetics.net_production_rates(T.value, Y.value, pressure, ea_factor)
    heat = -(wdot * gas.enthalpies_molar(T.value)).sum(-1, keepdim=True)
    energy = mass_flux * cp * d1(T) - conduction + enthalpy_flux - heat
    species = mass_flux * d1(Y) + d1(j) - gas.molar_masses * wdot
    return energy, species


def counterflow_residuals(gas: TorchGas, kinetics: TorchKinetics, u: Jet, V: Jet, T: Jet, Y: Jet,
                          Lambda, pressure: float, ea_factor=1.0) -> dict[str, torch.Tensor]:
    """Residuals of the counterflow equations (module docstring), each (N, 1) or (N, K)."""
    rho = gas.density(T, Y, pressure)
    mu = gas.viscosity(T, Y)
    mass = rho * u
    conduction, enthalpy_flux, j = _transport_terms(gas, T, Y, pressure)
    cp = gas.cp_mass(T.value, Y.value)
    wdot = kinetics.net_production_rates(T.value, Y.value, pressure, ea_factor)
    heat = -(wdot * gas.enthalpies_molar(T.value)).sum(-1, keepdim=True)
    return {
        "continuity": d1(mass) + 2.0 * rho.value * V.value,
        "momentum": (mass.value * d1(V) + rho.value * V.value**2 + Lambda
                     - (d1(mu) * d1(V) + mu.value * d2(V))),
        "energy": mass.value * cp * d1(T) - conduction + enthalpy_flux - heat,
        "species": mass.value * d1(Y) + d1(j) - gas.molar_masses * wdot,
    }


def jets_from_samples(x: torch.Tensor, field: torch.Tensor) -> Jet:
    """A jet of a sampled field (N, C) on a (possibly non-uniform) grid x (N,), by second-order
    finite differences (numpy.gradient's formulas): used to evaluate residuals on references."""
    import numpy as np

    xs = x.detach().cpu().numpy()
    f = field.detach().cpu().numpy()
    first = np.gradient(f, xs, axis=0, edge_order=2)
    second = np.gradient(first, xs, axis=0, edge_order=2)
    opts = dict(dtype=field.dtype, device=field.device)
    return from_parts(field, torch.as_tensor(first, **opts), torch.as_tensor(second, **opts))
