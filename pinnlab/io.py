"""Files in and out, safely: one module for every byte pinnlab reads from a user's folder or
writes into one.

Writing. Every output goes through :func:`atomic_write`: the bytes land in a temporary file
created exclusively (``O_EXCL``, a fresh random name, never an existing path and never through a
symbolic link) in the destination folder, and are then renamed over the destination. A reader
never sees half a file, a crash never leaves a truncated one, and a symbolic link planted at the
destination or at a temporary name is replaced, never followed. :func:`atomic_json`,
:func:`atomic_npz`, :func:`save_figure` wrap it.

Reading. A data file named inside a spec (observations, a reference, a mechanism) is resolved by
:func:`data_file`: relative to the spec's folder, and it must stay inside that folder (or inside a
folder the user names on the command line) after symbolic links are resolved; it must be a
regular file no larger than ``limit`` bytes. :func:`read_bytes` enforces the same on the open
file descriptor, so a file swapped after the check is still caught. Error messages name the file
and the key, never the file's content.

Output folders. :func:`prepare_output` checks before any training that an output folder can be
created and written, and :class:`OutputLock` keeps a second run from writing into the same folder
at the same time (an advisory ``flock``, released by the OS even after ``kill -9``).
"""

from __future__ import annotations

import io
import json
import os
import stat
import tempfile
from collections.abc import Iterable

from .errors import DataError, SpecError

DATA_LIMIT = 256 * 2**20  # bytes: the largest data file a spec may name
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see the module docstring)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # rename(2) replaces a link at ``path``; it never follows it
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_json(path: str | os.PathLike, data) -> None:
    """``data`` as indented JSON (numpy and torch scalars become floats)."""
    atomic_write(path, json.dumps(data, indent=2, default=float).encode())


def atomic_npz(path: str | os.PathLike, compressed: bool = False, **arrays) -> None:
    """``np.savez`` (or ``savez_compressed``) through :func:`atomic_write`."""
    import numpy as np

    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    atomic_write(path, buf.getvalue())


def atomic_text(path: str | os.PathLike, text: str) -> None:
    atomic_write(path, text.encode())


def save_figure(fig, path: str | os.PathLike, **kwargs) -> None:
    """``fig.savefig`` through :func:`atomic_write`; the format follows the file's suffix."""
    buf = io.BytesIO()
    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".") or "png"
    fig.savefig(buf, format=fmt, **kwargs)
    atomic_write(path, buf.getvalue())


# ---- reading --------------------------------------------------------------------------------
def data_file(name: str, *, base: str, allowed: Iterable[str] = (), file: str | None = None,
              key: str | None = None) -> str:
    """The real path of a data file named ``name`` in a spec whose folder is ``base``.

    ``name`` is relative (an absolute path is refused) and, once every symbolic link is
    resolved, must lie inside ``base`` or one of the folders in ``allowed``; it must be a
    regular file. Errors are :class:`SpecError` naming ``file`` and ``key``.
    """
    if not isinstance(name, str) or not name.strip():
        raise SpecError("a file name is text", file=file, key=key)
    if "\x00" in name:
        raise SpecError("the file name contains a NUL character", file=file, key=key)
    if os.path.isabs(name) or name.startswith("~"):
        raise SpecError("data files are named relative to the spec's folder; absolute paths "
                        "are not accepted", file=file, key=key)
    real = os.path.realpath(os.path.join(base, name))
    roots = [os.path.realpath(base), *(os.path.realpath(a) for a in allowed)]
    if not any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
        raise SpecError(f"{name!r} leads outside the spec's folder; data files must lie inside "
                        "it (or in a folder named with --data-dir)", file=file, key=key)
    try:
        st = os.stat(real)
    except OSError:
        raise SpecError(f"data file {name!r} not found", file=file, key=key) from None
    if not stat.S_ISREG(st.st_mode):
        raise SpecError(f"{name!r} is not a regular file", file=file, key=key)
    return real


