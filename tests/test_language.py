"""The spec language's newer parts: definitions, the derivative of an expression (flux form),
bounded and simplex outputs, observations of derived quantities, learning-rate factors, the
warm-up stage, fixed collocation grids and condition scales."""

import numpy as np
import pytest
import torch

import pinnlab
from pinnlab import Condition, Parameter, Problem
from pinnlab.errors import SpecError
from pinnlab.jet import JetBasis
from pinnlab.spec.toml import from_dict
from pinnlab.testing import assert_derivatives_match_fd, assert_residual_vanishes

DOMAIN = {"x": (0.0, 1.0), "t": (0.0, 1.0)}


def test_flux_form_equals_its_expansion_on_any_field():
    """(k*u_x)_x with k = 1 + u^2 is k*u_xx + 2*u*u_x^2: both forms agree on a manufactured
    solution, and the flux form vanishes where the expanded one does."""
    u = "exp(-t)*sin(pi*x)"
    source = f"-{u} + pi**2*(1 + ({u})**2)*{u} - 2*({u})*(pi*exp(-t)*cos(pi*x))**2"
    flux = Problem(name="flux", domain=DOMAIN, fields=["u"],
                   equations={"e": f"u_t - ((1 + u**2)*u_x)_x - ({source})"})
    expanded = Problem(name="expanded", domain=DOMAIN, fields=["u"],
                       equations={"e": f"u_t - (1 + u**2)*u_xx - 2*u*u_x**2 - ({source})"})

    def exact(c):
        return {"u": np.exp(-c["t"]) * np.sin(np.pi * c["x"])}

    for problem in (flux, expanded):
        assert_residual_vanishes(problem, exact, rtol=1e-6)
    e = flux.compiled_equations()["e"]
    assert {s.index for s in e.derivatives} == {(0,), (0, 0), (1,)}


