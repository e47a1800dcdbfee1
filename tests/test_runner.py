"""pinnlab.runner: in-process, process-pool and Ray runs give the same results; lost workers do not
lose trials; fn's own errors reach the caller unchanged; a dead Ray address fails at once."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pinnlab import runner as runner_mod
from pinnlab.errors import PinnlabError, SpecError
from pinnlab.runner import make_runner

TESTS = str(Path(__file__).resolve().parent)
TRIALS = [{"seed": s, "slope": 1.0 + 0.5 * s, "intercept": -0.3 * s} for s in range(4)]


@pytest.fixture(scope="module")
def rt():
    """The trial functions, importable by spawned and Ray workers (their folder on sys.path)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(TESTS)
        yield importlib.import_module("runner_trials")


@pytest.fixture(scope="module")
def serial(rt):
    """Reference results, computed in this process."""
    return make_runner("local", workers=1).map(rt.fit_line, TRIALS)


@pytest.fixture(scope="module")
def pool(rt):
    with make_runner("local", workers=2) as r:
        yield r


@pytest.fixture(scope="module")
def ray_runner(rt):
    pytest.importorskip("ray")
    with make_runner("ray", workers=2) as r:
        yield r


def test_serial_fit_matches_closed_form_least_squares(rt, serial):
    for trial, (slope, intercept) in zip(TRIALS, serial):
        x, y = map(np.asarray, rt.samples(trial))
        ref = np.linalg.lstsq(np.stack([x, np.ones_like(x)], 1), y, rcond=None)[0]
        np.testing.assert_allclose([slope, intercept], ref, rtol=0, atol=1e-10)
    assert serial[1] != serial[2]


def test_serial_runs_in_this_process_in_order(rt):
    r = make_runner("local", workers=1)
    assert (r.backend, r.workers, type(r).__name__) == ("local", 1, "Runner")
    seen = []
    out = r.map(rt.where, TRIALS, on_result=lambda i, res: seen.append(i))
    assert {pid for pid, _, _ in out} == {os.getpid()} and seen == [0, 1, 2, 3]


def test_pool_matches_serial_one_thread_per_worker(rt, serial, pool):
    assert (pool.backend, pool.workers) == ("local", 2)
    seen = {}
    assert pool.map(rt.fit_line, TRIALS, on_result=seen.__setitem__) == serial
    assert seen == dict(enumerate(serial))
    where = pool.map(rt.where, TRIALS)
    assert os.getpid() not in {pid for pid, _, _ in where}
    assert {(n, omp) for _, n, omp in where} == {(1, "1")}


def test_pool_fn_error_propagates(rt, serial, pool):
    with pytest.raises(ValueError, match="^bad trial 3$") as err:
        pool.map(rt.fails, [dict(TRIALS[3], bad=True)])
    assert type(err.value) is ValueError
    assert pool.map(rt.fit_line, TRIALS[:2]) == serial[:2]  # the pool is still usable


def test_pool_reruns_trial_whose_worker_died(rt, serial, pool, tmp_path):
    marker = tmp_path / "died"
    trials = [dict(t, marker=str(marker) if t["seed"] == 2 else None) for t in TRIALS]
    seen = {}
    assert pool.map(rt.dies_once, trials, on_result=seen.__setitem__) == serial
    assert marker.exists() and seen == dict(enumerate(serial))


def test_pool_gives_up_naming_the_trial(rt, pool, monkeypatch):
    monkeypatch.setattr(pool, "retries", 0)
    trials = [dict(t, die=t["seed"] == 1) for t in TRIALS[:2]]
    with pytest.raises(PinnlabError) as err:
        pool.map(rt.always_dies, trials)
    msg = str(err.value)
    assert "trial 1" in msg and "trials[1]" in msg and "\n" not in msg


def test_ray_matches_serial(rt, serial, ray_runner):
    assert (ray_runner.backend, ray_runner.workers) == ("ray", 2)
    seen = {}
    assert ray_runner.map(rt.fit_line, TRIALS, on_result=seen.__setitem__) == serial
    assert seen == dict(enumerate(serial))
    assert {(n, omp) for _, n, omp in ray_runner.map(rt.where, TRIALS)} == {(1, "1")}


def test_ray_reruns_trial_whose_worker_died(rt, serial, ray_runner, tmp_path):
    marker = tmp_path / "died"
    trials = [dict(t, marker=str(marker) if t["seed"] == 1 else None) for t in TRIALS]
    assert ray_runner.map(rt.dies_once, trials) == serial
    assert marker.exists()


def test_ray_fn_error_propagates(rt, ray_runner):
    bad = [dict(t, bad=t["seed"] == 0) for t in TRIALS]
    with pytest.raises(ValueError, match="^bad trial 0$") as err:
        ray_runner.map(rt.fails, bad)
    assert type(err.value) is ValueError


@pytest.mark.parametrize("address", ["127.0.0.1:1", "ray://127.0.0.1:1", "192.0.2.1:6379"])
def test_dead_ray_address_fails_before_ray_starts(monkeypatch, address):
    ray = pytest.importorskip("ray")

    def no_init(*a, **k):
        raise AssertionError("ray.init reached")

    monkeypatch.setattr(ray, "init", no_init)
    monkeypatch.setattr(runner_mod, "PROBE_TIMEOUT_S", 0.5)  # 192.0.2.1 (TEST-NET) never answers
    with pytest.raises(PinnlabError) as err:
        make_runner("ray", address=address)
    msg = err.value.one_line()
    assert msg.startswith("--address: ") and address in msg and "\n" not in msg


def test_bad_arguments_are_spec_errors():
    for kwargs, key in [({"backend": "slurm"}, "--backend"), ({"workers": 0}, "--workers"),
                        ({"retries": -1}, "--retries"), ({"address": "h:1"}, "--address")]:
        with pytest.raises(SpecError) as err:
            make_runner(**kwargs)
        assert err.value.key == key and "\n" not in str(err.value)


def test_importing_the_runner_loads_neither_ray_nor_torch():
    code = ("import sys, pinnlab, pinnlab.runner; "
            "heavy = sorted({'ray', 'torch'} & set(sys.modules)); assert not heavy, heavy")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
