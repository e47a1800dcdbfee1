"""The KdV family (METALIC): spectral reference, exact solitons, periodic multi-domain terms."""

import os

import numpy as np
import pytest
import torch

import pinnlab
from pinnlab.methods.multidomain import MultiDomainConfig, _subdomain_terms
from pinnlab.reference import reference_solution
from pinnlab.reference.spectral import kdv_spectral
from pinnlab.spec.decomposition import Decomposition
from pinnlab.testing import ExactModel, assert_terms_vanish

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kdv(**params):
    pb = pinnlab.load(os.path.join(ROOT, "problems", "metalic", "kdv.toml"))
    return pb.with_parameters(params) if params else pb


def soliton(c, v, x0):
    """(3v/c) sech²(√v (x - v t - x0)/2): an exact travelling wave of u_t + c u u_x + u_xxx."""
    def numpy(x, t):
        return 3 * v / c / np.cosh(np.sqrt(v) / 2 * (x - v * t - x0)) ** 2

    def jet(co):
        return {"u": 3 * v / c / ((co["x"] - co["t"] * v - x0) * (np.sqrt(v) / 2)).cosh() ** 2}
    return numpy, jet


@pytest.mark.parametrize("c, v", [(3.0, 1.0), (10.0, 4.0)])
def test_spectral_kdv_carries_a_soliton_unchanged(c, v):
    exact, _ = soliton(c, v, 15.0)
    x = np.linspace(0.0, 40.0, 201)
    u = kdv_spectral(x, np.full_like(x, 2.0), c, lambda y: exact(y, 0.0), (0.0, 40.0),
                     modes=512, dt=1e-3)
    assert np.abs(u - exact(x, 2.0)).max() < 1e-5


def test_family_reference_conserves_mass_and_energy():
    pb = kdv(c=10.0)
    pb.reference.options.update(modes=256, dt=1e-3)
    # on the solver's own 256 points (x = 0 ... 20, the repeated end dropped) the sums are the
    # exact integrals of the trigonometric polynomial
    ref = reference_solution(pb, {"x": 257, "t": 5})
    u = ref.fields["u"][:-1]
    mass, energy = u.sum(0) * 20 / 256, (u**2).sum(0) * 20 / 256
    assert np.ptp(mass) < 1e-10 * abs(mass[0]) and np.ptp(energy) < 1e-5 * energy[0]
    assert np.abs(u[:, -1] - u[:, 0]).max() > 0.1  # it did evolve


def test_spec_terms_vanish_on_a_soliton():
    pb = kdv(c=6.0)
    pb.domain["t"] = (0.0, 1.0)  # the soliton stays 8 widths away from the periodic ends
    pb.conditions["initial"].value = "2/cosh(x - 8)**2"
    _, jet = soliton(6.0, 4.0, 8.0)
    worst = assert_terms_vanish(pb, jet, atol=2e-6)
    assert worst["equations.kdv"] < 1e-10


@pytest.mark.parametrize("kwargs, n_terms", [({"split": ["t = 10"]}, 2),
                                             ({"strip": "|x - 10| < 2"}, 1)])
def test_periodic_term_of_the_subdomains(kwargs, n_terms):
    """Each subdomain that holds both ends x = 0 and x = 20 (one network) gets the term: it
    pairs (0, t) with (20, t), vanishes on a periodic field and not on a non-periodic one."""
    pb = kdv()
    pb.decomposition = Decomposition(**kwargs)
    subdomains, _ = pb.decomposition.geometry(pb.domain)
    terms = [t for sub in subdomains for t in _subdomain_terms(
        pb, sub, MultiDomainConfig(), torch.float64, "cpu") if t.kind == "periodic"]
    assert len(terms) == n_terms
    gen = torch.Generator().manual_seed(0)
    for field, periodic in [(lambda co: {"u": (co["x"] * (np.pi / 10) - co["t"]).sin()}, True),
                            (lambda co: {"u": co["x"] * 0.05 + co["t"] * 0}, False)]:
        for term in terms:
            pts = term.sample(50, gen)
            r = term.residual(pts, ExactModel(pb, field).fields_jet(pts, term.basis), {})
            assert (float(r.abs().max()) < 1e-12) == periodic


def test_periodic_coordinate_split_is_a_clear_error():
    pb = kdv()
    pb.decomposition = Decomposition(split=["x = 7"])
    with pytest.raises(pinnlab.SpecError, match="both ends in one subdomain"):
        pinnlab.solve(pb, "xpinn", progress=False, **{"adam_steps": 1, "lbfgs_steps": 0})


def test_kdv_xpinn_trains_with_periodic_terms():
    pb = kdv(c=6.0)
    pb.domain["t"] = (0.0, 1.0)
    pb.decomposition = Decomposition(split=["t = 0.5"])
    pb.reference.options.update(modes=128, dt=2e-3)
    pb.reference.grid = {"x": 41, "t": 11}
    torch.manual_seed(0)
    res = pinnlab.solve(pb, "xpinn", progress=False, adam_steps=300,
                        lbfgs_steps=500, residual_points=300)
    first, last = res.history[0], res.history[-1]
    assert "conditions.periodic[0]" in last and "conditions.periodic[1]" in last
    # measured over seeds 0-5 at 1 and 2 threads: loss ratio 5e-4-2.6e-3, rel. L2 0.109-0.247
    # (untrained: 1.1)
    assert last["loss"] < 0.01 * first["loss"]
    assert res.evaluate()["rel_l2"] < 0.4


@pytest.mark.parametrize("option, value, words", [("foo", 3, "unknown option 'foo'"),
                                                  ("modes", "many", "must be a whole number")])
def test_bad_reference_option_is_a_spec_error(option, value, words):
    """A bad [reference] option is found by validation, before any training."""
    pb = kdv()
    pb.reference.options[option] = value
    with pytest.raises(pinnlab.SpecError, match="kdv_spectral") as info:
        pb.validate()
    assert words in str(info.value) and info.value.key == f"reference.{option}"
