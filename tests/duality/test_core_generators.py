"""Recovering samples and weights from optimal moments (docs/theory.md section 3)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexgan.duality import InfeasibleError
from convexgan.duality.generators import min_norm_weights, realize_moments, recover_samples, reflect_column


def random_moments(rng, d, rank):
    B = rng.normal(size=(d, rank))
    g = B @ rng.normal(size=rank) * 0.3
    return B @ B.T + np.outer(g, g), g


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 6), extra=st.integers(0, 10))
def test_recovered_samples_have_the_moments(seed, d, extra):
    rng = np.random.default_rng(seed)
    M, g = random_moments(rng, d, int(rng.integers(0, d + 1)))
    m = d + 1 + extra
    G = recover_samples(M, g, m)
    assert G.shape == (m, d)
    assert np.allclose(G.T @ G / m, M, atol=1e-10 * (1 + np.abs(M).max()))
    assert np.allclose(G.mean(0), g, atol=1e-10 * (1 + np.abs(g).max()))


def test_householder_reflection_maps_the_column_and_keeps_the_gram():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(5, 3))
    target = rng.normal(size=5)
    target *= np.linalg.norm(F[:, 1]) / np.linalg.norm(target)
    H = reflect_column(F, 1, target)
    assert np.allclose(H[:, 1], target)
    assert np.allclose(H.T @ H, F.T @ F)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 5), d_z=st.integers(0, 4))
def test_realized_weights_reproduce_mean_and_second_moment(seed, d, d_z):
    rng = np.random.default_rng(seed)
    M, g = random_moments(rng, d, d)
    Z = np.hstack([rng.normal(size=(25, d + d_z)), np.ones((25, 1))])
    W = realize_moments(Z, M, g)
    G = Z @ W
    assert np.allclose(G.T @ G / 25, M, atol=1e-9 * (1 + np.abs(M).max()))
    assert np.allclose(G.mean(0), g, atol=1e-9 * (1 + np.abs(g).max()))


def test_realize_refuses_a_mean_the_input_cannot_carry():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(30, 2))
    Z -= Z.mean(0)
    with pytest.raises(InfeasibleError, match="cannot produce the optimal mean"):
        realize_moments(Z, np.eye(1) * 2.0, np.array([1.0]))


def test_min_norm_weights_and_rank_check():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(40, 3)) * np.array([2.0, 1.0, 0.5])
    S_G = np.diag([3.0, 1.0, 0.0, 0.0])
    W = min_norm_weights(S_G, Z)
    s2 = np.sort(np.linalg.eigvalsh(Z.T @ Z / 40))[::-1]
    assert np.allclose(W.T @ (Z.T @ Z / 40) @ W, S_G, atol=1e-12)
    assert np.sum(W * W) == pytest.approx(3.0 / s2[0] + 1.0 / s2[1])
    with pytest.raises(InfeasibleError, match=r"Z has rank 3 .* expected rank\(Z\) >= 4"):
        min_norm_weights(np.eye(4), Z)
