"""A field and its solution from 3% of a grid: a joint generative prior against GP, FNO and PINN.

Families (``--family``, default darcy_binary):
* darcy_binary (problems/generative/darcy_binary.toml): -div(a grad u) = 1 on the unit square,
  u = 0 on the walls, a in {3, 12} from a thresholded Gaussian random field (length scale 0.1);
* poisson (poisson.toml): lap u = f, u = 0 on the walls, f a Gaussian random field (length scale
  0.1); the field ``a`` below is then the source f (no error rate: f is not binary);
* helmholtz (helmholtz.toml): lap u + k^2 u = f with k = 1, otherwise as poisson.
32 x 32 grid. Held-out scenes: ``family_dataset(FAMILY, 100, seed=2026)``; scene i observes 31
nodes (3%) drawn by ``numpy.random.default_rng(i)`` without replacement, no noise (scene 0 is
problems/generative/<family>_observed.toml). Tasks: inverse (u observed: recover a and u) and
forward (a observed: recover u and a).

Methods, all on the same nodes:
* prior: the rectified-flow prior of train.py with three guidances, 8 posterior samples each:
  ``dps`` (observations only), ``dps_pde`` (DPS, plus the norm of the Darcy residual by central
  differences over the last 30% of the steps; DiffusionPDE) and ``flowchef`` (gradient-free);
  50 network evaluations per sample;
* GP regression of the observed field (gpytorch), then FNO (neuraloperator) from the GP mean to
  the other field (trained on full fields of the training set);
* PINN (pinnlab, a and u as its two outputs) on the first ``N_PINN`` scenes only (about a
  minute each).

The joint task observes u at a scene's first 16 nodes and a at the other 15: the prior's three
guidances and a GP per field (part ``joint``), and the PINN with both fields' observations
(part ``pinn``). Part ``reference``: DPS with 2000 network evaluations on the first 5 scenes
against the table's 50.

Metrics: relative L2 of u and of a, the error rate of a binary a (thresholded at 7.5), seconds per
reconstruction; for the prior, the share of nodes where the truth lies within mean ± 2 sd of
the samples. Run from the repository root (trains the prior first if its checkpoint is
missing): ``python results/priors/run.py [--family poisson] [prior|baselines|pinn|joint|
reference|figure|table]`` (no part: all).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from baselines import (  # noqa: E402
    GaussianOracle,
    gp_field,
    pinn_fields,
    reaction_of,
    train_fno,
)
from train import GRID, checkpoint_path, data_path, set_grid  # noqa: E402
from train import main as train_main  # noqa: E402

import pinnlab  # noqa: E402
from pinnlab.generative.datasets import (  # noqa: E402
    FieldDataset,
    bundled_spec,
    family_dataset,
    squared_exponential,
)
from pinnlab.generative.guidance import Observations, reconstruct  # noqa: E402
from pinnlab.generative.prior import Prior  # noqa: E402
from pinnlab.generative.solver_map import SolverMap  # noqa: E402
from pinnlab.methods.prior import PriorOptions, pde_for  # noqa: E402

N_SCENES, N_PINN, SEED = 100, 10, 2026
DEVICE = "cpu"  # the prior's device (--device)
TASKS = {"inverse": "u", "forward": "a"}  # task -> the observed field
CHANNEL = {"a": 0, "u": 1}  # "a": the family's coefficient or source field, channel 0


@dataclass(frozen=True)
class Family:
    """A family of results/priors: its spec (problems/generative/<name>.toml), the spec of one
    scene with channel 0 as a second unknown field (for the PINN and the PDE residual), the
    name of channel 0 there, the threshold of a binary channel 0 (its error rate is scored) and
    the folder of the results."""

    name: str
    observed: str
    field: str
    threshold: float | None
    out: Path
    guidance: dict  # guidance -> its strengths, chosen on validation scenes by tune.py

    def spec(self) -> Path:
        return HERE.parents[1] / "problems" / "generative" / self.observed

    def solver(self) -> dict:
        """The reference solve of u from channel 0 (guidance dps_solve, part "solve"): the
        family spec's ``[reference]`` solver and its options, on the grid it is given."""
        reference = pinnlab.load(bundled_spec(self.name)).reference
        return {"name": reference.solver, **reference.options, "field": "u"}


