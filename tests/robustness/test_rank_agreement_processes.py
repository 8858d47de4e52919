"""Issue 26, class 2 through the command line: two real ``convexgan train`` processes joined by torchrun's
environment (gloo), one given grey images and the other colour images of the same count, both refuse before
any collective with exactly one line on stderr naming the rank and the difference -- no SIGABRT, no
"collective mismatch", no "Connection reset by peer", nothing written into the run folder."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch is not installed; the trainer tests need pip install 'convexgan[train]'")

from convexgan.data import toy_images  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(data, run, port):
    """Start the two ranks, rank r on ``data[r]``; return ``[(returncode, stderr)]`` by rank."""
    children = []
    for rank, path in enumerate(data):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
               "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2", "OMP_NUM_THREADS": "1"}
        children.append(subprocess.Popen(
            [sys.executable, "-m", "convexgan", "train", str(path), "--out", str(run), "--resolutions", "2", "4",
             "--k", "2", "4", "--latent", "4", "--quiet"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True))
    results = []
    for child in children:
        try:
            out, err = child.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            for c in children:
                c.kill()
            raise
        results.append((child.returncode, err))
    return results


def test_grey_and_colour_ranks_refuse_with_one_line_each(tmp_path):
    colour, grey = tmp_path / "colour.npz", tmp_path / "grey.npz"
    images = toy_images(12, 8, seed=4)
    np.savez(colour, x=images)
    np.savez(grey, x=images.mean(axis=3, keepdims=True).astype(np.uint8))
    results = _launch([colour, grey], tmp_path / "run", _free_port())
    for rank, (status, stderr) in enumerate(results):
        lines = stderr.strip().splitlines()
        assert status == 1, f"rank {rank} exited {status} (a signal is negative): {stderr}"
        assert len(lines) == 1, f"rank {rank} printed {len(lines)} lines: {stderr}"
        assert lines[0].startswith("convexgan train: error: rank 1: channels 1 differs from rank 0's 3"), lines[0]
    assert not (tmp_path / "run" / "report.json").exists() and not list((tmp_path / "run").glob("stage*.npz"))
