"""``dps_solve``: the solved field of a prior's estimate from a differentiable reference solve.

The solve equals the reference solver ``darcy_fd`` (itself tested against manufactured
solutions in test_diffusion_reference.py); its adjoint gradients equal finite differences;
every posterior sample of ``--method prior --guidance dps_solve`` obeys the solver; bad solver
tables are refused in one line naming the key."""

import os

import numpy as np
import pytest
import torch

import pinnlab
from pinnlab.api import prepare
from pinnlab.errors import PinnlabError
from pinnlab.generative import PriorConfig, family_dataset, train_prior
from pinnlab.generative.guidance import Observations
from pinnlab.generative.solver_map import SolverMap, darcy_solve
from pinnlab.methods.prior import observations
from pinnlab.reference.diffusion import darcy_fd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "problems", "generative", "darcy_observed.toml")
SOLVER = {"name": "darcy_fd", "coefficient": "a", "source": "1", "field": "u"}
N = 12  # the tiny prior's grid


def _inputs(seed):
    g = torch.Generator().manual_seed(seed)
    a = 1 + torch.rand(7, 6, generator=g, dtype=torch.float64)
    f = torch.randn(7, 6, generator=g, dtype=torch.float64)
    c = torch.rand(7, 6, generator=g, dtype=torch.float64)
    return a, f, c


@pytest.mark.parametrize("seed", [0, 1])
def test_solve_is_the_reference_and_its_adjoint_the_derivative(seed):
    x, y = np.linspace(0, 1, 7), np.linspace(0, 2, 6)  # unequal spacings hx != hy
    a, f, c = _inputs(seed)
    u = darcy_solve(a, f, c, x, y)
    ref = darcy_fd(x, y, a.numpy(), f.numpy(), c.numpy())
    assert np.abs(u.numpy() - ref).max() <= 1e-12 * np.abs(ref).max()  # measured 0 to 1e-17
    args = tuple(t.clone().requires_grad_() for t in (a, f, c))
    assert torch.autograd.gradcheck(lambda a, f, c: darcy_solve(a, f, c, x, y), args,
                                    eps=1e-6, atol=1e-7, rtol=1e-5)


def test_map_replaces_the_solved_channel_with_the_clamped_inputs():
    problem = pinnlab.load(SPEC)
    axes = {"x": np.linspace(0, 1, N), "y": np.linspace(0, 1, N)}
    fields = torch.rand(3, 2, N, N, generator=torch.Generator().manual_seed(0)) * 14 + 1
    out, params = SolverMap(problem, axes, SOLVER)(fields)
    assert params is None  # no unknown parameter
    for k in range(3):
        a = np.clip(fields[k, 0].double().numpy(), 3.0, 12.0)  # a's bounds in the spec
        assert np.abs(out[k, 0].double().numpy() - a).max() == 0  # clamping is exact
        ref = darcy_fd(axes["x"], axes["y"], a, np.ones((N, N)))
        assert np.abs(out[k, 1].double().numpy() - ref).max() <= 1e-6 * ref.max()  # float32


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A barely trained joint [a, u] prior of the binary Darcy family on a 12 x 12 grid."""
    path = tmp_path_factory.mktemp("prior") / "darcy.pt"
    torch.manual_seed(0)
    data = family_dataset("darcy_binary", 64, seed=0, grid={"x": N, "y": N})
    train_prior(data.fields, PriorConfig(objective="rf", channels=2, base=8, steps=20, batch=8),
                checkpoint=path, progress=False)
    return str(path)


def test_every_posterior_sample_obeys_the_solver(checkpoint):
    res = pinnlab.solve(SPEC, method="prior", checkpoint=checkpoint, guidance="dps_solve",
                        solver=SOLVER, grid={"x": N, "y": N}, nfe=5, samples=3, seed=1,
                        progress=False)
    assert res.metrics["guidance"] == "dps_solve"
    post = res.posterior
    for a, u in zip(post["a_samples"], post["u_samples"], strict=True):
        assert a.min() >= 3.0 and a.max() <= 12.0
        ref = darcy_fd(post["x"], post["y"], a, np.ones_like(a))
        assert np.abs(u - ref).max() <= 1e-6 * ref.max()


def test_bad_solver_tables_are_refused_in_one_line(checkpoint):
    def refused(key, **options):
        options = {"checkpoint": checkpoint, "grid": {"x": N, "y": N}, "guidance": "dps_solve",
                   **options}
        with pytest.raises(PinnlabError) as info:
            prepare(SPEC, "prior", options=options)
        assert info.value.key == key and "\n" not in str(info.value)
        return info.value.message

    assert "darcy_fd" in refused("training.solver.name", solver={**SOLVER, "name": "fem"})
    refused("training.solver.coefficient", solver={**SOLVER, "coefficient": "a*u"})
    refused("training.solver.coefficient", solver={**SOLVER, "coefficient": "a_x"})
    refused("training.solver.field", solver={**SOLVER, "field": "p"})
    refused("training.solver.sorce", solver={**SOLVER, "sorce": "1"})
    assert "needs" in refused("training.solver")
    assert "takes no" in refused("training.solver", guidance="dps", solver=SOLVER)


FORCING = os.path.join(ROOT, "problems", "generative", "darcy_forcing.toml")


def test_the_forcing_is_fitted_exactly_from_the_true_coefficient():
    """darcy_forcing.toml (q = 2 unknown): given the true a, the least-squares q of the
    observed u is the truth, and the solved u the reference's, up to float32 rounding."""
    problem = pinnlab.load(FORCING)
    truth = np.load(os.path.join(ROOT, "problems", "generative", "darcy_forcing_truth.npz"))
    axes = {"x": truth["x"], "y": truth["y"]}
    obs = observations(problem, axes)
    fields = torch.stack([torch.as_tensor(truth["a"]), torch.zeros(32, 32, dtype=torch.float64)])
    solver = SolverMap(problem, axes, {**SOLVER, "source": "q"})
    out, q = solver(fields[None].float(), obs)
    assert q.shape == (1,) and abs(float(q[0]) - 2.0) <= 1e-5  # measured 1e-7 (float32 a)
    assert np.abs(out[0, 1].double().numpy() - truth["u"]).max() <= 1e-5 * truth["u"].max()
    only_a = obs.mask.clone()
    only_a[0], only_a[1] = obs.mask[1], False
    with pytest.raises(PinnlabError) as info:  # nothing of u observed: q cannot be fitted
        solver(fields[None], Observations(only_a, obs.values))
    assert info.value.key == "observations"


