r"""The latent space of a trained generator: interpolation between latents, projection of real images.

Every stage is affine, so the images of stage ``s`` are one affine map of the *full* latent
:math:`z = [z_0, \dots, z_s] \in \mathbb R^D` (all stages' fresh columns concatenated,
``D = generator.latent_size(s)``):

.. math::  x = z F + b + \mu_X, \qquad F \in \mathbb R^{D \times d},

(:meth:`ProgressiveGenerator.affine_map`, :ref:`theory-progressive`). Users handle ``z`` only;
:meth:`ProgressiveGenerator.split_latent` gives the per-stage blocks where needed.

Interpolation (:func:`interpolate`)
    ``linear``: :math:`z(t) = (1 - t) z_0 + t z_1`; ``spherical``:
    :math:`z(t) = \frac{\sin((1 - t)\Omega)}{\sin\Omega} z_0 + \frac{\sin(t\Omega)}{\sin\Omega} z_1` with
    :math:`\cos\Omega = \langle z_0, z_1\rangle / (\|z_0\| \|z_1\|)`, which keeps :math:`\|z(t)\|` constant when
    :math:`\|z_0\| = \|z_1\|` (a Gaussian latent's norm concentrates near :math:`\sqrt D`, and a linear path's
    midpoint is shorter, hence lower-contrast). Since the generator is affine, the linear path's images are
    the linear blend of the endpoint images.

Projection (:func:`project`)
    The minimum-norm least-squares latent of an image ``x``:

    .. math::  z^\star = \arg\min \{ \|z\| : z \in \arg\min_z \|z F + b + \mu_X - x\|_2 \}
               = (x - b - \mu_X) F^+,

    with :math:`F^+ = V_r \Sigma_r^{-1} U_r^T` from the SVD :math:`F = U \Sigma V^T` keeping the singular values
    :math:`\sigma_i > \max(D, d)\, \varepsilon\, \sigma_1` (:math:`\varepsilon` the float64 machine epsilon; the
    tolerance of ``numpy.linalg.lstsq``). The reconstruction :math:`\hat x = z^\star F + b + \mu_X` is the
    orthogonal projection of ``x`` onto the model's affine range (the support of its Gaussian). Reported per image:
    the RMS error :math:`\|x - \hat x\|_2 / \sqrt d` in pixel units, and the fraction of the centred image's
    energy the range explains, :math:`\|\hat x - b - \mu_X\|^2 / \|x - b - \mu_X\|^2 \in [0, 1]`.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from convexgan._validation import check_choice, check_int

if TYPE_CHECKING:
    from convexgan.progressive.model.generator import ProgressiveGenerator

METHODS = ("linear", "spherical")


def _latent(z: ArrayLike, D: int, name: str) -> NDArray[np.float64]:
    z = np.asarray(z, dtype=np.float64)
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[1] != D or not np.all(np.isfinite(z)):
        raise ValueError(f"{name} must be a finite latent of shape ({D},) or (n, {D}); got shape {z.shape}")
    return z


def interpolation_path(z0: NDArray[np.float64], z1: NDArray[np.float64], steps: int,
                       method: str = "linear") -> NDArray[np.float64]:
    """Latents along the path from ``z0`` to ``z1`` (see the module docstring).

    Parameters
    ----------
    z0, z1 : ndarray (n, D) float64
    steps : int
        Points on the path, endpoints included (``t = 0, 1/(steps-1), ..., 1``).
    method : {'linear', 'spherical'}

    Returns
    -------
    ndarray (n, steps, D) float64
    """
    steps = check_int(steps, "steps", 2, 10**6)
    check_choice(method, "method", METHODS)
    t = np.linspace(0.0, 1.0, steps)[None, :, None]
    a, b = z0[:, None, :], z1[:, None, :]
    if method == "linear":
        return (1 - t) * a + t * b
    norms = np.linalg.norm(z0, axis=1) * np.linalg.norm(z1, axis=1)
    cos = np.divide(np.sum(z0 * z1, axis=1), norms, out=np.ones_like(norms), where=norms > 0)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))[:, None, None]
    sin = np.sin(omega)
    # Parallel endpoints (sin Omega ~ 0): the great circle is undefined and the linear path is the limit.
    small = sin < 1e-12
    safe = np.where(small, 1.0, sin)
    w0 = np.where(small, 1 - t, np.sin((1 - t) * omega) / safe)
    w1 = np.where(small, t, np.sin(t * omega) / safe)
    return w0 * a + w1 * b


def interpolate(generator: "ProgressiveGenerator", z0: ArrayLike, z1: ArrayLike, steps: int, method: str = "linear",
                stage: int | None = None, *, clip: bool = False) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
    """Images along the latent path from ``z0`` to ``z1``.

    Parameters
    ----------
    generator : ProgressiveGenerator
    z0, z1 : array-like (D,) or (n, D)
        Full latents of ``stage`` (``D = generator.latent_size(stage)``), e.g. rows of ``generator.latents``.
    steps : int
        Images per path, endpoints included.
    method : {'linear', 'spherical'}
    stage : int or None
        Stage index (default: the last).
    clip : bool
        Clip the images to [0, 1].

    Returns
    -------
    images : ndarray (n, steps, r, r, C) float32
        ``images[:, 0]`` and ``images[:, -1]`` are the images of ``z0`` and ``z1``.
    latents : ndarray (n, steps, D) float64

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from convexgan.data import toy_images
    >>> from convexgan.progressive import train
    >>> generator = train(toy_images(60, 8, seed=0), pathlib.Path(tempfile.mkdtemp()) / "run", resolutions=(4, 8),
    ...                   k=(3, 5), progress=False)
    >>> z0, z1 = generator.latents(2, seed=0)
    >>> images, latents = interpolate(generator, z0, z1, steps=5)
    >>> images.shape
    (1, 5, 8, 8, 3)
    >>> bool(np.allclose(latents[0, 2], (z0 + z1) / 2))
    True
    """
    D = generator.latent_size(stage)
    z0, z1 = _latent(z0, D, "z0"), _latent(z1, D, "z1")
    if z0.shape != z1.shape:
        raise ValueError(f"z0 and z1 must have the same shape; got {z0.shape} and {z1.shape}")
    path = interpolation_path(z0, z1, steps, method)
    n, steps = path.shape[:2]
    images = generator.generate(torch.from_numpy(path.reshape(n * steps, D)), stage, clip=clip, dtype=torch.float64)
    return images.reshape(n, steps, *images.shape[1:]), path


@dataclass
class Projection:
    """Real images projected onto the range of a generator (see the module docstring).

    Attributes
    ----------
    latents : ndarray (n, D) float64
        Minimum-norm least-squares latents :math:`z^\\star`.
    reconstructions : ndarray (n, r, r, C) float32
        Their images :math:`\\hat x` (not clipped).
    rms_error : ndarray (n,) float64
        :math:`\\|x - \\hat x\\|_2 / \\sqrt d`, pixel units.
    explained : ndarray (n,) float64
        Fraction of the centred image's energy in the model's range.
    rank : int
        Rank of ``F`` at the tolerance used.
    """

    latents: NDArray[np.float64]
    reconstructions: NDArray[np.float32]
    rms_error: NDArray[np.float64]
    explained: NDArray[np.float64]
    rank: int


def pseudo_inverse(F: NDArray[np.float64]) -> tuple[NDArray[np.float64], int]:
    r"""``(F^+, rank)`` of ``F (D, d)`` by SVD, keeping :math:`\sigma_i > \max(D, d)\,\varepsilon\,\sigma_1`."""
    U, sigma, Vt = np.linalg.svd(F, full_matrices=False)
    tol = max(F.shape) * np.finfo(np.float64).eps * (sigma[0] if sigma.size else 0.0)
    r = int(np.sum(sigma > tol))
    return (Vt[:r].T / sigma[:r]) @ U[:, :r].T, r


def project(generator: "ProgressiveGenerator", images: ArrayLike, stage: int | None = None) -> Projection:
    """Minimum-norm latents whose images are closest, in least squares, to ``images``.

    Parameters
    ----------
    generator : ProgressiveGenerator
    images : array-like (n, r, r, C)
        Real images in pixel units (0 black, 1 white), HWC, at the stage's resolution and channels.
    stage : int or None
        Stage index (default: the last).

    Returns
    -------
    Projection

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from convexgan.data import toy_images
    >>> from convexgan.progressive import train
    >>> generator = train(toy_images(60, 8, seed=0), pathlib.Path(tempfile.mkdtemp()) / "run", resolutions=(4, 8),
    ...                   k=(3, 5), progress=False)
    >>> samples = generator.sample(3, seed=2)
    >>> projection = project(generator, samples)
    >>> bool(np.all(projection.rms_error < 1e-4))  # generated images lie in the model's range
    True
    """
    last = generator.stage_index(stage)
    s = generator.stages[last]
    x = np.asarray(images, dtype=np.float64)
    shape = (s.resolution, s.resolution, s.channels)
    if x.ndim != 4 or x.shape[1:] != shape or x.shape[0] < 1:
        raise ValueError(f"images must have shape (n, {', '.join(map(str, shape))}) for stage {last}; got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("images must be finite")
    F, b = (t.numpy() for t in generator.affine_map(last))
    centre = b + s.mean.numpy()
    c = x.reshape(len(x), -1) - centre
    F_plus, rank = pseudo_inverse(F)
    z = c @ F_plus
    fitted = z @ F
    residual = c - fitted
    energy = np.sum(c**2, axis=1)
    explained = np.divide(np.sum(fitted**2, axis=1), energy, out=np.ones_like(energy), where=energy > 0)
    return Projection(latents=z, reconstructions=(fitted + centre).reshape(x.shape).astype(np.float32),
                      rms_error=np.sqrt(np.mean(residual**2, axis=1)), explained=explained, rank=rank)
