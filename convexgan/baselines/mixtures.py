r"""Ring mixtures of Gaussians (8 modes on radius 2 with std 0.02; 4 on the unit circle with std 0.01) and a
two-player MLP game on them, with mode-coverage counts.

Data: :math:`x = c_k + \sigma \epsilon`, :math:`c_k = r (\cos 2\pi k / K, \sin 2\pi k / K)`, k uniform.
Its exact second moment is :math:`S_X = \frac{1}{K} \sum_k c_k c_k^T + \sigma^2 I` (:math:`= (r^2/2 + \sigma^2) I`
for :math:`K \ge 3`), the optimum of the quadratic-critic WGAN as beta -> 0. The MLP game (Nagarajan and
Kolter's reference toy: z in R^256, generator 2 x 128 ReLU, critic 1 x 128 ReLU on x / 4) uses either the GAN
loss :math:`V = E_X \log \sigma(D(x)) + E_G \log(1 - \sigma(D(g)))` with the non-saturating generator objective
:math:`-E_G \log \sigma(D(g))`, or the WGAN loss :math:`V = E_X D - E_G D - \frac{\rho}{2} \|\theta_D\|^2`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
import torch
from torch import nn

from convexgan._validation import check_choice, check_int, check_positive
from convexgan.baselines.distances import relative_error
from convexgan.baselines.linear_quadratic import check_nonnegative


def ring_centers(n_modes: int, radius: float) -> NDArray[np.float64]:
    r"""The ``n_modes`` centres :math:`r (\cos 2\pi k/K, \sin 2\pi k/K)`, shape ``(n_modes, 2)``."""
    angles = 2 * math.pi * np.arange(n_modes) / n_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def sample_ring(n: int, centers: ArrayLike, std: float, generator: torch.Generator,
                dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``n`` samples of the ring mixture, drawn with the torch ``generator``; shape ``(n, 2)``."""
    means = torch.as_tensor(centers, dtype=dtype)
    modes = torch.randint(means.shape[0], (n,), generator=generator)
    return means[modes] + std * torch.randn(n, 2, generator=generator, dtype=dtype)


def ring_second_moment(centers: ArrayLike, std: float) -> NDArray[np.float64]:
    r"""Exact :math:`S_X = \frac{1}{K} \sum_k c_k c_k^T + \sigma^2 I` of the mixture."""
    C = np.asarray(centers, dtype=np.float64)
    moment: NDArray[np.float64] = C.T @ C / C.shape[0] + std**2 * np.eye(C.shape[1])
    return moment


def modes_covered(samples: ArrayLike, centers: NDArray[np.float64], std: float,
                  min_fraction: float = 0.01) -> tuple[int, float]:
    r"""Mode-coverage counts.

    A sample is *high quality* if it lies within :math:`3\sigma` of a centre; a mode is *covered* if at least
    ``min_fraction`` of the samples are high-quality samples of that mode.

    Parameters
    ----------
    samples : array (m, 2)
    centers : array (K, 2)
    std : float
    min_fraction : float

    Returns
    -------
    covered : int
        Number of covered modes.
    quality : float
        Fraction of high-quality samples.
    """
    points = np.asarray(samples, dtype=np.float64)
    distances = np.linalg.norm(points[:, None, :] - np.asarray(centers)[None, :, :], axis=2)
    nearest = distances.argmin(axis=1)
    close = distances[np.arange(points.shape[0]), nearest] <= 3 * std
    counts = np.bincount(nearest[close], minlength=len(centers))
    return int(np.count_nonzero(counts >= min_fraction * points.shape[0])), float(close.mean())


