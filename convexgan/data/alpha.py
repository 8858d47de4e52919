"""Compositing images with transparency onto a background colour.

The arithmetic is uint8 alpha blending with rounding to nearest, done in the
image's colour space (RGB or L) before any resize: for a sample ``c``, alpha
``a`` and background ``b`` (all integers 0..255) the result is
``(c a + b (255 - a) + 127) // 255``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from convexgan.choices import BACKGROUND_NAMES, LEGACY_BACKGROUND


def parse_background(value: str) -> tuple[int, int, int] | None:
    """The RGB triple of ``value`` (a name, ``#rrggbb`` or ``r,g,b``), or None for ``none``.

    Examples
    --------
    >>> parse_background("white"), parse_background("#ff0080"), parse_background("1,2,3")
    ((255, 255, 255), (255, 0, 128), (1, 2, 3))
    >>> parse_background("none") is None
    True
    """
    text = value.strip().lower()
    if text == LEGACY_BACKGROUND:
        return None
    if text in BACKGROUND_NAMES:
        return BACKGROUND_NAMES[text]
    hexdigits = "0123456789abcdef"
    if len(text) == 7 and text[0] == "#" and all(ch in hexdigits for ch in text[1:]):
        return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 3 and all(p.isdigit() and int(p) <= 255 for p in parts):
        return (int(parts[0]), int(parts[1]), int(parts[2]))
    names = ", ".join(sorted(BACKGROUND_NAMES))
    raise ValueError(f"background={value!r}: expected none, one of {names}, #rrggbb or r,g,b with 0..255 each")


def composite(colour: NDArray[np.uint8], alpha: NDArray[np.uint8],
              background: tuple[int, int, int]) -> NDArray[np.uint8]:
    """Blend ``colour`` (H x W x C, C = 1 or 3) over ``background`` with ``alpha`` (H x W).

    A grey image (C = 1) takes the background's ITU-R 601 luma, rounded (Pillow's ``L`` conversion).

    Examples
    --------
    >>> c = np.array([[[0, 0, 0], [200, 100, 50]]], dtype=np.uint8)
    >>> a = np.array([[0, 128]], dtype=np.uint8)
    >>> composite(c, a, (255, 255, 255)).tolist()
    [[[255, 255, 255], [227, 177, 152]]]
    """
    grey = round((299 * background[0] + 587 * background[1] + 114 * background[2]) / 1000)
    bg = np.array(background if colour.shape[2] == 3 else (grey,), dtype=np.uint32)
    a = alpha.astype(np.uint32)[:, :, None]
    out = (colour.astype(np.uint32) * a + bg * (255 - a) + 127) // 255
    return out.astype(np.uint8)
