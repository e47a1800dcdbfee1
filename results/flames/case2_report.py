"""Tables and figures for the Case 2 benchmark (PINN vs Cantera FreeFlame)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def _table(recs: list[dict], where: str) -> list[str]:
    lines = [f"Runs on {where}.", "",
             "| case | s_L PINN | s_L Cantera | s_L error | T rel. L2 | u rel. L2 | Y rel. L2 | "
             "wall (s) | stages: iterations, best loss, stop reason |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in recs:
        st = "; ".join(f"{s['name']} {s['iterations']}, {s['best_loss']:.1e}, {s['stop_reason']}"
                       for s in r["stages"])
        lines.append(f"| {r['name']} | {r['s_L']:.5f} | {r['s_L_ref']:.5f} | "
                     f"{r['err_s_L']:+.2%} | {r['T_rel_l2']:.1e} | {r['u_rel_l2']:.1e} | "
                     f"{r['Y_rel_l2']:.1e} | {r['wall_s']:.0f} | {st} |")
    return lines


def _profiles(rec: dict, path: Path) -> None:
    ref = dict(np.load(DATA / f"case2_ref_{rec['name']}.npz"))
    p = rec["profile"]
    x = np.array(p["x"]) * 1e3
    Y = np.array(p["Y"])
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    axes[0].plot(x, ref["T"], "k-", lw=2, label="Cantera")
    axes[0].plot(x, p["T"], "r--", label="PINN")
    axes[0].set_ylabel("T (K)")
    axes[1].plot(x, ref["u"], "k-", lw=2, label="Cantera")
    axes[1].plot(x, p["u"], "r--", label="PINN")
    axes[1].set_ylabel("u (m/s)")
    species = rec["species"]
    major = np.argsort(-np.max(ref["Y"], axis=0))[:6]
    for k in major:
        line, = axes[2].plot(x, ref["Y"][:, k], "-", lw=2, label=species[k])
        axes[2].plot(x, Y[:, k], "--", color=line.get_color())
    axes[2].set_ylabel("Y_k (Cantera solid, PINN dashed)")
    for ax in axes:
        ax.set_xlabel("x (mm)")
        ax.legend(fontsize=8)
    fig.suptitle(f"Case 2 {rec['name']}: s_L PINN {rec['s_L']:.4f} vs Cantera "
                 f"{rec['s_L_ref']:.4f} m/s ({rec['err_s_L']:+.2%})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def report(runs: Path, out: Path) -> None:
    groups = {"cpu": sorted(runs.glob("runs2_cpu/*.json")) or sorted(runs.glob("*.json")),
              "gpu": sorted(runs.glob("runs2_gpu/*.json")),
              "local": sorted(runs.glob("runs2_local/*.json"))}
    where_text = {
        "cpu": "the lent machine's CPU, one core per run (7 runs at once), zero-gradient outlet, "
               "300 s limit",
        "gpu": "the lent machine's H200 GPU, zero-gradient outlet, 300 s limit",
        "local": "the local 2-core CPU shared with other jobs, equilibrium outlet (T, Y = HP "
                 "equilibrium at x = L, as published), 900 s limit"}
    md = ["# Case 2 PINN results (detailed physics vs Cantera FreeFlame)", ""]
    summary = []
    sweeps: dict[str, list] = {}
    for kind, files in groups.items():
        recs = [json.loads(f.read_text()) for f in files]
        if not recs:
            continue
        md += [f"## {kind}", ""] + _table(recs, where_text[kind]) + [""]
        for r in recs:
            if kind in ("cpu", "local"):
                suffix = "_equilibrium_outlet" if kind == "local" else ""
                _profiles(r, out / f"case2_{r['name']}{suffix}.png")
            summary.append({k: v for k, v in r.items() if k != "profile"} | {"hardware": kind})
            summary[-1]["stages"] = [{k: v for k, v in s.items() if k != "history"}
                                     for s in r["stages"]]
        sweeps[kind] = sorted(((float(r["name"].split("phi")[1]), r) for r in recs
                               if r["name"].startswith("ch4")), key=lambda t: t[0])
    fig, ax = plt.subplots(figsize=(6, 4))
    ref_pts = sorted({(phi, r["s_L_ref"]) for rows in sweeps.values() for phi, r in rows})
    ax.plot(*zip(*ref_pts, strict=True), "k-", label="Cantera FreeFlame")
    styles = {"cpu": ("ro", "PINN, zero-gradient outlet"), "gpu": ("g^", "PINN on GPU"),
              "local": ("bs", "PINN, equilibrium outlet")}
    for kind, rows in sweeps.items():
        if rows:
            ax.plot([p for p, _ in rows], [r["s_L"] for _, r in rows], styles[kind][0],
                    mfc="none", label=styles[kind][1])
    ax.set_xlabel("φ")
    ax.set_ylabel("s_L (m/s)")
    ax.set_title("Case 2, one-step CH4/air, 1 atm, 300 K")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "case2_ch4_sweep.png", dpi=110)
    plt.close(fig)
    (out / "case2_pinn.md").write_text("\n".join(md))
    (out / "case2_pinn.json").write_text(json.dumps(summary, indent=1))
