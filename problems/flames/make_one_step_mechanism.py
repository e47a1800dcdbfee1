"""Write the global one-step mechanisms of the flame specs (SI units: m, kmol, J/kmol).

Species with their thermodynamic (NASA-7) and transport data taken from Cantera's GRI-Mech 3.0
file; one irreversible reaction with k = A exp(−E_a/(R T)) (A in cm–mol–s units):

* ``ch4_one_step.yaml`` (FlamePINN-1D Cases 2 and 3): CH4 + 2 O2 => CO2 + 2 H2O, A = 1.1e10,
  E_a = 2.0e4 cal/mol, orders [CH4]^1.0 [O2]^0.5;
* ``c3h8_one_step.yaml`` (Westbrook & Dryer 1981): C3H8 + 5 O2 => 3 CO2 + 4 H2O, A = 8.6e11,
  E_a = 3.0e4 cal/mol, orders [C3H8]^0.1 [O2]^1.65.

Run: ``python problems/flames/make_one_step_mechanism.py``.
"""

from pathlib import Path

import cantera as ct

MECHANISMS = {  # name: (species, equation, A [cm-mol-s], E_a [cal/mol], orders)
    "ch4_one_step": (["O2", "H2O", "CH4", "CO2", "N2"], "CH4 + 2 O2 => CO2 + 2 H2O", 1.1e10,
                     2.0e4, {"CH4": 1.0, "O2": 0.5}),
    "c3h8_one_step": (["O2", "H2O", "C3H8", "CO2", "N2"], "C3H8 + 5 O2 => 3 CO2 + 4 H2O",
                      8.6e11, 3.0e4, {"C3H8": 0.1, "O2": 1.65}),
}


def build(name: str = "ch4_one_step") -> ct.Solution:
    names, equation, A_cgs, Ea_cal, orders = MECHANISMS[name]
    gri = {s.name: s for s in ct.Species.list_from_file("gri30.yaml")}
    # cm–mol → m–kmol: k has units (mol/cm³)^(1 - n) / s, n the total order; mol/cm³ = 1e3 kmol/m³
    A_si = A_cgs * (1e3) ** (1.0 - sum(orders.values()))
    rate = ct.ArrheniusRate(A_si, 0.0, Ea_cal * 4.184 * 1e3)  # J/kmol
    reaction = ct.Reaction(equation=equation, rate=rate)
    reaction.orders = orders
    return ct.Solution(thermo="ideal-gas", kinetics="gas", transport_model="mixture-averaged",
                       species=[gri[s] for s in names], reactions=[reaction], name=name)


if __name__ == "__main__":
    for name in MECHANISMS:
        out = Path(__file__).with_name(f"{name}.yaml")
        build(name).write_yaml(str(out))
        print(f"wrote {out}")
