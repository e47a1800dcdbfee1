"""The detailed-physics flame residual (Cases 2 and 3) on the core derivative engine, next to the
flame-specific jets it replaced: same network weights, same points, one process, interleaved.

The flame-specific jets (``pinnlab/flames/jet.py``) were removed by the change this script
measures; it reads them from a commit that still has them (default ``9d7ef8b``) with
``git archive`` into a temporary folder, so run it inside a clone of the repository.

    python results/unified/detailed_jets.py [--commit 9d7ef8b] [--blocks 20]

For each mechanism (the one-step CH4 of ``problems/flames`` and ``h2o2.yaml``, 10 species):
a tanh network (4 × 64) maps x to T (bounded) and Y (softmax), its jets give T, T', T'', Y, Y',
Y'' on 200 points, and :func:`free_flame_residuals` the energy and species residuals. Checks:
the two engines' residuals agree (largest difference relative to the residual's scale); timing:
one loss (mean squared residuals) and its backward pass, alternating blocks of 10 steps of each
engine, ``--blocks`` blocks each, one thread. Writes ``detailed_jets.json`` and ``.md`` here.

Made with the flame-specific solvers, since removed (commit 2b9ea8d is the last that has
them): run this script on that commit to repeat it; the same flames as specs are in
``results/unified/``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MECHANISMS = {"CH4 one-step": os.path.join(ROOT, "problems", "flames", "ch4_one_step.yaml"),
              "H2/O2 (h2o2.yaml)": "h2o2.yaml"}


def old_package(commit: str, folder: str):
    """The flame package of ``commit`` as an importable top-level package ``oldflames``."""
    tar = subprocess.run(["git", "-C", ROOT, "archive", commit, "pinnlab/flames"],
                         check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=tar, check=True)
    src = os.path.join(folder, "pinnlab", "flames")
    for name in os.listdir(src):
        if name.endswith(".py"):
            path = os.path.join(src, name)
            text = re.sub(r"from \.\.(\w*)", lambda m: "from pinnlab" + (
                "." + m.group(1) if m.group(1) else ""), open(path).read())
            open(path, "w").write(text)
    os.rename(src, os.path.join(folder, "oldflames"))
    sys.path.insert(0, folder)
    return importlib.import_module("oldflames")


def setup(pkg, mechanism: str, jets_of, seed: int = 0, n: int = 200):
    gas_mod = importlib.import_module(pkg + ".gas")
    kin_mod = importlib.import_module(pkg + ".kinetics")
    nets = importlib.import_module(pkg + ".nets")
    detailed = importlib.import_module(pkg + ".detailed")
    gas = gas_mod.TorchGas(gas_mod.load_solution(mechanism))
    kin = kin_mod.TorchKinetics(gas)
    torch.manual_seed(seed)
    net = nets.MLP(1, gas.n_species + 1, 64, 4)
    x = torch.linspace(0.0, 2.5e-3, n, dtype=torch.float64).reshape(-1, 1)

    def residuals():
        T, Y = jets_of(net, x)
        e, s = detailed.free_flame_residuals(gas, kin, T, Y, 0.3, 101325.0)
        return e, s

    return net, residuals


def old_jets(pkg):
    Jet = importlib.import_module(pkg + ".jet").Jet

    def jets(net, x):
        s = 4.0 / 2.5e-3
        z = net(Jet.variable(x * s - 2.0))
        z = Jet(z.v, z.d1 * s, z.d2 * s * s)
        t = z[:, :1].sigmoid()
        T = Jet(300.0 + 2000.0 * t.v, 2000.0 * t.d1, 2000.0 * t.d2)
        return T, z[:, 1:].softmax(-1)

    return jets


def new_jets(net, x):
    from pinnlab.flames import ops

    z = net(ops.variable(x, 4.0 / 2.5e-3, -2.0))
    return 300.0 + 2000.0 * z[:, :1].sigmoid(), z[:, 1:].softmax()


def block(net, residuals, steps: int = 10) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        net.zero_grad(set_to_none=True)
        e, s = residuals()
        ((e / 1e6) ** 2).mean().add(((s / 1e2) ** 2).mean()).backward()
    return (time.perf_counter() - start) / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commit", default="9d7ef8b")
    ap.add_argument("--blocks", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        old_package(args.commit, tmp)
        for label, mech in MECHANISMS.items():
            net_o, res_o = setup("oldflames", mech, old_jets("oldflames"))
            net_n, res_n = setup("pinnlab.flames", mech, new_jets)
            net_n.load_state_dict(net_o.state_dict())
            with torch.no_grad():
                (eo, so), (en, sn) = res_o(), res_n()
            diff = max(float((eo - en).abs().max() / eo.abs().max()),
                       float((so - sn).abs().max() / so.abs().max()))
            old_t, new_t = [], []
            block(net_o, res_o, 3), block(net_n, res_n, 3)  # warm-up
            for _ in range(args.blocks):
                old_t.append(block(net_o, res_o))
                new_t.append(block(net_n, res_n))
            o, n = statistics.median(old_t), statistics.median(new_t)
            rows.append({"mechanism": label, "max_rel_difference": diff, "old_ms": 1e3 * o,
                         "new_ms": 1e3 * n, "ratio": n / o})
            print(rows[-1], flush=True)
    with open(os.path.join(HERE, "detailed_jets.json"), "w") as f:
        json.dump({"commit": args.commit, "blocks": args.blocks, "rows": rows}, f, indent=1)
    lines = ["| mechanism | residuals: max. rel. difference | flame jets ms/step | "
             "core jets ms/step | ratio |", "|---|---|---|---|---|"]
    lines += [f"| {r['mechanism']} | {r['max_rel_difference']:.1e} | {r['old_ms']:.2f} | "
              f"{r['new_ms']:.2f} | {r['ratio']:.2f}× |" for r in rows]
    with open(os.path.join(HERE, "detailed_jets.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
