"""Write <family>_truth.npz and <family>_u_3pct.csv for <family>_observed.toml: the first
held-out scene of results/priors/ (``family_dataset(FAMILY, 1, seed=SEED)`` on the 32 x 32 grid)
and the solution u at 31 nodes (3% of the grid) drawn without replacement by
``numpy.random.default_rng(MASK_SEED)``, without noise. Families: darcy_binary (files named
darcy_*; fields a, u), poisson and helmholtz (f, u) and darcy_forcing (the darcy_binary scene
with the forcing q = 2 instead of 1, so u twice that scene's; q is stored in the truth file).
burgers_ic writes burgers_sensors_truth.npz and burgers_sensors_u.csv instead: the first held-out
scene of the Burgers sensor task on the 32 x 32 (t, x) grid, u at 5 fixed x nodes at every t.

Run from the repository root:
``python problems/generative/make_observed.py [darcy_binary|poisson|helmholtz|darcy_forcing|
burgers_ic]``.
"""

import sys
from pathlib import Path

import numpy as np

from pinnlab.generative.datasets import bundled_spec, family_dataset

SEED, MASK_SEED, N_OBS = 2026, 0, 31
HERE = Path(__file__).resolve().parent
FAMILIES = {"darcy_binary": ("darcy", "a"), "poisson": ("poisson", "f"),
            "helmholtz": ("helmholtz", "f"), "darcy_forcing": ("darcy_forcing", "a")}
FORCING = 2.0
SENSORS = [5, 10, 16, 21, 26]  # burgers_ic: the x nodes of the 5 sensors (of 32, evenly spread)

family = sys.argv[1] if len(sys.argv) > 1 else "darcy_binary"
if family == "burgers_ic":  # the sensor task: u at 5 fixed x nodes, every t
    ds = family_dataset(bundled_spec(family), 1, seed=SEED, grid={"t": 32, "x": 32})
    u, t, x = ds.fields[0, 0].astype(np.float64), ds.coords["t"], ds.coords["x"]
    np.savez(HERE / "burgers_sensors_truth.npz", t=t, x=x, u=u.T)  # the spec's order: x, t
    tt, xx = np.meshgrid(t, x[SENSORS], indexing="ij")
    np.savetxt(HERE / "burgers_sensors_u.csv", np.column_stack([
        tt.ravel(), xx.ravel(), u[:, SENSORS].ravel()]), delimiter=",", header="t,x,u",
        comments="", fmt="%.10g")
    print(f"wrote {HERE / 'burgers_sensors_truth.npz'} and {HERE / 'burgers_sensors_u.csv'}")
    sys.exit()
stem, name = FAMILIES[family]
source = "darcy_binary" if family == "darcy_forcing" else family
ds = family_dataset(bundled_spec(source), 1, seed=SEED, grid={"x": 32, "y": 32})
a, u = ds.fields[0].astype(np.float64)
x, y = ds.coords["x"], ds.coords["y"]
extra = {}
if family == "darcy_forcing":  # -div(a grad u) = q: u is linear in q
    u, extra = FORCING * u, {"q": np.array(FORCING)}
np.savez(HERE / f"{stem}_truth.npz", x=x, y=y, **{name: a}, u=u, **extra)
flat = np.random.default_rng(MASK_SEED).choice(a.size, N_OBS, replace=False)
i, j = np.unravel_index(flat, a.shape)
np.savetxt(HERE / f"{stem}_u_3pct.csv", np.column_stack([x[i], y[j], u[i, j]]), delimiter=",",
           header="x,y,u", comments="", fmt="%.10g")
print(f"wrote {HERE / f'{stem}_truth.npz'} and {HERE / f'{stem}_u_3pct.csv'}")
