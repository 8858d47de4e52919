"""Images in a folder (searched recursively), in sorted order: e.g. CelebA's ``img_align_celeba``.

The CelebA layout is ``ROOT/img_align_celeba/NNNNNN.jpg`` with ``ROOT/list_attr_celeba.txt``; either ``ROOT`` or
the image folder may be given. An attribute filter reads ``list_attr_celeba.txt`` from the folder or its
parent unless ``attributes_file`` names it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from convexgan.data.attributes import attribute_filter, find_attribute_file
from convexgan.data.decode import DecodeLog, decode_image
from convexgan.data.source import ImageSource

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")


class FolderSource(ImageSource[Path]):
    """Every image file under ``folder``, sorted by relative path.

    Parameters
    ----------
    folder : path
    attributes : dict or None
        CelebA attribute filter ``{name: bool}`` (see :func:`convexgan.data.attributes.attribute_filter`).
    attributes_file : path or None
        Explicit ``list_attr_celeba.txt``.
    **kwargs
        ``n_images``, ``subset``, ``seed``, ``include``, ``classes``, ``crop``, ``strict`` of :class:`ImageSource`.
    """

    def __init__(self, folder: str | os.PathLike[str], *, attributes: dict[str, bool] | None = None,
                 attributes_file: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        folder = Path(folder)
        if not folder.is_dir():
            raise FileNotFoundError(f"image folder {folder} does not exist")
        files = sorted(
            (p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()),
            key=lambda p: p.relative_to(folder).as_posix(),
        )
        if attributes:
            table_path = Path(attributes_file) if attributes_file else find_attribute_file(files[0].parent if files else folder)
            if table_path is None or not table_path.is_file():
                raise FileNotFoundError(f"attribute filter requested but no list_attr_celeba.txt found for {folder}")
            keep = attribute_filter(table_path.read_text(), str(table_path), attributes)
            matched = [p for p in files if p.name in keep]
            if files and not matched:
                raise ValueError(f"attributes={attributes} match none of the {len(files)} images of folder {folder} "
                                 f"(by {table_path})")
            files = matched
        if not files:
            _check_listable(folder)
        self.root = folder
        super().__init__(f"folder {folder}", files, **kwargs)

    def _relative(self, item: Path) -> str:
        return item.relative_to(self.root).as_posix()

    def _name(self, item: Path) -> str:
        return str(item)

    def _decode(self, item: Path, draft_frame: tuple[int, int] | None = None,
                log: DecodeLog | None = None) -> NDArray[np.uint8]:
        return decode_image(item, str(item), draft_frame, self.background, log)


def _check_listable(folder: Path) -> None:
    """Raise ``PermissionError`` (or the ``OSError``) naming the first folder under ``folder`` that cannot be listed:
    :meth:`pathlib.Path.rglob` skips such folders silently, so an unreadable folder would read as one holding no
    images."""
    errors: list[OSError] = []
    for _ in os.walk(folder, onerror=errors.append):
        if errors:
            break
    if errors:
        err = errors[0]
        raise type(err)(err.errno, f"image folder {folder} cannot be listed ({err.strerror})", err.filename)
