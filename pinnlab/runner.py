"""One runner for many independent trainings: bandit rounds, parameter sweeps.

``make_runner`` returns a :class:`Runner` whose ``map(fn, trials)`` calls ``fn(trial)`` for every
trial dict and returns the results in trial order, calling ``on_result(i, result)`` in the calling
process as each trial finishes. Three ways to run, one interface:

- ``make_runner("local", workers=1)``: in this process, one trial after the other (no subprocess).
- ``make_runner("local", workers=n)``: a pool of ``n`` spawned processes, one torch thread each.
- ``make_runner("ray", workers=n)`` (a local Ray instance with ``n`` CPUs) or
  ``make_runner("ray", address="host:6379")`` (an existing cluster). Ray is imported only here.

``fn`` must be a module-level function and the trials picklable: the workers import ``fn`` by its
module name. Spawned and local-Ray workers see this process's ``sys.path``; a remote Ray cluster
needs the module installed on its nodes. A worker that dies mid-trial (killed, ``os._exit``, out of
memory) does not lose the trial: it is run again, up to ``retries`` times, then a one-line
:class:`~pinnlab.errors.PinnlabError` names it. An exception raised by ``fn`` itself is not retried:
it reaches the caller with its own type and message.
"""

from __future__ import annotations

import os
import socket
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .errors import PinnlabError, SpecError

BACKENDS = ("local", "ray")
PROBE_TIMEOUT_S = 3.0

OnResult = Callable[[int, Any], None] | None


def _one_thread() -> None:
    """Limit this (worker) process to one torch/OpenMP thread."""
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


class Runner:
    """Runs ``fn(trial)`` for a list of trials; use :func:`make_runner` to build one.

    Attributes:
        backend: ``"local"`` or ``"ray"``.
        workers: how many trials run at the same time.
        retries: how many times a trial whose worker died is run again.
    """

    backend: str = "local"

    def __init__(self, workers: int, retries: int):
        self.workers = workers
        self.retries = retries

    def map(self, fn: Callable[[dict], Any], trials: list[dict], *,
            on_result: OnResult = None) -> list[Any]:
        """Return ``[fn(t) for t in trials]``; ``on_result(i, result)`` is called as each ends."""
        results = []
        for i, trial in enumerate(trials):
            results.append(fn(trial))
            if on_result is not None:
                on_result(i, results[-1])
        return results

    def close(self) -> None:
        """Release the workers (nothing to release when running in-process)."""

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(backend={self.backend!r}, workers={self.workers})"


def _lost(i: int, attempts: int, retries: int, how: str, fn: Callable) -> PinnlabError:
    name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}"
    return PinnlabError(f"trial {i}: its worker died {attempts} times ({how}); gave up after "
                        f"{retries} retries (if workers die at once, check that {name} can be "
                        "imported in a fresh process)", key=f"trials[{i}]")


class _PoolRunner(Runner):
    """Local process pool ("spawn" start method) that survives the loss of a worker."""

    def __init__(self, workers: int, retries: int):
        super().__init__(workers, retries)
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing

            self._pool = ProcessPoolExecutor(self.workers, initializer=_one_thread,
                                             mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def _drop_pool(self) -> None:
        """Stop the pool now: queued trials are cancelled, running workers terminated."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if hasattr(pool, "terminate_workers"):  # Python >= 3.14
            pool.terminate_workers()
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def map(self, fn: Callable[[dict], Any], trials: list[dict], *,
            on_result: OnResult = None) -> list[Any]:
        """Run the trials on the pool, at most ``workers`` at a time, re-running lost ones.

        Only the trials running when a worker died are charged an attempt (the pool kills all its
        workers when one dies, so those running beside it are run again too). When ``fn`` raises,
        trials still running are stopped (their workers terminated) and the error is re-raised.
        """
        results: list[Any] = [None] * len(trials)
        attempts = [0] * len(trials)
        todo = deque(range(len(trials)))
        running: dict[Future, int] = {}

        def collect(finished: set[Future]) -> list[int]:
            lost = []
            for fut in finished:
                i = running.pop(fut)
                try:
                    results[i] = fut.result()
                except BrokenProcessPool:
                    lost.append(i)
                    continue
                if on_result is not None:
                    on_result(i, results[i])
            return lost

        try:
            while todo or running:
                pool, broken = self._get_pool(), False
                try:
                    while todo and len(running) < self.workers:
                        running[pool.submit(fn, trials[todo[0]])] = todo[0]
                        todo.popleft()
                except BrokenProcessPool:
                    broken = True
                lost = collect(wait(running, return_when=FIRST_COMPLETED)[0]) if running else []
                if lost or broken:  # a broken pool fails everything still running in it at once
                    lost += collect(wait(running)[0])
                    self._drop_pool()
                    for i in sorted(lost, reverse=True):
                        attempts[i] += 1
                        if attempts[i] > self.retries:
                            raise _lost(i, attempts[i], self.retries, "process pool", fn)
                        todo.appendleft(i)
        except BaseException:
            if any(not fut.done() for fut in running):  # stop the rest of this map
                self._drop_pool()
            raise
        return results

    def close(self) -> None:
        """Shut the pool down (waits for nothing: after ``map`` no trial is running)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)


