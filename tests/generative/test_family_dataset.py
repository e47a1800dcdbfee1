"""Datasets from a spec's [family] + [reference] (pinnlab.generative.family_dataset): the bundled
specs reproduce the former hand-written generators draw for draw, and bad [family] tables are
one-line errors naming file and key."""

import numpy as np
import pytest

import pinnlab
from pinnlab.cli import main
from pinnlab.errors import SpecError
from pinnlab.generative.datasets import family_dataset
from pinnlab.reference.burgers import burgers_cole_hopf


# ---- the former generators (pinnlab/generative/datasets.py before the specs), verbatim maths --
def old_heat(n, seed, nx=32, nt=32, t_end=0.05, n_modes=4, kappa_range=(0.2, 1.0)):
    rng = np.random.default_rng(seed)
    x, t = np.linspace(0.0, 1.0, nx), np.linspace(0.0, t_end, nt)
    kappa = rng.uniform(*kappa_range, n)
    k = np.arange(1, n_modes + 1)
    amp = rng.standard_normal((n, n_modes)) / k
    decay = np.exp(-kappa[:, None, None] * (k * np.pi) ** 2 * t[None, :, None])
    u = np.einsum("nk,ntk,kx->ntx", amp, decay, np.sin(np.pi * k[:, None] * x[None, :]))
    return u[:, None], kappa[:, None]


def old_burgers(n, seed, nx=64, nt=64, nu_range=(0.01 / np.pi, 0.1)):
    rng = np.random.default_rng(seed)
    nus = np.exp(rng.uniform(np.log(nu_range[0]), np.log(nu_range[1]), n))
    tt, xx = np.meshgrid(np.linspace(0.0, 1.0, nt), np.linspace(-1.0, 1.0, nx), indexing="ij")
    return np.stack([burgers_cole_hopf(xx, tt, nu) for nu in nus])[:, None], nus[:, None]


def old_darcy(n, seed, size=32, length_scale=0.15, log_std=1.0):
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 1.0, size)
    h = x[1] - x[0]
    xx, yy = np.meshgrid(x, x, indexing="ij")
    pts = np.stack([xx.ravel(), yy.ravel()], 1)
    d2 = ((pts[:, None] - pts[None]) ** 2).sum(-1)
    chol = np.linalg.cholesky(np.exp(-d2 / (2 * length_scale**2)) + 1e-6 * np.eye(size * size))
    m = size - 2
    idx = np.arange(m * m).reshape(m, m)
    out = np.empty((n, 2, size, size))
    for s in range(n):
        a = np.exp(log_std * (chol @ rng.standard_normal(size * size))).reshape(size, size)
        ax, ay = 0.5 * (a[1:, :] + a[:-1, :]), 0.5 * (a[:, 1:] + a[:, :-1])
        rows, cols, vals = [], [], []
        for i in range(1, size - 1):
            for j in range(1, size - 1):
                p = idx[i - 1, j - 1]
                w = (ax[i - 1, j], ax[i, j], ay[i, j - 1], ay[i, j])
                rows.append(p), cols.append(p), vals.append(sum(w) / h**2)
                for (ii, jj), c in zip(((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)), w):
                    if 0 < ii < size - 1 and 0 < jj < size - 1:
                        rows.append(p), cols.append(idx[ii - 1, jj - 1]), vals.append(-c / h**2)
        u = np.zeros((size, size))
        u[1:-1, 1:-1] = spsolve(sp.csr_matrix((vals, (rows, cols)), shape=(m * m, m * m)),
                                np.ones(m * m)).reshape(m, m)
        out[s, 0], out[s, 1] = a, u
    return out, np.zeros((n, 0))


@pytest.mark.parametrize("name,old,seed", [("heat", old_heat, 0), ("heat", old_heat, 11),
                                           ("burgers", old_burgers, 3),
                                           ("darcy", old_darcy, 5)])
