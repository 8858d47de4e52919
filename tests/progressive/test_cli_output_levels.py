"""``-q/--quiet`` and ``-v/--verbose`` on every sub-command, through ``main()``."""

import argparse

import numpy as np
import pytest

from convexgan.cli import build_parser, main


@pytest.fixture(scope="module")
def run(tmp_path_factory, toy_folder):
    folder = tmp_path_factory.mktemp("levels") / "run"
    assert main(["train", str(toy_folder), "--out", str(folder), "--resolutions", "4", "8", "--k", "5", "9",
                 "--latent", "8", "--quiet"]) == 0
    return folder


def test_every_command_takes_quiet_and_verbose_and_refuses_both(capsys):
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name, command in commands.items():
        options = {option for action in command._actions for option in action.option_strings}
        assert {"-q", "--quiet", "-v", "--verbose"} <= options, name
    with pytest.raises(SystemExit):
        main(["sample", "run", "--out", "g.png", "-q", "-v"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_sample_prints_its_line_by_default_nothing_when_quiet_and_phases_when_verbose(run, tmp_path, capsys):
    argv = ["sample", str(run), "--n", "4", "--out", str(tmp_path / "g.png")]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out.startswith("wrote 4 samples of stage 1 (8x8)") and err == ""
    assert main([*argv, "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    assert main([*argv, "--verbose"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("wrote 4 samples")
    lines = err.splitlines()
    assert [line.split(":")[0] for line in lines] == ["convexgan sample"] * 3
    assert [line.split(": ")[1].rsplit(" ", 2)[0] for line in lines] == ["load", "sample", "finished in"]
    assert all(float(line.split()[-2]) >= 0 for line in lines)


def test_train_quiet_keeps_the_stage_table_and_drops_the_summary(toy_folder, tmp_path, capsys):
    argv = ["train", str(toy_folder), "--resolutions", "4", "--k", "5", "--latent", "8"]
    assert main([*argv, "--out", str(tmp_path / "a"), "-q"]) == 0
    out, err = capsys.readouterr()
    assert "||S_X-S_G||/beta" in out and "images (0 skipped)" not in out and "data pass" not in out
    assert main([*argv, "--out", str(tmp_path / "b"), "-v"]) == 0
    out, err = capsys.readouterr()
    assert "160 images (0 skipped)" in out and "data pass" in out and "convexgan train: finished in" in err


def test_solve_quiet_keeps_the_certificate_and_verbose_times_the_phases(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(20, 3)))
    argv = ["solve", str(tmp_path / "x.npy"), "--critic", "quadratic", "--k", "1"]
    assert main([*argv, "-q"]) == 0
    out, err = capsys.readouterr()
    assert "certificate.gap" in out and err == ""
    assert main([*argv, "-v"]) == 0
    err = capsys.readouterr().err
    assert "convexgan solve: load " in err and "convexgan solve: solve " in err
