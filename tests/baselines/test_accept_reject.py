"""Greedy-adversary accept/reject: the deterministic rule never accepts a loss increase."""

import numpy as np
import torch

from convexgan.baselines import GreedyAcceptReject, LinearQuadraticGame, train


def noisy_game(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2000, 3)) * np.sqrt([2.0, 1.0, 0.3])
    return LinearQuadraticGame(X, beta=0.1, rho=1.0, batch_size=32, seed=seed)


def test_deterministic_rule_never_accepts_an_increase_and_restores_rejected_steps():
    game, rule = noisy_game(), GreedyAcceptReject(critic_steps=3, lr=0.05)
    rule.bind(game)
    for iteration in range(1, 121):
        before = game.W.detach().clone()
        rule.step(iteration)
        L, L_new, accepted = rule.decisions[-1]
        if accepted:
            assert L_new <= L
        else:
            assert torch.equal(game.W.detach(), before)
    accepted = np.array([d[2] for d in rule.decisions])
    assert 0 < accepted.sum() < accepted.size  # both outcomes occurred, so the check above was exercised


def test_every_rule_accepts_increases_only_on_its_period():
    game, rule = noisy_game(), GreedyAcceptReject(critic_steps=3, lr=0.05, acceptance="every", every=4)
    train(game, rule, 80, log_every=40, progress=False)
    increases = [i for i, (L, L_new, accepted) in enumerate(rule.decisions, start=1) if accepted and L_new > L]
    assert increases and all(i % 4 == 0 for i in increases)


def test_population_game_converges_to_the_closed_form():
    game = LinearQuadraticGame(second_moment=np.diag([2.0, 1.0, 0.3]), beta=0.1, rho=1.0, seed=0)
    history = train(game, GreedyAcceptReject(critic_steps=3, lr=0.1), 300, log_every=50, progress=False)
    assert history.final("relative_error") < 1e-6
