r"""Greedy-adversary accept/reject training (Mangoubi, Sachdeva, Vishnoi, "A provably convergent and practical
algorithm for min-max optimization with applications to GANs", 2020).

The generator minimises the loss seen by a greedy critic, :math:`L(\theta_G) = V(\theta_G, \theta_D)` after
the critic has taken ``critic_steps`` ascent steps. Each iteration:

1. the critic responds to the current generator (``critic_steps`` ascent steps) and the loss
   :math:`L = V(\theta_G, \theta_D)` is evaluated on an evaluation draw;
2. the generator proposes a stochastic gradient step :math:`\theta_G' = \theta_G - \eta \hat\nabla V`, the
   critic responds with ``critic_steps`` ascent steps from :math:`\theta_D`, and
   :math:`L' = V(\theta_G', \theta_D')` is evaluated on the same draw;
3. the pair :math:`(\theta_G', \theta_D')` is kept if the acceptance rule says so, else both are restored.

Acceptance rules: ``'deterministic'`` (:math:`L' \le L`), ``'every'`` (also unconditionally at every
``every``-th iteration), ``'temperature'`` (also with probability :math:`\exp(-(L' - L)/T)`).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch

from convexgan._validation import check_choice, check_int, check_positive
from convexgan.baselines.rule import Game, UpdateRule

RULES = ("deterministic", "every", "temperature")
Snapshot = tuple[list[torch.Tensor], tuple[dict[str, Any], dict[str, Any]]]
"""What :meth:`GreedyAcceptReject.snapshot` returns: parameter copies and the two optimisers' states."""


class GreedyAcceptReject(UpdateRule):
    """Accept/reject training against a greedy critic (see the module docstring).

    Parameters
    ----------
    critic_steps : int >= 1
        Critic ascent steps per response.
    acceptance : {'deterministic', 'every', 'temperature'}
    every : int >= 1
        Period of the unconditional accepts of ``'every'``.
    temperature : float > 0
        Temperature of ``'temperature'``.
    seed : int
        Seed of the temperature rule's coin flips.
    **kwargs
        Step sizes and optimiser, see :class:`~convexgan.baselines.rule.UpdateRule`.

    Attributes
    ----------
    decisions : list of (float, float, bool)
        ``(L, L', accepted)`` for every iteration.

    References
    ----------
    .. [1] O. Mangoubi, S. Mehrotra and N. K. Vishnoi, "A Provably Convergent and Practical Algorithm for Min-Max
           Optimization with Applications to GANs", 2020 (arXiv:2006.12376).
    """

    name = "accept-reject"

    def __init__(self, critic_steps: int = 5, acceptance: str = "deterministic", every: int = 10,
                 temperature: float = 1e-3, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.critic_steps = check_int(critic_steps, "critic_steps", 1, 10**6)
        self.acceptance = check_choice(acceptance, "acceptance", RULES)
        self.every = check_int(every, "every", 1, 10**9)
        self.temperature = check_positive(temperature, "temperature")
        self.seed = seed

    def bind(self, game: Game) -> None:
        super().bind(game)
        self.coins = torch.Generator().manual_seed(self.seed)
        self.decisions: list[tuple[float, float, bool]] = []

    def loss(self, draw: Any) -> float:
        """:math:`V_G` at the current parameters on ``draw``, as a float."""
        with torch.no_grad():
            return float(self.bound.generator_objective(draw))

    def snapshot(self) -> Snapshot:
        """Copies of both players' parameters and optimiser states."""
        parameters = [p.detach().clone() for p in self.bound.generator_parameters + self.bound.critic_parameters]
        states = copy.deepcopy((self.generator_optimizer.state_dict(), self.critic_optimizer.state_dict()))
        return parameters, states

    def restore(self, saved: Snapshot) -> None:
        """Put back a :meth:`snapshot`."""
        parameters, states = saved
        with torch.no_grad():
            for p, value in zip(self.bound.generator_parameters + self.bound.critic_parameters, parameters):
                p.copy_(value)
        self.generator_optimizer.load_state_dict(states[0])
        self.critic_optimizer.load_state_dict(states[1])

    def accept(self, iteration: int, before: float, after: float) -> bool:
        """The acceptance rule."""
        if after <= before:
            return True
        if self.acceptance == "every":
            return iteration % self.every == 0
        if self.acceptance == "temperature":
            return float(torch.rand((), generator=self.coins, dtype=torch.float64)) < math.exp(
                -(after - before) / self.temperature
            )
        return False

    def step(self, iteration: int) -> None:
        self.critic_ascent(self.critic_steps)
        evaluation = self.bound.draw()
        before = self.loss(evaluation)
        saved = self.snapshot()
        self.apply_generator(self.generator_gradients(self.bound.draw()))
        self.critic_ascent(self.critic_steps)
        after = self.loss(evaluation)
        accepted = math.isfinite(after) and self.accept(iteration, before, after)
        if not accepted:
            self.restore(saved)
        self.decisions.append((before, after, accepted))
