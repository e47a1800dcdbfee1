"""Write ch4_one_step.yaml: the global one-step CH4/air mechanism of FlamePINN-1D Cases 2 and 3.

Species O2, H2O, CH4, CO2, N2 with their thermodynamic (NASA-7) and transport data taken from
Cantera's GRI-Mech 3.0 file; one irreversible reaction CH4 + 2 O2 => CO2 + 2 H2O with
k = A exp(−E_a/(R T)), A = 1.1e10 in cm–mol–s units for total order 1.5 and E_a = 2.0e4 cal/mol,
orders [CH4]^1.0 [O2]^0.5. Run: ``python problems/flames/make_one_step_mechanism.py``.
"""

from pathlib import Path

import cantera as ct

SPECIES = ["O2", "H2O", "CH4", "CO2", "N2"]
A_CGS = 1.1e10  # (mol/cm³)^(-0.5) / s
EA_CAL = 2.0e4  # cal/mol


def build() -> ct.Solution:
    gri = {s.name: s for s in ct.Species.list_from_file("gri30.yaml")}
    species = [gri[name] for name in SPECIES]
    # cm–mol → m–kmol: (mol/cm³)^(-0.5) = (1e3 kmol/m³)^(-0.5)
    A_si = A_CGS * (1e3) ** (-0.5)
    Ea_si = EA_CAL * 4.184 * 1e3  # J/kmol
    rate = ct.ArrheniusRate(A_si, 0.0, Ea_si)
    reaction = ct.Reaction(equation="CH4 + 2 O2 => CO2 + 2 H2O", rate=rate)
    reaction.orders = {"CH4": 1.0, "O2": 0.5}
    gas = ct.Solution(thermo="ideal-gas", kinetics="gas", transport_model="mixture-averaged",
                      species=species, reactions=[reaction], name="ch4_one_step")
    return gas


if __name__ == "__main__":
    out = Path(__file__).with_name("ch4_one_step.yaml")
    build().write_yaml(str(out))  # SI units (m, kmol, J/kmol)
    print(f"wrote {out}")
