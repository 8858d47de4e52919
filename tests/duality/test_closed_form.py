"""Closed forms of docs/theory.md section 2 against their defining properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convexgan.duality import InfeasibleError, beta_from_k, k_from_beta
from convexgan.duality import closed_form as cf


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(2, 8), data=st.data())
def test_k_and_beta_are_inverse(seed, d, data):
    X = np.random.default_rng(seed).normal(size=(3 * d, d))
    k = data.draw(st.integers(1, d - 1))
    beta = beta_from_k(X, k)
    assert beta == pytest.approx(np.sort(np.linalg.eigvalsh(X.T @ X / X.shape[0]))[::-1][k], rel=1e-12)
    assert k_from_beta(X, beta) == k


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 6), d_z=st.integers(1, 8), fraction=st.floats(0.0, 1.0))
def test_quadratic_weights_soft_threshold_the_spectrum(seed, d, d_z, fraction):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(20, d)) @ rng.normal(size=(d, d))
    Z = rng.normal(size=(30, d_z))
    lam, V = cf.eigh_descending(cf.second_moment(X))
    s2, Q = cf.eigh_descending(cf.second_moment(Z))
    beta = lam[0] * (0.01 + 0.98 * fraction)
    k = int(np.sum(lam > beta))
    if k > d_z:
        with pytest.raises(InfeasibleError, match="smallest feasible beta"):
            cf.check_rank_feasible(lam, d_z, beta)
        return
    W = cf.quadratic_critic_weights(lam[:k], V[:, :k], s2[:k], Q[:, :k], beta)
    target = (V * np.maximum(lam - beta, 0)) @ V.T
    assert np.allclose(W.T @ cf.second_moment(Z) @ W, target, atol=1e-10 * lam[0])
    assert np.sum(W * W) == pytest.approx(cf.quadratic_critic_value(lam[:k], s2[:k], beta), rel=1e-10, abs=1e-14)


def test_quadratic_weights_work_on_torch_tensors():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    lam, V = np.array([3.0, 2.0]), np.linalg.qr(rng.normal(size=(4, 2)))[0]
    s2, Q = np.array([2.0, 0.5]), np.linalg.qr(rng.normal(size=(3, 2)))[0]
    expected = cf.quadratic_critic_weights(lam, V, s2, Q, 1.0)
    got = cf.quadratic_critic_weights(*(torch.from_numpy(a) for a in (lam, V, s2, Q)), 1.0)
    assert np.allclose(got.numpy(), expected)


def test_linear_critic_soft_thresholds_the_mean():
    mu_X, mu_Z = np.array([3.0, 4.0]), np.array([0.5, 0.0, 1.0])
    W = cf.linear_critic_weights(mu_X, mu_Z, 1.0)
    assert np.allclose(W.T @ mu_Z, mu_X * 0.8)
    assert np.sum(W * W) == pytest.approx(16.0 / 1.25)
    assert not np.any(cf.linear_critic_weights(mu_X, mu_Z, 6.0))


def test_zero_mean_input_is_infeasible_with_the_smallest_beta():
    with pytest.raises(InfeasibleError, match=r"smallest feasible beta is \|\|mu_X\|\| = 5.0"):
        cf.linear_critic_weights(np.array([3.0, 4.0]), np.zeros(2), 1.0)
    assert not np.any(cf.linear_critic_weights(np.array([3.0, 4.0]), np.zeros(2), 5.0))


def test_smallest_feasible_beta_is_the_next_eigenvalue():
    lam = np.array([5.0, 3.0, 2.0, 1.0])
    assert cf.smallest_feasible_beta(lam, 2) == 2.0
    with pytest.raises(InfeasibleError, match="keeps k=3 components but Z has rank 2.* = 2.0"):
        cf.check_rank_feasible(lam, 2, 1.5)
    cf.check_rank_feasible(lam, 2, 2.0)
