"""Write the observation CSVs of the flame specs.

Case 1: T and u of the shooting reference at n uniform points with multiplicative Gaussian noise
y·(1 + noise·N(0, 1)). Case 3: u, V, T and every Y_k of Cantera's counterflow flame (the spec's
own reference) at 16 evenly spaced nodes of its 501-node grid, without noise.

Run: ``python problems/flames/make_observations.py``.
"""

from pathlib import Path

import numpy as np

from pinnlab.flames.cantera_ref import Mixture, counterflow_flame
from pinnlab.flames.shooting import shoot_flame_speed
from pinnlab.flames.simple import SimpleFlame
from pinnlab.reference import noisy_samples

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    ref = shoot_flame_speed(SimpleFlame(phi=0.46))
    for n, noise in ((10, 0.02), (10, 0.0)):
        obs = noisy_samples(ref.x, {"T": ref.T, "u": ref.u}, n, noise, seed=0)
        path = HERE / f"case1_obs_n{n}_noise{round(100 * noise)}.csv"
        np.savetxt(path, np.column_stack([obs["x"], obs["T"], obs["u"]]), delimiter=",",
                   header="x,T,u", comments="", fmt="%.10g")
        print(f"wrote {path}")
    # the inlet and the domain of case3_counterflow.toml
    prof = counterflow_flame(Mixture(str(HERE / "ch4_one_step.yaml"), T_in=300.0, phi=0.8),
                             width=0.02)
    idx = np.round(np.linspace(0, len(prof.x) - 1, 16)).astype(int)
    names = ["u", "V", "T"] + [f"Y_{s}" for s in prof.species]
    cols = [prof.u, prof.V, prof.T] + [prof.Y[:, k] for k in range(len(prof.species))]
    path = HERE / "case3_obs_n16.csv"
    np.savetxt(path, np.column_stack([prof.x[idx]] + [c[idx] for c in cols]), delimiter=",",
               header=",".join(["x"] + names), comments="", fmt="%.10g")
    print(f"wrote {path}")
