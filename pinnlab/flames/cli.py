"""``pinnlab flame reference|solve CASE.toml``: 1D premixed flames (FlamePINN-1D).

Heavy modules (torch, cantera) are imported inside the command functions only.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _out(args) -> Path | None:
    from ..io import prepare_output

    return None if args.out is None else Path(prepare_output(args.out))


def _reference(args: argparse.Namespace) -> int:
    from .run import reference
    from .spec import load_case

    case = load_case(args.case)
    metrics = reference(case, _out(args))
    print(json.dumps({k: v for k, v in metrics.items() if not isinstance(v, list)}))
    return 0


def _solve(args: argparse.Namespace) -> int:
    from ..api import check_device
    from .run import solve
    from .spec import load_case

    case = load_case(args.case)
    check_device(args.device, key="--device")
    metrics = solve(case, _out(args), device=args.device, quick=args.quick)
    print(json.dumps({k: v for k, v in metrics.items() if k != "stages"}))
    return 0


def add_parser(subparsers) -> None:
    """Register ``pinnlab flame`` with its ``reference`` and ``solve`` subcommands."""
    flame = subparsers.add_parser("flame", help="1D premixed flames: references and PINN solves")
    sub = flame.add_subparsers(dest="flame_command", metavar="ACTION")
    ref = sub.add_parser("reference", help="reference solution (shooting or Cantera)")
    ref.add_argument("case", help="flame case file (TOML)")
    ref.add_argument("--out", help="folder for metrics.json and solution.npz")
    ref.set_defaults(func=_reference)
    solve = sub.add_parser("solve", help="PINN solve of a case (forward or inverse)")
    solve.add_argument("case", help="flame case file (TOML)")
    solve.add_argument("--out", help="folder for metrics.json and solution.npz")
    solve.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    solve.add_argument("--quick", action="store_true", help="tiny budget (smoke run)")
    solve.set_defaults(func=_solve)
    flame.set_defaults(func=lambda args: (flame.print_help(), 2)[1])
