"""``convexgan demo`` end to end in a temporary folder: the report, its figures, and its numbers recomputed
independently where that is cheap."""

import json
import re

import numpy as np
import pytest
from PIL import Image

from convexgan.cli import main
from convexgan.data import load_images
from convexgan.demo import EXACT_K, K, digit_images


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    return out, json.loads((out / "summary.json").read_text())


def centred_spectrum(X):
    X = X - X.mean(axis=0)
    return np.linalg.eigvalsh(X.T @ X / X.shape[0])[::-1]


def test_report_references_existing_pngs(demo):
    out, summary = demo
    report = (out / "report.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert len(links) >= 8
    for link in links:
        with Image.open(out / link) as image:
            assert image.format == "PNG"
    assert set(summary["figures"].values()) == set(links)


def test_exact_solve_matches_the_soft_threshold_bound(demo):
    out, summary = demo
    exact = summary["exact"]
    X = load_images(digit_images(), exact["resolution"]).reshape(-1, exact["d"]).astype(np.float64)
    lam = centred_spectrum(X)
    Z = np.random.default_rng(summary["seed"]).standard_normal((X.shape[0], exact["d"]))
    s2 = np.linalg.eigvalsh(Z.T @ Z / Z.shape[0])[::-1]
    beta = lam[EXACT_K]
    bound = np.sum((lam[:EXACT_K] - beta) / s2[:EXACT_K])
    assert exact["beta"] == pytest.approx(beta, rel=1e-12)
    closed, sdp = exact["certificates"]["closed form"], exact["certificates"]["SDP (SCS)"]
    assert closed["primal"] == pytest.approx(bound, rel=1e-10)
    assert sdp["primal"] == pytest.approx(bound, rel=1e-6)
    assert abs(closed["gap"]) < 1e-9 and closed["violation"] < 1e-9
    polynomial = exact["certificates"]["polynomial SDP (SCS)"]
    assert abs(polynomial["gap"]) < 1e-6 * (1 + polynomial["primal"]) and polynomial["violation"] < 1e-6
    assert f"{closed['primal']:.6g}" in (out / "report.md").read_text()


def test_progressive_stages_and_exact_model_distance(demo):
    _, summary = demo
    stages = summary["progressive"]
    assert [s["k"] for s in stages] == list(K)
    X = np.rint(digit_images().reshape(-1, 64).astype(np.float64) * 255) / 255
    lam = centred_spectrum(X)
    beta = lam[K[-1]]
    assert stages[-1]["beta"] == pytest.approx(beta, rel=1e-9)
    for s in stages:
        assert s["constraint_value"] == pytest.approx(1, abs=1e-9)
        assert s["model_moment_error"] < 1e-9
        assert s["input_rank"] >= s["k"]
    bures = np.sqrt(np.sum((np.sqrt(np.maximum(lam, 0)) - np.sqrt(np.maximum(lam - beta, 0))) ** 2))
    metrics = summary["metrics"]
    assert metrics["bures_exact_gaussian"] == pytest.approx(bures, rel=1e-6)
    soft = np.maximum(lam - beta, 0)
    assert metrics["second_moment_error_exact"] == pytest.approx(
        np.linalg.norm(soft - lam) / np.linalg.norm(lam), rel=1e-6)
    assert metrics["constraint_value_exact"] == pytest.approx(1, abs=1e-9)
    assert metrics["swd_real_halves"] < metrics["swd_generated"]
