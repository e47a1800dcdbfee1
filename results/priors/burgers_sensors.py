"""Burgers from 5 sensors: the space-time field u of a random-start Burgers member from u at 5
fixed points at every time, by a generative prior against GP, FNO and PINN.

Family (problems/generative/burgers_ic.toml): u_t + u u_x = 0.01 u_xx on x in [-1, 1],
t in [0, 1], u = 0 at both ends, u0 a random sine series (6 modes, a_k ~ N(0, 1/k^2)); the
32 x 32 (t, x) grid. Held-out scenes: ``family_dataset("burgers_ic", 100, seed=2026)``;
validation scenes (for the guidance strengths only): seed 2027. Every scene observes u at the
x nodes ``SENSORS`` (5 of 32) at all 32 times (160 values, no noise; scene 0 is
problems/generative/burgers_sensors.toml); the initial state is not given.

Methods, all on the same sensors:
* prior: the rectified-flow prior of ``train.py burgers_ic`` (1 channel, same recipe as the
  other families), 8 posterior samples of 50 network evaluations with ``dps``, ``dps_pde`` (the
  Burgers residual by central differences over the last 30% of the steps) and ``flowchef``,
  each strength chosen on 10 validation scenes (part ``tune``);
* GP regression (gpytorch, ``baselines.gp_field``) of the sensors and the zero ends;
* interp + FNO (neuraloperator): from the sensors linearly interpolated in x (zero at the
  ends) to u, trained on 4000 full fields of the prior's training set with that same input;
* PINN: pinnlab's PINN on burgers_sensors.toml with the scene's sensors, first 10 scenes.

Metrics: relative L2 of u over the space-time grid, of the initial state u(0, x) (never
observed between the sensors) and of u(1, x); seconds per reconstruction; for the prior, the
share of nodes inside the central 90% band of its samples. Run from the repository root:
``python results/priors/burgers_sensors.py [tune|prior|baselines|pinn|table|figure]`` (no part:
all; the prior is trained first if its checkpoint is missing). Writes results/priors/burgers/.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from baselines import gp_field, train_fno  # noqa: E402
from train import checkpoint_path, data_path  # noqa: E402
from train import main as train_main  # noqa: E402

import pinnlab  # noqa: E402
from pinnlab.generative.datasets import FieldDataset, bundled_spec, family_dataset  # noqa: E402
from pinnlab.generative.guidance import Observations, reconstruct  # noqa: E402
from pinnlab.generative.prior import Prior  # noqa: E402
from pinnlab.methods.prior import PriorOptions, pde_for  # noqa: E402

FAMILY, OUT = "burgers_ic", HERE / "burgers"
SPEC = HERE.parents[1] / "problems" / "generative" / "burgers_sensors.toml"
N_SCENES, N_VALID, N_PINN, SEED, VALID_SEED = 100, 10, 10, 2026, 2027
SENSORS = [5, 10, 16, 21, 26]  # x nodes of the sensors (make_observed.py burgers_ic: the same)
SAMPLES, NFE = 8, 50
PINN_OPTIONS = {"adam_steps": 1000, "lbfgs_steps": 300, "residual_points": 2048}
ZETAS = {"dps": [0.03, 0.1, 0.3, 1.0], "flowchef": [0.3, 1.0, 3.0]}
PDE_WEIGHTS = [1e-4, 1e-3, 1e-2]


def scenes(seed: int = SEED, n: int = N_SCENES) -> tuple[np.ndarray, dict]:
    """u of ``n`` members, (n, 32, 32) float64 over (t, x), and the axes."""
    ds = family_dataset(bundled_spec(FAMILY), n, seed=seed, grid={"t": 32, "x": 32})
    return ds.fields[:, 0].astype(np.float64), ds.coords


def sensor_mask() -> np.ndarray:
    mask = np.zeros((1, 32, 32), bool)
    mask[0, :, SENSORS] = True
    return mask


def scores(u: np.ndarray, truth: np.ndarray) -> dict:
    rel = lambda p, t: float(np.linalg.norm(p - t) / np.linalg.norm(t))  # noqa: E731
    return {"u": rel(u, truth), "u0": rel(u[0], truth[0]), "u_end": rel(u[-1], truth[-1])}


def guided(prior, truth, coords, guidance: str, seed: int, **kw) -> tuple[np.ndarray, float]:
    """Posterior samples (8, 32, 32) of the scene ``truth`` seen at the sensors, and seconds."""
    extra = {}
    if guidance == "dps_pde":
        extra["pde"] = pde_for(pinnlab.load(SPEC), PriorOptions(space_derivatives="central"),
                               coords)
    mask = sensor_mask()
    start = time.perf_counter()
    rec = reconstruct(prior, Observations(mask, np.where(mask, truth[None], 0.0)),
                      method=guidance, n_samples=SAMPLES, nfe=NFE, seed=seed, **extra, **kw)
    return rec.samples[:, 0].double().cpu().numpy(), time.perf_counter() - start


def prior_rows(prior, fields, coords, guidance: str, **kw) -> list[dict]:
    rows = []
    for i, truth in enumerate(fields):
        s, seconds = guided(prior, truth, coords, guidance, i, **kw)
        lo, hi = np.quantile(s, [0.05, 0.95], axis=0)
        rows.append(scores(s.mean(0), truth) | {"seconds": seconds,
                                                "u_in_90": float(((truth >= lo) & (truth <= hi)
                                                                  ).mean())})
    return rows


def load_prior() -> Prior:
    if not checkpoint_path(FAMILY).exists():
        train_main(FAMILY)
    return Prior.load(checkpoint_path(FAMILY))


def run_tune() -> dict:
    """Each guidance's strength by the mean u error on the validation scenes."""
    prior = load_prior()
    fields, coords = scenes(VALID_SEED, N_VALID)
    out: dict = {"trials": {}}
    for guidance, zetas in ZETAS.items():
        for z in zetas:
            err = np.mean([r["u"] for r in prior_rows(prior, fields, coords, guidance, zeta=z)])
            out["trials"][f"{guidance} zeta={z}"] = float(err)
            print(guidance, z, err, flush=True)
    best = {g: min(z, key=lambda v, g=g: out["trials"][f"{g} zeta={v}"]) for g, z in ZETAS.items()}
    for w in PDE_WEIGHTS:
        err = np.mean([r["u"] for r in prior_rows(prior, fields, coords, "dps_pde",
                                                   zeta=best["dps"], pde_weight=w)])
        out["trials"][f"dps_pde zeta={best['dps']} pde_weight={w}"] = float(err)
        print("dps_pde", w, err, flush=True)
    w = min(PDE_WEIGHTS, key=lambda v: out["trials"][f"dps_pde zeta={best['dps']} "
                                                       f"pde_weight={v}"])
    out["chosen"] = {"dps": {"zeta": best["dps"]}, "flowchef": {"zeta": best["flowchef"]},
                     "dps_pde": {"zeta": best["dps"], "pde_weight": w}}
    return out


