"""Figures: image grids (PNG). Other plotting helpers may be appended below, one function each."""

from pathlib import Path

import numpy as np
from PIL import Image


def image_grid(images, ncols=None, pad=1, scale=1):
    """Tile images into one uint8 array.

    Parameters
    ----------
    images : array (n, H, W, C), C in {1, 3}
        Pixel units, clipped to [0, 1].
    ncols : int or None
        Columns (default: ``ceil(sqrt(n))``).
    pad : int
        White pixels between tiles.
    scale : int
        Integer magnification (nearest neighbour), for small images.

    Returns
    -------
    ndarray (rows * (H + pad) - pad, ncols * (W + pad) - pad, C) uint8
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[3] not in (1, 3) or images.shape[0] == 0:
        raise ValueError(f"images must have shape (n, H, W, C) with C in (1, 3) and n >= 1; got {images.shape}")
    if scale > 1:
        images = images.repeat(scale, axis=1).repeat(scale, axis=2)
    n, h, w, c = images.shape
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    grid = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad, c), 255, dtype=np.uint8)
    tiles = np.rint(np.clip(np.nan_to_num(images), 0, 1) * 255).astype(np.uint8)
    for i in range(n):
        row, col = divmod(i, ncols)
        grid[row * (h + pad) : row * (h + pad) + h, col * (w + pad) : col * (w + pad) + w] = tiles[i]
    return grid


def save_image_grid(images, path, ncols=None, pad=1, scale=None):
    """Write images as one PNG grid (see :func:`image_grid`); small images are magnified to >= 64 pixels.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    images = np.asarray(images)
    if scale is None:
        scale = max(1, int(np.ceil(64 / max(images.shape[1], 1))))
    grid = image_grid(images, ncols=ncols, pad=pad, scale=scale)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid[:, :, 0] if grid.shape[2] == 1 else grid).save(path)
    return path
