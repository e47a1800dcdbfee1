"""Case 1 physics: a freely-propagating premixed flame with simplified closures.

Model (Lewis number 1, one-step global chemistry, constant c_p and λ, ideal gas):

* mass:      ρ u = ρ_in s_L
* momentum:  u² − c u + R_g T = 0 with c = s_L + R_g T_in / s_L, so u = ½ [c − √(c² − 4 R_g T)]
* fuel:      Y_F = Y_F,in + c_p (T_in − T) / q_F
* rate:      ω = A exp(−E_a / (R T)) (ρ Y_F)^ν                         [kg/(m³ s)]
* energy:    T' − λ/(ρ_in s_L c_p) T'' − q_F ω/(ρ_in s_L c_p) = 0       [K/m]

The closures work on numpy arrays and torch tensors alike (the backend is picked from the
input); the shooting reference (:mod:`pinnlab.flames.shooting`) integrates them. The PINN reads
the same model from the spec's text (``problems/flames/case1_*.toml``), and the tests check the
two agree on the shooting profile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError

ATM = 101325.0
R_UNIVERSAL = 8.3145  # J/(mol K), the value of the published setup


def _xp(value: Any):
    """numpy or torch, whichever ``value`` belongs to."""
    if type(value).__module__.startswith("torch"):
        import torch

        return torch
    import numpy

    return numpy


@dataclass(frozen=True)
class SimpleFlame:
    """Parameters of the Case 1 flame (SI units; defaults are the published setup).

    Attributes:
        phi: equivalence ratio; the fuel mass fraction is Y_F,in = φ/(φ + 4).
        pressure: inlet pressure [Pa].
        T_in: inlet temperature [K].
        length: domain length L [m]; the inlet is at x = 0.
        grad_T0: imposed inlet temperature gradient dT/dx(0) [K/m] (fixes the flame position).
    """

    phi: float = 0.42
    pressure: float = ATM
    T_in: float = 298.0
    length: float = 1.5e-3
    grad_T0: float = 1.0e5
    molar_mass: float = 28.97e-3  # W [kg/mol]
    conductivity: float = 2.6e-2  # λ [W/(m K)]
    cp: float = 1000.0  # [J/(kg K)]
    heat_of_reaction: float = 5.0e7  # q_F [J/kg]
    pre_exponential: float = 1.4e8  # A
    activation_energy: float = 1.214172e5  # E_a [J/mol]
    reaction_order: float = 1.6  # ν

    def __post_init__(self) -> None:
        for name in ("phi", "pressure", "T_in", "length", "conductivity", "cp",
                     "heat_of_reaction", "pre_exponential", "activation_energy", "molar_mass"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise SpecError(f"must be a positive finite number, got {value!r}", key=name)

    @property
    def gas_constant(self) -> float:
        """R_g = R/W [J/(kg K)]."""
        return R_UNIVERSAL / self.molar_mass

    @property
    def Y_F_in(self) -> float:
        """Inlet fuel mass fraction φ/(φ + 4) (4 = 2·32/16, stoichiometric O2/CH4 mass ratio)."""
        return self.phi / (self.phi + 4.0)

    @property
    def rho_in(self) -> float:
        """Inlet density p W/(R T_in) [kg/m³]."""
        return self.pressure / (self.gas_constant * self.T_in)

    @property
    def T_max(self) -> float:
        """Adiabatic end temperature T_in + q_F Y_F,in / c_p [K] (complete fuel consumption)."""
        return self.T_in + self.heat_of_reaction * self.Y_F_in / self.cp

    # -- closures, numpy or torch ---------------------------------------------------------------
    def velocity(self, T, s_L):
        """Subsonic root u(T; s_L) of u² − c u + R_g T = 0, shape of T."""
        xp = _xp(T)
        c = s_L + self.gas_constant * self.T_in / s_L
        disc = c * c - 4.0 * self.gas_constant * T
        return 0.5 * (c - xp.sqrt(disc))

    def density(self, T, s_L):
        """ρ = ρ_in s_L / u(T), shape of T."""
        return self.rho_in * s_L / self.velocity(T, s_L)

    def fuel_fraction(self, T):
        """Y_F(T) = Y_F,in + c_p (T_in − T)/q_F, clipped at 0, shape of T."""
        xp = _xp(T)
        Y = self.Y_F_in + self.cp * (self.T_in - T) / self.heat_of_reaction
        return xp.clip(Y, 0.0, None) if xp.__name__ == "numpy" else Y.clamp(min=0.0)

    def reaction_rate(self, T, s_L, activation_energy=None):
        """ω = A exp(−E_a/(R T)) (ρ Y_F)^ν [kg/(m³ s)], shape of T."""
        xp = _xp(T)
        Ea = self.activation_energy if activation_energy is None else activation_energy
        conc = self.density(T, s_L) * self.fuel_fraction(T)
        return self.pre_exponential * xp.exp(-Ea / (R_UNIVERSAL * T)) * conc**self.reaction_order

