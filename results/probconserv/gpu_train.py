"""Train the ProbConserv ANP at the reference scale on a GPU, within a wall-clock budget.

Reference setup (`../shared/reference/methods.md` §4): width 128, batch 250 functions, hundreds
of epochs. Here: width 128, two attention blocks per path, 250 fresh functions per step drawn by
``--workers`` background processes, Adam with a linear warm-up and cosine decay, gradient clip 1,
the weights of the best validation NLL kept (and written at every improvement, so a run cut off
by its time limit still leaves them). The number of steps is set from the measured step time so
that the cosine schedule ends inside ``--budget`` seconds.

    python results/probconserv/gpu_train.py --problem stefan --budget 330 --out DIR --tag _gpu

writes ``DIR/<family><tag>_anp.pt`` (architecture + weights) and ``DIR/<family><tag>.json`` (the
training record in the layout of ``run.py``); with ``--select-shock`` also
``DIR/<family><tag>_shockbest_anp.pt`` and ``DIR/<family><tag>_shockbest.json``. Copy them to
``runs/probconserv/`` (or ``weights/``) and ``results/probconserv/`` and evaluate on the CPU with

    python results/probconserv/run.py --problem stefan --tag _gpu --load
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pinnlab.conservation.problems import load_problem  # noqa: E402
from pinnlab.conservation.selection import STEFAN_VALIDATION, shock_score  # noqa: E402
from pinnlab.conservation.train import TrainConfig, load_checkpoint, train_anp  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problem", required=True, choices=["diffusion", "pme", "stefan"])
    ap.add_argument("--budget", type=float, default=300.0, help="seconds of training")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", default="_gpu")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--val-every", type=int, default=250)
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--max-steps", type=int, default=40_000)
    ap.add_argument("--compile", help="torch.compile mode of the ELBO, e.g. reduce-overhead")
    ap.add_argument("--select-shock", action="store_true",
                    help="also keep the weights with the best validation shock error (Stefan)")
    ap.add_argument("--init", help="continue from this checkpoint (architecture from the file)")
    args = ap.parse_args()
    start, cpu_start = time.perf_counter(), time.process_time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = f"{args.problem}{args.tag}"
    problem = load_problem(ROOT / "problems" / f"gpme_{args.problem}.toml")
    card = torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"
    cfg = TrainConfig(
        steps=120, batch=args.batch, lr=args.lr, hidden=args.hidden, layers=args.layers,
        warmup=args.warmup, clip=args.clip, val_every=0, workers=args.workers,
        device=args.device, seed=0, compile=args.compile,
    )
    init = load_checkpoint(args.init) if args.init else None
    if init is not None:
        cfg = dataclasses.replace(cfg, hidden=init.config["hidden"], layers=init.config["layers"])
    probe_model = copy.deepcopy(init) if init is not None else None
    probe = train_anp(problem, cfg, model=probe_model)  # step time after start-up and compile
    step_s = (probe.step_ends[-1] - probe.step_ends[59]) / (cfg.steps - 60)
    compile_s = probe.step_ends[0]
    score, score_s = None, 0.0
    if args.select_shock:
        score = shock_score(problem, STEFAN_VALIDATION, n_per_value=6, n_samples=100,
                            n_latent=30)
        t0 = time.perf_counter()
        score(probe.model)
        score_s = time.perf_counter() - t0
    left = args.budget - (time.perf_counter() - start)
    if args.compile:  # the training model compiles again
        left -= compile_s
    steps = int(min(args.max_steps, 0.9 * left / (step_s + score_s / args.val_every)))
    if steps < 1:
        sys.exit(f"{name}: the probe used the budget ({args.budget:g} s; first step "
                 f"{compile_s:.0f} s): raise --budget")
    print(f"{name}: {card}, {step_s * 1e3:.1f} ms/step (first step {compile_s:.1f} s) -> "
          f"{steps} steps", flush=True)
    cfg = dataclasses.replace(
        cfg, steps=steps, val_every=args.val_every, checkpoint=str(out / f"{name}_anp.pt"),
        val_score=score, score_checkpoint=str(out / f"{name}_shockbest_anp.pt") if score else None,
    )
    res = train_anp(problem, cfg, model=init, log_every=1000)
    settings = {
        "batch": args.batch, "warmup": args.warmup, "clip": args.clip,
        "val_every": args.val_every, "softc_steps": 0, "hidden": cfg.hidden,
        "layers": cfg.layers, "device": card, "workers": args.workers,
    }
    if args.compile:
        settings["compile"] = args.compile
    if args.init:
        settings["init"] = Path(args.init).name
    record = {
        "family": problem.family,
        "eval_time": problem.eval_time,
        "n_test": problem.n_test,
        "anp_steps": steps,
        "anp_lr": args.lr,
        "anp_settings": settings,
        "train_seconds": {"anp": res.seconds},
        "train_info": {
            "anp_best_step": res.best_step,
            "anp_val_history": res.val_history,
            "anp_ms_per_step": 1e3 * res.seconds / steps,
            "function_presentations": steps * args.batch,
            "shock_score_history": res.score_history,
            "shock_best_step": res.best_score_step,
            "final_loss_mean_last_500": float(sum(res.losses[-500:]) / len(res.losses[-500:])),
        },
        "eval_seconds": {},
        "reevaluated": False,
        "rows": [],
        "run_seconds": {
            "wall": time.perf_counter() - start, "cpu": time.process_time() - cpu_start
        },
    }
    (out / f"{name}.json").write_text(json.dumps(record, indent=1))
    if res.best_score_step is not None:
        write_shockbest_record(out / f"{name}.json")
    print(f"{name}: {steps} steps in {res.seconds:.0f} s, best step {res.best_step}", flush=True)


def write_shockbest_record(path: Path) -> Path:
    """The record of the ``--select-shock`` weights (``<name>_shockbest_anp.pt``), for
    ``run.py --tag <tag>_shockbest --load``: the run's record with the kept step replaced."""
    record = json.loads(path.read_text())
    info = record["train_info"]
    info["anp_best_step_nll"], info["anp_best_step"] = info["anp_best_step"], None
    record["anp_settings"]["kept"] = (f"weights of step {info['shock_best_step']} (best "
                                      "validation-split shock score, --select-shock)")
    target = path.with_name(path.stem + "_shockbest.json")
    target.write_text(json.dumps(record, indent=1))
    return target


if __name__ == "__main__":
    if sys.argv[1:2] == ["--shockbest-record"]:  # for a record written before this existed
        print(write_shockbest_record(Path(sys.argv[2])))
    else:
        main()
