r"""The linear-generator / quadratic-critic WGAN as a game for the non-convex trainers.

Generator :math:`G = Z W` with :math:`z \sim N(0, I_{d_z})`, so :math:`S_G(W) = W^T W`; critic
:math:`D(x) = x^T A x` (a two-layer quadratic-activation critic: :math:`A = \sum_j v_j u_j u_j^T`). The game is

.. math::  \min_W \max_A \; V(W, A) = \langle A, S_X - S_G(W) \rangle - \frac{\rho}{2} \|A\|_F^2
           + \gamma \operatorname{tr} S_G(W), \qquad \gamma = \beta / \rho .

With :math:`\rho > 0` the critic's best response is :math:`A = (S_X - S_G)/\rho`, leaving
:math:`\min_{S_G \succeq 0} \|S_X - S_G\|_F^2 / (2\rho) + \gamma \operatorname{tr} S_G`, i.e. the projection of
:math:`S_X - \rho\gamma I` onto the PSD cone. The exact optimum is therefore the eigenvalue soft-threshold

.. math::  S_G^* = (S_X - \beta I)_+ ,

the same generated moment as the paper's spectral-constraint problem (:ref:`theory-linear-generator`) with the same
beta,
computed by :mod:`convexgan.duality.closed_form`. With :math:`\rho = 0` (then :math:`\beta = 0`), the critic is
unregularised and :math:`S_G^* = S_X`; this is the population game of :ref:`theory-baselines` on which simultaneous
GDA cycles.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numpy.typing import ArrayLike, NDArray
import torch

from convexgan._validation import as_samples, check_int, check_positive
from convexgan.baselines.distances import relative_error, spectral_norm
from convexgan.duality.closed_form import (
    InfeasibleError,
    eigh_descending,
    quadratic_critic_weights,
    second_moment as moment_of,
    smallest_feasible_beta,
    soft_threshold,
)
from convexgan.metrics.bures import bures_wasserstein


def check_nonnegative(value: object, name: str) -> float:
    """Return ``value`` as a float after checking that it is a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number >= 0; got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name}={number!r} must be a finite number >= 0")
    return number


