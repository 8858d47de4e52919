r"""The Dirac-GAN (Mescheder, Geiger, Nowozin, ICML 2018) with a linear critic.

Data :math:`\delta_c`, generator :math:`\delta_\theta`, critic :math:`D(x) = \psi^T x`:

.. math::  \min_\theta \max_\psi \; V(\theta, \psi) = \psi^T (c - \theta) - \frac{\rho}{2} \|\psi\|^2 .

The exact optimum is :math:`\theta^* = c` for every :math:`\rho \ge 0` (the linear critic's mean matching,
:ref:`theory-critic-to-constraint`, at beta -> 0). With :math:`\rho = 0` the game is bilinear: simultaneous GDA
spirals outwards.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import torch

from convexgan.baselines.linear_quadratic import check_nonnegative


class DiracGame:
    """The Dirac-GAN (see the module docstring).

    Parameters
    ----------
    c : array-like (d,)
        Location of the data; must be non-zero.
    theta0 : array-like (d,), optional
        Initial generator (default ``0``).
    rho : float >= 0
        Critic penalty.
    dtype : torch.dtype

    Attributes
    ----------
    exact_seconds : None
        The exact optimum is the data point itself; there is nothing to time.
    """

    exact_seconds = None

    def __init__(self, c: ArrayLike = (1.0,), *, theta0: ArrayLike | None = None, rho: float = 0.0,
                 dtype: torch.dtype = torch.float64) -> None:
        target = np.atleast_1d(np.asarray(c, dtype=np.float64))
        if target.ndim != 1 or not np.all(np.isfinite(target)) or not np.any(target):
            raise ValueError(f"c must be a finite non-zero vector; got {target!r}")
        self.rho = check_nonnegative(rho, "rho")
        self.c = torch.as_tensor(target, dtype=dtype)
        start = torch.zeros_like(self.c)
        if theta0 is not None:
            start = torch.as_tensor(np.asarray(theta0, dtype=np.float64), dtype=dtype)
        if start.shape != self.c.shape:
            raise ValueError(f"theta0 must have shape {tuple(self.c.shape)}; got {tuple(start.shape)}")
        self.theta = start.clone().requires_grad_()
        self.psi = torch.zeros_like(self.c, requires_grad=True)
        self.data = self.c[None, :]

    @property
    def generator_parameters(self) -> list[torch.Tensor]:
        return [self.theta]

    @property
    def critic_parameters(self) -> list[torch.Tensor]:
        return [self.psi]

    def draw(self) -> None:
        """The game is deterministic: ``None``."""
        return None

    def value(self, draw: None) -> torch.Tensor:
        r""":math:`V(\theta, \psi)`."""
        return self.psi @ (self.c - self.theta) - 0.5 * self.rho * (self.psi**2).sum()

    critic_objective = value
    generator_objective = value

    def generate(self, m: int) -> torch.Tensor:
        """``m`` copies of the generated point (differentiable in theta)."""
        return self.theta.expand(m, -1)

    def measure(self) -> dict[str, float]:
        r"""Relative distance :math:`\|\theta - c\| / \|c\|` and the critic's norm :math:`\|\psi\|`."""
        theta, c = self.theta.detach(), self.c
        return {
            "relative_error": float(torch.linalg.vector_norm(theta - c) / torch.linalg.vector_norm(c)),
            "critic_norm": float(torch.linalg.vector_norm(self.psi.detach())),
        }
