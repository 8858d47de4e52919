r"""Base class of the update rules plugged into :func:`convexgan.baselines.loop.train`.

A rule owns one optimiser per player. The critic *ascends* :math:`V_D`, which torch optimisers implement by
descending :math:`-V_D`; the generator descends :math:`V_G`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import torch

from convexgan._validation import check_choice, check_positive

OPTIMIZERS = ("sgd", "adam")


class Game(Protocol):
    """What the rules and :func:`convexgan.baselines.loop.train` use of a game (every game of this package)."""

    @property
    def generator_parameters(self) -> list[torch.Tensor]:
        """The generator's trainable tensors."""

    @property
    def critic_parameters(self) -> list[torch.Tensor]:
        """The critic's trainable tensors (empty when the critic is solved inside the objective)."""

    def draw(self) -> Any:
        """A fresh sample of the randomness an objective is evaluated on."""

    def generator_objective(self, draw: Any) -> torch.Tensor:
        """The generator's objective on ``draw`` (minimised)."""

    def critic_objective(self, draw: Any) -> torch.Tensor:
        """The critic's objective on ``draw`` (maximised)."""

    def measure(self) -> dict[str, float]:
        """The metrics recorded in a :class:`~convexgan.baselines.loop.History`."""


@runtime_checkable
class SamplingGame(Game, Protocol):
    """A game that also draws generated samples (every game of this package but the progressive stages)."""

    def generate(self, m: int) -> torch.Tensor:
        """``m`` generated samples (differentiable in the generator's parameters)."""


def make_optimizer(parameters: list[torch.Tensor], name: str, lr: float,
                   betas: tuple[float, float]) -> torch.optim.Optimizer:
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

    def __init__(self, lr: float = 1e-2, critic_lr: float | None = None, optimizer: str = "sgd",
                 betas: Sequence[float] = (0.9, 0.999)) -> None:
        self.lr = check_positive(lr, "lr")
        self.critic_lr = self.lr if critic_lr is None else check_positive(critic_lr, "critic_lr")
        self.optimizer = check_choice(optimizer, "optimizer", OPTIMIZERS)
        beta1, beta2 = betas
        self.betas = (beta1, beta2)
        self.game: Game | None = None

    @property
    def bound(self) -> Game:
        """The game of :meth:`bind` (``RuntimeError`` before it is called)."""
        if self.game is None:
            raise RuntimeError(f"{type(self).__name__} is not bound to a game; call bind(game) first")
        return self.game

    def bind(self, game: Game) -> None:
        """Attach the rule to ``game`` and create fresh optimisers for its parameters."""
        self.game = game
        self.generator_optimizer = make_optimizer(game.generator_parameters, self.optimizer, self.lr, self.betas)
        if game.critic_parameters:
            self.critic_optimizer = make_optimizer(game.critic_parameters, self.optimizer, self.critic_lr, self.betas)

    def step(self, iteration: int) -> None:
        """Change the game's parameters in place (iteration counts from 1)."""
        raise NotImplementedError

    def generator_gradients(self, draw: Any, create_graph: bool = False) -> tuple[torch.Tensor, ...]:
        r"""Return :math:`\nabla_{\theta_G} V_G` at the current point."""
        value = self.bound.generator_objective(draw)
        return torch.autograd.grad(value, self.bound.generator_parameters, create_graph=create_graph)

    def critic_gradients(self, draw: Any, create_graph: bool = False) -> tuple[torch.Tensor, ...]:
        r"""Return :math:`\nabla_{\theta_D} V_D` at the current point."""
        value = self.bound.critic_objective(draw)
        return torch.autograd.grad(value, self.bound.critic_parameters, create_graph=create_graph)

    def apply_generator(self, gradients: Sequence[torch.Tensor]) -> None:
        """Descend along ``gradients`` with the generator's optimiser."""
        for parameter, gradient in zip(self.bound.generator_parameters, gradients):
            parameter.grad = gradient.detach()
        self.generator_optimizer.step()

    def apply_critic(self, gradients: Sequence[torch.Tensor]) -> None:
        """Ascend along ``gradients`` with the critic's optimiser."""
        for parameter, gradient in zip(self.bound.critic_parameters, gradients):
            parameter.grad = -gradient.detach()
        self.critic_optimizer.step()

    def critic_ascent(self, steps: int) -> None:
        """Take ``steps`` ascent steps of the critic, each on a fresh draw."""
        for _ in range(steps):
            self.apply_critic(self.critic_gradients(self.bound.draw()))
