"""Issue 26, class 6: a folder that cannot be listed is not "a folder holding no images", an attribute filter that
matches nothing says so, and a write that runs out of space (ENOSPC) or past the file-size limit (EFBIG) names
the output file."""

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

for _module in ("torch", "PIL"):
    pytest.importorskip(_module, reason=f"{_module} is not installed; the data tests need pip install 'convexgan[train]'")

from PIL import Image  # noqa: E402

from convexgan._files import atomic_write  # noqa: E402
from convexgan.data import load_images, toy_images  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _image_folder(tmp_path, n=3):
    folder = tmp_path / "images"
    (folder / "sub").mkdir(parents=True)
    for i, image in enumerate(toy_images(n, 8, seed=1)):
        Image.fromarray(image).save(folder / "sub" / f"{i:06d}.png")
    return folder


def test_unlistable_folder_is_named_not_called_empty(tmp_path, monkeypatch):
    folder = _image_folder(tmp_path)
    real_scandir = os.scandir
    blocked = str(folder / "sub")

    def scandir(path="."):  # the test runs as root, where chmod 000 does not stop listing
        if os.fspath(path) == blocked:
            raise PermissionError(errno.EACCES, "Permission denied", blocked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(PermissionError, match=f"image folder {folder} cannot be listed") as caught:
        load_images(folder, 8)
    assert caught.value.filename == blocked and "holds no images" not in str(caught.value)


def test_empty_folder_still_holds_no_images(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        load_images(tmp_path / "empty", 8)


def test_attribute_filter_matching_nothing_says_so(tmp_path):
    folder = _image_folder(tmp_path)
    names = sorted(p.name for p in (folder / "sub").iterdir())
    table = "\n".join([str(len(names)), "Smiling Male", *(f"{name} -1 1" for name in names)]) + "\n"
    (folder / "list_attr_celeba.txt").write_text(table)
    with pytest.raises(ValueError, match=r"attributes=\{'Smiling': True\} match none of the 3 images of folder"):
        load_images(folder, 8, attributes={"Smiling": True})
    assert len(load_images(folder, 8, attributes={"Smiling": False})) == 3  # the table itself is read


def test_enospc_names_the_output(tmp_path):
    def full(fh):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # what write() raises on a full disk

    with pytest.raises(OSError, match="No space left on device") as caught:
        atomic_write(tmp_path / "report.json", full)
    assert caught.value.filename == str(tmp_path / "report.json") and caught.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OSError) as caught:
        atomic_write("/dev/full", lambda fh: fh.write(b"x" * 10000))  # a real ENOSPC, written in place
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == "/dev/full"


@pytest.mark.parametrize("writer, expected", [
    ("lambda fh: fh.write(b'x' * 65536)", "[Errno 27] File too large: '{path}'"),  # a Python write: EFBIG
    ("lambda fh: np.save(fh, np.zeros(8192))", "{path} could not be written whole"),  # numpy's short write
], ids=["write", "numpy"])
def test_efbig_past_the_file_size_limit_names_the_output(tmp_path, writer, expected):
    """A real EFBIG: a child process with RLIMIT_FSIZE of 4 KiB (SIGXFSZ ignored) writes 64 KiB."""
    path = tmp_path / "big.out"
    script = textwrap.dedent(f"""
        import resource, signal, sys
        import numpy as np
        from convexgan._files import write_option_file
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        try:
            write_option_file("--npy", {str(path)!r}, {writer})
        except ValueError as err:
            print(err)
            sys.exit(1)
    """)
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert child.returncode == 1, child.stderr
    line = child.stdout.strip()
    assert line.startswith(f"--npy {path} cannot be written (") and expected.format(path=path) in line, line
    assert "\n" not in line and list(tmp_path.iterdir()) == []  # one line; the temporary file is removed
