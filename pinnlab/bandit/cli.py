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


def _options(args) -> dict:
    """The ``--option``/``--adam-steps``/``--lbfgs-steps`` overrides, typed and checked
    against the spec (the same validation as ``pinnlab check --method multidomain``), with the
    quick budget (``--quick``, ``PINNLAB_QUICK=1``) for the options not given."""
    from pinnlab.api import prepare
    from pinnlab.bandit.trials import _problem
    from pinnlab.commands import _pairs
    from pinnlab.methods.multidomain import MultiDomainConfig
    from pinnlab.options import parse_cli_value
    from pinnlab.quick import enabled, quick_overrides

    opts: dict = {k: parse_cli_value(MultiDomainConfig, k, v)
                  for k, v in _pairs(args.option, "--option").items()}
    if args.adam_steps is not None:
        opts["adam_steps"] = args.adam_steps
    if args.lbfgs_steps is not None:
        opts["lbfgs_steps"] = args.lbfgs_steps
    plan = prepare(_problem(args.spec), "multidomain", options=opts, seed=args.seed,
                   option_key="--option")
    if enabled(True if args.quick else None):  # the explicit options win
        opts = {**quick_overrides(plan.config, opts), **opts}
    return opts


def run_bandit(args: argparse.Namespace) -> int:
    import os

    from pinnlab.bandit.agent import POLICIES
    from pinnlab.bandit.report import figures, markdown, summarize
    from pinnlab.bandit.session import BanditSetup, Session
    from pinnlab.bandit.trials import _problem
    from pinnlab.errors import SpecError
    from pinnlab.io import OutputLock, atomic_json, atomic_text, prepare_output
    from pinnlab.runner import make_runner

    policies = tuple(p.strip() for p in args.policies.split(",") if p.strip())
    bad = [p for p in policies if p not in POLICIES]
    if bad or not policies:
        raise SpecError(f"unknown policy {bad[0] if bad else ''!r} (policies: "
                        f"{', '.join(POLICIES)})", key="--policies")
    opts = _options(args)
    problem = _problem(args.spec)
    setup = BanditSetup(spec=args.spec, policies=policies, warmup=args.warmup,
                        rounds=args.rounds, heldout=args.heldout,
                        fixed=tuple(f.strip() for f in args.fixed.split(",") if f.strip()),
                        two_stage=args.two_stage, beta=args.beta, seed=args.seed, options=opts)
    out = prepare_output(args.out if args.out is not None else
                         os.path.join("runs", f"{problem.name}-bandit"))
    with OutputLock(out), make_runner(args.backend, workers=args.workers,
                                      address=args.address) as runner:
        session = Session(setup, runner, out, log=lambda s: print(s, flush=True))
        session.run_online()
        heldout = session.run_heldout()
        summary = summarize(session.state, heldout)
        text = markdown(summary, f"{problem.name} ({runner.backend}, {runner.workers} workers)")
        atomic_text(os.path.join(out, "table.md"), text)
        atomic_json(os.path.join(out, "summary.json"), summary)
        figures(session.state, heldout, out, problem.name)
    print(text)
    print(f"written: {out}/table.md, summary.json, online.png, heldout.png, state.json")
    return 0


def _grid(args, family: dict) -> list[dict]:
    import itertools

    import numpy as np

    from pinnlab.errors import SpecError

    axes = {k: np.linspace(lo, hi, 5) for k, (lo, hi) in family.items()}
    for item in args.param:
        try:
            name, rng = item.split("=", 1)
            lo, hi, n = rng.split(":")
            lo, hi, n = float(lo), float(hi), int(n)
            if not (np.isfinite(lo) and np.isfinite(hi) and 1 <= n <= 10000):
                raise ValueError
            axes[name.strip()] = np.linspace(lo, hi, n)
        except ValueError:
            raise SpecError(f"expected NAME=LO:HI:N with finite LO, HI and 1 <= N <= 10000, "
                            f"got {item[:40]!r}", key="--param") from None
        if name.strip() not in family:
            raise SpecError(f"--param {name.strip()!r} is not a [family] parameter "
                            f"({', '.join(family)})", key="--param")
    return [dict(zip(axes, map(float, v))) for v in itertools.product(*axes.values())]


def run_sweep(args: argparse.Namespace) -> int:
    import os

    from pinnlab.bandit.trials import _problem, run_trial, trial
    from pinnlab.errors import SpecError
    from pinnlab.io import OutputLock, atomic_json, atomic_text, prepare_output
    from pinnlab.runner import make_runner
    from pinnlab.spec.decomposition import parse_interface_conditions

    problem = _problem(args.spec)
    if not problem.family:
        raise SpecError("a sweep needs a [family] table of parameter ranges", file=args.spec,
                        key="family")
    opts = _options(args)
    masks = {c.strip(): parse_interface_conditions(c.strip(), source="<command line>",
                                                   key="--conditions")
             for c in args.conditions.split(",") if c.strip()}
    contexts = _grid(args, problem.family)
    plan = [(ctx, name) for ctx in contexts for name in masks]
    trials = [trial(args.spec, ctx, masks[name], seed=args.seed, options=opts)
              for ctx, name in plan]
    out = prepare_output(args.out if args.out is not None else
                         os.path.join("runs", f"{problem.name}-sweep"))

    def show(i, r):
        ctx, name = plan[i]
        desc = ", ".join(f"{k}={v:.4g}" for k, v in ctx.items())
        print(f"[{i + 1}/{len(plan)}] {desc} {name}: rel. L2 {r['error']:.3e} "
              f"({r['cpu_s']:.0f} CPU s)", flush=True)

    with OutputLock(out), make_runner(args.backend, workers=args.workers,
                                      address=args.address) as runner:
        results = runner.map(run_trial, trials, on_result=show)
    rows = [{"context": ctx, "conditions": name, **{k: r[k] for k in
                                                     ("error", "reward", "cpu_s", "wall_s")}}
            for (ctx, name), r in zip(plan, results)]
    atomic_json(os.path.join(out, "sweep.json"), rows)
    names = list(problem.family)
    lines = ["| " + " | ".join(names) + " | " + " | ".join(masks) + " |",
             "|" + "---|" * (len(names) + len(masks))]
    for ctx in contexts:
        errs = [next(r["error"] for r in rows if r["context"] == ctx and r["conditions"] == m)
                for m in masks]
        lines.append("| " + " | ".join(f"{ctx[k]:.4g}" for k in names) + " | "
                     + " | ".join(f"{e:.3e}" for e in errs) + " |")
    text = "\n".join(lines) + "\n"
    atomic_text(os.path.join(out, "table.md"), text)
    _sweep_figure(rows, names, masks, out)
    print(text)
    print(f"written: {out}/table.md, sweep.json, sweep.png")
    return 0


def _sweep_figure(rows, names, masks, out) -> None:
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pinnlab.io import save_figure

    fig, ax = plt.subplots(figsize=(6, 4))
    key = names[0]
    for m in masks:
        pts = sorted((r["context"][key], r["error"]) for r in rows if r["conditions"] == m)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=m)
    ax.set(yscale="log", xlabel=key, ylabel="rel. L2 error")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, os.path.join(out, "sweep.png"), dpi=120)
    plt.close(fig)
