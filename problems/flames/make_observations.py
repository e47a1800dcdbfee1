"""Write the Case 1 observation CSVs: T and u of the shooting reference at n uniform points with
multiplicative Gaussian noise y·(1 + noise·N(0, 1)).

Run: ``python problems/flames/make_observations.py``.
"""

from pathlib import Path

import numpy as np

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
