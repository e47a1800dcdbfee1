"""Assemble results/metalic/README.md from the bandit runs and the runner timing.

    python results/metalic/report.py

Reads ``results/metalic/<family>/{state,heldout,summary}.json`` (written by ``run.sh``) and
``runner_speed.json`` (``runner_speed.py``); every number in the README comes from those files.
"""

from __future__ import annotations

import json
import math
import os
import statistics

TERMS = ("solution_continuity", "average_solution", "interface_residual", "residual_continuity",
         "flux_continuity", "d2y_continuity", "gradient_residual", "dx_continuity",
         "d2x_continuity")
HERE = os.path.dirname(os.path.abspath(__file__))
FAMILIES = {"burgers_15rounds": "Burgers, ν ∈ [0.001, 0.05], strip |x| < 0.1 — after 15 online "
                                "rounds",
            "burgers": "Burgers, the same session continued to 25 online rounds",
            "burgers_paper": "Burgers at METALIC's budget (1000 Adam + up to 10 000 L-BFGS, "
                             "1000 residual points per subdomain) — after 15 online rounds",
            "advection_15rounds": "Advection, β ∈ [1, 30], split t = 0.5 — after 15 online rounds",
            "advection": "Advection, the same session continued to 25 online rounds",
            "reaction": "Reaction, ρ ∈ [1, 15], split t = 0.5",
            "poisson": "Poisson 2-D, s ∈ [1, 50], split y = 0.5",
            "heat": "Heat, (a, b, c, d) ∈ [−2, 2]⁴, split t = 0.5",
            "kdv": "KdV, c ∈ [1, 10], periodic x ∈ [0, 20), t ∈ [0, 20], split t = 10 "
                   "(15 online rounds)"}


def _load(path):
    with open(path) as fh:
        return json.load(fh)


def _paired(rows: list[dict], reference: str) -> dict[str, tuple[float, float, int, int]]:
    """Per method: mean and standard error of ``reward - reward[reference]`` over the held-out
    contexts both trained, the number of contexts where it is > 0, and how many were paired."""
    by: dict[str, dict[int, float]] = {}
    for r in rows:
        by.setdefault(r["method"], {})[r["index"]] = r["reward"]
    out = {}
    for method, rewards in by.items():
        if method == reference:
            continue
        d = [rewards[i] - by[reference][i] for i in rewards if i in by[reference]]
        out[method] = (statistics.mean(d), statistics.stdev(d) / math.sqrt(len(d)),
                       sum(x > 0 for x in d), len(d))
    return out


def family_section(name: str, title: str) -> list[str]:
    folder = os.path.join(HERE, name)
    summary = _load(os.path.join(folder, "summary.json"))
    state = _load(os.path.join(folder, "state.json"))
    held = summary["heldout"]
    fixed = {k: v for k, v in held.items() if k.startswith("fixed-")}
    best_fixed = max(fixed.items(), key=lambda kv: kv[1]["reward"])
    rnd = held["random"]["reward"]
    lines = [f"### {title}", "",
             f"{held['random']['n']} held-out contexts, {len(state['online'])} online trainings; "
             f"mean wall time per online round {summary['round_wall_s']:.0f} s "
             f"(all policies of a round, on the runner in `state.json`'s setup).", "",
             "| method | held-out reward −log10(rel. L2) | mean rel. L2 | median rel. L2 | "
             "≥ random + 0.2 | ≥ best fixed |", "|---|---|---|---|---|---|"]
    for k, v in sorted(held.items(), key=lambda kv: -kv[1]["reward"]):
        verdict = ""
        if k.startswith("metalic"):
            a = "yes" if v["reward"] >= rnd + 0.2 else "**no**"
            b = "yes" if v["reward"] >= best_fixed[1]["reward"] else "**no**"
            verdict = f" {a} | {b} |"
        else:
            verdict = " | |"
        lines.append(f"| {k} | {v['reward']:.3f} ± {v['reward_se']:.3f} | "
                     f"{v['error_mean']:.3e} | {v['error_median']:.3e} |{verdict}")
    every = _load(os.path.join(folder, "heldout.json"))
    lines += ["", "Paired on the same held-out contexts, reward minus the best fixed condition's "
              "(mean ± s.e. of the per-context differences; contexts where the method wins): "
              + ", ".join(f"{k} {m:+.3f} ± {se:.3f} ({w}/{n})"
                          for k, (m, se, w, n) in _paired(every, best_fixed[0]).items()) + "."]
    rows = [r for r in every if r["method"].startswith("metalic")]
    share = {t: sum(r["arm"][i] for r in rows) / len(rows) for i, t in enumerate(TERMS)}
    lines += ["", "Share of the METALIC held-out choices (both agents; two-stage: Adam arm) "
              "using each term: " + ", ".join(f"{t} {v:.0%}" for t, v in share.items())
              + f"; {len({tuple(r['arm']) for r in rows})} distinct arms."]
    lines += ["", f"Best fixed condition: {best_fixed[0]}. Online mean reward per policy: "
              + ", ".join(f"{p} {o['reward']:.3f} ({o['rounds']} rounds)"
                          for p, o in summary["online"].items()) + ".", "",
              f"![online]({name}/online.png) ![held-out]({name}/heldout.png)", ""]
    return lines


def main() -> None:
    out = ["# METALIC: bandit-selected interface conditions", "",
           "Made by `bash results/metalic/run.sh <family>` (one per family; the budget and the "
           "protocol are in that script) and `python results/metalic/runner_speed.py`, then "
           "`python results/metalic/report.py`. Machine: the 2-core CPU development machine, "
           "one torch thread per training, shared with other jobs during the runs (wall times "
           "are inflated by that load; CPU seconds per training are in each `heldout.json`).",
           "", "## Held-out comparison", ""]
    for name, title in FAMILIES.items():
        if os.path.exists(os.path.join(HERE, name, "summary.json")):
            out += family_section(name, title)
    speed = os.path.join(HERE, "runner_speed.md")
    if os.path.exists(speed):
        out += ["## Runner: local against Ray", "", open(speed).read()]
    notes = os.path.join(HERE, "notes.md")
    if os.path.exists(notes):
        out += [open(notes).read()]
    with open(os.path.join(HERE, "README.md"), "w") as fh:
        fh.write("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
