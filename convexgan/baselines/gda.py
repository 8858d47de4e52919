r"""Gradient descent-ascent, simultaneous and alternating.

Simultaneous: both players move from the same point,

.. math::  \theta_G^{t+1} = \theta_G^t - \eta_G \nabla_{\theta_G} V_G(\theta^t), \qquad
           \theta_D^{t+1} = \theta_D^t + \eta_D \nabla_{\theta_D} V_D(\theta^t).

Alternating: the critic first takes ``critic_steps`` ascent steps, then the generator descends against the
updated critic.
"""

from typing import Any

from convexgan._validation import check_int
from convexgan.baselines.rule import UpdateRule


class SimultaneousGDA(UpdateRule):
    """Simultaneous gradient descent-ascent (see the module docstring)."""

    name = "gda"

    def step(self, iteration: int) -> None:
        draw = self.bound.draw()
        generator = self.generator_gradients(draw)
        critic = self.critic_gradients(draw)
        self.apply_generator(generator)
        self.apply_critic(critic)


class AlternatingGDA(UpdateRule):
    """Alternating gradient descent-ascent: ``critic_steps`` critic steps, then one generator step.

    Parameters
    ----------
    critic_steps : int >= 1
        Critic ascent steps per iteration.
    **kwargs
        Step sizes and optimiser, see :class:`~convexgan.baselines.rule.UpdateRule`.
    """

    name = "gda-alt"

    def __init__(self, critic_steps: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.critic_steps = check_int(critic_steps, "critic_steps", 1, 10**6)

    def step(self, iteration: int) -> None:
        self.critic_ascent(self.critic_steps)
        self.apply_generator(self.generator_gradients(self.bound.draw()))
