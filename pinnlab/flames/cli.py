"""``pinnlab flame reference CASE.toml``: Cantera references of the detailed and counterflow
flame cases (FlamePINN-1D Cases 2 and 3). Case 1 is a core-language spec solved with
``pinnlab solve problems/flames/case1_forward.toml``.

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


def add_parser(subparsers) -> None:
    """Register ``pinnlab flame`` with its ``reference`` subcommand."""
    flame = subparsers.add_parser("flame", help="1D premixed flames: Cantera references of the "
                                  "detailed and counterflow cases")
    sub = flame.add_subparsers(dest="flame_command", metavar="ACTION")
    ref = sub.add_parser("reference", help="Cantera reference (FreeFlame or counterflow)")
    ref.add_argument("case", help="flame case file (TOML)")
    ref.add_argument("--out", help="folder for metrics.json and solution.npz")
    ref.set_defaults(func=_reference)
    flame.set_defaults(func=lambda args: (flame.print_help(), 2)[1])
