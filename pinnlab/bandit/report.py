"""Tables and figures of a bandit session (online curve, held-out comparison)."""

from __future__ import annotations

import math
import os

import numpy as np


def summarize(state: dict, heldout: list[dict]) -> dict:
    """Held-out mean reward ``−log10(rel. L2)`` per method with its standard error, the mean
    and median error, the online mean reward per policy and the mean wall time per round."""
    methods: dict[str, dict] = {}
    for name in dict.fromkeys(r["method"] for r in heldout):
        rew = np.array([r["reward"] for r in heldout if r["method"] == name])
        err = np.array([r["error"] for r in heldout if r["method"] == name], float)
        methods[name] = {"n": len(rew), "reward": float(rew.mean()),
                         "reward_se": float(rew.std(ddof=1) / math.sqrt(len(rew)))
                         if len(rew) > 1 else 0.0,
                         "error_mean": float(np.nanmean(err)),
                         "error_median": float(np.nanmedian(err)),
                         "cpu_s": float(np.mean([r["cpu_s"] for r in heldout
                                                 if r["method"] == name]))}
    online = {}
    for p in dict.fromkeys(r["policy"] for r in state["online"]):
        rew = [r["reward"] for r in state["online"] if r["policy"] == p]
        online[p] = {"rounds": len(rew), "reward": float(np.mean(rew))}
    walls = state.get("round_wall", [])
    return {"heldout": methods, "online": online,
            "round_wall_s": float(np.mean(walls)) if walls else None}


def markdown(summary: dict, title: str) -> str:
    lines = [f"## {title}", "", "Held-out contexts (reward = −log10 rel. L2; mean ± s.e.):", "",
             "| method | n | reward | mean error | median error | CPU s / training |",
             "|---|---|---|---|---|---|"]
    for name, m in sorted(summary["heldout"].items(), key=lambda kv: -kv[1]["reward"]):
        lines.append(f"| {name} | {m['n']} | {m['reward']:.3f} ± {m['reward_se']:.3f} | "
                     f"{m['error_mean']:.3e} | {m['error_median']:.3e} | {m['cpu_s']:.1f} |")
    lines += ["", "Online rounds (mean reward per policy):", "",
              "| policy | rounds | mean reward |", "|---|---|---|"]
    for p, o in summary["online"].items():
        lines.append(f"| {p} | {o['rounds']} | {o['reward']:.3f} |")
    if summary["round_wall_s"] is not None:
        lines += ["", f"Mean wall time per round: {summary['round_wall_s']:.1f} s"]
    return "\n".join(lines) + "\n"


def figures(state: dict, heldout: list[dict], out: str, title: str) -> list[str]:
    """``online.png`` (error of each round and its running mean per policy) and
    ``heldout.png`` (reward per held-out context and method)."""
    from ..plots import pyplot, write

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for p in dict.fromkeys(r["policy"] for r in state["online"]):
        rows = [r for r in state["online"] if r["policy"] == p]
        x = [r["round"] + 1 for r in rows]
        err = np.array([r["error"] if np.isfinite(r["error"]) else 100.0 for r in rows])
        line = ax.plot(x, err, ".", alpha=0.35)[0]
        running = np.exp(np.cumsum(np.log(err)) / np.arange(1, len(err) + 1))
        ax.plot(x, running, "-", color=line.get_color(), label=f"{p} (running geo-mean)")
    ax.set(yscale="log", xlabel="round", ylabel="rel. L2 error", title=f"{title}: online")
    ax.legend(fontsize=8)
    paths = [write(fig, os.path.join(out, "online.png"))]

    fig, ax = plt.subplots(figsize=(6.4, 4))
    names = list(dict.fromkeys(r["method"] for r in heldout))
    for k, name in enumerate(names):
        rew = [r["reward"] for r in heldout if r["method"] == name]
        ax.plot(np.full(len(rew), k) + np.linspace(-0.2, 0.2, len(rew)), rew, ".", alpha=0.6)
        ax.plot([k - 0.3, k + 0.3], [np.mean(rew)] * 2, "k-")
    ax.set_xticks(range(len(names)), names, rotation=20, fontsize=8)
    ax.set(ylabel="−log10 rel. L2", title=f"{title}: held-out contexts (bar = mean)")
    return [*paths, write(fig, os.path.join(out, "heldout.png"))]


def sweep_table(rows: list[dict], names: list[str], masks) -> str:
    """Markdown: one line per family member, the error of each set of conditions."""
    lines = ["| " + " | ".join(names) + " | " + " | ".join(masks) + " |",
             "|" + "---|" * (len(names) + len(masks))]
    for ctx in dict.fromkeys(tuple(r["context"].items()) for r in rows):
        errs = [next(r["error"] for r in rows if tuple(r["context"].items()) == ctx
                     and r["conditions"] == m) for m in masks]
        lines.append("| " + " | ".join(f"{v:.4g}" for _, v in ctx) + " | "
                     + " | ".join(f"{e:.3e}" for e in errs) + " |")
    return "\n".join(lines) + "\n"


def sweep_figure(rows: list[dict], names: list[str], masks, out: str) -> str:
    """``sweep.png``: the error against the first family parameter, per set of conditions."""
    from ..plots import pyplot, write

    fig, ax = pyplot().subplots(figsize=(6, 4))
    key = names[0]
    for m in masks:
        pts = sorted((r["context"][key], r["error"]) for r in rows if r["conditions"] == m)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=m)
    ax.set(yscale="log", xlabel=key, ylabel="rel. L2 error")
    ax.legend()
    return write(fig, os.path.join(out, "sweep.png"))
