"""Moment errors against hand-derived values and an independent numpy computation."""

import numpy as np
import pytest

from convexgan.duality import critic_gap
from convexgan.metrics import moment_errors


def test_identical_sets_give_zero():
    X = np.random.default_rng(0).standard_normal((30, 8))
    err = moment_errors(X, X, beta=0.5)
    assert err.mean_error == 0
    assert err.second_moment_error < 1e-14
    assert err.constraint_value < 1e-14


def test_scaled_samples_have_known_errors():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 6))
    a = 1.3
    err = moment_errors(a * X, X, beta=0.2)
    S = X.T @ X / 40
    assert err.second_moment_error == pytest.approx(a**2 - 1, rel=1e-12)
    assert err.spectral_gap == pytest.approx((a**2 - 1) * np.linalg.eigvalsh(S).max(), rel=1e-12)
    assert err.constraint_value == pytest.approx(err.spectral_gap / 0.2, rel=1e-15)
    assert err.mean_error == pytest.approx((a - 1) * np.linalg.norm(X.mean(0)), rel=1e-12)


@pytest.mark.parametrize("shape", [(5, 7, 40), (30, 25, 8)])
def test_small_and_large_dimension_routes_match_numpy(shape):
    n, m, d = shape
    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, d)) * np.linspace(1, 3, d) + 0.7
    G = rng.standard_normal((m, d))
    c = X.mean(0)
    err = moment_errors(G, X, beta=0.1, center=c)
    SX = (X - c).T @ (X - c) / n
    SG = (G - c).T @ (G - c) / m
    assert err.second_moment_error == pytest.approx(np.linalg.norm(SG - SX) / np.linalg.norm(SX), rel=1e-10)
    assert err.spectral_gap == pytest.approx(np.linalg.norm(SX - SG, 2), rel=1e-10)
    assert err.spectral_gap == pytest.approx(critic_gap(X - c, G - c, "quadratic"), rel=1e-10)
    assert (err.n_target, err.n_generated, err.dim) == (n, m, d)


def test_bad_input_is_named():
    X = np.ones((4, 3))
    with pytest.raises(ValueError, match="same number of columns"):
        moment_errors(np.ones((4, 2)), X)
    with pytest.raises(ValueError, match="center must be a finite vector of length 3"):
        moment_errors(X, X, center=np.zeros(2))
    with pytest.raises(ValueError, match="beta"):
        moment_errors(X, X, beta=-1.0)
