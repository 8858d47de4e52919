"""Evaluation metrics: moment errors, Bures-Wasserstein, sliced Wasserstein on pyramid patches, FID and KID.

FID and KID use features from an extractor the caller supplies (any callable from images to feature vectors, or
a local TorchScript file loaded by :mod:`convexgan.metrics.extractors`); every result records the extractor,
the resizer, the input dtype and the sample counts. Statistics are computed in float64.
"""

from convexgan.metrics._sample_size import SampleSizeWarning
from convexgan.metrics.bures import bures_wasserstein, bures_wasserstein_samples, gaussian_fit
from convexgan.metrics.extractors import (
    TorchScriptExtractor,
    load_extractor,
    load_inception_2015_12_05,
    load_torchscript_extractor,
)
from convexgan.metrics.features import FeatureDistance, extract_features
from convexgan.metrics.frechet import fid, fid_from_features, frechet_distance
from convexgan.metrics.kernel import kernel_distance, kid, kid_from_features
from convexgan.metrics.moments import MomentErrors, moment_errors
from convexgan.metrics.sliced import SlicedWasserstein, sliced_wasserstein_pyramid

__all__ = [
    "FeatureDistance",
    "MomentErrors",
    "SampleSizeWarning",
    "SlicedWasserstein",
    "TorchScriptExtractor",
    "bures_wasserstein",
    "bures_wasserstein_samples",
    "extract_features",
    "fid",
    "fid_from_features",
    "frechet_distance",
    "gaussian_fit",
    "kernel_distance",
    "kid",
    "kid_from_features",
    "load_extractor",
    "load_inception_2015_12_05",
    "load_torchscript_extractor",
    "moment_errors",
    "sliced_wasserstein_pyramid",
]
