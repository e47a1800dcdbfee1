"""Flame Case 2 (CH4, one-step) step time: the flame-specific stack against the spec path.

    python results/unified/case2_steptime_old.py [BLOCKS]

The flame-specific stack was removed from the library; this script takes it from the last
commit that had it (``c7370f1~1``, by ``git archive`` into a temporary folder), renames that
package ``pinnlab_old`` so that both load in one process, and times one loss evaluation and
its backward pass of each (200 points, float64, one thread): the old stack and the spec path
(eager: with ``compile = true`` a spec with the mechanism plug-in warns and runs eagerly, since
torch.compile cannot trace the plug-in), in alternating blocks of 10 steps (BLOCKS rounds,
default 20). Writes ``case2_steptime_old.json`` here (``--out=FILE`` elsewhere, e.g. for a
run beside other jobs). Run from the repository root.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OLD_COMMIT = "c7370f1~1"
NEW_SPEC = os.path.join(ROOT, "problems", "flames", "case2_ch4_forward.toml")


def old_package(folder: str) -> str:
    """The old ``pinnlab`` and its Case 2 spec, as ``folder/pinnlab_old`` and the spec path."""
    archive = subprocess.run(["git", "archive", OLD_COMMIT, "pinnlab", "problems/flames"],
                             cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    os.rename(os.path.join(folder, "pinnlab"), os.path.join(folder, "pinnlab_old"))
    for base, _, files in os.walk(os.path.join(folder, "pinnlab_old")):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(base, name)
                text = open(path).read()
                text = re.sub(r"\bfrom pinnlab\.", "from pinnlab_old.", text)
                text = re.sub(r"\bimport pinnlab\.", "import pinnlab_old.", text)
                text = re.sub(r"\bfrom pinnlab import", "from pinnlab_old import", text)
                text = re.sub(r"([\"'])pinnlab\.", r"\1pinnlab_old.", text)
                open(path, "w").write(text)
    sys.path.insert(0, folder)
    return os.path.join(folder, "problems", "flames", "case2_ch4_forward.toml")


def old_stack(old_spec: str):
    """One step of the flame-specific solver (as the landed measurement timed it)."""
    from pinnlab_old.api import prepare
    from pinnlab_old.flames.case2 import Case2Budget, FlameSetup, FreeFlamePINN
    from pinnlab_old.flames.detailed import free_flame_residuals
    plan = prepare(old_spec, "pinn")
    problem = plan.problem
    mech = problem.plugins["gas"]
    p = {k: v.value for k, v in problem.parameters.items() if not v.unknown}
    Y_in = np.array([p[f"Y_in_{s}"] for s in mech.species])
    Y_eq = np.array([p[f"Y_eq_{s}"] for s in mech.species])
    setup = FlameSetup(2.5e-3, 101325.0, p["T_in"], Y_in, p["T_eq"], Y_eq, 8.75e-4, 729.083)
    old = FreeFlamePINN(mech.gas, setup, Case2Budget())
    x = torch.linspace(0, 2.5e-3, 200, dtype=torch.float64).reshape(-1, 1)
    ends = torch.tensor([[0.0], [2.5e-3], [8.75e-4]], dtype=torch.float64)

    def step():
        old.zero_grad(set_to_none=True)
        m = old.mass_flux()
        T, Y = old.fields(x)
        e, s = free_flame_residuals(mech.gas, mech.kinetics, T, Y, m, 101325.0)
        r_e, r_s = old.scaled_residuals(e, s)
        Te, Ye = old.fields(ends)
        j0 = mech.gas.diffusive_fluxes(Te[:1], Ye[:1], 101325.0).value
        bc = ((Te.value - 1000.0) ** 2).sum() + (
            (m * (Ye.value[:1] - old.Y_in) + j0) ** 2).mean()
        ((r_e**2).mean() + (r_s**2).mean() + bc).backward()

    return step


def new_stack(compile: bool = False):
    """One step of the spec path (PINN loss on the spec's points)."""
    from pinnlab.api import prepare
    from pinnlab.methods.pinn import PINNLoss, PINNModel, _default_dtype
    plan = prepare(NEW_SPEC, "pinn", options={"compile": compile})
    problem, cfg = plan.problem, plan.config
    gen = torch.Generator().manual_seed(0)
    with _default_dtype(torch.float64):
        model = PINNModel(problem, cfg, gen).to(dtype=torch.float64)
        loss = PINNLoss(problem, model, cfg, gen)
    def step():
        model.zero_grad(set_to_none=True)
        sum(loss().values()).backward()

    return step


def block(fn, n=10):
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n


def main() -> None:
    torch.set_num_threads(1)
    load0 = os.getloadavg()[0]
    tmp = tempfile.mkdtemp()
    steps = {"old": old_stack(old_package(tmp)), "new": new_stack()}
    for f in steps.values():
        block(f, 5)
    args = [a for a in sys.argv[1:] if not a.startswith("--out")]
    out = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--out=")),
               os.path.join(HERE, "case2_steptime_old.json"))
    blocks = int(args[0]) if args else 20
    times = {k: [] for k in steps}
    for _ in range(blocks):
        for k, f in steps.items():
            times[k].append(block(f))
    res = {k + "_ms": 1e3 * statistics.median(v) for k, v in times.items()}
    res["ratio"] = res["new_ms"] / res["old_ms"]
    res["blocks"] = blocks
    res["load_avg_1min"] = [load0, os.getloadavg()[0]]
    res["spread_ms"] = {k: [1e3 * min(v), 1e3 * max(v)] for k, v in times.items()}
    print(json.dumps(res, indent=1))
    with open(out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