def test_an_unknown_outside_an_affine_source_is_refused():
    problem = pinnlab.load(FORCING)
    axes = {"x": np.linspace(0, 1, N), "y": np.linspace(0, 1, N)}
    for key, table in (("coefficient", {"coefficient": "a*q", "source": "1"}),
                       ("source", {"source": "q**2"})):
        with pytest.raises(PinnlabError) as info:
            SolverMap(problem, axes, {**SOLVER, **table})
        assert info.value.key == f"training.solver.{key}"


def test_posterior_samples_of_the_forcing_obey_the_solver(checkpoint):
    res = pinnlab.solve(FORCING, method="prior", checkpoint=checkpoint, grid={"x": N, "y": N},
                        nfe=5, samples=3, seed=2, progress=False)
    m, post = res.metrics, res.posterior
    assert m["guidance"] == "dps_solve" and m["params_true"] == {"q": 2.0}
    assert 0.25 <= m["params"]["q"] <= 4.0 and m["uncertainty"]["std"]["q"] >= 0
    qs = []
    for a, u in zip(post["a_samples"], post["u_samples"], strict=True):
        ref = darcy_fd(post["x"], post["y"], a, np.ones_like(a))  # q = 1
        q = (u * ref).sum() / (ref * ref).sum()  # each sample is q_s times the q = 1 solve
        assert np.abs(u - q * ref).max() <= 1e-5 * np.abs(u).max()
        qs.append(q)
    assert m["params"]["q"] == pytest.approx(np.mean(qs), rel=1e-5)
    lo, hi = m["uncertainty"]["interval"]["q"]  # the samples' 2.5% and 97.5% quantiles
    assert (lo, hi) == pytest.approx(tuple(np.quantile(qs, [0.025, 0.975])), rel=1e-5)


def test_a_reference_file_truth_must_be_one_number(tmp_path):
    """A scalar array named like the unknown is its true value; anything else is refused in
    one line naming the file's key, before any sampling or training."""
    folder = os.path.join(ROOT, "problems", "generative")
    truth = dict(np.load(os.path.join(folder, "darcy_forcing_truth.npz")))
    (tmp_path / "darcy_forcing_u_3pct.csv").write_text(
        open(os.path.join(folder, "darcy_forcing_u_3pct.csv")).read())
    (tmp_path / "spec.toml").write_text(open(FORCING).read())
    np.savez(tmp_path / "darcy_forcing_truth.npz", **{**truth, "q": np.array([2.0, 3.0])})
    from pinnlab.reference import reference_solution

    with pytest.raises(PinnlabError) as info:
        reference_solution(pinnlab.load(str(tmp_path / "spec.toml")))
    assert info.value.key == "reference.file" and "\n" not in str(info.value)
    np.savez(tmp_path / "darcy_forcing_truth.npz", **truth)
    assert reference_solution(pinnlab.load(str(tmp_path / "spec.toml"))).params == {"q": 2.0}
