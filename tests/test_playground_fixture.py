"""The playground's BN fixture (site_tests/playground_fixture.json) is what bnutils computes today."""
import json
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from make_playground_data import FIXTURE, fixture  # noqa: E402


def test_fixture_matches_bnutils():
    stored = json.loads(FIXTURE.read_text())
    fresh = fixture()
    assert stored.keys() == fresh.keys()
    for key, value in fresh.items():
        np.testing.assert_allclose(np.asarray(stored[key], np.float64), np.asarray(value, np.float64),
                                   rtol=1e-6, atol=1e-7, err_msg=f"{key}: rerun tools/make_playground_data.py")


def test_fixture_is_not_trivial():
    f = fixture()
    # the moving statistics moved away from their start (0 and 1) but not all the way (momentum 0.99)
    mm, mv = np.asarray(f["moving_mean"]), np.asarray(f["moving_variance"])
    assert np.all(mm > 0.05) and np.all(mm < 1.0), mm
    assert not np.allclose(mv, 1.0), mv
    assert np.abs(np.asarray(f["dx"])).max() > 1e-3
