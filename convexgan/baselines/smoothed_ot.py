r"""Regularised-OT (smoothed) WGAN (Sanjabi, Ba, Razaviyayn, Lee, NeurIPS 2018), entropic version.

The generator minimises the entropic optimal-transport cost between the data :math:`\mu` (n points
:math:`x_i`) and the generated :math:`\nu`,

.. math::  W_\epsilon(\mu, \nu) = \min_\pi E_\pi \|x - y\|^2 + \epsilon \, KL(\pi \,|\, \mu \otimes \nu)
           = \max_\varphi \; \frac{1}{n} \sum_i \varphi_i + E_{y \sim \nu} \varphi^{c,\epsilon}(y),

with the soft c-transform :math:`\varphi^{c,\epsilon}(y) = -\epsilon \log \frac{1}{n} \sum_i
\exp((\varphi_i - \|x_i - y\|^2)/\epsilon)`. Each iteration takes ``dual_steps`` warm-started stochastic
ascent steps on the semi-dual potential :math:`\varphi \in R^n`, then one generator step on
:math:`E_z \varphi^{c,\epsilon}(G(z))` with :math:`\varphi` fixed (its gradient is the gradient of
:math:`W_\epsilon` by the envelope theorem).

Exact target for Gaussian data and a linear generator (:ref:`theory-baselines`):
:math:`\Sigma^* = (\Sigma_X - (\epsilon/2) I)_+`; this equals the quadratic-critic optimum
:math:`(S_X - \beta I)_+` when :math:`\epsilon = 2\beta`. The game must provide ``data`` (rows) and
``generate(m)``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from convexgan._validation import check_int, check_positive
from convexgan.baselines.rule import Game, SamplingGame, UpdateRule, make_optimizer


def soft_c_transform(phi: torch.Tensor, X: torch.Tensor, Y: torch.Tensor, eps: float) -> torch.Tensor:
    r""":math:`\varphi^{c,\epsilon}(y_j) = -\epsilon \log \frac{1}{n} \sum_i \exp((\varphi_i - \|x_i - y_j\|^2)
    / \epsilon)` for ``phi (n,)``, ``X (n, d)``, ``Y (m, d)``; returns shape ``(m,)``."""
    cost = (X**2).sum(1)[:, None] + (Y**2).sum(1)[None, :] - 2.0 * X @ Y.T
    return -eps * (torch.logsumexp((phi[:, None] - cost) / eps, dim=0) - math.log(X.shape[0]))


class SmoothedOT(UpdateRule):
    """Entropic regularised-OT WGAN trainer (see the module docstring).

    Parameters
    ----------
    eps : float > 0
        Entropic regularisation.
    dual_steps : int >= 1
        Ascent steps on the potential per generator step.
    dual_lr : float > 0, optional
        Step of the potential ascent in units of mass (the gradient is multiplied by n); default ``eps``.
    batch_size : int
        Generated samples per step.
    n_potential : int
        Number of data points carrying the potential (a seeded subset of ``game.data`` when it has more rows).
    seed : int
        Seed of the data subset.
    **kwargs
        Generator step size and optimiser, see :class:`~convexgan.baselines.rule.UpdateRule`.

    References
    ----------
    .. [1] M. Sanjabi, J. Ba, M. Razaviyayn and J. D. Lee, "On the Convergence and Robustness of Training GANs with
           Regularized Optimal Transport", NeurIPS 2018.
    """

    name = "smoothed-ot"

    def __init__(self, eps: float = 1.0, dual_steps: int = 5, dual_lr: float | None = None, batch_size: int = 512,
                 n_potential: int = 2000, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.eps = check_positive(eps, "eps")
        self.dual_steps = check_int(dual_steps, "dual_steps", 1, 10**6)
        self.dual_lr = self.eps if dual_lr is None else check_positive(dual_lr, "dual_lr")
        self.batch_size = check_int(batch_size, "batch_size", 1, 10**7)
        self.n_potential = check_int(n_potential, "n_potential", 1, 10**7)
        self.seed = seed

    def bind(self, game: Game) -> None:
        data = getattr(game, "data", None)
        if data is None or not isinstance(game, SamplingGame):
            raise ValueError(f"{type(game).__name__} has no data samples; smoothed-ot needs a game built from samples")
        self.game = game
        self.sampler = game
        self.generator_optimizer = make_optimizer(game.generator_parameters, self.optimizer, self.lr, self.betas)
        if data.shape[0] > self.n_potential:
            generator = torch.Generator().manual_seed(self.seed)
            data = data[torch.randperm(data.shape[0], generator=generator)[: self.n_potential]]
        self.X = data.detach()
        self.phi = torch.zeros(self.X.shape[0], dtype=self.X.dtype)

    def semi_dual(self, Y: torch.Tensor) -> torch.Tensor:
        r"""Semi-dual objective :math:`\frac1n \sum_i \varphi_i + \frac1m \sum_j \varphi^{c,\epsilon}(y_j)`."""
        return self.phi.mean() + soft_c_transform(self.phi, self.X, Y, self.eps).mean()

    def step(self, iteration: int) -> None:
        n = self.X.shape[0]
        for _ in range(self.dual_steps):
            Y = self.sampler.generate(self.batch_size).detach()
            phi = self.phi.requires_grad_()
            (gradient,) = torch.autograd.grad(self.semi_dual(Y), phi)
            self.phi = (phi + self.dual_lr * n * gradient).detach()
        loss = soft_c_transform(self.phi, self.X, self.sampler.generate(self.batch_size), self.eps).mean()
        self.apply_generator(torch.autograd.grad(loss, self.bound.generator_parameters))
