"""Item 5-7 members of issue 26: an edited report.json, solve on a FIFO, the pixel cache's mode and a full disk."""

import errno
import json
import os
from pathlib import Path

import pytest

from convexgan.commands.solve import load_samples
from convexgan.commands.train import _summary_fields
from convexgan.progressive.pipeline import pixels

REPORT = {"n_images": 3, "skipped_images": 0, "stages": [], "data_passes": []}


@pytest.mark.parametrize(("edit", "field"), [({"n_images": None}, "n_images"), ({"data_passes": "x"}, "data_passes"),
                                             ({"stages": 4}, "stages"), ({"data_passes": [{"seconds": 1}]},
                                                                         "data_passes")])
def test_edited_report_names_file_and_field(tmp_path: Path, edit: dict[str, object], field: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps({k: v for k, v in {**REPORT, **edit}.items() if v is not None}))
    with pytest.raises(ValueError, match=rf"report\.json field '{field}'"):
        _summary_fields(str(path))


def test_deeply_nested_report_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(ValueError, match=r"report\.json cannot be read as JSON \(RecursionError"):
        _summary_fields(str(path))


def test_solve_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "x.npy"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="is not a regular file"):
        load_samples(fifo)


def test_reserve_names_the_file_on_efbig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))
    monkeypatch.setattr(os, "posix_fallocate", full)
    with open(tmp_path / "f", "wb") as fh, pytest.raises(ValueError, match=r"File too large.* in /cache/pixels"):
        pixels._reserve(fh.fileno(), 10, "the pixel cache", "/cache/pixels")

