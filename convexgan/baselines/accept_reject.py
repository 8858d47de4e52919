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

import copy
import math

import torch

from convexgan._validation import check_choice, check_int, check_positive
from convexgan.baselines.rule import UpdateRule

RULES = ("deterministic", "every", "temperature")


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
    """

    name = "accept-reject"

    def __init__(self, critic_steps=5, acceptance="deterministic", every=10, temperature=1e-3, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.critic_steps = check_int(critic_steps, "critic_steps", 1, 10**6)
        self.acceptance = check_choice(acceptance, "acceptance", RULES)
        self.every = check_int(every, "every", 1, 10**9)
        self.temperature = check_positive(temperature, "temperature")
        self.seed = seed

    def bind(self, game):
        super().bind(game)
        self.coins = torch.Generator().manual_seed(self.seed)
        self.decisions = []

    def loss(self, draw):
        """:math:`V_G` at the current parameters on ``draw``, as a float."""
        with torch.no_grad():
            return float(self.game.generator_objective(draw))

    def snapshot(self):
        """Copies of both players' parameters and optimiser states."""
        parameters = [p.detach().clone() for p in self.game.generator_parameters + self.game.critic_parameters]
        states = copy.deepcopy((self.generator_optimizer.state_dict(), self.critic_optimizer.state_dict()))
        return parameters, states

    def restore(self, saved):
        """Put back a :meth:`snapshot`."""
        parameters, states = saved
        with torch.no_grad():
            for p, value in zip(self.game.generator_parameters + self.game.critic_parameters, parameters):
                p.copy_(value)
        self.generator_optimizer.load_state_dict(states[0])
        self.critic_optimizer.load_state_dict(states[1])

    def accept(self, iteration, before, after):
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

    def step(self, iteration):
        self.critic_ascent(self.critic_steps)
        evaluation = self.game.draw()
        before = self.loss(evaluation)
        saved = self.snapshot()
        self.apply_generator(self.generator_gradients(self.game.draw()))
        self.critic_ascent(self.critic_steps)
        after = self.loss(evaluation)
        accepted = math.isfinite(after) and self.accept(iteration, before, after)
        if not accepted:
            self.restore(saved)
        self.decisions.append((before, after, accepted))
