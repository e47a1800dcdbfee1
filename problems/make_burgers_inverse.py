"""Generate problems/burgers_inverse_obs.csv: 100 observations of the Burgers solution
(nu = 0.01/pi, Cole-Hopf) at uniformly random points of [-1, 1] x [0, 1], with 1% relative
Gaussian noise (sigma = 0.01 * RMS of the observed values).

Run: python problems/make_burgers_inverse.py
"""

import os

import numpy as np

from pinnlab.reference.burgers import burgers_cole_hopf

rng = np.random.default_rng(1234)
n, nu, noise = 100, 0.01 / np.pi, 0.01
x = rng.uniform(-1.0, 1.0, n)
t = rng.uniform(0.0, 1.0, n)
u = burgers_cole_hopf(x, t, nu)
u_noisy = u + noise * np.sqrt(np.mean(u**2)) * rng.standard_normal(n)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "burgers_inverse_obs.csv")
np.savetxt(path, np.column_stack([x, t, u_noisy]), delimiter=",", header="x,t,u", comments="",
           fmt="%.10f")
print(f"wrote {path}")
