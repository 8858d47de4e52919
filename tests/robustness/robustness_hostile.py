"""The second catalogue: hostile files, concurrent runs, memory bounds and silent pixel errors (issue 13).

``HOSTILE_CASES`` (:class:`robustness_outcomes.Case` like ``robustness_cases.CASES``) holds every reproducer of
the outside test and the class it stands for: decompression bombs, declared sizes far beyond memory, small
files that decompress to a lot, every Pillow pixel mode with a known value, EXIF orientation, a run folder
written by two processes or resumed on changed data, outputs written through planted symbolic links or on a
full disk, report/config files of the wrong JSON type, extractor files that run code, and SIGINT. Memory cases
carry ``max_traced`` (the peak ``tracemalloc`` may see) so that an allocation before the check is a failure.
"""

import contextlib
import io
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import torch
from numpy.lib import format as npy_format
from PIL import Image
from robustness_cases import (
    GOOD,
    TRAIN,
    TRAIN_ARGV,
    X,
    check_reference,
    copy_run,
    expect_pixels,
    good_files,
    make_folder,
    png_bytes,
    reference_folder,
    resume,
    stage_file,
    tar_of,
)
from robustness_kill import PAUSE_HOOK, _child_env, _reached
from robustness_outcomes import Case, Exits, Raises, Returns, Warns, run_cli

from convexgan.data import load_images
from convexgan.data.decode import decode_image
from convexgan.exceptions import ConvexGANWarning, CorruptCacheWarning
from convexgan.metrics import load_extractor
from convexgan.progressive import load_generator, train
from convexgan.progressive.runs.lock import RunFolderLockedError, run_lock

BOMBS = "decompression bombs"
SIZES = "declared sizes beyond memory"
SMALL = "small files that expand"
MODES = "pixel modes and orientation"
RUNS = "run folders: writers, data, JSON"
WRITES = "atomic outputs"
EXTRACTORS = "extractor files"
INTERRUPTS = "interrupts"
SMALL_PEAK = 64 * 2**20
HUGE = (10**7, 10**7)


@contextlib.contextmanager
def environment(**values):
    """Set environment variables for the duration of the block."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update({key: str(value) for key, value in values.items()})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# ------------------------------------------------------------------------------------------- crafted bytes

def bomb_png(width=50000, height=50000):
    """A valid-looking grey PNG of a few hundred bytes whose header claims ``width x height`` pixels."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(4096), 9)) + chunk(
        b"IEND", b"")


def npy_header_bytes(shape, dtype="<f8"):
    """The bytes of an ``.npy`` header declaring ``shape`` with no data after it."""
    buffer = io.BytesIO()
    npy_format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def replace_members(path, **members):
    """Rewrite the zip ``path`` with members ``NAME.npy`` replaced (or added) by the given bytes."""
    with zipfile.ZipFile(path) as archive:
        kept = {info.filename: archive.read(info) for info in archive.infolist()}
    kept.update({f"{name}.npy": data for name, data in members.items()})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in kept.items():
            archive.writestr(name, data)


def _deflated_zeros(prefix, count, chunk=2**24):
    """``(raw deflate stream, crc32, size)`` of ``prefix`` then ``count * chunk`` zero bytes, built in about a
    second: after a full flush the compressor restarts, so every zero chunk compresses to the same bytes."""
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = [head.compress(prefix) + head.flush(zlib.Z_FULL_FLUSH)]
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(chunk)
    stream += [block.compress(zeros) + block.flush(zlib.Z_FULL_FLUSH)] * count
    stream.append(zlib.compressobj(9, zlib.DEFLATED, -15).flush())
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    return b"".join(stream), crc, len(prefix) + count * chunk