FAMILIES = {
    "darcy_binary": Family("darcy_binary", "darcy_observed.toml", "a", 7.5, HERE, {
        "dps": {"zeta": 3.0}, "dps_pde": {"zeta": 3.0, "pde_weight": 1e-3},
        "flowchef": {"zeta": 1.0}}),
    "poisson": Family("poisson", "poisson_observed.toml", "f", None, HERE / "poisson", {
        "dps": {"zeta": 0.3}, "flowchef": {"zeta": 1.0}}),  # dps_pde: as dps (poisson/tune.md)
    "helmholtz": Family("helmholtz", "helmholtz_observed.toml", "f", None, HERE / "helmholtz", {
        "dps": {"zeta": 0.3}, "flowchef": {"zeta": 1.0}}),
}
SOLVE_ZETA = {"darcy_binary": 3.0, "poisson": 1.0, "helmholtz": 1.0}  # dps_solve, chosen by tune.py
FAM = FAMILIES["darcy_binary"]


def select(name: str, grid: int = 32) -> Family:
    """Make ``name`` on ``grid`` x ``grid`` the family every function here works on (results of
    a 64 x 64 grid in the family's folder's ``64/``)."""
    global FAM
    set_grid(grid)
    FAM = FAMILIES[name]
    if grid != 32:
        FAM = dataclasses.replace(FAM, out=FAM.out / str(grid))
    FAM.out.mkdir(parents=True, exist_ok=True)
    return FAM


def n_obs() -> int:
    """3% of the grid's nodes: 31 of 32 x 32, 123 of 64 x 64."""
    return round(0.03 * GRID["x"] * GRID["y"])


SAMPLES, NFE = 8, 50
PINN_OPTIONS = {"adam_steps": 1000, "lbfgs_steps": 300, "residual_points": 2048}


def scenes() -> tuple[np.ndarray, dict, list[np.ndarray]]:
    ds = family_dataset(bundled_spec(FAM.name), N_SCENES, seed=SEED, grid=GRID)
    shape = (GRID["x"], GRID["y"])
    nodes = [np.stack(np.unravel_index(np.random.default_rng(i).choice(
        shape[0] * shape[1], n_obs(), replace=False), shape), 1) for i in range(N_SCENES)]
    return ds.fields.astype(np.float64), ds.coords, nodes


def scores(a: np.ndarray, u: np.ndarray, truth: np.ndarray) -> dict:
    rel = lambda p, t: float(np.linalg.norm(p - t) / np.linalg.norm(t))  # noqa: E731
    out = {"u": rel(u, truth[1]), "a": rel(a, truth[0])}
    if FAM.threshold is not None:
        out["a_error_rate"] = float(np.mean((a > FAM.threshold) != (truth[0] > FAM.threshold)))
    return out


def guided(prior, mask, truth, guidance: str, coords, seed: int, **kw):
    """Posterior samples (8, 2, nx, ny) float64 of the scene ``truth`` seen at ``mask``, and
    the seconds they took; the residual (dps_pde) or the reference solve (dps_solve) on the
    family's observed spec."""
    problem = pinnlab.load(FAM.spec())
    opts = PriorOptions(space_derivatives="central")
    extra = ({"pde": pde_for(problem, opts, coords)} if guidance == "dps_pde" else
             {"solver": SolverMap(problem, coords, FAM.solver())} if guidance == "dps_solve"
             else {})
    start = time.perf_counter()
    kw = {"nfe": NFE, **kw}
    rec = reconstruct(prior, Observations(mask, np.where(mask, truth, 0.0)), method=guidance,
                      n_samples=SAMPLES, seed=seed, **extra, **kw)
    return rec.samples.double().cpu().numpy(), time.perf_counter() - start


def spread(samples: np.ndarray, truth: np.ndarray) -> dict:
    """The shares of nodes where the truth lies within mean ± 2 sd of the samples (u) and
    inside their central 90% band (5% and 95% quantiles; u and channel 0)."""
    mean, sd = samples.mean(0), samples.std(0)
    lo, hi = np.quantile(samples, [0.05, 0.95], axis=0)
    inside = (truth >= lo) & (truth <= hi)
    return {"u_within_2sd": float(np.mean(np.abs(mean[1] - truth[1]) <= 2 * sd[1])),
            "u_in_90": float(inside[1].mean()), "a_in_90": float(inside[0].mean())}


def task_mask(task: str, n: np.ndarray) -> np.ndarray:
    mask = np.zeros((2, GRID["x"], GRID["y"]), bool)
    for f, nodes in split(task, n).items():
        mask[CHANNEL[f], nodes[:, 0], nodes[:, 1]] = True
    return mask


