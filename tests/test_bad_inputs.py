"""Hostile and malformed inputs: every case of ``tests/bad_inputs/cases.toml`` must be refused.

The corpus is data: ``cases.toml`` lists each case (its command line, the file and key the error
must name) and ``tests/bad_inputs/<category>/<id>/`` holds its files. What cannot be committed —
crafted pickles, corrupted copies of a genuine checkpoint, a 2 GiB sparse file, symbolic links,
TOML nested 10 000 deep — is made at test time by the builders in ``BUILDERS``, keyed by the
``kind`` of each ``[[case.generate]]`` entry.

The contract each case checks (see the head of ``cases.toml``):

1. exit code 2 and exactly one line on stderr, ``pinnlab: error: <file>: <key>: <message>``,
   naming the file (its basename) and the key;
2. no traceback, at most one short line on stdout;
3. nothing written: the test's folder is snapshotted before and after (an empty output folder is
   tolerated), and paths listed under ``absent`` must not appear;
4. no payload runs: a crafted file that would create ``<tmp>/PWNED`` when unpickled must not;
5. refused before any training (budgets are tiny anyway: ``--steps 2 --lbfgs-steps 0``).

Cases run in-process through :func:`pinnlab.cli.main` (``SystemExit`` from argparse is caught);
the denial-of-service cases (``subprocess = true``) run ``python -m pinnlab.cli`` with a 60 s
timeout and a 4 GiB address-space limit. The ``symlink`` cases (a link planted in the output
folder) may legitimately succeed: they check only that the link's target is left unchanged.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import io
import json
import os
import pickle
import random
import re
import resource
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import traceback
import types
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "bad_inputs"
PREFIX = "pinnlab: error: "
MARKER = "PWNED"
IN_PROCESS_TIMEOUT = 90  # s; a hang in-process is reported, not waited for
SUBPROCESS_TIMEOUT = 60  # s
MEMORY_LIMIT = 4 * 2**30  # bytes of address space for the subprocess cases
SOLVE_TAIL = ["--steps", "2", "--lbfgs-steps", "0", "--out", "{out}", "--quiet"]
GENUINE_ARGV = ["solve", str(ROOT / "problems" / "burgers.toml"), "--steps", "2", "--lbfgs-steps",
                "0", "--option", "residual_points=64", "--option", "boundary_points=16",
                "--option", "initial_points=16", "--option", "width=8", "--option", "depth=1",
                "--option", "compile=false", "--quiet"]


# ---- the manifest ---------------------------------------------------------------------------
def _load_cases() -> list[dict]:
    with open(CORPUS / "cases.toml", "rb") as fh:
        raw = tomllib.load(fh)["case"]
    cases = []
    for c in raw:
        if "argv" in c:
            cases.append(c)
            continue
        cases.append({**c, "argv": ["check", "{case}/" + c["spec"]]})
        if c.get("solve"):
            cases.append({**c, "id": c["id"] + "-solve",
                          "argv": ["solve", "{case}/" + c["spec"], *SOLVE_TAIL]})
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids in cases.toml"
    return cases


CASES = _load_cases()
IN_PROCESS = [c for c in CASES if not c.get("subprocess") and c["category"] != "symlink"]
SUBPROCESS = [c for c in CASES if c.get("subprocess")]
SYMLINK = [c for c in CASES if c["category"] == "symlink"]


def _params(cases):
    return [pytest.param(c, id=c["id"]) for c in cases]


# ---- session-wide inputs --------------------------------------------------------------------
@pytest.fixture(scope="session")
def genuine_checkpoint(tmp_path_factory) -> Path:
    """A genuine checkpoint of a 2-step Burgers solve (width 8, depth 1), made by this code."""
    from pinnlab.cli import main

    out = tmp_path_factory.mktemp("genuine") / "burgers"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            rc = main([*GENUINE_ARGV, "--out", str(out)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            rc = f"{type(exc).__name__}: {exc}"
    path = out / "checkpoint.pt"
    if rc != 0 or not path.is_file():
        raise RuntimeError(f"could not make a genuine checkpoint (rc {rc}): "
                           f"{buf.getvalue()[-800:]}")
    return path


@pytest.fixture(scope="session")
def prior_dataset(tmp_path_factory) -> Path:
    """A tiny, valid heat-equation dataset for ``pinnlab prior``."""
    from pinnlab.generative.datasets import family_dataset

    path = tmp_path_factory.mktemp("prior") / "data.npz"
    family_dataset("heat", 4, seed=0, grid={"t": 16, "x": 16}).save(path)
    return path


# ---- crafted pickles ------------------------------------------------------------------------
class _Call:
    """Pickles as a call of ``fn(*args)`` at unpickling time (the classic __reduce__ payload)."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def _payload(kind: str, marker: Path):
    code = f"open({str(marker)!r}, 'w').write('pwned')"
    run = _Call(builtins.exec, code)
    normal = {"module": {}, "optimizer": None, "state": {"step": 0}, "weights": None,
              "generators": [], "stateful": {}, "first_loss": None, "tag": ""}
    if kind == "exec":
        return run
    if kind == "os-system":
        return _Call(os.system, f"touch {shlex.quote(str(marker))}")
    if kind == "in-dict":
        return {**normal, "tag": run}
    if kind == "instance":
        return types.SimpleNamespace(config={}, state=run)
    if kind == "normal-state":  # runs the code, then hands back a normal-looking state
        return _Call(builtins.eval, f"(open({str(marker)!r}, 'w').close(), {normal!r})[1]")
    if kind == "raw-pickle":
        return run
    raise ValueError(kind)


