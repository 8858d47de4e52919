"""Dirac-GAN and ring mixtures: closed-form dynamics and mode counts."""

import numpy as np
import torch

from convexgan.baselines import DiracGame, GradientRegularisedGDA, SimultaneousGDA, modes_covered, train
from convexgan.baselines.mixtures import RingMixtureGame, ring_centers, ring_second_moment, sample_ring


def test_simultaneous_gda_on_the_dirac_gan_spirals_out_at_the_predicted_rate():
    # Bilinear V = psi (c - theta): each simultaneous step multiplies ||(theta - c, psi)|| by sqrt(1 + lr^2).
    lr, steps = 0.1, 200
    game = DiracGame((1.0,))
    history = train(game, SimultaneousGDA(lr=lr), steps, log_every=steps, progress=False)
    radius = np.hypot(history.final("relative_error"), history.final("critic_norm"))
    assert np.isclose(radius, (1 + lr**2) ** (steps / 2), rtol=1e-10)
    regularised = train(DiracGame((1.0,)), GradientRegularisedGDA(eta=0.5, lr=lr), steps, log_every=steps,
                        progress=False)
    assert regularised.final("relative_error") < 1e-3


def test_mode_counts_on_exact_and_collapsed_samples():
    centers, std = ring_centers(8, 2.0), 0.02
    X = sample_ring(20000, centers, std, torch.Generator().manual_seed(0)).numpy()
    covered, quality = modes_covered(X, centers, std)
    assert covered == 8
    assert abs(quality - (1 - np.exp(-4.5))) < 0.005  # P(|N(0, I_2)| <= 3)
    collapsed = X[np.linalg.norm(X - centers[[0]], axis=1) < 0.5][:3000]
    assert modes_covered(np.concatenate([collapsed, X[:100]]), centers, std)[0] <= 3 + 0  # one mode plus stragglers
    assert np.allclose(np.cov(X.T, bias=True) + np.outer(X.mean(0), X.mean(0)), ring_second_moment(centers, std),
                       atol=0.05)


def test_ring_game_is_reproducible():
    first, second = RingMixtureGame(4, 1.0, 0.01, seed=3), RingMixtureGame(4, 1.0, 0.01, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(first.generator_parameters, second.generator_parameters))
    assert first.measure() == second.measure()
