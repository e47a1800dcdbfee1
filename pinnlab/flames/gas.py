"""Ideal-gas thermo (NASA-7) and mixture-averaged transport of a Cantera mechanism, in torch.

All constants are read from a ``cantera.Solution``: molar masses, NASA-7 coefficients and the
transport fits of Cantera's mixture-averaged model, with lnT = log(T):

* cp_k/R = a0 + a1 T + a2 T² + a3 T³ + a4 T⁴,  h_k/(RT) = a0 + a1 T/2 + … + a4 T⁴/5 + a5/T,
  s_k/R = a0 lnT + a1 T + a2 T²/2 + a3 T³/3 + a4 T⁴/4 + a6   (low range for T ≤ T_mid);
* μ_k = √T (Σ_n b_kn lnTⁿ)²,  λ_k = √T Σ_n c_kn lnTⁿ,  D_ij = T^{3/2} Σ_n d_ijn lnTⁿ / p;
* λ = ½ (Σ X_k λ_k + 1/Σ X_k/λ_k);  μ = Σ_k X_k μ_k / Σ_j X_j Φ_kj (Wilke);
* D_km = (W̄ − X_k W_k) / (W̄ Σ_{j≠k} X_j/D_jk), with X floored at 1e-20 as Cantera does.

Shapes: T is (N, 1), Y is (N, K); per-species results are (N, K), mixture results (N, 1). Inputs
may be tensors or 1-D jets of :mod:`pinnlab.flames.ops` (then x-derivatives come along). Units
SI with kmol (Cantera's): W_k in kg/kmol, R in J/(kmol K).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import SpecError
from . import ops

TINY = 1e-20  # mole-fraction floor of Cantera's mixture-averaged transport


def load_solution(mechanism: str | Path, transport: str | None = "mixture-averaged") -> Any:
    """A ``cantera.Solution`` from a YAML file (path or Cantera data name).

    Raises:
        SpecError: the file does not exist or Cantera cannot read it.
    """
    import cantera as ct

    name = str(mechanism)
    try:
        if transport is None:
            return ct.Solution(name)
        return ct.Solution(name, transport_model=transport)
    except (ct.CanteraError, OSError, ValueError, UnicodeDecodeError):
        raise SpecError("Cantera cannot read this mechanism (missing, or not a valid "
                        "mechanism file)", file=name, key="mechanism") from None


def species_index(solution: Any, name: str, key: str = "species") -> int:
    """Index of species ``name`` in ``solution``; SpecError naming the mechanism if unknown."""
    if name not in solution.species_names:
        raise SpecError(f"unknown species {name!r}; the mechanism has {solution.species_names}",
                        key=key)
    return solution.species_index(name)


def mechanism_data(solution: Any) -> dict[str, np.ndarray]:
    """Every constant of the torch gas and kinetics, read through Cantera (savable with np.savez).

    Raises:
        SpecError: a species without NASA-7 thermo, or an unsupported reaction type.
    """
    import cantera as ct

    from .kinetics import kinetics_data

    K = solution.n_species
    kinds = {type(solution.species(k).thermo).__name__ for k in range(K)}
    if kinds != {"NasaPoly2"}:
        raise SpecError(f"only NASA-7 thermo is supported, found {sorted(kinds)}", key="thermo")
    data = {
        "species_names": np.array(solution.species_names),
        "molar_masses": np.asarray(solution.molecular_weights, float),
        "gas_constant": np.array(ct.gas_constant),
        "reference_pressure": np.array(solution.reference_pressure),
        "nasa": np.array([solution.species(k).thermo.coeffs for k in range(K)]),
    }
    if solution.transport_model not in ("none", "None", None):
        data["visc_fit"] = np.array([solution.get_viscosity_polynomial(k) for k in range(K)]).T
        data["cond_fit"] = np.array(
            [solution.get_thermal_conductivity_polynomial(k) for k in range(K)]).T
        diff = np.array([[solution.get_binary_diff_coeffs_polynomial(i, j) for j in range(K)]
                         for i in range(K)])  # (K, K, 5)
        data["diff_fit"] = diff.reshape(K * K, -1).T
    data.update(kinetics_data(solution))
    return data


class TorchGas:
    """Differentiable thermo and transport of a mechanism (see the module docstring).

    Args:
        source: a ``cantera.Solution``, or the dict of :func:`mechanism_data` (e.g. loaded from
            an ``.npz`` on a machine without Cantera).
    """

    def __init__(self, source: Any, dtype: torch.dtype = torch.float64,
                 device: str | torch.device = "cpu"):
        data = dict(source) if isinstance(source, dict) or hasattr(source, "files") else (
            mechanism_data(source))
        self.data = data
        self.species_names: list[str] = [str(n) for n in data["species_names"]]
        K = self.n_species = len(self.species_names)
        self.gas_constant = float(data["gas_constant"])  # J/(kmol K)
        self.reference_pressure = float(data["reference_pressure"])
        t = dict(dtype=dtype, device=device)
        self.dtype, self.device = dtype, device
        self.molar_masses = torch.tensor(data["molar_masses"], **t)  # (K,)
        coeffs = np.asarray(data["nasa"])
        self.T_mid = torch.tensor(coeffs[:, 0], **t)
        self.nasa_high = torch.tensor(coeffs[:, 1:8].T, **t)  # (7, K)
        self.nasa_low = torch.tensor(coeffs[:, 8:15].T, **t)
        self.has_transport = "visc_fit" in data
        if self.has_transport:
            self.visc_fit = torch.tensor(data["visc_fit"], **t)  # (5, K)
            self.cond_fit = torch.tensor(data["cond_fit"], **t)
            self.diff_fit = torch.tensor(data["diff_fit"], **t)  # (5, K*K)
        W = self.molar_masses
        self._wilke_mass = (1.0 + W[:, None] / W[None, :]).mul(8.0).rsqrt()  # (K, K)
        self._wilke_ratio = (W[None, :] / W[:, None]) ** 0.25  # (W_j/W_k)^(1/4)
        del K

    # -- composition ----------------------------------------------------------------------------
    def mean_molar_mass(self, Y):
        """W̄ = 1/Σ Y_k/W_k [kg/kmol], (N, 1)."""
        return 1.0 / ops.sum_(Y * (1.0 / self.molar_masses), -1, keepdim=True)

    def mole_fractions(self, Y):
        """X_k = Y_k W̄/W_k, (N, K)."""
        return Y * self.mean_molar_mass(Y) * (1.0 / self.molar_masses)

    def density(self, T, Y, pressure: float):
        """ρ = p W̄/(R T) [kg/m³], (N, 1)."""
        return pressure * self.mean_molar_mass(Y) / (self.gas_constant * T)

    def concentrations(self, T, Y, pressure: float):
        """C_k = ρ Y_k/W_k [kmol/m³], (N, K)."""
        return self.density(T, Y, pressure) * Y * (1.0 / self.molar_masses)

    # -- thermodynamics -------------------------------------------------------------------------
    def _nasa(self, T, weights) -> Any:
        """Σ_i a_ik w_i(T) with the low/high set chosen per species, (N, K)."""
        high = sum(w * self.nasa_high[i] for i, w in weights if w is not None)
        low = sum(w * self.nasa_low[i] for i, w in weights if w is not None)
        return ops.where(ops.value(T) <= self.T_mid, low, high)

    def cp_R(self, T):
        """c_p,k/R (molar, dimensionless), (N, K)."""
        return self._nasa(T, [(0, 1.0 + 0.0 * T), (1, T), (2, T**2), (3, T**3), (4, T**4)])

    def h_RT(self, T):
        """h_k/(R T), (N, K)."""
        return self._nasa(T, [(0, 1.0 + 0.0 * T), (1, T / 2), (2, T**2 / 3), (3, T**3 / 4),
                              (4, T**4 / 5), (5, 1.0 / T)])

    def s_R(self, T):
        """s°_k/R at the reference pressure, (N, K)."""
        return self._nasa(T, [(0, ops.log(T)), (1, T), (2, T**2 / 2), (3, T**3 / 3),
                              (4, T**4 / 4), (6, 1.0 + 0.0 * T)])

    def cp_species_mass(self, T):
        """c_p,k = R cp_R/W_k [J/(kg K)], (N, K)."""
        return self.cp_R(T) * (self.gas_constant / self.molar_masses)

    def cp_mass(self, T, Y):
        """Mixture c_p = Σ Y_k c_p,k [J/(kg K)], (N, 1)."""
        return ops.sum_(Y * self.cp_species_mass(T), -1, keepdim=True)

    def enthalpies_molar(self, T):
        """h_k [J/kmol], (N, K)."""
        return self.h_RT(T) * T * self.gas_constant

    def enthalpy_mass(self, T, Y):
        """h = Σ Y_k h_k/W_k [J/kg], (N, 1)."""
        return ops.sum_(Y * self.enthalpies_molar(T) * (1.0 / self.molar_masses), -1,
                        keepdim=True)

    # -- transport ------------------------------------------------------------------------------
    def _poly_lnT(self, T, fit: torch.Tensor):
        lnT = ops.log(T)
        out, power = 0.0, 1.0 + 0.0 * T
        for n in range(fit.shape[0]):
            out = out + power * fit[n]
            power = power * lnT
        return out

    def species_viscosities(self, T):
        """μ_k [Pa s], (N, K)."""
        return ops.sqrt(T) * self._poly_lnT(T, self.visc_fit) ** 2

    def species_conductivities(self, T):
        """λ_k [W/(m K)], (N, K)."""
        return ops.sqrt(T) * self._poly_lnT(T, self.cond_fit)

    def binary_diffusion(self, T, pressure: float):
        """D_ij [m²/s], (N, K, K)."""
        K = self.n_species
        flat = T**1.5 * self._poly_lnT(T, self.diff_fit) / pressure  # (N, K*K)
        return ops.reshape(flat, -1, K, K)

    def _transport_X(self, Y):
        return ops.floor(self.mole_fractions(Y), TINY)

    def thermal_conductivity(self, T, Y):
        """Mixture λ [W/(m K)], (N, 1)."""
        X = self._transport_X(Y)
        lam = self.species_conductivities(T)
        return 0.5 * (ops.sum_(X * lam, -1, keepdim=True)
                      + 1.0 / ops.sum_(X / lam, -1, keepdim=True))

    def viscosity(self, T, Y):
        """Mixture μ by Wilke's rule [Pa s], (N, 1)."""
        X = self._transport_X(Y)
        mu = self.species_viscosities(T)
        ratio = ops.sqrt(ops.unsqueeze(mu, -1) / ops.unsqueeze(mu, -2))  # (N, K, K): μ_k/μ_j
        phi = (1.0 + ratio * self._wilke_ratio) ** 2 * self._wilke_mass
        denom = ops.sum_(phi * ops.unsqueeze(X, -2), -1)  # Σ_j Φ_kj X_j, (N, K)
        return ops.sum_(X * mu / denom, -1, keepdim=True)

    def mix_diff_coeffs(self, T, Y, pressure: float):
        """Mixture-averaged D_km [m²/s] for mole-fraction gradients, (N, K)."""
        X = self._transport_X(Y)
        D = self.binary_diffusion(T, pressure)
        off = 1.0 - torch.eye(self.n_species, dtype=self.dtype, device=self.device)
        inv = ops.sum_(ops.unsqueeze(X, -2) / D * off, -1)  # Σ_{j≠k} X_j/D_kj
        W_mean = self.mean_molar_mass(Y)
        return (W_mean - X * self.molar_masses) / (W_mean * inv)

    def diffusive_fluxes(self, T, Y, pressure: float):
        """Corrected mass fluxes j_k = −ρ W_k/W̄ D_km X_k' + Y_k Σ_j ρ W_j/W̄ D_jm X_j' [kg/(m² s)].

        T and Y must be jets (the mole-fraction gradients come from their first derivatives);
        returns a jet (N, K) whose first derivative is the flux divergence dj_k/dx (its second
        is not meaningful).
        """
        X = self.mole_fractions(Y)
        dX = ops.derivative(X)  # dX/dx as a first-order jet
        rho = self.density(T, Y, pressure)
        j = -(rho * (1.0 / self.mean_molar_mass(Y)) * self.molar_masses
              * self.mix_diff_coeffs(T, Y, pressure) * dX)
        return j - Y * ops.sum_(j, -1, keepdim=True)
