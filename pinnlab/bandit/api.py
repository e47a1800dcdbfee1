"""The METALIC entry points: :func:`learn` (a bandit session over a PDE family) and
:func:`sweep` (a grid of family members × interface conditions). ``pinnlab bandit`` and
``pinnlab sweep`` are these functions on the command line.

Both validate the spec and the options (the checks of ``pinnlab check --method
multidomain``) before any training, run their trainings on a runner (:mod:`pinnlab.runner`:
in-process, a process pool, or Ray) and write their tables and figures into ``out``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..errors import SpecError

Log = Callable[[str], None]


def training_options(spec: str, options: Mapping | None = None, *, seed: int = 0,
                     quick: bool | None = None, option_key: str = "options") -> dict:
    """The multi-domain options of every training, checked against ``spec``; in a quick run
    (:mod:`pinnlab.quick`) the budget options not given are capped."""
    from ..api import prepare
    from ..quick import enabled, quick_overrides
    from .trials import _problem

    opts = dict(options or {})
    plan = prepare(_problem(spec), "multidomain", options=opts, seed=seed,
                   option_key=option_key)
    if enabled(quick):  # the explicit options win
        opts = {**quick_overrides(plan.config, opts), **opts}
    return opts


def learn(spec: str, *, policies: Sequence[str] = ("ucb", "ts", "random"), warmup: int = 5,
          rounds: int = 30, heldout: int = 20, fixed: Sequence[str] = ("xpinn", "all"),
          two_stage: bool = False, beta: float = 1.0, seed: int = 0,
          options: Mapping | None = None, quick: bool | None = None, out: str | None = None,
          backend: str = "local", workers: int | None = None, address: str | None = None,
          log: Log | None = print) -> dict:
    """Learn which interface conditions suit each member of the family of ``spec`` (its
    ``[family]`` and ``[decomposition]``) with a GP contextual bandit, then score the policies
    and the ``fixed`` conditions on ``heldout`` new members.

    Returns the summary: per method, the held-out mean reward ``−log10(rel. L2)`` with its
    standard error, mean and median error and CPU seconds per training; the online rewards.
    ``out`` (default ``runs/<name>-bandit``) gets ``table.md``, ``summary.json``,
    ``online.png``, ``heldout.png`` and ``state.json``; rerunning with the same ``out``
    resumes the session.
    """
    from ..io import OutputLock, atomic_json, atomic_text, prepare_output
    from ..runner import make_runner
    from .agent import POLICIES
    from .report import figures, markdown, summarize
    from .session import BanditSetup, Session
    from .trials import _problem

    policies = tuple(policies)
    bad = [p for p in policies if p not in POLICIES]
    if bad or not policies:
        raise SpecError(f"unknown policy {bad[0] if bad else ''!r} (policies: "
                        f"{', '.join(POLICIES)})", key="policies")
    opts = training_options(spec, options, seed=seed, quick=quick)
    problem = _problem(spec)
    setup = BanditSetup(spec=spec, policies=policies, warmup=warmup, rounds=rounds,
                        heldout=heldout, fixed=tuple(fixed), two_stage=two_stage, beta=beta,
                        seed=seed, options=opts)
    out = prepare_output(out if out is not None else
                         os.path.join("runs", f"{problem.name}-bandit"))
    with OutputLock(out), make_runner(backend, workers=workers, address=address) as runner:
        session = Session(setup, runner, out, log=log or (lambda s: None))
        session.run_online()
        held = session.run_heldout()
        summary = summarize(session.state, held)
        summary["table"] = markdown(summary, f"{problem.name} ({runner.backend}, "
                                    f"{runner.workers} workers)")
        atomic_text(os.path.join(out, "table.md"), summary["table"])
        atomic_json(os.path.join(out, "summary.json"), summary)
        figures(session.state, held, out, problem.name)
    summary["out"] = out
    return summary


def family_grid(family: Mapping[str, tuple[float, float]],
                axes: Mapping[str, Sequence[float]] | None = None) -> list[dict]:
    """Every combination of the family parameters' values: ``axes[name]`` where given, else 5
    points over the ``[family]`` range."""
    axes = dict(axes or {})
    for name in axes:
        if name not in family:
            raise SpecError(f"{name!r} is not a [family] parameter ({', '.join(family)})",
                            key="param")
    values = {k: np.asarray(axes.get(k, np.linspace(lo, hi, 5)), float)
              for k, (lo, hi) in family.items()}
    return [dict(zip(values, map(float, v))) for v in itertools.product(*values.values())]


def sweep(spec: str, *, axes: Mapping[str, Sequence[float]] | None = None,
          conditions: Sequence[str] = ("xpinn",), seed: int = 0,
          options: Mapping | None = None, quick: bool | None = None, out: str | None = None,
          backend: str = "local", workers: int | None = None, address: str | None = None,
          log: Log | None = print) -> list[dict]:
    """Train a multi-domain PINN at every point of a grid of family parameters
    (:func:`family_grid`), once per set of interface ``conditions`` (presets or 9-bit
    masks). Returns one row per training (``context``, ``conditions``, ``error``, ``reward``,
    ``cpu_s``, ``wall_s``); ``out`` (default ``runs/<name>-sweep``) gets ``sweep.json``,
    ``table.md`` and ``sweep.png``."""
    from ..io import OutputLock, atomic_json, atomic_text, prepare_output
    from ..runner import make_runner
    from ..spec.decomposition import parse_interface_conditions
    from .report import sweep_figure, sweep_table
    from .trials import _problem, map_trials, trial

    problem = _problem(spec)
    if not problem.family:
        raise SpecError("a sweep needs a [family] table of parameter ranges", file=spec,
                        key="family")
    opts = training_options(spec, options, seed=seed, quick=quick)
    masks = {c: parse_interface_conditions(c, key="conditions")
             for c in conditions}
    contexts = family_grid(problem.family, axes)
    plan = [(ctx, name) for ctx in contexts for name in masks]
    trials = [trial(spec, ctx, masks[name], seed=seed, options=opts) for ctx, name in plan]
    out = prepare_output(out if out is not None else
                         os.path.join("runs", f"{problem.name}-sweep"))

    def show(i, r):
        ctx, name = plan[i]
        desc = ", ".join(f"{k}={v:.4g}" for k, v in ctx.items())
        if log:
            log(f"[{i + 1}/{len(plan)}] {desc} {name}: rel. L2 {r['error']:.3e} "
                f"({r['cpu_s']:.0f} CPU s)")

    with OutputLock(out), make_runner(backend, workers=workers, address=address) as runner:
        results = map_trials(runner, trials, on_result=show)
    rows = [{"context": ctx, "conditions": name, **{k: r[k] for k in
                                                     ("error", "reward", "cpu_s", "wall_s")}}
            for (ctx, name), r in zip(plan, results)]
    atomic_json(os.path.join(out, "sweep.json"), rows)
    table = sweep_table(rows, list(problem.family), masks)
    atomic_text(os.path.join(out, "table.md"), table)
    sweep_figure(rows, list(problem.family), masks, out)
    if log:
        log(f"{table}\nwritten: {out}/table.md, sweep.json, sweep.png")
    return rows
