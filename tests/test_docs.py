"""The spec reference stays true: every key the loader accepts is documented in docs/spec.md,
every example marked ``# check`` there passes ``pinnlab check``, and the generated option tables
and JSON Schema match the code."""

import os
import re
import subprocess
import sys

import pytest

from pinnlab.cli import main
from pinnlab.spec.schema import Document

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = open(os.path.join(ROOT, "docs", "spec.md"), encoding="utf-8").read()


def _keys(model, seen=None):
    """Every key of the spec's tables (recursively through the table models)."""
    import typing

    from pinnlab.spec.schema import _unwrap

    seen = set() if seen is None else seen
    out = set()
    for name, field in model.model_fields.items():
        out.add(name)
        inner = _unwrap(field.annotation)
        if typing.get_origin(inner) is dict:
            inner = _unwrap(typing.get_args(inner)[1])
        if isinstance(inner, type) and inner not in seen and hasattr(inner, "model_fields"):
            seen.add(inner)
            out |= _keys(inner, seen)
    return out


def test_every_spec_key_is_documented():
    missing = sorted(k for k in _keys(Document) if f"`{k}`" not in DOC and f"[{k}]" not in DOC)
    assert not missing, f"docs/spec.md does not mention {missing}"


EXAMPLES = re.findall(r"```toml\n# check\n(.*?)```", DOC, flags=re.S)


def test_there_are_examples():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_documented_example_passes_check(index, tmp_path, capsys):
    path = tmp_path / "example.toml"
    path.write_text(EXAMPLES[index])
    assert main(["check", str(path)]) == 0, capsys.readouterr().err


def test_generated_reference_is_up_to_date():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "docs", "make_reference.py"),
                           "--check"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
