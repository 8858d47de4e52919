"""The stored mean is the data's mean to float64 rounding, whatever the dtype of the products and the split."""

from fractions import Fraction

import numpy as np
import torch

from convexgan.data import open_images
from convexgan.progressive import accumulate_moments

RESOLUTIONS = [2, 4, 8]


def test_mean_is_the_correctly_rounded_pixel_mean_in_float32_mode(toy):
    # the independent reference: exact integer pixel sums of the same uint8 chunks, one rational division rounded
    # once to float64 (Fraction -> float is correctly rounded), which is what float64 mean of the data means
    chunks = list(open_images(toy).iter_chunks(RESOLUTIONS, 64, dtype=np.uint8))
    for chunk_size in (7, 50):
        moments = accumulate_moments(open_images(toy), RESOLUTIONS, dtype=torch.float32, chunk_size=chunk_size)
        for r in RESOLUTIONS:
            pixels = np.concatenate([c[r].reshape(c[r].shape[0], -1) for c in chunks])
            n = pixels.shape[0]
            sums = pixels.sum(0, dtype=np.int64)
            exact = np.array([float(Fraction(int(s), 255 * n)) for s in sums])
            assert moments[r].n == n
            assert np.array_equal(moments[r].mean.numpy(), exact), r
