"""Output folders of ``pinnlab solve``: what is written for a later reload, and the reload.

A solve with an output folder writes, besides the figures and ``solution.npz``:

* ``spec.toml``: a copy of the spec's text, taken when the run starts (:func:`spec_record`);
  ``metrics.json`` records under ``spec`` where the original lay (its data files are read from
  there again), the problem's name and every known parameter value (``--set`` included);
* ``history.csv``: every logged step, one column per number (:func:`write_history`);
* ``checkpoint.pt``: the trainer's safe checkpoint (:mod:`pinnlab.checkpoint`).

:func:`load_result` rebuilds the method's model from ``spec.toml`` and the options in
``metrics.json``, and loads its weights from ``checkpoint.pt`` with the safe loader (checksum,
``weights_only``, identity: the checkpoint must belong to this spec, method and options).
Nothing in the folder is executed. Every refusal is one line naming the file.
"""

from __future__ import annotations

import csv
import io
import json
import os

from .errors import PinnlabError, SpecError
from .io import atomic_text, read_text

SPEC_COPY = "spec.toml"
METRICS_LIMIT = 16 * 2**20  # bytes


def spec_record(plan, out: str) -> dict:
    """Copy the spec of ``plan`` into ``out/spec.toml`` (atomically) and return what a reload
    needs besides it (stored in ``metrics.json`` under ``spec``). A problem built in Python
    (no spec file) gets no copy; its record says so (``file`` is ``None``)."""
    from .spec.toml import SPEC_LIMIT

    problem = plan.problem
    known = {k: p.value for k, p in problem.parameters.items() if p.value is not None}
    source = os.path.abspath(problem.source) if os.path.isfile(problem.source) else problem.source
    record = {"file": None, "source": source, "directory": os.path.abspath(problem.directory),
              "name": problem.name, "parameters": known}
    if os.path.isfile(problem.source):
        text = read_text(problem.source, limit=SPEC_LIMIT, file=problem.source)
        atomic_text(os.path.join(out, SPEC_COPY), text)
        record["file"] = SPEC_COPY
    return record


