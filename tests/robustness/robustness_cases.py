"""The catalogue of bad inputs: arrays, beta and k, generator inputs, problem sizes, image folders, archives,
checkpoints and run folders, crafted (code-carrying) files, unwritable outputs.

``CASES`` is a list of :class:`robustness_outcomes.Case`; ``test_robustness_cases.py`` runs each one and
``benchmarks/robustness_summary.py`` counts how they ended. Every expected result is checked against an
independent computation (numpy eigenvalues, Pillow resizing, the weights of an uninterrupted run).
"""

import atexit
import functools
import io
import json
import pickle
import re
import shutil
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from convexgan import metrics
from convexgan.data import load_images, toy_images
from convexgan.duality import InfeasibleError, beta_from_k, critic_gap, k_from_beta, solve
from convexgan.progressive import load_generator, train
from robustness_outcomes import MARKER, Case, Exits, Raises, Returns, Warns, run_cli

RESOLUTION = 8
TRAIN = {"resolutions": (4, 8), "k": [3, 5], "latent": 4, "seed": 3}
TRAIN_ARGV = ("--resolutions", "4", "8", "--k", "3", "5", "--latent", "4", "--seed", "3", "--quiet")


# ----------------------------------------------------------------------------------------------------- data

def samples(n=20, d=4, seed=0):
    """Generic real samples ``(n, d)``: distinct eigenvalues, nonzero mean."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) * np.linspace(2.0, 0.5, d) + 0.3


X = samples()
WIDE = samples(50, 400)


def with_entry(value, index=(3, 1)):
    """``X`` with one entry replaced by ``value``."""
    bad = X.copy()
    bad[index] = value
    return bad


def eigenvalues(A):
    """Descending eigenvalues of ``A^T A / n`` (numpy, independent of the package)."""
    A = np.asarray(A, dtype=np.float64)
    return np.sort(np.linalg.eigvalsh(A.T @ A / A.shape[0]))[::-1]


def wide_beta():
    """The 11th eigenvalue of ``WIDE``'s second moment: the closed form keeps 10 of its 50 components."""
    return float(eigenvalues(WIDE)[10])


def check_quadratic_free(X_used, beta):
    """A checker: ``S_G = (S_X - beta I)_+`` through its eigenvalues, and (C) holds."""

    def check(solution):
        expected = np.maximum(eigenvalues(X_used) - beta, 0.0)
        got = eigenvalues(solution.G)
        assert np.allclose(got, expected, atol=1e-9 * max(1.0, expected.max())), (got, expected)
        assert critic_gap(X_used, solution.G, "quadratic") <= beta * (1 + 1e-9)

    return check


def check_linear_quadratic(X_used, Z, beta):
    """A checker: ``W^T S_Z W = (S_X - beta I)_+`` through its eigenvalues, ``G = Z W`` and (C) holds."""

    def check(solution):
        expected = np.maximum(eigenvalues(X_used) - beta, 0.0)
        got = eigenvalues(Z @ solution.W)
        assert np.allclose(got[: expected.size], expected, rtol=1e-9, atol=0), (got, expected)
        assert np.array_equal(solution.G, Z @ solution.W)
        assert critic_gap(X_used, solution.G, "quadratic") <= beta * (1 + 1e-9)

    return check


def as_float64(A):
    """``A`` converted by numpy, the oracle for inputs of other dtypes."""
    return np.asarray(A, dtype=np.float64)


def rank_one_samples():
    """``(6, 3)`` samples on one line: ``rank S_X = 1``."""
    return np.outer(np.arange(1.0, 7.0), [1.0, -2.0, 0.5])


def smallest_feasible_beta_works(tmp):
    """Solve with a rank-1 ``Z``, read the smallest feasible beta from the error, solve again just above it."""
    Z = np.ones((20, 1))
    try:
        solve(X, "quadratic", "linear", Z=Z, k=2)
    except InfeasibleError as err:
        message = str(err)
    beta = float(re.search(r"smallest feasible beta is [^=]*= ([-+.e0-9]+)", message).group(1))
    return beta, solve(X, "quadratic", "linear", Z=Z, beta=beta * (1 + 1e-9))


def check_smallest_feasible_beta(result):
    beta, solution = result
    assert np.isclose(beta, eigenvalues(X)[1]), (beta, eigenvalues(X))
    assert critic_gap(X, solution.G, "quadratic") <= beta * (1 + 1e-8)


# --------------------------------------------------------------------------------------------------- images

def png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


GOOD = toy_images(4, 12, seed=5)


def make_folder(tmp, files):
    """Write ``{name: bytes}`` into ``tmp / 'images'``; return the folder."""
    folder = tmp / "images"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def good_files():
    return {f"{i:02d}.png": png_bytes(a) for i, a in enumerate(GOOD)}


def pillow_resize(array, mode):
    """One image at ``RESOLUTION`` by Pillow directly (bicubic), float32 in [0, 1], ``(r, r, C)``."""
    image = Image.fromarray(array).convert(mode).resize((RESOLUTION, RESOLUTION), Image.BICUBIC)
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    return pixels[:, :, None] if pixels.ndim == 2 else pixels


def expect_pixels(arrays, mode):
    """A checker: the loaded images equal Pillow's resize of ``arrays`` in ``mode``."""
    expected = np.stack([pillow_resize(a, mode) for a in arrays])

    def check(images):
        assert images.shape == expected.shape, (images.shape, expected.shape)
        assert np.allclose(images, expected, atol=1e-6), f"max difference {np.abs(images - expected).max()}"

    return check