def mlp(sizes: Sequence[int]) -> nn.Sequential:
    """ReLU multilayer perceptron with the given layer widths (no activation after the last layer)."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class RingMixtureGame:
    """MLP generator against an MLP critic on a ring mixture (see the module docstring).

    Parameters
    ----------
    n_modes : int
        Number of modes (8 or 4 in the references).
    radius, std : float
        Ring radius and per-mode standard deviation.
    latent_dim, hidden : int
        Noise dimension and hidden width.
    generator_layers, critic_layers : int
        Hidden layers of each network.
    critic_input_scale : float
        The critic sees ``x * critic_input_scale`` (1/4 in the reference).
    batch_size : int
    loss : {'gan', 'wgan'}
    rho : float >= 0
        Critic weight decay of the WGAN loss.
    eval_size : int
        Number of samples (fixed noise) used by :meth:`measure`.
    seed : int

    Attributes
    ----------
    data : tensor (eval_size, 2)
        A fixed sample of the mixture, for trainers that need data points.
    """

    exact_seconds = None

    def __init__(self, n_modes: int = 8, radius: float = 2.0, std: float = 0.02, *, latent_dim: int = 256,
                 hidden: int = 128, generator_layers: int = 2, critic_layers: int = 1,
                 critic_input_scale: float = 0.25, batch_size: int = 512, loss: str = "gan", rho: float = 0.0,
                 eval_size: int = 2048, seed: int = 0) -> None:
        self.n_modes = check_int(n_modes, "n_modes", 1, 10**4)
        self.radius, self.std = check_positive(radius, "radius"), check_positive(std, "std")
        self.batch_size = check_int(batch_size, "batch_size", 1, 10**7)
        self.loss = check_choice(loss, "loss", ("gan", "wgan"))
        self.rho = check_nonnegative(rho, "rho")
        self.critic_input_scale = check_positive(critic_input_scale, "critic_input_scale")
        self.latent_dim = check_int(latent_dim, "latent_dim", 1, 10**6)
        self.centers = ring_centers(self.n_modes, self.radius)
        self.S_star = ring_second_moment(self.centers, self.std)
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.generator_net = mlp([latent_dim] + [hidden] * generator_layers + [2])
            self.critic_net = mlp([2] + [hidden] * critic_layers + [1])
        self.generator = torch.Generator().manual_seed(seed)
        self.eval_noise = torch.randn(eval_size, latent_dim, generator=self.generator, dtype=torch.float32)
        self.data = sample_ring(eval_size, self.centers, self.std, self.generator, torch.float32)

    @property
    def generator_parameters(self) -> list[torch.Tensor]:
        return list(self.generator_net.parameters())

    @property
    def critic_parameters(self) -> list[torch.Tensor]:
        return list(self.critic_net.parameters())

    def draw(self) -> tuple[torch.Tensor, torch.Tensor]:
        """A minibatch ``(X_b, Z_b)`` of mixture samples and noise."""
        X = sample_ring(self.batch_size, self.centers, self.std, self.generator, torch.float32)
        Z = torch.randn(self.batch_size, self.latent_dim, generator=self.generator)
        return X, Z

    def critic(self, x: torch.Tensor) -> torch.Tensor:
        """Critic output on ``x`` (rows), shape ``(m,)``."""
        return self.critic_net(x * self.critic_input_scale)[:, 0]

    def critic_objective(self, draw: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """The value V the critic maximises."""
        X, Z = draw
        real, fake = self.critic(X), self.critic(self.generator_net(Z))
        if self.loss == "gan":
            return nn.functional.logsigmoid(real).mean() + nn.functional.logsigmoid(-fake).mean()
        penalty = sum((p**2).sum() for p in self.critic_net.parameters())
        return real.mean() - fake.mean() - 0.5 * self.rho * penalty

    def generator_objective(self, draw: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """The generator's objective (non-saturating for the GAN loss, ``V`` for the WGAN loss)."""
        if self.loss == "wgan":
            return self.critic_objective(draw)
        _, Z = draw
        return -nn.functional.logsigmoid(self.critic(self.generator_net(Z))).mean()

    def generate(self, m: int) -> torch.Tensor:
        """``m`` fresh generated samples (differentiable)."""
        return self.generator_net(torch.randn(m, self.latent_dim, generator=self.generator))

    def measure(self) -> dict[str, float]:
        """Modes covered, high-quality fraction and relative second-moment error to the exact :math:`S_X`."""
        with torch.no_grad():
            G = self.generator_net(self.eval_noise).double().numpy()
        covered, quality = modes_covered(G, self.centers, self.std)
        return {
            "relative_error": relative_error(G.T @ G / G.shape[0], self.S_star),
            "modes": covered,
            "quality": quality,
        }
