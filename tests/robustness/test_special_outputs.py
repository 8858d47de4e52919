"""Outputs named onto special files are written in place (the special file stays special); a regular file is
still replaced atomically (a new inode under the name, no temporary left behind)."""

import os
import stat
import threading
from pathlib import Path

import numpy as np
import pytest

from convexgan._files import atomic_write, atomic_write_text, write_option_file

PAYLOAD = b"convexgan" * 1000


def test_dev_null_stays_a_device() -> None:
    atomic_write("/dev/null", lambda fh: fh.write(PAYLOAD))
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_fifo_receives_the_data_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_option_file("--npy", fifo, lambda fh: np.save(fh, np.arange(6.0)))
    reader.join(timeout=30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert received and received[0].startswith(b"\x93NUMPY")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_mknod_copy_of_dev_null_stays_a_device(tmp_path: Path) -> None:
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.stat("/dev/null").st_rdev)
    atomic_write_text(device, "x" * 5000)
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_regular_file_is_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    before = os.stat(target).st_ino
    keep = tmp_path / "hardlink"
    os.link(target, keep)
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and keep.read_text() == "old"
    assert os.stat(target).st_ino != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hardlink", "out.json"]