def run_prior(fields, coords) -> dict:
    chosen = json.loads((OUT / "tune.json").read_text())["chosen"]
    prior = load_prior()
    out = {}
    for guidance, kw in chosen.items():
        out[f"prior {guidance}"] = rows = prior_rows(prior, fields, coords, guidance, **kw)
        print(guidance, np.mean([r["u"] for r in rows]), flush=True)
    return out


def interpolate(u: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The sensors of fields u (n, t, x) linearly interpolated in x, zero at both ends."""
    xs = np.concatenate([x[:1], x[SENSORS], x[-1:]])
    vals = np.concatenate([np.zeros(u.shape[:2] + (1,)), u[:, :, SENSORS],
                           np.zeros(u.shape[:2] + (1,))], 2)
    return np.stack([[np.interp(x, xs, row) for row in member] for member in vals])


def run_baselines(fields, coords) -> dict:
    t, x = coords["t"], coords["x"]
    train = FieldDataset.load(data_path(FAMILY)).fields[:4000, 0].astype(np.float64)
    predict, fit_s = train_fno(interpolate(train, x), train)
    columns = [0, *SENSORS, len(x) - 1]  # the sensors and the two ends (u = 0 there)
    nodes = np.stack(np.meshgrid(np.arange(len(t)), columns, indexing="ij"), -1).reshape(-1, 2)
    out: dict[str, list] = {"GP": [], "interp + FNO": []}
    for truth in fields:
        start = time.perf_counter()
        gp = gp_field(nodes, truth[nodes[:, 0], nodes[:, 1]], t, x)
        out["GP"].append(scores(gp, truth) | {"seconds": time.perf_counter() - start})
        start = time.perf_counter()
        fno = predict(interpolate(truth[None], x))[0]
        out["interp + FNO"].append(scores(fno, truth) | {"seconds": time.perf_counter() - start,
                                                         "train_seconds": fit_s})
    for k, rows in out.items():
        print(k, np.mean([r["u"] for r in rows]), flush=True)
    return out


def run_pinn(fields, coords) -> dict:
    import dataclasses

    from pinnlab.spec.problem import Observations as Data

    t, x = coords["t"], coords["x"]
    problem = pinnlab.load(SPEC)
    tt, xx = np.meshgrid(t, x[SENSORS], indexing="ij")
    grid = dict(zip(("t", "x"), np.meshgrid(t, x, indexing="ij"), strict=True))
    rows = []
    for i, truth in enumerate(fields[:N_PINN]):
        data = Data({"t": tt.ravel(), "x": xx.ravel()}, {"u": truth[:, SENSORS].ravel()}, 0.0,
                    "scene")
        start = time.perf_counter()
        result = pinnlab.solve(dataclasses.replace(problem, observations=data), "pinn", seed=i,
                               progress=False, evaluate=False, **PINN_OPTIONS)
        u = np.asarray(result.predict(grid)["u"])
        rows.append(scores(u, truth) | {"seconds": time.perf_counter() - start})
        print("pinn", i, rows[-1]["u"], flush=True)
    return {"PINN": rows}


def table() -> str:
    res = json.loads((OUT / "results.json").read_text())
    tune = json.loads((OUT / "tune.json").read_text())["chosen"]
    lines = ["| method | scenes | u rel. L2 | u(0, x) rel. L2 | u(1, x) rel. L2 | in 90% band "
             "| s / reconstruction |", "|---|---|---|---|---|---|---|"]
    ms = lambda rows, k: (f"{np.mean([r[k] for r in rows]):.3f} ± "  # noqa: E731
                          f"{np.std([r[k] for r in rows]):.3f}")
    for name, rows in res.items():
        band = f"{np.mean([r['u_in_90'] for r in rows]):.0%}" if "u_in_90" in rows[0] else "–"
        sec = np.mean([r["seconds"] for r in rows])
        lines.append(f"| {name} | {len(rows)} | {ms(rows, 'u')} | {ms(rows, 'u0')} | "
                     f"{ms(rows, 'u_end')} | {band} | {sec:.1f} |")
    lines.append("")
    lines.append("Strengths (validation scenes, seed 2027): " + "; ".join(
        f"{g} " + ", ".join(f"{k} {v:g}" for k, v in kw.items()) for g, kw in tune.items()))
    return "\n".join(lines) + "\n"


def figure() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fields, coords = scenes(n=1)
    truth, (t, x) = fields[0], (coords["t"], coords["x"])
    chosen = json.loads((OUT / "tune.json").read_text())["chosen"]
    s, _ = guided(load_prior(), truth, coords, "flowchef", 0, **chosen["flowchef"])
    mean, sd = s.mean(0), s.std(0)
    panels = [("truth", truth), ("prior mean", mean), ("|error|", np.abs(mean - truth)),
              ("posterior sd", sd)]
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4), constrained_layout=True)
    for ax, (title, img) in zip(axes, panels, strict=True):
        im = ax.pcolormesh(x, t, img, shading="nearest",
                           cmap="RdBu_r" if title in ("truth", "prior mean") else "magma")
        for j in SENSORS:
            ax.axvline(x[j], color="k", lw=0.6, ls=":")
        ax.set(title=f"{title} (FlowChef, scene 0)" if title == "prior mean" else title,
               xlabel="x", ylabel="t")
        fig.colorbar(im, ax=ax)
    fig.savefig(OUT / "reconstruction.png", dpi=120)


def main(parts: list[str]) -> None:
    torch.set_num_threads(1)
    OUT.mkdir(exist_ok=True)
    parts = parts or ["tune", "prior", "baselines", "pinn", "table", "figure"]
    path = OUT / "results.json"
    if "tune" in parts:
        (OUT / "tune.json").write_text(json.dumps(run_tune(), indent=1))
    fields, coords = (scenes() if {"prior", "baselines", "pinn"} & set(parts) else (None, None))
    for part, run in (("prior", run_prior), ("baselines", run_baselines), ("pinn", run_pinn)):
        if part in parts:
            new = run(fields, coords)  # then read: another part may have written meanwhile
            res = json.loads(path.read_text()) if path.exists() else {}
            path.write_text(json.dumps(res | new, indent=1))
    if "table" in parts:
        (OUT / "table.md").write_text(table())
        print(table())
    if "figure" in parts:
        figure()


if __name__ == "__main__":
    main(sys.argv[1:])