class LinearQuadraticGame:
    """Linear generator against a quadratic critic (see the module docstring).

    Parameters
    ----------
    X : array-like (n, d), optional
        Real samples (rows). Needed for minibatches and for the smoothed-OT trainer.
    second_moment : array (d, d), optional
        :math:`S_X` itself, instead of ``X`` (population game).
    latent_dim : int, optional
        :math:`d_z` (default ``d``); must be at least the number of kept components.
    beta : float >= 0
        Soft-threshold level of the exact optimum; ``beta > 0`` needs ``rho > 0``.
    rho : float >= 0
        Frobenius penalty of the critic.
    batch_size : int, optional
        Minibatch size of ``draw()``; ``None`` uses exact expectations (population moments).
    init_std : float, optional
        Standard deviation of the initial entries of ``W`` (``A`` starts at 0). Default
        :math:`\\sqrt{\\operatorname{tr} S_X / (d \\, d_z)}`, which gives
        :math:`E \\operatorname{tr} S_G = \\operatorname{tr} S_X`.
    seed : int
        Seed of the initialisation and of the minibatches.
    dtype : torch.dtype
        Dtype of the parameters.

    Attributes
    ----------
    S_star : ndarray (d, d)
        The exact optimal second moment :math:`(S_X - \\beta I)_+`.
    W_star : ndarray (d_z, d)
        The minimum-norm optimal generator.
    exact_seconds : float
        Wall-clock time of the closed form (eigen-decomposition, soft-threshold, weights) from :math:`S_X`.
    """

    def __init__(self, X: ArrayLike | None = None, *, second_moment: ArrayLike | None = None,
                 latent_dim: int | None = None, beta: float = 0.0, rho: float = 0.0, batch_size: int | None = None,
                 init_std: float | None = None, seed: int = 0, dtype: torch.dtype = torch.float64) -> None:
        if (X is None) == (second_moment is None):
            raise ValueError("give exactly one of X (samples) and second_moment (S_X)")
        self.beta = check_nonnegative(beta, "beta")
        self.rho = check_nonnegative(rho, "rho")
        if self.beta > 0 and self.rho == 0:
            raise ValueError(
                f"beta={self.beta!r} > 0 needs a critic penalty rho > 0 (the generator penalty is beta/rho)"
            )
        self.gamma = self.beta / self.rho if self.rho > 0 else 0.0
        self.data: torch.Tensor | None = None
        if X is not None:
            rows = as_samples(X)
            S_X = moment_of(rows)
            self.data = torch.as_tensor(rows, dtype=dtype)
        else:
            S_X = np.asarray(second_moment, dtype=np.float64)
            if S_X.ndim != 2 or S_X.shape[0] != S_X.shape[1] or not np.all(np.isfinite(S_X)):
                raise ValueError(f"second_moment must be a finite square matrix; got shape {S_X.shape}")
        d = S_X.shape[0]
        self.latent_dim = d if latent_dim is None else check_int(latent_dim, "latent_dim", 1, 10**6)
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size", 1, 10**9)
        if self.batch_size is not None and self.data is None:
            raise ValueError("batch_size needs samples X; a game built from second_moment is a population game")
        self.S_X = S_X
        self.exact_seconds, self.S_star, self.W_star = self.exact()
        self.generator = torch.Generator().manual_seed(seed)
        if init_std is None:
            init_std = math.sqrt(np.trace(S_X) / (d * self.latent_dim))
        init_std = check_positive(init_std, "init_std")
        W = init_std * torch.randn(self.latent_dim, d, generator=self.generator, dtype=dtype)
        self.W = W.requires_grad_()
        self.A = torch.zeros(d, d, dtype=dtype, requires_grad=True)
        self.S_X_torch = torch.as_tensor(S_X, dtype=dtype)

    @property
    def generator_parameters(self) -> list[torch.Tensor]:
        return [self.W]

    @property
    def critic_parameters(self) -> list[torch.Tensor]:
        return [self.A]

    def exact(self) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
        r"""Closed-form optimum: return ``(seconds, S_star, W_star)`` with :math:`W^{*T} W^* = (S_X - \beta I)_+`.

        Raises
        ------
        InfeasibleError
            When more than ``latent_dim`` eigenvalues of :math:`S_X` exceed beta.
        """
        start = time.perf_counter()
        lam, V = eigh_descending(self.S_X)
        k = int(np.count_nonzero(lam > self.beta))
        if k > self.latent_dim:
            raise InfeasibleError(
                f"latent_dim={self.latent_dim} < k={k} kept components at beta={self.beta!r}; the smallest "
                f"feasible beta is {smallest_feasible_beta(lam, self.latent_dim)!r}"
            )
        W_star = quadratic_critic_weights(lam[:k], V[:, :k], np.ones(k), np.eye(self.latent_dim)[:, :k], self.beta)
        S_star = (V * soft_threshold(lam, self.beta)) @ V.T
        return time.perf_counter() - start, S_star, W_star

    def draw(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """A minibatch ``(X_b, Z_b)`` of data rows and fresh noise, or ``None`` for exact expectations."""
        if self.batch_size is None or self.data is None:
            return None
        rows = torch.randint(self.data.shape[0], (self.batch_size,), generator=self.generator)
        Z = torch.randn(self.batch_size, self.latent_dim, generator=self.generator, dtype=self.W.dtype)
        return self.data[rows], Z

    def value(self, draw: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        r""":math:`V(W, A)` with exact or minibatch moments."""
        if draw is None:
            S_X, S_G = self.S_X_torch, self.W.T @ self.W
        else:
            X, Z = draw
            G = Z @ self.W
            S_X, S_G = X.T @ X / X.shape[0], G.T @ G / G.shape[0]
        gap = (self.A * (S_X - S_G)).sum()
        return gap - 0.5 * self.rho * (self.A**2).sum() + self.gamma * torch.trace(S_G)

    critic_objective = value
    generator_objective = value

    def generate(self, m: int) -> torch.Tensor:
        """``m`` fresh generated samples ``Z W`` (differentiable in ``W``)."""
        Z = torch.randn(m, self.latent_dim, generator=self.generator, dtype=self.W.dtype)
        return Z @ self.W

    def generated_moment(self) -> NDArray[np.float64]:
        r"""Population moment :math:`S_G = W^T W` as a float64 array."""
        W = self.W.detach().cpu().double().numpy()
        return W.T @ W

    def measure(self) -> dict[str, float]:
        """Distances to the exact optimum: relative error, Bures-W2, and the critic constraint value.

        ``constraint`` is :math:`\\|S_X - S_G\\|_2 / \\beta` (1 at the optimum) when beta > 0, else
        :math:`\\|S_X - S_G\\|_2`. All three are infinite once the generator has diverged.
        """
        S_G = self.generated_moment()
        if not np.all(np.isfinite(S_G)):
            return {"relative_error": math.inf, "bures": math.inf, "constraint": math.inf}
        gap = spectral_norm(self.S_X - S_G)
        zeros = np.zeros(S_G.shape[0])
        return {
            "relative_error": relative_error(S_G, self.S_star),
            "bures": bures_wasserstein(zeros, S_G, zeros, self.S_star),
            "constraint": gap / self.beta if self.beta > 0 else gap,
        }

