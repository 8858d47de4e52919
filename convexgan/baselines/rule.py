r"""Base class of the update rules plugged into :func:`convexgan.baselines.loop.train`.

A rule owns one optimiser per player. The critic *ascends* :math:`V_D`, which torch optimisers implement by
descending :math:`-V_D`; the generator descends :math:`V_G`.
"""

import torch

from convexgan._validation import check_choice, check_positive

OPTIMIZERS = ("sgd", "adam")


def make_optimizer(parameters, name, lr, betas):
    """Return ``torch.optim.SGD(parameters, lr)`` or ``torch.optim.Adam(parameters, lr, betas)``."""
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=lr)
    return torch.optim.Adam(parameters, lr=lr, betas=betas)


class UpdateRule:
    """Common part of the update rules: step sizes, optimisers and gradient helpers.

    Parameters
    ----------
    lr : float > 0
        Generator step size.
    critic_lr : float > 0, optional
        Critic step size (defaults to ``lr``).
    optimizer : {'sgd', 'adam'}
        Plain gradient steps or Adam, for both players.
    betas : tuple of two floats
        Adam's moment coefficients.
    """

    name = "rule"

    def __init__(self, lr=1e-2, critic_lr=None, optimizer="sgd", betas=(0.9, 0.999)):
        self.lr = check_positive(lr, "lr")
        self.critic_lr = self.lr if critic_lr is None else check_positive(critic_lr, "critic_lr")
        self.optimizer = check_choice(optimizer, "optimizer", OPTIMIZERS)
        self.betas = tuple(betas)
        self.game = None

    def bind(self, game):
        """Attach the rule to ``game`` and create fresh optimisers for its parameters."""
        self.game = game
        self.generator_optimizer = make_optimizer(game.generator_parameters, self.optimizer, self.lr, self.betas)
        if game.critic_parameters:
            self.critic_optimizer = make_optimizer(game.critic_parameters, self.optimizer, self.critic_lr, self.betas)

    def step(self, iteration):
        """Change the game's parameters in place (iteration counts from 1)."""
        raise NotImplementedError

    def generator_gradients(self, draw, create_graph=False):
        r"""Return :math:`\nabla_{\theta_G} V_G` at the current point."""
        value = self.game.generator_objective(draw)
        return torch.autograd.grad(value, self.game.generator_parameters, create_graph=create_graph)

    def critic_gradients(self, draw, create_graph=False):
        r"""Return :math:`\nabla_{\theta_D} V_D` at the current point."""
        value = self.game.critic_objective(draw)
        return torch.autograd.grad(value, self.game.critic_parameters, create_graph=create_graph)

    def apply_generator(self, gradients):
        """Descend along ``gradients`` with the generator's optimiser."""
        for parameter, gradient in zip(self.game.generator_parameters, gradients):
            parameter.grad = gradient.detach()
        self.generator_optimizer.step()

    def apply_critic(self, gradients):
        """Ascend along ``gradients`` with the critic's optimiser."""
        for parameter, gradient in zip(self.game.critic_parameters, gradients):
            parameter.grad = -gradient.detach()
        self.critic_optimizer.step()

    def critic_ascent(self, steps):
        """Take ``steps`` ascent steps of the critic, each on a fresh draw."""
        for _ in range(steps):
            self.apply_critic(self.critic_gradients(self.game.draw()))
