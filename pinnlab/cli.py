"""Command-line interface: ``pinnlab <command> ...``.

Every command is a thin call into the Python API. Subcommands live in the modules listed in
``COMMAND_MODULES``; each exposes ``add_parser(subparsers)`` which registers its parser and sets
``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit code). Those
modules must import heavy dependencies inside ``func`` only, so ``pinnlab --help`` stays fast.

Bad input (any :class:`pinnlab.errors.PinnlabError`) prints one line and exits with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = [
    "pinnlab.commands",
    "pinnlab.generative.cli",
    "pinnlab.conservation.cli",
    "pinnlab.flames.cli",
    "pinnlab.bandit.cli",
]


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``pinnlab: error: <message>`` and exit code 2."""

    def error(self, message: str):
        text = " ".join(message.split())
        self.exit(2, f"pinnlab: error: {self.prog.split(' ', 1)[-1]}: {text}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="pinnlab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # an optional part not present in this checkout
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .errors import PinnlabError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error already printed as one line (2)
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        where, what = (args.command, "an action") if args.command else ("command", "a command")
        print(f"pinnlab: error: {where}: give {what} (see pinnlab --help)", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except PinnlabError as exc:
        print(f"pinnlab: error: {exc.one_line()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pinnlab: interrupted; checkpoints already written are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