def append_deflated_member(path, name, shape):
    """Append ``NAME.npy``, a float64 zero array of ``shape`` (a multiple of 2**21 entries), deflated, to a zip."""
    header = npy_header_bytes(shape)
    data, crc, size = _deflated_zeros(header, int(np.prod(shape)) * 8 // 2**24)
    with zipfile.ZipFile(path, "a") as archive:
        info = zipfile.ZipInfo(f"{name}.npy", date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type, info.CRC, info.file_size, info.compress_size = zipfile.ZIP_DEFLATED, crc, size, len(data)
        info.header_offset = archive.fp.tell()
        archive.fp.write(info.FileHeader(zip64=True))
        archive.fp.write(data)
        archive.start_dir = archive.fp.tell()
        archive.filelist.append(info)
        archive.NameToInfo[info.filename] = info
        archive._didModify = True


def tar_gz_with_big_member(path, big=2**30):
    """A ``.tar.gz`` of ``good_files()`` after a ``zz_big.png`` member of ``big`` zero bytes (about 1 MB on disk)."""
    head = tarfile.TarInfo("zz_big.png")
    head.size = big
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in good_files().items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    tail = buffer.getvalue()
    data, crc, _ = _deflated_zeros(head.tobuf(), big // 2**24)
    rest = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = data[:-len(zlib.compressobj(9, zlib.DEFLATED, -15).flush())] + rest.compress(tail) + rest.flush()
    crc = zlib.crc32(tail, crc)
    size = len(head.tobuf()) + big + len(tail)
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + body + struct.pack("<II", crc, size % 2**32))
    return path


# ---------------------------------------------------------------------------------------------- actions

def bomb_folder(extra=None, **kwargs):
    files = {"bomb.png": bomb_png(), **(extra or {})}
    return lambda tmp: load_images(make_folder(tmp, files), 8, **kwargs)


def bomb_tar(tmp):
    return load_images(tar_of(tmp, {**good_files(), "bomb.png": bomb_png()}), 8)


def cli_train_leaving_nothing(files, *extra):
    """An action: ``convexgan train`` on a folder of ``files`` into ``tmp / 'run'``; returns (run, exists)."""

    def action(tmp):
        result = run_cli("train", make_folder(tmp, files), "--out", tmp / "run", *TRAIN_ARGV, *extra)
        return result, (tmp / "run").exists()

    return action


def exits_without_folder(status, *fragments):
    """A checker of ``(CliRun, run folder exists)``: the status, the fragments on stderr, no folder left."""

    def check(result):
        run, exists = result
        assert run.status == status, (run.status, run.stderr)
        assert all(f in run.stderr for f in fragments), (fragments, run.stderr)
        assert "Traceback" not in run.stderr
        assert not exists, "the failed run left its run folder behind"

    return check


def bomb_among_many():
    """Good images first (the source is readable), the bomb later: the failure comes during the data pass."""
    files = {f"{i:02d}.png": png_bytes(a) for i, a in enumerate(np.concatenate([GOOD] * 5))}
    return {**files, "zz_bomb.png": bomb_png()}


def match_histograms_bomb(tmp):
    folder = make_folder(tmp, {"bomb.png": bomb_png()})
    return run_cli("sample", reference_folder()[1], "--out", tmp / "grid.png", "--match-histograms", folder)


def cli_solve_declared(shape, name="data.npy"):
    def action(tmp):
        (tmp / name).write_bytes(npy_header_bytes(shape))
        return run_cli("solve", tmp / name, "--critic", "quadratic", "--beta", "0.1")

    return action


def cli_solve_npz_declared(tmp):
    with zipfile.ZipFile(tmp / "data.npz", "w") as archive:
        archive.writestr("x.npy", npy_header_bytes(HUGE))
    return run_cli("solve", tmp / "data.npz", "--critic", "quadratic", "--beta", "0.1")


def cli_train_npz_declared(tmp):
    with zipfile.ZipFile(tmp / "images.npz", "w") as archive:
        archive.writestr("x.npy", npy_header_bytes((10**7, 10**4, 10**3), "|u1"))
    return run_cli("train", tmp / "images.npz", "--out", tmp / "run", *TRAIN_ARGV), (tmp / "run").exists()


def idx_gz_declared(tmp):
    import gzip

    with gzip.open(tmp / "images.idx.gz", "wb") as fh:
        fh.write(b"\x00\x00\x08\x03" + struct.pack(">III", 10**6, 10**4, 10**4) + bytes(64))
    return load_images(tmp / "images.idx.gz", 8)


def cli_sample_declared_member(tmp):
    run = copy_run(tmp)
    replace_members(stage_file(run, 0), V=npy_header_bytes(HUGE))
    return run_cli("sample", run, "--out", tmp / "grid.png")


def cli_solve_option(*argv):
    def action(tmp):
        np.save(tmp / "x.npy", X)
        return run_cli("solve", tmp / "x.npy", "--critic", "quadratic", *argv)

    return action


def cli_sample_many(tmp):
    return run_cli("sample", reference_folder()[1], "--n", 10**9, "--out", tmp / "grid.png")


def train_stage_beyond_memory(tmp):
    """A 128 x 128 colour stage on the dense path (49152 x 49152 moments, about 29 GB) under an 8 GiB limit: refused
    before the pass (the default plan takes the operator path there)."""
    images = make_folder(tmp, good_files())
    with environment(CONVEXGAN_MAX_BYTES="8G"):
        return train(str(images), tmp / "run", resolutions=(64, 128), k=[3, 5], latent=4, eigensolver="dense",
                     progress=False)


def memory_error_is_one_line(tmp):
    """With the limit lifted, numpy's own ``MemoryError`` (36 TiB asked) reaches the command line."""
    np.save(tmp / "x.npy", X)
    with environment(CONVEXGAN_MAX_BYTES=2**62):
        return run_cli("solve", tmp / "x.npy", "--critic", "quadratic", "--beta", "0.1", "--m", 10**12)


def checkpoint_with_extra_member(tmp):
    run = copy_run(tmp)
    append_deflated_member(stage_file(run, 1), "extra", (2**28,))
    return load_generator(run)


def checkpoint_with_declared_v(tmp):
    run = copy_run(tmp)
    replace_members(stage_file(run, 1), V=npy_header_bytes((192, 10**9)))
    return load_generator(run)


def tar_gz_big_member(tmp):
    return load_images(tar_gz_with_big_member(tmp / "images.tar.gz"), 8)


def tar_big_member_low_cap(tmp):
    noise = np.random.default_rng(0).integers(0, 256, (128, 128), dtype=np.uint8)
    with environment(CONVEXGAN_MAX_IMAGE_FILE_BYTES="8K"):
        return load_images(tar_of(tmp, {**good_files(), "zz_big.png": png_bytes(noise)}), 8)


# ---------------------------------------------------------------------------------------------- pixel modes

def pgm16(value, maxval=65535, size=4):
    """A binary 16-bit PGM of constant ``value`` (Pillow opens it in mode ``I``)."""
    return f"P5\n{size} {size}\n{maxval}\n".encode() + np.full(size * size, value, ">u2").tobytes()


def image_file(mode, value, fmt, **save):
    """A 4 x 4 image of constant ``value`` in ``mode``, saved as ``fmt``."""
    buffer = io.BytesIO()
    Image.new(mode, (4, 4), value).save(buffer, fmt, **save)
    return buffer.getvalue()


def palette_file(rgb, fmt="PNG", alpha=None):
    image = Image.new("RGB", (4, 4), rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    if alpha is not None:
        image = image.convert("PA")
        image.putalpha(alpha)
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def mode_of(data):
    with Image.open(io.BytesIO(data)) as image:
        return image.mode


def load_one(name, data, **kwargs):
    """An action: a folder with one image file, loaded at its own size (4 x 4)."""
    return lambda tmp: (mode_of(data), load_images(make_folder(tmp, {name: data}), 4, **kwargs))


def constant_pixels(expected, mode, atol=0.5 / 255):
    """A checker of ``(file mode, images)``: the file opens in ``mode`` and every pixel equals ``expected / 255``."""

    def check(result):
        opened, images = result
        assert opened == mode, f"the generated file opens in mode {opened}, not {mode}"
        want = np.asarray(expected, dtype=np.float64) / 255.0
        assert images.shape[-1] == want.size, (images.shape, want)
        assert np.allclose(images, want, atol=atol), f"got {images[0, 0, 0]} * 255 = {images[0, 0, 0] * 255}"

    return check


def ycbcr_to_rgb(y, cb, cr):
    """ITU-R BT.601 full-range YCbCr -> RGB (the JFIF formula), independent of Pillow."""
    return np.clip([y + 1.402 * (cr - 128), y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128),
                    y + 1.772 * (cb - 128)], 0, 255)


def lab_grey(lightness_byte):
    """sRGB 8-bit grey of CIELAB ``L* = byte / 2.55``, ``a* = b* = 0`` (D65), from the CIE and sRGB formulas."""
    L = lightness_byte / 2.55
    Y = ((L + 16) / 116) ** 3 if L > 8 else L / 903.3
    srgb = 1.055 * Y ** (1 / 2.4) - 0.055 if Y > 0.0031308 else 12.92 * Y
    return 255 * srgb


def exif_png(array, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG", exif=exif)
    return buffer.getvalue()


ORIENTED = np.arange(32, dtype=np.uint8).reshape(4, 8) * 7


def decode_oriented(orientation):
    return lambda tmp: decode_image(io.BytesIO(exif_png(ORIENTED, orientation)), "oriented.png")


def equals(expected):
    def check(pixels):
        assert np.array_equal(pixels, expected), (pixels, expected)

    return check


def oriented_through_folder(tmp):
    """The same file through a folder source: a 4 x 8 picture displayed 8 x 4, loaded at 8 x 8 (square frame)."""
    return load_images(make_folder(tmp, {"oriented.png": exif_png(ORIENTED, 6)}), 8)


def check_oriented_folder(images):
    expected = Image.fromarray(np.rot90(ORIENTED, -1)).resize((8, 8), Image.BICUBIC)
    assert np.allclose(images[0, :, :, 0], np.asarray(expected) / 255.0, atol=1e-6)


# -------------------------------------------------------------------------------------------- run folders

def default_sigint():
    """In the child before exec: SIGINT to its default action, so that Python installs its KeyboardInterrupt handler
    (a shell's background job ignores SIGINT, and an ignored signal stays ignored across exec)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn_training(run, moment, hook_dir, *argv):
    """Start ``python -m convexgan train`` into ``run`` paused at ``moment`` (see robustness_kill); return it."""
    hook_dir.mkdir(exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(PAUSE_HOOK)
    child = subprocess.Popen(
        [sys.executable, "-m", "convexgan", "train", str(reference_folder()[0]), "--out", str(run), *TRAIN_ARGV,
         *argv], env=_child_env(hook_dir, moment), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_sigint)
    deadline = time.monotonic() + 300
    while not (run.is_dir() and _reached(run, moment)):
        if child.poll() is not None:
            raise RuntimeError(f"train exited ({child.returncode}) before {moment}: {child.stderr.read()}")
        if time.monotonic() > deadline:
            child.kill()
            raise TimeoutError(f"train did not reach {moment}")
        time.sleep(0.02)
    return child


def two_writers(tmp):
    """A training holds the folder (paused after stage 0); a second one with another k starts; the first is
    killed; the folder is resumed with the first's configuration."""
    run = tmp / "run"
    child = spawn_training(run, "after:stage00", tmp / "hook")
    try:
        second = run_cli("train", reference_folder()[0], "--out", run, "--resolutions", "4", "8", "--k", "3", "4",
                         "--latent", "4", "--seed", "3", "--quiet")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stderr.close()
    config_after = json.loads((run / "config.json").read_text())
    resumed = run_cli("train", reference_folder()[0], "--out", run, *TRAIN_ARGV, "--resume")
    return {"second": second, "owner": child.pid, "config_k": config_after["k"], "resumed": resumed, "run": run}


def check_two_writers(result):
    second, resumed = result["second"], result["resumed"]
    assert second.status == 1, (second.status, second.stderr)
    for fragment in ("in use by another convexgan process", f"pid {result['owner']}", socket.gethostname()):
        assert fragment in second.stderr, (fragment, second.stderr)
    assert result["config_k"] == [3, 5], "the refused writer changed config.json"
    assert resumed.status == 0, resumed.stderr
    check_reference(load_generator(result["run"]))


def lock_held_in_process(tmp):
    (tmp / "run").mkdir()
    with run_lock(tmp / "run"):
        return train(str(reference_folder()[0]), tmp / "run", progress=False, **TRAIN)


def stale_lock_pid_only(tmp):
    """A lock file whose owner (a finished process on this host) holds no lock: taken over with a warning."""
    run = copy_run(tmp)
    stage_file(run, 1).unlink()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (run / ".convexgan.lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "started": "x"}))
    return resume(run)


def data_folder_copy(tmp):
    images = Path(shutil.copytree(reference_folder()[0], tmp / "images"))
    train(str(images), tmp / "run", progress=False, **TRAIN)
    stage_file(tmp / "run", 1).unlink()
    return images


def resume_after_changing_files(tmp):
    images = data_folder_copy(tmp)
    for i, name in enumerate(sorted(p.name for p in images.iterdir())[3:6]):
        Image.fromarray(GOOD[i][:8, :8]).save(images / name)
    return train(str(images), tmp / "run", progress=False, resume=True, **TRAIN)


def resume_after_adding_a_file(tmp):
    images = data_folder_copy(tmp)
    Image.fromarray(GOOD[0][:8, :8]).save(images / "000_new.png")
    return train(str(images), tmp / "run", progress=False, resume=True, **TRAIN)


def resume_after_changing_an_array(tmp):
    data = np.stack([np.asarray(Image.open(p)) for p in sorted(reference_folder()[0].iterdir())])
    train(data, tmp / "run", progress=False, **TRAIN)
    stage_file(tmp / "run", 1).unlink()
    data[5, 2, 2, 0] ^= 1
    return train(data, tmp / "run", progress=False, resume=True, **TRAIN)


def resume_same_data_removes_partial_writes(tmp):
    run = copy_run(tmp)
    stage_file(run, 1).unlink()
    (run / ".stage01_8x8.npz.k1l2m3n4.tmp").write_bytes(b"partial")
    generator = resume(run)
    return generator, sorted(p.name for p in run.iterdir())


def check_no_partial(result):
    generator, names = result
    check_reference(generator)
    assert not [n for n in names if n.endswith(".tmp")], names
    assert ".convexgan.lock" not in names, names


def resume_with_a_changed_pixel_cache(tmp):
    """A disk pixel cache with one byte flipped (same size, same manifest): the resume decodes again, with a warning."""
    run = copy_run(tmp)
    stage_file(run, 1).unlink()
    train(str(reference_folder()[0]), run, progress=False, resume=True, cache="disk", **TRAIN)
    stage_file(run, 1).unlink()
    (pixels,) = run.glob("pixels_rank0of1_*.u8")
    data = bytearray(pixels.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pixels.write_bytes(bytes(data))
    return train(str(reference_folder()[0]), run, progress=False, resume=True, cache="disk", **TRAIN)


def evaluate_with_images_record(text):
    """An action: ``convexgan evaluate`` on a copy of the reference run whose ``images.json`` is ``text``."""

    def action(tmp):
        run = copy_run(tmp)
        (run / "images.json").write_text(text)
        return run_cli("evaluate", run, reference_folder()[0], "--n", 4)

    return action


def resume_with(name, text):
    """An action: the reference run without stage 1's checkpoint, ``name`` replaced by ``text``, resumed."""

    def action(tmp):
        run = copy_run(tmp)
        stage_file(run, 1).unlink()
        (run / name).write_text(text)
        return resume(run)

    return action


def load_with_config(text):
    def action(tmp):
        run = copy_run(tmp)
        (run / "config.json").write_text(text)
        return load_generator(run)

    return action


# ------------------------------------------------------------------------------------------------ outputs

def planted_links_then_resume(tmp):
    """Symlinks planted under stage 1's grid and under report.json; the run is resumed."""
    run = copy_run(tmp)
    stage_file(run, 1).unlink()
    targets = {name: tmp / f"target_{i}.txt" for i, name in enumerate(["samples_stage01_8x8.png", "report.json"])}
    contents = {"samples_stage01_8x8.png": "precious", "report.json": (run / "report.json").read_text()}
    for name, target in targets.items():
        target.write_text(contents[name])
        (run / name).unlink()
        (run / name).symlink_to(target)
    generator = resume(run)
    return generator, run, targets, contents


def check_links_replaced(result):
    generator, run, targets, contents = result
    check_reference(generator)
    for name, target in targets.items():
        assert target.read_text() == contents[name], f"the target of the link {name} was written"
        assert not (run / name).is_symlink(), f"{name} is still a link"
    assert Image.open(run / "samples_stage01_8x8.png").size[0] > 0
    assert len(json.loads((run / "report.json").read_text())["stages"]) == 2


def sample_over_links(tmp):
    targets = {flag: tmp / f"target{flag}.txt" for flag in ("--out", "--npy")}
    names = {"--out": tmp / "grid.png", "--npy": tmp / "samples.npy"}
    for flag, target in targets.items():
        target.write_text("precious")
        names[flag].symlink_to(target)
    result = run_cli("sample", reference_folder()[1], "--n", 4, "--out", names["--out"], "--npy", names["--npy"])
    return result, targets, names


def check_sample_over_links(result):
    run, targets, names = result
    assert run.status == 0, run.stderr
    for flag, target in targets.items():
        assert target.read_text() == "precious", f"{flag}: the link's target was written"
        assert not names[flag].is_symlink()
    assert np.load(names["--npy"]).shape == (4, 8, 8, 3)


FULL_DISK = '''
import json, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from convexgan import cli
import convexgan.commands.sample, convexgan.commands.solve, convexgan.plotting
resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))
print(json.dumps([cli.main(argv) for argv in json.loads(sys.argv[1])]))
'''


def full_disk(tmp):
    """Three outputs rewritten while every write beyond 200 bytes fails (``RLIMIT_FSIZE``, like a full disk)."""
    np.save(tmp / "x.npy", X)
    old = {name: f"old {name}".encode() for name in ("grid.png", "samples.npy", "certificate.json")}
    for name, data in old.items():
        (tmp / name).write_bytes(data)
    run = str(reference_folder()[1])
    commands = [
        ["sample", run, "--out", str(tmp / "grid.png")],
        ["sample", run, "--out", str(tmp / "other.png"), "--npy", str(tmp / "samples.npy")],
        ["solve", str(tmp / "x.npy"), "--critic", "quadratic", "--beta", "0.1", "--json", str(tmp / "certificate.json")],
    ]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    child = subprocess.run([sys.executable, "-c", FULL_DISK, json.dumps(commands)], capture_output=True, text=True,
                           env=env, timeout=300)
    return child, old, tmp


def check_full_disk(result):
    child, old, tmp = result
    assert "Traceback" not in child.stderr, child.stderr
    assert json.loads(child.stdout.strip().splitlines()[-1]) == [1, 1, 1], (child.stdout, child.stderr)
    for name, data in old.items():
        assert (tmp / name).read_bytes() == data, f"{name} was destroyed"
    assert not list(tmp.glob(".*.tmp")) and not (tmp / "other.png").exists()


def umask_respected(tmp):
    previous = os.umask(0o027)
    try:
        train(str(reference_folder()[0]), tmp / "run", progress=False, **TRAIN)
    finally:
        os.umask(previous)
    return {p.name: p.stat().st_mode & 0o777 for p in (tmp / "run").iterdir()}


def check_modes(modes):
    assert len(modes) >= 7, modes
    assert all(mode == 0o640 for mode in modes.values()), {k: oct(v) for k, v in modes.items()}


# ---------------------------------------------------------------------------------------------- extractors

class SetstatePayload(torch.nn.Module):
    """Loading it runs ``__setstate__``, which raises: proof that the file's code ran."""

    def __init__(self):
        super().__init__()
        self.w = torch.ones(1)

    def forward(self, x):
        return x.mean((2, 3))

    @torch.jit.export
    def __getstate__(self):
        return (self.w, self.training)

    @torch.jit.export
    def __setstate__(self, state: tuple[torch.Tensor, bool]):
        self.w = state[0]
        self.training = state[1]
        raise RuntimeError("payload ran at load")


class NoForward(torch.nn.Module):
    @torch.jit.export
    def features(self, x):
        return x


class ScalarOutput(torch.nn.Module):
    def forward(self, x):
        return x.sum()


class TupleOutput(torch.nn.Module):
    def forward(self, x):
        return (x.mean((2, 3)), x.sum())


def scripted(module_class, path):
    torch.jit.script(module_class()).save(str(path))
    return path


def evaluate_payload(trust):
    def action(tmp):
        path = scripted(SetstatePayload, tmp / "payload.pt")
        run, data = reference_folder()[1], reference_folder()[0]
        flags = ["--trust-extractor"] if trust else []
        return run_cli("evaluate", run, data, "--n", 4, "--extractor", path, *flags)

    return action


def exits_without(status, present, absent):
    def check(result):
        assert result.status == status, (result.status, result.stderr)
        assert all(f in result.stderr for f in present), (present, result.stderr)
        assert not any(f in result.stderr for f in absent), (absent, result.stderr)
        assert "Traceback" not in result.stderr

    return check


def extractor_call(module_class):
    def action(tmp):
        extractor = load_extractor(scripted(module_class, tmp / "net.pt"))
        return extractor(np.zeros((2, 8, 8, 3), np.float32))

    return action


# ---------------------------------------------------------------------------------------------- interrupts

def sigint_mid_checkpoint(tmp):
    """SIGINT while stage 1's checkpoint is being written; then ``--resume``."""
    run = tmp / "run"
    child = spawn_training(run, "write:stage01", tmp / "hook")
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=120)
    finally:
        child.kill()
    stderr = child.stderr.read()
    child.stderr.close()
    left = sorted(p.name for p in run.iterdir())
    resumed = run_cli("train", reference_folder()[0], "--out", run, *TRAIN_ARGV, "--resume")
    return {"status": child.returncode, "stderr": stderr, "left": left, "resumed": resumed, "run": run,
            "after": sorted(p.name for p in run.iterdir())}


def check_sigint(result):
    assert result["status"] == 130, (result["status"], result["stderr"])
    assert "Traceback" not in result["stderr"] and result["stderr"].strip(), result["stderr"]
    assert not [n for n in result["left"] if n.endswith(".tmp")], result["left"]
    assert "stage00_4x4.npz" in result["left"] and "stage01_8x8.npz" not in result["left"], result["left"]
    assert result["resumed"].status == 0, result["resumed"].stderr
    check_reference(load_generator(result["run"]))
    assert not [n for n in result["after"] if n.endswith(".tmp") or n == ".convexgan.lock"], result["after"]


# --------------------------------------------------------------------------------------------------- cases

def _error(kind, name, action, error, *fragments, **options):
    return Case(kind, name, action, Raises(error, fragments), **options)


def _mode(name, data, expected, mode, atol=0.5 / 255):
    return Case(MODES, name, load_one(f"img.{name.split()[-1].strip('()').lower()}", data),
                Returns(constant_pixels(expected, mode, atol)))


GREY_77 = image_file("L", 77, "PNG")

HOSTILE_CASES = [
    _error(BOMBS, "PNG claiming 50000 x 50000, alone in a folder", bomb_folder(), ValueError, "bomb.png",
           "decompression bomb", max_traced=SMALL_PEAK),
    Case(BOMBS, "PNG bomb among good images", bomb_folder(good_files()),
         Warns(r"skipped 1 unreadable image\(s\).*bomb\.png", expect_pixels(GOOD, "RGB")), max_traced=SMALL_PEAK),
    _error(BOMBS, "PNG bomb, strict", bomb_folder(good_files(), strict=True), ValueError, "unreadable image",
           "bomb.png", "decompression bomb", max_traced=SMALL_PEAK),
    Case(BOMBS, "PNG bomb in a tar archive", bomb_tar,
         Warns(r"skipped 1 unreadable image\(s\).*bomb\.png", expect_pixels(GOOD, "RGB")), max_traced=SMALL_PEAK),
    Case(BOMBS, "CLI train on a folder holding only a bomb", cli_train_leaving_nothing({"bomb.png": bomb_png()}),
         Returns(exits_without_folder(1, "convexgan train: error:", "bomb.png", "decompression bomb"))),
    Case(BOMBS, "CLI train --strict, bomb after good images (fails in the data pass)",
         cli_train_leaving_nothing(bomb_among_many(), "--strict"),
         Returns(exits_without_folder(1, "convexgan train: error:", "zz_bomb.png", "decompression bomb"))),
    Case(BOMBS, "CLI sample --match-histograms on a bomb", match_histograms_bomb,
         Exits(1, ("convexgan sample: error:", "bomb.png", "decompression bomb"))),
    Case(SIZES, "CLI solve on a .npy declaring (1e7, 1e7)", cli_solve_declared(HUGE),
         Exits(1, ("convexgan solve: error:", "data.npy", "(10000000, 10000000)", "CONVEXGAN_MAX_BYTES")),
         max_traced=SMALL_PEAK),
    Case(SIZES, "CLI solve on a .npz member declaring (1e7, 1e7)", cli_solve_npz_declared,
         Exits(1, ("convexgan solve: error:", "data.npz", "'x'", "CONVEXGAN_MAX_BYTES")), max_traced=SMALL_PEAK),
    Case(SIZES, "CLI train on an images .npz declaring 1e14 bytes", cli_train_npz_declared,
         Returns(exits_without_folder(1, "convexgan train: error:", "images.npz", "CONVEXGAN_MAX_BYTES")),
         max_traced=SMALL_PEAK),
    _error(SIZES, "gzipped IDX declaring 1e14 bytes", idx_gz_declared, ValueError, "images.idx.gz",
           "CONVEXGAN_MAX_BYTES", max_traced=SMALL_PEAK),
    Case(SIZES, "CLI sample on a checkpoint member declaring (1e7, 1e7)", cli_sample_declared_member,
         Exits(1, ("convexgan sample: error:", "stage00_4x4.npz", "inconsistent")), max_traced=SMALL_PEAK),
    Case(SIZES, "CLI solve --m 1000000000000", cli_solve_option("--beta", "0.1", "--m", 10**12),
         Exits(1, ("convexgan solve: error:", "--m=1000000000000", "bytes")), max_traced=SMALL_PEAK),
    Case(SIZES, "CLI solve --generator linear --latent 1000000000",
         cli_solve_option("--generator", "linear", "--latent", 10**9, "--k", "1"),
         Exits(1, ("convexgan solve: error:", "--latent=1000000000", "bytes")), max_traced=SMALL_PEAK),
    Case(SIZES, "CLI sample --n 1000000000", cli_sample_many,
         Exits(1, ("convexgan sample: error:", "--n=1000000000", "bytes")), max_traced=SMALL_PEAK),
    _error(SIZES, "train a 128 x 128 stage beyond the memory limit", train_stage_beyond_memory, ValueError,
           "second moments of resolutions [64, 128]", "CONVEXGAN_MAX_BYTES", max_traced=SMALL_PEAK),
    Case(SIZES, "MemoryError with the limit lifted: one line", memory_error_is_one_line,
         Exits(1, ("convexgan solve: error: out of memory",))),
    _error(SMALL, "2 MB checkpoint with an extra deflated 2 GiB member", checkpoint_with_extra_member, ValueError,
           "stage01_8x8.npz", "unexpected member(s) 'extra'", max_traced=SMALL_PEAK),
    _error(SMALL, "checkpoint whose V declares (192, 1e9)", checkpoint_with_declared_v, ValueError,
           "stage01_8x8.npz", "inconsistent", max_traced=SMALL_PEAK),
    Case(SMALL, "1 MB .tar.gz with a 1 GiB member", tar_gz_big_member,
         Warns(r"skipped 1 unreadable image\(s\).*zz_big\.png", expect_pixels(GOOD, "RGB")), max_traced=SMALL_PEAK),
    Case(SMALL, "tar member above CONVEXGAN_MAX_IMAGE_FILE_BYTES=8K", tar_big_member_low_cap,
         Warns(r"skipped 1 unreadable image\(s\).*zz_big\.png", expect_pixels(GOOD, "RGB"))),
    _mode("bilevel 1 (PNG)", image_file("1", 1, "PNG"), [255], "1"),
    _mode("grey L (PNG)", GREY_77, [77], "L"),
    _mode("grey+alpha LA (PNG)", image_file("LA", (77, 40), "PNG"), [77], "LA"),
    _mode("palette P (PNG)", palette_file((10, 200, 30)), [10, 200, 30], "P"),
    _mode("palette+alpha PA (TIFF)", palette_file((10, 200, 30), "TIFF", alpha=90), [10, 200, 30], "PA"),
    _mode("colour RGB (PNG)", image_file("RGB", (10, 200, 30), "PNG"), [10, 200, 30], "RGB"),
    _mode("colour+alpha RGBA (PNG)", image_file("RGBA", (10, 200, 30, 9), "PNG"), [10, 200, 30], "RGBA"),
    _mode("16-bit PGM maxval 65535 (PGM)", pgm16(32896), [128], "I"),
    _mode("16-bit PGM maxval 1023 (PGM)", pgm16(512, 1023), [255 * 512 / 1023], "I"),
    _mode("16-bit I;16 (PNG)", image_file("I;16", 30000, "PNG"), [30000 / 257], "I;16"),
    _mode("16-bit big-endian I;16B (TIFF)", image_file("I;16B", 30000, "TIFF"), [30000 / 257], "I;16B"),
    _mode("32-bit I within 0..65535 (TIFF)", image_file("I", 40000, "TIFF"), [40000 / 257], "I"),
    _mode("float F in [0, 1] (TIFF)", image_file("F", 0.25, "TIFF"), [0.25 * 255], "F"),
    _mode("CMYK (TIFF)", image_file("CMYK", (0, 255, 255, 0), "TIFF"), [255, 0, 0], "CMYK"),
    _mode("CMYK (JPEG)", image_file("CMYK", (0, 255, 255, 0), "JPEG", quality=100), [255, 0, 0], "CMYK", 3 / 255),
    _mode("YCbCr (TIFF)", image_file("YCbCr", (81, 90, 240), "TIFF"), ycbcr_to_rgb(81, 90, 240), "YCbCr",
          1.5 / 255),
    _mode("CIELAB LAB (TIFF)", image_file("LAB", (128, 128, 128), "TIFF"), [lab_grey(128)] * 3, "LAB", 1.5 / 255),
    _error(MODES, "32-bit I beyond 65535 (TIFF)", load_one("img.tif", image_file("I", 70000, "TIFF")), ValueError,
           "img.tif", "0..65535"),
    _error(MODES, "float F outside [0, 1] (TIFF)", load_one("img.tif", image_file("F", 3.0, "TIFF")), ValueError,
           "img.tif", "expected finite values in [0, 1]"),
    _error(MODES, "float F outside [0, 1], strict", load_one("img.tif", image_file("F", -1.0, "TIFF"), strict=True),
           ValueError, "img.tif", "[0, 1]"),
    Case(MODES, "EXIF orientation 6 (rotate 90 clockwise)", decode_oriented(6), Returns(equals(np.rot90(ORIENTED, -1)))),
    Case(MODES, "EXIF orientation 8 (rotate 90 counter-clockwise)", decode_oriented(8),
         Returns(equals(np.rot90(ORIENTED, 1)))),
    Case(MODES, "EXIF orientation 3 (rotate 180)", decode_oriented(3), Returns(equals(np.rot90(ORIENTED, 2)))),
    Case(MODES, "EXIF orientation through a folder", oriented_through_folder, Returns(check_oriented_folder)),
    Case(RUNS, "two trainings into one folder (second with other k), then resume", two_writers,
         Returns(check_two_writers)),
    _error(RUNS, "train into a folder whose lock is held", lock_held_in_process, RunFolderLockedError,
           "in use by another convexgan process", f"pid {os.getpid()}", socket.gethostname()),
    Case(RUNS, "stale lock of a finished process", stale_lock_pid_only,
         Warns(r"taking over the stale lock of pid \d+", check_reference, ConvexGANWarning)),
    _error(RUNS, "resume after 3 images were replaced", resume_after_changing_files, ValueError, "data changed",
           "3 file(s) changed, 0 added, 0 removed", "first changed: 003.png"),
    _error(RUNS, "resume after an image was added", resume_after_adding_a_file, ValueError, "data changed",
           "0 file(s) changed, 1 added", "000_new.png"),
    _error(RUNS, "resume after one pixel of the array changed", resume_after_changing_an_array, ValueError,
           "data changed", "content hash", "SHA-256"),
    Case(RUNS, "partial write of a killed run removed on resume", resume_same_data_removes_partial_writes,
         Returns(check_no_partial)),
    *[_error(RUNS, f"report.json = {text}, resume", resume_with("report.json", text), ValueError, "report.json",
             *fragments)
      for text, fragments in [("null", ("JSON object is expected",)), ("[]", ("JSON object is expected",)),
                              ("5", ("JSON object is expected",)), ("{}", ("lists 0 stage(s)",)),
                              ('{"stages": {}}', ("stages must be a list",)),
                              ('{"stages": [5]}', ("stages must be a list of objects",)),
                              ('{"stages": [{"index": 0}]}', ("lack some of",))]],
    Case(RUNS, "pixel cache with one flipped byte, resume", resume_with_a_changed_pixel_cache,
         Warns(r"differs from the SHA-256 its manifest .* recorded", check_reference, CorruptCacheWarning)),
    *[Case(RUNS, f"images.json = {text}, evaluate", evaluate_with_images_record(text),
           Exits(1, ("images.json is not a convexgan image record",)))
      for text in ("null", "[]", '{"indices": "x"}', '{"candidates": 5, "indices": [7], "candidates_sha256": "0"}')],
    *[_error(RUNS, f"config.json = {text}", load_with_config(text), ValueError, "config.json", *fragments)
      for text, fragments in [("null", ("JSON object is expected",)), ("[]", ("JSON object is expected",)),
                              ("5", ("JSON object is expected",)), ("{}", ("lacks resolutions, mode, seed",)),
                              ('{"resolutions": 5, "mode": "principled", "seed": 0}', ("resolutions must be",)),
                              ('{"resolutions": [4, 8], "mode": 1, "seed": "x", "k": [3]}',
                               ("mode must be", "seed must be", "k must be"))]],
    Case(WRITES, "symlinks planted under a grid and report.json, resume", planted_links_then_resume,
         Returns(check_links_replaced)),
    Case(WRITES, "sample --out and --npy over planted symlinks", sample_over_links, Returns(check_sample_over_links)),
    Case(WRITES, "sample --out, --npy, solve --json on a full disk", full_disk, Returns(check_full_disk)),
    Case(WRITES, "files of a run under umask 027 are 0640", umask_respected, Returns(check_modes)),
    Case(EXTRACTORS, "evaluate --extractor without --trust-extractor", evaluate_payload(False),
         Returns(exits_without(1, ("--trust-extractor", "runs the code"), ("payload ran",)))),
    Case(EXTRACTORS, "evaluate --extractor --trust-extractor runs the file's code", evaluate_payload(True),
         Returns(exits_without(1, ("payload.pt", "payload ran at load"), ()))),
    _error(EXTRACTORS, "extractor without forward", lambda t: load_extractor(scripted(NoForward, t / "net.pt")),
           ValueError, "net.pt", "without a forward method"),
    _error(EXTRACTORS, "extractor returning a 0-d tensor", extractor_call(ScalarOutput), ValueError, "net.pt",
           "a tensor of shape ()", "one row per image"),
    _error(EXTRACTORS, "extractor returning a tuple", extractor_call(TupleOutput), ValueError, "net.pt", "tuple",
           "one row per image"),
    Case(INTERRUPTS, "SIGINT while a checkpoint is written, then resume", sigint_mid_checkpoint,
         Returns(check_sigint)),
]