def option_file(problem, method: str, name: str, value: str) -> tuple[str, str]:
    """``(path, key)`` of a file a method option names (a trained model to read).

    A value from the spec's ``[training]`` (or ``[training.<method>]``) table is one of the
    spec's data files: it must lie in the spec's folder (:func:`data_file`), so a spec from a
    stranger cannot make pinnlab read elsewhere. A value the caller gave (``solve(...)``,
    ``--option``) is used as given; it must exist.
    """
    own = problem.training.get(method)
    key = (f"training.{method}.{name}" if isinstance(own, dict) and name in own
           else f"training.{name}")
    spec_value = own.get(name) if isinstance(own, dict) and name in own else (
        problem.training.get(name))
    if spec_value and spec_value == value:
        return data_file(value, base=problem.directory, file=problem.source, key=key), key
    if not os.path.isfile(value):
        raise SpecError(f"no such file: {value[:200]!r}", key=name)
    return value, name


def read_bytes(path: str, *, limit: int = DATA_LIMIT, file: str | None = None,
               key: str | None = None) -> bytes:
    """The content of the regular file ``path``, at most ``limit`` bytes (else an error)."""
    label = file or path
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except FileNotFoundError:
        raise DataError("file not found", file=label, key=key) from None
    except IsADirectoryError:
        raise DataError("is a folder, not a file", file=label, key=key) from None
    except OSError as exc:
        raise DataError(f"cannot open: {exc.strerror}", file=label, key=key) from None
    st = os.fstat(fd)
    problem = ("is a folder, not a file" if stat.S_ISDIR(st.st_mode) else
               "is not a regular file" if not stat.S_ISREG(st.st_mode) else
               f"file of {st.st_size} bytes exceeds the limit of {limit} bytes"
               if st.st_size > limit else "")
    if problem:
        os.close(fd)
        raise DataError(problem, file=label, key=key)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise DataError(f"file exceeds the limit of {limit} bytes", file=label, key=key)
    return data


def read_text(path: str, *, limit: int = DATA_LIMIT, file: str | None = None,
              key: str | None = None) -> str:
    """:func:`read_bytes` decoded as UTF-8 (a file that is not UTF-8 is an error)."""
    data = read_bytes(path, limit=limit, file=file, key=key)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start})", file=file or path,
                        key=key) from None


# ---- output folders -----------------------------------------------------------------------
def prepare_output(out: str, *, key: str = "--out") -> str:
    """Create the output folder ``out`` if needed and check that files can be written there.

    Raises :class:`SpecError` (before any training) when ``out`` is empty, a file, cannot be
    created, or is not writable.
    """
    out = os.fspath(out)
    if not out.strip():
        raise SpecError("the output folder name is empty", key=key)
    if os.path.lexists(out) and not os.path.isdir(out):
        raise SpecError(f"output folder {out!r} exists and is not a folder", key=key)
    try:
        os.makedirs(out, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".pinnlab-write-test.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise SpecError(f"cannot write into output folder {out!r}: {exc.strerror}",
                        key=key) from None
    return out


def check_output_file(path: str, *, key: str = "--out") -> str:
    """An output file path that can be written later: its folder exists, and it is not a
    folder itself (checked before any work)."""
    path = os.fspath(path)
    if not path.strip():
        raise SpecError("the output file name is empty", key=key)
    if os.path.isdir(path):
        raise SpecError(f"{path!r} is a folder; give a file name", key=key)
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise SpecError(f"the folder of {path!r} does not exist", key=key)
    return path


class OutputLock:
    """Exclusive use of an output folder for the lifetime of a run (``with OutputLock(out):``).

    A second run on the same folder fails at once with a :class:`SpecError` instead of mixing
    its files with the first's. The lock is an advisory ``flock`` on the folder itself (no file
    is created); the operating system releases it when the process ends, however it ends.
    """

    def __init__(self, out: str, key: str = "--out"):
        self.out, self.key, self.fd = out, key, None

    def __enter__(self) -> OutputLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no locking
            return self
        try:
            self.fd = os.open(self.out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError as exc:
            raise SpecError(f"cannot lock output folder {self.out!r}: {exc.strerror}",
                            key=self.key) from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            self.fd = None
            raise SpecError(f"output folder {self.out!r} is in use by another pinnlab run; "
                            "wait for it or choose another --out", key=self.key) from None
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
