"""Degenerate spectra (issue 26 item 3): one refusal, from linalg.dense.check_rank_carries, on every eigen-path."""

import time
import warnings

import numpy as np
import pytest
import torch

from convexgan.progressive import train
from convexgan.progressive.linalg.dense import check_rank_carries
from convexgan.progressive.linalg.eigen import top_eigenpairs
from convexgan.progressive.stages.closed_form import data_spectrum


@pytest.mark.parametrize("method", ["dense", "eigsh"])
def test_zero_moment_refused(method: str) -> None:
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"k=1 needs numerical rank >= 1 .* numerical rank 0"):
        top_eigenpairs(torch.zeros(16, 16, dtype=torch.float64), 1, method)
    assert time.perf_counter() - t0 < 20


@pytest.mark.parametrize("scale", [1.0, 1e-170, 1e-300])
def test_rank_is_scale_invariant(scale: float) -> None:
    g = torch.Generator().manual_seed(0)
    B = torch.randn(20, 6, generator=g, dtype=torch.float64)
    S = (B @ B.T) * scale
    lam, _, _ = top_eigenpairs(S, 6, "dense")
    assert lam.shape == (6,)
    with pytest.raises(ValueError, match=r"k=7 needs numerical rank >= 7 .* numerical rank 6 .* accepted: k in 1\.\.6"):
        top_eigenpairs(S, 7, "dense")


def test_beta_named_when_beta_chose_k() -> None:
    with pytest.raises(ValueError, match=r"beta=0\.001 needs numerical rank >= 1 .* numerical rank 0"):
        data_spectrum(torch.zeros(8, 8, dtype=torch.float64), beta=1e-3)


def test_threshold_follows_dtype() -> None:
    lam = torch.tensor([1.0, 1e-9], dtype=torch.float64)
    check_rank_carries(lam, 2, 10)
    with pytest.raises(ValueError, match="numerical rank 1"):
        check_rank_carries(lam.float(), 2, 10)


PATHS = [("principled", "dense"), ("principled", "eigsh"), ("principled", "lobpcg"), ("principled", "auto"),
         ("principled", "operator"), ("principled", "gram"), ("legacy", "dense"), ("legacy", "eigsh")]


def _identical_images() -> np.ndarray:
    image = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    return np.stack([image] * 40)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("mode", "eigensolver"), PATHS)
def test_identical_images_refused_on_every_path(tmp_path, mode: str, eigensolver: str, dtype: str) -> None:
    """S_X = 0 exactly: whatever rounding noise the path leaves, --k 1 is refused naming k=1 (not the k + 1 solved)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"^k=1 needs numerical rank >= 2 .* numerical rank 0 .*accepted: none$"):
            train(_identical_images(), tmp_path / "run", resolutions=[8], k=1, latent=4, dtype=dtype,
                  eigensolver=eigensolver, mode=mode, progress=False)


@pytest.mark.parametrize("eigensolver", ["dense", "operator", "gram"])
def test_constant_colour_beta_refused(tmp_path, eigensolver: str) -> None:
    """A constant colour in float32 (lambda_1 rounding noise) refuses the user's beta, named as given."""
    with pytest.raises(ValueError, match=r"^beta=0\.0001 needs numerical rank >= 1 .* numerical rank 0"):
        train(np.full((40, 8, 8, 3), 77, np.uint8), tmp_path / "run", resolutions=[8], beta=1e-4, latent=4,
              dtype="float32", eigensolver=eigensolver, progress=False)


def test_absolute_floor_sees_float32_noise() -> None:
    """lambda_1 = 2.7e-7 is above the relative floor but under the pixel-scale floor c d eps32 s."""
    lam = torch.tensor([2.74e-7, 1e-8], dtype=torch.float64)
    check_rank_carries(lam, 1, 192)
    eps32 = float(torch.finfo(torch.float32).eps)
    with pytest.raises(ValueError, match="numerical rank 0"):
        check_rank_carries(lam, 1, 192, eps=eps32, raw_scale=0.05)