def test_diff_operator_and_definitions_in_a_spec():
    raw = {"domain": {"x": [0, 1]}, "fields": ["u"], "parameters": {"k": 2.0},
           "definitions": {"q": "-k*u_x", "q2": "q*q"},
           "equations": {"e": "diff(q, x) + (q2)_x - 1"}}
    problem = from_dict(raw, source="spec.toml")
    assert list(problem.compiled_definitions()) == ["q", "q2"]

    def exact(c):  # u = x^2/(2k) - ... any field: check against finite differences instead
        return {"u": np.sin(c["x"])}

    pts = np.linspace(0.1, 0.9, 7)[:, None]
    from pinnlab.testing import residuals_of_exact

    r, _ = residuals_of_exact(problem, exact, pts)["e"]
    x = pts[:, 0]
    q, q_x = -2 * np.cos(x), 2 * np.sin(x)
    np.testing.assert_allclose(r, q_x + 2 * q * q_x - 1, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("text, words", [
    ("diff(u, y)", "named coordinates"), ("diff(u)", "named coordinates"),
    ("(u)_xxxxxxxxx", "order"), ("undefined_name", "unknown symbol"),
])
def test_bad_operator_use_is_a_named_error(text, words):
    with pytest.raises(SpecError, match=words) as info:
        Problem(name="p", domain={"x": (0, 1)}, fields=["u"], equations={"e": f"u + {text}"})
    assert info.value.key == "equations.e"


def test_definitions_cannot_shadow_or_come_before_their_use():
    with pytest.raises(SpecError, match="unknown symbol 'b'"):
        Problem(name="p", domain={"x": (0, 1)}, fields=["u"], equations={"e": "u_xx + a"},
                definitions={"a": "b", "b": "1"})
    with pytest.raises(SpecError, match="used twice"):
        Problem(name="p", domain={"x": (0, 1)}, fields=["u"], equations={"e": "u_xx"},
                parameters={"k": 1.0}, definitions={"k": "2"})


def test_bounded_and_simplex_outputs_hold_by_construction_with_exact_derivatives():
    raw = {"domain": {"x": [0, 1]}, "parameters": {"lo": 300.0},
           "fields": {"T": {"bounds": ["lo", "2*lo"]}, "Y": {"species": ["a", "b", "c"]}},
           "equations": {"e": "T_xx", "f": "Y_a_x + Y_b + Y_c"}}
    problem = from_dict(raw, source="spec.toml")
    assert problem.fields == ["T", "Y_a", "Y_b", "Y_c"]
    from pinnlab.methods.pinn import PINNConfig, PINNModel, _default_dtype

    with _default_dtype(torch.float64):
        model = PINNModel(problem, PINNConfig(width=16, depth=2), torch.Generator().manual_seed(0))
    x = torch.rand(50, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    jet = model.fields_jet(x, JetBasis(1, [(0, 0)]))
    T, Y = jet.value[:, 0], jet.value[:, 1:]
    assert bool(((T > 300) & (T < 600)).all()) and bool((Y > 0).all())
    torch.testing.assert_close(Y.sum(1), torch.ones(50, dtype=torch.float64), rtol=0, atol=1e-14)
    torch.testing.assert_close(jet.d((0,))[:, 1:].sum(1), torch.zeros(50, dtype=torch.float64),
                               rtol=0, atol=1e-12)
    assert_derivatives_match_fd(model, x[:8], [(0, 0)], h=1e-4, rtol=1e-6)
    with pytest.raises(SpecError, match="bounds need low < high"):
        from_dict({**raw, "fields": {"T": {"bounds": [2, 1]}}}, source="spec.toml")


def test_observations_of_a_definition_and_lr_factor_and_warmup(tmp_path):
    """Infer k in u_xx = -k from observations of the derived quantity v = u_x (exact u =
    k x (1 - x)/2): a data term on a definition, the warm-up stage, and a learning-rate factor
    on k."""
    k = 3.0
    x = np.linspace(0.05, 0.95, 12)
    (tmp_path / "obs.csv").write_text("x,v\n" + "\n".join(f"{a},{k * (0.5 - a)}" for a in x))
    raw = {"domain": {"x": [0, 1]}, "fields": ["u"],
           "parameters": {"k": {"guess": 1.0, "bounds": [0.1, 10.0], "lr_factor": 5.0}},
           "definitions": {"v": "u_x"}, "equations": {"e": "u_xx + k"},
           "conditions": {"ends": {"kind": "dirichlet", "field": "u", "on": "x"}},
           "observations": {"file": "obs.csv"},
           "training": {"warmup_steps": 200, "warmup_target": {"u": "0.5*x*(1 - x)"},
                        "width": 16, "depth": 2, "residual_points": 64, "sampling": "grid",
                        "adam_steps": 400, "lbfgs_steps": 300}}
    problem = from_dict(raw, source=str(tmp_path / "spec.toml"), directory=str(tmp_path))
    r = pinnlab.solve(problem, progress=False, seed=0)
    assert list(r.metrics["optimizer_stops"]) == ["0:warmup", "1:adam", "2:lbfgs"]
    warm = [h["warmup"] for h in r.history if "warmup" in h]
    assert warm[-1] < 0.05 * warm[0]
    # measured 3e-8 to 3e-6 relative over seeds 0-3, 1 and 2 threads
    assert r.metrics["params"]["k"] == pytest.approx(k, rel=1e-3)
    assert r.metrics["points"]["equations.e"] == 64


def test_condition_scale_multiplies_the_residual():
    from pinnlab.losses import compile_terms
    from pinnlab.testing import ExactModel

    def build(scale):
        return Problem(name="p", domain={"x": (0.0, 1.0)}, fields=["u"],
                       equations={"e": "u_xx"},
                       conditions={"l": Condition("dirichlet", "u", on="x = 0", value=1.0,
                                                  scale=scale)})

    values = []
    for scale in (1.0, "2*k"):
        problem = build(scale) if scale == 1.0 else Problem(
            name="p", domain={"x": (0.0, 1.0)}, fields=["u"], equations={"e": "u_xx"},
            parameters={"k": Parameter(value=1.5)},
            conditions={"l": Condition("dirichlet", "u", on="x = 0", value=1.0, scale=scale)})
        term = [t for t in compile_terms(problem, {"residual": 4, "boundary": 4, "initial": 4})
                if t.name == "conditions.l"][0]
        pts = term.sample(1, torch.Generator())
        model = ExactModel(problem, lambda c: {"u": c["x"] * 0.0 + 3.0})
        values.append(float(term.residual(pts, model.fields_jet(pts, term.basis), {})[0]))
    assert values == [2.0, 6.0]


def test_warmup_scale_of_an_absent_species_is_floored():
    """A species absent from the whole target (argon in air) gets the scale 1 / (1e-3 · its
    range), not 1 / 1e-12: with the latter its term alone was ~1e20, which buried the other
    fields' terms in the log and set the warm-up's divergence threshold (a multiple of the
    first loss) out of reach."""
    from pinnlab.api import prepare
    from pinnlab.methods.pinn import PINNModel, _default_dtype
    from pinnlab.methods.warmup import WarmupFit

    target = {"T": "300 + 1500*x", "Y_F": "0.2*(1 - x)", "Y_P": "1 - 0.2*(1 - x)", "Y_AR": "0"}
    raw = {"domain": {"x": [0, 1]},
           "fields": {"T": {"bounds": [300.0, 2000.0]}, "Y": {"species": ["F", "P", "AR"]}},
           "equations": {"e": "T_xx", "f": "Y_F_x + Y_P_x + Y_AR_x"},
           "training": {"warmup_steps": 10, "width": 16, "depth": 2, "warmup_target": target}}
    problem = from_dict(raw, source="spec.toml")
    plan = prepare(problem, "pinn")
    with _default_dtype(torch.float64):
        model = PINNModel(problem, plan.config, torch.Generator().manual_seed(0)).double()
        fit = WarmupFit(problem, model, target, dtype=torch.float64)
    torch.testing.assert_close(fit.scale, torch.tensor([1 / 1800, 5.0, 1.0, 1e3],
                                                       dtype=torch.float64))
    first = float(fit()["warmup"].detach())
    assert 1e2 < first < 1e7  # measured 1.1e5 (the softmax starts near 1/3 each)


def test_a_run_that_ends_with_its_warmup_logs_the_physics_last(tmp_path):
    """Warm-up only (no Adam, no L-BFGS) on the exact u = 1.5 x (1 - x) of u_xx + 3 = 0: the
    history still ends with the main objective (every physics term) at the final weights."""
    raw = {"domain": {"x": [0, 1]}, "fields": ["u"], "parameters": {"k": 3.0},
           "equations": {"e": "u_xx + k"},
           "conditions": {"ends": {"kind": "dirichlet", "field": "u", "on": "x"}},
           "training": {"warmup_steps": 400, "warmup_target": {"u": "0.5*k*x*(1 - x)"},
                        "width": 16, "depth": 2, "residual_points": 64, "sampling": "grid",
                        "adam_steps": 0, "lbfgs_steps": 0}}
    problem = from_dict(raw, source=str(tmp_path / "spec.toml"), directory=str(tmp_path))
    r = pinnlab.solve(problem, progress=False, seed=0)
    last = r.history[-1]
    assert last["phase"] == "final" and last["step"] == 400
    terms = {k: v for k, v in last.items() if k.startswith(("equations.", "conditions."))}
    assert "equations.e" in terms and "warmup" not in last
    assert last["loss"] == pytest.approx(sum(terms.values()), rel=1e-9)
    # a network fitted to the exact profile holds the equation to a fraction of k² = 9
    assert last["equations.e"] < 0.5
