"""Is Cantera's H2/air flame a minimum of the spec's loss? Start the PINN on it and see.

    python results/flames/case2_h2_spec/truth_start.py [--warmup 3000] [--lbfgs 2000]

The bundled ``problems/flames/case2_h2.toml`` with two changes: the warm-up fits Cantera's
FreeFlame profiles themselves (T and every Y_k on the reference's 501 nodes, given to the spec
as observations; ``warmup_target = "observations"``, the data term weighted 0 afterwards), and
s_L starts at Cantera's 2.3432 m/s. Two solves, one thread each:

* ``held``: s_L known (= 2.3432), warm-up only: every term of the loss at the fitted truth;
* ``free``: s_L unknown from 2.3432, the warm-up, then ``--lbfgs`` L-BFGS steps on the physics.

If the loss at the truth is above the loss of the wrong states the bundled runs reach (0.21 –
0.54, ``runs.md``), this network and these points cannot tell the flame from them and no
optimiser can; if s_L drifts away in ``free``, the answer is not a minimum. Writes
``truth_start_w<warmup>.json`` and ``.md`` here.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SPEC = os.path.join(ROOT, "problems", "flames", "case2_h2.toml")
S_L_CANTERA = 2.3432


def spec_text(held: bool, warmup: int, lbfgs: int) -> str:
    text = open(SPEC).read()
    text = re.sub(r"\[training\.warmup_target\].*?(?=\n\[)", "", text, flags=re.S)
    s_l = f"s_L = {S_L_CANTERA}" if held else (
        f"s_L = {{ guess = {S_L_CANTERA}, bounds = [0.1, 20.0] }}")
    text = re.sub(r"^s_L = .*$", s_l, text, flags=re.M)
    text = re.sub(r"^warmup_steps = .*$", f"warmup_steps = {warmup}\n"
                  'warmup_target = "observations"', text, flags=re.M)
    text = re.sub(r"^adam_steps = .*$", "adam_steps = 0", text, flags=re.M)
    text = re.sub(r"^lbfgs_steps = .*$", f"lbfgs_steps = {0 if held else lbfgs}", text,
                  flags=re.M)
    text = text.replace("[training.weights]", '[training.weights]\n"data" = 0')
    return text.replace("[reference]", '[observations]\nfile = "truth.csv"\n\n[reference]')


def main() -> None:
    import pinnlab
    from pinnlab.reference import reference_solution

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warmup", type=int, default=3000)
    ap.add_argument("--lbfgs", type=int, default=2000)
    args = ap.parse_args()
    ref = reference_solution(pinnlab.load(SPEC))
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        cols = {"x": ref.axes["x"], **ref.fields}
        np.savetxt(os.path.join(tmp, "truth.csv"), np.column_stack(list(cols.values())),
                   delimiter=",", header=",".join(cols), comments="", fmt="%.12g")
        for case in ("held", "free"):
            path = os.path.join(tmp, f"{case}.toml")
            open(path, "w").write(spec_text(case == "held", args.warmup, args.lbfgs))
            r = pinnlab.solve(path, progress=False, threads=1)
            h = r.history
            physics = {k: v for k, v in h[-1].items() if k.startswith(("equations.",
                                                                          "conditions."))}
            weights = r.metrics.get("weights", {})
            out[case] = {"s_L": r.metrics["params"].get("s_L", S_L_CANTERA),
                         "T_rel_l2": r.metrics.get("rel_l2_fields", {}).get("T"),
                         "final_loss": h[-1]["loss"], "terms": physics, "weights": weights,
                         "warmup_loss": [x["loss"] for x in h if x["phase"] == "warmup"][-1],
                         "s_L_every_200": [x.get("s_L") for x in h if x["phase"] == "lbfgs"
                                           ][::20],
                         "stops": r.metrics.get("optimizer_stops")}
            print(case, json.dumps(out[case])[:400], flush=True)
    stem = os.path.join(HERE, f"truth_start_w{args.warmup}")
    with open(stem + ".json", "w") as f:
        json.dump(out, f, indent=1)
    held, free = out["held"], out["free"]
    lines = [f"Warm-up on Cantera's profiles: {args.warmup} steps; then {args.lbfgs} L-BFGS "
             "steps with s_L free (`free`).", "",
             "| start | loss (the spec's weights, data term 0) | s_L (m/s) | vs Cantera | "
             "T rel. L2 |", "|---|---|---|---|---|"]
    for name, r in (("Cantera's flame, s_L held", held), ("the same, then s_L free", free)):
        lines.append(f"| {name} | {r['final_loss']:.3g} | {r['s_L']:.4f} | "
                     f"{r['s_L'] / S_L_CANTERA - 1:+.1%} | "
                     + (f"{r['T_rel_l2']:.2e}" if r["T_rel_l2"] is not None else "—") + " |")
    top = sorted(held["terms"].items(), key=lambda kv: -kv[1])[:6]
    lines += ["", "Largest terms at the fitted truth (mean squares, before weights): "
              + ", ".join(f"{k} {v:.3g}" for k, v in top) + "."]
    with open(stem + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
