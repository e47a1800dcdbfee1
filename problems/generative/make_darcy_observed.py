"""Write darcy_truth.npz and darcy_u_3pct.csv for darcy_observed.toml: the first held-out scene
of results/priors/ (the Darcy family of darcy_binary.toml, ``family_dataset(..., 1, seed=SEED)``
on the 32 x 32 grid) and the pressure u at 31 nodes (3% of the grid) drawn without replacement by
``numpy.random.default_rng(MASK_SEED)``, without noise.

Run from the repository root: ``python problems/generative/make_darcy_observed.py``.
"""

from pathlib import Path

import numpy as np

from pinnlab.generative.datasets import bundled_spec, family_dataset

SEED, MASK_SEED, N_OBS = 2026, 0, 31
HERE = Path(__file__).resolve().parent

ds = family_dataset(bundled_spec("darcy_binary"), 1, seed=SEED, grid={"x": 32, "y": 32})
a, u = ds.fields[0].astype(np.float64)
x, y = ds.coords["x"], ds.coords["y"]
np.savez(HERE / "darcy_truth.npz", x=x, y=y, a=a, u=u)
flat = np.random.default_rng(MASK_SEED).choice(a.size, N_OBS, replace=False)
i, j = np.unravel_index(flat, a.shape)
np.savetxt(HERE / "darcy_u_3pct.csv", np.column_stack([x[i], y[j], u[i, j]]), delimiter=",",
           header="x,y,u", comments="", fmt="%.10g")
print(f"wrote {HERE / 'darcy_truth.npz'} and {HERE / 'darcy_u_3pct.csv'}")
