"""``convexgan solve --npy / --weights-npy / --critic-npy``: the saved arrays are the Python API's."""

import json

import numpy as np

from convexgan.cli import main
from convexgan.duality import solve


def test_saved_samples_weights_and_critic_equal_the_python_solution(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 5)) @ np.diag([3.0, 2.0, 1.0, 0.5, 0.2]) + 0.3
    np.save(tmp_path / "x.npy", X)
    argv = ["solve", str(tmp_path / "x.npy"), "--critic", "quadratic", "--k", "2", "--generator", "linear",
            "--latent", "3", "--seed", "5", "--npy", str(tmp_path / "g.npy"), "--weights-npy", str(tmp_path / "w.npy"),
            "--critic-npy", str(tmp_path / "u.npy"), "--json", str(tmp_path / "c.json")]
    assert main(argv) == 0
    z_rng = np.random.default_rng(5)
    Z = np.hstack([z_rng.standard_normal((40, 3)), np.ones((40, 1))])
    expected = solve(X, "quadratic", "linear", Z=Z, k=2)
    np.testing.assert_array_equal(np.load(tmp_path / "g.npy"), expected.G)
    np.testing.assert_array_equal(np.load(tmp_path / "w.npy"), expected.W)
    np.testing.assert_array_equal(np.load(tmp_path / "u.npy"), expected.critic.U)
    v = np.array(json.loads((tmp_path / "c.json").read_text())["critic_v"])
    np.testing.assert_array_equal(v, expected.critic.v)
    # The saved G is Z W (the linear generator), and the critic rebuilt from U, v is the solution's critic.
    np.testing.assert_allclose(np.load(tmp_path / "g.npy"), Z @ np.load(tmp_path / "w.npy"), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(((X @ np.load(tmp_path / "u.npy")) ** 2) @ v, expected.critic(X), rtol=1e-12)


def test_free_generator_saves_g_and_refuses_weights(tmp_path, capsys):
    X = np.random.default_rng(3).normal(size=(30, 4))
    np.save(tmp_path / "x.npy", X)
    assert main(["solve", str(tmp_path / "x.npy"), "--critic", "linear", "--beta", "0.05", "--npy",
                 str(tmp_path / "g.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "g.npy"), solve(X, "linear", beta=0.05).G)
    assert main(["solve", str(tmp_path / "x.npy"), "--critic", "linear", "--beta", "0.05", "--weights-npy",
                 str(tmp_path / "w.npy")]) == 1
    assert "--weights-npy needs --generator linear" in capsys.readouterr().err
    assert not (tmp_path / "w.npy").exists()


def test_help_says_the_data_are_not_centred(capsys):
    try:
        main(["solve", "--help"])
    except SystemExit:
        pass
    text = " ".join(capsys.readouterr().out.split())
    assert "NOT centred" in text and "S_X = X^T X / n" in text
