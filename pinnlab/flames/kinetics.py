"""Gas-phase kinetics of a Cantera mechanism in torch (mass-action, three-body, falloff).

For reaction r with forward orders o_kr (stoichiometric unless the mechanism overrides them),
reactant/product coefficients ν'_kr, ν''_kr and Δν_kr = ν''_kr − ν'_kr:

* Arrhenius k = A T^b exp(−E_a/(R T));
* three-body: k·[M], [M] = Σ_k ε_k C_k; falloff: k = k_∞ P_r/(1 + P_r)·F with P_r = k_0 [M]/k_∞,
  F = 1 (Lindemann) or Troe's log10 F = log10 F_c / (1 + (s/(n − 0.14 s))²), s = log10 P_r + c,
  F_c = (1 − a) e^{−T/T3} + a e^{−T/T1} + e^{−T2/T}, c = −0.4 − 0.67 log10 F_c,
  n = 0.75 − 1.27 log10 F_c;
* reverse: k_r = k_f / K_c, K_c = exp(−Σ_k Δν_kr g_k/(R T)) (p°/(R T))^{Σ_k Δν_kr};
* q_r = k_f Π C_k^{o_kr} − k_r Π C_k^{ν''_kr};  ω̇_k = Σ_r Δν_kr q_r [kmol/(m³ s)].

Concentrations must be positive (the products use exp(Σ o log C)); plain tensors only, with T of
shape (N, 1) and Y of shape (N, K). The activation energies can be scaled by a trainable factor.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..errors import SpecError
from .gas import TorchGas

_SMALL = 1e-300


def _arrhenius(rate: Any) -> tuple[float, float, float]:
    return rate.pre_exponential_factor, rate.temperature_exponent, rate.activation_energy


def kinetics_data(sol: Any) -> dict[str, np.ndarray]:
    """Stoichiometry, orders and rate parameters of a Cantera Solution as arrays.

    Raises:
        SpecError: a reaction type other than elementary, three-body or falloff.
    """
    K, R = sol.n_species, sol.n_reactions
    nu_r = np.asarray(sol.reactant_stoich_coeffs, float).reshape(K, R)  # (K, R)
    nu_p = np.asarray(sol.product_stoich_coeffs, float).reshape(K, R)
    orders = nu_r.copy()
    arr, low, troe = np.zeros((R, 3)), np.zeros((R, 3)), np.zeros((R, 4))
    kind = np.zeros(R, int)  # 0 elementary, 1 three-body, 2 falloff (Lindemann), 3 Troe
    eff = np.zeros((K, R))
    for r, reaction in enumerate(sol.reactions()):
        for name, order in reaction.orders.items():
            orders[sol.species_index(name), r] = order
        rtype = reaction.reaction_type
        if rtype in ("Arrhenius", "reaction", "elementary", "three-body-Arrhenius"):
            arr[r] = _arrhenius(reaction.rate)
            kind[r] = 1 if rtype.startswith("three-body") else 0
        elif rtype in ("falloff-Lindemann", "falloff-Troe"):
            arr[r] = _arrhenius(reaction.rate.high_rate)
            low[r] = _arrhenius(reaction.rate.low_rate)
            kind[r] = 2
            if rtype == "falloff-Troe":
                kind[r] = 3
                c = list(reaction.rate.falloff_coeffs)
                troe[r] = c if len(c) == 4 else c[:3] + [math.inf]  # no T2 term
        else:
            raise SpecError(f"reaction {r} ({reaction.equation}) has unsupported type "
                            f"{rtype!r}", key="reactions")
        if kind[r] > 0:
            tb = reaction.third_body
            eff[:, r] = tb.default_efficiency
            for name, value in tb.efficiencies.items():
                eff[sol.species_index(name), r] = value
    return {"nu_reactants": nu_r, "nu_products": nu_p, "orders": orders, "arrhenius": arr,
            "low": low, "troe": troe, "kind": kind, "efficiencies": eff,
            "reversible": np.array([rx.reversible for rx in sol.reactions()], bool)}


class TorchKinetics:
    """Rates of a mechanism (see the module docstring); ``gas`` supplies thermo and constants."""

    def __init__(self, gas: TorchGas):
        data = gas.data
        self.gas = gas
        t = dict(dtype=gas.dtype, device=gas.device)
        nu_r, nu_p = np.asarray(data["nu_reactants"]), np.asarray(data["nu_products"])
        self.reversible = torch.tensor(np.asarray(data["reversible"]), device=gas.device)
        self.nu_products = torch.tensor(nu_p, **t)
        self.nu_net = torch.tensor(nu_p - nu_r, **t)
        self.orders = torch.tensor(np.asarray(data["orders"]), **t)
        self.arrhenius = torch.tensor(np.asarray(data["arrhenius"]), **t)  # A, b, Ea [J/kmol]
        self.low = torch.tensor(np.asarray(data["low"]), **t)
        self.troe = torch.tensor(np.asarray(data["troe"]), **t)
        self.kind = torch.tensor(np.asarray(data["kind"]), device=gas.device)
        self.efficiencies = torch.tensor(np.asarray(data["efficiencies"]), **t)

    def forward_rate_constants(self, T: torch.Tensor, C: torch.Tensor, ea_factor=1.0
                               ) -> torch.Tensor:
        """k_f including [M] and falloff, (N, R); ``ea_factor`` scales every E_a."""
        R = self.gas.gas_constant
        A, b, Ea = self.arrhenius.unbind(-1)
        logT = torch.log(T)
        k = A * torch.exp(b * logT - ea_factor * Ea / (R * T))
        M = C @ self.efficiencies  # (N, R)
        kind = self.kind
        k = torch.where(kind == 1, k * M, k)
        if bool((kind >= 2).any()):
            A0, b0, E0 = self.low.unbind(-1)
            k0 = A0 * torch.exp(b0 * logT - ea_factor * E0 / (R * T))
            Pr = (k0 * M / torch.where(kind >= 2, k, torch.ones_like(k))).clamp(min=_SMALL)
            a, T3, T1, T2 = self.troe.unbind(-1)
            T3 = torch.where(kind == 3, T3, torch.ones_like(T3))
            T1 = torch.where(kind == 3, T1, torch.ones_like(T1))
            Fc = ((1 - a) * torch.exp(-T / T3) + a * torch.exp(-T / T1)
                  + torch.exp(-T2 / T)).clamp(min=_SMALL)
            log_Fc = torch.log10(Fc)
            c = -0.4 - 0.67 * log_Fc
            n = 0.75 - 1.27 * log_Fc
            s = torch.log10(Pr) + c
            log_F = log_Fc / (1.0 + (s / (n - 0.14 * s)) ** 2)
            F = torch.where(kind == 3, 10.0**log_F, torch.ones_like(log_F))
            k = torch.where(kind >= 2, k * Pr / (1.0 + Pr) * F, k)
        return k

    def equilibrium_constants(self, T: torch.Tensor) -> torch.Tensor:
        """K_c in concentration units, (N, R)."""
        g = self.gas
        g_RT = g.h_RT(T) - g.s_R(T)  # (N, K)
        dnu = self.nu_net.sum(0)  # (R,)
        log_K = -(g_RT @ self.nu_net) + dnu * torch.log(g.reference_pressure
                                                        / (g.gas_constant * T))
        return torch.exp(log_K)

    def rates_of_progress(self, T: torch.Tensor, Y: torch.Tensor, pressure: float,
                          ea_factor=1.0) -> torch.Tensor:
        """Net rates of progress q_r [kmol/(m³ s)], (N, R)."""
        C = self.gas.concentrations(T, Y, pressure)
        log_C = torch.log(C.clamp(min=_SMALL))
        kf = self.forward_rate_constants(T, C, ea_factor)
        q = kf * torch.exp(log_C @ self.orders)
        if bool(self.reversible.any()):
            kr = kf / self.equilibrium_constants(T)
            rev = kr * torch.exp(log_C @ self.nu_products)
            q = q - torch.where(self.reversible, rev, torch.zeros_like(rev))
        return q

    def net_production_rates(self, T: torch.Tensor, Y: torch.Tensor, pressure: float,
                             ea_factor=1.0) -> torch.Tensor:
        """ω̇_k [kmol/(m³ s)], (N, K)."""
        return self.rates_of_progress(T, Y, pressure, ea_factor) @ self.nu_net.T

    def heat_release_rate(self, T: torch.Tensor, Y: torch.Tensor, pressure: float,
                          ea_factor=1.0) -> torch.Tensor:
        """ω̇_T = −Σ_k h_k ω̇_k [W/m³], (N, 1)."""
        wdot = self.net_production_rates(T, Y, pressure, ea_factor)
        return -(wdot * self.gas.enthalpies_molar(T)).sum(-1, keepdim=True)
