"""Bures-Wasserstein distance against closed forms and an independent square root (scipy.linalg.sqrtm)."""

import warnings

import numpy as np
import pytest
import scipy.linalg

from convexgan.exceptions import RoundingWarning
from convexgan.metrics import SampleSizeWarning, bures_wasserstein, bures_wasserstein_samples, gaussian_fit


def random_covariance(rng, d, rank=None):
    F = rng.standard_normal((d, rank or d))
    return F @ F.T / d


def test_identical_gaussians_give_zero():
    rng = np.random.default_rng(0)
    C = random_covariance(rng, 6)
    mu = rng.standard_normal(6)
    assert bures_wasserstein(mu, C, mu, C) < 1e-6 * np.sqrt(np.trace(C))
    X = rng.standard_normal((50, 6))
    assert bures_wasserstein_samples(X, X) < 1e-6
    wide = rng.standard_normal((5, 40))
    with pytest.warns(SampleSizeWarning):
        assert bures_wasserstein_samples(wide, wide) < 1e-6


def test_commuting_case_is_distance_of_square_roots():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.1, 3.0, 5), rng.uniform(0.0, 3.0, 5)
    mu_a, mu_b = rng.standard_normal(5), rng.standard_normal(5)
    Q = np.linalg.qr(rng.standard_normal((5, 5)))[0]
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    got = bures_wasserstein(mu_a, Q @ np.diag(a) @ Q.T, mu_b, Q @ np.diag(b) @ Q.T, squared=True)
    assert got == pytest.approx(expected, rel=1e-10)
    assert bures_wasserstein(mu_a, np.diag(a), mu_b, np.diag(b)) == pytest.approx(np.sqrt(expected), rel=1e-10)


def test_general_case_matches_scipy_sqrtm():
    rng = np.random.default_rng(2)
    Ca, Cb = random_covariance(rng, 8), random_covariance(rng, 8, rank=3)
    mu_a, mu_b = rng.standard_normal(8), rng.standard_normal(8)
    root = scipy.linalg.sqrtm(Ca)
    cross = np.real(scipy.linalg.sqrtm(root @ Cb @ root))
    expected = np.sum((mu_a - mu_b) ** 2) + np.trace(Ca + Cb - 2 * cross)
    assert bures_wasserstein(mu_a, Ca, mu_b, Cb, squared=True) == pytest.approx(expected, rel=1e-7)
    # symmetric in its two arguments
    assert bures_wasserstein(mu_b, Cb, mu_a, Ca, squared=True) == pytest.approx(expected, rel=1e-7)


def test_sample_route_matches_moment_route_when_few_samples():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((12, 30)) @ rng.standard_normal((30, 30))
    Y = rng.standard_normal((15, 30)) + 0.5
    with pytest.warns(SampleSizeWarning, match="samples in dimension 30"):
        fast = bures_wasserstein_samples(X, Y, squared=True)
    slow = bures_wasserstein(*gaussian_fit(X), *gaussian_fit(Y), squared=True)
    assert fast == pytest.approx(slow, rel=1e-8)


def test_enough_samples_do_not_warn_and_use_covariances():
    rng = np.random.default_rng(4)
    X, Y = rng.standard_normal((40, 5)), 2.0 * rng.standard_normal((40, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = bures_wasserstein_samples(X, Y)
    mean_x, cov_x = X.mean(0), np.cov(X, rowvar=False)
    mean_y, cov_y = Y.mean(0), np.cov(Y, rowvar=False)
    assert got == pytest.approx(bures_wasserstein(mean_x, cov_x, mean_y, cov_y), rel=1e-12)


def test_bad_input_is_named():
    C = np.eye(3)
    with pytest.raises(ValueError, match="cov_a must be symmetric"):
        bures_wasserstein(np.zeros(3), np.triu(np.ones((3, 3))), np.zeros(3), C)
    with pytest.raises(ValueError, match="cov_b must be positive semidefinite"):
        bures_wasserstein(np.zeros(3), C, np.zeros(3), -C)
    with pytest.raises(ValueError, match="mean_b must have length 3"):
        bures_wasserstein(np.zeros(3), C, np.zeros(2), C)
    with pytest.raises(ValueError, match="same number of columns"):
        bures_wasserstein_samples(np.ones((4, 3)), np.ones((4, 2)))


def test_covariances_psd_up_to_float32_rounding_are_accepted_with_a_warning():
    rng = np.random.default_rng(6)
    V = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    lam = np.array([4.0, 2.0, 1.0, 0.5, 0.0, -2e-5 * 4.0])
    C = (V * lam) @ V.T
    C = (C + C.T) / 2
    D = np.diag([1.0, 2.0, 3.0, 0.5, 0.2, 0.1])
    clipped = (V * np.maximum(lam, 0)) @ V.T
    expected = bures_wasserstein(np.zeros(6), clipped, np.zeros(6), D)
    with pytest.warns(RoundingWarning, match="within its dtype's"):
        got = bures_wasserstein(np.zeros(6), C.astype(np.float32), np.zeros(6), D.astype(np.float32))
    assert got == pytest.approx(expected, rel=1e-4)
    with pytest.raises(ValueError, match="cov_a must be positive semidefinite.*tolerance 1.5e-08"):
        bures_wasserstein(np.zeros(6), C, np.zeros(6), D)
    with pytest.raises(ValueError, match="cov_a must be positive semidefinite"):
        bures_wasserstein(np.zeros(6), (V * (lam - 1e-3)) @ V.T, np.zeros(6), D.astype(np.float32))