def write_history(path: str, history: list[dict]) -> None:
    """``history`` as CSV: a header row, then one row of numbers per logged step (``step``,
    ``loss``, each loss term, each unknown parameter, ``wall_s``, monitored numbers; a value a
    row lacks is left empty). Text entries (the phase's name) are left out."""
    columns = [k for k in dict.fromkeys(k for row in history for k in row)
               if any(_number(row.get(k)) for row in history)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in history:
        writer.writerow([_text(row.get(k)) for k in columns])
    atomic_text(path, buf.getvalue())


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _text(v) -> str:
    """A number as CSV text that reads back exactly (``repr``); anything else as empty."""
    if not _number(v):
        return ""
    return str(v) if isinstance(v, int) else repr(float(v))


def load_result(folder: str | os.PathLike, *, data_dirs: tuple[str, ...] = ()):
    """The :class:`~pinnlab.result.Result` saved in ``folder`` by a finished solve, with a
    working ``predict`` (on the CPU; ``history`` and ``metrics`` as saved).

    Data files the spec names (observations, a reference file) are read from the original
    spec's folder, or from ``folder`` when that no longer exists, or from ``data_dirs``.

    Raises:
        SpecError: the folder, ``metrics.json`` or ``spec.toml`` is missing or unreadable,
            or the run was solved from a problem built in Python.
        DataError: ``checkpoint.pt`` is missing, corrupt or belongs to another run.
    """
    import torch

    from . import checkpoint
    from .methods import METHODS
    from .options import build
    from .result import Result
    from .spec.toml import from_dict, read_toml

    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise SpecError("no such output folder (give the --out folder of a finished solve)",
                        file=folder)
    metrics = _read_metrics(os.path.join(folder, "metrics.json"))
    label = os.path.join(folder, "metrics.json")
    record, method = metrics["spec"], metrics["method"]
    if record.get("file") != SPEC_COPY:
        raise SpecError("the run was solved from a problem built in Python (no spec.toml); "
                        "it cannot be reloaded from its folder", file=label, key="spec")
    spec = os.path.join(folder, SPEC_COPY)
    if not os.path.lexists(spec):
        raise SpecError("missing: the copy of the spec this run was solved from", file=spec)
    directory = record.get("directory")
    if not isinstance(directory, str) or not os.path.isdir(directory):
        directory = folder
    problem = from_dict(read_toml(spec), source=spec, directory=directory,
                        data_dirs=tuple(data_dirs))
    if isinstance(record.get("name"), str):
        problem.name = record["name"]
    problem = problem.with_parameters(_floats(record.get("parameters"), label))
    if method not in METHODS:
        raise SpecError(f"unknown method {method!r}", file=label, key="method")
    entry = METHODS[method]
    module = entry.load()
    cfg = build(module.options, metrics["config"], source=label, spec_keys={
        k: f"config.{k}" for k in metrics["config"]})
    identity = {"problem": problem.fingerprint(), "method": module.__name__,
                "options": cfg.identity()}
    payload = checkpoint.load(os.path.join(folder, "checkpoint.pt"), kind="trainer",
                              identity=identity)
    dtype = getattr(torch, cfg.dtype)
    model = build_model(module.__name__, problem, cfg, int(metrics.get("seed", 0)))
    try:
        model.load_state_dict(payload["module"])
        history = list(payload["state"]["history"])
    except (KeyError, TypeError, ValueError, RuntimeError):
        raise SpecError("the checkpoint does not fit the model of this spec and options",
                        file=os.path.join(folder, "checkpoint.pt")) from None
    model.eval()
    return Result(problem, method, model, metrics, history, dtype=dtype, device="cpu",
                  module=model)


class TensorBoardLog:
    """``on_row`` for the trainer: every logged row's numbers as TensorBoard scalars in
    ``folder/tensorboard`` (``loss``, each term, each parameter estimate; x-axis: the step).
    Needs the ``tensorboard`` package (``pip install 'pinnlab-sciml[tensorboard]'``)."""

    def __init__(self, folder: str):
        from .errors import optional_import

        optional_import("tensorboard", "tensorboard")
        from torch.utils.tensorboard import SummaryWriter  # noqa: I001 (needs tensorboard)

        self.writer = SummaryWriter(os.path.join(folder, "tensorboard"))

    def __call__(self, row: dict) -> None:
        for key, value in row.items():
            if key != "step" and isinstance(value, (int, float)):
                self.writer.add_scalar(key, value, row["step"])

    def close(self) -> None:
        self.writer.close()


def build_model(module: str, problem, cfg, seed: int = 0):
    """A fresh model of the method implemented by ``module`` (its weights then loaded from a
    checkpoint): the module's ``build_model(problem, cfg, generator)``."""
    import importlib

    import torch

    from .methods.pinn import _default_dtype

    own = getattr(importlib.import_module(module), "build_model", None)
    if own is None:
        raise PinnlabError(f"method module {module} cannot rebuild its model (it has no "
                           "build_model)", key="method")
    dtype = getattr(torch, cfg.dtype)
    with _default_dtype(dtype):
        return own(problem, cfg, torch.Generator().manual_seed(seed)).to(dtype=dtype)


def _read_metrics(path: str) -> dict:
    """``metrics.json`` of a finished solve, checked for what a reload reads."""
    try:
        metrics = json.loads(read_text(path, limit=METRICS_LIMIT, file=path))
    except PinnlabError as exc:
        raise SpecError(exc.message, file=path) from None
    except ValueError:
        raise SpecError("not valid JSON", file=path) from None
    if not isinstance(metrics, dict):
        raise SpecError("not a table of metrics", file=path)
    for key, kind in (("method", str), ("config", dict), ("spec", dict)):
        if not isinstance(metrics.get(key), kind):
            why = ("written by an older pinnlab, before runs could be reloaded"
                   if key == "spec" else f"a {kind.__name__} is expected")
            raise SpecError(f"{key!r} missing or malformed ({why})", file=path, key=key)
    return metrics


def _floats(values, label: str) -> dict[str, float]:
    if not isinstance(values, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values.values()):
        raise SpecError("the known parameter values are malformed", file=label,
                        key="spec.parameters")
    return {str(k): float(v) for k, v in values.items()}
