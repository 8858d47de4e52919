"""``convexgan export RUN [--format torchscript|onnx|safetensors|npz] [--out PATH]``: the trained generator as a file
that reproduces its samples without convexgan.

Every format holds the affine map of one stage, ``x = z F + b + mean`` with ``z ~ N(0, I_D)``: torchscript and onnx
a module whose ``forward(z)`` returns NCHW float32 images (mean included, not clipped); safetensors and npz the
tensors ``F (D, d)``, ``b (d,)`` and ``mean (d,)`` (float64, pixels in HWC order) with ``resolution`` and
``channels``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from convexgan.progressive import ProgressiveGenerator

FORMATS = {"torchscript": ".pt", "onnx": ".onnx", "safetensors": ".safetensors", "npz": ".npz"}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``export`` sub-command."""
    p = subparsers.add_parser("export", help="export a trained run's generator (TorchScript, ONNX, safetensors, npz)",
                              description="Write the generator of a run folder as a file whose samples equal "
                              "`convexgan sample`'s for the same latents: torchscript/onnx hold a module "
                              "forward(z) -> NCHW float32 images (mean included); safetensors/npz hold F, b and "
                              "mean (images = z F + b + mean, pixels in HWC order).")
    p.add_argument("run", help="run folder")
    p.add_argument("--format", default="torchscript", choices=sorted(FORMATS),
                   help="file format (default: %(default)s)")
    p.add_argument("--out", help="output file (default: RUN/generator.<extension of the format>)")
    p.add_argument("--stage", type=int, help="stage index (default: the last finished)")
    p.set_defaults(func=run)


def export_generator(generator: ProgressiveGenerator, fmt: str, path: Path, stage: int | None = None) -> Path:
    """Write stage ``stage`` of ``generator`` to ``path`` in format ``fmt`` (one of :data:`FORMATS`)."""
    import numpy as np
    import torch

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {sorted(FORMATS)}; got {fmt!r}")
    last = generator.stage_index(stage)
    F, b = generator.affine_map(last)
    s = generator.stages[last]
    if fmt == "torchscript":
        torch.jit.script(generator.to_module(last)).save(str(path))
    elif fmt == "onnx":
        module = generator.to_module(last)
        torch.onnx.export(module, (torch.zeros(1, module.latent_size, dtype=torch.float64),), str(path),
                          input_names=["z"], output_names=["images"], dynamo=False,
                          dynamic_axes={"z": {0: "n"}, "images": {0: "n"}})
    elif fmt == "safetensors":
        try:
            from safetensors.torch import save_file
        except ImportError as exc:
            raise ValueError("--format safetensors needs the safetensors package: pip install "
                             "'convexgan[export]'") from exc
        save_file({"F": F.contiguous(), "b": b.contiguous(), "mean": s.mean.to(torch.float64).contiguous()},
                  str(path), metadata={"resolution": str(s.resolution), "channels": str(s.channels),
                                       "pixel_order": "HWC"})
    else:
        np.savez(path, F=F.numpy(), b=b.numpy(), mean=s.mean.to(torch.float64).numpy(),
                 resolution=s.resolution, channels=s.channels, pixel_order="HWC")
    return path


def run(args: argparse.Namespace) -> int:
    """Check the arguments, load the run, export, print the written path."""
    if not (Path(args.run) / "config.json").is_file():
        raise ValueError(f"RUN={args.run!r} must be a run folder (a folder holding the config.json that "
                         f"convexgan train writes)")
    if args.stage is not None and args.stage < 0:
        raise ValueError(f"--stage={args.stage} must be >= 0 (a finished stage's index)")
    from convexgan.progressive import load_generator

    out = Path(args.out) if args.out else Path(args.run) / f"generator{FORMATS[args.format]}"
    generator = load_generator(args.run)
    print(export_generator(generator, args.format, out, args.stage))
    return 0