def run_solve(fields, coords, nodes, tasks=None) -> dict:
    """dps_solve (u from the reference solve of the prior's channel 0) on ``tasks`` (default:
    the run's tasks and the joint one)."""
    tasks = (*TASKS, "joint") if tasks is None else tasks
    prior = Prior.load(checkpoint_path(FAM.name), device=DEVICE)
    out = {}
    for task in tasks:
        rows = []
        for i, truth in enumerate(fields):
            s, seconds = guided(prior, task_mask(task, nodes[i]), truth, "dps_solve", coords,
                                i, zeta=SOLVE_ZETA[FAM.name])
            rows.append(scores(s.mean(0)[0], s.mean(0)[1], truth) | {"seconds": seconds}
                        | spread(s, truth))
        out[f"{task}/prior dps_solve"] = rows
        print(task, "dps_solve", *(np.mean([r[k] for r in rows]) for k in rows[0]), flush=True)
    return out


def run_oracle(fields, coords, nodes) -> dict:
    """The exact Gaussian posterior (baselines.GaussianOracle) of a Gaussian-source family on
    every task: the best any method can do in expectation, knowing the family's covariance."""
    draw = pinnlab.load(bundled_spec(FAM.name)).family_draws[FAM.field]
    if draw.transform not in (None, "none"):
        print(f"{FAM.name}: the field is not Gaussian; no oracle")
        return {}
    x, y = coords["x"], coords["y"]
    oracle = GaussianOracle(x, y, squared_exponential([x, y], draw.length_scale, draw.std or 1.0),
                            reaction_of(bundled_spec(FAM.name)))
    out = {}
    for task in (*TASKS, "joint"):
        rows = []
        for i, truth in enumerate(fields):
            part = split(task, nodes[i])
            empty = np.zeros((0, 2), int)
            obs = {k: (part.get(k, empty), truth[CHANNEL[k]][tuple(part.get(k, empty).T)])
                   for k in ("a", "u")}
            start = time.perf_counter()
            post = oracle.posterior(*obs["a"], *obs["u"])
            row = scores(post["f"], post["u"], truth) | {"seconds": time.perf_counter() - start}
            for k, (m, sd) in {"a": (post["f"], post["f_sd"]), "u": (post["u"], post["u_sd"])
                               }.items():
                row[f"{k}_in_90"] = float(np.mean(np.abs(m - truth[CHANNEL[k]])
                                                  <= 1.6449 * sd + 1e-12))
            rows.append(row)
        out[f"{task}/exact Gaussian posterior (oracle)"] = rows
        print(task, "oracle", *(np.mean([r[k] for r in rows]) for k in rows[0]), flush=True)
    return out


def run_prior(fields, coords, nodes) -> dict:
    if not checkpoint_path(FAM.name).exists():
        train_main(FAM.name, device=DEVICE)
    prior = Prior.load(checkpoint_path(FAM.name), device=DEVICE)
    out = {}
    for task in TASKS:
        for guidance, kw in FAM.guidance.items():
            rows = []
            for i, truth in enumerate(fields):
                s, seconds = guided(prior, task_mask(task, nodes[i]), truth, guidance, coords,
                                    i, **kw)
                rows.append(scores(s.mean(0)[0], s.mean(0)[1], truth) | {"seconds": seconds}
                            | spread(s, truth))
            out[f"{task}/prior {guidance}"] = rows
            print(task, guidance, np.mean([r["u"] for r in rows]),
                  np.mean([r["a"] for r in rows]), flush=True)
    return out


def run_baselines(fields, coords, nodes) -> dict:
    x, y = coords["x"], coords["y"]
    train = FieldDataset.load(data_path(FAM.name)).fields[:4000].astype(np.float64)
    out = {}
    for task, field in TASKS.items():
        c = CHANNEL[field]
        predict, fit_s = train_fno(train[:, c], train[:, 1 - c], device=DEVICE)
        gp_rows, fno_rows = [], []
        for i, truth in enumerate(fields):
            start = time.perf_counter()
            observed = gp_field(nodes[i], truth[c][nodes[i][:, 0], nodes[i][:, 1]], x, y,
                                walls=field == "u")
            gp_s = time.perf_counter() - start
            other = predict(observed[None])[0]
            both = {field: observed, "au".replace(field, ""): other}
            row = scores(both["a"], both["u"], truth)
            gp_rows.append({k: v for k, v in row.items() if k.startswith(field)}
                           | {"seconds": gp_s})
            fno_rows.append(row | {"seconds": time.perf_counter() - start,
                                   "train_seconds": fit_s})
        out[f"{task}/GP"] = gp_rows
        out[f"{task}/GP + FNO"] = fno_rows
        print(task, "fno", np.mean([r["u"] for r in fno_rows]),
              np.mean([r["a"] for r in fno_rows]), flush=True)
    return out