def _ray_call(fn: Callable[[dict], Any], trial: dict) -> Any:
    """Body of every Ray task: one torch thread, then the trial."""
    _one_thread()
    return fn(trial)


def _probe(address: str) -> None:
    """Fail fast, with a one-line error, when nothing answers at ``host:port``."""
    target = address.split("://", 1)[-1]
    host, sep, port = target.rpartition(":")
    if not sep:  # "auto", "local": ray.init resolves these itself
        return
    if not port.isdigit():
        raise SpecError(f"Ray address {address!r} is not HOST:PORT", key="--address")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError as exc:
        why = exc.strerror or exc
        raise PinnlabError(f"no Ray cluster answers at {address} ({why}); start one with "
                           "`ray start --head` or fix the address", key="--address") from None


class _RayRunner(Runner):
    """Trials as Ray tasks (``num_cpus=1``, ``max_retries=retries`` for lost workers)."""

    backend = "ray"

    def __init__(self, workers: int | None, retries: int, address: str | None):
        import logging

        if address is not None:
            _probe(address)
        import ray

        self._owns = not ray.is_initialized()
        kwargs: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False,
                                      ignore_reinit_error=True, logging_level=logging.ERROR)
        if address is None:  # a new local instance; its workers see this process's sys.path
            env = {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "OMP_NUM_THREADS": "1"}
            kwargs.update(address="local", num_cpus=workers or os.cpu_count() or 1,
                          runtime_env={"env_vars": env})
        else:
            kwargs.update(address=address)
        try:
            ray.init(**kwargs)
        except ConnectionError as exc:
            raise PinnlabError(f"cannot join the Ray cluster at {address}: {exc}",
                               key="--address") from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        super().__init__(workers or cpus, retries)
        self._task = ray.remote(num_cpus=1, max_retries=retries)(_ray_call)

    def map(self, fn: Callable[[dict], Any], trials: list[dict], *,
            on_result: OnResult = None) -> list[Any]:
        """Submit every trial as a task; collect them as they finish."""
        import ray
        from ray.exceptions import RayError, RayTaskError

        fn_ref = ray.put(fn)
        refs = {self._task.remote(fn_ref, t): i for i, t in enumerate(trials)}
        results: list[Any] = [None] * len(trials)
        try:
            waiting = list(refs)
            while waiting:
                done, waiting = ray.wait(waiting, num_returns=1)
                i = refs[done[0]]
                try:
                    results[i] = ray.get(done[0])
                except RayTaskError as exc:  # fn raised: hand back its own exception
                    cause = getattr(exc, "cause", None)
                    if isinstance(cause, BaseException):
                        raise cause from None
                    raise
                except RayError as exc:
                    raise _lost(i, self.retries + 1, self.retries, type(exc).__name__,
                                fn) from None
                if on_result is not None:
                    on_result(i, results[i])
        except BaseException:
            for ref in refs:
                ray.cancel(ref, force=True)
            raise
        return results

    def close(self) -> None:
        """Shut down the Ray instance (or disconnect from the cluster) if this runner began it."""
        import ray

        if self._owns and ray.is_initialized():
            ray.shutdown()
        self._owns = False


def make_runner(backend: str = "local", *, workers: int | None = None, address: str | None = None,
                retries: int = 2) -> Runner:
    """Build the runner for ``backend``.

    Args:
        backend: ``"local"`` (in-process for one worker, else a spawned process pool) or ``"ray"``.
        workers: trials at a time; ``None`` means ``os.cpu_count()`` (for Ray with ``address``:
            the cluster's CPUs).
        address: Ray only: ``HOST:PORT`` of a running cluster; ``None`` starts a local instance.
        retries: how many times a trial whose worker died is run again.

    Raises:
        SpecError: unknown backend, ``workers < 1``, ``retries < 0``, an address for ``local``.
        PinnlabError: nothing answers at ``address`` (checked within a few seconds).
    """
    if backend not in BACKENDS:
        raise SpecError(f"unknown runner backend {backend!r}; choose one of {', '.join(BACKENDS)}",
                        key="--backend")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)
                                or workers < 1):
        raise SpecError(f"workers must be a positive integer, got {workers!r}", key="--workers")
    if retries < 0:
        raise SpecError(f"retries must be >= 0, got {retries!r}", key="--retries")
    if backend == "ray":
        return _RayRunner(workers, retries, address)
    if address is not None:
        raise SpecError("an address needs the ray backend (--backend ray)", key="--address")
    n = workers if workers is not None else os.cpu_count() or 1
    return Runner(1, retries) if n == 1 else _PoolRunner(n, retries)
