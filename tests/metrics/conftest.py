"""A tiny TorchScript feature network with the FID Inception file's interface, saved to a temporary file."""

import warnings

import pytest

try:
    import torch
except ImportError:  # a core install: the metrics tests that need no torch still run, the others skip
    torch = None


if torch is not None:

    class TinyFeatures(torch.nn.Module):
        """``forward(x, return_features)`` on NCHW images in [0, 255], like ``inception-2015-12-05.pt``."""

        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.conv = torch.nn.Conv2d(3, 6, 3)

        def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
            h = torch.tanh(self.conv(x / 255.0)).mean(dim=(2, 3))
            return h if return_features else h.sum(dim=1)


@pytest.fixture
def tiny_network():
    """An unscripted :class:`TinyFeatures`, for reference features."""
    return TinyFeatures().eval()


@pytest.fixture
def tiny_file(tmp_path):
    """Path of a scripted :class:`TinyFeatures`."""
    path = tmp_path / "tiny.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.13 deprecates TorchScript; FID files use it
        torch.jit.save(torch.jit.script(TinyFeatures()), str(path))
    return path