def split(task: str, n: np.ndarray) -> dict[str, np.ndarray]:
    """The nodes of each observed field: the task's field at all ``n``, or for the joint task
    u at the first 16 and a at the other 15."""
    half = (len(n) + 1) // 2
    return {"u": n[:half], "a": n[half:]} if task == "joint" else {TASKS[task]: n}


def run_pinn(fields, coords, nodes, tasks=None) -> dict:
    tasks = (*TASKS, "joint") if tasks is None else tasks  # the run's --tasks, and joint
    out = {}
    for task in tasks:
        rows = []
        for i, truth in enumerate(fields[:N_PINN]):
            observed = {f: (n, truth[CHANNEL[f]][n[:, 0], n[:, 1]])
                        for f, n in split(task, nodes[i]).items()}
            start = time.perf_counter()
            a, u = pinn_fields(FAM.spec(), FAM.field, observed, coords["x"], coords["y"],
                               PINN_OPTIONS, seed=i)
            rows.append(scores(a, u, truth) | {"seconds": time.perf_counter() - start})
        out[f"{task}/PINN"] = rows
        print(task, "pinn", np.mean([r["u"] for r in rows]), flush=True)
    return out


def run_joint(fields, coords, nodes) -> dict:
    """The joint task: u at the scene's first 16 nodes and a at the other 15 (3% in all);
    the prior with each guidance, and a GP per field."""
    prior = Prior.load(checkpoint_path(FAM.name), device=DEVICE)
    x, y = coords["x"], coords["y"]
    out: dict[str, list] = {f"joint/prior {g}": [] for g in FAM.guidance} | {"joint/GP": []}
    for i, truth in enumerate(fields):
        for guidance, kw in FAM.guidance.items():
            s, seconds = guided(prior, task_mask("joint", nodes[i]), truth, guidance, coords, i,
                                **kw)
            out[f"joint/prior {guidance}"].append(
                scores(s.mean(0)[0], s.mean(0)[1], truth) | {"seconds": seconds}
                | spread(s, truth))
        start = time.perf_counter()
        gp = {f: gp_field(n, truth[CHANNEL[f]][n[:, 0], n[:, 1]], x, y, walls=f == "u")
              for f, n in split("joint", nodes[i]).items()}
        out["joint/GP"].append(scores(gp["a"], gp["u"], truth)
                               | {"seconds": time.perf_counter() - start})
    for key, rows in out.items():
        print(key, np.mean([r["u"] for r in rows]), np.mean([r["a"] for r in rows]), flush=True)
    return out


def run_reference(fields, coords, nodes, n_scenes: int = 5, nfe: int = 2000) -> dict:
    """DPS with ``nfe`` network evaluations against the table's 50 on the first ``n_scenes``
    scenes, both tasks: zeta scaled by 50 / nfe, so that the guidance summed over the steps is
    the same."""
    prior = Prior.load(checkpoint_path(FAM.name), device=DEVICE)
    zeta = FAM.guidance["dps"]["zeta"]
    out: dict[str, list] = {}
    for task in TASKS:
        for steps in (NFE, nfe):
            rows = []
            for i, truth in enumerate(fields[:n_scenes]):
                s, seconds = guided(prior, task_mask(task, nodes[i]), truth, "dps", coords, i,
                                    nfe=steps, zeta=zeta * NFE / steps)
                rows.append(scores(s.mean(0)[0], s.mean(0)[1], truth) | {"seconds": seconds})
            out[f"{task}/prior dps, {steps} steps"] = rows
            print(task, steps, np.mean([r["u"] for r in rows]), np.mean([r["a"] for r in rows]),
                  flush=True)
    return out


PARTS = {"prior": run_prior, "baselines": run_baselines, "pinn": run_pinn, "joint": run_joint,
         "reference": run_reference, "solve": run_solve,
         "solve_inverse": lambda *a: run_solve(*a, tasks=("inverse",)), "oracle": run_oracle,
         "pinn_joint": lambda *a: run_pinn(*a, tasks=("joint",)),  # for a table made before
         "pinn_forward": lambda *a: run_pinn(*a, tasks=("forward",))}


