r"""Counter-based randomness: every random number derives from a seed and an index only.

Stage seeds
    :func:`stage_seed` gives stage ``i`` the seed of ``(seed, i)``, so a resumed run draws what a run in one go
    draws.
Latent rows
    :func:`latent_rows` gives sample ``i`` the latent row

    .. math::  z_{ij} = \Phi^{-1}\!\big((\lfloor w_{ij} / 2^{12} \rfloor + \tfrac12)\, 2^{-52}\big),
               \qquad j = 0, \dots, D - 1,

    where :math:`w_{i0}, w_{i1}, \dots` are the raw 64-bit words of numpy's ``PCG64`` bit generator seeded
    with ``SeedSequence([seed, i])`` and :math:`\Phi^{-1}` is ``scipy.special.ndtri``. The uniforms are exact
    float64 numbers in :math:`[2^{-53}, 1 - 2^{-53}]` (52 bits and a half offset: with 53 bits the largest,
    :math:`(2^{53} - \tfrac12) 2^{-53}`, would round to 1), so every :math:`z_{ij}` is finite
    (:math:`|z| \le 8.3`). Row ``i`` depends on ``(seed, i)`` only: not on
    how many rows are drawn, nor in which batches, nor on ``D`` beyond its length (the first ``D'`` columns of
    a longer row are the row of length ``D'``). Bit-generator streams are part of numpy's stability promise;
    ``Generator.standard_normal`` and ``torch.randn`` are not, which is why neither is used.
"""

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from convexgan._validation import check_int

MANTISSA_BITS = 52


def stage_seed(seed: int, index: int) -> int:
    """Seed of stage ``index``'s randomness, derived from ``(seed, index)`` only."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])


def uniform_words(words: NDArray[np.uint64]) -> NDArray[np.float64]:
    r"""Uniforms in the open interval (0, 1) from raw 64-bit words ``w`` (exact in float64).

    .. math::  u = (\lfloor w / 2^{12} \rfloor + \tfrac12)\, 2^{-52}
    """
    return ((words >> np.uint64(64 - MANTISSA_BITS)).astype(np.float64) + 0.5) * 2.0**-MANTISSA_BITS


def latent_rows(seed: int, start: int, n: int, dim: int) -> NDArray[np.float64]:
    """Standard normal latent rows ``start, ..., start + n - 1`` of the stream ``seed`` (see the module docstring).

    Parameters
    ----------
    seed : int
        Non-negative seed.
    start, n : int
        First row index and number of rows.
    dim : int
        Columns ``D`` of each row.

    Returns
    -------
    ndarray (n, dim) float64
    """
    seed = check_int(seed, "seed", 0, 2**63 - 1)
    start = check_int(start, "start", 0, 2**63 - 1)
    n = check_int(n, "n", 0, 10**9)
    dim = check_int(dim, "dim", 0, 10**7)
    words = np.empty((n, dim), dtype=np.uint64)
    for row in range(n):
        words[row] = np.random.PCG64(np.random.SeedSequence([seed, start + row])).random_raw(dim)
    return ndtri(uniform_words(words))
