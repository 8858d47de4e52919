"""Degenerate spectra (issue 26 item 3): one refusal, from linalg.dense.check_rank_carries, on every eigen-path."""

import time

import pytest
import torch

from convexgan.progressive.linalg.dense import check_rank_carries
from convexgan.progressive.linalg.eigen import eigenpairs_above, top_eigenpairs


@pytest.mark.parametrize("method", ["dense", "eigsh"])
def test_zero_moment_refused(method: str) -> None:
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"k=1 needs rank >= 1 .* numerical rank 0"):
        top_eigenpairs(torch.zeros(16, 16, dtype=torch.float64), 1, method)
    assert time.perf_counter() - t0 < 20


@pytest.mark.parametrize("scale", [1.0, 1e-170, 1e-300])
def test_rank_is_scale_invariant(scale: float) -> None:
    g = torch.Generator().manual_seed(0)
    B = torch.randn(20, 6, generator=g, dtype=torch.float64)
    S = (B @ B.T) * scale
    lam, _, _ = top_eigenpairs(S, 6, "dense")
    assert lam.shape == (6,)
    with pytest.raises(ValueError, match=r"k=7 needs rank >= 7 .* numerical rank 6 .* accepted: k in 1\.\.6"):
        top_eigenpairs(S, 7, "dense")


def test_beta_named_when_beta_chose_k() -> None:
    with pytest.raises(ValueError, match=r"beta=0\.001 needs rank >= 1 .* numerical rank 0"):
        eigenpairs_above(torch.zeros(8, 8, dtype=torch.float64), 1e-3, "dense")


def test_threshold_follows_dtype() -> None:
    lam = torch.tensor([1.0, 1e-9], dtype=torch.float64)
    check_rank_carries(lam, 2, 10)
    with pytest.raises(ValueError, match="numerical rank 1"):
        check_rank_carries(lam.float(), 2, 10)
