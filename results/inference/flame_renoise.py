"""How the ensemble's re-drawn noise must look: refits of one flame Case 1 inverse draw.

    python results/inference/flame_renoise.py [--n 10] [--draw 0] [--refits 3]

The observations of draw ``draw`` at ``n`` of ``flame_calibration.py`` (2% multiplicative
noise on T and u) get fresh noise ``k = 1 … refits`` times, in two ways, and each copy is solved
by ``problems/flames/case1_inverse.toml`` with the same network seed (0), so only the noise
differs between refits:

* ``multiplicative``: ``y (1 + 0.02 ε)``, the way the data were made;
* ``column``: ``y + 0.02 RMS(y_c) ε``, one σ per column (the ensemble's former rule);
* ``column_ensemble``: the same rule with the very ε the former ensemble drew for its members
  (``numpy.random.default_rng([0, k])``: the run's seed 0 and the member index, so the same
  three vectors in every draw of the calibration; the former data term only).

The other two draw ε from ``default_rng([7, k])``.

Both are solved with the data term of the former default (each column divided by its mean,
``noise_model = "scale"``) and with the spec's ``noise_model = "relative"`` (each value by its
own magnitude). Reported: each parameter's relative standard deviation over the refits, next to
the spread of the estimates over 20 independent draws (``flame_calibration.json``, and the same
with the former data term in ``flame_scale_noise/``). A refit spread far below the draw-to-draw
spread means the re-drawn noise is not the noise the data carry. Writes ``flame_renoise.json``
and ``.md`` here; each solve is appended to ``flame_renoise_rows.jsonl`` at once and a re-run
skips the ones already there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "problems", "flames",
                    "case1_inverse.toml")
NAMES = ("s_L", "lam", "E_a")
COMBOS = [("scale", "multiplicative"), ("scale", "column"), ("scale", "column_ensemble"),
          ("relative", "multiplicative"), ("relative", "column")]


def solve(obs: dict, weighting: str) -> dict:
    import pinnlab

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "case1_inverse.toml")
        shutil.copy(SPEC, path)
        text = open(path).read().replace("case1_obs_n10_noise2.csv", "obs.csv")
        text = text.replace('noise_model = "relative"', f'noise_model = "{weighting}"')
        open(path, "w").write(text)
        np.savetxt(os.path.join(tmp, "obs.csv"), np.column_stack([obs["x"], obs["T"], obs["u"]]),
                   delimiter=",", header="x,T,u", comments="", fmt="%.10g")
        r = pinnlab.solve(path, progress=False, threads=1, seed=0)
    return {k: r.metrics["params"][k] for k in NAMES} | {"truth": r.metrics["params_true"]}


def main() -> None:
    from pinnlab.flames.shooting import shoot_flame_speed
    from pinnlab.flames.simple import SimpleFlame
    from pinnlab.reference import noisy_samples

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--draw", type=int, default=0)
    ap.add_argument("--refits", type=int, default=3)
    args = ap.parse_args()
    ref = shoot_flame_speed(SimpleFlame(phi=0.46))
    obs = noisy_samples(ref.x, {"T": ref.T, "u": ref.u}, args.n, 0.02,
                        seed=100 * args.n + args.draw)
    done_path = os.path.join(HERE, "flame_renoise_rows.jsonl")
    rows = ([json.loads(line) for line in open(done_path) if line.strip()]
            if os.path.exists(done_path) else [])
    done = {(r["weighting"], r["renoise"], r["k"]) for r in rows}
    for weighting, renoise in COMBOS:
        for k in range(1, args.refits + 1):
            if (weighting, renoise, k) in done:
                continue
            rng = np.random.default_rng([0 if renoise == "column_ensemble" else 7, k])
            o = dict(obs)
            for c in ("T", "u"):
                eps = rng.standard_normal(args.n)
                o[c] = (obs[c] * (1 + 0.02 * eps) if renoise == "multiplicative"
                        else obs[c] + 0.02 * np.sqrt(np.mean(obs[c] ** 2)) * eps)
            rows.append({"weighting": weighting, "renoise": renoise, "k": k,
                         **solve(o, weighting)})
            with open(done_path, "a") as f:
                f.write(json.dumps(rows[-1]) + "\n")
            print(json.dumps(rows[-1]), flush=True)
    draws = {}
    for label, path in (("scale", os.path.join(HERE, "flame_scale_noise",
                                               "flame_calibration.json")),
                        ("relative", os.path.join(HERE, "flame_calibration.json"))):
        if os.path.exists(path):
            summary = json.load(open(path))["summary"]
            draws[label] = {s["parameter"]: s["error_sd"] for s in summary
                            if s["n"] == args.n and s.get("interval", "laplace") == "laplace"}
    lines = [f"Draw {args.draw} at n = {args.n}: relative sd of the estimates over "
             f"{args.refits} refits (network seed 0 in every refit).", "",
             "| data term | re-drawn noise | s_L | λ | E_a |", "|---|---|---|---|---|"]
    summary = []
    for weighting in ("scale", "relative"):
        for renoise in [r for w, r in COMBOS if w == weighting]:
            sel = [r for r in rows if r["weighting"] == weighting and r["renoise"] == renoise
                   and r["k"] <= args.refits]
            sd = {k: float(np.std([r[k] for r in sel], ddof=1) / sel[0]["truth"][k])
                  for k in NAMES}
            summary.append({"weighting": weighting, "renoise": renoise, "sd_rel": sd})
            lines.append(f"| {weighting} | {renoise} | "
                         + " | ".join(f"{sd[k]:.2%}" for k in NAMES) + " |")
        if weighting in draws:
            lines.append(f"| {weighting} | (20 independent draws: sd of the error) | "
                         + " | ".join(f"{draws[weighting].get(k, float('nan')):.2%}"
                                      for k in NAMES) + " |")
    with open(os.path.join(HERE, "flame_renoise.json"), "w") as f:
        json.dump({"n": args.n, "draw": args.draw, "rows": rows, "summary": summary}, f,
                  indent=1)
    with open(os.path.join(HERE, "flame_renoise.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
