"""Every stage's certificate against the data's exact S_X, recomputed from integer pixel sums (issue 25 items 1, 5).

The reference never touches the package's arithmetic: the uint8 pixels are decoded again, ``n P^T P - s s^T`` is
formed in int64 (exact: its entries are below ``255^2 n^2 < 2^63``) and divided once by ``255^2 n^2`` in float64
(correctly rounded, since the integers are below ``2^53``); ``S_G = F^T F + b b^T`` comes from the stored stage
(:meth:`ProgressiveGenerator.affine_map`); the exact constraint value is the largest absolute eigenvalue of the
float64 difference.
"""

import json

import numpy as np
import pytest
import torch

from convexgan.data import open_images, toy_images
from convexgan.progressive import accumulate_moments, train

RESOLUTIONS = [2, 4, 8]
K = [4, 10, 16]


def exact_second(images, r, resolutions):
    """The data's S_X at resolution ``r`` from int64 sums of independently decoded pixels, rounded once.

    The pixels are decoded for the run's ``resolutions`` (the resize goes through the largest of them).
    """
    chunks = list(open_images(images).iter_chunks(resolutions, 64, dtype=np.uint8))
    P = np.concatenate([c[r].reshape(c[r].shape[0], -1) for c in chunks]).astype(np.int64)
    n = P.shape[0]
    s = P.sum(0)
    numerator = n * (P.T @ P) - np.outer(s, s)
    assert np.abs(numerator).max() < 2**53  # converted exactly, so the division is the only rounding
    return numerator.astype(np.float64) / float(255**2 * n * n)


def exact_values(images, run, generator, resolutions):
    """``(exact, reported, tolerance)`` per stage; tolerance: rounding of D = S_X - S_G and of its eigenvalues."""
    stages = json.loads((run / "report.json").read_text())["stages"]
    out = []
    for i, r in enumerate(resolutions):
        F, b = generator.affine_map(i)
        S_G = (F.T @ F + torch.outer(b, b)).numpy()
        S_X = exact_second(images, r, resolutions)
        beta = stages[i]["beta"]
        exact = float(np.abs(np.linalg.eigvalsh(S_X - S_G)).max()) / beta
        # backward error of the float64 product F^T F and of eigvalsh: a small multiple of d u ||S_X||_2
        tolerance = 10 * S_X.shape[0] * np.finfo(np.float64).eps * np.linalg.norm(S_X, 2) / beta
        out.append((exact, stages[i]["constraint_value"], tolerance, stages[i]["eigensolver"]["path"]))
    return out


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_second_moment_is_the_integer_sum_reference_bit_for_bit(toy, dtype):
    # n G and s s^T are exact in float64 for n < 3.7e5, so the package's S_X is the reference bit for bit,
    # whatever the dtype of the chunk products and the chunking
    for chunk_size in (7, 300):
        moments = accumulate_moments(open_images(toy), RESOLUTIONS, dtype=dtype, chunk_size=chunk_size)
        for r in RESOLUTIONS:
            assert np.array_equal(moments[r].second.numpy(), exact_second(toy, r, RESOLUTIONS)), (r, chunk_size)


@pytest.mark.parametrize("eigensolver", ["auto", "operator"])
def test_default_run_is_certified_against_the_exact_moment(tmp_path, toy, eigensolver):
    run = tmp_path / "run"
    generator = train(toy, run, resolutions=RESOLUTIONS, k=K, latent=8, progress=False, eigensolver=eigensolver,
                      base_resolution=max(RESOLUTIONS))
    paths = set()
    for exact, reported, tolerance, path in exact_values(toy, run, generator, RESOLUTIONS):
        paths.add(path)
        assert exact <= 1 + 1e-6
        assert exact <= reported + tolerance
    assert paths == ({"dense"} if eigensolver == "auto" else {"operator"})  # auto: the moment up to d = 4096


@pytest.mark.parametrize("eigensolver", ["auto", "gram"])
def test_duplicated_images_with_k_one_below_the_rank(tmp_path, eigensolver):
    # 20 distinct images, each three times: the centred rank is 19 at 4x4 and 8x8; k = rank - 1 puts beta on the
    # smallest non-zero eigenvalue (the audit's case: 1 + 5.2e-5 against the exact S_X with float32 moments)
    images = np.repeat(toy_images(20, 16, components=40, seed=3), 3, axis=0)
    resolutions = [4, 8]
    for r in resolutions:
        lam = np.linalg.eigvalsh(exact_second(images, r, resolutions))
        assert int((lam > 1e-12 * lam[-1]).sum()) == 19
    run = tmp_path / "run"
    generator = train(images, run, resolutions=resolutions, k=[18, 18], latent=18, progress=False,
                      eigensolver=eigensolver, base_resolution=max(resolutions))
    values = exact_values(images, run, generator, resolutions)
    assert [v[3] for v in values] == ["dense" if eigensolver == "auto" else "gram"] * 2
    for exact, reported, tolerance, _ in values:
        assert exact <= 1 + 1e-6
        assert exact <= reported + tolerance
