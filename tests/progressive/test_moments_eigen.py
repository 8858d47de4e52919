"""Streaming moments and top-k eigen-solvers against direct numpy computations."""

import numpy as np
import pytest
import torch

from convexgan.data import open_images
from convexgan.progressive import accumulate_moments, top_eigenpairs
from convexgan.progressive.linalg.eigen import eigenpairs_above, symmetric_norm

from conftest import centred_second_moment


@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-13), (torch.float32, 1e-6)])
def test_chunked_moments_equal_the_direct_ones(toy, dtype, tol):
    moments = accumulate_moments(open_images(toy), [4, 8], dtype=dtype, chunk_size=37)
    for r in (4, 8):
        S, mean = centred_second_moment(toy, r, 8)
        assert moments[r].n == len(toy)
        np.testing.assert_allclose(moments[r].mean.numpy(), mean, atol=tol)
        assert np.abs(moments[r].second.numpy() - S).max() <= tol * np.abs(S).max()


def spd(d, seed):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    lam = np.sort(rng.uniform(0, 1, d) ** 3)[::-1] + np.linspace(1e-3, 0, d)
    return (Q * lam) @ Q.T, lam


@pytest.mark.parametrize("method, tol", [("dense", 1e-12), ("eigsh", 1e-10), ("lobpcg", 1e-8)])
def test_top_eigenpairs_match_numpy(method, tol):
    S, lam = spd(120, 0)
    got, V, info = top_eigenpairs(torch.from_numpy(S), 10, method)
    np.testing.assert_allclose(got.numpy(), lam[:10], atol=tol)
    residual = np.linalg.norm(S @ V.numpy() - V.numpy() * got.numpy(), axis=0).max()
    assert info["residual"] == pytest.approx(residual, rel=1e-6, abs=1e-15)
    assert residual <= 10 * tol
    np.testing.assert_allclose(np.abs(V.numpy().T @ np.linalg.eigh(S)[1][:, ::-1][:, :10]), np.eye(10), atol=1e-5)


def test_randomized_is_approximate_and_says_so():
    S, lam = spd(200, 1)
    got, V, info = top_eigenpairs(torch.from_numpy(S), 20, "randomized")
    exact = np.linalg.norm(S @ V.numpy() - V.numpy() * got.numpy(), axis=0).max()
    assert info["residual"] == pytest.approx(exact, rel=1e-6)
    assert info["method"] == "randomized"
    state = torch.random.get_rng_state()
    again = top_eigenpairs(torch.from_numpy(S), 20, "randomized")
    assert torch.equal(again[1], V) and torch.equal(torch.random.get_rng_state(), state)


def test_eigenpairs_above_beta_and_norm_of_the_difference():
    S, lam = spd(80, 2)
    beta = float(lam[6] + lam[7]) / 2
    got, V, _ = eigenpairs_above(torch.from_numpy(S), beta, "eigsh", start=2)
    assert int((got > beta).sum()) == 7 and got.numel() == 8
    C = torch.diag(got[:7] - beta)
    expected = np.abs(np.linalg.eigvalsh(S - V[:, :7].numpy() @ C.numpy() @ V[:, :7].numpy().T)).max()
    assert expected == pytest.approx(beta, rel=1e-10)
    for method in ("dense", "eigsh"):
        assert symmetric_norm(torch.from_numpy(S), V[:, :7], C, method) == pytest.approx(expected, rel=1e-10)
