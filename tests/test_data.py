"""The data file, the loader, and the copy that ships inside the package (a real wheel install)."""
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from bnutils import data
from conftest import ROOT


def test_data_file_sha256():
    digest = hashlib.sha256((ROOT / "data" / "mnist5k.npz").read_bytes()).hexdigest()
    assert digest == data.MNIST5K_SHA256
    assert data.MNIST5K_SHA256 in (ROOT / "data" / "README.md").read_text()


def test_load_mnist5k_split():
    Xtr, ytr, Xte, yte = data.load_mnist5k(seed=0)
    assert Xtr.shape == (4000, 28, 28) and Xte.shape == (1000, 28, 28)
    assert Xtr.dtype == np.float32 and Xte.dtype == np.float32
    assert 0.0 <= Xtr.min() and Xtr.max() <= 1.0 and Xtr.max() == 1.0
    assert np.array_equal(np.bincount(ytr), np.full(10, 400))
    assert np.array_equal(np.bincount(yte), np.full(10, 100))
    assert not np.array_equal(ytr[:20], np.sort(ytr[:20]))          # shuffled
    # train and test are disjoint images
    tr = {hash(x.tobytes()) for x in Xtr}
    assert sum(hash(x.tobytes()) in tr for x in Xte) < 5          # MNIST has a few exact duplicates at most


def test_load_mnist5k_is_reproducible():
    a = data.load_mnist5k(seed=3)
    b = data.load_mnist5k(seed=3)
    c = data.load_mnist5k(seed=4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[1], c[1])


def test_bad_split_is_rejected():
    with pytest.raises(ValueError, match="n_test_per_class"):
        data.load_mnist5k(n_test_per_class=500)


def test_the_package_ships_the_file():
    p = data.mnist5k_path()
    assert p == data._candidates()[0], "the copy inside the package comes first"
    assert (ROOT / "bnutils" / "mnist5k.npz").resolve() == (ROOT / "data" / "mnist5k.npz").resolve()


def test_no_data_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "_candidates", lambda: [tmp_path / "a" / "mnist5k.npz", tmp_path / "b" / "mnist5k.npz"])
    with pytest.raises(data.DataNotFoundError) as e:
        data.load_mnist5k()
    msg = str(e.value)
    assert "mnist5k.npz" in msg and str(tmp_path / "a") in msg and str(tmp_path / "b") in msg
    assert "reinstall" in msg and "path=" in msg
    assert not (tmp_path / "a").exists()                  # nothing created on the way
    with pytest.raises(data.DataNotFoundError, match="nowhere.npz"):
        data.load_mnist5k(path=tmp_path / "nowhere.npz")


def test_damaged_file_is_an_error(monkeypatch, tmp_path):
    bad = tmp_path / "mnist5k.npz"
    bad.write_bytes(b"damaged")
    monkeypatch.setattr(data, "_candidates", lambda: [bad])
    with pytest.raises(data.DataIntegrityError, match="sha256"):
        data.load_mnist5k()


def test_wheel_install_works_offline_from_anywhere(tmp_path):
    """Build the wheel from the repository (no network, no build isolation), install it into a
    folder, and load the data from /tmp-like cwd with no checkout around."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    src = tmp_path / "src"                     # a copy of what git holds, so the build leaves no build/ here
    shutil.copytree(ROOT / "bnutils", src / "bnutils", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (src / "data").mkdir()
    shutil.copy(ROOT / "data" / "mnist5k.npz", src / "data")
    for f in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / f, src)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(src)], check=True, env=env, cwd=tmp_path)
    (whl,) = wheels.glob("bnutils-*.whl")
    with zipfile.ZipFile(whl) as z:
        assert hashlib.sha256(z.read("bnutils/mnist5k.npz")).hexdigest() == data.MNIST5K_SHA256
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(whl)],
                   check=True, env=env, cwd=tmp_path)
    run = tmp_path / "elsewhere"
    run.mkdir()
    code = (f"import sys; sys.path.insert(0, {str(target)!r}); import bnutils.data as d; "
            f"assert d.__file__.startswith({str(target)!r}), d.__file__; "
            "p = d.mnist5k_path(); Xtr, ytr, Xte, yte = d.load_mnist5k(); print(p, Xtr.shape)")
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=run, capture_output=True, text=True)
    assert str(target) in out.stdout and "(4000, 28, 28)" in out.stdout