def load_folder(files, **kwargs):
    return lambda tmp: load_images(make_folder(tmp, files), RESOLUTION, **kwargs)


def sixteen_bit_folder(tmp):
    """Grey 16-bit PNGs of ``GOOD``'s first channel scaled by 257 (so ``v16 / 65535 = v8 / 255``)."""
    files = {}
    for i, a in enumerate(GOOD):
        buffer = io.BytesIO()
        Image.fromarray(a[:, :, 0].astype(np.uint16) * 257).save(buffer, "PNG")
        files[f"{i:02d}.png"] = buffer.getvalue()
    return load_images(make_folder(tmp, files), RESOLUTION)


def mixed_sizes_folder(tmp):
    arrays = [toy_images(1, size, seed=size)[0] for size in (7, 12, 20)] + [toy_images(1, 16, seed=1)[0][:, :9]]
    folder = make_folder(tmp, {f"{i:02d}.png": png_bytes(a) for i, a in enumerate(arrays)})
    return arrays, load_images(folder, RESOLUTION)


def check_mixed_sizes(result):
    arrays, images = result
    expect_pixels(arrays, "RGB")(images)


def tar_of(tmp, files, name="images.tar", mode="w"):
    path = tmp / name
    with tarfile.open(path, mode) as archive:
        for member, data in files.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def load_file(name, data):
    """An action: write ``data`` to ``tmp / name`` and load it as images."""

    def action(tmp):
        (tmp / name).write_bytes(data)
        return load_images(tmp / name, RESOLUTION)

    return action


def truncated_tar(cut):
    """An action: a tar of ``good_files()`` cut after ``cut`` bytes, loaded."""

    def action(tmp):
        path = tar_of(tmp, good_files())
        path.write_bytes(path.read_bytes()[:cut])
        return load_images(path, RESOLUTION)

    return action


def truncated_tar_gz(tmp):
    path = tar_of(tmp, good_files(), name="images.tar.gz", mode="w:gz")
    path.write_bytes(path.read_bytes()[:400])
    return load_images(path, RESOLUTION)


def tar_with_bad_member(tmp):
    files = {**good_files(), "zz.jpg": jpeg_bytes(GOOD[0])[:200]}
    return load_images(tar_of(tmp, files), RESOLUTION)


# ---------------------------------------------------------------------------------------------- payloads

class Payload:
    """Unpickling this object calls ``open(path, 'w')``: it creates ``path`` (the marker of executed code)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def payload_npz(path, marker, **arrays):
    """An ``.npz`` whose ``B`` is an object array carrying :class:`Payload`."""
    np.savez(path, B=np.array([Payload(marker)], dtype=object), **arrays)


def payload_pickle(path, marker):
    path.write_bytes(pickle.dumps({"B": Payload(marker)}))


def payload_torch(path, marker):
    torch.save({"B": Payload(marker)}, path)


# --------------------------------------------------------------------------------------------- run folders

@functools.lru_cache(maxsize=None)
def reference_folder():
    """A finished two-stage run on generated images (trained once per process); returns ``(images, run)``."""
    root = Path(tempfile.mkdtemp(prefix="convexgan-robustness-"))
    atexit.register(shutil.rmtree, root, True)
    images = root / "images"
    images.mkdir()
    for i, a in enumerate(toy_images(24, 8, seed=11)):
        Image.fromarray(a).save(images / f"{i:03d}.png")
    train(str(images), root / "run", progress=False, **TRAIN)
    return images, root / "run"


def copy_run(tmp):
    """A copy of the reference run in ``tmp / 'run'``."""
    return Path(shutil.copytree(reference_folder()[1], tmp / "run"))


def stage_file(run, index):
    return run / f"stage{index:02d}_{TRAIN['resolutions'][index]}x{TRAIN['resolutions'][index]}.npz"


def stage_arrays(path):
    with np.load(path, allow_pickle=False) as f:
        return {key: f[key] for key in f.files}


def rewrite_stage(run, index, **changes):
    """Rewrite a stage checkpoint with some arrays replaced (``None`` removes one)."""
    path = stage_file(run, index)
    arrays = stage_arrays(path)
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    np.savez(path, **arrays)
    return run


def same_weights(generator, reference):
    """Assert two progressive generators have identical stages."""
    assert generator.resolutions == reference.resolutions, (generator.resolutions, reference.resolutions)
    for a, b in zip(generator.stages, reference.stages):
        for name in ("mean", "B", "V"):
            assert torch.equal(getattr(a, name), getattr(b, name)), f"stage {a.resolution}: {name} differs"


def check_reference(generator):
    same_weights(generator, load_generator(reference_folder()[1]))


def resume(run):
    return train(str(reference_folder()[0]), run, progress=False, resume=True, **TRAIN)


def with_damaged(damage):
    """An action: copy the reference run, apply ``damage(run, tmp)``, load it."""

    def action(tmp):
        run = copy_run(tmp)
        damage(run, tmp)
        return load_generator(run)

    return action


def truncate(run, tmp):
    path = stage_file(run, 1)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_byte(run, tmp):
    path = stage_file(run, 1)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))


def missing_last_then_resume(tmp):
    run = copy_run(tmp)
    stage_file(run, 1).unlink()
    partial = load_generator(run)
    assert partial.resolutions == [4], partial.resolutions
    return resume(run)


def report_not_json_then_resume(tmp):
    run = copy_run(tmp)
    stage_file(run, 1).unlink()
    (run / "report.json").write_text("{oops")
    return resume(run)


def nan_weights(run, tmp):
    B = stage_arrays(stage_file(run, 1))["B"]
    B[0, 0] = np.nan
    rewrite_stage(run, 1, B=B)


def config_without(key):
    """A damage: remove ``key`` from the run's ``config.json``."""

    def damage(run, tmp):
        config = json.loads((run / "config.json").read_text())
        del config[key]
        (run / "config.json").write_text(json.dumps(config))

    return damage


