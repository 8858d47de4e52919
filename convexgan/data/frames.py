r"""From one decoded picture to pixel arrays at several resolutions.

The pipeline follows the official ProCoGAN code: the frame (optionally cropped, see below) is resized
once to a base resolution (the run's final resolution; by default the largest requested one), and that square
image is resized to every requested resolution. The pixels at a resolution thus depend on the base, which the
trainer fixes to its final resolution whatever stages remain to be trained.
Resampling filter: ``PIL.Image.BICUBIC`` (Pillow's default for ``resize``, the one the official code used).
The resized pixels are 8-bit, shape ``(r, r, C)``; the sources divide them by 255 in the requested dtype.

Crops (``crop``): ``'none'`` (default) resizes the whole frame, so a frame that is not square is squashed
(the sources count such frames and warn once per pass, :class:`convexgan.exceptions.SquashedFramesWarning`);
``'center'`` takes the largest centred square, :math:`s = \min(W, H)` at offset
:math:`(\lfloor (W - s) / 2 \rfloor, \lfloor (H - s) / 2 \rfloor)`; ``'celeba'`` takes the official
128 x 128 box centred at (89, 121) of the 178 x 218 ``img_align_celeba`` frame; on frames of another size it
is scaled with the frame (for example 64 x 64 at (44.5, 60.5) on the 89 x 109 half-resolution copy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from PIL import Image

# Pillow >= 9.1 (whose stubs lack this alias) spells it Image.Resampling.BICUBIC; 9.0 is still supported
RESAMPLING = Image.BICUBIC  # type: ignore[attr-defined]
CELEBA_FRAME = (178, 218)
CELEBA_CROP_CENTER = (89, 121)
CELEBA_CROP_SIZE = 128
CROPS = ("none", "center", "celeba")


def crop_method(crop: str | bool | None) -> str:
    """The crop as one of :data:`CROPS`; ``True`` / ``False`` (the options of older versions and old run
    folders) mean ``'celeba'`` / ``'none'``."""
    if crop is None or crop is False:
        return "none"
    if crop is True:
        return "celeba"
    if crop not in CROPS:
        raise ValueError(f"crop={crop!r} must be one of {', '.join(repr(c) for c in CROPS)} (or True for 'celeba')")
    return crop


def center_crop_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The largest centred square ``(left, upper, right, lower)`` of a ``width x height`` frame."""
    side = min(width, height)
    left, upper = (width - side) // 2, (height - side) // 2
    return (left, upper, left + side, upper + side)


def is_squashed(width: int, height: int, crop: str | bool | None) -> bool:
    """Whether a ``width x height`` frame is squashed (resized to a square with another aspect ratio)."""
    return crop_method(crop) == "none" and width != height


def celeba_crop_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The official centre-crop box ``(left, upper, right, lower)`` scaled to a ``width x height`` frame."""
    sx, sy = width / CELEBA_FRAME[0], height / CELEBA_FRAME[1]
    cx, cy = CELEBA_CROP_CENTER[0] * sx, CELEBA_CROP_CENTER[1] * sy
    hx, hy = CELEBA_CROP_SIZE / 2 * sx, CELEBA_CROP_SIZE / 2 * sy
    return (round(cx - hx), round(cy - hy), round(cx + hx), round(cy + hy))


def draft_size(base: int, crop: str | bool | None) -> tuple[int, int]:
    """The smallest ``(width, height)`` a frame may be decoded at for a resize to ``base`` (JPEG draft mode).

    Without a crop or with the centre square (whose side is the frame's smaller side), ``base`` on both sides;
    with the CelebA box (128/178 of the width, 128/218 of the height), enough that the box still spans
    ``base`` pixels whatever the orientation: ``ceil(base * 218 / 128)``.
    """
    if crop_method(crop) != "celeba":
        return (base, base)
    side = math.ceil(base * max(CELEBA_FRAME) / CELEBA_CROP_SIZE)
    return (side, side)


def frame_to_resolutions(image: Image.Image, resolutions: Sequence[int], *, crop: str | bool | None = False,
                         base: int | None = None) -> dict[int, NDArray[np.uint8]]:
    """Resize one picture to every resolution in ``resolutions``.

    Parameters
    ----------
    image : PIL.Image.Image
        A decoded picture in mode ``'L'`` (grey) or ``'RGB'``.
    resolutions : sequence of int
        Square output sizes.
    crop : {'none', 'center', 'celeba'} or bool
        The crop taken first (see the module docstring; True means 'celeba', False (default) 'none').
    base : int or None
        Intermediate square size (default ``max(resolutions)``).

    Returns
    -------
    dict
        ``{r: ndarray (r, r, C) uint8}``, ``C = 1`` for grey and ``3`` for colour.
    """
    method = crop_method(crop)
    if method != "none":
        image = image.crop((center_crop_box if method == "center" else celeba_crop_box)(*image.size))
    top = base or max(resolutions)
    square = image.resize((top, top), RESAMPLING)
    out: dict[int, NDArray[np.uint8]] = {}
    for r in resolutions:
        resized = square if r == top else square.resize((r, r), RESAMPLING)
        pixels = np.asarray(resized, dtype=np.uint8)
        out[r] = pixels[:, :, None] if pixels.ndim == 2 else pixels
    return out


def array_to_image(pixels: ArrayLike) -> Image.Image:
    """Turn one ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)`` array (uint8, or float in [0, 1]) into a PIL image."""
    values: NDArray[Any] = np.asarray(pixels)
    if values.ndim == 3 and values.shape[2] == 1:
        values = values[:, :, 0]
    if values.dtype != np.uint8:
        values = np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8)
    return Image.fromarray(values)
