"""Issue 26, classes 5 and 6: every file of a run folder that a resume reads back, edited by hand.

``config.json``, ``images.json``, ``report.json``, ``data_files.json``, the stage checkpoints' members and the
pixel cache's manifest, each damaged in several ways (JSON nested past the recursion limit, a field removed, a
field of the wrong type or out of range). A run record that is damaged stops the resume with one ``ValueError``
naming the file, the field and the value; ``data_files.json`` (it only words a message) and the cache manifest
(the cache is a cache) are rebuilt or ignored instead, and the resumed weights are the uninterrupted run's.

``RUN_FILE_CASES`` joins the catalogue (``test_robustness_cases.py``, ``benchmarks/robustness_summary.py``).
"""

import atexit
import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
from robustness_cases import (
    TRAIN,
    _error,
    check_reference,
    copy_run,
    reference_folder,
    rewrite_stage,
    same_weights,
    stage_file,
)
from robustness_outcomes import Case, Exits, Returns, run_cli

from convexgan.progressive import load_generator, train

RUN_FILES = "issue 26: edited run-folder files"
CACHE_MANIFEST = "issue 26: pixel-cache manifest (rebuilt)"
NESTED = "[" * 20000 + "]" * 20000  # deeper than Python's recursion limit: json raises RecursionError


def _edit_json(name, edit):
    """A damage: ``edit(record)`` of the run's ``name`` (returns the new record), rewritten as JSON."""

    def damage(run):
        path = run / name
        path.write_text(json.dumps(edit(json.loads(path.read_text()))))

    return damage


def _nested(name):
    def damage(run):
        (run / name).write_text(NESTED)

    return damage


def _set(**fields):
    return lambda record: {**record, **fields}


def _drop(field):
    return lambda record: {key: value for key, value in record.items() if key != field}


def _first_stage(**fields):
    return lambda record: {**record, "stages": [{**record["stages"][0], **fields}, *record["stages"][1:]]}


def _resumed_after(damage, tmp):
    """Copy the reference run, drop its last checkpoint, apply ``damage(run)``, resume it."""
    run = copy_run(tmp)
    stage_file(run, 1).unlink()
    damage(run)
    return train(str(reference_folder()[0]), run, progress=False, resume=True, **TRAIN)


def _refused(name, damage, *fragments):
    return _error(RUN_FILES, name, functools.partial(_resumed_after, damage), ValueError, *fragments)


def _resumed(name, damage):
    return Case(RUN_FILES, name, functools.partial(_resumed_after, damage), Returns(check_reference))


def _evaluated_after(damage, tmp):
    """Copy the reference run, apply ``damage(run)``, run ``convexgan evaluate`` on it (it reads images.json)."""
    run = copy_run(tmp)
    damage(run)
    return run_cli("evaluate", run, reference_folder()[0], "--n", "4", "--nhoods", "4")


def _evaluate_refused(name, damage, *fragments):
    return Case(RUN_FILES, name, functools.partial(_evaluated_after, damage),
                Exits(1, ("convexgan evaluate: error:", *fragments)))


def _checkpoint(**members):
    return lambda run: rewrite_stage(run, 0, **members)


def _changed_data_resumed(damage, tmp):
    """The reference run resumed on a copy of its images with one file rewritten (so the data changed)."""
    images = Path(shutil.copytree(reference_folder()[0], tmp / "images"))
    first = min(images.iterdir())
    first.write_bytes(first.read_bytes() + b"\0")
    run = copy_run(tmp)
    stage_file(run, 1).unlink()
    damage(run)
    return train(str(images), run, progress=False, resume=True, **TRAIN)


# ------------------------------------------------------------------------------------ the pixel-cache manifest

@functools.cache
def disk_cache_run():
    """A finished two-stage run with its pixel cache kept on disk (trained once per process)."""
    root = Path(tempfile.mkdtemp(prefix="convexgan-robustness-disk-"))
    atexit.register(shutil.rmtree, root, True)
    train(str(reference_folder()[0]), root / "run", progress=False, cache="disk", **TRAIN)
    return root / "run"


def _manifest(run):
    (path,) = run.glob("pixels_rank0of1.json")
    return path


def _cache_resumed_after(damage, tmp):
    """The disk-cache run, last checkpoint dropped, manifest damaged, resumed; returns the run folder."""
    run = Path(shutil.copytree(disk_cache_run(), tmp / "run"))
    stage_file(run, 1).unlink()
    damage(_manifest(run))
    train(str(reference_folder()[0]), run, progress=False, resume=True, cache="disk", **TRAIN)
    return run


def _check_rebuilt(run):
    """The resumed weights are the uninterrupted run's and a whole manifest was written again."""
    same_weights(load_generator(run), load_generator(disk_cache_run()))
    manifest = json.loads(_manifest(run).read_text())
    assert manifest["n"] == 24 and set(manifest["sha256"]) >= {"8"}, manifest


def _manifest_edit(edit):
    def damage(path):
        path.write_text(json.dumps(edit(json.loads(path.read_text()))))

    return damage


def _manifest_replaced_by(make):
    def damage(path):
        path.unlink()
        make(path)

    return damage


MANIFEST_DAMAGES = {
    "nested past the recursion limit": lambda path: path.write_text(NESTED),
    "not JSON": lambda path: path.write_text("{oops"),
    "not UTF-8": lambda path: path.write_bytes(b"\xff\xfe{"),
    "a list": lambda path: path.write_text("[1, 2]"),
    "n a string": _manifest_edit(_set(n="x")),
    "n a boolean": _manifest_edit(_set(n=True)),
    "n negative": _manifest_edit(_set(n=-1)),
    "key resolutions unhashable": _manifest_edit(lambda m: {**m, "key": {**m["key"], "resolutions": [[4], [8]]}}),
    "sha256 not an object": _manifest_edit(_set(sha256="x")),
    "a FIFO": _manifest_replaced_by(os.mkfifo),
}


