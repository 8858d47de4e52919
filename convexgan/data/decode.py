r"""Decode one image file into 8-bit pixels: every Pillow mode scaled to :math:`[0, 255]` or refused by name.

:func:`decode_image` is the only place where a file becomes pixels (folders and tar archives call it per
item). It opens the file with Pillow, refuses a decompression bomb (more than ``PIL.Image.MAX_IMAGE_PIXELS``
pixels: Pillow's own limit, which a user can raise) before decoding it, applies the EXIF orientation
(``ImageOps.exif_transpose``) and maps the pixel mode to 8 bits:

================================  =====================================================================
mode                              8-bit value
================================  =====================================================================
``1``, ``L``, ``LA``, ``La``      grey :math:`v` (bilevel 0/1 as 0/255; alpha dropped)
``I;16``, ``I;16B``, ...          grey :math:`\operatorname{round}(v / 257)` (16-bit, :math:`65535 / 257 = 255`)
``I``                             the same: Pillow's mode for 16-bit PGM/PPM (any ``maxval`` rescaled to
                                  65535) and 16-bit PNG/TIFF; values outside ``0..65535`` are refused
``F``                             grey :math:`\operatorname{round}(255 v)` for finite :math:`v \in [0, 1]`;
                                  other ranges are refused (float pixels have no declared range)
``RGB``, ``RGBA``, ``RGBX``,      colour through Pillow's conversion to ``RGB`` (alpha dropped, palette
``P``, ``PA``, ``CMYK``,          looked up, CMYK/YCbCr/LAB/HSV converted)
``YCbCr``, ``LAB``, ``HSV``
anything else                     refused, naming the file and the mode
================================  =====================================================================

With ``background`` given, an image with transparency (an alpha channel, or a ``transparency`` entry on a
``P``, ``L`` or ``RGB`` image) is instead composited onto that colour (:mod:`convexgan.data.alpha`).

Every refusal is an :class:`ImageDecodeError` (a ``ValueError``) whose message starts with the file's name;
the sources count it as an unreadable image (or raise it with ``strict``).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

GREY_MODES = ("1", "L", "LA", "La")
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")
COLOUR_MODES = ("RGB", "RGBA", "RGBX", "RGBa", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV")
PILLOW_ERRORS = (OSError, ValueError, EOFError, SyntaxError, TypeError, IndexError, KeyError, MemoryError)


from convexgan.data.alpha import composite
from convexgan.exceptions import ImageDecodeError

ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


@dataclasses.dataclass
class DecodeLog:
    """What decoding one file noticed, for the pass's summary.

    Attributes
    ----------
    alpha : bool
        The file carried transparency (an alpha channel or a ``transparency`` entry), whatever the background.
    warnings : list of (type, str)
        The category and message of each warning issued by ``warnings.warn`` while decoding (Pillow's, e.g.
        "Palette images with Transparency expressed in bytes ..."): held here instead of printed, so that the
        sources report each kind once per pass with a count.
    """

    alpha: bool = False
    warnings: list[tuple[type[Warning], str]] = dataclasses.field(default_factory=list)


_held = threading.local()
_diverting = threading.Lock()
_diverted: dict[str, Any] = {"depth": 0, "warn": warnings.warn}


def _warn(message: Any, category: type[Warning] | None = None, stacklevel: int = 1, *args: Any,
          **kwargs: Any) -> None:
    """``warnings.warn`` while a thread decodes with a log: its warnings go to the log, others' are issued."""
    log = getattr(_held, "log", None)
    if log is None:
        _diverted["warn"](message, category, stacklevel + 1, *args, **kwargs)
        return
    kind = type(message) if isinstance(message, Warning) else category or UserWarning
    if not issubclass(kind, Image.DecompressionBombWarning):  # refused by size instead (decode_image)
        log.warnings.append((kind, str(message)))


@contextmanager
def held_warnings(log: DecodeLog) -> Iterator[None]:
    """Hold the warnings that this thread issues through ``warnings.warn`` in ``log`` (thread-safe: the other
    threads' warnings are issued as usual; ``warnings.catch_warnings`` would act on every thread)."""
    with _diverting:
        if _diverted["depth"] == 0:
            _diverted["warn"] = warnings.warn
            setattr(warnings, "warn", _warn)
        _diverted["depth"] += 1
    _held.log = log
    try:
        yield
    finally:
        _held.log = None
        with _diverting:
            _diverted["depth"] -= 1
            if _diverted["depth"] == 0:
                setattr(warnings, "warn", _diverted["warn"])


