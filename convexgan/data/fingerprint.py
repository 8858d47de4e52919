"""A fingerprint of the images a source will read, so that a resumed run can refuse changed data.

Which fingerprint depends on the source (the selected items only, after ``n_images`` and any filter):

- folder: the list of files with their relative path, size in bytes and modification time in nanoseconds
  (not their content: a file rewritten with the same size within the same mtime tick goes unnoticed; a copy
  that does not preserve modification times counts as changed);
- tar archive: the list of image members with their name, size and modification time (from the member
  headers);
- array (``.npz``, IDX or in memory): a content hash, SHA-256 of the selected images' bytes with their shape
  and dtype.

:func:`data_fingerprint` returns the summary recorded in the run's configuration (method, count, SHA-256 of
the list or of the content) and the list itself; :func:`describe_changes` says how two lists differ.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from convexgan.data.archive import TarSource
from convexgan.data.arrays import ArraySource
from convexgan.data.folder import FolderSource
from convexgan.data.source import ImageSource

FOLDER_METHOD = "file list: relative path, size in bytes, modification time in ns"
TAR_METHOD = "tar member list: name, size in bytes, modification time in s"
ARRAY_METHOD = "content hash: SHA-256 of the selected images' bytes, shape and dtype"


@dataclass
class Fingerprint:
    """``summary`` (JSON-able: ``method``, ``count``, ``sha256``) and ``entries`` (``[name, size, mtime]`` rows)."""

    summary: dict[str, Any]
    entries: list[list[Any]] = field(default_factory=list)


def data_fingerprint(source: ImageSource[Any]) -> Fingerprint:
    """The fingerprint of the items ``source`` will read (see the module docstring).

    Parameters
    ----------
    source : convexgan.data.ImageSource

    Returns
    -------
    Fingerprint
    """
    if isinstance(source, FolderSource):
        entries: list[list[Any]] = []
        for path in source.items:
            stat = path.stat()
            entries.append([path.relative_to(source.root).as_posix(), stat.st_size, stat.st_mtime_ns])
        return _listed(FOLDER_METHOD, entries)
    if isinstance(source, TarSource):
        return _listed(TAR_METHOD, [[m.name, m.size, int(m.mtime)] for m in source.items])
    if isinstance(source, ArraySource):
        digest = hashlib.sha256()
        for index in source.items:
            image = np.ascontiguousarray(source.images[index])
            digest.update(f"{image.shape}{image.dtype.str}".encode())
            digest.update(image.tobytes())
        return Fingerprint({"method": ARRAY_METHOD, "count": len(source.items), "sha256": digest.hexdigest()})
    return Fingerprint({"method": f"none ({type(source).__name__} is not fingerprinted)", "count": len(source)})


def _listed(method: str, entries: list[list[Any]]) -> Fingerprint:
    digest = hashlib.sha256(json.dumps(entries).encode()).hexdigest()
    return Fingerprint({"method": method, "count": len(entries), "sha256": digest}, entries)


def describe_changes(old: list[list[Any]], new: list[list[Any]]) -> str:
    """How the file list ``new`` differs from ``old`` (rows ``[name, size, mtime]``), in one sentence.

    Returns
    -------
    str
        e.g. ``"3 file(s) changed, 1 added, 0 removed (first changed: a/b.png: size 1200 -> 1180)"``.
    """
    before, after = {row[0]: row[1:] for row in old}, {row[0]: row[1:] for row in new}
    changed = [name for name in after if name in before and after[name] != before[name]]
    added = [name for name in after if name not in before]
    removed = [name for name in before if name not in after]
    examples = []
    if changed:
        name = changed[0]
        (size0, time0), (size1, time1) = before[name], after[name]
        what = f"size {size0} -> {size1}" if size0 != size1 else f"modification time {time0} -> {time1}"
        examples.append(f"first changed: {name}: {what}")
    examples += [f"first added: {added[0]}"] if added else []
    examples += [f"first removed: {removed[0]}"] if removed else []
    return f"{len(changed)} file(s) changed, {len(added)} added, {len(removed)} removed ({'; '.join(examples)})"
