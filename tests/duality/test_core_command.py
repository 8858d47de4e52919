"""``convexgan solve`` end to end."""

import json

import numpy as np
import pytest

from convexgan.cli import main
from convexgan.duality import solve


def test_solve_prints_the_certificate_and_writes_json(tmp_path, capsys):
    X = np.random.default_rng(0).normal(size=(40, 4)) + 0.5
    np.save(tmp_path / "x.npy", X)
    status = main(["solve", str(tmp_path / "x.npy"), "--critic", "quadratic", "--k", "2", "--json",
                   str(tmp_path / "c.json")])
    assert status == 0
    out = capsys.readouterr().out
    expected = solve(X, "quadratic", k=2)
    report = json.loads((tmp_path / "c.json").read_text())
    assert report["value"] == pytest.approx(expected.value, rel=1e-12)
    assert report["certificate"]["optimality"] == "exact" and report["k"] == 2
    assert "certificate.gap" in out and f"{expected.value:.10g}" in out


def test_solve_reads_npz_keys_and_builds_a_linear_generator(tmp_path, capsys):
    X = np.random.default_rng(1).normal(size=(30, 2, 3))
    np.savez(tmp_path / "d.npz", x=X, y=np.arange(30))
    assert main(["solve", str(tmp_path / "d.npz"), "--critic", "linear", "--beta", "0.1", "--key", "x",
                 "--generator", "linear", "--latent", "2", "--json", str(tmp_path / "c.json")]) == 0
    report = json.loads((tmp_path / "c.json").read_text())
    assert report["d"] == 6 and report["generator"] == "linear"
    assert report["certificate"]["violation"] <= 1e-12
    assert main(["solve", str(tmp_path / "d.npz"), "--critic", "linear", "--beta", "0.1"]) == 1
    assert "holds arrays ['x', 'y']; choose one with --key" in capsys.readouterr().err