# --------------------------------------------------------------------------------------------------- the cases

RUN_FILE_CASES = [
    # config.json: the run record (read first)
    _refused("config.json nested past the recursion limit", _nested("config.json"), "config.json", "nested deeper"),
    _refused("config.json seed a string", _edit_json("config.json", _set(seed="x")), "config.json", "seed", "'x'"),
    _refused("config.json mode removed", _edit_json("config.json", _drop("mode")), "config.json", "lacks mode"),
    _refused("config.json k below 1", _edit_json("config.json", _set(k=[0, 5])), "config.json", "k", "[0, 5]",
             "integer >= 1"),
    _refused("config.json resolutions a string", _edit_json("config.json", _set(resolutions="4 8")), "config.json",
             "resolutions", "'4 8'"),
    _refused("config.json a list", lambda run: (run / "config.json").write_text("[]"), "config.json",
             "JSON object"),
    # images.json: which images the run trains on (evaluate reads it to draw unseen images)
    _evaluate_refused("images.json nested past the recursion limit", _nested("images.json"), "images.json", "nested deeper"),
    _evaluate_refused("images.json candidates a string", _edit_json("images.json", _set(candidates="x")), "images.json",
             "'candidates'", "'x'"),
    _evaluate_refused("images.json negative index", _edit_json("images.json", _set(indices=[-1, 0])), "images.json",
             "'indices'", "-1"),
    _evaluate_refused("images.json index past candidates", _edit_json("images.json", _set(indices=[0, 24])), "images.json",
             "'indices'", "24", "candidates 24"),
    _evaluate_refused("images.json sha256 removed", _edit_json("images.json", _drop("candidates_sha256")), "images.json",
             "'candidates_sha256'", "None"),
    # report.json: the finished stages' entries are kept
    _refused("report.json nested past the recursion limit", _nested("report.json"), "report.json", "nested deeper"),
    _resumed("report.json n_images removed", _edit_json("report.json", _drop("n_images"))),
    _refused("report.json data_passes a string", _edit_json("report.json", _set(data_passes="x")), "report.json",
             "'data_passes'", "'x'"),
    _refused("report.json moments_seconds an object", _edit_json("report.json", _set(moments_seconds={"a": 1})),
             "report.json", "'moments_seconds'", "{'a': 1}"),
    _refused("report.json peak memory negative", _edit_json("report.json", _set(peak_memory_bytes=-1)),
             "report.json", "'peak_memory_bytes'", "-1"),
    _refused("report.json skipped_images a string", _edit_json("report.json", _set(skipped_images="2")),
             "report.json", "'skipped_images'", "'2'"),
    _refused("report.json stage k a string", _edit_json("report.json", _first_stage(k="x")), "report.json",
             "'stages'[0] 'k'", "'x'"),
    _refused("report.json stage phases not numbers", _edit_json("report.json", _first_stage(phases={"solve": "x"})),
             "report.json", "'stages'[0] 'phases'", "'x'"),
    _refused("report.json data pass phases a list", _edit_json("report.json", lambda r: {
        **r, "data_passes": [{**r["data_passes"][0], "phases": [1]}]}), "report.json", "'data_passes'[0] 'phases'"),
    # data_files.json: only words the message of a changed data set
    _resumed("data_files.json nested, data unchanged", _nested("data_files.json")),
    _error(RUN_FILES, "data_files.json nested, data changed", functools.partial(
        _changed_data_resumed, _nested("data_files.json")), ValueError, "cannot resume", "data changed"),
    _error(RUN_FILES, "data_files.json rows of the wrong types, data changed", functools.partial(
        _changed_data_resumed, lambda run: (run / "data_files.json").write_text("[[[1], 2, 3]]")), ValueError,
        "cannot resume", "data changed"),
    _error(RUN_FILES, "data_files.json intact, data changed", functools.partial(_changed_data_resumed, lambda run: None),
           ValueError, "cannot resume", "1 file(s) changed", "000.png"),
    # the stage checkpoints' members (headers and scalars)
    _refused("checkpoint config nested past the recursion limit",
             _checkpoint(config=np.array(NESTED)), "stage00_4x4.npz", "'config'", "nested deeper"),
    _refused("checkpoint config not JSON", _checkpoint(config=np.array("{oops")), "stage00_4x4.npz", "malformed"),
    _refused("checkpoint fresh negative", _checkpoint(fresh=np.array(-1)), "stage00_4x4.npz", "'fresh'", "-1"),
    _refused("checkpoint resolution zero", _checkpoint(resolution=np.array(0)), "stage00_4x4.npz", "resolution 0"),
    _refused("checkpoint channels 2", _checkpoint(channels=np.array(2)), "stage00_4x4.npz", "2 channels"),
    _refused("checkpoint seed a float", _checkpoint(seed=np.array(0.5)), "stage00_4x4.npz", "seed"),
    _refused("checkpoint format a number", _checkpoint(format=np.array(1)), "stage00_4x4.npz", "format"),
] + [
    Case(CACHE_MANIFEST, f"manifest {what}, resume rebuilds the cache", functools.partial(_cache_resumed_after, damage),
         Returns(_check_rebuilt))
    for what, damage in MANIFEST_DAMAGES.items()
] + [
    _error(CACHE_MANIFEST, "manifest a folder, resume refuses to delete it", functools.partial(
        _cache_resumed_after, _manifest_replaced_by(lambda path: path.mkdir())), ValueError, "pixels_rank0of1.json",
        "is a folder"),
]