def truncated_npz(tmp):
    np.savez(tmp / "images.npz", x=GOOD)
    data = (tmp / "images.npz").read_bytes()
    (tmp / "images.npz").write_bytes(data[: len(data) // 2])
    return load_images(tmp / "images.npz", RESOLUTION)


def truncated_then_resume(tmp):
    run = copy_run(tmp)
    truncate(run, tmp)
    return resume(run)


def foreign_version(run, tmp):
    rewrite_stage(run, 1, format=np.array("convexgan.progressive.stage/2"))


def other_package_version(tmp):
    run = rewrite_stage(copy_run(tmp), 1, package_version=np.array("0.0.1"))
    return load_generator(run)


def tampered_config(run, tmp):
    config = json.loads(str(stage_arrays(stage_file(run, 1))["config"]))
    config["k"] = [3, 6]
    rewrite_stage(run, 1, config=np.array(json.dumps(config, sort_keys=True)))


def tampered_shape(run, tmp):
    V = stage_arrays(stage_file(run, 1))["V"]
    rewrite_stage(run, 1, V=V[:-3])


def crafted(write):
    """An action: the reference run with stage 1 replaced by a crafted file ``write(path, marker)``."""

    def action(tmp):
        run = copy_run(tmp)
        write(stage_file(run, 1), tmp / MARKER)
        return load_generator(run)

    return action


def crafted_npz_with_keys(path, marker):
    keys = stage_arrays(stage_file(reference_folder()[1], 1))
    keys.pop("B")
    payload_npz(path, marker, **keys)


def crafted_cli_sample(tmp):
    run = copy_run(tmp)
    payload_npz(stage_file(run, 0), tmp / MARKER)
    return run_cli("sample", run, "--out", tmp / "grid.png")


def cli_solve_on(array):
    """An action: save ``array`` as ``tmp / 'data.npy'`` and run ``convexgan solve`` on it."""

    def action(tmp):
        np.save(tmp / "data.npy", array)
        return run_cli("solve", tmp / "data.npy", "--critic", "quadratic", "--beta", "0.1")

    return action


def crafted_cli_solve(tmp):
    np.save(tmp / "data.npy", np.array([[Payload(tmp / MARKER)]], dtype=object), allow_pickle=True)
    return run_cli("solve", tmp / "data.npy", "--critic", "quadratic", "--beta", "0.1")


def crafted_images_npz(tmp):
    np.savez(tmp / "images.npz", x=np.array([Payload(tmp / MARKER)], dtype=object))
    return load_images(tmp / "images.npz", RESOLUTION)


def train_with(**changes):
    """An action: train the reference images with ``TRAIN`` updated by ``changes`` into ``tmp / 'run'``."""
    return lambda tmp: train(str(reference_folder()[0]), tmp / "run", progress=False, **{**TRAIN, **changes})


def check_constraint(X_used, beta, rel=1e-6):
    """A checker: the solution meets (C) for the quadratic critic up to ``rel``."""

    def check(solution):
        gap = critic_gap(X_used, solution.G, "quadratic")
        assert gap <= beta * (1 + rel), f"critic_gap = {gap!r} > beta = {beta!r} (status {solution.certificate['status']})"

    return check


def junk_extractor(tmp):
    (tmp / "junk.pt").write_bytes(b"not a TorchScript archive")
    return metrics.load_torchscript_extractor(tmp / "junk.pt")


def pictures(n=6, size=16, seed=0):
    """Random float32 images ``(n, size, size, 3)`` in [0, 1]."""
    return np.random.default_rng(seed).random((n, size, size, 3)).astype(np.float32)


def cli_solve_json_under_a_file(tmp):
    np.save(tmp / "x.npy", X)
    return run_cli("solve", tmp / "x.npy", "--critic", "linear", "--beta", "1", "--json", under_a_file(tmp) / "c.json")


def cli_sample_npy_under_a_file(tmp):
    return run_cli("sample", reference_folder()[1], "--out", tmp / "grid.png", "--npy", under_a_file(tmp) / "s.npy")


def cli_solve_latent(latent):
    """An action: ``convexgan solve`` with a linear generator of ``--latent LATENT`` Gaussian columns."""

    def action(tmp):
        np.save(tmp / "x.npy", X)
        return run_cli("solve", tmp / "x.npy", "--critic", "quadratic", "--generator", "linear", "--latent", latent,
                       "--k", "1")

    return action


def train_into(out_of_tmp):
    """An action: train the reference configuration into ``out_of_tmp(tmp)``."""
    return lambda tmp: train(str(reference_folder()[0]), out_of_tmp(tmp), progress=False, **TRAIN)


def under_a_file(tmp):
    (tmp / "file.txt").write_text("not a folder")
    return tmp / "file.txt" / "run"


def existing_file(tmp):
    (tmp / "file.txt").write_text("not a folder")
    return tmp / "file.txt"



# --------------------------------------------------------------------------------------------------- cases

def _error(kind, name, action, error, *fragments, bug=None, payload=False):
    return Case(kind, name, action, Raises(error, fragments), bug=bug, payload=payload)


TRAINING = "training and sampling arguments"
ARRAYS = "arrays X, G, Z"
SCALARS = "beta, k, m, coefficients"
Z_INPUT = "generator input Z"
SIZE = "problem size"
FOLDERS = "image folders"
ARCHIVES = "archives and array files"
CHECKPOINTS = "checkpoints and run folders"
CRAFTED = "crafted code-carrying files"
OUTPUT = "output locations"
METRICS = "metrics inputs"

CASES = [
    _error(ARRAYS, "X with NaN", lambda t: solve(with_entry(np.nan), "quadratic", beta=0.5), ValueError,
           "X must be finite", "1 NaN"),
    _error(ARRAYS, "X with inf", lambda t: solve(with_entry(np.inf), "linear", beta=0.5), ValueError,
           "X must be finite", "1 NaN or infinite"),
    _error(ARRAYS, "X with 0 rows", lambda t: solve(np.empty((0, 4)), "quadratic", beta=0.5), ValueError,
           "X must have at least 1 row", "(0, 4)"),
    _error(ARRAYS, "X empty list", lambda t: solve([], "quadratic", beta=0.5), ValueError, "X must be a 2-D array"),
    _error(ARRAYS, "X 1-D", lambda t: solve(X[0], "quadratic", beta=0.5), ValueError, "X must be a 2-D", "(4,)"),
    _error(ARRAYS, "X 3-D", lambda t: solve(X.reshape(5, 4, 4), "quadratic", beta=0.5), ValueError,
           "X must be a 2-D", "(5, 4, 4)"),
    _error(ARRAYS, "X ragged", lambda t: solve([[1.0, 2.0], [3.0]], "linear", beta=0.5), ValueError,
           "X must be a rectangular", "ragged"),
    _error(ARRAYS, "X strings", lambda t: solve(X.astype(str), "quadratic", beta=0.5), TypeError,
           "X must hold real numbers", "<U"),
    _error(ARRAYS, "X objects", lambda t: solve(X.astype(object), "quadratic", beta=0.5), TypeError,
           "X must hold real numbers", "object"),
    _error(ARRAYS, "X complex", lambda t: solve(X + 1j, "quadratic", beta=0.5), TypeError,
           "X must hold real numbers", "complex"),
    _error(ARRAYS, "X datetimes", lambda t: solve(np.zeros((3, 2), "datetime64[s]"), "linear", beta=0.5), TypeError,
           "X must hold real numbers", "datetime64"),
    _error(ARRAYS, "X finite but S_X overflows", lambda t: solve(X * 1e200, "quadratic", beta=0.5), ValueError,
           "X"),
    Case(ARRAYS, "X of scale 1e-8", lambda t: solve(X * 1e-8, "quadratic", beta=1e-3 * eigenvalues(X * 1e-8)[0]),
         Returns(check_quadratic_free(X * 1e-8, 1e-3 * eigenvalues(X * 1e-8)[0]))),
    Case(ARRAYS, "X of scale 1e-8, linear generator",
         lambda t: solve(X * 1e-8, "quadratic", "linear", Z=samples(20, 5), beta=1e-3 * eigenvalues(X * 1e-8)[0]),
         Returns(check_linear_quadratic(X * 1e-8, samples(20, 5), 1e-3 * eigenvalues(X * 1e-8)[0]))),
    _error(ARRAYS, "G with NaN", lambda t: critic_gap(X, with_entry(np.nan), "quadratic"), ValueError,
           "G must be finite"),
    _error(ARRAYS, "G with other width", lambda t: critic_gap(X, X[:, :3], "linear"), ValueError,
           "G must have d=4 columns", "(20, 3)"),
    _error(ARRAYS, "G with NaN, ReLU critic", lambda t: critic_gap(X[:, :2], with_entry(np.nan)[:, :2], "relu"),
           ValueError, "G must be finite"),
    _error(ARRAYS, "Z 1-D", lambda t: solve(X, "quadratic", "linear", Z=np.ones(20), k=1), ValueError,
           "Z must be a 2-D", "(20,)"),
    _error(ARRAYS, "Z with inf", lambda t: solve(X, "linear", "linear", Z=np.full((20, 3), np.inf), beta=0.5),
           ValueError, "Z must be finite", "60 NaN or infinite"),
    Case(ARRAYS, "X bool", lambda t: solve(X > 0, "quadratic", beta=0.1), Returns(check_quadratic_free(as_float64(X > 0), 0.1))),
    Case(ARRAYS, "X int8", lambda t: solve((X * 9).astype(np.int8), "quadratic", beta=0.1),
         Returns(check_quadratic_free(as_float64((X * 9).astype(np.int8)), 0.1))),
    Case(ARRAYS, "X float16", lambda t: solve(X.astype(np.float16), "quadratic", beta=0.1),
         Returns(check_quadratic_free(as_float64(X.astype(np.float16)), 0.1))),
    Case(ARRAYS, "X torch tensor", lambda t: solve(torch.tensor(X), "quadratic", beta=0.1),
         Returns(check_quadratic_free(X, 0.1))),
    Case(ARRAYS, "X nested list", lambda t: solve(X.tolist(), "quadratic", beta=0.1),
         Returns(check_quadratic_free(X, 0.1))),
    _error(SCALARS, "beta = 0", lambda t: solve(X, "quadratic", beta=0), ValueError, "beta=0.0", "> 0"),
    _error(SCALARS, "beta < 0", lambda t: solve(X, "linear", beta=-1.5), ValueError, "beta=-1.5", "> 0"),
    _error(SCALARS, "beta NaN", lambda t: solve(X, "quadratic", beta=float("nan")), ValueError, "beta=nan"),
    _error(SCALARS, "beta inf", lambda t: solve(X, "quadratic", beta=float("inf")), ValueError, "beta=inf"),
    _error(SCALARS, "beta string", lambda t: solve(X, "quadratic", beta="0.5"), TypeError, "beta", "'0.5'"),
    _error(SCALARS, "beta bool", lambda t: solve(X, "quadratic", beta=True), TypeError, "beta", "True"),
    _error(SCALARS, "beta and k", lambda t: solve(X, "quadratic", beta=0.1, k=1), ValueError, "beta=0.1", "k=1"),
    _error(SCALARS, "neither beta nor k", lambda t: solve(X, "quadratic"), ValueError, "exactly one of beta and k"),
    _error(SCALARS, "k = 0", lambda t: solve(X, "quadratic", k=0), ValueError, "k=0", "between 1 and 3"),
    _error(SCALARS, "k = rank", lambda t: solve(X, "quadratic", k=4), ValueError, "k=4", "between 1 and 3"),
    _error(SCALARS, "k above the rank", lambda t: solve(X, "quadratic", k=11), ValueError, "k=11"),
    _error(SCALARS, "k not an integer", lambda t: solve(X, "quadratic", k=1.5), TypeError, "k must be an integer"),
    _error(SCALARS, "k with the linear critic", lambda t: solve(X, "linear", k=1), ValueError, "k=1", "pass beta"),
    _error(SCALARS, "k on rank-1 data", lambda t: solve(rank_one_samples(), "quadratic", k=1), ValueError, "k=1",
           "rank"),
    _error(SCALARS, "beta_from_k k = 0", lambda t: beta_from_k(X, 0), ValueError, "k=0"),
    _error(SCALARS, "k_from_beta beta NaN", lambda t: k_from_beta(X, float("nan")), ValueError, "beta=nan"),
    _error(SCALARS, "m = 0", lambda t: solve(X, "quadratic", beta=0.1, m=0), ValueError, "m=0"),
    _error(SCALARS, "m below the rank", lambda t: solve(X, "quadratic", beta=0.01, m=2), ValueError, "m=2",
           "m >= 5"),
    _error(SCALARS, "polynomial a = b = 0", lambda t: solve(X, "polynomial", beta=0.1, a=0, b=0), ValueError,
           "a=0 and b=0"),
    _error(SCALARS, "polynomial a NaN", lambda t: solve(X, "polynomial", beta=0.1, a=float("nan")), ValueError,
           "a=nan"),
    _error(SCALARS, "unknown critic", lambda t: solve(X, "cubic", beta=0.1), ValueError, "critic='cubic'"),
    _error(SCALARS, "unknown generator", lambda t: solve(X, "quadratic", "mlp", beta=0.1), ValueError,
           "generator='mlp'"),
    _error(SCALARS, "unknown solver", lambda t: solve(X, "quadratic", beta=0.1, solver="FOO"), ValueError,
           "solver='FOO'"),
    _error(SCALARS, "parameter of another critic", lambda t: critic_gap(X, X, "quadratic", a=1.0), ValueError,
           "['a']", "critic='quadratic'"),
    _error(Z_INPUT, "Z of rank 1", lambda t: solve(X, "quadratic", "linear", Z=np.ones((20, 3)), k=2),
           InfeasibleError, "Z has rank 1", "smallest feasible beta"),
    _error(Z_INPUT, "Z with one row", lambda t: solve(X, "quadratic", "linear", Z=samples(1, 3), k=2),
           InfeasibleError, "Z has rank 1", "smallest feasible beta"),
    _error(Z_INPUT, "Z with zero mean, linear critic",
           lambda t: solve(X, "linear", "linear", Z=samples(20, 3) - samples(20, 3).mean(0), beta=0.1),
           InfeasibleError, "zero mean", "smallest feasible beta"),
    Case(Z_INPUT, "smallest feasible beta from the message", smallest_feasible_beta_works,
         Returns(check_smallest_feasible_beta)),
    _error(Z_INPUT, "Z missing", lambda t: solve(X, "quadratic", "linear", k=1), ValueError, "needs Z"),
    _error(Z_INPUT, "Z for the free generator", lambda t: solve(X, "quadratic", Z=X, k=1), ValueError,
           "Z is not used"),
    _error(Z_INPUT, "m with Z", lambda t: solve(X, "quadratic", "linear", Z=X, k=1, m=5), ValueError, "m=5"),
    _error(SIZE, "d = 400 quadratic SDP", lambda t: solve(WIDE, "quadratic", beta=1.0, method="cvxpy"),
           ValueError, "d=400", "method='closed_form'"),
    _error(SIZE, "d = 400 polynomial SDP", lambda t: solve(WIDE, "polynomial", beta=1.0), ValueError,
           "d=400", "closed form"),
    _error(SIZE, "d = 400 linear generator SDP",
           lambda t: solve(WIDE, "quadratic", "linear", Z=samples(50, 60), k=3, method="cvxpy"),
           ValueError, "d=400"),
    Case(SIZE, "d = 400 closed form", lambda t: solve(WIDE, "quadratic", beta=wide_beta()),
         Returns(check_quadratic_free(WIDE, wide_beta()))),
    Case(SIZE, "d = 400, n = 5, default m", lambda t: solve(samples(5, 400), "quadratic", beta=0.05),
         Returns(check_quadratic_free(samples(5, 400), 0.05))),
    _error(FOLDERS, "empty folder", load_folder({}), ValueError, "holds no images", "images"),
    _error(FOLDERS, "only non-images", load_folder({"a.txt": b"text", "b.csv": b"1,2"}), ValueError,
           "holds no images"),
    _error(FOLDERS, "only unreadable JPEGs", load_folder({"a.jpg": b"not a jpeg", "b.jpg": b""}), ValueError,
           "none of the first 2 images", "is readable"),
    Case(FOLDERS, "zero-byte JPEG among good", load_folder({**good_files(), "zz.jpg": b""}),
         Warns(r"skipped 1 unreadable image\(s\).*zz\.jpg", expect_pixels(GOOD, "RGB"))),
    Case(FOLDERS, "truncated JPEG among good", load_folder({**good_files(), "zz.jpg": jpeg_bytes(GOOD[1])[:300]}),
         Warns(r"skipped 1 unreadable image\(s\).*zz\.jpg", expect_pixels(GOOD, "RGB"))),
    Case(FOLDERS, "three bad files among good",
         load_folder({**good_files(), "x.jpg": b"", "y.jpg": b"junk", "z.png": png_bytes(GOOD[0])[:60]}),
         Warns(r"skipped 3 unreadable image\(s\)", expect_pixels(GOOD, "RGB"))),
    _error(FOLDERS, "truncated JPEG, strict", load_folder({**good_files(), "zz.jpg": b""}, strict=True),
           ValueError, "unreadable image", "zz.jpg"),
    Case(FOLDERS, "grayscale", load_folder({f"{i}.png": png_bytes(a[:, :, 0]) for i, a in enumerate(GOOD)}),
         Returns(expect_pixels([a[:, :, 0] for a in GOOD], "L"))),
    Case(FOLDERS, "RGBA", load_folder({f"{i}.png": png_bytes(np.dstack([a, np.full(a.shape[:2], 99, np.uint8)]))
                                       for i, a in enumerate(GOOD)}),
         Returns(expect_pixels(GOOD, "RGB"))),
    Case(FOLDERS, "16-bit grayscale", sixteen_bit_folder, Returns(expect_pixels([a[:, :, 0] for a in GOOD], "L"))),
    Case(FOLDERS, "mixed sizes", mixed_sizes_folder, Returns(check_mixed_sizes)),
    Case(FOLDERS, "CLI train on an empty folder",
         lambda t: run_cli("train", make_folder(t, {}), "--out", t / "run", *TRAIN_ARGV),
         Exits(1, ("convexgan train: error:", "holds no images"))),
    _error(ARCHIVES, "not a tar archive", load_file("a.tar", b"hello " * 100), ValueError, "a.tar",
           "not a folder, tar archive"),
    _error(ARCHIVES, "empty .tar file", load_file("a.tar", b""), ValueError, "a.tar"),
    _error(ARCHIVES, "tar cut inside a member", truncated_tar(2000), ValueError, "images.tar"),
    _error(ARCHIVES, "tar cut inside a header", truncated_tar(1500), ValueError, "images.tar"),
    _error(ARCHIVES, "truncated tar.gz", truncated_tar_gz, ValueError, "images.tar.gz"),
    _error(ARCHIVES, "truncated .npz of images", truncated_npz, ValueError, "images.npz"),
    Case(ARCHIVES, "tar with a truncated JPEG member", tar_with_bad_member,
         Warns(r"skipped 1 unreadable image\(s\).*zz\.jpg", expect_pixels(GOOD, "RGB"))),
    _error(ARCHIVES, "IDX with a wrong length", load_file("x.idx", b"\x00\x00\x08\x01\x00\x00\x00\x09ab"),
           ValueError, "x.idx", "header"),
    Case(ARCHIVES, "CLI solve on a missing file",
         lambda t: run_cli("solve", t / "none.npy", "--critic", "linear", "--beta", "1"),
         Exits(1, ("convexgan solve: error:", "none.npy", "does not exist"))),
    Case(Z_INPUT, "CLI solve --latent -1", cli_solve_latent(-1), Exits(1, ("convexgan solve: error:", "--latent"))),
    Case(ARCHIVES, "CLI solve on a 1-D .npy", cli_solve_on(np.ones(5)),
         Exits(1, ("convexgan solve: error:", "data.npy", "samples as rows"))),
    Case(ARCHIVES, "CLI solve on a .npy with NaN", cli_solve_on(with_entry(np.nan)),
         Exits(1, ("convexgan solve: error:", "X must be finite"))),
    _error(CHECKPOINTS, "config.json missing", with_damaged(lambda r, t: (r / "config.json").unlink()),
           FileNotFoundError, "config.json is missing"),
    _error(CHECKPOINTS, "config.json not JSON", with_damaged(lambda r, t: (r / "config.json").write_text("{k: 3")),
           ValueError, "config.json", "not valid JSON"),
    Case(CHECKPOINTS, "last checkpoint missing, resume", missing_last_then_resume, Returns(check_reference)),
    _error(CHECKPOINTS, "first checkpoint missing", with_damaged(lambda r, t: stage_file(r, 0).unlink()), ValueError,
           "no finished stage"),
    _error(CHECKPOINTS, "truncated checkpoint", with_damaged(truncate), ValueError, "stage01_8x8.npz", "corrupt"),
    _error(CHECKPOINTS, "truncated checkpoint, resume", truncated_then_resume, ValueError, "stage01_8x8.npz",
           "corrupt"),
    _error(CHECKPOINTS, "zero-byte checkpoint", with_damaged(lambda r, t: stage_file(r, 1).write_bytes(b"")),
           ValueError, "stage01_8x8.npz", "corrupt"),
    _error(CHECKPOINTS, "one byte flipped", with_damaged(flip_byte), ValueError, "stage01_8x8.npz", "corrupt"),
    _error(CHECKPOINTS, "foreign format version", with_damaged(foreign_version), ValueError, "stage01_8x8.npz",
           "convexgan.progressive.stage/1"),
    _error(CHECKPOINTS, "not a convexgan checkpoint",
           with_damaged(lambda r, t: np.savez(stage_file(r, 1), W=np.eye(3))), ValueError, "stage01_8x8.npz",
           "not a convexgan progressive stage"),
    _error(CHECKPOINTS, "array removed", with_damaged(lambda r, t: rewrite_stage(r, 1, B=None)), ValueError,
           "stage01_8x8.npz", "incomplete"),
    _error(CHECKPOINTS, "tampered shape", with_damaged(tampered_shape), ValueError, "stage01_8x8.npz",
           "inconsistent"),
    _error(CHECKPOINTS, "tampered configuration", with_damaged(tampered_config), ValueError, "stage01_8x8.npz",
           "another configuration"),
    _error(CHECKPOINTS, "NaN in the weights", with_damaged(nan_weights), ValueError, "stage01_8x8.npz"),
    _error(CHECKPOINTS, "report.json not JSON, resume", report_not_json_then_resume, ValueError, "report.json"),
    _error(CHECKPOINTS, "config.json without resolutions", with_damaged(config_without("resolutions")), ValueError,
           "config.json", "resolutions"),
    Case(CHECKPOINTS, "other package version, same format", other_package_version, Returns(check_reference)),
    _error(CRAFTED, "object array in a checkpoint", crafted(crafted_npz_with_keys), ValueError, "stage01_8x8.npz",
           payload=True),
    _error(CRAFTED, "pickle named .npz", crafted(payload_pickle), ValueError, "stage01_8x8.npz", payload=True),
    _error(CRAFTED, "torch.save file named .npz", crafted(payload_torch), ValueError, "stage01_8x8.npz",
           payload=True),
    Case(CRAFTED, "CLI sample on a crafted run", crafted_cli_sample,
         Exits(1, ("convexgan sample: error:", "stage00_4x4.npz")), payload=True),
    Case(CRAFTED, "CLI solve on a pickled .npy", crafted_cli_solve, Exits(1, ("convexgan solve: error:", "data.npy")),
         payload=True),
    _error(CRAFTED, "object array as image data", crafted_images_npz, ValueError, "images.npz", payload=True),
    _error(TRAINING, "k above d", train_with(k=[49, 50], latent=60), ValueError, "k=49", "d = 48"),
    _error(TRAINING, "k above the data rank", train_with(k=[30, 40], latent=48), ValueError, "k=30", "rank"),
    _error(TRAINING, "identical images", lambda t: train(np.repeat(toy_images(1, 8, seed=0), 10, 0), t / "run",
                                                         progress=False, **TRAIN), ValueError, "rank"),
    _error(TRAINING, "latent below k", train_with(latent=2), InfeasibleError, "k=3", "rank 2",
           "smallest feasible beta"),
    _error(TRAINING, "beta keeps no component", lambda t: train(str(reference_folder()[0]), t / "run",
                                                                resolutions=(4, 8), beta=[1e6, 1e6], latent=4,
                                                                progress=False), ValueError, "beta=1000000.0",
           "keeps no component"),
    _error(TRAINING, "resolutions not doubling", train_with(resolutions=(4, 6)), ValueError, "resolutions=[4, 6]",
           "double"),
    _error(TRAINING, "k per stage of the wrong length", train_with(k=[3, 5, 7]), ValueError, "k=[3, 5, 7]",
           "one entry per resolution"),
    _error(TRAINING, "n_images = 0", train_with(n_images=0), ValueError, "n_images=0"),
    _error(TRAINING, "legacy, noise_rows below k", train_with(mode="legacy", noise_rows=3), ValueError,
           "noise_rows"),
    Case(TRAINING, "CLI train, bad --attribute",
         lambda t: run_cli("train", reference_folder()[0], "--out", t / "run", "--attribute", "Smiling=2",
                           *TRAIN_ARGV), Exits(1, ("convexgan train: error:", "--attribute 'Smiling=2'"))),
    _error(TRAINING, "sample a stage that does not exist", lambda t: load_generator(reference_folder()[1]).sample(
        4, stage=5), ValueError, "stage=5"),
    _error(TRAINING, "sample n = 0", lambda t: load_generator(reference_folder()[1]).sample(0), ValueError, "n=0"),
    _error(TRAINING, "ReLU critic, seed not an integer", lambda t: solve(X[:, :2], "relu", beta=0.1, seed="x"),
           TypeError, "seed"),
    Case(SIZE, "extragradient at data scale 1", lambda t: solve(X, "quadratic", beta=0.3 * eigenvalues(X)[0],
                                                                 method="extragradient"),
         Returns(check_constraint(X, 0.3 * eigenvalues(X)[0]))),
    Case(SIZE, "extragradient at data scale 1e3",
         lambda t: solve(X * 1e3, "quadratic", beta=0.3e6 * eigenvalues(X)[0], method="extragradient"),
         Returns(check_constraint(X * 1e3, 0.3e6 * eigenvalues(X)[0]))),
    Case(SIZE, "extragradient at data scale 1e-6",
         lambda t: solve(X * 1e-6, "quadratic", beta=0.3e-12 * eigenvalues(X)[0], method="extragradient"),
         Returns(check_constraint(X * 1e-6, 0.3e-12 * eigenvalues(X)[0]))),
    _error(OUTPUT, "train out under a regular file", train_into(under_a_file), ValueError, "out=", "file.txt"),
    _error(OUTPUT, "train out is a regular file", train_into(existing_file), ValueError, "out=", "file.txt"),
    Case(OUTPUT, "CLI train out under a regular file",
         lambda t: run_cli("train", reference_folder()[0], "--out", under_a_file(t), *TRAIN_ARGV),
         Exits(1, ("convexgan train: error:", "file.txt"))),
    Case(OUTPUT, "CLI sample out under a regular file",
         lambda t: run_cli("sample", reference_folder()[1], "--out", under_a_file(t) / "grid.png"),
         Exits(1, ("convexgan sample: error:", "file.txt"))),
    _error(METRICS, "Bures-W2 with NaN", lambda t: metrics.bures_wasserstein_samples(with_entry(np.nan), X),
           ValueError, "X must be finite"),
    _error(METRICS, "Bures-W2 of different widths", lambda t: metrics.bures_wasserstein_samples(X, X[:, :3]),
           ValueError, "same number of columns", "(20, 3)"),
    _error(METRICS, "Bures-W2 of one sample", lambda t: metrics.bures_wasserstein_samples(X[:1], X), ValueError,
           "at least 2 row(s)"),
    _error(METRICS, "moment errors with inf", lambda t: metrics.moment_errors(X, with_entry(np.inf)), ValueError,
           "X must be finite"),
    _error(METRICS, "sliced Wasserstein with NaN",
           lambda t: metrics.sliced_wasserstein_pyramid(np.full((6, 16, 16, 3), np.nan, np.float32), pictures()),
           ValueError, "images_a must be finite"),
    _error(METRICS, "sliced Wasserstein of 2-D arrays",
           lambda t: metrics.sliced_wasserstein_pyramid(X, X), ValueError, "images_a must be a 4-D array"),
    _error(METRICS, "extractor file missing", lambda t: metrics.load_torchscript_extractor(t / "none.pt"),
           FileNotFoundError, "none.pt", "never downloads"),
    _error(METRICS, "extractor file not TorchScript", junk_extractor, ValueError, "junk.pt",
           "not a loadable TorchScript module"),
    Case(OUTPUT, "CLI solve --json under a regular file", cli_solve_json_under_a_file,
         Exits(1, ("convexgan solve: error:", "file.txt"))),
    Case(OUTPUT, "CLI sample --npy under a regular file", cli_sample_npy_under_a_file,
         Exits(1, ("convexgan sample: error:", "file.txt"))),
    _error(OUTPUT, "run folder already holds a run", train_into(lambda t: copy_run(t)), ValueError,
           "already holds a run", "resume=True"),
    _error(OUTPUT, "resume with another configuration",
           lambda t: train(str(reference_folder()[0]), copy_run(t), progress=False, resume=True,
                           **{**TRAIN, "k": [3, 4]}), ValueError, "configuration differs in k"),
]


# ------------------------------------------- spectra block (issue 26 item 3, issue 25 item 4; branch spectra)
# Degenerate spectra and ties: every training eigen-path refuses what the data's numerical rank or an eigenvalue
# tie cannot carry, naming the user's k or beta (linalg.dense.check_k_schedule / check_rank_carries).

SPECTRA = "degenerate spectra and ties"


def _spectra_train(images, **options):
    return lambda tmp: train(images, tmp / "run", resolutions=[8], latent=4, progress=False, **options)


def _identical_images():
    return np.stack([np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)] * 40)


def _rank_one_images():
    """40 images i * base (integers: the centred data have rank exactly 1 in exact arithmetic)."""
    base = np.random.default_rng(1).integers(0, 4, (8, 8, 3))
    return (np.arange(40)[:, None, None, None] * base).astype(np.uint8)


def _dihedral_images():
    base = np.random.default_rng(3).integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    out = []
    for image in base:
        for turns in range(4):
            turned = np.rot90(image, turns, axes=(0, 1))
            out += [turned, turned[:, ::-1]]
    return np.ascontiguousarray(np.stack(out))


def _first_tie(images):
    X = images.reshape(len(images), -1) / 255.0
    lam = np.linalg.eigvalsh(np.cov(X.T, bias=True))[::-1]
    return int(np.flatnonzero(lam[:-1] - lam[1:] <= 1e-12 * lam[0])[0]) + 1


CASES += [
    *[_error(SPECTRA, f"identical images, --k 1, {solver}", _spectra_train(_identical_images(), k=1, eigensolver=solver),
             ValueError, "k=1 needs numerical rank >= 2", "numerical rank 0")
      for solver in ("dense", "eigsh", "lobpcg", "auto", "operator", "gram")],
    _error(SPECTRA, "constant colour, --beta 1e-4, gram",
           _spectra_train(np.full((40, 8, 8, 3), 77, np.uint8), beta=1e-4, eigensolver="gram"),
           ValueError, "beta=0.0001 needs numerical rank >= 1", "numerical rank 0"),
    _error(SPECTRA, "rank-1 images, --k 1, dense", _spectra_train(_rank_one_images(), k=1, eigensolver="dense"),
           ValueError, "k=1 needs numerical rank >= 2", "numerical rank 1"),
    _error(SPECTRA, "identical images, --beta 1e-12 (below the floor), float64",
           _spectra_train(_identical_images(), beta=1e-12, dtype="float64", eigensolver="dense"),
           ValueError, "beta=1e-12 needs numerical rank >= 1"),
    *[_error(SPECTRA, f"dihedral data, k at the tie, {solver}",
             _spectra_train(_dihedral_images(), k=_first_tie(_dihedral_images()), eigensolver=solver),
             ValueError, "is not attainable", "are tied", "nearest attainable k")
      for solver in ("dense", "operator", "gram")],
]
