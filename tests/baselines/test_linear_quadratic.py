"""GDA dynamics on the linear-generator / quadratic-critic game (docs/theory.md section 9) and its exact optimum."""

import numpy as np
import pytest
import scipy.linalg
import torch

from convexgan.baselines import GradientRegularisedGDA, LinearQuadraticGame, SimultaneousGDA, train
from convexgan.duality.closed_form import InfeasibleError

S = np.diag([2.0, 1.0, 0.3])


def test_simultaneous_gda_cycles_where_gradient_regularisation_converges():
    # docs/theory.md section 9: d = 3, eigenvalues (2, 1, 0.3), W ~ N(0, 0.25), A = 0, steps 1e-2, rho = 0.
    start = dict(second_moment=S, init_std=0.5, seed=0)
    gda = train(LinearQuadraticGame(**start), SimultaneousGDA(lr=1e-2), 2500, log_every=50, progress=False)
    tail = np.array(gda.metrics["relative_error"][-20:])
    assert tail.min() > 1e-1
    assert tail.max() - tail.min() > 1e-1  # still oscillating
    regularised = train(LinearQuadraticGame(**start), GradientRegularisedGDA(eta=0.5, lr=1e-2), 3500, log_every=100,
                        progress=False)
    assert regularised.final("relative_error") < 1e-8
    assert not gda.diverged and not regularised.diverged


def test_critic_penalty_alone_makes_gda_converge_to_the_soft_threshold():
    beta, rho = 0.5, 1.0
    game = LinearQuadraticGame(second_moment=S, beta=beta, rho=rho, seed=1)
    history = train(game, SimultaneousGDA(lr=5e-2), 1000, log_every=100, progress=False)
    expected = np.diag(np.maximum(np.diag(S) - beta, 0.0))  # (S - beta I)_+ for a diagonal S
    assert np.allclose(game.S_star, expected, atol=1e-12)
    assert np.allclose(game.W_star.T @ game.W_star, expected, atol=1e-12)
    assert history.final("relative_error") < 1e-6
    assert np.allclose(game.generated_moment(), expected, atol=1e-5)
    assert history.final("constraint") == pytest.approx(1.0, abs=1e-5)  # ||S_X - S_G||_2 = beta at the optimum


def test_measurements_against_independent_formulas():
    game = LinearQuadraticGame(second_moment=S, beta=0.5, rho=1.0, seed=2)
    W = game.W.detach().numpy()
    S_G = W.T @ W
    values = game.measure()
    assert values["relative_error"] == pytest.approx(np.linalg.norm(S_G - game.S_star) / np.linalg.norm(game.S_star))
    assert values["constraint"] == pytest.approx(np.abs(np.linalg.eigvalsh(S - S_G)).max() / 0.5)
    root = scipy.linalg.sqrtm(S_G)  # S_G is non-singular here; S_star is not
    bures2 = np.trace(S_G) + np.trace(game.S_star) - 2 * np.trace(scipy.linalg.sqrtm(root @ game.S_star @ root)).real
    assert values["bures"] == pytest.approx(np.sqrt(bures2), rel=1e-6)


def test_minibatch_value_is_unbiased_for_the_population_value():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4000, 3)) * np.sqrt([2.0, 1.0, 0.3])
    game = LinearQuadraticGame(X, rho=1.0, beta=0.1, batch_size=500, seed=0)
    with torch.no_grad():
        game.A.copy_(game.S_X_torch)
        population = float(game.value(None))
        sampled = np.array([float(game.value(game.draw())) for _ in range(400)])
    standard_error = sampled.std() / np.sqrt(sampled.size)
    assert abs(sampled.mean() - population) < 4 * standard_error


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="rho"):
        LinearQuadraticGame(second_moment=S, beta=0.5)
    with pytest.raises(ValueError, match="exactly one"):
        LinearQuadraticGame()
    with pytest.raises(InfeasibleError, match="smallest feasible beta is 1.0"):
        LinearQuadraticGame(second_moment=S, latent_dim=1, beta=0.5, rho=1.0)