def _torch_bytes(obj) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _with_genuine_header(body: bytes, genuine: bytes) -> bytes:
    """``body`` behind the genuine file's header when that file has one (a magic line, then a
    JSON line with ``size``/``sha256``), the size and digest recomputed; else ``body``."""
    first, _, rest = genuine.partition(b"\n")
    second, _, _ = rest.partition(b"\n")
    try:
        header = json.loads(second)
    except ValueError:
        return body
    if not (first.isascii() and isinstance(header, dict)):
        return body
    if "size" in header:
        header["size"] = len(body)
    if "sha256" in header:
        header["sha256"] = hashlib.sha256(body).hexdigest()
    return first + b"\n" + json.dumps(header, sort_keys=True).encode() + b"\n" + body


# ---- builders: kind -> function(workspace, params, request) ---------------------------------
def _build_write_file(ws, p, request):
    path = Path(ws.fill(p["path"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(p.get("content", ""))


def _build_mkdir(ws, p, request):
    Path(ws.fill(p["path"])).mkdir(parents=True, exist_ok=True)


def _build_symlink(ws, p, request):
    path = Path(ws.fill(p["path"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(ws.fill(p["target"]), path)


def _build_sparse(ws, p, request):
    path = Path(ws.fill(p["path"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(int(p["size"]))


def _build_deep_toml(ws, p, request):
    n = 10_000
    base = (CORPUS / "base" / "tiny.toml").read_text()
    deep = {"array": "zz = " + "[" * n + "]" * n,
            "inline": "zz = " + "{ a = " * n + "1" + " }" * n}[p["shape"]]
    Path(ws.fill(p["path"])).write_text(deep + "\n" + base)


def _build_long_equation(ws, p, request):
    base = (CORPUS / "base" / "tiny.toml").read_text()
    eq = "u_t" + " + u*u_x" * 12_500  # 100 kB
    text = re.sub(r'(?m)^e1 = ".*"$', f'e1 = "{eq}"', base)
    assert eq in text
    Path(ws.fill(p["path"])).write_text(text)


def _build_prior_data(ws, p, request):
    path = Path(ws.fill(p["path"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(request.getfixturevalue("prior_dataset"), path)


def _build_genuine_checkpoint(ws, p, request):
    data = bytearray(request.getfixturevalue("genuine_checkpoint").read_bytes())
    corrupt = p.get("corrupt", "none")
    if corrupt == "flip64":
        for i in random.Random(1234).sample(range(len(data)), 64):
            data[i] ^= 0xFF
    elif corrupt == "truncate":
        data = data[: len(data) // 2]
    elif corrupt != "none":
        raise ValueError(corrupt)
    path = Path(ws.fill(p["path"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(data))


def _build_torch_object(ws, p, request):
    obj = {"list": [1, 2, 3], "dict_missing": {"module": {}}}[p["object"]]
    path = Path(ws.fill(p["path"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_torch_bytes(obj))


def _build_evil_checkpoint(ws, p, request):
    obj = _payload(p["payload"], ws.marker)
    if p["payload"] == "raw-pickle":
        body = pickle.dumps(obj, protocol=2)
    else:
        body = _torch_bytes(obj)
    if p.get("wrap") == "genuine_header":
        genuine = request.getfixturevalue("genuine_checkpoint").read_bytes()
        body = _with_genuine_header(body, genuine)
    path = Path(ws.fill(p["path"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def _build_evil_npz(ws, p, request):
    import numpy as np

    evil = np.empty(2, dtype=object)
    evil[0], evil[1] = _payload("exec", ws.marker), 1.0
    path = Path(ws.fill(p["path"]))
    if p["arrays"] == "reference":
        arrays = {"x": np.linspace(-1, 1, 16), "t": np.linspace(0, 1, 8), "u": evil}
    else:  # a pinnlab prior dataset whose axis names are a pickled payload
        arrays = {"fields": np.zeros((4, 1, 16, 16), np.float32), "params": np.ones((4, 1)),
                  "param_names": np.array(["kappa"]), "family": np.array("heat"), "axes": evil,
                  "coord_t": np.linspace(0, 1, 16), "coord_x": np.linspace(0, 1, 16)}
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _build_plant_symlink(ws, p, request):
    target = Path(ws.fill(p["target"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("ORIGINAL CONTENT, must stay\n")
    link = Path(ws.fill(p["path"]))
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)


BUILDERS = {
    "write_file": _build_write_file, "mkdir": _build_mkdir, "symlink": _build_symlink,
    "sparse": _build_sparse, "deep_toml": _build_deep_toml, "long_equation": _build_long_equation,
    "prior_data": _build_prior_data, "genuine_checkpoint": _build_genuine_checkpoint,
    "torch_object": _build_torch_object, "evil_checkpoint": _build_evil_checkpoint,
    "evil_npz": _build_evil_npz, "plant_symlink": _build_plant_symlink,
}


# ---- the workspace of one case --------------------------------------------------------------
class Workspace:
    """``<tmp>/case`` (the case's files), ``<tmp>/base`` (the shared tiny spec), ``<tmp>/out``
    (not created), the working directory ``<tmp>/w1/w2/cwd`` (deep, so that ``runs/../../x``
    still lands inside ``<tmp>``) and the marker ``<tmp>/PWNED`` a payload would create."""

    def __init__(self, tmp: Path, case: dict, request):
        self.tmp, self.case = tmp, case
        self.case_dir, self.base, self.out = tmp / "case", tmp / "base", tmp / "out"
        self.cwd, self.marker = tmp / "w1" / "w2" / "cwd", tmp / MARKER
        if case.get("folder"):
            shutil.copytree(CORPUS / case["folder"], self.case_dir, symlinks=True)
        else:
            self.case_dir.mkdir()
        shutil.copytree(CORPUS / "base", self.base)
        self.cwd.mkdir(parents=True)
        self.subs = {"case": self.case_dir, "out": self.out, "base": self.base, "tmp": tmp,
                     "root": ROOT}
        for g in case.get("generate", []):
            BUILDERS[g["kind"]](self, g, request)
        self.argv = [self.fill(a) for a in case["argv"]]
        self.absent = [Path(a) for a in case.get("absent", [])]
        for a in self.absent:  # left over from an earlier run of this very case
            _remove(a)
        self.before = _snapshot(tmp)

    def fill(self, text: str) -> str:
        for k, v in self.subs.items():
            text = text.replace("{" + k + "}", str(v))
        return text


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _snapshot(root: Path) -> dict[str, tuple]:
    """Every non-directory entry under ``root`` (links not followed): size, mtime, inode, type."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            snap[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns, st.st_ino,
                                                 stat.S_IFMT(st.st_mode))
    return snap


# ---- running a command ----------------------------------------------------------------------
class _Hang(BaseException):
    pass


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if f"{os.sep}pinnlab{os.sep}" in f.filename] or frames
    if not mine:
        return "?"
    f = mine[-1]
    return f"{os.path.relpath(f.filename, ROOT)}:{f.lineno} ({f.name})"


def _run_in_process(argv, cwd, monkeypatch, capsys):
    """(rc, stdout, stderr, crash) running ``pinnlab.cli.main(argv)`` in ``cwd``."""
    from pinnlab.cli import main

    monkeypatch.chdir(cwd)
    capsys.readouterr()

    def alarm(signum, frame):
        raise _Hang()

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(IN_PROCESS_TIMEOUT)
    rc, crash = None, None
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            sys.stderr.write(exc.code + "\n")
    except _Hang:
        crash = f"HANG: still running after {IN_PROCESS_TIMEOUT} s"
    except BaseException as exc:  # noqa: BLE001 - what the CLI would print as a traceback
        text = " ".join(str(exc).split())[:200]
        crash = f"TRACEBACK {type(exc).__name__}: {text} at {_where(exc)}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    return rc, out, err, crash


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _run_subprocess(argv, cwd):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        proc = subprocess.run([sys.executable, "-m", "pinnlab.cli", *argv], cwd=cwd, env=env,
                              capture_output=True, timeout=SUBPROCESS_TIMEOUT,
                              preexec_fn=_limit_memory, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        err = (exc.stderr or b"").decode(errors="replace")
        return None, "", err, f"TIMEOUT: still running after {SUBPROCESS_TIMEOUT} s"
    out = proc.stdout.decode(errors="replace")
    err = proc.stderr.decode(errors="replace")
    crash = None
    if proc.returncode < 0:
        crash = f"CRASH: killed by signal {-proc.returncode}"
    elif "Traceback (most recent call last)" in err:
        last = [line for line in err.splitlines() if line.strip()][-1]
        crash = f"TRACEBACK {last.strip()[:200]}"
    return proc.returncode, out, err, crash


# ---- the contract ---------------------------------------------------------------------------
def _names(text: str, key: str) -> bool:
    """``key`` stands in the key slot of ``text`` (``<file>: <key>: <message>``): a part of its own
    followed by ``": "`` or the end of the line. Sub-keys count for their table
    (``observations.file``, ``observations:u`` for ``observations``), as does a flag with its
    name (``--option width: ...``) and argparse's ``argument --steps: ...``."""
    pattern = (r"(?:^|: |argument )" + re.escape(key) + r"(?:[.:][\w@=.\-]+)*(?: [^\s:]+)?"
               r"(?=: |$)")
    return re.search(pattern, text) is not None


def _problems(ws: Workspace, rc, out: str, err: str, crash, *, may_succeed: bool = False):
    case, found = ws.case, []
    if crash:
        found.append(crash)
    elif "Traceback (most recent call last)" in err:
        found.append("TRACEBACK printed on stderr")
    elif rc == 0:
        if not may_succeed:
            found.append("ACCEPTED: exit code 0")
    elif rc != 2:
        found.append(f"EXIT CODE {rc}")
    lines = err.splitlines()
    if not crash and not (may_succeed and rc == 0):
        if len(lines) != 1:
            found.append(f"STDERR has {len(lines)} lines")
        last = lines[-1] if lines else ""
        if lines and not last.startswith(PREFIX):
            found.append("STDERR line lacks the 'pinnlab: error: ' prefix")
        if rc == 2 and len(lines) == 1 and not may_succeed:
            rest = last[len(PREFIX):] if last.startswith(PREFIX) else last
            files = case.get("file")
            files = [files] if isinstance(files, str) else files
            if files and not any(f in rest for f in files):
                found.append(f"FILE not named: {' or '.join(files)}")
            keys = case.get("key")
            keys = [keys] if isinstance(keys, str) else keys
            if keys and not any(_names(rest, k) for k in keys):
                found.append(f"KEY not named: {' or '.join(keys)}")
    if (len(out.splitlines()) > 1 or len(out) > 300) and not (may_succeed and rc == 0):
        found.append(f"STDOUT has {len(out.splitlines())} lines")
    if ws.marker.exists():
        found.append("CODE EXECUTED: the payload created the marker file")
    for s in case.get("forbid", []):
        if s in out or s in err:
            found.append(f"LEAK: {s!r} printed")
    for a in ws.absent:
        if a.exists() or a.is_symlink():
            found.append(f"WROTE OUTSIDE: {a}")
            _remove(a)
    if not may_succeed:
        after = _snapshot(ws.tmp)
        changed = sorted(k for k in after.keys() | ws.before.keys()
                         if after.get(k) != ws.before.get(k) and k != MARKER)
        if changed:
            found.append(f"WROTE FILES: {', '.join(changed[:4])}"
                         + (f" (+{len(changed) - 4})" if len(changed) > 4 else ""))
    return found


def _log(ws: Workspace, rc, err: str, found) -> None:
    """With PINNLAB_BAD_INPUTS_LOG=FILE, one line per case: id, rc, verdict, the stderr tail."""
    path = os.environ.get("PINNLAB_BAD_INPUTS_LOG")
    if path:
        last = " | ".join(err.strip().splitlines()[-2:])[:400]
        with open(path, "a") as fh:
            fh.write(f"{ws.case['id']}\t{rc}\t{'; '.join(found) or 'ok'}\t{last}\n")


def _report(ws: Workspace, found, err: str) -> str:
    tail = err.strip().splitlines()[-3:] if err.strip() else []
    return (f"[{ws.case['id']}] " + "; ".join(found)
            + f"\n  argv: pinnlab {' '.join(shlex.quote(a) for a in ws.argv)}"
            + "".join(f"\n  stderr: {line[:300]}" for line in tail))


# ---- the tests ------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _params(IN_PROCESS))
def test_bad_input_is_refused(case, tmp_path, monkeypatch, capsys, request):
    ws = Workspace(tmp_path, case, request)
    rc, out, err, crash = _run_in_process(ws.argv, ws.cwd, monkeypatch, capsys)
    found = _problems(ws, rc, out, err, crash)
    _log(ws, rc, err, found)
    if found:
        pytest.fail(_report(ws, found, err), pytrace=False)


@pytest.mark.parametrize("case", _params(SUBPROCESS))
def test_hostile_input_is_refused_in_bounded_time_and_memory(case, tmp_path, request):
    ws = Workspace(tmp_path, case, request)
    rc, out, err, crash = _run_subprocess(ws.argv, ws.cwd)
    found = _problems(ws, rc, out, err, crash)
    _log(ws, rc, err, found)
    if found:
        pytest.fail(_report(ws, found, err), pytrace=False)


@pytest.mark.parametrize("case", _params(SYMLINK))
def test_planted_symlink_is_not_followed(case, tmp_path, monkeypatch, capsys, request):
    ws = Workspace(tmp_path, case, request)
    target = tmp_path / "outside" / "target.txt"
    before = (target.read_bytes(), os.lstat(target))
    rc, out, err, crash = _run_in_process(ws.argv, ws.cwd, monkeypatch, capsys)
    found = _problems(ws, rc, out, err, crash, may_succeed=True)
    st = os.lstat(target) if target.exists() or target.is_symlink() else None
    if st is None:
        found.append("TARGET removed")
    elif not stat.S_ISREG(st.st_mode) or target.read_bytes() != before[0] \
            or st.st_mtime_ns != before[1].st_mtime_ns or st.st_ino != before[1].st_ino:
        found.append(f"FOLLOWED: the link {case['link']} wrote into its target outside --out")
    _log(ws, rc, err, found)
    if found:
        pytest.fail(_report(ws, found, err), pytrace=False)


def test_corpus_is_well_formed():
    """Every case names its category, a command line, a folder that exists, known builders."""
    categories = {"spec", "security", "dos", "cli", "symlink"}
    for c in CASES:
        assert c["category"] in categories, c["id"]
        assert c["argv"] is not None, c["id"]
        if c.get("folder"):
            assert (CORPUS / c["folder"]).is_dir(), c["id"]
        for g in c.get("generate", []):
            assert g["kind"] in BUILDERS, (c["id"], g["kind"])
        if c["category"] == "symlink":
            assert c.get("link"), c["id"]
