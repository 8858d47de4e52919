"""The pixel cache holds the decoded pixels exactly; moments from it equal a decoding pass's; disk reuse by key."""

import errno
import hashlib
import json
import os

import numpy as np
import pytest
import torch

from convexgan.data import open_images
from convexgan.data.fingerprint import data_fingerprint
from convexgan.exceptions import CorruptCacheWarning
from convexgan.progressive.runtime.memory import high_water_mark, reset_peak
from convexgan.progressive.pipeline.moments import _Sums, accumulate_moments
from convexgan.progressive.pipeline.pixels import (
    PixelCache,
    cache_key,
    manifest_path,
    open_disk_cache,
    pixels_path,
    resolve_mode,
    start_cache,
)

RESOLUTIONS = [4, 8, 16]


def decoded_pixels(source, resolutions, base=None, **kwargs):
    chunks = list(source.iter_chunks(resolutions, 32, dtype=np.uint8, base=base, **kwargs))
    return {r: np.concatenate([c[r] for c in chunks]).reshape(-1, r * r * source.channels) for r in resolutions}


def key_of(source, **changes):
    fields = dict(crop=False, base=16, resolutions=RESOLUTIONS, channels=source.channels, draft=False, rank=0,
                  world_size=1)
    fields.update(changes)
    return cache_key(data_fingerprint(source).summary, **fields)


def fill(source, mode, folder=None, key=None, chunk_size=32):
    cache, writer = start_cache(mode, capacity=len(source), resolutions=RESOLUTIONS, channels=source.channels,
                                folder=folder, key=key)
    assert cache is None
    moments = accumulate_moments(source, RESOLUTIONS, chunk_size=chunk_size, base=16, store=writer, workers=2)
    return writer.finish(), moments


@pytest.mark.parametrize("mode", ["memory", "disk"])
def test_cache_holds_the_decoded_pixels_and_gives_the_same_moments(toy_folder, tmp_path, mode):
    with open_images(toy_folder) as source:
        key = key_of(source)
        cache, filled = fill(source, mode, tmp_path, key)
        expected = decoded_pixels(source, RESOLUTIONS, base=16)
        decoded = accumulate_moments(source, RESOLUTIONS, chunk_size=32, base=16, workers=1)
    assert isinstance(cache, PixelCache) and cache.mode == mode
    assert (cache.n, cache.resolutions, cache.channels) == (160, RESOLUTIONS, 3)
    for r in RESOLUTIONS:
        pixels = cache.pixels(r)
        assert pixels.dtype == np.uint8 and pixels.shape == (160, r * r * 3)
        np.testing.assert_array_equal(pixels, expected[r])
    from_cache = accumulate_moments(cache, RESOLUTIONS, chunk_size=32)
    for r in RESOLUTIONS:
        for moments in (filled[r], from_cache[r]):
            assert moments.n == decoded[r].n == 160
            assert torch.equal(moments.mean, decoded[r].mean)
            assert torch.equal(moments.second, decoded[r].second)
            assert moments.raw_scale == decoded[r].raw_scale
    with pytest.raises(ValueError, match="resolution=32"):
        cache.pixels(32)


def test_disk_cache_is_reused_by_key_and_only_when_complete(toy_folder, tmp_path):
    with open_images(toy_folder) as source:
        key = key_of(source)
        _, writer = start_cache("disk", capacity=160, resolutions=RESOLUTIONS, channels=3, folder=tmp_path, key=key)
        writer.add(next(source.iter_chunks(RESOLUTIONS, 10, base=16, dtype=np.uint8)))
        assert open_disk_cache(tmp_path, key, RESOLUTIONS) is None  # a pass that did not finish
        writer.discard()
        assert not list(tmp_path.iterdir())
        first, _ = fill(source, "disk", tmp_path, key)
        reused, writer = start_cache("auto", capacity=160, resolutions=[8, 16], channels=3, folder=tmp_path, key=key)
        assert writer is None and reused.mode == "disk" and reused.resolutions == [8, 16]
        np.testing.assert_array_equal(reused.pixels(16), first.pixels(16))
        assert open_disk_cache(tmp_path, key_of(source, crop=True), RESOLUTIONS) is None
        assert open_disk_cache(tmp_path, key_of(source, base=32), RESOLUTIONS) is None
        assert open_disk_cache(tmp_path, key, [4, 8, 16, 32]) is None
        recorded = json.loads(manifest_path(tmp_path, 0, 1).read_text())
        checksums = {str(r): hashlib.sha256(first.pixels(r).tobytes()).hexdigest() for r in RESOLUTIONS}
        assert recorded == {"key": key, "n": 160, "sha256": checksums}
        assert pixels_path(tmp_path, 0, 1, 16).stat().st_size == 160 * 16 * 16 * 3
    with open_images(toy_folder, n_images=100) as fewer:
        assert open_disk_cache(tmp_path, key_of(fewer), RESOLUTIONS) is None  # another fingerprint
    with open(pixels_path(tmp_path, 0, 1, 8), "ab") as fh:
        fh.write(b"\0")
    assert open_disk_cache(tmp_path, key, RESOLUTIONS) is None  # a file of the wrong size


