"""Output files written atomically: a temporary file in the same folder, ``fsync``, then ``os.replace``.

A reader of ``path`` sees the old file or the complete new one, never a partial one: a crash, a full disk or
an interrupt during the write leaves the old file untouched and no temporary file behind (the temporary file
is removed on any exception). ``os.replace`` renames over the *name*, so a symbolic link planted under
``path`` is replaced by the new file and its target is never written. The new file gets the mode of a
freshly created file, ``0o666`` less the process's umask (not the ``0o600`` of :func:`tempfile.mkstemp`).

A name that is not a regular file -- a device such as ``/dev/null`` or ``/dev/full``, a FIFO, a pipe, a
socket, or ``/dev/stdout`` (a link to the process's standard output) -- is written *in place* instead: it is
opened for writing without truncation or creation and the content is written into it, so the special file
stays what it was and the data arrive where it leads. :func:`is_special_file` makes that decision, in this one
place, for every output of every command.

Temporary files are named ``.NAME.XXXXXXXX.tmp``; a process killed with ``SIGKILL`` in the middle of a write
can leave one, and :func:`remove_partial_writes` deletes them (the trainer does so when it takes a run folder).
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

TEMPORARY_SUFFIX = ".tmp"


def current_umask() -> int:
    """The process's file-creation mask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def is_special_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` (its target, for a link) exists and is neither a regular file nor a folder."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_in_place(path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(file_object)`` on a buffer in memory, then write the buffer into ``path`` itself, opened for
    writing without creating or truncating it (a pipe cannot seek, and writers such as ``np.save`` ask where
    they are)."""
    buffer = io.BytesIO()
    write(buffer)
    with open(os.open(path, os.O_WRONLY), "wb", closefd=True) as fh:
        fh.write(buffer.getvalue())
        fh.flush()
    return Path(path)


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(file_object)`` on a temporary file beside ``path``, then rename it to ``path``.

    Parameters
    ----------
    path : path
        The final name (its folder must exist); a special file (see :func:`is_special_file`) is written in
        place.
    write : callable
        Writes the content into the binary file object it receives.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    with _naming(path):
        if is_special_file(path):
            return write_in_place(path, write)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
                fh.flush()
                os.fchmod(fh.fileno(), 0o666 & ~current_umask())
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return path


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Give an ``OSError`` that names no file (``ENOSPC``, ``EFBIG``, ``EIO`` from a write, flush or fsync) the
    output's path, so that "No space left on device" says which output did not fit; numpy's short write
    (``8192 requested and 496 written``, no errno) is named with its two likely causes."""
    try:
        yield
    except OSError as err:
        if err.filename is not None:
            raise
        if err.errno is None:
            raise OSError(f"{path} could not be written whole ({err}): the disk is full or the file is larger than "
                          f"the file-size limit (ulimit -f)") from err
        raise type(err)(err.errno, err.strerror, str(path)) from err


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write a text file atomically (UTF-8)."""
    return atomic_write(path, lambda fh: fh.write(text.encode()))


def write_option_file(option: str, path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]) -> Path:
    """:func:`atomic_write` of a file a command-line option names; an ``OSError`` becomes a ``ValueError`` that
    names the option and the path (``--npy out.npy cannot be written (...)``)."""
    try:
        return atomic_write(path, write)
    except OSError as err:
        raise ValueError(f"{option} {path} cannot be written ({err})") from None


def remove_partial_writes(folder: str | os.PathLike[str]) -> list[str]:
    """Delete the temporary files that killed writes left in ``folder`` (``.NAME.XXXXXXXX.tmp``); return their names."""
    removed: list[str] = []
    for path in sorted(Path(folder).glob(f".*{TEMPORARY_SUFFIX}")):
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed.append(path.name)
    return removed
