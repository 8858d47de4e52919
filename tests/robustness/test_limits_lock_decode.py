"""Unit checks behind the hostile catalogue: limit parsing, declared headers, the lock without ``flock``, pixel
modes that no file format stores, and atomic writes."""

import errno
import io
import json
import os
import socket
import subprocess
import sys
import types

import numpy as np
import pytest

for _module in ("torch", "PIL"):
    pytest.importorskip(_module, reason=f"{_module} is not installed; the trainer tests need pip install 'convexgan[train]'")

from PIL import Image  # noqa: E402
from robustness_hostile import environment, npy_header_bytes  # noqa: E402

from convexgan import _limits  # noqa: E402
from convexgan._files import atomic_write, remove_partial_writes  # noqa: E402
from convexgan.data.decode import ImageDecodeError, decode_image, pixels_8bit  # noqa: E402
from convexgan.progressive.runs import lock  # noqa: E402


@pytest.mark.parametrize("text, expected", [("123", 123), ("8K", 8192), ("64G", 64 * 2**30), ("2 MiB", 2 * 2**20)])
def test_limit_accepts_bytes_with_suffixes(text, expected):
    with environment(CONVEXGAN_MAX_BYTES=text):
        assert _limits.max_bytes() == expected


def test_limit_refuses_a_malformed_value_naming_the_variable():
    with environment(CONVEXGAN_MAX_BYTES="lots"), pytest.raises(ValueError, match="CONVEXGAN_MAX_BYTES='lots'"):
        _limits.max_bytes()


def test_check_bytes_names_what_and_the_limit():
    with environment(CONVEXGAN_MAX_BYTES="1K"):
        assert _limits.check_bytes(1024, "x") == 1024
        with pytest.raises(ValueError, match=r"--n=7 would need 1 KiB \(1025 bytes\), above the limit of 1 KiB"):
            _limits.check_bytes(1025, "--n=7")


def test_npy_header_is_read_without_the_data(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((3, 5), np.float32))
    assert _limits.npy_header(tmp_path / "a.npy") == ((3, 5), np.dtype(np.float32))
    (tmp_path / "b.npy").write_bytes(npy_header_bytes((10**7, 10**7)))
    shape, dtype = _limits.npy_header(tmp_path / "b.npy")
    assert _limits.array_bytes(shape, dtype) == 8 * 10**14


def test_npz_headers_list_every_member(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.zeros((2, 3)), y=np.arange(4, dtype=np.int16))
    assert _limits.npz_headers(tmp_path / "a.npz") == {"x": ((2, 3), np.dtype(float)), "y": ((4,), np.dtype("<i2"))}


def _no_flock(fd, operation):
    raise OSError(errno.ENOLCK, "no locks available")


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("owner, taken", [
    ({"pid": "dead", "host": "here"}, True),
    ({"pid": "alive", "host": "here"}, False),
    ({"pid": "dead", "host": "elsewhere.example"}, False),
])
def test_without_flock_the_recorded_pid_decides(tmp_path, monkeypatch, owner, taken):
    monkeypatch.setattr(lock.fcntl, "flock", _no_flock)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        pid = {"dead": _dead_pid(), "alive": sleeper.pid}[owner["pid"]]
        host = socket.gethostname() if owner["host"] == "here" else owner["host"]
        (tmp_path / lock.LOCK).write_text(json.dumps({"pid": pid, "host": host, "started": "then"}))
        if taken:
            with pytest.warns(UserWarning, match=f"stale lock of pid {pid}"), lock.run_lock(tmp_path):
                assert json.loads((tmp_path / lock.LOCK).read_text())["pid"] == os.getpid()
            assert not (tmp_path / lock.LOCK).exists()
        else:
            with pytest.raises(lock.RunFolderLockedError, match=f"pid {pid} on host {host}"):
                with lock.run_lock(tmp_path):
                    pass
    finally:
        sleeper.kill()
        sleeper.wait()


def test_lock_is_released_and_retaken(tmp_path):
    with lock.run_lock(tmp_path):
        with pytest.raises(lock.RunFolderLockedError, match=f"pid {os.getpid()}"):
            with lock.run_lock(tmp_path):
                pass
    with lock.run_lock(tmp_path):
        assert (tmp_path / lock.LOCK).exists()


@pytest.mark.parametrize("mode, value, expected", [
    ("HSV", (0, 255, 255), [255, 0, 0]),
    ("HSV", (85, 255, 128), [0, 128, 0]),
    ("La", (77, 255), [77]),
    ("RGBX", (10, 20, 30, 0), [10, 20, 30]),
    ("I;16L", 257 * 99, [99]),
])
def test_modes_no_format_stores_are_scaled(mode, value, expected):
    pixels = pixels_8bit(Image.new(mode, (3, 2), value), "x")
    assert pixels.shape[:2] == (2, 3)
    assert np.array_equal(pixels.reshape(6, -1), np.tile(expected, (6, 1))), pixels


def test_unknown_mode_is_refused_naming_the_file():
    """Older Pillows return modes such as ``BGR;24`` that Pillow 13 no longer has."""
    with pytest.raises(ImageDecodeError, match=r"pic\.bmp \(pixel mode 'BGR;24'"):
        pixels_8bit(types.SimpleNamespace(mode="BGR;24"), "pic.bmp")


def test_garbage_is_refused_naming_the_file():
    with pytest.raises(ImageDecodeError, match=r"^junk\.png \(UnidentifiedImageError"):
        decode_image(io.BytesIO(b"not an image"), "junk.png")


def test_atomic_write_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def failing(fh):
        fh.write(b"partial new content")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, failing)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_remove_partial_writes_only_removes_temporaries(tmp_path):
    (tmp_path / ".stage00_4x4.npz.abcd1234.tmp").write_bytes(b"x")
    (tmp_path / "stage00_4x4.npz").write_bytes(b"y")
    (tmp_path / "notes.tmp").write_bytes(b"z")
    assert remove_partial_writes(tmp_path) == [".stage00_4x4.npz.abcd1234.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.tmp", "stage00_4x4.npz"]
