"""The core CLI commands: ``pinnlab solve`` and ``pinnlab check`` (thin calls of the API)."""

from __future__ import annotations

import argparse
import json


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    from .errors import SpecError

    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SpecError(f"{flag} expects NAME=VALUE, got {item!r}", key=flag)
        out[name.strip()] = value.strip()
    return out


def _number(name: str, text: str, flag: str) -> float:
    from .errors import SpecError

    try:
        return float(text)
    except ValueError:
        raise SpecError(f"{flag} {name}={text!r}: not a number", key=flag) from None


def cmd_solve(args: argparse.Namespace) -> int:
    import os

    from .api import load, solve

    problem = load(args.spec)
    overrides = {k: _number(k, v, "--set") for k, v in _pairs(args.set, "--set").items()}
    options: dict[str, object] = dict(_pairs(args.option, "--option"))
    if args.steps is not None:
        options["adam_steps"] = args.steps
    if args.lbfgs_steps is not None:
        options["lbfgs_steps"] = args.lbfgs_steps
    if args.dtype:
        options["dtype"] = args.dtype
    if args.compile:
        options["compile"] = True
    out = args.out or os.path.join("runs", problem.name + "".join(
        f"_{k}{v:g}" for k, v in overrides.items()))
    result = solve(problem, args.method, seed=args.seed, device=args.device, out=out,
                   resume=args.resume, progress=not args.quiet, parameters=overrides, **options)
    m = result.metrics
    summary = {k: m[k] for k in ("method", "rel_l2", "params", "params_rel_error", "wall_s",
                                 "steps", "device", "optimizer_stops") if k in m}
    print(json.dumps(summary, indent=2, default=float))
    print(f"written: {out}/metrics.json, solution.npz, loss.png, solution.png, checkpoint.pt")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .api import load
    from .losses import compile_terms

    problem = load(args.spec)
    terms = compile_terms(problem, {"residual": 1, "boundary": 1, "initial": 1})
    unknown = ", ".join(problem.unknowns) or "none"
    obs = len(problem.observations) if problem.observations is not None else 0
    print(f"{args.spec}: ok — coordinates {problem.coords}, fields {problem.fields}, "
          f"unknown parameters: {unknown}, {obs} observations, terms: "
          f"{', '.join(t.name for t in terms)}")
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


def add_parser(sub) -> None:
    p = sub.add_parser("solve", help="train a method on a problem spec",
                       description="Train a method on a TOML problem spec and write metrics.json, "
                                   "solution.npz, loss.png, solution.png and checkpoint.pt.")
    p.add_argument("spec", help="problem spec (TOML)")
    p.add_argument("--method", default="pinn", help="pinn (default), lpinn, xpinn, cpinn, "
                   "multidomain")
    p.add_argument("--steps", type=int, help="Adam steps (overrides [training] adam_steps)")
    p.add_argument("--lbfgs-steps", type=int, help="L-BFGS iterations after Adam")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--dtype", choices=["float32", "float64"])
    p.add_argument("--compile", action="store_true", help="torch.compile the loss (faster "
                   "steps after a one-off compilation)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="set a parameter of the spec, e.g. --set beta=50")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="method option, e.g. --option causal=true")
    p.add_argument("--out", help="output folder (default runs/<name>)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_solve)

    c = sub.add_parser("check", help="validate a problem spec without training")
    c.add_argument("spec")
    c.set_defaults(func=cmd_check)
