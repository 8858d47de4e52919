"""The data operator, its eigen-solvers, the certificate bound and the path policy against dense float64 algebra."""

import numpy as np
import pytest
import torch

from convexgan.data import open_images
from convexgan.progressive import accumulate_moments
from convexgan.progressive.linalg.certificate import certificate
from convexgan.progressive.linalg.eigen import eigenpairs_above, gram_eigenpairs, krylov_eigenpairs, top_eigenpairs
from convexgan.progressive.pipeline.operator import DataOperator
from convexgan.progressive.stages.policy import check_path_memory, choose_path, path_bytes


@pytest.fixture(scope="module")
def pixels(toy):
    """The 160 toy images 16 x 16 x 3 as flattened uint8 rows (d = 768 > n: rank 159)."""
    return toy.reshape(len(toy), -1)


@pytest.fixture(scope="module")
def dense(pixels):
    """Independent float64 S_X, mean and descending eigenpairs (numpy)."""
    X = pixels / 255.0
    mean = X.mean(0)
    S = (X - mean).T @ (X - mean) / len(X)
    lam, V = np.linalg.eigh(S)
    return S, mean, lam[::-1], V[:, ::-1]


def test_operator_products_equal_the_dense_moments(toy, pixels, dense):
    S, mean, _, _ = dense
    op = DataOperator(pixels, resolution=16, channels=3, chunk_rows=37)
    moments = accumulate_moments(open_images(toy), [16], dtype=torch.float64, chunk_size=50)[16]
    V = torch.from_numpy(np.random.default_rng(0).standard_normal((768, 6)))
    got = op.matmul(V).numpy()
    assert op.n == 160 and op.d == 768 and op.passes == 2 and op.columns == 6
    # float64 rounding of sums of 160 products of numbers <= 1: 1e-12 relative leaves a factor 100 margin
    assert np.abs(got - S @ V.numpy()).max() <= 1e-12 * np.abs(S @ V.numpy()).max()
    assert np.abs(got - moments.second.numpy() @ V.numpy()).max() <= 1e-12 * np.abs(got).max()
    np.testing.assert_allclose(op.mean.numpy(), mean, rtol=0, atol=1e-15)
    np.testing.assert_allclose(op.mean.numpy(), moments.mean.numpy(), rtol=0, atol=1e-15)
    assert op.raw_scale == pytest.approx(moments.raw_scale, rel=1e-13)
    assert op.trace == pytest.approx(np.trace(S), rel=1e-13)


def test_operator_rejects_non_uint8_pixels(pixels):
    with pytest.raises(ValueError, match="uint8"):
        DataOperator(pixels.astype(np.float32))
    with pytest.raises(ValueError, match="resolution"):
        DataOperator(pixels, resolution=8, channels=3)


def test_memmap_pixels_give_the_same_products(tmp_path, pixels):
    path = tmp_path / "pixels.u8"
    pixels.tofile(path)
    mapped = np.memmap(path, dtype=np.uint8, mode="r", shape=pixels.shape)
    V = torch.from_numpy(np.random.default_rng(1).standard_normal((768, 3)))
    assert torch.equal(DataOperator(mapped, chunk_rows=40).matmul(V), DataOperator(pixels, chunk_rows=40).matmul(V))


def _check_pairs(lam, V, info, dense, k, tol):
    S, _, lam_ref, V_ref = dense
    np.testing.assert_allclose(lam.numpy(), lam_ref[:k], rtol=0, atol=tol * lam_ref[0])
    residuals = np.linalg.norm(S @ V.numpy() - V.numpy() * lam.numpy(), axis=0)
    assert residuals.max() <= 1e-10 * lam_ref[0]
    np.testing.assert_allclose(info["residuals"], residuals, rtol=1e-3, atol=1e-14 * lam_ref[0])
    # eigenvalue gaps of the toy data are >= 1e-3 lam_1 among the top 20: subspaces agree to 1e-10 / 1e-3
    np.testing.assert_allclose(np.abs(V.numpy().T @ V_ref[:, :k]), np.eye(k), atol=1e-6)


def test_krylov_eigenpairs_match_the_dense_ones(pixels, dense):
    op = DataOperator(pixels)
    lam, V, info = krylov_eigenpairs(op, 20)
    _check_pairs(lam, V, info, dense, 20, 1e-13)
    assert info["method"] == "operator" and info["passes"] == op.passes - 1 >= 2
    first, again = (krylov_eigenpairs(DataOperator(pixels), 3, tol=1e-6)[1] for _ in range(2))
    assert torch.equal(first, again)


