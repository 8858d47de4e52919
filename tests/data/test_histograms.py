"""Per-channel histogram matching: the output takes the reference's values at the same ranks."""

import numpy as np

from convexgan.data.histograms import match_histograms


def test_matched_values_are_the_reference_quantiles_in_the_original_order():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(4, 5, 5, 3))
    reference = rng.uniform(size=(4, 5, 5, 3))
    out = match_histograms(images, reference)
    for c in range(3):
        src, ref, got = images[..., c].ravel(), reference[..., c].ravel(), out[..., c].ravel()
        np.testing.assert_allclose(np.sort(got), np.sort(ref), rtol=1e-6)
        np.testing.assert_array_equal(np.argsort(got, kind="stable"), np.argsort(src, kind="stable"))


def test_matching_to_itself_is_the_identity():
    images = np.random.default_rng(1).uniform(size=(3, 4, 4, 1))
    np.testing.assert_allclose(match_histograms(images, images), images, rtol=1e-6)
