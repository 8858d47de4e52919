"""Progressive convex training on images (ProCoGAN), exact at every stage, streaming, resumable.

Public API
----------
``train(data, out, config=None, **options)``
    Train into a run folder; returns a :class:`ProgressiveGenerator`. The options (resolutions, k or beta,
    mode, device, seed, resume, ...) are those of :class:`TrainConfig`, given as one object or as keywords.
``load_generator(folder)``
    A finished (or partly finished) run as a :class:`ProgressiveGenerator`.
``ProgressiveGenerator.sample(n, seed=0, stage=None, *, clip=False)``
    ``(n, r, r, C)`` float32 images in pixel units (mean added back); ``.resolutions`` lists the stages. Image
    ``i`` depends on ``(seed, i)`` only.
``ProgressiveGenerator.latents``, ``.generate``, ``.latent_size``, ``.split_latent``
    The full latent ``z (n, D)`` (all stages' fresh columns) and its images ``z F + b + mean``.
``interpolate(generator, z0, z1, steps, method="linear", stage=None)``, ``project(generator, images, stage=None)``
    Latent interpolation (linear or spherical) and the minimum-norm least-squares latent of real images.
``evaluate_run(run, data, n=1000, ...)``
    A run against real images, stage by stage, with the real-vs-real floor.
``accumulate_moments(source, resolutions, ...)``, ``top_eigenpairs(S, k, method)``
    The streaming moments and top-k eigen-solvers the trainer uses.

Layout (imports run down this list, never up; ``tests/test_imports.py`` checks it):
:mod:`convexgan.choices` (outside the package: the vocabulary, choices, defaults, tolerances),
:mod:`~convexgan.progressive.runtime` (device, processes, progress, timing, memory),
:mod:`~convexgan.progressive.linalg` (eigen-solvers, Krylov, Gram, the operator certificate),
:mod:`~convexgan.progressive.model` (stage weights, generator, latents, seeds),
:mod:`~convexgan.progressive.pipeline` (pixel cache, moments, the data operator),
:mod:`~convexgan.progressive.stages` (closed form, principled, legacy, the eigen-path policy, the stage report),
:mod:`~convexgan.progressive.config` (:class:`TrainConfig`),
:mod:`~convexgan.progressive.runs` (the run folder), then :mod:`~convexgan.progressive.trainer` and
:mod:`~convexgan.progressive.evaluation`.
"""

from convexgan._extras import require

require("train", "torch", user=__name__)
require("train", "PIL", user=__name__)

from convexgan.exceptions import RankDefectWarning
from convexgan.progressive.config import TrainConfig
from convexgan.progressive.evaluation import evaluate_run
from convexgan.progressive.linalg.eigen import top_eigenpairs
from convexgan.progressive.model.generator import ProgressiveGenerator, StageWeights
from convexgan.progressive.model.latent import Projection, interpolate, project
from convexgan.progressive.pipeline.moments import Moments, accumulate_moments
from convexgan.progressive.runs.folder import load_generator
from convexgan.progressive.trainer import train

__all__ = [
    "Moments", "ProgressiveGenerator", "Projection", "RankDefectWarning", "StageWeights", "TrainConfig",
    "accumulate_moments", "evaluate_run", "interpolate", "load_generator", "project", "top_eigenpairs", "train",
]
