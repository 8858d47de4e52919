"""Where the trainer and the sampler run: ``'auto'``, ``'cpu'``, ``'cuda'`` or ``'cuda:N'``, checked before use."""

import torch

from convexgan._validation import check_device

TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}
"""The torch dtype of each name in :data:`~convexgan.choices.MOMENT_DTYPES`."""


def resolve_device(device: str | torch.device, name: str = "device") -> torch.device:
    """The ``torch.device`` of ``device``: ``'auto'`` is CUDA when available, else CPU.

    Parameters
    ----------
    device : str or torch.device
        ``'auto'``, ``'cpu'``, ``'cuda'`` (the current GPU) or ``'cuda:N'``.
    name : str
        The argument's name in error messages (e.g. ``'--device'``).

    Raises
    ------
    RuntimeError
        CUDA asked for but not available.
    ValueError
        A misspelt device, or a GPU index ``N >= torch.cuda.device_count()``.
    """
    text = check_device(device, name)
    if text == "auto":
        text = "cuda" if torch.cuda.is_available() else "cpu"
    if text.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError(f"{name}={text!r} was requested but torch.cuda.is_available() is False")
        count = torch.cuda.device_count()
        index = int(text.partition(":")[2] or 0)
        if index >= count:
            raise ValueError(f"{name}={text!r} names GPU {index}, but torch.cuda.device_count() is {count} "
                             f"(valid: {', '.join(f'cuda:{i}' for i in range(count))})")
    return torch.device(text)
