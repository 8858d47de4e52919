"""``convexgan train --config FILE``: a run's config.json (or a user's JSON) replaces the flags."""

import json

import pytest
from conftest import checkpoint_arrays

from convexgan.cli import main

FLAGS = ["--resolutions", "4", "8", "--k", "5", "9", "--latent", "8", "--seed", "3", "--crop", "center", "-q"]


@pytest.fixture(scope="module")
def flagged(tmp_path_factory, toy_folder):
    run = tmp_path_factory.mktemp("config") / "flags"
    assert main(["train", str(toy_folder), "--out", str(run), *FLAGS]) == 0
    return run


def test_a_run_from_its_config_json_equals_the_run_from_flags_bit_for_bit(flagged, toy_folder, tmp_path):
    again = tmp_path / "again"
    assert main(["train", str(toy_folder), "--out", str(again), "--config", str(flagged / "config.json"), "-q"]) == 0
    first, second = checkpoint_arrays(flagged), checkpoint_arrays(again)
    assert sorted(first) == sorted(second) == ["stage00_4x4.npz", "stage01_8x8.npz"]
    for name in first:
        assert sorted(first[name]) == sorted(second[name])
        for key in first[name]:
            assert (first[name][key] == second[name][key]).all(), (name, key)
    assert json.loads((again / "config.json").read_text()) == json.loads((flagged / "config.json").read_text())


def test_command_line_options_override_the_file(toy_folder, tmp_path):
    user = tmp_path / "mine.json"
    user.write_text(json.dumps({"resolutions": [4, 8], "k": [5, 9], "latent": 8, "seed": 3}))
    run = tmp_path / "run"
    assert main(["train", str(toy_folder), "--out", str(run), "--config", str(user), "--seed", "4",
                 "--beta", "0.01", "0.001", "-q"]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["seed"] == 4 and config["beta"] == [0.01, 0.001] and config["k"] is None
    assert config["latent"] == 8 and config["resolutions"] == [4, 8]


@pytest.mark.parametrize(("content", "fragments"), [
    ({"resolutions": [4, 8], "learning_rate": 0.1, "epochs": 3}, ["unknown key(s) ['epochs', 'learning_rate']"]),
    ({"fresh_ratio": 0.5}, ["fresh_ratio=0.5", "no command-line option"]),
    ([4, 8], ["must hold a JSON object"]),
])
def test_bad_config_files_are_refused_naming_the_problem(content, fragments, toy_folder, tmp_path, capsys):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(content))
    assert main(["train", str(toy_folder), "--out", str(tmp_path / "run"), "--config", str(path), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"convexgan train: error: --config {path}") and all(f in err for f in fragments), err
    assert not (tmp_path / "run").exists()
