"""One writer per run folder: a lock file holding the owner's pid, host and start time.

:func:`run_lock` creates ``RUN/.convexgan.lock`` and holds an exclusive ``flock`` on it for as long as the
training runs; the kernel drops that lock when the process ends in any way (``SIGKILL`` included), so a lock
file left by a dead process is *stale* and the next run takes it over with a warning naming the old owner.
While the owner lives, a second ``convexgan train`` into the same folder stops at once with an error naming
the owner's pid, host and start time. Where the file system offers no ``flock`` (some network mounts), the
recorded pid decides instead: a lock whose pid is not alive on this host is stale; one from another host is
honoured until it is removed by hand.
"""

import errno
import fcntl
import json
import os
import socket
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from convexgan.exceptions import ConvexGANWarning

LOCK = ".convexgan.lock"


from convexgan.exceptions import RunFolderLockedError


def owner_record() -> dict[str, Any]:
    """This process as a lock owner: ``{"pid", "host", "started"}``."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


@contextmanager
def run_lock(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Own the run folder ``folder`` (which must exist) for the duration of the ``with`` block.

    Raises
    ------
    RunFolderLockedError
        Another live process owns it (the message names its pid, host and start time).
    """
    path = Path(folder) / LOCK
    fd = _acquire(path)
    try:
        yield path
    finally:
        _release(fd, path)


def _acquire(path: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            locked = _try_flock(fd, path)
        except BaseException:
            os.close(fd)
            raise
        if not locked or not _still_named(fd, path):
            os.close(fd)
            continue
        previous = _read_owner(fd)
        if previous and previous.get("pid") != os.getpid():
            warnings.warn(f"run folder {path.parent}: taking over the stale lock of pid {previous.get('pid')} on "
                          f"{previous.get('host')} (started {previous.get('started')}), which no longer runs",
                          ConvexGANWarning, stacklevel=4)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(owner_record()).encode(), 0)
        os.fsync(fd)
        return fd


def _try_flock(fd: int, path: Path) -> bool:
    """``True`` once this process holds the lock; raise when a live owner holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        raise RunFolderLockedError(_busy_message(path, _read_owner(fd))) from None
    except OSError as err:
        if err.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
            raise
    owner = _read_owner(fd)
    if owner and owner.get("pid") != os.getpid() and not _is_stale(owner):
        raise RunFolderLockedError(_busy_message(path, owner))
    return True


def _is_stale(owner: Mapping[str, Any]) -> bool:
    """A pid-only lock is stale when its pid is not alive on this host (from another host: never)."""
    if owner.get("host") != socket.gethostname() or not isinstance(owner.get("pid"), int):
        return False
    try:
        os.kill(owner["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _still_named(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file ``fd`` locked (a releasing owner may have unlinked it meanwhile)."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _read_owner(fd: int) -> dict[str, Any] | None:
    try:
        size = os.fstat(fd).st_size
        return json.loads(os.pread(fd, min(size, 4096), 0).decode()) if size else None
    except (OSError, ValueError):
        return {"pid": "unknown", "host": "unknown", "started": "unknown"}


def _busy_message(path: Path, owner: Mapping[str, Any] | None) -> str:
    owner = owner or {}
    return (
        f"run folder {path.parent} is in use by another convexgan process (pid {owner.get('pid', 'unknown')} on host "
        f"{owner.get('host', 'unknown')}, started {owner.get('started', 'unknown')}); wait for it to finish or "
        f"choose another --out (if no such process runs, remove {path})"
    )


def _release(fd: int, path: Path) -> None:
    try:
        if _still_named(fd, path):
            os.unlink(path)
    finally:
        os.close(fd)
