"""Why the ANP training step is dispatch-bound on a GPU, measured on the CPU.

    python results/gpu/anp_step_profile.py      # ~2 min; writes anp_step_profile.{json,md}

1. Operation count of one training step of the reference-width ANP (width 128, two attention
   blocks) at batch 1, where arithmetic is negligible, and that step's CPU time: the per-step
   cost no batch size removes.
2. The same training (width 64, one block, batch 16, Stefan) eager and with the ELBO under
   ``torch.compile`` (``TrainConfig.compile="default"``): seconds per step after warm-up, the
   first step (compile) and the final loss.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from pinnlab.conservation.anp import AttentiveNeuralProcess  # noqa: E402
from pinnlab.conservation.data import sample_functions  # noqa: E402
from pinnlab.conservation.problems import builtin_problem  # noqa: E402
from pinnlab.conservation.train import TrainConfig, to_tensors, train_anp  # noqa: E402


def op_counts() -> dict:
    from torch.profiler import ProfilerActivity, profile

    problem = builtin_problem("stefan")
    torch.manual_seed(0)
    model = AttentiveNeuralProcess(128, layers=2)
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    cs, cu, ts, tu, _ = to_tensors(problem, sample_functions(problem, 1, np.random.default_rng(0)),
                                   torch.float32, "cpu")

    def step():
        loss, _ = model.elbo_loss(cs, cu, ts, tu)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    for _ in range(5):
        step()
    t0 = time.process_time()
    for _ in range(50):
        float(step().detach())
    per_step = (time.process_time() - t0) / 50

    def count(fn) -> int:
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            out = fn()
        return sum(e.count for e in prof.key_averages() if e.key.startswith("aten::")), out

    n_fwd, (loss, _) = count(lambda: model.elbo_loss(cs, cu, ts, tu))
    n_bwd, _ = count(loss.backward)
    return {"parameters": sum(p.numel() for p in model.parameters()),
            "aten_ops_forward": n_fwd, "aten_ops_backward": n_bwd,
            "batch1_step_cpu_s": per_step}


def eager_vs_compiled(steps: int = 60) -> dict:
    problem = builtin_problem("stefan")
    out = {}
    for mode in (None, "default"):
        cfg = TrainConfig(steps=steps, batch=16, hidden=64, layers=1, compile=mode, seed=3)
        run = train_anp(problem, cfg)
        half = steps // 2
        out[mode or "eager"] = {
            "s_per_step": (run.step_ends[-1] - run.step_ends[half - 1]) / (steps - half),
            "first_step_s": run.step_ends[0],
            "loss_last_10": float(np.mean(run.losses[-10:])),
        }
    return out


def main() -> None:
    torch.set_num_threads(1)
    rec = {"torch": torch.__version__, "threads": 1, "ops": op_counts(),
           "training": eager_vs_compiled()}
    (HERE / "anp_step_profile.json").write_text(json.dumps(rec, indent=1))
    o, tr = rec["ops"], rec["training"]
    lines = ["# ANP training step: dispatch cost (CPU, one thread)", "",
             f"Made by `python results/gpu/anp_step_profile.py` (torch {rec['torch']}).", "",
             f"- Width 128, two blocks ({o['parameters']} parameters), batch 1: "
             f"{o['aten_ops_forward']} aten operations forward, {o['aten_ops_backward']} "
             f"backward; one step (with clip and Adam) {1e3 * o['batch1_step_cpu_s']:.1f} CPU ms.",
             "- Width 64, one block, batch 16, 60 steps (seconds per step over the last 30):", "",
             "| ELBO | s / step | first step (s) | mean loss, last 10 steps |", "|---|---|---|---|"]
    for k, v in tr.items():
        lines.append(f"| {k} | {v['s_per_step']:.4f} | {v['first_step_s']:.1f} | "
                     f"{v['loss_last_10']:+.3f} |")
    speed = tr["eager"]["s_per_step"] / tr["default"]["s_per_step"]
    lines += ["", f"Compiled / eager speed-up: {speed:.2f}x.", ""]
    (HERE / "anp_step_profile.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
