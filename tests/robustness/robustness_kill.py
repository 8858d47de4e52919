"""Kill ``python -m convexgan train`` with SIGKILL at chosen moments, then resume it.

The moments are made reachable by a ``sitecustomize`` hook that the child process loads from ``PYTHONPATH``
(the package itself is untouched). ``CONVEXGAN_TEST_PAUSE`` selects where the child stops and waits to be
killed:

- ``write:NAME``: after the first bytes of the temporary file of checkpoint ``NAME`` reach the disk, so the
  kill lands in the middle of writing it (the temporary file is partial, the final name does not exist yet);
  the pause happens once, so that a signal that ends it (SIGINT) lets the process unwind normally;
- ``after:NAME``: right after the checkpoint ``NAME`` is renamed into place, before the stage's sample grid
  and report are written.

:func:`interrupted_chain` runs a training killed at each moment in turn (every restart with ``--resume``),
finishes it in-process with ``convexgan train --resume`` and returns what it observed.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from robustness_cases import TRAIN_ARGV, reference_folder, run_cli

PAUSE_HOOK = '''"""Test hook: pause convexgan's checkpoint writing at the moment named by CONVEXGAN_TEST_PAUSE."""
import os
import tempfile
import time

_when, _, _name = os.environ.get("CONVEXGAN_TEST_PAUSE", "").partition(":")
_paused = []


def _pause():
    if not _paused:
        _paused.append(True)
        time.sleep(3600)


if _when == "write":
    _mkstemp, _fdopen, _marked = tempfile.mkstemp, os.fdopen, set()

    def _marking_mkstemp(*args, **kwargs):
        fd, path = _mkstemp(*args, **kwargs)
        if os.path.basename(path).startswith("." + _name):
            _marked.add(fd)
        return fd, path

    class _PausingFile:
        def __init__(self, fh):
            self._fh = fh

        def __getattr__(self, attr):
            return getattr(self._fh, attr)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._fh.__exit__(*exc)

        def write(self, data):
            written = self._fh.write(data)
            self._fh.flush()
            _pause()
            return written

    def _pausing_fdopen(fd, *args, **kwargs):
        fh = _fdopen(fd, *args, **kwargs)
        return _PausingFile(fh) if fd in _marked else fh

    tempfile.mkstemp, os.fdopen = _marking_mkstemp, _pausing_fdopen

if _when == "after":
    _replace = os.replace

    def _pausing_replace(src, dst, *args, **kwargs):
        _replace(src, dst, *args, **kwargs)
        if os.path.basename(os.fspath(dst)).startswith(_name):
            _pause()

    os.replace = _pausing_replace
'''


@dataclass
class Kill:
    """What one killed process left in the run folder."""

    moment: str
    returncode: int
    files: list
    partial: list = field(default_factory=list)


def _child_env(hook_dir, moment):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook_dir), env.get("PYTHONPATH")]))
    env["CONVEXGAN_TEST_PAUSE"] = moment
    env["OMP_NUM_THREADS"] = "1"
    return env


def _reached(run, moment):
    """Whether the child has reached ``moment`` (the files it leaves there exist)."""
    when, _, name = moment.partition(":")
    if when == "after":
        return any(run.glob(f"{name}*.npz"))
    return any(p.stat().st_size > 0 for p in run.glob(f".{name}*.tmp"))


def kill_at(run, moment, hook_dir, *, resume, timeout=300):
    """Start ``python -m convexgan train`` into ``run``, SIGKILL it once it reaches ``moment``; return a Kill."""
    argv = [sys.executable, "-m", "convexgan", "train", str(reference_folder()[0]), "--out", str(run), *TRAIN_ARGV]
    if resume:
        argv.append("--resume")
    child = subprocess.Popen(argv, env=_child_env(hook_dir, moment), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    try:
        while not (run.is_dir() and _reached(run, moment)):
            if child.poll() is not None:
                raise RuntimeError(f"train exited ({child.returncode}) before {moment}: {child.stderr.read()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"train did not reach {moment} within {timeout} s")
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stderr.close()
    files = sorted(p.name for p in run.iterdir())
    return Kill(moment, child.returncode, files, [n for n in files if n.endswith(".tmp")])


@dataclass
class Chain:
    """Observations of a training killed at several moments and resumed."""

    run: Path
    kills: list
    snapshots: list
    final_status: int
    final_files: list


def interrupted_chain(root, moments=("write:stage00", "after:stage00", "write:stage01")):
    """Kill a training at each of ``moments`` in turn, then finish it with ``convexgan train --resume``.

    ``snapshots[j]`` maps every checkpoint present after kill ``j`` to its bytes.
    """
    root = Path(root)
    hook_dir = root / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(PAUSE_HOOK)
    run = root / "run"
    kills, snapshots = [], []
    for j, moment in enumerate(moments):
        kills.append(kill_at(run, moment, hook_dir, resume=j > 0))
        snapshots.append({p.name: p.read_bytes() for p in sorted(run.glob("stage*.npz"))})
    final = run_cli("train", reference_folder()[0], "--out", run, *TRAIN_ARGV, "--resume")
    return Chain(run, kills, snapshots, final.status, sorted(p.name for p in run.iterdir()))
