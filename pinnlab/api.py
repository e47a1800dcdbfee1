"""The public entry points: :func:`load`, :func:`prepare` and :func:`solve`.

:func:`prepare` is the one validation path: it checks the problem, the method, every option,
the seed and the device, and the method's own rules, without training. ``pinnlab check`` runs
it; :func:`solve` runs it first, so nothing trains on input that ``check`` would refuse.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from .errors import DataError, SpecError
from .options import Options, build, scoped
from .result import Result
from .spec.problem import Problem

MAX_SEED = 2**63 - 1


def load(path: str | os.PathLike, *, data_dirs: tuple[str, ...] = ()) -> Problem:
    """Read and validate a TOML problem spec (see ``docs/spec.md``); data files it names must
    lie in its folder or in one of ``data_dirs``."""
    from .spec.toml import load as _load

    return _load(path, data_dirs=data_dirs)


@dataclass
class Plan:
    """A validated solve, ready to train: the problem, the method and its options."""

    problem: Problem
    method: str
    module: ModuleType
    config: Options
    seed: int
    device: str

    def identity(self) -> dict:
        """What a checkpoint of this solve belongs to."""
        return {"problem": self.problem.fingerprint(), "method": self.module.__name__,
                "options": self.config.identity()}


def prepare(problem: Problem | str | os.PathLike, method: str = "pinn", *,
            options: dict | None = None, seed: int = 0, device: str = "cpu",
            parameters: dict[str, float] | None = None, option_key: str = "options",
            quick: bool = False) -> Plan:
    """Validate everything a solve needs; raise a :class:`~pinnlab.errors.PinnlabError`
    naming the file and key of the first problem found.

    ``option_key`` is how option errors name an override; ``--option`` (the command line)
    also names ``--method``, ``--seed`` and ``--device`` by their flags. ``quick`` shrinks the
    budget (:mod:`pinnlab.quick`); ``options`` still win.
    """
    from .methods import METHODS

    flag = "--" if option_key.startswith("--") else ""
    if not isinstance(problem, Problem):
        problem = load(problem)
    if parameters:
        problem = problem.with_parameters(parameters)
    if method not in METHODS:
        raise SpecError(f"unknown method {method!r} (known: {', '.join(sorted(METHODS))})",
                        key=f"{flag}method")
    check_seed(seed, key=f"{flag}seed")
    device = check_device(device, key=f"{flag}device")
    entry = METHODS[method]
    module = entry.load()
    known = {name: m.load().options for name, m in METHODS.items()}
    spec_options, keys = scoped(problem.training, method, module.options, known,
                                source=problem.source)
    cfg = build(module.options, spec_options, {**entry.preset, **(options or {})},
                source=problem.source, override_key=option_key, spec_keys=keys)
    if quick:
        from .quick import quick_overrides

        fast = quick_overrides(cfg, [*entry.preset, *(options or {})])
        cfg = build(module.options, spec_options, {**entry.preset, **fast, **(options or {})},
                    source=problem.source, override_key=option_key, spec_keys=keys)
    if getattr(cfg, "optimizer", "adam") == "soap":  # before anything is written
        from .errors import optional_import

        optional_import("pytorch_optimizer", "soap")
    if getattr(cfg, "quasi_newton", None) == "lm" and not getattr(module, "residual_rows", 0):
        from .stages import refuse_lm

        refuse_lm(method, problem.source)
    module.check(problem, cfg)
    return Plan(problem, method, module, cfg, int(seed), device)


def solve(problem: Problem | str | os.PathLike, method: str = "pinn", *, seed: int = 0,
          device: str = "cpu", out: str | None = None, resume: bool = False,
          progress: bool = True, parameters: dict[str, float] | None = None,
          evaluate: bool = True, monitor: Callable | None = None,
          option_key: str = "options", quick: bool | None = None, threads: int | None = None,
          tensorboard: bool = False, **options) -> Result:
    """Train ``method`` on ``problem`` and return a :class:`Result`.

    Args:
        problem: a :class:`Problem` or the path of a TOML spec.
        method: ``pinn`` (default) or another registered method (``pinnlab.methods.METHODS``).
        seed: seeds every random choice (network init, points); same seed, same numbers.
        device: ``cpu`` or ``cuda`` (one code path for both).
        out: folder for the checkpoint and, after training, ``metrics.json``,
            ``solution.npz``, ``loss.png``, ``solution.png``. It is locked for the run.
        resume: continue from ``out/checkpoint.pt`` (it must exist and belong to this
            problem, method and options; budgets may grow).
        parameters: known values overriding the spec's parameters (``--set beta=50``).
        evaluate: compare with the spec's reference solution (``metrics['rel_l2']``); the
            reference is computed before training, so a failing reference costs no training.
        monitor: ``monitor(model) -> {name: float}`` numbers added to the history.
        quick: a short run (fewer steps and points, no compilation; see
            :mod:`pinnlab.quick`); ``None`` (default) follows ``PINNLAB_QUICK=1``.
        threads: CPU threads for the run; ``None`` (default): one for steps below
            4096 residual points, else the idle cores (:mod:`pinnlab.threads`).
        tensorboard: also log every history row live to ``out/tensorboard`` (TensorBoard
            scalars; needs ``out`` and the ``tensorboard`` package).
        **options: method options overriding the spec's ``[training]`` table, e.g.
            ``adam_steps=2000, lbfgs_steps=0, dtype="float32", causal=True``; they win over
            ``quick``.

    With ``out``, the folder also gets ``history.csv``, ``parameters.png`` (unknown
    parameters) and ``spec.toml`` (a copy of the spec), from which :func:`load_result`
    reloads the result later.
    """
    from .io import OutputLock, prepare_output
    from .methods.exactness import report as condition_report
    from .quick import enabled
    from .reference import reference_solution
    from .rundir import spec_record
    from .threads import choose as choose_threads
    from .threads import using as using_threads
    from .train import RunContext

    quick = enabled(quick)
    plan = prepare(problem, method, options=options, seed=seed, device=device,
                   parameters=parameters, option_key=option_key, quick=quick)
    problem = plan.problem
    conditions = condition_report(problem, plan.module.__name__, plan.config)
    reference = reference_solution(problem) if evaluate else None
    if tensorboard:  # refused before anything is written
        from .errors import optional_import

        if out is None:
            raise SpecError("the TensorBoard log goes into the output folder: give one",
                            key="--tensorboard")
        optional_import("tensorboard", "tensorboard")
    ctx = RunContext(method=method, seed=plan.seed, device=plan.device, out=out,
                     resume=resume, progress=progress, identity=plan.identity(),
                     monitor=monitor, source=problem.source)

    n_threads = choose_threads(threads, getattr(plan.config, "residual_points", 0),
                               plan.device)

    def train() -> Result:
        try:
            with using_threads(n_threads):
                result = plan.module.run(problem, plan.config, ctx)
        finally:
            if ctx.on_row is not None:
                ctx.on_row.close()
        result.metrics.update(quick=quick, conditions=conditions, threads=n_threads)
        result.reference = reference
        if reference is not None:
            result.evaluate()
        return result

    if out is None:
        if resume:
            raise SpecError("resume needs an output folder with a checkpoint", key="--resume")
        return train()
    prepare_output(out)
    with OutputLock(out):
        if resume:
            from . import checkpoint

            path = os.path.join(out, "checkpoint.pt")
            if not os.path.lexists(path):
                raise DataError("no checkpoint.pt in the output folder to resume from",
                                file=out, key="--resume")
            checkpoint.load(path, kind="trainer", identity=ctx.identity)  # refuse before work
        record = spec_record(plan, out)  # spec.toml, before training: the spec as it is now
        if tensorboard:
            from .rundir import TensorBoardLog

            ctx.on_row = TensorBoardLog(out)
        result = train()
        result.metrics["spec"] = record
        result.save(out)
    return result


def load_result(folder: str | os.PathLike, *, data_dirs: tuple[str, ...] = ()) -> Result:
    """Reload the :class:`Result` of a finished ``pinnlab solve`` (or ``solve(out=...)``)
    from its output folder, so that ``predict`` works again (see :mod:`pinnlab.rundir`)."""
    from .rundir import load_result as _load_result

    return _load_result(folder, data_dirs=data_dirs)


def check_seed(seed, key: str = "seed") -> int:
    """A seed is a whole number in ``[0, 2**63 - 1]``."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise SpecError(f"seed must be a whole number from 0 to {MAX_SEED}, got {seed!r}",
                        key=key)
    return seed


def check_device(device, key: str = "device") -> str:
    """``cpu``, ``cuda`` or ``cuda:N`` of an available GPU (else a one-line error)."""
    text = str(device)
    kind, _, index = text.partition(":")
    if kind == "cpu" and not index:
        return text
    if kind != "cuda" or (index and not index.isdigit()):
        raise SpecError(f"device must be cpu, cuda or cuda:N, got {text[:40]!r}", key=key)
    import torch

    if not torch.cuda.is_available():
        raise SpecError(f"device {text!r} requested but no CUDA device is available",
                        key=key)
    if index and int(index) >= torch.cuda.device_count():
        raise SpecError(f"device {text!r}: only {torch.cuda.device_count()} CUDA device(s)",
                        key=key)
    return text
