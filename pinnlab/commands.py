"""The core CLI commands: ``pinnlab solve`` and ``pinnlab check`` (thin calls of the API).

Both run the same validation (:func:`pinnlab.api.prepare`); ``solve`` then trains.
``--quick`` (or ``PINNLAB_QUICK=1``) shrinks the budget (:mod:`pinnlab.quick`).
"""

from __future__ import annotations

import argparse
import json
import sys


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    from .errors import SpecError

    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SpecError(f"expects NAME=VALUE, got {item[:40]!r}", key=flag)
        out[name.strip()] = value.strip()
    return out


def finite_float(text: str, positive: bool = False) -> float:
    """argparse type: a finite number (``positive``: > 0)."""
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (positive and value <= 0):
        kind = "positive" if positive else "finite"
        raise argparse.ArgumentTypeError(f"must be a {kind} number, got {text[:40]!r}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    return finite_float(text, positive=True)


def _number(name: str, text: str, flag: str) -> float:
    from .errors import SpecError

    try:
        return finite_float(text)
    except argparse.ArgumentTypeError:
        raise SpecError(f"{name}={text[:40]!r}: not a finite number",
                        key=f"{flag} {name}") from None


def _whole(text: str, top: int, shown: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text[:40]!r}") from None
    if not 0 <= value <= top:
        raise argparse.ArgumentTypeError(f"must be from 0 to {shown}, got {text[:40]}")
    return value


def nonnegative_int(text: str) -> int:
    """argparse type: a whole number >= 0 (at most 10**9)."""
    return _whole(text, 10**9, "10**9")


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (at most 10**9)."""
    value = nonnegative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text[:40]}")
    return value


def seed_int(text: str) -> int:
    """argparse type: a seed, a whole number from 0 to 2**63 - 1."""
    from .api import MAX_SEED

    return _whole(text, MAX_SEED, "2**63 - 1")


def _plan(args: argparse.Namespace):
    """The validated plan of ``solve``/``check`` arguments (see :func:`pinnlab.api.prepare`)."""
    from .api import load, prepare
    from .methods import METHODS
    from .options import parse_cli_value

    problem = load(args.spec, data_dirs=tuple(args.data_dir or ()))
    overrides = {k: _number(k, v, "--set") for k, v in _pairs(args.set, "--set").items()}
    method = METHODS.get(args.method)
    cls = method.load().options if method is not None else None
    options: dict[str, object] = {
        k: parse_cli_value(cls, k, v) if cls is not None else v
        for k, v in _pairs(args.option, "--option").items()}
    if getattr(args, "prior", None) is not None:
        from .errors import SpecError

        if args.method != "prior":
            raise SpecError("--prior is the trained prior of --method prior; add --method prior",
                            key="--prior")
        options["checkpoint"] = args.prior
    for flag, key in (("steps", "adam_steps"), ("lbfgs_steps", "lbfgs_steps"),
                      ("dtype", "dtype")):
        if getattr(args, flag, None) is not None:
            options[key] = getattr(args, flag)
    compile_flag = getattr(args, "compile", None)
    if compile_flag or (compile_flag is False and cls is not None
                        and "compile" in cls.model_fields):
        options["compile"] = compile_flag  # --no-compile: nothing to do for other methods
    plan = prepare(problem, args.method, options=options, seed=args.seed, device=args.device,
                   parameters=overrides, option_key="--option", quick=_quick(args))
    return plan, options, overrides


def _quick(args: argparse.Namespace) -> bool:
    """``--quick``, else ``PINNLAB_QUICK``."""
    from .quick import enabled

    return enabled(True if getattr(args, "quick", False) else None)


def _budget(cfg) -> str:
    """Steps and residual points (a prior's evaluations and samples) of a run, e.g.
    ``adam_steps 300, lbfgs_steps 200, ...``."""
    keys = ("adam_steps", "lbfgs_steps", "residual_points", "nfe", "samples")
    return ", ".join(f"{k} {getattr(cfg, k)}" for k in keys if k in type(cfg).model_fields)


def cmd_solve(args: argparse.Namespace) -> int:
    import os

    from .api import solve

    plan, options, overrides = _plan(args)
    problem = plan.problem
    if _quick(args) and not args.quiet:
        print(f"quick run: {_budget(plan.config)} (--quick or PINNLAB_QUICK=1)",
              file=sys.stderr)
    out = args.out if args.out is not None else os.path.join("runs", problem.name + "".join(
        f"_{k}{v:g}" for k, v in overrides.items()))
    result = solve(problem, args.method, seed=args.seed, device=args.device, out=out,
                   resume=args.resume, progress=not args.quiet, option_key="--option",
                   quick=_quick(args), threads=args.threads,
                   tensorboard=args.tensorboard, **options)
    m = result.metrics
    summary = {k: m[k] for k in ("method", "rel_l2", "params", "params_rel_error", "wall_s",
                                 "steps", "device", "threads", "optimizer_stops") if k in m}
    unc = m.get("uncertainty") or {}
    for key, u in (("intervals_95", unc), ("intervals_95_ensemble", unc.get("ensemble"))):
        if u and "interval" in u:
            summary[key] = {"method": u["method"], **u["interval"]}
    print(json.dumps(summary, indent=2, default=float))
    for line in unc.get("warnings", []):
        print(f"warning: {line}", file=sys.stderr)
    files = [f for f in ("metrics.json", "history.csv", "solution.npz", "posterior.npz",
                         "loss.png", "solution.png", "parameters.png", "corner.png",
                         "spec.toml", "checkpoint.pt", "anp.pt")
             if os.path.exists(os.path.join(out, f))]
    print(f"written: {out}/{', '.join(files)}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .losses import compile_terms
    from .methods.exactness import report

    plan, _, _ = _plan(args)
    problem = plan.problem
    terms = compile_terms(problem, {"residual": 1, "boundary": 1, "initial": 1})
    unknown = ", ".join(problem.unknowns) or "none"
    o = problem.observations
    obs = "0 observations" if o is None else f"{len(o)} observations" + (
        f" (noise {o.noise:g} of each {'value' if o.noise_model == 'relative' else 'column'})"
        if o.noise else "")
    print(f"{args.spec}: ok — coordinates {problem.coords}, fields {problem.fields}, "
          f"unknown parameters: {unknown}, {obs}, method {plan.method}, terms: "
          f"{', '.join(t.name for t in terms)}")
    for name, text in problem.definitions.items():
        print(f"  definition {name} = {text}")
    for f, (lo, hi) in problem.bounds.items():
        print(f"  field {f} in [{lo}, {hi}] (sigmoid output map)")
    for group, members in problem.simplex.items():
        print(f"  simplex {group}: {', '.join(members)} (softmax output map)")
    print(f"  budget: {_budget(plan.config)}" + (" (quick)" if _quick(args) else ""))
    for c in report(problem, plan.module.__name__, plan.config):
        print(f"  condition {c['name']} ({c['kind']}{', ' + c['field'] if c['field'] else ''})"
              f": {c['status']} — {c['reason']}")
    if problem.conservation is not None:
        c = problem.conservation
        print(f"  conservation: integral of {c.density} over {', '.join(problem.space)} = "
              f"{c.mass if c.mass is not None else 'the reference solution' + chr(39) + 's'}")
    d = problem.decomposition
    if d is not None:
        from .spec.decomposition import mask_string, parse_interface_conditions

        subs, faces = d.geometry(problem.domain, source=problem.source)
        mask = mask_string(parse_interface_conditions(d.interface_conditions,
                                                      source=problem.source))
        print(f"decomposition: {len(subs)} subdomains, interfaces "
              f"{', '.join(f.name for f in faces)}, interface conditions {mask}"
              + (f"; family {problem.family}" if problem.family else ""))
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    """The flags ``solve`` and ``check`` share: what is validated is what would run."""
    from .methods import METHODS

    p.add_argument("spec", help="problem spec (TOML)")
    p.add_argument("--method", default="pinn", choices=sorted(METHODS),
                   help="pinn (default), lpinn, xpinn, cpinn, multidomain, prior, probconserv")
    p.add_argument("--prior", metavar="CKPT", help="--method prior: the trained prior (a "
                   "checkpoint of 'pinnlab prior train'; as --option checkpoint=CKPT)")
    p.add_argument("--steps", type=nonnegative_int,
                   help="Adam steps (overrides [training] adam_steps)")
    p.add_argument("--lbfgs-steps", type=nonnegative_int, help="L-BFGS iterations after Adam")
    p.add_argument("--seed", type=seed_int, default=0, help="seeds every random choice "
                   "(default 0)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--dtype", choices=["float32", "float64"],
                   help="floating-point type (overrides [training] dtype)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="set a parameter of the spec, e.g. --set beta=50")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="method option (a TOML value), e.g. --option causal=true")
    p.add_argument("--data-dir", action="append", metavar="DIR",
                   help="a folder outside the spec's own from which its data files may be read")
    from .quick import CAPS, ENV

    p.add_argument("--quick", action="store_true",
                   help=f"a short run for a first look: at most {CAPS['adam_steps']} Adam and "
                   f"{CAPS['lbfgs_steps']} L-BFGS steps, at most {CAPS['residual_points']} "
                   "residual points, no compilation (--steps, --lbfgs-steps, --compile and "
                   f"--option still win; also {ENV}=1)")


def add_parser(sub) -> None:
    p = sub.add_parser("solve", help="train a method on a problem spec",
                       description="Train a method on a TOML problem spec and write metrics.json, "
                                   "history.csv, solution.npz, the figures, a copy of the spec "
                                   "and checkpoint.pt into the output folder.")
    _common(p)
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                   help="torch.compile the loss (faster steps after a one-off compilation); "
                   "--no-compile overrides the spec's compile = true")
    p.add_argument("--out", help="output folder (default runs/<name>)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no compilation notice")
    p.add_argument("--threads", type=positive_int, help="CPU threads (default: one below 4096 "
                   "residual points, else the idle cores)")
    p.add_argument("--tensorboard", action="store_true", help="also log the loss, its terms "
                   "and the parameters live to OUT/tensorboard (pip install "
                   "'pinnlab-sciml[tensorboard]')")
    p.set_defaults(func=cmd_solve)

    c = sub.add_parser("check", help="validate a problem spec without training",
                       description="Validate a spec, the method and its options exactly as "
                                   "solve would, without training; print what was found, "
                                   "including which conditions are imposed exactly.")
    _common(c)
    c.set_defaults(func=cmd_check)
