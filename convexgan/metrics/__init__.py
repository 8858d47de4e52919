"""Evaluation metrics: moment errors, Bures-Wasserstein, sliced Wasserstein on pyramid patches, FID and KID.

FID and KID use features from an extractor the caller supplies (any callable from images to feature vectors, or
a local TorchScript file loaded by :mod:`convexgan.metrics.extractors`); every result records the extractor,
the resizer, the input dtype and the sample counts. Statistics are computed in float64.

The names below are imported on first use (PEP 562): the feature extractors need torch (the ``train`` extra),
the other metrics only the core install, and none imports CVXPY.
"""

import importlib
from typing import Any

_HOMES = {
    "SampleSizeWarning": "_sample_size",
    "bures_wasserstein": "bures",
    "bures_wasserstein_samples": "bures",
    "gaussian_fit": "bures",
    "TorchScriptExtractor": "extractors",
    "load_extractor": "extractors",
    "load_inception_2015_12_05": "extractors",
    "load_torchscript_extractor": "extractors",
    "inception_features": "inception",
    "load_inception": "inception",
    "FeatureDistance": "features",
    "extract_features": "features",
    "fid": "frechet",
    "fid_from_features": "frechet",
    "frechet_distance": "frechet",
    "kernel_distance": "kernel",
    "kid": "kernel",
    "kid_from_features": "kernel",
    "MomentErrors": "moments",
    "moment_errors": "moments",
    "SlicedWasserstein": "sliced",
    "sliced_wasserstein_pyramid": "sliced",
}

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
    "inception_features",
    "kernel_distance",
    "kid",
    "kid_from_features",
    "load_extractor",
    "load_inception",
    "load_inception_2015_12_05",
    "load_torchscript_extractor",
    "moment_errors",
    "sliced_wasserstein_pyramid",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'convexgan.metrics' has no attribute {name!r}")
    return getattr(importlib.import_module(f"convexgan.metrics.{_HOMES[name]}"), name)


def __dir__() -> list[str]:
    return __all__
