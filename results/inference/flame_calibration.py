"""Calibration of the Laplace intervals on the flame Case 1 inverse problem (s_L, λ, E_a).

    python results/inference/flame_calibration.py [--n 5 10 25] [--draws 5] [--noise 0.02]
        [--workers 2] [--ensemble K] [--report]

For each observation count ``n`` and draw ``k``: ``n`` evenly spaced observations of T and u of
the shooting reference (φ = 0.46) with multiplicative noise ``y (1 + noise N(0, 1))``
(``pinnlab.reference.noisy_samples``, seed ``100 n + k``), solved by ``pinnlab.solve`` on
``problems/flames/case1_inverse.toml`` with its observations replaced (the spec's own budget,
one thread per run). Reported per run: each parameter's error, Laplace σ and whether the 95%
interval holds the truth; per ``n``: the coverage and median σ of each parameter. Writes
``flame_calibration.json`` and ``.md`` here. With ``--ensemble K`` each solve also refits K
members on re-noised observations (``pinnlab.ensemble``) and the same figures are reported for
the ensemble's interval, in ``flame_calibration_ensemble.json`` and ``.md``. Each finished
solve is appended to ``<stem>_rows.jsonl`` at once, and a re-run skips the (n, draw) pairs
already there, so a long run can be stopped and resumed; draws run in the order k = 0, 1, ...
across all n, and the tables count the draws each n has.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np

from pinnlab.ensemble import student_quantile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC = os.path.join(ROOT, "problems", "flames", "case1_inverse.toml")
NAMES = ("s_L", "lam", "E_a")


def one(n: int, draw: int, noise: float, ensemble: int = 0) -> dict:
    import pinnlab
    from pinnlab.flames.shooting import shoot_flame_speed
    from pinnlab.flames.simple import SimpleFlame
    from pinnlab.reference import noisy_samples

    ref = shoot_flame_speed(SimpleFlame(phi=0.46))
    obs = noisy_samples(ref.x, {"T": ref.T, "u": ref.u}, n, noise, seed=100 * n + draw)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(SPEC, tmp)
        text = open(os.path.join(tmp, "case1_inverse.toml")).read()
        text = text.replace("case1_obs_n10_noise2.csv", "obs.csv").replace(
            "noise = 0.02", f"noise = {noise}")
        open(os.path.join(tmp, "case1_inverse.toml"), "w").write(text)
        np.savetxt(os.path.join(tmp, "obs.csv"), np.column_stack([obs["x"], obs["T"], obs["u"]]),
                   delimiter=",", header="x,T,u", comments="", fmt="%.10g")
        r = pinnlab.solve(os.path.join(tmp, "case1_inverse.toml"), progress=False, threads=1,
                          ensemble=ensemble)
    m, unc = r.metrics, r.metrics["uncertainty"]
    row = {"n": n, "draw": draw}
    for k in NAMES:
        truth = m["params_true"][k]
        for key, u in (("laplace", unc), ("ensemble", unc.get("ensemble"))):
            if u is None:
                continue
            lo, hi = u["interval"][k]
            row.setdefault(key, {})[k] = {"error": m["params"][k] / truth - 1,
                                          "std_rel": u["std"][k] / truth,
                                          "covered": bool(lo <= truth <= hi)}
        row[k] = row["laplace"][k]
    row["corr_lam_E_a"] = unc["correlation"]["lam"]["E_a"]
    if ensemble:
        row["members"] = unc["ensemble"]["members"]
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[5, 10, 25])
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--noise", type=float, default=0.02)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--ensemble", type=int, default=0)
    ap.add_argument("--report", action="store_true",
                    help="solve nothing: tables from the rows already in the .jsonl")
    args = ap.parse_args()
    stem = "flame_calibration" + ("_ensemble" if args.ensemble else "")
    done_path = os.path.join(HERE, stem + "_rows.jsonl")
    rows = []
    if os.path.exists(done_path):
        with open(done_path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    done = {(r["n"], r["draw"]) for r in rows}
    jobs = [] if args.report else [(n, k) for k in range(args.draws) for n in args.n
                                   if (n, k) not in done]
    with ProcessPoolExecutor(args.workers) as pool, open(done_path, "a") as log:
        futures = [pool.submit(one, n, k, args.noise, args.ensemble) for n, k in jobs]
        for fut in as_completed(futures):
            rows.append(fut.result())
            log.write(json.dumps(rows[-1]) + "\n")
            log.flush()
    rows = sorted((r for r in rows if r["n"] in args.n and r["draw"] < args.draws),
                  key=lambda r: (r["n"], r["draw"]))
    keys = ("laplace", "ensemble") if args.ensemble else ("laplace",)
    summary = [summarise(args.n, rows, key) for key in keys]
    with open(os.path.join(HERE, stem + ".json"), "w") as f:
        json.dump({"noise": args.noise, "draws": args.draws, "ensemble": args.ensemble,
                   "summary": [s for part in summary for s in part], "rows": rows}, f, indent=1)
    count = {n: sum(r["n"] == n for r in rows) for n in args.n}
    lines = [f"Noise {args.noise:.0%}; draws per n: "
             + ", ".join(f"{c} at n = {n}" for n, c in count.items()) + "."]
    for key, part in zip(keys, summary, strict=True):
        if args.ensemble:
            lines += ["", f"Intervals: {key}" + (
                f" ({args.ensemble} members; estimate ± {student_quantile(args.ensemble):.2f}"
                " sd, Student's t)" if key == "ensemble" else "") + "."]
        lines += ["", "| n | parameter | coverage of the 95% interval | median σ (relative) | "
                  "sd of the error | largest error |", "|---|---|---|---|---|---|"]
        lines += [f"| {s['n']} | {s['parameter']} | {s['coverage']:.0%} | "
                  f"{s['median_std_rel']:.2%} | {s['error_sd']:.2%} | {s['error_abs_max']:.2%} |"
                  for s in part]
    with open(os.path.join(HERE, stem + ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def summarise(ns: list[int], rows: list[dict], key: str) -> list[dict]:
    """Per n and parameter: coverage and width of the intervals ``key`` (laplace or ensemble),
    and the spread of the errors."""
    out = []
    for n in ns:
        full = [r for r in rows if r["n"] == n]
        sel = [r[key] for r in full]
        if len(sel) < 2:
            continue
        for k in NAMES:
            if key == "ensemble":  # θ̂ ± q sd with Student's q for the members (rows written
                # before pinnlab used it hold 1.96 sd), from the relative error and sd
                held = [abs(r[key][k]["error"]) <= student_quantile(len(r["members"]))
                        * r[key][k]["std_rel"] for r in full]
            else:
                held = [r[k]["covered"] for r in sel]
            out.append({"n": n, "parameter": k, "interval": key, "draws": len(sel),
                        "coverage": float(np.mean(held)),
                        "median_std_rel": float(np.median([r[k]["std_rel"] for r in sel])),
                        "error_sd": float(np.std([r[k]["error"] for r in sel], ddof=1)),
                        "error_abs_max": float(np.max([abs(r[k]["error"]) for r in sel]))})
    return out


if __name__ == "__main__":
    main()
