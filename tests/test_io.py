"""Files in and out: atomic writes never follow a planted link, data files stay inside the
spec's folder, .npz files are checked before they are decompressed, output folders lock."""

import io
import os
import zipfile

import numpy as np
import pytest

from pinnlab.errors import DataError, SpecError
from pinnlab.io import OutputLock, atomic_json, data_file
from pinnlab.spec.toml import read_npz


def test_atomic_write_replaces_a_planted_link_and_leaves_its_target(tmp_path):
    target = tmp_path / "outside.txt"
    target.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.json").symlink_to(target)
    atomic_json(out / "metrics.json", {"a": 1})
    assert target.read_text() == "keep"
    assert not (out / "metrics.json").is_symlink()
    assert [p.name for p in out.iterdir()] == ["metrics.json"]  # no temporary left behind


def test_data_files_stay_inside_the_folder(tmp_path):
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    (tmp_path / "secret.csv").write_text("x,u\n0,1\n")
    (spec_dir / "link.csv").symlink_to(tmp_path / "secret.csv")
    for name in ("../secret.csv", str(tmp_path / "secret.csv"), "link.csv"):
        with pytest.raises(SpecError):
            data_file(name, base=str(spec_dir), file="spec.toml", key="observations.file")
    allowed = data_file("link.csv", base=str(spec_dir), allowed=[str(tmp_path)],
                        file="spec.toml", key="observations.file")
    assert allowed == os.path.realpath(tmp_path / "secret.csv")


def test_npz_header_sizes_are_checked_before_reading(tmp_path):
    hdr = io.BytesIO()
    np.lib.format.write_array_header_1_0(hdr, {"descr": "<f8", "fortran_order": False,
                                               "shape": (2**40,)})
    with zipfile.ZipFile(tmp_path / "lie.npz", "w") as z:
        z.writestr("x.npy", hdr.getvalue() + bytes(80))
    with pytest.raises(DataError, match="would take"):
        read_npz(str(tmp_path / "lie.npz"), file="lie.npz", key="reference.file")
    np.savez(tmp_path / "ok.npz", x=np.arange(3.0))
    assert read_npz(str(tmp_path / "ok.npz"), file="ok.npz", key="k")["x"].tolist() == [0, 1, 2]


def test_a_second_run_on_the_same_folder_is_refused(tmp_path):
    with OutputLock(str(tmp_path)):
        with pytest.raises(SpecError, match="in use"):
            with OutputLock(str(tmp_path)):
                pass
    with OutputLock(str(tmp_path)):  # released
        pass
    assert list(tmp_path.iterdir()) == []
