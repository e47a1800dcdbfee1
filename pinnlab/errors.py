"""Errors a user can act on.

Every error raised because of bad input derives from :class:`PinnlabError`. The CLI prints such an
error as one line (``pinnlab: error: <file>: <key>: <message>``) and exits with code 2, without a
traceback. Library users catch :class:`PinnlabError`.
"""

from __future__ import annotations


class PinnlabError(Exception):
    """Base class of all user-facing errors.

    Args:
        message: what is wrong and, where possible, how to fix it.
        file: the file the bad input came from (a spec, a CSV, a mechanism), if any.
        key: the dotted key inside that file (``equations.burgers``, ``observations.csv:u``).
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
        self.message = message
        self.file = file
        self.key = key
        super().__init__(self.one_line())

    def one_line(self) -> str:
        parts = [p for p in (self.file, self.key) if p]
        where = ": ".join(parts)
        text = " ".join(self.message.split())
        return f"{where}: {text}" if where else text


class SpecError(PinnlabError):
    """A problem spec (TOML or Python) is malformed or inconsistent."""


class DataError(PinnlabError):
    """Observations or other data are unusable: NaN, outside the domain, wrong columns."""


class DivergenceError(PinnlabError):
    """Training diverged (NaN or blow-up of the loss); the best checkpoint is kept."""


class MissingDependency(PinnlabError):
    """An optional package a feature needs is not installed."""


def optional_import(module: str, extra: str):
    """Import ``module`` or raise :class:`MissingDependency` naming the pip extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(f"{module} is not installed; pip install "
                                f"'pinnlab-sciml[{extra}]' (the distribution of pinnlab)",
                                key=module) from None
