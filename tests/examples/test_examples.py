"""Every example in fast mode: its figure is written and the numbers it asserts hold (re-checked here, partly
against independent computations)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convexgan.duality import PROGRAMS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name, out):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, module.main(["--out", str(out), "--fast"])


def assert_png(path):
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width >= 300 and height >= 200
        colours = np.asarray(image.convert("L"))
    assert colours.std() > 5, f"{path} is blank"


def digits(eight_bit=False):
    """The sklearn digits as rows in [0, 1]; ``eight_bit``: rounded to 8 bits as convexgan's image sources do."""
    from sklearn.datasets import load_digits

    X = load_digits().images.reshape(-1, 64) / 16.0
    return np.rint(X * 255) / 255 if eight_bit else X


def test_every_example_has_a_title_docstring_with_math():
    for path in sorted(EXAMPLES.glob("plot_*.py")):
        text = path.read_text()
        assert text.startswith('r"""') and ".. math::" in text.split('"""')[1], path.name


def test_critic_level_sets(tmp_path):
    module, results = run_example("plot_critic_level_sets", tmp_path)
    assert_png(tmp_path / "critic_level_sets.png")
    assert set(results) == {"linear", "quadratic", "polynomial", "relu"}
    for critic in ("linear", "quadratic", "polynomial"):
        assert results[critic]["optimality"] == "exact"
        assert results[critic]["constraint_value"] == pytest.approx(1, abs=1e-6)
        assert abs(results[critic]["slackness"]) < 1e-6
    assert results["relu"]["constraint_value"] <= 1 + module.RELU_TOL
    X = module.data()
    assert results["linear"]["beta"] == pytest.approx(0.5 * np.linalg.norm(X.mean(axis=0)), rel=1e-12)


def test_strong_duality_covers_every_pairing(tmp_path):
    _, rows = run_example("plot_strong_duality", tmp_path)
    assert_png(tmp_path / "strong_duality.png")
    assert {(r["generator"], r["critic"]) for r in rows} == set(PROGRAMS)
    exact = [r for r in rows if r["label"] == "exact"]
    assert exact and all(abs(r["gap"]) <= 1e-6 * (1 + abs(r["primal"])) for r in exact)
    assert all(r["dual"] <= r["primal"] + 1e-6 for r in rows if r["dual"] is not None)


def test_soft_thresholding_matches_the_digit_spectrum(tmp_path):
    _, result = run_example("plot_soft_thresholding", tmp_path)
    assert_png(tmp_path / "soft_thresholding.png")
    X = digits()
    X = X - X.mean(axis=0)
    lam = np.linalg.eigvalsh(X.T @ X / X.shape[0])[::-1]
    assert result["beta"] == pytest.approx(lam[result["k"]], rel=1e-10)
    assert result["spectrum_error"] < 1e-10 and result["subspace_error"] < 1e-8
    assert result["constraint_value"] == pytest.approx(1, abs=1e-9)


def test_gda_cycles_while_regularised_gda_and_the_closed_form_converge(tmp_path):
    _, result = run_example("plot_gda_cycling", tmp_path)
    assert_png(tmp_path / "gda_cycling.png")
    assert result["gda_tail_min"] > 0.1
    assert result["gradreg_final"] < 1e-6
    assert result["exact_error"] < 1e-12


def test_progressive_stages_are_exact(tmp_path):
    _, stages = run_example("plot_progressive_stages", tmp_path)
    assert_png(tmp_path / "progressive_stages.png")
    assert [s["resolution"] for s in stages] == [2, 4, 8]
    X = digits(eight_bit=True)
    X = X - X.mean(axis=0)
    lam = np.linalg.eigvalsh(X.T @ X / X.shape[0])[::-1]
    assert stages[-1]["beta"] == pytest.approx(lam[20], rel=1e-9)
    for s in stages:
        assert s["constraint_value"] == pytest.approx(1, abs=1e-6)
        assert s["model_error"] < 1e-8
        assert s["beta"] == pytest.approx(s["beta_numpy"], rel=1e-10)


def test_legacy_breaks_where_principled_stays_exact(tmp_path):
    _, rows = run_example("plot_legacy_vs_principled", tmp_path)
    assert_png(tmp_path / "legacy_vs_principled.png")
    principled = {r["resolution"]: r for r in rows if r["mode"] == "principled"}
    legacy = {r["resolution"]: r for r in rows if r["mode"] == "legacy"}
    assert all(r["constraint_value"] == pytest.approx(1, abs=1e-6) for r in principled.values())
    # docs/theory.md section 7: the legacy input has rank <= k_{i-1} + 1 < k_i from the second stage on.
    assert legacy[4]["rank"] <= 3 + 1 < legacy[4]["k"]
    assert legacy[4]["constraint_value"] > 1.5
    assert legacy[4]["weight_norm"] > 100 * principled[4]["weight_norm"]


def test_what_the_model_is_a_gaussian_of_the_top_directions(tmp_path):
    _, sigma = run_example("plot_what_the_model_is", tmp_path)
    assert_png(tmp_path / "what_the_model_is.png")
    # Independent: the digits' centred second moment at 8x8 (8-bit, as read), k = 20, beta = lambda_21.
    X = digits(eight_bit=True)
    X = X - X.mean(axis=0)
    lam = np.linalg.eigvalsh(X.T @ X / X.shape[0])[::-1]
    np.testing.assert_allclose(sigma[:20] ** 2, lam[:20] - lam[20], rtol=1e-8, atol=1e-12 * lam[0])
    assert np.all(sigma[20:] < 1e-8 * sigma[0])
