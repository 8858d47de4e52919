"""A training killed with SIGKILL mid-checkpoint resumes to the weights of an uninterrupted run, losing nothing.

One chain (module fixture): ``python -m convexgan train`` is killed in the middle of writing stage 0's
checkpoint, restarted with ``--resume`` and killed right after stage 0's checkpoint is renamed into place,
restarted again and killed in the middle of writing stage 1's checkpoint, then finished with
``convexgan train --resume``. The reference is the same training run once, uninterrupted, in this process.
"""

import json

import numpy as np
import pytest

for _module in ("torch", "PIL"):
    pytest.importorskip(_module, reason=f"{_module} is not installed; the trainer tests need pip install 'convexgan[train]'")

from robustness_cases import check_reference, reference_folder  # noqa: E402
from robustness_kill import interrupted_chain  # noqa: E402

from convexgan.progressive import load_generator  # noqa: E402
from convexgan.progressive.runs.checkpoint import load_stage  # noqa: E402


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return interrupted_chain(tmp_path_factory.mktemp("killed"))


def test_each_process_died_by_sigkill(chain):
    assert [k.returncode for k in chain.kills] == [-9, -9, -9]


@pytest.mark.parametrize("kill, name", [(0, "stage00_4x4.npz"), (2, "stage01_8x8.npz")])
def test_kill_mid_write_leaves_no_partial_checkpoint_under_its_name(chain, kill, name):
    killed = chain.kills[kill]
    assert name not in killed.files
    assert [p for p in killed.partial if p.startswith(f".{name}.")] != []
    for partial in killed.partial:
        with pytest.raises(ValueError, match="corrupt or not an .npz"):
            load_stage(chain.run / partial)


def test_finished_stage_survives_every_later_kill_unchanged(chain):
    nothing, first, second = chain.snapshots
    assert nothing == {}
    assert list(first) == ["stage00_4x4.npz"]
    assert second == first
    assert (chain.run / "stage00_4x4.npz").read_bytes() == first["stage00_4x4.npz"]


def test_resumed_run_has_the_uninterrupted_weights(chain):
    assert chain.final_status == 0
    check_reference(load_generator(chain.run))


def test_resumed_run_samples_equal_the_uninterrupted_run(chain):
    resumed = load_generator(chain.run).sample(16, seed=5)
    reference = load_generator(reference_folder()[1]).sample(16, seed=5)
    np.testing.assert_array_equal(resumed, reference)


def test_resume_removes_the_partial_files_of_killed_writes(chain):
    assert any(kill.partial for kill in chain.kills)
    assert [name for name in chain.final_files if name.endswith(".tmp") or name == ".convexgan.lock"] == []


def test_resumed_run_reports_and_draws_every_stage(chain):
    report = json.loads((chain.run / "report.json").read_text())
    assert [s["index"] for s in report["stages"]] == [0, 1]
    assert {"samples_stage00_4x4.png", "samples_stage01_8x8.png"} <= set(chain.final_files)
