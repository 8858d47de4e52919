"""FID from features: closed-form cases and the sample-size warning."""

import numpy as np
import pytest

from convexgan.metrics import SampleSizeWarning, frechet_distance


def test_identical_feature_sets_give_zero():
    F = np.random.default_rng(0).standard_normal((300, 16))
    assert frechet_distance(F, F) < 1e-10


def test_equal_covariances_give_squared_mean_distance():
    rng = np.random.default_rng(1)
    F = rng.standard_normal((200, 10)) @ rng.standard_normal((10, 10))
    shift = rng.standard_normal(10)
    assert frechet_distance(F, F + shift) == pytest.approx(shift @ shift, rel=1e-8)


def test_too_few_samples_warn():
    rng = np.random.default_rng(2)
    with pytest.warns(SampleSizeWarning, match="features_a has 20 samples in dimension 64"):
        value = frechet_distance(rng.standard_normal((20, 64)), rng.standard_normal((100, 64)))
    assert value > 0
