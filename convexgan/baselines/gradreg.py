r"""Gradient-regularised GDA (Nagarajan and Kolter, "Gradient descent GAN optimization is locally stable",
NIPS 2017).

The generator descends the regularised objective, the critic's update is unchanged (simultaneous):

.. math::  \theta_G^{t+1} = \theta_G^t - \eta_G \nabla_{\theta_G}
           \big(V(\theta^t) + \eta \, \|\nabla_{\theta_D} V(\theta^t)\|^2\big), \qquad
           \theta_D^{t+1} = \theta_D^t + \eta_D \nabla_{\theta_D} V(\theta^t).

The gradient of :math:`\|\nabla_{\theta_D} V\|^2` with respect to :math:`\theta_G` is taken by double
back-propagation (``create_graph=True``). In games that are not zero-sum (the non-saturating GAN loss), the
generator's own objective :math:`V_G` replaces :math:`V` in the first term and the penalty uses the critic's
:math:`V_D`.
"""

from typing import Any

import torch

from convexgan._validation import check_positive
from convexgan.baselines.rule import UpdateRule


class GradientRegularisedGDA(UpdateRule):
    """Simultaneous GDA whose generator also descends ``eta * ||grad_D V||^2``.

    Parameters
    ----------
    eta : float > 0
        Weight of the critic-gradient penalty (0.5 in the reference experiments).
    **kwargs
        Step sizes and optimiser, see :class:`~convexgan.baselines.rule.UpdateRule`.

    References
    ----------
    .. [1] V. Nagarajan and J. Z. Kolter, "Gradient descent GAN optimization is locally stable", NeurIPS 2017.
    """

    name = "gradreg"

    def __init__(self, eta: float = 0.5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.eta = check_positive(eta, "eta")

    def step(self, iteration: int) -> None:
        draw = self.bound.draw()
        critic = self.critic_gradients(draw, create_graph=True)
        penalty = sum((gradient**2).sum() for gradient in critic)
        objective = self.bound.generator_objective(draw) + self.eta * penalty
        generator = torch.autograd.grad(objective, self.bound.generator_parameters)
        self.apply_generator(generator)
        self.apply_critic(critic)
