"""Sliced Wasserstein on Laplacian-pyramid patches: pyramid reconstruction, a known shift, growth with a pattern."""

import numpy as np
import pytest
from scipy import ndimage
from scipy.special import gammaln

from convexgan.metrics import sliced_wasserstein_pyramid
from convexgan.metrics.sliced import laplacian_pyramid, pyramid_resolutions, sliced_wasserstein

KERNEL = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0  # OpenCV's pyrUp/pyrDown kernel


def pyr_up(x):
    up = np.zeros(x.shape[:2] + (2 * x.shape[2], 2 * x.shape[3]))
    up[:, :, ::2, ::2] = x
    return ndimage.convolve(up, 4 * KERNEL[None, None], mode="mirror")


def smooth_images(rng, n, size=32, channels=3):
    noise = rng.standard_normal((n, size, size, channels))
    return ndimage.gaussian_filter(noise, sigma=(0, 1.5, 1.5, 0), mode="wrap") * 3 + 0.5


def test_pyramid_collapses_back_to_the_image():
    images = np.random.default_rng(0).uniform(size=(2, 32, 16, 3))
    levels = laplacian_pyramid(images, 3)
    assert [lvl.shape for lvl in levels] == [(2, 3, 32, 16), (2, 3, 16, 8), (2, 3, 8, 4)]
    image = levels[-1]
    for band in reversed(levels[:-1]):
        image = pyr_up(image) + band
    np.testing.assert_allclose(np.moveaxis(image, 1, -1), images, atol=1e-12)


def test_resolutions_follow_the_reference():
    assert pyramid_resolutions(64) == [64, 32, 16]
    assert pyramid_resolutions(16) == [16]
    assert pyramid_resolutions(8) == [8]


def test_known_shift_of_descriptors():
    # Translating every point by t e moves every sorted projection by t (e . theta), so the distance is
    # |t| E|e . theta| = |t| Gamma(D/2) / (sqrt(pi) Gamma((D+1)/2)) for theta uniform on the sphere.
    rng = np.random.default_rng(1)
    D, t = 50, 0.7
    A = rng.standard_normal((500, D))
    e = np.zeros(D)
    e[0] = 1.0
    expected = t * np.exp(gammaln(D / 2) - gammaln((D + 1) / 2)) / np.sqrt(np.pi)
    got = sliced_wasserstein(A, A + t * e, np.random.default_rng(2), n_directions=20000, chunk=5000)
    assert got == pytest.approx(expected, rel=0.02)
    assert sliced_wasserstein(A, A, np.random.default_rng(2)) == 0


def test_self_distance_is_small_and_grows_with_a_pattern():
    rng = np.random.default_rng(3)
    images = smooth_images(rng, 64)
    other = smooth_images(rng, 64)
    pattern = rng.standard_normal((1, 32, 32, 3))
    kw = dict(seed=0, nhoods_per_image=32, n_directions=128)
    same = sliced_wasserstein_pyramid(images, other, **kw)
    assert same.resolutions == (32, 16)
    values = [sliced_wasserstein_pyramid(images, other + s * pattern, **kw).average for s in (0.1, 0.3, 1.0)]
    assert same.average < values[0] < values[1] < values[2]
    assert values[2] > 1.5 * same.average


def test_same_seed_same_result_and_small_images_refused():
    rng = np.random.default_rng(4)
    a, b = smooth_images(rng, 8, size=16), smooth_images(rng, 8, size=16)
    kw = dict(nhoods_per_image=8, n_directions=16)
    assert sliced_wasserstein_pyramid(a, b, seed=5, **kw) == sliced_wasserstein_pyramid(a, b, seed=5, **kw)
    with pytest.raises(ValueError, match="nhood_size=7 must be between 1 and 4"):
        sliced_wasserstein_pyramid(a[:, :4, :4], b[:, :4, :4])
    with pytest.raises(ValueError, match="same shape"):
        sliced_wasserstein_pyramid(a, b[:4])


def test_default_swd_is_measured_on_the_8bit_clipped_images():
    rng = np.random.default_rng(11)
    a = rng.uniform(-0.2, 1.2, size=(6, 16, 16, 3))
    b = rng.uniform(0.0, 1.0, size=(6, 16, 16, 3)) ** 2
    kw = dict(seed=1, nhoods_per_image=16, n_directions=32)
    clipped = sliced_wasserstein_pyramid(a, b, **kw)
    by_hand = sliced_wasserstein_pyramid(np.round(np.clip(a, 0, 1) * 255) / 255,
                                         np.round(np.clip(b, 0, 1) * 255) / 255, quantize=False, **kw)
    unclipped = sliced_wasserstein_pyramid(a, b, quantize=False, **kw)
    assert clipped.images == "8-bit clipped" and unclipped.images == "unclipped float"
    assert clipped.per_level == pytest.approx(by_hand.per_level, rel=1e-12)
    assert abs(unclipped.average - clipped.average) > 1e-3 * clipped.average