def test_gram_eigenpairs_match_the_dense_ones(pixels, dense):
    op = DataOperator(pixels)
    lam, V, info = gram_eigenpairs(op, 20)
    _check_pairs(lam, V, info, dense, 20, 1e-13)
    assert info["method"] == "gram" and op.passes == 4


@pytest.mark.parametrize("method", ["operator", "gram"])
def test_operator_paths_of_the_generic_entry_points(pixels, dense, method):
    _, _, lam_ref, _ = dense
    lam, V, info = top_eigenpairs(DataOperator(pixels), 5, method)
    np.testing.assert_allclose(lam.numpy(), lam_ref[:5], rtol=1e-12)
    beta = float(lam_ref[6] + lam_ref[7]) / 2
    lam, V, info = eigenpairs_above(DataOperator(pixels), beta, method, start=2)
    assert lam.numel() == 8 and int((lam > beta).sum()) == 7
    np.testing.assert_allclose(lam.numpy(), lam_ref[:8], rtol=1e-12)
    with pytest.raises(ValueError, match="needs the d x d moment"):
        top_eigenpairs(DataOperator(pixels), 5, "eigsh")


def _exact_value(S, V, C, beta):
    return np.abs(np.linalg.eigvalsh(S - V @ C @ V.T)).max() / beta


@pytest.mark.parametrize("shift", [0.0, 1e-3, 3.0])
def test_certificate_bounds_the_exact_constraint_value(pixels, dense, shift):
    S = dense[0]
    op = DataOperator(pixels)
    k = 12
    lam, V, info = krylov_eigenpairs(op, k + 1, tol=1e-12)
    beta = float(lam[k])
    rng = np.random.default_rng(2)
    noise = rng.standard_normal((k, k)) * shift * beta if shift < 1 else shift * beta * np.eye(k)
    C = torch.diag(lam[:k] - beta) + torch.from_numpy((noise + noise.T) / 2)
    X, AX = info["_ritz"]
    cert = certificate(op, V[:, :k], C, beta, image=AX[:, :k], start=X[:, k:], tol=1e-12)
    exact = _exact_value(S, V[:, :k].numpy(), C.numpy(), beta)
    # the bound holds in exact arithmetic; both sides carry float64 rounding of order d * eps * ||D|| / beta
    assert cert["lower"] - 1e-12 <= exact <= cert["value"] + 1e-12
    assert cert["value"] - exact <= 1e-9
    assert cert["accuracy"] == pytest.approx(cert["value"] - cert["lower"])
    if shift == 0:
        assert cert["value"] <= 1 + 1e-9
    if shift == 3.0:
        assert exact == pytest.approx(2.0, rel=1e-9)


def test_certificate_without_the_image_and_with_a_poor_subspace(pixels, dense):
    S = dense[0]
    op = DataOperator(pixels)
    lam, V, _ = krylov_eigenpairs(op, 9, tol=1e-4)
    beta = float(lam[8])
    C = torch.diag(lam[:8] - beta)
    cert = certificate(op, V[:, :8], C, beta)
    exact = _exact_value(S, V[:, :8].numpy(), C.numpy(), beta)
    assert exact <= cert["value"] and cert["passes"] >= 2
    assert cert["residual_norm"] == pytest.approx(
        np.linalg.norm(S @ V[:, :8].numpy() - V[:, :8].numpy() @ (V[:, :8].numpy().T @ S @ V[:, :8].numpy()), 2),
        rel=1e-6)


def test_path_policy_and_memory_formulas(monkeypatch):
    big = 2**40
    assert choose_path(3072, 10_000, 100, "cpu", free_bytes=big) == "dense"
    assert choose_path(12288, 10_000, 176, "cpu", free_bytes=big) == "operator"
    assert choose_path(12288, 2_000, 176, "cpu", free_bytes=big) == "gram"
    assert choose_path(12288, 2_000, 176, "cpu", world_size=2, free_bytes=big) == "operator"
    assert choose_path(12288, 10_000, 176, "cuda", free_bytes=big) == "dense"
    assert choose_path(3072, 10_000, 100, "cpu", free_bytes=10**6) == "operator"
    assert path_bytes("dense", 49152, 9780, 300) == 20 * 49152**2
    assert path_bytes("operator", 49152, 9780, 300) == 120 * 375 * 49152 + 8 * 85 * 49152
    monkeypatch.setenv("CONVEXGAN_MAX_BYTES", "4G")
    with pytest.raises(ValueError, match="'dense' eigen-path at d = 49152"):
        check_path_memory("dense", 49152, 9780, 300, "stage 5 (128x128)")
    assert check_path_memory("operator", 49152, 9780, 300, "stage 5") == path_bytes("operator", 49152, 9780, 300)
