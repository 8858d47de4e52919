r"""Image rows for the baselines: area-average downsampling and per-pixel centring.

Images are float arrays ``(N, r, r, C)`` in [0, 1] (as returned by :func:`convexgan.data.load_images`);
:func:`flatten_centred` turns them into rows (HWC order) centred per pixel, the convention of the progressive
stages (:ref:`theory-progressive`).
"""

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
import torch

from convexgan._validation import check_int


def downsample(images: ArrayLike, resolution: int) -> NDArray[np.float64]:
    """Area-average ``images (N, H, W, C)`` to ``(N, resolution, resolution, C)``."""
    resolution = check_int(resolution, "resolution", 1, 10**5)
    tensor = torch.as_tensor(np.asarray(images, dtype=np.float64)).permute(0, 3, 1, 2)
    pooled = torch.nn.functional.adaptive_avg_pool2d(tensor, resolution)
    pixels: NDArray[np.float64] = pooled.permute(0, 2, 3, 1).numpy()
    return pixels


def flatten_centred(images: NDArray[Any]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Rows ``(N, r * r * C)`` in HWC order, centred per pixel; also returns the mean row."""
    rows = np.asarray(images, dtype=np.float64).reshape(images.shape[0], -1)
    mean = rows.mean(axis=0)
    return rows - mean, mean
