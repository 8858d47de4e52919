"""The PNG grid writer places every tile where it should."""

import numpy as np
from PIL import Image

from convexgan.plotting import image_grid, save_image_grid


def test_tiles_land_in_row_major_order_with_padding():
    images = np.stack([np.full((2, 3, 1), v) for v in (0.0, 0.5, 1.0)])
    grid = image_grid(images, ncols=2, pad=1)
    assert grid.shape == (2 * 3 - 1, 2 * 4 - 1, 1)
    assert (grid[0:2, 0:3] == 0).all() and (grid[0:2, 4:7] == 128).all() and (grid[3:5, 0:3] == 255).all()
    assert (grid[2] == 255).all() and (grid[:, 3] == 255).all()


def test_saved_grid_is_clipped_and_magnified(tmp_path):
    images = np.array([[[[-1.0, 0.2, 2.0]]]])
    path = save_image_grid(images, tmp_path / "sub" / "g.png")
    pixels = np.asarray(Image.open(path))
    assert pixels.shape == (64, 64, 3)
    assert (pixels == np.array([0, 51, 255], np.uint8)).all()