def test_bundled_spec_reproduces_the_former_generator(name, old, seed):
    """Same seed, same draws, same fields: measured 0 after the float32 rounding both store
    (float64 before it: heat 1.3e-15 from the sine projection, Burgers 0, Darcy 0)."""
    ds = family_dataset(name, 3, seed=seed)
    fields, params = old(3, seed)
    assert ds.fields.shape == fields.shape and ds.fields.dtype == np.float32
    assert np.abs(ds.fields - fields.astype(np.float32)).max() <= 1e-12
    assert ds.params.shape == params.shape and np.abs(ds.params - params).max(initial=0) <= 1e-12
    assert list(ds.coords) == (["x", "y"] if name == "darcy" else ["t", "x"])


HEAT = """
fields = ["u"]
[domain]
x = [0.0, 1.0]
t = [0.0, 0.1]
[parameters]
kappa = 0.5
[definitions]
u0 = "sin(pi*x)"
[equations]
heat = "u_t - kappa*u_xx"
[conditions.init]
kind = "initial"
field = "u"
value = "u0"
[reference]
solver = "heat_sine"
modes = 16
grid = { x = 9, t = 5 }
"""

DARCY = """
fields = ["u"]
[domain]
x = [0.0, 1.0]
y = [0.0, 1.0]
[definitions]
a = "1"
[equations]
darcy = "-(a*u_x)_x - (a*u_y)_y - 1"
[reference]
solver = "darcy_fd"
coefficient = "a"
grid = { x = 8, y = 8 }
"""


def spec(tmp_path, base: str, family: str):
    path = tmp_path / "family.toml"
    path.write_text(base + family)
    return path


@pytest.mark.parametrize("base,family,key,message", [
    (HEAT, '[family.u0]\nkind = "sine_series"\nmode = 4\n', "family.u0.mode",
     "unknown key 'mode'"),
    (HEAT, '[family.u0]\nkind = "sine_series"\n', "family.u0.modes", "needs modes"),
    (HEAT, '[family.u0]\nkind = "sine_series"\nmodes = 0\n', "family.u0.modes", ">= 1"),
    (HEAT, '[family.u0]\nkind = "white_noise"\n', "family.u0.kind", "white_noise"),
    (HEAT, '[family.u0]\nkind = "sine_series"\nmodes = 4\nstd = 2.0\n', "family.u0.std",
     "std is not a key of a sine_series entry"),
    (HEAT, '[family.u1]\nkind = "sine_series"\nmodes = 4\n', "family.u1",
     "replaces a definition"),
    (HEAT, '[family.u0]\nkind = "sine_series"\nmodes = 4\nrange = [0, 1]\n',
     "family.u0.range", "range is for log_uniform"),
    (HEAT, '[family.kappa]\nkind = "log_uniform"\n', "family.kappa.range", "needs range"),
    (HEAT, '[family.kappa]\nkind = "log_uniform"\nrange = [0.0, 1.0]\n', "family.kappa.range",
     "positive"),
    (DARCY, '[family.a]\nkind = "sine_series"\nmodes = 4\n', "family.a",
     "one space coordinate"),
    (DARCY, '[family.a]\nkind = "gaussian_field"\n', "family.a.length_scale",
     "needs length_scale"),
    (DARCY, '[family.a]\nkind = "gaussian_field"\nlength_scale = -0.1\n',
     "family.a.length_scale", "> 0"),
    (DARCY, '[family.a]\nkind = "gaussian_field"\nlength_scale = 0.1\nmodes = 3\n',
     "family.a.modes", "modes is not a key of a gaussian_field entry"),
    (DARCY, '[family.a]\nkind = "gaussian_field"\nlength_scale = 0.1\ntransform = "threshold"\n',
     "family.a.values", "needs values"),
    (DARCY, '[family.a]\nkind = "gaussian_field"\nlength_scale = 0.1\nvalues = [3, 12]\n',
     "family.a.values", "values is for transform"),
    (DARCY, '[family.a]\nkind = "gaussian_field"\nlength_scale = 0.1\ntransform = "log"\n',
     "family.a.transform", "exp"),
])
def test_bad_family_table_is_a_one_line_error(tmp_path, base, family, key, message):
    path = spec(tmp_path, base, family)
    with pytest.raises(SpecError) as err:
        pinnlab.load(path)
    text = str(err.value)
    assert "\n" not in text and text.startswith(f"{path}: {key}: ") and message in text, text


