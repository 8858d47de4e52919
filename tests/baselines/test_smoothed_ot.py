"""The entropic smoothed WGAN reaches its own Gaussian target (Sigma_X - (eps/2) I)_+ (docs/theory.md section 9)."""

import numpy as np
import pytest

from convexgan.baselines import DiracGame, LinearQuadraticGame, SmoothedOT, train
from convexgan.baselines.distances import relative_error
from convexgan.baselines.smoothed_ot import soft_c_transform


def test_smoothed_wgan_reaches_the_shrunk_gaussian_target():
    eps = 1.0
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 2)) * np.sqrt([2.0, 1.0])
    game = LinearQuadraticGame(X, beta=eps / 2, rho=1.0, seed=0)  # its exact optimum is (S_X - (eps/2) I)_+
    history = train(game, SmoothedOT(eps=eps, lr=0.1, dual_steps=5, batch_size=128), 200, log_every=20,
                    progress=False)
    assert np.mean(history.metrics["relative_error"][-3:]) < 0.06
    assert relative_error(game.generated_moment(), game.S_X) > 0.2  # the shrinkage is real, not S_X


def test_soft_c_transform_tends_to_the_hard_c_transform():
    import torch

    X = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    Y = torch.tensor([[0.5, 0.5], [0.0, 1.5]], dtype=torch.float64)
    phi = torch.tensor([0.1, -0.2, 0.3], dtype=torch.float64)
    hard = torch.min(((X[:, None, :] - Y[None, :, :]) ** 2).sum(2) - phi[:, None], dim=0).values
    assert torch.allclose(soft_c_transform(phi, X, Y, 1e-4), hard, atol=1e-3)


def test_smoothed_ot_needs_samples():
    game = LinearQuadraticGame(second_moment=np.eye(2))
    with pytest.raises(ValueError, match="needs a game built from samples"):
        SmoothedOT().bind(game)


def test_smoothed_ot_moves_a_dirac_onto_the_data():
    game = DiracGame((1.0, -2.0))
    history = train(game, SmoothedOT(eps=0.1, lr=0.2, batch_size=1), 200, log_every=10, progress=False)
    assert history.final("relative_error") < 1e-6
