r"""The progressive GDA image baseline the paper compares ProCoGAN with (:ref:`theory-progressive`,
:ref:`theory-baselines`).

Stage i works at resolution :math:`r_i` on the images resized to :math:`r_i` and centred per pixel
(:math:`X_i`, rows in HWC order). Its generator is one dense linear layer on the previous stage's output,
upsampled x2 (nearest neighbour), with a ones column; the first stage's input is :math:`[z, 1]`:

.. math::  G_1 = [Z, 1] W_1, \qquad G_i = [\operatorname{up}(G_{i-1}), 1] W_i ,

and the layers of earlier stages are frozen. Each stage trains a fresh two-layer quadratic critic
:math:`D(x) = \sum_j v_j (u_j^T x)^2` with the WGAN-GP objective (alternating Adam steps)

.. math::  \max_D \; E_X D - E_G D - \lambda E_{\hat x} (\|\nabla D(\hat x)\| - 1)^2 - \delta E_X D^2, \qquad
           \min_{W_i} \; -E_G D + \gamma_g \|W_i\|_F^2 ,

with :math:`\hat x` uniform on segments between real and generated samples, :math:`\lambda = 10`,
:math:`\delta = 10^{-3}`, Adam(1e-3, betas (0, 0.99)), batch 16 and an exponential moving average (0.999) of
the generator weights. The generator penalty :math:`\gamma_g` is not given by the paper; its default (1e-3) is
our choice.

Measured against the exact optimum: the generator is affine in z, :math:`G_i = z M_i + b_i`, so its generated
second moment is exactly :math:`S_G = M_i^T M_i + b_i b_i^T`; it is compared with the closed form
:math:`(S_{X_i} - \beta_i I)_+`, :math:`\beta_i = \lambda_{k_i + 1}(S_{X_i})`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
import torch

from convexgan._validation import check_int, check_positive
from convexgan.baselines.distances import relative_error, spectral_norm
from convexgan.baselines.gda import AlternatingGDA
from convexgan.baselines.images import downsample, flatten_centred
from convexgan.baselines.loop import History, train
from convexgan.baselines.rule import Game, UpdateRule
from convexgan.duality.closed_form import beta_from_k, eigh_descending, second_moment, soft_threshold
from convexgan.metrics.bures import bures_wasserstein


def upsample(G: torch.Tensor, resolution: int, channels: int) -> torch.Tensor:
    """Nearest-neighbour x2 upsampling of rows ``G (m, r * r * C)`` (HWC) to ``(m, 4 r * r * C)``."""
    images = G.reshape(G.shape[0], resolution, resolution, channels)
    images = images.repeat_interleave(2, dim=1).repeat_interleave(2, dim=2)
    return images.reshape(G.shape[0], -1)


def with_ones(H: torch.Tensor) -> torch.Tensor:
    """Append a ones column to ``H (m, p)``."""
    return torch.cat([H, torch.ones(H.shape[0], 1, dtype=H.dtype)], dim=1)


class ProgressiveStageGame:
    """One stage of the progressive GDA baseline: a new dense layer against a fresh quadratic critic.

    Parameters
    ----------
    X : ndarray (n, d)
        Centred images of this stage (HWC rows).
    k : int
        Components kept by the closed form this stage is measured against.
    frozen : list of tensors
        The EMA weights of the earlier stages.
    resolutions : list of int
        Resolutions of all stages up to this one.
    channels, latent_dim : int
    critic_width : int
        Neurons of the quadratic critic.
    gradient_penalty, drift, generator_penalty : float
        :math:`\\lambda`, :math:`\\delta`, :math:`\\gamma_g`.
    batch_size : int
    init_std : float
        Standard deviation of the initial entries of the new layer.
    generator : torch.Generator
        Source of every random draw.
    dtype : torch.dtype
    """

    def __init__(self, X: NDArray[np.float64], k: int, frozen: list[torch.Tensor], resolutions: list[int],
                 channels: int, latent_dim: int, critic_width: int, gradient_penalty: float, drift: float,
                 generator_penalty: float, batch_size: int, init_std: float, generator: torch.Generator,
                 dtype: torch.dtype) -> None:
        self.X = torch.as_tensor(X, dtype=dtype)
        self.S_X = second_moment(X)
        self.beta = beta_from_k(X, k)
        lam, V = eigh_descending(self.S_X)
        self.S_star = (V * soft_threshold(lam, self.beta)) @ V.T
        self.frozen, self.resolutions, self.channels = frozen, resolutions, channels
        self.latent_dim, self.batch_size, self.generator = latent_dim, batch_size, generator
        self.gradient_penalty, self.drift, self.generator_penalty = gradient_penalty, drift, generator_penalty
        d = self.X.shape[1]
        fan_in = latent_dim + 1 if not frozen else 4 * frozen[-1].shape[1] + 1
        self.W = (init_std * torch.randn(fan_in, d, generator=generator, dtype=dtype)).requires_grad_()
        self.ema = self.W.detach().clone()
        self.U = (torch.randn(d, critic_width, generator=generator, dtype=dtype) / d**0.5).requires_grad_()
        self.v = (torch.randn(critic_width, generator=generator, dtype=dtype) / critic_width**0.5).requires_grad_()

    @property
    def generator_parameters(self) -> list[torch.Tensor]:
        return [self.W]

    @property
    def critic_parameters(self) -> list[torch.Tensor]:
        return [self.U, self.v]

    def forward(self, Z: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
        """Generated rows of this stage for noise ``Z`` and this stage's weights ``W``."""
        H = Z
        for j, layer in enumerate(self.frozen + [W]):
            if j > 0:
                H = upsample(H, self.resolutions[j - 1], self.channels)
            H = with_ones(H) @ layer
        return H

    def critic(self, x: torch.Tensor) -> torch.Tensor:
        r""":math:`D(x) = \sum_j v_j (u_j^T x)^2`, shape ``(m,)``."""
        return ((x @ self.U) ** 2) @ self.v

    def draw(self) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch of real rows and noise."""
        rows = torch.randint(self.X.shape[0], (self.batch_size,), generator=self.generator)
        Z = torch.randn(self.batch_size, self.latent_dim, generator=self.generator, dtype=self.X.dtype)
        return self.X[rows], Z

    def critic_objective(self, draw: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """WGAN-GP critic objective with drift (maximised)."""
        X, Z = draw
        G = self.forward(Z, self.W).detach()
        t = torch.rand(X.shape[0], 1, generator=self.generator, dtype=X.dtype)
        mixed = (t * X + (1 - t) * G).requires_grad_()
        (slope,) = torch.autograd.grad(self.critic(mixed).sum(), mixed, create_graph=True)
        penalty = ((slope.norm(dim=1) - 1) ** 2).mean()
        real = self.critic(X)
        return real.mean() - self.critic(G).mean() - self.gradient_penalty * penalty - self.drift * (real**2).mean()

    def generator_objective(self, draw: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Generator objective (minimised)."""
        _, Z = draw
        return -self.critic(self.forward(Z, self.W)).mean() + self.generator_penalty * (self.W**2).sum()

    def affine_map(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(M, b)`` with ``G(z) = z M + b`` for the EMA generator, in float64."""
        with torch.no_grad():
            basis = torch.cat([torch.zeros(1, self.latent_dim), torch.eye(self.latent_dim)]).to(self.X.dtype)
            out = self.forward(basis, self.ema).double().numpy()
        return out[1:] - out[:1], out[0]

    def measure(self) -> dict[str, float]:
        """Distances of the EMA generator to the closed form :math:`(S_X - \\beta I)_+` of this stage."""
        M, b = self.affine_map()
        S_G = M.T @ M + np.outer(b, b)
        return {
            "relative_error": relative_error(S_G, self.S_star),
            "bures": bures_wasserstein(b, M.T @ M, np.zeros_like(b), self.S_star),
            "constraint": spectral_norm(self.S_X - S_G) / self.beta,
        }


class AveragedRule:
    """Run ``rule`` and keep an exponential moving average ``game.ema`` of the generator weight ``game.W``.

    .. math::  \\bar W \\leftarrow \\alpha \\bar W + (1 - \\alpha) W

    It has the interface of an update rule (``name``, ``bind``, ``step``) for :func:`train`.
    """

    def __init__(self, rule: UpdateRule, decay: float) -> None:
        self.rule, self.decay = rule, decay
        self.name = rule.name

    def bind(self, game: Game) -> None:
        if not isinstance(game, ProgressiveStageGame):
            raise TypeError(f"AveragedRule averages the weight of a ProgressiveStageGame; got {type(game).__name__}")
        self.game = game
        self.rule.bind(game)

    def step(self, iteration: int) -> None:
        self.rule.step(iteration)
        with torch.no_grad():
            self.game.ema.mul_(self.decay).add_(self.game.W, alpha=1 - self.decay)


class ProgressiveGDA:
    """The paper's progressive GDA baseline (see the module docstring).

    Parameters
    ----------
    images : ndarray (N, H, W, C)
        Images in [0, 1].
    resolutions : sequence of int
        Stage resolutions, each twice the previous one (e.g. ``(4, 8)``).
    k : sequence of int
        Components kept by the closed form of each stage (for the measurement only).
    latent_dim : int, optional
        Noise dimension (default: the first stage's pixel count).
    critic_width : int
    gradient_penalty, drift, generator_penalty : float
    lr : float
    betas : tuple
    batch_size : int
    ema : float
    init_std : float
        Standard deviation of the initial entries of each new layer (our choice).
    seed : int
    dtype : torch.dtype

    References
    ----------
    .. [1] A. Sahiner, T. Ergen, B. Ozturkler, B. Bartan, J. Pauly, M. Mardani and M. Pilanci, "Hidden Convexity of
           Wasserstein GANs: Interpretable Generative Models with Closed-Form Solutions", ICLR 2022.
    .. [2] T. Karras, T. Aila, S. Laine and J. Lehtinen, "Progressive Growing of GANs for Improved Quality,
           Stability, and Variation", ICLR 2018.
    """

    def __init__(self, images: ArrayLike, resolutions: Sequence[int] = (4, 8), k: Sequence[int] = (4, 8), *,
                 latent_dim: int | None = None, critic_width: int = 64, gradient_penalty: float = 10.0,
                 drift: float = 1e-3, generator_penalty: float = 1e-3, lr: float = 1e-3,
                 betas: Sequence[float] = (0.0, 0.99), batch_size: int = 16, ema: float = 0.999,
                 init_std: float = 0.01, seed: int = 0, dtype: torch.dtype = torch.float32) -> None:
        pixels = np.asarray(images, dtype=np.float64)
        if pixels.ndim != 4:
            raise ValueError(f"images must have shape (N, H, W, C); got {pixels.shape}")
        self.resolutions = [check_int(r, "resolutions", 1, 10**4) for r in resolutions]
        for low, high in zip(self.resolutions[:-1], self.resolutions[1:]):
            if high != 2 * low:
                raise ValueError(f"resolutions={list(resolutions)!r} must double at each stage")
        if len(k) != len(self.resolutions):
            raise ValueError(f"k={list(k)!r} must give one value per resolution {self.resolutions}")
        self.k = list(k)
        self.images, self.channels = pixels, pixels.shape[3]
        first = self.resolutions[0] ** 2 * self.channels
        self.latent_dim = first if latent_dim is None else check_int(latent_dim, "latent_dim", 1, 10**6)
        self.settings: dict[str, Any] = dict(critic_width=check_int(critic_width, "critic_width", 1, 10**6),
                             gradient_penalty=gradient_penalty, drift=drift, generator_penalty=generator_penalty,
                             batch_size=check_int(batch_size, "batch_size", 1, 10**6),
                             init_std=check_positive(init_std, "init_std"))
        self.lr, self.betas, self.ema = check_positive(lr, "lr"), tuple(betas), ema
        self.generator = torch.Generator().manual_seed(seed)
        self.dtype = dtype
        self.stages: list[ProgressiveStageGame] = []
        self.means: list[NDArray[np.float64]] = []

    def fit(self, steps: int, log_every: int = 100, max_seconds: float | None = None,
            progress: bool = True) -> list[History]:
        """Train every stage for ``steps`` iterations (or ``max_seconds`` of training time each); return one
        :class:`History` per stage."""
        histories = []
        for i, resolution in enumerate(self.resolutions):
            X, mean = flatten_centred(downsample(self.images, resolution))
            frozen = [stage.ema for stage in self.stages]
            game = ProgressiveStageGame(X, self.k[i], frozen, self.resolutions[: i + 1], self.channels,
                                        self.latent_dim, generator=self.generator, dtype=self.dtype,
                                        **self.settings)
            rule = AveragedRule(AlternatingGDA(lr=self.lr, optimizer="adam", betas=self.betas), self.ema)
            history = train(game, rule, steps, log_every=log_every, max_seconds=max_seconds, progress=progress)
            history.method = f"progressive-gda {resolution}x{resolution}"
            histories.append(history)
            self.stages.append(game)
            self.means.append(mean)
        return histories

    def sample(self, m: int) -> NDArray[np.float64]:
        """``m`` images ``(m, r, r, C)`` from the last trained stage's EMA generator, with the mean added back."""
        stage = self.stages[-1]
        Z = torch.randn(m, self.latent_dim, generator=self.generator, dtype=self.dtype)
        with torch.no_grad():
            G = stage.forward(Z, stage.ema).double().numpy() + self.means[-1]
        r = stage.resolutions[-1]
        return G.reshape(m, r, r, self.channels)
