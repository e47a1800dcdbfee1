"""A METALIC session over a parametric family: warm-up, online rounds, held-out contexts.

1. **Warm-up**: ``warmup`` random contexts with random arms; every agent sees them.
2. **Online rounds**: each round draws a new context; every policy (``ucb``, ``ts``, ``random``)
   picks its arm, the trials run in parallel on the runner, each agent observes its reward.
   The state (agents, results, the round reached) is written to ``state.json`` after each
   round, so a stopped session resumes where it stopped.
3. **Held-out contexts**: each learning policy decides by its posterior mean; the random arm and
   the fixed conditions (``xpinn``, ``all``, ...) are run on the same contexts with the same
   network seeds, so every method sees the same initialisation per context.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import DataError, SpecError
from ..io import atomic_json as _json
from ..spec.decomposition import parse_interface_conditions
from .agent import ARMS, Bandit, ContextSpace
from .trials import _problem, map_trials, trial


@dataclass
class BanditSetup:
    """Everything that defines a session (stored in ``state.json``; a resumed session must
    match it)."""

    spec: str
    policies: tuple[str, ...] = ("ucb", "ts", "random")
    warmup: int = 5
    rounds: int = 30
    heldout: int = 20
    fixed: tuple[str, ...] = ("xpinn", "all")
    two_stage: bool = False
    beta: float = 1.0
    seed: int = 0
    options: dict = field(default_factory=dict)


class Session:
    """Run (or resume) a session; ``log(text)`` receives one line per event."""

    def __init__(self, setup: BanditSetup, runner, out: str, log=print):
        self.setup, self.runner, self.out, self.log = setup, runner, out, log
        problem = _problem(setup.spec)
        if not problem.family:
            raise SpecError("the bandit needs a [family] table of parameter ranges",
                            file=setup.spec, key="family")
        if problem.decomposition is None:
            raise SpecError("the bandit needs a [decomposition] table", file=setup.spec,
                            key="decomposition")
        for name in setup.fixed:
            parse_interface_conditions(name, key="fixed")
        self.space = ContextSpace(problem.family)
        rng = np.random.default_rng(setup.seed)
        self.contexts = self.space.sample(rng, setup.warmup + setup.rounds)
        self.heldout_contexts = self.space.sample(np.random.default_rng(setup.seed + 1),
                                                  setup.heldout)
        learn = [p for p in setup.policies]
        self.agents = {p: Bandit(self.space, p, beta=setup.beta, two_stage=setup.two_stage,
                                 seed=setup.seed + i) for i, p in enumerate(learn)}
        self.state = {"setup": asdict(self.setup), "round": 0, "online": [], "round_wall": []}
        os.makedirs(out, exist_ok=True)
        self.path = os.path.join(out, "state.json")
        if os.path.exists(self.path):
            self._resume()

    def _resume(self) -> None:
        try:
            self._restore(_read_json(self.path, dict))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            raise DataError("not a complete session state (half-written, or of another shape);"
                            " remove it to start afresh or use another --out", file=self.path,
                            key="state") from None

    def _restore(self, state: dict) -> None:
        mine = json.loads(json.dumps(asdict(self.setup)))
        theirs = dict(state["setup"])
        if {**theirs, "rounds": 0} != {**mine, "rounds": 0} or theirs["rounds"] > mine["rounds"]:
            raise SpecError(f"{self.path} belongs to another setup; use another --out",
                            file=self.path, key="setup")
        if theirs["rounds"] < mine["rounds"]:  # more online rounds: the same contexts continue
            self.log(f"extending the session from {theirs['rounds']} to {mine['rounds']} "
                     "online rounds; held-out decisions are made again (finished trainings of "
                     "the same context, arm and seed are kept)")
            state["setup"] = mine
            held = os.path.join(self.out, "heldout.json")
            if os.path.exists(held):
                os.replace(held, os.path.join(self.out, f"heldout_{theirs['rounds']}.json"))
        self.state = state
        for p, a in self.agents.items():
            a.load_state_dict(state["agents"][p])
        self.log(f"resuming after round {state['round']} of "
                 f"{self.setup.warmup + self.setup.rounds}")

    def _save(self) -> None:
        self.state["agents"] = {p: a.state_dict() for p, a in self.agents.items()}
        _json(self.path, self.state)

    def _seed(self, i: int) -> int:
        return 1000 * self.setup.seed + i

    def _opts(self) -> dict:
        return dict(self.setup.options)

    # ---- online ----------------------------------------------------------------------------
    def run_online(self) -> None:
        s = self.setup
        while self.state["round"] < s.warmup + s.rounds:
            i = self.state["round"]
            ctx = self.contexts[i]
            t0 = time.perf_counter()
            if i < s.warmup:
                arm = tuple(int(b) for b in ARMS[np.random.default_rng(s.seed + 7 * i)
                                                 .integers(len(ARMS))])
                rows = self._play(i, ctx, {p: arm for p in self.agents}, shared=True)
            else:
                rows = self._play(i, ctx, {p: a.choose(ctx) for p, a in self.agents.items()})
            self.state["online"] += rows
            self.state["round_wall"].append(time.perf_counter() - t0)
            self.state["round"] = i + 1
            self._save()
            kind = "warm-up" if i < s.warmup else "round"
            self.log(f"{kind} {i + 1}/{s.warmup + s.rounds} "
                     + " ".join(f"{r['policy']}: {r['error']:.2e}" for r in rows)
                     + f" ({self.state['round_wall'][-1]:.0f} s)")

    def _play(self, i: int, ctx: dict, arms: dict, shared: bool = False) -> list[dict]:
        """Run each policy's arm (a shared warm-up arm once) and feed the rewards back."""
        s, opts, seed = self.setup, self._opts(), self._seed(i)
        pols = list(arms)[:1] if shared else list(arms)
        if not s.two_stage:
            res = map_trials(self.runner, [trial(s.spec, ctx, arms[p], seed=seed,
                                                 options=opts) for p in pols])
            out = []
            for p, r in zip(pols, res):
                out.append({"round": i, "policy": "warm-up" if shared else p, "context": ctx,
                            "arm": list(arms[p]), **_public(r)})
            for p, a in self.agents.items():
                r = res[0] if shared else res[pols.index(p)]
                a.observe(ctx, arms[p], r["reward"])
            return out
        first = map_trials(self.runner, [trial(s.spec, ctx, arms[p], seed=seed, options=opts,
                                               stage="adam") for p in pols])
        second_arms = {p: (arms[p] if shared else self.agents[p].choose_second(
            ctx, first[k]["reward"])) for k, p in enumerate(pols)}
        final = map_trials(self.runner, [trial(s.spec, ctx, arms[p], seed=seed, options=opts,
                                               stage="lbfgs", mask_lbfgs=second_arms[p],
                                               state=first[k]["state"])
                                         for k, p in enumerate(pols)])
        out = []
        for k, p in enumerate(pols):
            out.append({"round": i, "policy": "warm-up" if shared else p, "context": ctx,
                        "arm": list(arms[p]), "arm2": list(second_arms[p]),
                        "error1": first[k]["error"], **_public(final[k]),
                        "cpu_s": first[k]["cpu_s"] + final[k]["cpu_s"]})
        for p, a in self.agents.items():
            k = 0 if shared else pols.index(p)
            a.observe(ctx, arms[p], final[k]["reward"], arm2=second_arms[pols[k]],
                      r1=first[k]["reward"])
        return out

    # ---- held-out ------------------------------------------------------------------------
    def run_heldout(self) -> list[dict]:
        """Every method on every held-out context; written to ``heldout.json``."""
        path = os.path.join(self.out, "heldout.json")
        if os.path.exists(path):
            return _read_json(path, list)
        s, opts = self.setup, self._opts()
        rng = np.random.default_rng(s.seed + 2)
        plan = []  # (context index, method, arm)
        for j, ctx in enumerate(self.heldout_contexts):
            for p, a in self.agents.items():
                if p != "random" and not s.two_stage:
                    plan.append((j, f"metalic-{p}", a.best(ctx)))
            if "random" in s.policies:
                plan.append((j, "random", tuple(int(b) for b in ARMS[rng.integers(len(ARMS))])))
            for name in s.fixed:
                plan.append((j, f"fixed-{name}", parse_interface_conditions(name)))
        if s.two_stage:
            plan += self._two_stage_plan(opts)
        unique = sorted({(j, arm) for j, _, arm in plan if not isinstance(arm, dict)})
        done = self._heldout_trials(unique, opts)
        rows = []
        for j, method, arm in plan:
            r = arm if isinstance(arm, dict) else done[(j, arm)]
            rows.append({"context": self.heldout_contexts[j], "index": j, "method": method,
                         "arm": list(r.get("arm", arm)) if isinstance(arm, dict) else list(arm),
                         **_public(r)})
        _json(path, rows)
        return rows

    def _heldout_trials(self, unique: list[tuple], opts: dict) -> dict:
        """Run the held-out trainings, keeping each finished one in ``heldout_partial.json`` so
        a stopped session does not repeat it."""
        path = os.path.join(self.out, "heldout_partial.json")
        done = {}
        if os.path.exists(path):
            try:
                done = {(int(r["index"]), tuple(int(b) for b in r["arm"])): dict(r["result"])
                        for r in _read_json(path, list)}
            except (KeyError, TypeError, ValueError):
                raise DataError("not a list of finished trainings (half-written?); remove it",
                                file=path, key="state") from None
        todo = [u for u in unique if u not in done]
        self.log(f"held-out: {len(unique)} trainings on {len(self.heldout_contexts)} contexts"
                 + (f" ({len(unique) - len(todo)} already done)" if len(todo) < len(unique)
                    else ""))

        def keep(i, r):
            done[todo[i]] = _public(r)
            _json(path, [{"index": j, "arm": list(a), "result": v} for (j, a), v in done.items()])
            n = sum(u in done for u in unique)
            self.log(f"held-out {n}/{len(unique)}: context {todo[i][0]} arm "
                     f"{''.join(map(str, todo[i][1]))}: {r['error']:.2e}")

        trials = [trial(self.setup.spec, self.heldout_contexts[j], arm,
                        seed=self._seed(500 + j), options=opts) for j, arm in todo]
        map_trials(self.runner, trials, on_result=keep)
        return done

    def _two_stage_plan(self, opts) -> list[tuple]:
        """Two-stage held-out decisions: the Adam-stage arm by GP₁'s mean, then the L-BFGS arm
        by GP₂'s mean given the Adam stage's reward."""
        s, plan = self.setup, []
        learners = [p for p in self.agents if p != "random"]
        firsts = [(j, p, self.agents[p].best(ctx)) for j, ctx in
                  enumerate(self.heldout_contexts) for p in learners]
        res1 = map_trials(self.runner, [trial(s.spec, self.heldout_contexts[j], a1,
                                              seed=self._seed(500 + j), options=opts,
                                              stage="adam") for j, _, a1 in firsts])
        seconds = [self.agents[p].best(self.heldout_contexts[j], r["reward"])
                   for (j, p, _), r in zip(firsts, res1)]
        res2 = map_trials(self.runner, [trial(s.spec, self.heldout_contexts[j], a1,
                                              seed=self._seed(500 + j), options=opts,
                                              stage="lbfgs", mask_lbfgs=a2, state=r["state"])
                                        for (j, _, a1), a2, r in zip(firsts, seconds, res1)])
        for (j, p, a1), a2, r1, r2 in zip(firsts, seconds, res1, res2):
            plan.append((j, f"metalic-{p}", {**r2, "arm": list(a1) + list(a2),
                                             "cpu_s": r1["cpu_s"] + r2["cpu_s"]}))
        return plan


def _read_json(path: str, kind: type):
    """A JSON state file of the expected top-level type, else a one-line :class:`DataError`."""
    from ..io import read_text

    try:
        data = json.loads(read_text(path, limit=256 * 2**20, file=path, key="state"))
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, kind):
        raise DataError("not a readable session file (half-written or of another shape); "
                        "remove it to start afresh or use another --out", file=path, key="state")
    return data


def _public(r: dict) -> dict:
    return {k: r[k] for k in ("error", "reward", "cpu_s", "wall_s", "stops") if k in r}
