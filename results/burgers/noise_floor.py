"""How well can ν be known from these 100 noisy observations at all? (the 1% goal for ν)

    python results/burgers/noise_floor.py      # writes results/burgers/noise_floor.md/json

Fits ν by least squares of the *exact* Cole–Hopf solution to the observations of
``problems/burgers_inverse_obs.csv`` (no network: the best any method can do with this data set
and a perfect forward model), and repeats the fit on 200 fresh noise draws at the same points
(1% noise as in ``problems/make_burgers_inverse.py``) for the spread of that estimator.
"""

from __future__ import annotations

import json
import os

import numpy as np
from scipy.optimize import minimize_scalar

from pinnlab.reference.burgers import burgers_cole_hopf

HERE = os.path.dirname(os.path.abspath(__file__))
OBS = os.path.join(HERE, "..", "..", "problems", "burgers_inverse_obs.csv")
NU = 0.01 / np.pi


def fit(x, t, u) -> float:
    def misfit(log_nu):
        return float(np.sum((burgers_cole_hopf(x, t, np.exp(log_nu)) - u) ** 2))

    res = minimize_scalar(misfit, bounds=(np.log(NU / 3), np.log(3 * NU)), method="bounded",
                          options={"xatol": 1e-7})
    return float(np.exp(res.x))


def main() -> None:
    data = np.loadtxt(OBS, delimiter=",", skiprows=1)
    x, t, u = data.T
    nu_hat = fit(x, t, u)
    clean = burgers_cole_hopf(x, t, NU)
    sigma = 0.01 * np.sqrt(np.mean(clean**2))
    rng = np.random.default_rng(7)
    draws = np.array([fit(x, t, clean + sigma * rng.standard_normal(len(x)))
                      for _ in range(200)])
    rel = (draws - NU) / NU
    out = {"nu_true": NU, "nu_fit_this_data": nu_hat, "rel_error_this_data": nu_hat / NU - 1,
           "draws": len(draws), "rel_error_mean": float(rel.mean()),
           "rel_error_std": float(rel.std(ddof=1)),
           "share_within_1pct": float(np.mean(np.abs(rel) <= 0.01))}
    with open(os.path.join(HERE, "noise_floor.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    text = (f"# Noise floor of the inverse Burgers data set\n\n"
            f"Exact Cole–Hopf forward model fitted to `problems/burgers_inverse_obs.csv` "
            f"(least squares in log ν): ν̂ = {nu_hat:.5e}, error {100 * (nu_hat / NU - 1):+.2f}% "
            f"(true {NU:.5e}).\n\nSame 100 points, {len(draws)} fresh 1% noise draws: ν error "
            f"mean {100 * rel.mean():+.2f}%, standard deviation {100 * rel.std(ddof=1):.2f}%, "
            f"{100 * np.mean(np.abs(rel) <= 0.01):.0f}% of the draws within 1%.\n\n"
            f"Reproduce: `python results/burgers/noise_floor.py`.\n")
    with open(os.path.join(HERE, "noise_floor.md"), "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
