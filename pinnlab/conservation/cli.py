"""``pinnlab conserve``: train a base model on a GPME spec and apply the ProbConserv update.

    pinnlab conserve problems/gpme_stefan.toml --model gp --n-test 20
    pinnlab conserve problems/gpme_pme.toml --model anp --steps 2000 --json out.json
    pinnlab conserve problems/gpme_pme.toml --model anp --steps 2000 --save anp.pt
    pinnlab conserve problems/gpme_stefan.toml \
        --weights results/probconserv/weights/stefan_gpu_anp.pt

``--weights`` evaluates a saved ANP (e.g. the GPU-trained ones in ``results/probconserv/weights``)
instead of training one; ``--save`` keeps a trained ANP. Prints, per test parameter and method
(base, HardC, ProbConserv), MSE, conservation error and log-likelihood (mean and standard error
over the test functions) at the spec's evaluation time.
"""

from __future__ import annotations

import argparse

from pinnlab.commands import positive_float, positive_int, seed_int
from pinnlab.quick import HELP as QUICK_HELP


def _n_test(text: str) -> int:
    value = positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {text[:40]}")
    return value


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "conserve",
        help="ProbConserv: conservation-constrained probabilistic prediction for GPME specs",
        description=__doc__.splitlines()[0],
    )
    p.add_argument("spec", help="a problems/gpme_*.toml file")
    p.add_argument("--model", choices=["anp", "gp"], default="gp", help="base model (default gp)")
    p.add_argument("--steps", type=positive_int, default=None,
                   help="ANP training steps (default 1000; --quick 100)")
    p.add_argument("--gp-iters", type=positive_int, default=None,
                   help="GP hyper-parameter steps (default 150; --quick 20)")
    p.add_argument("--n-test", type=_n_test, default=None,
                   help="test functions per parameter (default: the spec's; --quick 4)")
    p.add_argument("--quick", action="store_true", help=QUICK_HELP)
    p.add_argument("--sigma-g", type=positive_float, default=1e-3,
                   help="finite constraint noise σ_G")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--hidden", type=positive_int, default=64, help="ANP width (default 64)")
    p.add_argument("--layers", type=positive_int, default=1,
                   help="ANP attention blocks per path (1)")
    p.add_argument("--weights", default=None, help="evaluate this saved ANP instead of training")
    p.add_argument("--save", default=None, help="write the trained ANP to this file")
    p.add_argument("--device", default="cpu", help="torch device for the ANP (cpu, cuda, ...)")
    p.add_argument("--json", default=None, help="write the summary rows to this JSON file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pinnlab.api import check_device
    from pinnlab.conservation.benchmark import BenchmarkConfig, evaluate_models
    from pinnlab.conservation.gp import FamilyGaussianProcess, GPConfig
    from pinnlab.conservation.problems import load_problem
    from pinnlab.conservation.train import (
        TrainConfig,
        load_checkpoint,
        save_checkpoint,
        train_anp,
    )
    from pinnlab.io import atomic_json
    from pinnlab.quick import fill_budget

    quick = fill_budget(args, {"steps": (1000, 100), "gp_iters": (150, 20)})
    if quick and args.n_test is None:
        args.n_test = 4
    problem = load_problem(args.spec)
    check_device(args.device, key="--device")
    cfg = BenchmarkConfig(n_test=args.n_test, sigma_g=args.sigma_g, seed=args.seed + 1234)
    cfg.anp = TrainConfig(steps=args.steps, hidden=args.hidden, layers=args.layers, seed=args.seed,
                          device=args.device)
    cfg.gp = GPConfig(iters=args.gp_iters, seed=args.seed)
    if args.weights:
        models, seconds = {"anp": load_checkpoint(args.weights).to(args.device)}, 0.0
    elif args.model == "anp":
        trained = train_anp(problem, cfg.anp)
        models, seconds = {"anp": trained.model}, trained.seconds
        if args.save:
            save_checkpoint(trained.model, args.save, steps=args.steps, spec=args.spec)
    else:
        gp = FamilyGaussianProcess(problem, cfg.gp).fit()
        models, seconds = {"gp": gp}, gp.seconds
    res = evaluate_models(problem, models, cfg)
    source = f"weights {args.weights}" if args.weights else f"trained in {seconds:.1f} s"
    print(f"{problem.family}: t = {problem.eval_time}, {source}")
    print(f"{problem.parameter:>8} {'method':<20} {'MSE':>20} {'|CE|':>20} {'LL':>16}")
    for r in res["rows"]:
        print(
            f"{r['parameter']:>8g} {r['method']:<20} {r['mse']:>10.3e} ({r['mse_se']:.1e})"
            f" {r['ce']:>10.3e} ({r['ce_se']:.1e}) {r['ll']:>8.3f} ({r['ll_se']:.2f})"
        )
    if args.json:
        record = {"family": problem.family, "train_seconds": seconds, "rows": res["rows"]}
        atomic_json(args.json, record)
    return 0
