"""Tables (markdown + JSON) and figures (PNG) for the Case 1 benchmark, from the per-run JSONs."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def write_reference_md(table: dict, path: Path) -> None:
    lines = ["| p (atm) | φ | s_L shooting, 10 000 nodes (m/s) | published | rel. diff | "
             "s_L, 100 000 nodes | wall (s) |", "|---|---|---|---|---|---|---|"]
    for r in table["rows"]:
        lines.append(f"| {r['p_atm']} | {r['phi']:.2f} | {r['s_L']:.5f} | {r['published']:.5f} "
                     f"| {r['s_L'] / r['published'] - 1:+.1e} | {r['s_L_fine']:.5f} "
                     f"| {r['wall_s']:.2f} |")
    path.write_text("\n".join(lines) + "\n")


def _load(runs: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(runs.glob("*.json"))]


def _forward_table(recs: list[dict], fine: dict) -> list[str]:
    lines = ["| p (atm) | φ | s_L PINN | s_L ref (10⁴ nodes) | s_L error | error vs 10⁵ nodes "
             "| T rel. L2 | u rel. L2 | wall (s) | L-BFGS iterations, stop reason |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(recs, key=lambda r: (r["p_atm"], r["phi"])):
        lb = r["stages"][-1]
        s_fine = fine.get((r["p_atm"], r["phi"]), float("nan"))
        lines.append(f"| {r['p_atm']} | {r['phi']:.2f} | {r['s_L']:.5f} | {r['s_L_ref']:.5f} | "
                     f"{r['err_s_L']:+.2%} | {r['s_L'] / s_fine - 1:+.3%} | "
                     f"{r['T_rel_l2']:.2e} | {r['u_rel_l2']:.2e} | "
                     f"{r['wall_s']:.0f} | {lb['iterations']}, {lb['stop_reason']} |")
    return lines


def _inverse_table(recs: list[dict]) -> list[str]:
    lines = ["| n obs | noise | s_L error | λ error | E_a error | max | T rel. L2 | wall (s) "
             "| L-BFGS iterations, stop reason |", "|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(recs, key=lambda r: (r["noise"], r["n_obs"])):
        worst = max(abs(r["err_s_L"]), abs(r["err_conductivity"]),
                    abs(r["err_activation_energy"]))
        lines.append(f"| {r['n_obs']} | {r['noise']:.0%} | {r['err_s_L']:+.2%} | "
                     f"{r['err_conductivity']:+.2%} | {r['err_activation_energy']:+.2%} | "
                     f"{worst:.2%} | {r['T_rel_l2']:.2e} | {r['wall_s']:.0f} | "
                     f"{r['stages'][-1]['iterations']}, {r['stages'][-1]['stop_reason']} |")
    return lines


def _profile_figure(rec: dict, path: Path, title: str) -> None:
    prof = rec["profile"]
    x = [v * 1e3 for v in prof["x"]]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for ax, key, unit in ((axes[0], "T", "K"), (axes[1], "u", "m/s")):
        ax.plot(x, prof[f"{key}_ref"], "k-", lw=2, label="shooting reference")
        ax.plot(x, prof[key], "r--", lw=1.5, label="PINN")
        if "obs" in prof:
            ax.plot([v * 1e3 for v in prof["obs"]["x"]], prof["obs"][key], "bo", ms=4,
                    label="observations")
        ax.set_xlabel("x (mm)")
        ax.set_ylabel(f"{key} ({unit})")
        ax.legend()
    for st in rec["stages"]:
        it, loss = zip(*st["history"], strict=True) if st["history"] else ((), ())
        offset = sum(s["iterations"] for s in rec["stages"][:rec["stages"].index(st)])
        axes[2].semilogy([offset + i for i in it], loss, label=st["name"])
    axes[2].set_xlabel("iteration")
    axes[2].set_ylabel("loss")
    axes[2].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(runs: Path, out: Path) -> None:
    recs = _load(runs)
    fwd = [r for r in recs if r["mode"] == "forward"]
    inv = [r for r in recs if r["mode"] == "inverse"]
    md = ["# Case 1 PINN results", ""]
    if fwd:
        ref_file = out / "case1_reference.json"
        fine = {}
        if ref_file.exists():
            fine = {(r["p_atm"], r["phi"]): r["s_L_fine"]
                    for r in json.loads(ref_file.read_text())["rows"]}
        md += ["## Forward (s_L as eigenvalue)", ""] + _forward_table(fwd, fine) + [""]
        default = next((r for r in fwd if r.get("profile")), None)
        if default:
            _profile_figure(default, out / "case1_forward_profile.png",
                            f"Case 1 forward, φ = 0.42, 1 atm: s_L error {default['err_s_L']:+.3%}"
                            f", T rel. L2 {default['T_rel_l2']:.1e}")
        fig, ax = plt.subplots(figsize=(6, 4))
        for p in sorted({r["p_atm"] for r in fwd}):
            rows = sorted((r for r in fwd if r["p_atm"] == p), key=lambda r: r["phi"])
            ax.plot([r["phi"] for r in rows], [r["s_L_ref"] for r in rows], "k-")
            ax.plot([r["phi"] for r in rows], [r["s_L"] for r in rows], "o", label=f"PINN {p} atm")
        ax.set_xlabel("φ")
        ax.set_ylabel("s_L (m/s)")
        ax.set_title("Case 1: PINN (dots) vs shooting (lines)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "case1_forward_sweep.png", dpi=110)
        plt.close(fig)
    if inv:
        md += ["## Inverse (s_L, λ, E_a from T and u observations; φ = 0.46, 1 atm)", ""]
        md += _inverse_table(inv) + [""]
        default = next((r for r in inv if r.get("profile")), None)
        if default:
            _profile_figure(default, out / "case1_inverse_profile.png",
                            "Case 1 inverse, 10 observations, 2% noise")
        fig, axes = plt.subplots(1, 3, figsize=(14, 4), sharey=True)
        for ax, key, label in zip(axes, ("err_s_L", "err_conductivity", "err_activation_energy"),
                                  ("s_L", "λ", "E_a"), strict=True):
            for noise in sorted({r["noise"] for r in inv}):
                rows = sorted((r for r in inv if r["noise"] == noise), key=lambda r: r["n_obs"])
                ax.plot([r["n_obs"] for r in rows], [100 * abs(r[key]) for r in rows], "o-",
                        label=f"noise {noise:.0%}")
            ax.axhline(3.0, color="gray", ls=":")
            ax.set_xlabel("number of observations")
            ax.set_title(f"|relative error| of {label} (%)")
            ax.legend()
        fig.tight_layout()
        fig.savefig(out / "case1_inverse_sweep.png", dpi=110)
        plt.close(fig)
    (out / "case1_pinn.md").write_text("\n".join(md))
    summary = [{k: v for k, v in r.items() if k not in ("profile",)} for r in recs]
    for r in summary:
        r["stages"] = [{k: v for k, v in s.items() if k != "history"} for s in r["stages"]]
    (out / "case1_pinn.json").write_text(json.dumps(summary, indent=1))
