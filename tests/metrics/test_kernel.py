"""KID: the unbiased estimator against a direct double sum, and its mean 0 on identical distributions."""

import warnings

import numpy as np
import pytest

from convexgan.metrics import kernel_distance
from convexgan.exceptions import SampleSizeWarning
from convexgan.metrics.kernel import unbiased_mmd2


def direct_mmd2(X, Y):
    s, D = X.shape
    k = lambda x, y: (x @ y / D + 1.0) ** 3  # noqa: E731
    xx = sum(k(X[i], X[j]) for i in range(s) for j in range(s) if i != j) / (s * (s - 1))
    yy = sum(k(Y[i], Y[j]) for i in range(s) for j in range(s) if i != j) / (s * (s - 1))
    xy = sum(k(X[i], Y[j]) for i in range(s) for j in range(s)) / s**2
    return xx + yy - 2 * xy


def test_estimator_matches_double_sum():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((9, 4)), rng.standard_normal((9, 4)) + 0.3
    assert unbiased_mmd2(X, Y) == pytest.approx(direct_mmd2(X, Y), rel=1e-12)


def biased_mmd2(X, Y):
    D = X.shape[1]
    return (((X @ X.T / D + 1) ** 3).mean() + ((Y @ Y.T / D + 1) ** 3).mean() - 2 * ((X @ Y.T / D + 1) ** 3).mean())


@pytest.mark.filterwarnings("ignore::convexgan.exceptions.SampleSizeWarning")
def test_unbiased_on_identical_distributions():
    # Over independent draws from one distribution the estimator averages to 0, while the biased V-statistic
    # (which keeps the diagonal k(x, x)) is positive by about 2 (E k(x, x) - E k(x, y)) / s.
    values, biased = [], []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        X, Y = rng.standard_normal((50, 8)), rng.standard_normal((50, 8))
        values.append(kernel_distance(X, Y, n_subsets=1, subset_size=50, seed=seed)[0])
        biased.append(biased_mmd2(X, Y))
    values = np.array(values)
    stderr = values.std() / np.sqrt(values.size)
    assert abs(values.mean()) < 3 * stderr
    assert np.mean(biased) > 10 * stderr


@pytest.mark.filterwarnings("ignore::convexgan.exceptions.SampleSizeWarning")
def test_kid_grows_with_a_mean_shift_and_reports_subsets():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((120, 6))
    near = kernel_distance(X, rng.standard_normal((120, 6)) + 0.2, n_subsets=20, subset_size=100, seed=0)
    far = kernel_distance(X, rng.standard_normal((120, 6)) + 1.0, n_subsets=20, subset_size=100, seed=0)
    assert far[0] > near[0] > 0
    assert far[2] == 100
    assert kernel_distance(X, X, n_subsets=5, subset_size=500, seed=3)[2] == 120


def test_same_seed_same_value():
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((80, 5)), rng.standard_normal((80, 5))
    assert kernel_distance(X, Y, n_subsets=4, subset_size=30, seed=7) == kernel_distance(
        X, Y, n_subsets=4, subset_size=30, seed=7
    )


def test_kid_has_no_spread_when_every_subset_is_the_whole_set():
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((40, 5)), rng.standard_normal((40, 5)) + 0.5
    with pytest.warns(SampleSizeWarning, match="every subset is the whole set"):
        mean, std, size = kernel_distance(X, Y, n_subsets=10, subset_size=1000, seed=0)
    assert std is None and size == 40
    assert mean == pytest.approx(unbiased_mmd2(X[::-1], Y[rng.permutation(40)]), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, spread, size = kernel_distance(X, np.vstack([Y, Y + 0.1]), n_subsets=10, subset_size=1000, seed=0)
    assert size == 40 and spread > 0
