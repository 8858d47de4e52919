"""The trainer's data pass: a disk pixel cache spares the resumed run every decode; phases and peaks per stage."""

import json
import time

import numpy as np
import pytest

import convexgan.data.folder as folder_module
import convexgan.progressive.trainer as trainer
from convexgan.progressive import train
from convexgan.progressive.stages import principled
from convexgan.progressive.runtime.memory import high_water_mark, process_peak, reset_peak
from convexgan.progressive.runtime.phases import phase
from convexgan.progressive.pipeline.pixels import manifest_path

from conftest import checkpoint_arrays

ARGS = {"resolutions": [4, 8, 16], "k": [4, 10, 16], "latent": 8, "progress": False, "workers": 2}


def counting_decodes(monkeypatch):
    calls = []
    decode = folder_module.decode_image

    def counted(*args, **kwargs):
        calls.append(args[1])
        return decode(*args, **kwargs)

    monkeypatch.setattr(folder_module, "decode_image", counted)
    return calls


def crash_at_stage_2(monkeypatch):
    solve = trainer._solve_stage

    def crashing(i, *args, **kwargs):
        if i == 2:
            raise KeyboardInterrupt("simulated crash")
        return solve(i, *args, **kwargs)

    monkeypatch.setattr(trainer, "_solve_stage", crashing)
    return solve


@pytest.mark.parametrize("cache, decodes_on_resume", [("disk", 0), ("memory", 0), ("none", 160)])
def test_resume_after_ctrl_c_decodes_nothing_with_a_cache(toy_folder, tmp_path, monkeypatch, cache, decodes_on_resume):
    full = tmp_path / "full"
    train(toy_folder, full, cache="none", **ARGS)
    calls = counting_decodes(monkeypatch)
    solve = crash_at_stage_2(monkeypatch)
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(toy_folder, run, cache=cache, **ARGS)
    assert len(calls) == 1 + 160  # the source's mode probe, then the data pass
    assert manifest_path(run, 0, 1).is_file() == (cache != "none")  # a memory cache is written out on Ctrl-C
    monkeypatch.setattr(trainer, "_solve_stage", solve)
    calls.clear()
    train(toy_folder, run, cache=cache, resume=True, **ARGS)
    assert len(calls) == 1 + decodes_on_resume
    a, b = checkpoint_arrays(full), checkpoint_arrays(run)
    assert a.keys() == b.keys() and len(a) == 3
    for name in a:
        for key in a[name]:
            np.testing.assert_array_equal(a[name][key], b[name][key], err_msg=f"{name}:{key}")
    passes = json.loads((run / "report.json").read_text())["data_passes"]
    assert [p["cache"]["reused"] for p in passes] == [False, cache != "none"]
    assert passes[1]["resolutions"] == [16] and passes[1]["images"] == 160
    assert ("cache_read" in passes[1]["phases"]) == (cache != "none")
    assert ("decode" in passes[1]["phases"]) == (cache == "none")


def test_phase_seconds_are_present_and_add_up(toy_folder, tmp_path):
    train(toy_folder, tmp_path / "run", cache="memory", **ARGS)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    (data,) = report["data_passes"]
    assert {"decode", "moments", "cache_write"} <= set(data["phases"])
    assert sum(data["phases"].values()) <= data["seconds"]
    assert data["cache"] == {"mode": "memory", "requested": "memory", "reused": False,
                             "bytes": 160 * 3 * (16 + 64 + 256)}
    assert data["images"] == 160 and data["workers"] == 2
    assert data["images_per_second"] == pytest.approx(160 / data["seconds"])
    totals = {}
    for stage in report["stages"]:
        phases = stage["phases"]
        assert {"solve", "grid", "report", "checkpoint"} <= set(phases)
        assert stage["seconds"] <= phases["solve"]
        top_level = ("solve", "grid", "report", "checkpoint")  # the solver's own phases are inside "solve"
        assert sum(phases[p] for p in top_level) <= stage["wall_seconds"]
        assert phases.get("eigen_solve", 0) + phases.get("certificate", 0) <= phases["solve"]
        assert stage["peak_memory_scope"] in ("stage", "process") and stage["peak_memory_bytes"] > 0
        for name, value in phases.items():
            totals[name] = totals.get(name, 0.0) + value
    for name, value in data["phases"].items():
        totals[name] = totals.get(name, 0.0) + value
    assert report["phases_seconds"] == pytest.approx(totals, rel=1e-12)


def test_stage_peak_is_the_stage_s_own(toy_folder, tmp_path):
    if not reset_peak():
        pytest.skip("this system does not let a process reset its peak resident memory (/proc/self/clear_refs)")
    block = np.ones(400 * 2**20 // 8)  # 400 MiB touched, then freed: the process peak keeps it, no stage does
    del block
    before = high_water_mark()
    train(toy_folder, tmp_path / "run", **ARGS)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    for part in report["data_passes"] + report["stages"]:
        assert part["peak_memory_scope"] == "stage"
        assert part["peak_memory_bytes"] < before - 300 * 2**20
    assert report["peak_memory_bytes"] >= before  # the run's peak keeps what came before the first reset
    assert process_peak() < before - 300 * 2**20  # ru_maxrss was reset with the stage peaks (see memory.py)


def test_a_solver_records_its_own_phases_inside_solve(toy_folder, tmp_path, monkeypatch):
    solve = principled.solve_stage

    def timed(*args, **kwargs):
        with phase("eigen_solve"):
            time.sleep(0.01)
        return solve(*args, **kwargs)

    monkeypatch.setattr(principled, "solve_stage", timed)
    train(toy_folder, tmp_path / "run", **ARGS)
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    for stage in report["stages"]:
        assert 0.01 <= stage["phases"]["eigen_solve"] <= stage["phases"]["solve"]
    assert report["phases_seconds"]["eigen_solve"] == pytest.approx(sum(s["phases"]["eigen_solve"]
                                                                        for s in report["stages"]))
    assert "eigen_solve" not in report["data_passes"][0]["phases"]