def test_a_changed_cache_file_is_decoded_again_with_a_warning(toy_folder, tmp_path):
    with open_images(toy_folder) as source:
        key = key_of(source)
        first, _ = fill(source, "disk", tmp_path, key)
        expected = np.array(first.pixels(8))
        del first
        with open(pixels_path(tmp_path, 0, 1, 8), "rb+") as fh:  # one flipped byte, same size
            fh.seek(1000)
            byte = fh.read(1)
            fh.seek(1000)
            fh.write(bytes([byte[0] ^ 0xFF]))
        with pytest.warns(CorruptCacheWarning, match="8x8.u8 differs from the SHA-256"):
            cache, writer = start_cache("disk", capacity=160, resolutions=RESOLUTIONS, channels=3, folder=tmp_path,
                                        key=key)
        assert cache is None and writer is not None
        accumulate_moments(source, RESOLUTIONS, chunk_size=32, base=16, store=writer, workers=2)
        np.testing.assert_array_equal(writer.finish().pixels(8), expected)


def test_share_of_a_process_and_unreadable_items(toy_folder, tmp_path):
    (tmp_path / "imgs").mkdir()
    for path in sorted(toy_folder.iterdir())[:20]:
        (tmp_path / "imgs" / path.name).write_bytes(path.read_bytes())
    (tmp_path / "imgs" / "000007.png").write_bytes(b"broken")
    with open_images(tmp_path / "imgs") as source, pytest.warns(UserWarning, match="skipped 1"):
        key = key_of(source, rank=1, world_size=2)
        _, writer = start_cache("disk", capacity=10, resolutions=RESOLUTIONS, channels=3, folder=tmp_path, key=key)
        for chunk in source.iter_chunks(RESOLUTIONS, 4, rank=1, world_size=2, base=16, dtype=np.uint8):
            writer.add(chunk)
        cache = writer.finish()
        everything = decoded_pixels(source, [8], base=16)
    assert cache.n == 9 and manifest_path(tmp_path, 1, 2).is_file()
    odd = [i for i in range(20) if i != 7]
    np.testing.assert_array_equal(cache.pixels(8), everything[8][[odd.index(i) for i in range(1, 20, 2) if i != 7]])


def test_auto_mode_follows_the_memory_limit(monkeypatch, tmp_path):
    monkeypatch.setenv("CONVEXGAN_MAX_BYTES", "4M")
    assert resolve_mode("auto", 2**20) == "memory"
    assert resolve_mode("auto", 2**20 + 1) == "disk"
    assert resolve_mode("memory", 2**30) == "memory"
    with pytest.raises(ValueError, match="cache"):
        resolve_mode("ram", 1)
    with pytest.raises(ValueError, match="run folder"):
        start_cache("disk", capacity=1, resolutions=[4], channels=3)


def test_mean_only_resolutions_skip_the_dense_matrix(toy_folder):
    with open_images(toy_folder) as source:
        full = accumulate_moments(source, RESOLUTIONS, chunk_size=32, base=16)
        light = accumulate_moments(source, RESOLUTIONS, chunk_size=32, base=16, dense=[4])
    assert torch.equal(light[4].second, full[4].second)
    for r in (8, 16):
        assert light[r].second is None and light[r].n == full[r].n == 160
        assert torch.equal(light[r].mean, full[r].mean)
        # max_j mean_i y_ij^2 from the same exact integer sums (int64 squares against the Gram's exact diagonal)
        assert light[r].raw_scale == full[r].raw_scale


def test_flushing_the_float32_buffer_allocates_one_block_not_a_float64_copy():
    if not reset_peak():
        pytest.skip("this system does not let a process reset its peak resident memory (/proc/self/clear_refs)")
    d = 4096
    sums = _Sums(d, torch.device("cpu"), torch.float32)
    assert sums.buffer is not None
    P = np.random.default_rng(0).integers(0, 256, (8, d), dtype=np.uint8)
    sums.add(P, torch.device("cpu"))
    sums.flush()  # loads the kernels
    sums.add(P, torch.device("cpu"))
    Q = torch.from_numpy(P).double()
    expected = sums.outer + Q.T @ Q
    reset_peak()
    start = high_water_mark()
    sums.flush()
    # one promoted 1024-row block is 32 MiB; adding the whole buffer at once would take a 128 MiB float64 copy
    assert high_water_mark() - start <= 8 * 1024 * d + 16 * 2**20
    assert torch.equal(sums.outer, expected) and not sums.buffer.any()


def test_a_full_disk_is_an_error_before_the_pass_not_a_crash(tmp_path, monkeypatch):
    def no_space(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", no_space)
    key = cache_key({"method": "none"}, crop=False, base=8, resolutions=[4, 8], channels=3, draft=False, rank=0,
                    world_size=1)
    with pytest.raises(ValueError, match="does not fit on the disk"):
        start_cache("disk", capacity=10, resolutions=[4, 8], channels=3, folder=tmp_path, key=key)
    assert not list(tmp_path.iterdir())
