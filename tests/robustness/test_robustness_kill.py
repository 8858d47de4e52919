"""A training killed with SIGKILL mid-checkpoint resumes to the weights of an uninterrupted run, losing nothing.

One chain (module fixture): ``python -m convexgan train`` is killed right after stage 0's checkpoint is renamed
into place (before its grid and report), restarted with ``--resume`` and killed in the middle of writing stage
1's checkpoint, then finished with ``convexgan train --resume``. The reference is the same training run once,
uninterrupted, in this process.
"""

import json

import numpy as np
import pytest
from robustness_cases import check_reference, reference_folder
from robustness_kill import interrupted_chain

from convexgan.progressive import load_generator
from convexgan.progressive.checkpoint import load_stage


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    return interrupted_chain(tmp_path_factory.mktemp("killed"))


def test_each_process_died_by_sigkill(chain):
    assert [k.returncode for k in chain.kills] == [-9, -9]


def test_kill_mid_write_leaves_no_partial_checkpoint_under_its_name(chain):
    after_write_kill = chain.kills[1]
    assert "stage01_8x8.npz" not in after_write_kill.files
    assert len(after_write_kill.partial) == 1 and after_write_kill.partial[0].startswith(".stage01_8x8.npz.")
    partial = chain.run / after_write_kill.partial[0]
    with pytest.raises(ValueError, match="corrupt or not an .npz"):
        load_stage(partial)


def test_finished_stage_survives_every_kill_unchanged(chain):
    first, second = chain.snapshots
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


def test_resumed_run_reports_and_draws_every_stage(chain):
    report = json.loads((chain.run / "report.json").read_text())
    assert [s["index"] for s in report["stages"]] == [0, 1]
    assert {"samples_stage00_4x4.png", "samples_stage01_8x8.png"} <= set(chain.final_files)
