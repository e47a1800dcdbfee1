"""Checkpoint files: one format, one safe loader, for every model pinnlab saves.

A checkpoint file is::

    PINNLAB-CHECKPOINT\\n
    {"format": 1, "kind": ..., "identity": {...}, "size": N, "sha256": "..."}\\n
    <N bytes written by torch.save>

* The payload holds plain values only (tensors, numbers, strings, lists, tuples, dicts) and is
  read with ``torch.load(..., weights_only=True)``, which refuses anything else: a crafted file
  cannot run code.
* ``size`` and ``sha256`` are checked before the payload is unpickled at all: a truncated or
  corrupted file (a flipped byte anywhere) is refused.
* ``kind`` names what saved it (``pinn``, ``prior``, ``anp``, ...), and ``identity`` what it
  belongs to (the problem's fingerprint, the method, the options that shape the model). Loading
  with an ``identity`` refuses a checkpoint of another problem, method or width and names the
  first difference.

Every refusal is a :class:`~pinnlab.errors.DataError` naming the file and the key
(``checkpoint`` unless the caller names the command-line flag).
"""

from __future__ import annotations

import hashlib
import io
import json
import os

from .errors import DataError
from .io import atomic_write, read_bytes

MAGIC = b"PINNLAB-CHECKPOINT\n"
FORMAT = 1
LIMIT = 2 * 2**30  # bytes


def save(path: str | os.PathLike, payload: dict, *, kind: str, identity: dict | None = None
         ) -> None:
    """Write ``payload`` (plain values only) atomically to ``path``."""
    import torch

    buf = io.BytesIO()
    torch.save(payload, buf)
    body = buf.getvalue()
    header = {"format": FORMAT, "kind": kind, "identity": identity or {}, "size": len(body),
              "sha256": hashlib.sha256(body).hexdigest()}
    atomic_write(path, MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n" + body)


def load(path: str | os.PathLike, *, kind: str | tuple[str, ...],
         identity: dict | None = None, map_location="cpu", key: str = "checkpoint") -> dict:
    """The payload of the checkpoint at ``path``, after every check in the module docstring.

    Args:
        kind: the kind (or kinds) the caller can use.
        identity: when given, the checkpoint's identity must equal it.
        map_location: where tensors are placed (``torch.load``'s argument).
        key: the key named in error messages.
    """
    import torch

    path = os.fspath(path)
    header, body = _split(path, key)
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    if header.get("kind") not in kinds:
        raise DataError(f"a checkpoint of kind {header.get('kind')!r}, not "
                        f"{' or '.join(map(repr, kinds))}", file=path, key=key)
    if identity is not None:
        diff = _difference(header.get("identity") or {}, json.loads(json.dumps(identity)))
        if diff:
            raise DataError(f"belongs to another run: {diff}; start afresh or use another "
                            "output folder", file=path, key=key)
    try:
        payload = torch.load(io.BytesIO(body), map_location=map_location, weights_only=True)
    except Exception:  # any unpickling refusal or failure: one message, no content echoed
        raise DataError("payload is not plain tensors and values (refused)", file=path,
                        key=key) from None
    if not isinstance(payload, dict):
        raise DataError("payload is not a table of values", file=path, key=key)
    return payload


def _split(path: str, key: str) -> tuple[dict, bytes]:
    if os.path.isdir(path):
        raise DataError("is a folder, not a checkpoint file", file=path, key=key)
    data = read_bytes(path, limit=LIMIT, file=path, key=key)
    if not data.startswith(MAGIC):
        raise DataError("not a pinnlab checkpoint (unknown or older format)", file=path, key=key)
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + 65536)
    try:
        header = json.loads(data[len(MAGIC):end]) if end > 0 else None
    except (ValueError, UnicodeDecodeError):
        header = None
    if not isinstance(header, dict) or not isinstance(header.get("size"), int):
        raise DataError("corrupt checkpoint header", file=path, key=key)
    if header.get("format") != FORMAT:
        raise DataError(f"checkpoint format {header.get('format')!r} is not {FORMAT}",
                        file=path, key=key)
    body = data[end + 1:]
    if len(body) != header["size"]:
        raise DataError(f"truncated or padded checkpoint ({len(body)} of {header['size']} "
                        "bytes)", file=path, key=key)
    if hashlib.sha256(body).hexdigest() != header.get("sha256"):
        raise DataError("corrupt checkpoint (checksum mismatch)", file=path, key=key)
    return header, body


def _difference(saved: dict, wanted: dict, prefix: str = "") -> str:
    """The first key where two identities differ, in words; '' when equal."""
    keys = sorted(set(saved) | set(wanted), key=lambda k: (k != "problem", k))
    for k in keys:
        a, b = saved.get(k), wanted.get(k)
        if isinstance(a, dict) and isinstance(b, dict):
            inner = _difference(a, b, f"{prefix}{k}.")
            if inner:
                return inner
        elif a != b:
            if k == "problem":
                return "it was written for another problem spec"
            return f"{prefix}{k} is {_short(a)} there, {_short(b)} here"
    return ""


def _short(v) -> str:
    text = json.dumps(v)
    return text if len(text) <= 40 else text[:37] + "..."
