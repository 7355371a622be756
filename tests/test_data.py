"""The data file, the loader, and the verified download (against a local HTTP server)."""
import functools
import hashlib
import http.server
import threading

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


@pytest.fixture
def http_dir(tmp_path):
    """Serve tmp_path/'srv' on 127.0.0.1; yield (folder, base URL)."""
    srv = tmp_path / "srv"
    srv.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(srv))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield srv, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_verifies_and_caches(http_dir, tmp_path):
    srv, base = http_dir
    (srv / "mnist5k.npz").write_bytes((ROOT / "data" / "mnist5k.npz").read_bytes())
    cache = tmp_path / "cache"
    p = data.mnist5k_path(url=f"{base}/mnist5k.npz", cache_dir=cache)
    assert p == cache / "mnist5k.npz" and p.is_file()
    Xtr, ytr, Xte, yte = data.load_mnist5k(path=p)
    assert Xtr.shape == (4000, 28, 28)
    # a second call uses the cache: it works even with the server's file gone
    (srv / "mnist5k.npz").unlink()
    assert data.mnist5k_path(url=f"{base}/mnist5k.npz", cache_dir=cache) == p


def test_corrupted_download_is_an_error_and_nothing_is_cached(http_dir, tmp_path):
    srv, base = http_dir
    good = (ROOT / "data" / "mnist5k.npz").read_bytes()
    (srv / "mnist5k.npz").write_bytes(good[:-100] + b"x" * 100)
    cache = tmp_path / "cache"
    with pytest.raises(data.DataIntegrityError, match="sha256"):
        data.mnist5k_path(url=f"{base}/mnist5k.npz", cache_dir=cache)
    assert not any(cache.iterdir())           # no file, no partial file
    # a damaged cached copy is replaced by a good download
    (srv / "mnist5k.npz").write_bytes(good)
    (cache / "mnist5k.npz").write_bytes(b"damaged")
    p = data.mnist5k_path(url=f"{base}/mnist5k.npz", cache_dir=cache)
    assert hashlib.sha256(p.read_bytes()).hexdigest() == data.MNIST5K_SHA256


def test_missing_file_on_server_is_an_error(http_dir, tmp_path):
    _, base = http_dir
    with pytest.raises(OSError):
        data.mnist5k_path(url=f"{base}/nothing.npz", cache_dir=tmp_path / "c")
    assert not any((tmp_path / "c").iterdir())
