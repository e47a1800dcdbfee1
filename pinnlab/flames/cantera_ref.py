"""Cantera reference solutions: freely-propagating (Case 2) and counterflow premixed (Case 3).

A :class:`Mixture` names the mechanism and the inlet: either an equivalence ratio with fuel and
oxidizer compositions, or an explicit composition (mole fractions), never both. Species must exist
in the mechanism; compositions must be non-negative with a positive sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SpecError
from ..io import atomic_npz
from .gas import load_solution, species_index
from .simple import ATM


def parse_composition(text: str, solution: Any, key: str) -> dict[str, float]:
    """'CH4:1, O2:2' → {'CH4': 1.0, 'O2': 2.0}, species and values checked."""
    out: dict[str, float] = {}
    for item in str(text).split(","):
        if not item.strip():
            continue
        name, _, value = item.partition(":")
        name = name.strip()
        species_index(solution, name, key=key)
        try:
            amount = float(value) if value.strip() else 1.0
        except ValueError:
            raise SpecError(f"bad amount {value!r} for {name}", key=key) from None
        if not np.isfinite(amount) or amount < 0:
            raise SpecError(f"amount of {name} must be a non-negative number, got {value!r}",
                            key=key)
        out[name] = out.get(name, 0.0) + amount
    if not out or sum(out.values()) <= 0:
        raise SpecError(f"composition {text!r} has no positive amount", key=key)
    return out


@dataclass
class Mixture:
    """Mechanism file and inlet state; see the module docstring."""

    mechanism: str
    T_in: float = 300.0
    pressure: float = ATM
    phi: float | None = None
    fuel: str = "CH4:1"
    oxidizer: str = "O2:1, N2:3.76"
    composition: str | None = None

    def solution(self) -> Any:
        """A Cantera Solution set to the inlet state.

        Raises:
            SpecError: unknown mechanism or species, both or neither of φ and composition,
                a fuel/oxidizer pair that gives no stoichiometric mixture.
        """
        gas = load_solution(self.mechanism)
        if (self.phi is None) == (self.composition is None):
            raise SpecError("give either phi (with fuel and oxidizer) or composition, not both",
                            key="flame.composition")
        if self.composition is not None:
            X = parse_composition(self.composition, gas, "flame.composition")
            gas.TPX = self.T_in, self.pressure, X
            return gas
        if not (np.isfinite(self.phi) and self.phi > 0):
            raise SpecError(f"phi must be positive, got {self.phi}", key="flame.phi")
        fuel = parse_composition(self.fuel, gas, "flame.fuel")
        oxidizer = parse_composition(self.oxidizer, gas, "flame.oxidizer")
        gas.TP = self.T_in, self.pressure
        try:
            gas.set_equivalence_ratio(self.phi, fuel, oxidizer)
        except Exception as exc:  # Cantera rejects e.g. a fuel without C or H
            raise SpecError(f"inconsistent fuel/oxidizer: {str(exc).strip().splitlines()[-1]}",
                            key="flame.fuel") from None
        try:
            achieved = gas.equivalence_ratio(fuel, oxidizer)
        except Exception:  # noqa: BLE001
            achieved = float("nan")
        if not (np.isfinite(gas.Y).all() and abs(achieved - self.phi) <= 1e-6 * self.phi):
            raise SpecError(f"inconsistent inlet: fuel {self.fuel!r} and oxidizer "
                            f"{self.oxidizer!r} cannot make a mixture of phi = {self.phi}",
                            key="flame.fuel")
        return gas


@dataclass
class FlameProfile:
    """A converged 1D flame: grid x [m] (n,), T [K] (n,), Y (n, K), u [m/s] (n,), ρ (n,)."""

    species: list[str]
    x: np.ndarray
    T: np.ndarray
    Y: np.ndarray
    u: np.ndarray
    rho: np.ndarray
    pressure: float
    s_L: float | None = None
    T_fixed: float | None = None
    x_fixed: float | None = None
    V: np.ndarray | None = None  # spread rate (counterflow)
    Lambda: float | None = None  # pressure curvature (counterflow) [Pa/m²]

    def save(self, path: str | Path) -> None:
        extra = {k: getattr(self, k) for k in ("s_L", "T_fixed", "x_fixed", "Lambda", "V")
                 if getattr(self, k) is not None}
        atomic_npz(path, species=np.array(self.species), x=self.x, T=self.T, Y=self.Y,
                   u=self.u, rho=self.rho, pressure=self.pressure, **extra)


def free_flame(mix: Mixture, width: float = 2.5e-3, n_initial: int = 501,
               refine: tuple[float, float, float] = (3.0, 0.06, 0.12), loglevel: int = 0
               ) -> FlameProfile:
    """Cantera FreeFlame (mixture-averaged transport), auto-solved and refined."""
    import cantera as ct

    gas = mix.solution()
    flame = ct.FreeFlame(gas, grid=np.linspace(0.0, width, n_initial))
    ratio, slope, curve = refine
    flame.set_refine_criteria(ratio=ratio, slope=slope, curve=curve)
    flame.transport_model = "mixture-averaged"
    flame.solve(loglevel=loglevel, auto=True)
    return FlameProfile(list(gas.species_names), flame.grid.copy(), flame.T.copy(),
                        flame.Y.T.copy(), flame.velocity.copy(), flame.density.copy(),
                        mix.pressure, s_L=float(flame.velocity[0]),
                        T_fixed=float(flame.fixed_temperature),
                        x_fixed=float(flame.fixed_temperature_location))


def counterflow_flame(mix: Mixture, width: float = 0.02, mdot_unburned: float = 1.0,
                      mdot_burned: float = 1.0, burned: str = "N2:1", T_burned: float = 300.0,
                      n_points: int = 501, loglevel: int = 0) -> FlameProfile:
    """Cantera CounterflowPremixedFlame: premixed jet at x = 0 against a ``burned`` jet at x = L."""
    import cantera as ct

    gas = mix.solution()
    flame = ct.CounterflowPremixedFlame(gas, grid=np.linspace(0.0, width, n_points))
    flame.reactants.mdot = mdot_unburned
    flame.products.mdot = mdot_burned
    products = load_solution(mix.mechanism)
    X = parse_composition(burned, products, "reference.burned")
    products.TPX = T_burned, mix.pressure, X
    flame.products.T = T_burned
    flame.products.X = products.X
    flame.radiation_enabled = False
    flame.transport_model = "mixture-averaged"
    flame.solve(loglevel=loglevel, refine_grid=False, auto=False)
    return FlameProfile(list(gas.species_names), flame.grid.copy(), flame.T.copy(),
                        flame.Y.T.copy(), flame.velocity.copy(), flame.density.copy(),
                        mix.pressure, V=flame.spread_rate.copy(),
                        Lambda=float(flame.L[0]) if np.ndim(flame.L) else float(flame.L))
