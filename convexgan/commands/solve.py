"""``convexgan solve``: solve one WGAN exactly on an array of samples and print its certificate."""

from __future__ import annotations

import argparse
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from convexgan._files import write_option_file
from convexgan._limits import check_bytes, check_declared, npy_header, npz_headers
from convexgan.commands import phase
from convexgan.duality import solve
from convexgan.duality.critics import CRITIC_GAPS
from convexgan.duality.programs import PROGRAMS

T = TypeVar("T")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``convexgan solve``."""
    parser = subparsers.add_parser(
        "solve",
        help="solve a WGAN with a two-layer critic exactly and print the certificate",
        description="Solve min R_g(G) s.t. (C) for samples in DATA (.npy, or .npz with --key); rows are samples, "
        "extra axes are flattened. Array sizes (declared in the files' headers, or asked for by --m and --latent) "
        "are checked before allocation against CONVEXGAN_MAX_BYTES (default: the physical memory; e.g. "
        "CONVEXGAN_MAX_BYTES=64G raises it). DATA is used as given, NOT centred: the expectations are means over "
        "the rows, so the linear critic matches the mean mu_X = X^T 1 / n and the quadratic critic the second "
        "moment S_X = X^T X / n, which is the covariance only when DATA is centred (subtract X.mean(0) yourself "
        "to match covariances, as `convexgan train` does per pixel).",
    )
    parser.add_argument("data", type=Path, help="samples: DATA.npy or DATA.npz")
    parser.add_argument("--key", help="array name inside a .npz holding several arrays")
    parser.add_argument("--critic", required=True, choices=sorted(CRITIC_GAPS))
    parser.add_argument("--generator", default="free", choices=sorted({g for g, _ in PROGRAMS}))
    strength = parser.add_mutually_exclusive_group(required=True)
    strength.add_argument("--beta", type=float, help="critic regularisation in mean units")
    strength.add_argument("--k", type=int, help="number of kept components (quadratic critic)")
    parser.add_argument("--z", type=Path, help="generator input Z as .npy (generators other than free)")
    parser.add_argument("--latent", type=int, help="draw Z ~ N(0, I) with this many columns plus a ones column")
    parser.add_argument("--seed", type=int, default=0, help="seed for --latent (default 0)")
    parser.add_argument("--method", default="auto", help="auto (default), closed_form, cvxpy, or a registered method")
    parser.add_argument("--solver", help="SCS, CLARABEL or MOSEK (default: per problem class)")
    parser.add_argument("--m", type=int, help="number of samples of the free generator (default n)")
    for name in ("a", "b", "c"):
        parser.add_argument(f"--{name}", type=float, help=f"polynomial critic coefficient {name}")
    parser.add_argument("--json", type=Path, help="also write the certificate and summary to this JSON file")
    parser.add_argument("--npy", type=Path, metavar="PATH",
                        help="also save the generated samples G (m, d) float64 to this .npy file")
    parser.add_argument("--weights-npy", type=Path, metavar="PATH",
                        help="also save the generator's weights W (d_z, d) float64, G = Z W, to this .npy file "
                             "(--generator linear only)")
    parser.add_argument("--critic-npy", type=Path, metavar="PATH",
                        help="also save the critic's neurons U (d, p) float64 to this .npy file: column j is u_j of "
                             "D(x) = sum_j v_j sigma(u_j^T x); the output weights v are in --json (critic_v)")
    parser.set_defaults(func=run)


def _read_array(read: Callable[[], T], path: Path) -> T:
    """Call ``read()`` (a numpy load), turning numpy's and zipfile's errors into a ``ValueError`` naming ``path``."""
    try:
        return read()
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path} cannot be read as .npy/.npz without pickle ({err})") from None


def load_samples(path: Path, key: str | None = None) -> NDArray[Any]:
    """Load an ``(n, ...)`` array from ``.npy``/``.npz`` (no pickles) and flatten it to ``(n, d)``.

    The shape and dtype the file's header declares are checked against ``CONVEXGAN_MAX_BYTES`` before the data
    are read.
    """
    if not path.exists():
        raise FileNotFoundError(f"data file {path} does not exist")
    if not path.is_file():
        raise ValueError(f"data file {path} is not a regular file (a FIFO, device or folder); solve reads "
                         f"the samples of a .npy/.npz file")
    if _read_array(lambda: _is_npz(path), path):
        headers = _read_array(lambda: npz_headers(path), path)
        declared = {name: (shape, dtype) for name, (shape, dtype) in headers.items()
                    if shape is not None and dtype is not None}
        names = list(declared)
        if key is None and len(names) != 1:
            raise ValueError(f"{path} holds arrays {names}; choose one with --key")
        name = key if key is not None else names[0]
        if name not in names:
            raise ValueError(f"--key={name!r} is not in {path}; it holds {names}")
        check_declared(*declared[name], f"{path} member {name!r}")
        array = _read_array(lambda: _npz_member(path, name), path)
    else:
        check_declared(*_read_array(lambda: npy_header(path), path), str(path))
        array = _read_array(lambda: np.load(path, allow_pickle=False), path)
    if array.ndim < 2:
        raise ValueError(f"{path} must hold an array with samples as rows; got shape {array.shape}")
    return array.reshape(array.shape[0], -1)


def _is_npz(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def _npz_member(path: Path, name: str) -> NDArray[Any]:
    with np.load(path, allow_pickle=False) as archive:
        member: NDArray[Any] = archive[name]
    return member


def _generator_input(args: argparse.Namespace, n: int) -> NDArray[Any] | None:
    if args.z is not None:
        if not args.z.exists():
            raise FileNotFoundError(f"--z file {args.z} does not exist")
        check_declared(*_read_array(lambda: npy_header(args.z), args.z), f"--z {args.z}")
        return _read_array(lambda: np.load(args.z, allow_pickle=False), args.z)
    if args.latent is not None:
        if args.latent < 0:
            raise ValueError(f"--latent={args.latent} must be >= 0 (Gaussian columns beside the ones column)")
        check_bytes(8 * n * (args.latent + 1), f"--latent={args.latent} (Z of {n} x {args.latent + 1} float64)")
        rng = np.random.default_rng(args.seed)
        return np.hstack([rng.standard_normal((n, args.latent)), np.ones((n, 1))])
    return None


def _check_sample_count(args: argparse.Namespace, d: int) -> None:
    """``--m`` free-generator samples: ``G`` (m, d) and its factor (m, d + 1) in float64."""
    if args.m is not None and args.m > 0:
        check_bytes(8 * args.m * (d + 1), f"--m={args.m} (generated samples G of {args.m} x {d} float64)")


def run(args: argparse.Namespace) -> int:
    """Solve, print the certificate as a table, optionally write JSON and the arrays; return 0."""
    if args.weights_npy is not None and args.generator != "linear":
        raise ValueError(f"--weights-npy needs --generator linear (G = Z W); --generator {args.generator} has no "
                         f"weight matrix W to save")
    with phase(args, "load"):
        X = load_samples(args.data, args.key)
    _check_sample_count(args, X.shape[1])
    params = {name: getattr(args, name) for name in ("a", "b", "c") if getattr(args, name) is not None}
    with phase(args, "solve"):
        solution = solve(
            X, args.critic, args.generator, Z=_generator_input(args, X.shape[0]), beta=args.beta, k=args.k,
            method=args.method, solver=args.solver, m=args.m, **params,
        )
    summary = {
        "n": X.shape[0],
        "d": X.shape[1],
        "generator": solution.generator,
        "critic": args.critic,
        "method": solution.method,
        "beta": solution.beta,
        "k": solution.k,
        "value": solution.value,
        "critic_neurons": int(solution.critic.U.shape[1]),
    }
    rows = {**summary, **{f"certificate.{key}": value for key, value in solution.certificate.items()}}
    width = max(len(key) for key in rows)
    for key, value in rows.items():
        shown = f"{value:.10g}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}  {shown}")
    if args.json is not None:
        text = json.dumps({**summary, "critic_v": solution.critic.v.tolist(), "certificate": solution.certificate},
                          indent=2)
        write_option_file("--json", args.json, lambda fh: fh.write(text.encode()))
    saved = {"--npy": (args.npy, solution.G), "--weights-npy": (args.weights_npy, solution.W),
             "--critic-npy": (args.critic_npy, solution.critic.U)}
    for option, (path, array) in saved.items():
        if path is not None and array is not None:
            write_option_file(option, path, _npy_writer(array))
    return 0


def _npy_writer(array: NDArray[Any]) -> Callable[[IO[bytes]], None]:
    """A writer of ``array`` as ``.npy`` for :func:`convexgan._files.write_option_file`."""
    return lambda fh: np.save(fh, array)
