"""Importing pinnlab is fast and quiet: no heavy modules, no output, nothing written to HOME."""

import os
import subprocess
import sys


def test_import_is_light_and_quiet(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path))
    code = ("import sys, pinnlab; heavy = [m for m in ('torch', 'numpy', 'matplotlib', 'scipy') "
            "if m in sys.modules]; assert not heavy, heavy")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    assert list(tmp_path.iterdir()) == []