def decode_image(file: str | os.PathLike[str] | IO[bytes], name: str,
                 draft_frame: tuple[int, int] | None = None,
                 background: tuple[int, int, int] | None = None,
                 log: DecodeLog | None = None) -> NDArray[np.uint8]:
    """Decode one image file into 8-bit pixels (see the module docstring for each mode).

    Parameters
    ----------
    file : path or binary file object
        The image file (a path, an open file, or ``io.BytesIO`` of its bytes).
    name : str
        How messages name the file.
    draft_frame : (int, int) or None
        JPEG only: let libjpeg decode at 1/2, 1/4 or 1/8 scale as long as the frame stays at least this
        ``(width, height)`` (``PIL.Image.draft``; changes the pixels, see :mod:`convexgan.data.source`).
    background : (int, int, int) or None
        Composite transparent images onto this RGB colour (:func:`convexgan.data.alpha.composite`, before any
        resize); None drops the alpha channel as the table above says.
    log : DecodeLog or None
        Filled with what the decoding noticed: whether the file had transparency, and the warnings issued while
        decoding (held there instead of printed). None: those warnings are issued as usual.

    Returns
    -------
    ndarray (H, W) or (H, W, 3) uint8
        Grey or colour pixels, EXIF orientation applied.

    Raises
    ------
    ImageDecodeError
        The file is not a readable image, is a decompression bomb, or has a mode with no defined scale.
    """
    if log is None:
        return _decoded(file, name, draft_frame, background, None)
    with held_warnings(log):
        return _decoded(file, name, draft_frame, background, log)


def _decoded(file: str | os.PathLike[str] | IO[bytes], name: str, draft_frame: tuple[int, int] | None,
             background: tuple[int, int, int] | None, log: DecodeLog | None) -> NDArray[np.uint8]:
    """:func:`decode_image`'s work, its warnings already held in ``log`` when given."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                if draft_frame is not None and image.format == "JPEG":
                    image.draft(None, tuple(draft_frame))
                image.load()
                oriented = ImageOps.exif_transpose(image)
                alpha = has_alpha(oriented)
                if log is not None:
                    log.alpha = alpha
                if background is not None and alpha:
                    return flatten_alpha(oriented, background)
                return pixels_8bit(oriented, name)
    except Image.DecompressionBombError as err:
        raise ImageDecodeError(name, f"decompression bomb refused: {err}") from None
    except ImageDecodeError:
        raise
    except PILLOW_ERRORS as err:
        raise ImageDecodeError(name, f"{type(err).__name__}: {err}") from None


def has_alpha(image: Image.Image) -> bool:
    """Whether ``image`` carries transparency: an alpha channel, or a palette/colour key in ``info``."""
    return image.mode in ALPHA_MODES or (image.mode in ("P", "L", "RGB") and "transparency" in image.info)


def flatten_alpha(image: Image.Image, background: tuple[int, int, int]) -> NDArray[np.uint8]:
    """Grey (``L``/``LA``/``La``) or colour pixels of a transparent ``image`` composited onto ``background``."""
    grey = image.mode in ("L", "LA", "La")
    rgba = np.asarray(image.convert("LA" if grey else "RGBA"), dtype=np.uint8)
    pixels = composite(rgba[:, :, :-1], rgba[:, :, -1], background)
    return pixels[:, :, 0] if grey else pixels


def pixels_8bit(image: Image.Image, name: str) -> NDArray[np.uint8]:
    """The 8-bit pixels of a decoded ``PIL.Image`` (see the module docstring); ``name`` for messages."""
    mode = image.mode
    if mode in GREY_MODES:
        return np.asarray(image.getchannel(0).convert("L") if mode != "1" else image.convert("L"), dtype=np.uint8)
    if mode in SIXTEEN_BIT_MODES:
        values = np.asarray(image).astype(np.int64)
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise ImageDecodeError(
                name, f"mode {mode} pixels span [{values.min()}, {values.max()}], outside the 16-bit range 0..65535"
            )
        return np.rint(values / 257.0).astype(np.uint8)
    if mode == "F":
        values = np.asarray(image, dtype=np.float64)
        if values.size and (not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 1):
            raise ImageDecodeError(
                name, f"mode F (32-bit float) pixels span [{np.nanmin(values)}, {np.nanmax(values)}]; expected finite "
                f"values in [0, 1]"
            )
        return np.rint(values * 255.0).astype(np.uint8)
    if mode in COLOUR_MODES:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
    raise ImageDecodeError(name, f"pixel mode {mode!r} has no defined scale to [0, 1]; convert the file to RGB or L")