def test_random_function_replaces_its_definition(tmp_path):
    """The draws are the spec's sine series, each member solved from its own u0; the spec's
    own member (u0 = sin(pi x)) is untouched."""
    problem = pinnlab.load(spec(tmp_path, HEAT, '[family.u0]\nkind = "sine_series"\n'
                                                'modes = 2\ndecay = 2.0\n'))
    ds = family_dataset(problem, 4, seed=1)
    amp = np.random.default_rng(1).standard_normal((4, 2)) / np.array([1.0, 4.0])
    x = ds.coords["x"]
    u0 = amp @ np.sin(np.pi * np.outer([1, 2], x))
    np.testing.assert_allclose(ds.fields[:, 0, 0], u0, atol=1e-6)
    assert ds.params.shape == (4, 0) and problem.definitions["u0"] == "sin(pi*x)"


def test_thresholded_gaussian_field_is_an_input_channel(tmp_path):
    problem = pinnlab.load(spec(tmp_path, DARCY, '[family.a]\nkind = "gaussian_field"\n'
                                                 'length_scale = 0.2\ntransform = "threshold"\n'
                                                 'values = [3.0, 12.0]\n'))
    ds = family_dataset(problem, 2, seed=0)
    assert ds.fields.shape == (2, 2, 8, 8) and set(np.unique(ds.fields[:, 0])) == {3.0, 12.0}
    assert np.all(ds.fields[:, 1, 1:-1, 1:-1] > 0)


def test_gaussian_field_is_known_on_its_nodes_only(tmp_path):
    """A reference that evaluates the draw elsewhere (poisson_fd on its own grid) is refused."""
    text = DARCY.replace('solver = "darcy_fd"\ncoefficient = "a"',
                         'solver = "poisson_fd"\nsource = "-a"\nn = 8')
    problem = pinnlab.load(spec(tmp_path, text, '[family.a]\nkind = "gaussian_field"\n'
                                                'length_scale = 0.2\n'))
    with pytest.raises(SpecError, match="family.a: a gaussian_field draw is known on the grid"):
        family_dataset(problem, 1, seed=0)


def test_a_spec_without_family_is_refused(tmp_path):
    with pytest.raises(SpecError, match="family: no \\[family\\]"):
        family_dataset(spec(tmp_path, HEAT, ""), 2, seed=0)


def test_cli_writes_a_spec_family(tmp_path, capsys):
    path = spec(tmp_path, DARCY, '[family.a]\nkind = "gaussian_field"\nlength_scale = 0.2\n')
    out = tmp_path / "d.npz"
    assert main(["prior", "data", "--spec", str(path), "--n", "2", "--out", str(out)]) == 0
    with np.load(out) as z:
        assert z["fields"].shape == (2, 2, 8, 8) and list(z["axes"]) == ["x", "y"]
    assert main(["prior", "data", "--spec", str(path), "--family", "heat", "--out",
                 str(out)]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_squared_exponential_covariance_matches_its_formula():
    """The blocked build (1600 nodes: two blocks of rows) equals the formula, std^2 included."""
    from pinnlab.generative.datasets import squared_exponential

    x, y = np.linspace(0, 1, 40), np.linspace(0, 2, 40)
    pts = np.stack([g.ravel() for g in np.meshgrid(x, y, indexing="ij")], 1)
    d2 = ((pts[:, None] - pts[None]) ** 2).sum(-1)
    want = 0.25 * (np.exp(-d2 / (2 * 0.3**2)) + 1e-6 * np.eye(len(pts)))
    k = squared_exponential([x, y], 0.3, std=0.5)
    assert k.shape == (1600, 1600)
    assert np.abs(k - want).max() <= 1e-15
    assert np.abs(k - k.T).max() == 0.0  # the same arithmetic for (p, q) and (q, p): exact
