"""A run records the images it used (images.json); resume refuses another subset; old run folders (crop as a
bool, no subset) still load and resume; evaluate holds the training images out, or says why it cannot."""

import hashlib
import json
import warnings

import numpy as np
import pytest

from convexgan.cli import main
from convexgan.progressive.evaluation import evaluate_run
from convexgan.data.subsets import choose_subset
from convexgan.exceptions import TrainingImagesWarning
from convexgan.progressive import load_generator, train
from convexgan.progressive.runs.checkpoint import stage_path

ARGS = {"resolutions": [4, 8], "k": [3, 5], "latent": 8, "progress": False}


def images_record(run):
    return json.loads((run / "images.json").read_text())


def listing_sha256(folder):
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png"))
    return hashlib.sha256("".join(n + "\n" for n in names).encode()).hexdigest(), names


def test_runs_record_their_images_and_refuse_another_subset(tmp_path, toy_folder):
    digest, names = listing_sha256(toy_folder)
    run = tmp_path / "run"
    train(toy_folder, run, n_images=40, seed=3, **ARGS)
    record = images_record(run)
    assert record["indices"] == choose_subset(160, 40, seed=3).tolist() and record["count"] == 40
    assert record["candidates"] == 160 and record["candidates_sha256"] == digest
    assert (record["subset"], record["seed"]) == ("random", 3)
    used = [row[0] for row in json.loads((run / "data_files.json").read_text())]
    assert used == [names[i] for i in record["indices"]]
    assert json.loads((run / "report.json").read_text())["n_images"] == 40
    config = json.loads((run / "config.json").read_text())
    assert (config["subset"], config["crop"], config["include"], config["classes"]) == ("random", "none", None, None)
    with pytest.raises(ValueError, match='differs in subset \\(subset: "random" -> "first"\\)'):
        train(toy_folder, run, n_images=40, seed=3, subset="first", resume=True, **ARGS)

    full = tmp_path / "full"
    train(toy_folder, full, **ARGS)
    assert images_record(full)["indices"] == list(range(160)) and images_record(full)["candidates_sha256"] == digest


def test_a_run_of_an_older_version_loads_resumes_and_gets_its_image_record(tmp_path, toy_folder):
    run = tmp_path / "old"
    train(toy_folder, run, n_images=30, subset="first", **{**ARGS, "resolutions": [4, 8, 16], "k": [3, 5, 6]})
    expected = load_generator(run).sample(5, seed=1)
    # what an older version wrote: crop as a bool, no subset / include / classes, no images.json
    stage_path(run, 2, 16).unlink()
    (run / "images.json").unlink()
    config = json.loads((run / "config.json").read_text())
    for key in ("subset", "include", "classes"):
        del config[key]
    config["crop"] = False
    (run / "config.json").write_text(json.dumps(config))
    for index, r in enumerate([4, 8]):
        path = stage_path(run, index, r)
        with np.load(path) as f:
            members = {key: f[key] for key in f.files}
        members["config"] = np.array(json.dumps({**json.loads(str(members["config"])), **config}))
        np.savez(path, **members)
    assert load_generator(run).resolutions == [4, 8]
    train(toy_folder, run, n_images=30, subset="first", resume=True,
          **{**ARGS, "resolutions": [4, 8, 16], "k": [3, 5, 6]})
    np.testing.assert_array_equal(load_generator(run).sample(5, seed=1), expected)
    assert images_record(run)["indices"] == list(range(30))


def test_evaluate_draws_unseen_images_and_warns_when_too_few_remain(tmp_path, toy_folder):
    run = tmp_path / "run"
    train(toy_folder, run, n_images=100, seed=1, **ARGS)
    used = set(images_record(run)["indices"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingImagesWarning)
        result = evaluate_run(run, toy_folder, n=20, seed=2, progress=False)
    drawn = result["real_images"]["indices"]
    assert len(set(drawn)) == 40 and not set(drawn) & used and result["real_images"]["unseen"] == 60
    assert result["n"] == 20 and not any("training image" in w for w in result["warnings"])

    with pytest.warns(TrainingImagesWarning, match=r"only 60 of the 160 images .* uses 20 training image\(s\); "
                                                   r"n <= 30 \(--n\) compares with unseen images only"):
        result = evaluate_run(run, toy_folder, n=40, seed=2, progress=False)
    drawn = set(result["real_images"]["indices"])
    assert len(drawn) == 80 and len(drawn & used) == 20 and drawn >= set(range(160)) - used
    assert any(w.startswith("only 60 of the 160") for w in result["warnings"])

    overlap = len(used & set(range(20)))
    with pytest.warns(TrainingImagesWarning, match=f"images 1 to 20 of folder .* uses {overlap} training image"):
        first = evaluate_run(run, toy_folder, n=10, subset="first", progress=False)
    assert first["real_images"]["indices"] == list(range(20)) and first["real_images"]["training_images"] == overlap
    with pytest.raises(ValueError, match="skip=5 needs subset='first'"):
        evaluate_run(run, toy_folder, n=10, skip=5, progress=False)

    other = tmp_path / "other"
    other.mkdir()
    for path in sorted(toy_folder.iterdir())[:30]:
        (other / path.name).write_bytes(path.read_bytes())
    with pytest.warns(TrainingImagesWarning, match="is not the one run .* trained on .* every image counts as unseen"):
        result = evaluate_run(run, other, n=10, progress=False)
    assert result["real_images"]["training_images"] == 0


def test_train_command_options_reach_the_record(tmp_path, toy_folder, capsys):
    run = tmp_path / "run"
    argv = ["train", str(toy_folder.parent), "--out", str(run), "--resolutions", "4", "8", "--k", "3", "5",
            "--n-images", "12", "--subset", "first", "--crop", "center", "--include", "images/0000*",
            "--class", "images", "--quiet"]
    assert main(argv) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["n_images"], config["subset"], config["crop"]) == (12, "first", "center")
    assert (config["include"], config["classes"]) == (["images/0000*"], ["images"])
    assert images_record(run)["indices"] == list(range(12)) and images_record(run)["candidates"] == 100
