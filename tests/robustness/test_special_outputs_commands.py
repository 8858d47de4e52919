"""Every output option of every command, through ``main()``, onto a character device and onto a FIFO.

Issue 26, class 1: an output named onto a special file must be written *into* it (the data arrive at the FIFO's
reader) and the special file must stay special (never replaced by a regular file, no temporary left beside it).
The device is a ``mknod`` copy of ``/dev/null`` where the tests run as root (the real ``/dev/null`` otherwise), so
a regression cannot damage the machine's own device.
"""

import contextlib
import io
import json
import os
import stat
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

for _module in ("torch", "PIL"):
    pytest.importorskip(_module, reason=f"{_module} is not installed; the commands need pip install 'convexgan[train]'")

from convexgan.cli import main  # noqa: E402
from convexgan.data import toy_images  # noqa: E402
from convexgan.progressive import train  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
NPY = b"\x93NUMPY"


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    """A tiny run (4 and 8 pixels, trained on 48 generated images), its data and a solve input."""
    folder = tmp_path_factory.mktemp("special_commands")
    data = folder / "toy.npz"
    np.savez(data, x=toy_images(48, size=8, seed=0))
    train(data, folder / "run", resolutions=(4, 8), k=(3, 5), progress=False)
    np.save(folder / "x.npy", np.random.default_rng(0).normal(size=(40, 4)) + 0.5)
    return folder


def _argv(command, option, target, folder, side):
    """The command line writing ``option`` to ``target``; other required outputs go to ``side`` (a folder)."""
    run, data = str(folder / "run"), str(folder / "toy.npz")
    target = str(target)
    if command == "solve":
        return ["solve", str(folder / "x.npy"), "--critic", "quadratic", "--k", "2", "--json", target]
    if command == "sample":
        out = target if option == "--out" else str(side / "s.png")
        return ["sample", run, "--n", "4", "--out", out] + (["--npy", target] if option == "--npy" else [])
    if command == "evaluate":
        return ["evaluate", run, data, "--n", "8", "--nhoods", "4", "--json", target]
    if command == "interpolate":
        out = target if option == "--out" else str(side / "i.png")
        return ["interpolate", run, "--out", out, "--rows", "2", "--steps", "3"] + (
            ["--npy", target] if option == "--npy" else [])
    if command == "project":
        out = target if option == "--out" else str(side / "p.png")
        return ["project", run, data, "--n", "3", "--out", out] + (["--npy", target] if option == "--npy" else [])
    assert command == "compare"
    return ["compare", "--problem", "linear-quadratic", "--dim", "3", "--methods", "gda", "--steps", "40",
            "--log-every", "10", "--quiet", "--plot", target]


def _check_content(command, option, content):
    """The bytes a reader received are a whole output of this kind."""
    if option == "--npy":
        assert content.startswith(NPY)
        array = np.load(io.BytesIO(content))
        expected = {"sample": (4, 8, 8, 3), "project": (3,), "interpolate": (2, 3)}[command]
        assert array.shape[:len(expected)] == expected and np.isfinite(array).all()
    elif option == "--json":
        record = json.loads(content)
        if command == "solve":
            assert record["k"] == 2 and record["certificate"]["optimality"] == "exact"
        else:
            assert [s["resolution"] for s in record["stages"]] == [4, 8]
    else:
        assert content.startswith(PNG) and content.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")


OUTPUTS = [("solve", "--json"), ("sample", "--out"), ("sample", "--npy"), ("evaluate", "--json"),
           ("interpolate", "--out"), ("interpolate", "--npy"), ("project", "--out"), ("project", "--npy"),
           ("compare", "--plot")]


def _device(folder):
    if os.geteuid() != 0:
        return Path("/dev/null")
    device = folder / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.stat("/dev/null").st_rdev)
    return device


def _run(argv):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return main(argv)


@pytest.mark.parametrize("command, option", OUTPUTS, ids=[f"{c}{o}" for c, o in OUTPUTS])
def test_output_onto_a_device_stays_a_device(fixtures, tmp_path, command, option, capsys):
    special = tmp_path / "special"
    special.mkdir()
    side = tmp_path / "side"
    side.mkdir()
    device = _device(special)
    before = os.stat(device)
    assert _run(_argv(command, option, device, fixtures, side)) == 0, capsys.readouterr().err
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino
    assert sorted(p.name for p in special.iterdir()) == (["null"] if device.parent == special else [])


@pytest.mark.parametrize("command, option", OUTPUTS, ids=[f"{c}{o}" for c, o in OUTPUTS])
def test_output_onto_a_fifo_arrives_and_the_fifo_stays(fixtures, tmp_path, command, option, capsys):
    special = tmp_path / "special"
    special.mkdir()
    side = tmp_path / "side"
    side.mkdir()
    fifo = special / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        status = _run(_argv(command, option, fifo, fixtures, side))
    finally:
        if reader.is_alive() and not received:  # the command never opened the FIFO: release the reader
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=30)
    assert status == 0, capsys.readouterr().err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in special.iterdir()) == ["pipe"]
    assert received and received[0], "nothing arrived at the FIFO's reader"
    _check_content(command, option, received[0])
