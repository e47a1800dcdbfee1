"""Command-line interface: ``pinnlab <command> ...``.

Every command is a thin call into the Python API. Subcommands live in the modules listed in
``COMMAND_MODULES``; each exposes ``add_parser(subparsers)`` which registers its parser and sets
``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit code). Those
modules must import heavy dependencies inside ``func`` only, so ``pinnlab --help`` stays fast.

Bad input (any :class:`pinnlab.errors.PinnlabError`) prints one line and exits with code 2.
Every subcommand's ``--help`` starts with a one-sentence description in plain text
(:func:`describe`); ``pinnlab --version`` prints the installed version.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys

DISTRIBUTION = "pinnlab-sciml"
"""The name pinnlab is installed under (``pip install pinnlab-sciml``; imported as ``pinnlab``)."""

COMMAND_MODULES = [
    "pinnlab.commands",
    "pinnlab.generative.cli",
    "pinnlab.bandit.cli",
]


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``pinnlab: error: <message>`` and exit code 2."""

    def error(self, message: str):
        text = " ".join(message.split())
        self.exit(2, f"pinnlab: error: {self.prog.split(' ', 1)[-1]}: {text}\n")


def version() -> str:
    """The installed version (package metadata), else ``pinnlab.__version__``."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as metadata_version

    try:
        return metadata_version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a checkout that is not installed
        from . import __version__

        return __version__


def plain(text: str) -> str:
    """Help text without reStructuredText markup (````code```` becomes ``code``)."""
    return re.sub(r"``([^`]*)``", r"\1", text)


def describe(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand below ``parser`` a plain one-sentence description: its own
    first sentence, or its one-line help as a sentence when it has none."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: a.help for a in action._choices_actions}
        for name, child in action.choices.items():
            text = plain(" ".join((child.description or "").split()))
            if not text and helps.get(name):  # a one-line help, as a sentence
                text = " ".join(helps[name].split())
                text = text[0].upper() + text[1:]
            if text:
                child.description = text if text.endswith((".", "!", "?")) else text + "."
            describe(child)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="pinnlab", description="Physics-informed neural networks and PDE "
                    "inverse problems from declarative TOML specs. Run 'pinnlab COMMAND --help' "
                    "for a command's options.")
    parser.add_argument("--version", action="version", version=f"pinnlab {version()}",
                        help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # an optional part not present in this checkout
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.add_parser(sub)
    describe(parser)
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
