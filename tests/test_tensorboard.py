"""``solve(..., tensorboard=True)`` / ``--tensorboard``: every logged history row is written
live as TensorBoard scalars, equal to ``history.csv``; a missing package or output folder is
refused before anything is written."""

from __future__ import annotations

import csv

import pytest

import pinnlab
from pinnlab.errors import MissingDependency, SpecError
from pinnlab.testing import hide_module

pytest.importorskip("tensorboard")
SMALL = dict(adam_steps=120, lbfgs_steps=0, residual_points=64, boundary_points=16,
             initial_points=16, width=8, depth=1, compile=False, progress=False)


def test_scalars_equal_the_history(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "run"
    pinnlab.solve("problems/burgers_inverse.toml", out=str(out), tensorboard=True, **SMALL)
    with open(out / "history.csv") as fh:
        rows = list(csv.DictReader(fh))
    events = EventAccumulator(str(out / "tensorboard"))
    events.Reload()
    for key in ("loss", "nu"):
        logged = {e.step: e.value for e in events.Scalars(key)}
        expected = {int(r["step"]): float(r[key]) for r in rows if int(r["step"]) % 50 == 0}
        assert set(expected) == {0, 50, 100} and set(expected) <= set(logged)
        for step, value in expected.items():  # TensorBoard stores float32
            assert logged[step] == pytest.approx(value, rel=1e-6)


def test_refusals_write_nothing(tmp_path, monkeypatch):
    with pytest.raises(SpecError, match="output folder"):
        pinnlab.solve("problems/burgers.toml", tensorboard=True, **SMALL)
    hide_module(monkeypatch, "tensorboard")
    out = tmp_path / "never"
    with pytest.raises(MissingDependency, match=r"pinnlab-sciml\[tensorboard\]"):
        pinnlab.solve("problems/burgers.toml", out=str(out), tensorboard=True, **SMALL)
    assert not out.exists()
