"""Figures: image grids (PNG). Other plotting helpers may be appended below, one function each."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.contour import QuadContourSet

from convexgan._extras import require

Image = require("train", "PIL.Image", user=__name__)

from convexgan._files import atomic_write


def image_grid(images: ArrayLike, ncols: int | None = None, pad: int = 1, scale: int = 1) -> NDArray[np.uint8]:
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


def save_image_grid(images: ArrayLike, path: str | os.PathLike[str], ncols: int | None = None, pad: int = 1,
                    scale: int | None = None) -> Path:
    """Write images as one PNG grid (see :func:`image_grid`); small images are magnified to >= 64 pixels.

    The file is written atomically (:func:`convexgan._files.atomic_write`): an existing file stays whole until
    the new one is complete, and a symbolic link under ``path`` is replaced, its target untouched.

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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        picture = Image.fromarray(grid[:, :, 0] if grid.shape[2] == 1 else grid)
        atomic_write(path, lambda fh: picture.save(fh, format="PNG"))
    except (OSError, ValueError) as err:
        raise ValueError(f"cannot write the image grid {path}: {err}") from None
    return path


def image_file_names(n: int, start: int = 0) -> list[str]:
    """File names of images ``start, ..., start + n - 1``: the index zero-padded to at least 6 digits."""
    width = max(6, len(str(start + n - 1)))
    return [f"{i:0{width}d}.png" for i in range(start, start + n)]


def save_image_files(images: ArrayLike, folder: str | os.PathLike[str], *, start: int = 0,
                     force: bool = False) -> list[Path]:
    """Write one PNG per image into ``folder``, named by its index (:func:`image_file_names`).

    Pixels are those of :func:`image_grid` (clipped to [0, 1], rounded to 8 bits), at the images' own size.
    Each file is written atomically. An existing folder that holds anything is refused unless ``force``, which
    overwrites the files of the same names and leaves the others.

    Returns
    -------
    list of pathlib.Path
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4 or images.shape[3] not in (1, 3):
        raise ValueError(f"images must have shape (n, H, W, C) with C in (1, 3); got {images.shape}")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise ValueError(f"{folder} is not empty; choose a new folder or pass --force to overwrite files of the "
                         f"same names")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"cannot create the folder {folder}: {err}") from None
    tiles = np.rint(np.clip(np.nan_to_num(images), 0, 1) * 255).astype(np.uint8)
    paths: list[Path] = []
    for tile, name in zip(tiles, image_file_names(len(tiles), start)):
        picture = Image.fromarray(tile[:, :, 0] if tile.shape[2] == 1 else tile)
        paths.append(atomic_write(folder / name, partial(picture.save, format="PNG")))
    return paths


def signed_images(V: ArrayLike, shape: Sequence[int]) -> NDArray[np.float64]:
    r"""Draw signed vectors (e.g. principal directions) as images: 0 is mid-grey, :math:`\pm \max |v|` are 1 and 0.

    .. math::  \text{pixel} = \tfrac12 + \tfrac12\, v / \max_i |v_i| \qquad \text{(per column)}

    Parameters
    ----------
    V : array (d, p)
        One vector per column, ``d = H * W * C`` in HWC order.
    shape : tuple (H, W, C)

    Returns
    -------
    ndarray (p, H, W, C) in [0, 1], ready for :func:`save_image_grid`.
    """
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 2 or V.shape[0] != int(np.prod(shape)):
        raise ValueError(f"V must have shape (prod(shape)={int(np.prod(shape))}, p); got {V.shape}")
    peak = np.abs(V).max(axis=0)
    peak[peak == 0] = 1.0
    return (0.5 + 0.5 * V / peak).T.reshape(V.shape[1], *shape)


def draw_critic_level_sets(ax: Axes, critic: Callable[[NDArray[np.float64]], Any], X: ArrayLike, G: ArrayLike, *,
                           n_grid: int = 200, margin: float = 0.3, levels: int = 15) -> QuadContourSet:
    r"""Draw the level sets of a 2-D critic :math:`D(x) = \sum_j v_j \sigma(u_j^T x)` with the real and generated
    points, on a matplotlib ``Axes``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    critic : callable
        Maps an ``(N, 2)`` array to ``(N,)`` values (e.g. :class:`convexgan.duality.Critic`).
    X : array (n, 2)
        Real points (drawn as dots).
    G : array (m, 2)
        Generated points (drawn as crosses).
    n_grid : int
        Grid points per axis.
    margin : float
        Fraction of the points' extent added on each side.
    levels : int
        Number of contour levels.

    Returns
    -------
    matplotlib.contour.QuadContourSet
        The filled contours (for a colour bar).
    """
    X, G = np.asarray(X, dtype=np.float64), np.asarray(G, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or G.ndim != 2 or G.shape[1] != 2:
        raise ValueError(f"X and G must have shape (n, 2); got {X.shape} and {G.shape}")
    points = np.vstack([X, G])
    low, high = points.min(axis=0), points.max(axis=0)
    pad = margin * np.maximum(high - low, 1e-3)
    t0 = np.linspace(low[0] - pad[0], high[0] + pad[0], n_grid)
    t1 = np.linspace(low[1] - pad[1], high[1] + pad[1], n_grid)
    grid0, grid1 = np.meshgrid(t0, t1)
    values = np.asarray(critic(np.column_stack([grid0.ravel(), grid1.ravel()]))).reshape(grid0.shape)
    filled = ax.contourf(grid0, grid1, values, levels=levels, cmap="RdBu_r", alpha=0.8)
    ax.contour(grid0, grid1, values, levels=levels, colors="k", linewidths=0.3)
    ax.scatter(X[:, 0], X[:, 1], s=14, c="k", label="real")
    ax.scatter(G[:, 0], G[:, 1], s=30, c="gold", marker="x", label="generated")
    ax.set_aspect("equal")
    return filled


def draw_spectra(ax: Axes, lam_X: ArrayLike, beta: float, lam_G: ArrayLike | None = None) -> None:
    r"""Draw a data spectrum :math:`\lambda_i(S_X)`, the level beta and a generated spectrum on a log scale.

    At the quadratic critic's optimum the generated spectrum is the soft-threshold :math:`(\lambda_i - \beta)_+`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    lam_X : array (d,)
        Data eigenvalues, descending.
    beta : float
    lam_G : array (d,), optional
        Generated eigenvalues, descending (zeros are not drawn on the log scale).

    The vertical axis starts at ``1e-3 * beta`` (eigenvalues below are rounding noise for this picture).
    """
    lam_X = np.asarray(lam_X, dtype=np.float64)
    index = np.arange(1, lam_X.size + 1)
    positive = lam_X > 0
    ax.semilogy(index[positive], lam_X[positive], "o-", ms=3, label=r"data $\lambda_i(S_X)$")
    ax.axhline(beta, color="r", ls="--", label=rf"$\beta$ = {beta:.3g}")
    if lam_G is not None:
        lam_G = np.asarray(lam_G, dtype=np.float64)
        shown = lam_G > beta * 1e-6
        ax.semilogy(index[: lam_G.size][shown], lam_G[shown], "s", ms=4, mfc="none", label=r"generated $\lambda_i(S_G)$")
    ax.set_ylim(bottom=max(float(lam_X[positive].min()), 1e-3 * beta) / 2)
    ax.set_xlabel("index i")
    ax.set_ylabel("eigenvalue")
    ax.legend()