def table() -> None:
    results = {}
    for part in PARTS:  # results_PART.json, then results_PART_TASK.json (a --tasks run)
        for name in [part, *(f"{part}_{t}" for t in ("inverse", "forward")
                             if f"{part}_{t}" not in PARTS)]:
            path = FAM.out / f"results_{name}.json"
            if path.exists():
                results.update(json.loads(path.read_text()))
    a = FAM.field
    cols = [("u", "u rel. L2"), ("a", f"{a} rel. L2")]
    if FAM.threshold is not None:
        cols.append(("a_error_rate", f"{a} error rate"))
    for k, label in (("u_within_2sd", "u within 2 sd"), ("u_in_90", "u in 90% band"),
                     ("a_in_90", f"{a} in 90% band")):
        if any(k in r for rows in results.values() for r in rows):
            cols.append((k, label))
    lines = ["| task | method | scenes | " + " | ".join(c[1] for c in cols) + " | s / scene |",
             "|---|---|---|" + "---|" * len(cols) + "---|"]
    for key, rows in results.items():
        task, method = key.split("/")

        def cell(k, rows=rows):
            v = [r[k] for r in rows if k in r]
            return f"{np.mean(v):.3f} ± {np.std(v):.3f}" if v else "—"

        lines.append(f"| {task} | {method} | {len(rows)} | "
                     + " | ".join(cell(c[0]) for c in cols)
                     + f" | {np.mean([r['seconds'] for r in rows]):.1f} |")
    (FAM.out / "table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def figure(fields, coords, nodes, guidance: str = "dps") -> None:
    """reconstruction.png: scene 0, both tasks: truth, posterior mean and sd of a and u."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prior = Prior.load(checkpoint_path(FAM.name), device=DEVICE)
    truth = fields[0]
    a = FAM.field
    fig, axes = plt.subplots(2, 6, figsize=(18, 5.6))
    for row, (task, field) in zip(axes, TASKS.items(), strict=True):
        kw = FAM.guidance.get(guidance, {"zeta": SOLVE_ZETA[FAM.name]})
        s, _ = guided(prior, task_mask(task, nodes[0]), truth, guidance, coords, 0, **kw)
        panels = [(truth[0], f"true {a}"), (s.mean(0)[0], f"mean {a}"), (s.std(0)[0], f"sd {a}"),
                  (truth[1], "true u"), (s.mean(0)[1], "mean u"), (s.std(0)[1], "sd u")]
        for ax, (f, title) in zip(row, panels, strict=True):
            im = ax.imshow(f.T, origin="lower", extent=[0, 1, 0, 1])
            ax.plot(coords["x"][nodes[0][:, 0]], coords["y"][nodes[0][:, 1]], "k.", ms=3)
            ax.set_title(f"{task} ({a if field == 'a' else field} observed): {title}",
                         fontsize=8)
            fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(FAM.out / "reconstruction.png", dpi=110)


def main(parts: list[str]) -> None:
    """``[--family F] [--grid 32|64] [--device D] [--scenes N] [--tasks T,..] [PART ...]``
    (``--scenes``: the first N held-out scenes, for a dry run; ``--tasks``: of inverse and
    forward, those the prior and the baselines run)."""
    global DEVICE, N_SCENES, TASKS
    flags = {"--family": "darcy_binary", "--grid": "32", "--device": "cpu",
             "--scenes": str(N_SCENES), "--tasks": ",".join(TASKS)}
    while parts[:1] and parts[0] in flags:
        flags[parts[0]], parts = parts[1], parts[2:]
    DEVICE, N_SCENES = flags["--device"], int(flags["--scenes"])
    TASKS = {t: TASKS[t] for t in flags["--tasks"].split(",")}
    if DEVICE == "cpu":
        torch.set_num_threads(1)
    select(flags["--family"], int(flags["--grid"]))
    parts = parts or [*PARTS, "figure", "table"]
    suffix = "" if len(TASKS) == 2 else "_" + "_".join(TASKS)
    fields, coords, nodes = scenes()
    for part in parts:
        if part == "figure":
            figure(fields, coords, nodes)
            continue
        if part == "table":
            continue
        result = PARTS[part](fields, coords, nodes)
        (FAM.out / f"results_{part}{suffix}.json").write_text(json.dumps(result, indent=1))
    table()


if __name__ == "__main__":
    main(sys.argv[1:])
