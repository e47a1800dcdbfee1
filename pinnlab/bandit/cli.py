"""``pinnlab bandit`` and ``pinnlab sweep``: many multi-domain trainings over a PDE family.

    pinnlab bandit problems/metalic/burgers.toml --rounds 30 --heldout 20 --workers 2
    pinnlab bandit problems/metalic/poisson.toml --backend ray --address 10.0.0.5:6379
    pinnlab sweep problems/metalic/burgers.toml --param nu=0.001:0.05:6 --conditions xpinn,all

Both run their trainings on a runner (``--backend local``: in-process for one worker, else a
process pool; ``--backend ray``: a local Ray instance or the cluster at ``--address``), print a
line per finished round or training, and end with a table and figures in ``--out``.
"""

from __future__ import annotations

import argparse

from pinnlab.commands import nonnegative_int, positive_int, seed_int
from pinnlab.errors import SpecError


def _common(p) -> None:
    p.add_argument("spec", help="a spec with [decomposition] and [family] tables")
    p.add_argument("--backend", choices=["local", "ray"], default="local",
                   help="where trainings run: local (default; a process pool for several "
                   "workers) or ray")
    p.add_argument("--workers", type=positive_int, default=None, help="parallel trainings "
                   "(default: the machine's cores)")
    p.add_argument("--address", default=None, help="Ray cluster address host:port")
    p.add_argument("--adam-steps", type=nonnegative_int, default=None,
                   help="Adam steps of each training (overrides the spec)")
    p.add_argument("--lbfgs-steps", type=nonnegative_int, default=None,
                   help="L-BFGS iterations of each training (overrides the spec)")
    p.add_argument("--quick", action="store_true",
                   help="short trainings for a first look: fewer steps and points (explicit "
                   "--adam-steps, --lbfgs-steps and --option still win; also PINNLAB_QUICK=1)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="a multi-domain training option, a TOML value (repeatable)")
    p.add_argument("--seed", type=seed_int, default=0, help="seeds every random choice "
                   "(default 0)")
    p.add_argument("--out", default=None, help="output folder (default runs/<name>-<command>)")


def add_parser(subparsers) -> None:
    b = subparsers.add_parser("bandit", help="METALIC: learn interface conditions over a "
                              "PDE family with a GP contextual bandit",
                              description="Learn which interface conditions suit each member of "
                              "a PDE family (METALIC: a Gaussian-process contextual bandit over "
                              "multi-domain trainings), then score the policies on held-out "
                              "members; writes table.md, summary.json and figures.")
    _common(b)
    b.add_argument("--policies", default="ucb,ts,random",
                   help="comma-separated policies to compare (default ucb,ts,random)")
    b.add_argument("--warmup", type=positive_int, default=5,
                   help="warm-up rounds: random contexts and arms every policy sees (default 5)")
    b.add_argument("--rounds", type=nonnegative_int, default=30,
                   help="online rounds: a new context each, one training per policy (default 30)")
    b.add_argument("--heldout", type=positive_int, default=20,
                   help="held-out contexts the policies are scored on (default 20)")
    b.add_argument("--fixed", default="xpinn,all", help="fixed conditions on held-out contexts")
    b.add_argument("--two-stage", action="store_true", help="one arm for Adam, one for L-BFGS")
    b.add_argument("--beta", type=float, default=1.0, help="UCB exploration weight")
    b.set_defaults(func=run_bandit)
    s = subparsers.add_parser("sweep", help="train a multi-domain PINN over a grid of family "
                              "parameters", description="Train a multi-domain PINN at every "
                              "point of a grid of family parameters, once per set of interface "
                              "conditions; writes table.md, sweep.json and sweep.png.")
    _common(s)
    s.add_argument("--param", action="append", default=[], metavar="NAME=LO:HI:N",
                   help="a grid for one family parameter (repeatable; default: 5 points "
                   "over each [family] range)")
    s.add_argument("--conditions", default="xpinn", help="comma-separated presets or 9-bit "
                   "masks, each swept")
    s.set_defaults(func=run_sweep)


def _common_kwargs(args) -> dict:
    """The options, budget and runner of ``bandit`` and ``sweep`` as keyword arguments."""
    from pinnlab.commands import _pairs
    from pinnlab.methods.multidomain import MultiDomainConfig
    from pinnlab.options import parse_cli_value

    opts: dict = {k: parse_cli_value(MultiDomainConfig, k, v)
                  for k, v in _pairs(args.option, "--option").items()}
    if args.adam_steps is not None:
        opts["adam_steps"] = args.adam_steps
    if args.lbfgs_steps is not None:
        opts["lbfgs_steps"] = args.lbfgs_steps
    return {"options": opts, "seed": args.seed, "quick": True if args.quick else None,
            "out": args.out, "backend": args.backend, "workers": args.workers,
            "address": args.address, "log": lambda s: print(s, flush=True)}


def _names(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def run_bandit(args: argparse.Namespace) -> int:
    from pinnlab.bandit.api import learn

    try:
        summary = learn(args.spec, policies=_names(args.policies), warmup=args.warmup,
                        rounds=args.rounds, heldout=args.heldout, fixed=_names(args.fixed),
                        two_stage=args.two_stage, beta=args.beta, **_common_kwargs(args))
    except SpecError as exc:
        raise _cli_key(exc) from None
    print(summary["table"])
    print(f"written: {summary['out']}/table.md, summary.json, online.png, heldout.png, state.json")
    return 0


def _axes(items: list[str]) -> dict:
    import numpy as np

    axes = {}
    for item in items:
        try:
            name, rng = item.split("=", 1)
            lo, hi, n = rng.split(":")
            lo, hi, n = float(lo), float(hi), int(n)
            if not (np.isfinite(lo) and np.isfinite(hi) and 1 <= n <= 10000):
                raise ValueError
        except ValueError:
            raise SpecError(f"expected NAME=LO:HI:N with finite LO, HI and 1 <= N <= 10000, "
                            f"got {item[:40]!r}", key="--param") from None
        axes[name.strip()] = np.linspace(lo, hi, n)
    return axes


def run_sweep(args: argparse.Namespace) -> int:
    from pinnlab.bandit.api import sweep

    try:
        sweep(args.spec, axes=_axes(args.param), conditions=_names(args.conditions),
                     **_common_kwargs(args))
    except SpecError as exc:
        raise _cli_key(exc) from None
    return 0


def _cli_key(exc: SpecError) -> SpecError:
    """Name the command-line flag for an argument the library names by its keyword."""
    key, file = exc.key or "", None if exc.file == "<python>" else exc.file
    if key.startswith("options"):
        key = "--option" + key[len("options"):]
    elif key in ("policies", "param", "conditions", "fixed"):
        key = f"--{key}"
    return SpecError(exc.message, file=file, key=key)
