"""Progressive convex training on images (ProCoGAN), exact at every stage, streaming, resumable.

Public API
----------
train(data, out, config=None, **options)
    Train into a run folder; returns a :class:`ProgressiveGenerator`. The options (resolutions, k or beta,
    mode, device, seed, resume, ...) are those of :class:`TrainConfig`, given as one object or as keywords.
load_generator(folder)
    A finished (or partly finished) run as a :class:`ProgressiveGenerator`.
ProgressiveGenerator.sample(n, seed=0, stage=None, *, clip=False)
    ``(n, r, r, C)`` float32 images in pixel units (mean added back); ``.resolutions`` lists the stages.
accumulate_moments(source, resolutions, ...), top_eigenpairs(S, k, method)
    The streaming moments and top-k eigen-solvers the trainer uses.
"""

from convexgan._extras import require

require("train", "torch", user=__name__)
require("train", "PIL", user=__name__)

from convexgan.progressive.config import TrainConfig
from convexgan.progressive.eigen import top_eigenpairs
from convexgan.progressive.generator import ProgressiveGenerator, StageWeights
from convexgan.progressive.moments import Moments, accumulate_moments
from convexgan.progressive.run import load_generator
from convexgan.progressive.trainer import RankDefectWarning, train

__all__ = [
    "Moments", "ProgressiveGenerator", "RankDefectWarning", "StageWeights", "TrainConfig", "accumulate_moments",
    "load_generator", "top_eigenpairs", "train",
]
