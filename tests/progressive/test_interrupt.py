"""Ctrl-C during `convexgan train`: one line with the stages saved and the command that resumes, exit status 130."""

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from convexgan.cli import main

from conftest import checkpoint_arrays

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"interrupted: (\d) of 4 stages saved in (.+?); resume with: (convexgan train .*)")


def test_sigint_during_a_stage_ends_with_one_line_and_the_resume_command_works(tmp_path, toy_folder):
    run = tmp_path / "run with space"
    # the 16 x 16 stage (d = 768, two dense eigen-solves) takes about a second; stages 0-2 take milliseconds
    options = ["--resolutions", "2", "4", "8", "16", "--k", "4", "10", "16", "30", "--latent", "8", "--seed", "4",
               "--dtype", "float64", "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-m", "convexgan", "train", str(toy_folder), "--out", str(run),
                                *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # even from a background job
    deadline = time.monotonic() + 120
    while not (run / "stage00_2x2.npz").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no checkpoint after 120 s"
        time.sleep(0.002)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    match = LINE.fullmatch(lines[0])
    assert match, lines[0]
    saved = int(match[1])
    assert 1 <= saved <= 3 and match[2] == shlex.quote(str(run))
    assert len(list(run.glob("stage*.npz"))) == saved
    # the rows printed live: the header, then the stages that ended before the interrupt
    # (the interrupt may fall between a checkpoint and its row)
    header, *rows = out.splitlines() or [""]
    assert header.split()[:2] == ["stage", "res"] or not header and saved == 1
    assert [int(r.split()[0]) for r in rows] == list(range(len(rows))) and saved - 1 <= len(rows) <= saved
    command = shlex.split(match[3])
    assert command[:7] == ["convexgan", "train", str(toy_folder), "--out", str(run), "--resume", "--resolutions"]
    assert main(command[1:]) == 0
    assert main(["train", str(toy_folder), "--out", str(tmp_path / "uninterrupted"), *options]) == 0
    a, b = checkpoint_arrays(run), checkpoint_arrays(tmp_path / "uninterrupted")
    assert list(a) == list(b) and len(a) == 4
    for name in a:
        for key in a[name]:
            np.testing.assert_array_equal(a[name][key], b[name][key], err_msg=f"{name}:{key}")


def test_the_resume_command_parses_back_to_the_same_options():
    from convexgan.cli import build_parser
    from convexgan.commands.train import resume_command

    parser = build_parser()
    argv = ["train", "data dir/x.tar", "--out", "runs/a b", "--resolutions", "4", "8", "--beta", "0.01", "0.02",
            "--attribute", "Smiling", "--attribute", "Male=-1", "--crop", "center", "--base-resolution", "32",
            "--seed", "7", "--device", "cpu", "--n-images", "500", "--subset", "first", "--include", "a/*",
            "--include", "b c/*", "--class", "horse", "--quiet"]
    args = parser.parse_args(argv)
    command = resume_command(args)
    assert command.startswith("convexgan train 'data dir/x.tar' --out 'runs/a b' --resume --resolutions 4 8 --beta")
    again = parser.parse_args(shlex.split(command)[1:])
    assert {**vars(again), "resume": False, "func": None, "parser": None} == \
        {**vars(args), "func": None, "parser": None}
