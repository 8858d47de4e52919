"""``convexgan compare`` end to end on small problems."""

from PIL import Image

from convexgan.cli import main


def table(output):
    rows = [line.strip("| ").split(" | ") for line in output.splitlines() if line.startswith("| ")]
    header = rows[0]
    return {row[0]: dict(zip(header, row)) for row in rows[1:]}


def test_compare_shows_gda_cycling_and_gradient_regularisation_converging(tmp_path, capsys):
    plot = tmp_path / "errors.png"
    status = main(["compare", "--problem", "linear-quadratic", "--dim", "3", "--methods", "gda,gradreg",
                   "--steps", "1500", "--log-every", "50", "--quiet", "--plot", str(plot)])
    rows = table(capsys.readouterr().out)
    assert status == 0
    assert rows["gda"]["time to 0.001 (s)"] == "not reached" and float(rows["gda"]["final rel. error"]) > 1e-1
    reached = float(rows["gradreg"]["time to 0.001 (s)"])
    closed_form = float(rows["gradreg"]["closed form (s)"])
    assert float(rows["gradreg"]["ratio"]) == __import__("pytest").approx(reached / closed_form, rel=1e-2)
    assert float(rows["gradreg"]["final rel. error"]) < 1e-3
    with Image.open(plot) as image:
        assert image.format == "PNG" and image.size[0] > 100


def test_compare_on_mnist_with_a_soft_threshold(shared_file, capsys):
    data = shared_file("mnist.npz")
    status = main(["compare", "--data", str(data), "--limit", "500", "--resolution", "4", "--k", "3", "--rho", "1",
                   "--methods", "gda", "--steps", "800", "--lr", "0.3", "--log-every", "100", "--quiet"])
    out = capsys.readouterr().out
    assert status == 0 and "d=16" in out
    beta = float(out.split("beta=")[1].split(",")[0])
    assert beta > 0
    assert float(table(out)["gda"]["final rel. error"]) < 0.05  # converging to the soft-threshold


def test_compare_rejects_unknown_methods(capsys):
    assert main(["compare", "--methods", "gda,adamw"]) == 1
    assert "--methods='gda,adamw'" in capsys.readouterr().err


def test_the_plot_replaces_a_planted_link_without_writing_through_it(tmp_path):
    from convexgan.baselines import History, plot_error_vs_time

    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    plot = tmp_path / "errors.png"
    plot.symlink_to(target)
    history = History("gda", seconds=[0.1, 1.0], iterations=[1, 10], metrics={"relative_error": [1.0, 0.1]})
    plot_error_vs_time([history], plot, tol=0.5)
    assert target.read_text() == "keep me" and not plot.is_symlink()
    with Image.open(plot) as image:
        assert image.format == "PNG"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
