"""Images inside a tar archive (plain or compressed), in sorted member order, read without extracting."""

from __future__ import annotations

import io
import os
import tarfile
import threading
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from convexgan._limits import MAX_IMAGE_FILE_BYTES, max_image_file_bytes
from convexgan.data.attributes import ATTRIBUTE_FILE, attribute_filter
from convexgan.data.decode import DecodeLog, ImageDecodeError, decode_image
from convexgan.data.folder import IMAGE_SUFFIXES
from convexgan.data.source import ImageSource


COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")


def check_archive_end(path: str | os.PathLike[str], offset: int, block: int = 1 << 20) -> None:
    """Raise ``ValueError`` if an uncompressed archive holds non-zero bytes after the last member ``tarfile`` read.

    ``tarfile`` stops silently at a damaged header after the first member, as if the archive ended there; a
    genuine end is followed only by zero blocks.
    """
    with open(path, "rb") as fh:
        if fh.read(6).startswith(COMPRESSED_MAGIC):
            return
        fh.seek(offset)
        position = offset
        while chunk := fh.read(block):
            if chunk.strip(b"\0"):
                raise ValueError(f"tar archive {path} is damaged: unreadable header at byte {position} or after")
            position += len(chunk)


class TarSource(ImageSource[tarfile.TarInfo]):
    """Every image member of a tar archive, sorted by member name.

    Parameters
    ----------
    path : path
        The archive (``.tar``, ``.tar.gz``, ...).
    attributes : dict or None
        CelebA attribute filter ``{name: bool}``; ``list_attr_celeba.txt`` is looked for inside the archive
        unless ``attributes_file`` names it.
    **kwargs
        ``n_images``, ``subset``, ``seed``, ``include``, ``classes``, ``crop``, ``strict`` of :class:`ImageSource`.
    """

    def __init__(self, path: str | os.PathLike[str], *, attributes: dict[str, bool] | None = None,
                 attributes_file: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        if not self.path.is_file():
            raise FileNotFoundError(f"tar archive {self.path} does not exist")
        try:
            self._archive = tarfile.open(self.path)
            members = self._archive.getmembers()
        except (tarfile.TarError, EOFError, OSError, ValueError) as err:
            raise ValueError(f"tar archive {self.path} is damaged or truncated ({type(err).__name__}: {err})") from None
        check_archive_end(self.path, self._archive.offset)
        images = sorted(
            (m for m in members if m.isfile() and Path(m.name).suffix.lower() in IMAGE_SUFFIXES),
            key=lambda m: m.name,
        )
        if attributes:
            if attributes_file:
                text, origin = Path(attributes_file).read_text(), str(attributes_file)
            else:
                tables = [m for m in members if Path(m.name).name == ATTRIBUTE_FILE]
                if not tables:
                    raise FileNotFoundError(f"attribute filter requested but {self.path} holds no {ATTRIBUTE_FILE}")
                text, origin = self._member(tables[0]).read().decode(), f"{self.path}:{tables[0].name}"
            keep = attribute_filter(text, origin, attributes)
            images = [m for m in images if Path(m.name).name in keep]
        super().__init__(f"tar archive {self.path}", images, **kwargs)

    def close(self) -> None:
        """Close the archive."""
        self._archive.close()

    def _member(self, member: tarfile.TarInfo) -> IO[bytes]:
        """The open member (a regular file: the only members listed)."""
        fh = self._archive.extractfile(member)
        if fh is None:
            raise ImageDecodeError(self._name(member), "not a regular file")
        return fh

    def _relative(self, item: tarfile.TarInfo) -> str:
        return item.name[2:] if item.name.startswith("./") else item.name

    def _name(self, item: tarfile.TarInfo) -> str:
        return f"{self.path}:{item.name}"

    def _decode(self, item: tarfile.TarInfo, draft_frame: tuple[int, int] | None = None,
                log: DecodeLog | None = None) -> NDArray[np.uint8]:
        """Read the member with a cap (its declared size first, then the bytes actually decompressed), decode it."""
        limit = max_image_file_bytes()
        if item.size > limit:
            raise ImageDecodeError(self._name(item), f"member declares {item.size} bytes, above the image-file "
                                   f"limit of {limit} bytes ({MAX_IMAGE_FILE_BYTES}); not read")
        with self._lock:
            data = self._member(item).read(item.size + 1)
        if len(data) > item.size:
            raise ImageDecodeError(self._name(item), f"member holds more than the {item.size} bytes it declares")
        return decode_image(io.BytesIO(data), self._name(item), draft_frame, self.background, log)
