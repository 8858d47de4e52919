"""Per-stage peak memory: sampled resident size during the block, not the process's peak repeated."""

import json
import time
from pathlib import Path

import numpy as np
import pytest

from convexgan.progressive import memory, train
from convexgan.progressive.memory import PeakSampler, resident_bytes

SIZE = 100 * 2**20


@pytest.mark.skipif(resident_bytes() is None, reason="no /proc/self/statm (not Linux)")
def test_each_block_reports_its_own_peak():
    with PeakSampler() as big:
        block = np.ones(SIZE // 8)  # written, so resident
        time.sleep(0.1)  # ten sampling intervals
        del block
    with PeakSampler() as small:
        time.sleep(0.05)
    assert big.scope == small.scope == "stage"
    # The second block allocates nothing: its peak lies below the first's by most of the 100 MiB array, which a
    # process-wide high-water mark would repeat.
    assert big.peak - small.peak > 0.8 * SIZE


def test_without_proc_the_process_peak_is_reported(monkeypatch):
    monkeypatch.setattr(memory, "STATM", Path("/nonexistent/statm"))
    with PeakSampler() as sampler:
        pass
    assert sampler.scope == "process" and sampler.peak == memory.process_peak_bytes() > 0


def test_report_records_the_scope_of_each_stage_peak(tmp_path, toy):
    train(toy, tmp_path / "run", resolutions=[4, 8], k=[4, 8], latent=8, progress=False)
    stages = json.loads((tmp_path / "run" / "report.json").read_text())["stages"]
    expected = "stage" if resident_bytes() is not None else "process"
    assert all(s["peak_memory_scope"] == expected and s["peak_memory_bytes"] > 0 for s in stages)
