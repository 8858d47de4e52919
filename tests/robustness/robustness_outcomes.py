"""How a bad-input case is judged: its expected outcome and the verdict on what actually happened.

A case is an action on a fresh temporary folder plus the outcome the package documents for it:

- :class:`Raises`: an exception of the given type, raised from convexgan's own code (never from inside numpy,
  torch, CVXPY, Pillow or the standard library), whose message holds every given fragment (the argument's name,
  the value, the path...);
- :class:`Warns`: a result plus a warning whose message matches a pattern (the count of skipped items);
- :class:`Returns`: a result that passes an independent check (a closed form, a direct computation);
- :class:`Exits`: a command line run (``convexgan.cli.main``) that returns the status and prints the fragments
  on stderr, with no uncaught exception.

:func:`judge` runs a case and returns ``(verdict, detail)``; the verdicts in ``GOOD`` are the documented
outcomes, every other verdict names what went wrong. A case with ``max_traced`` runs under ``tracemalloc``
(numpy and Python allocations) and ends as ``"unbounded allocation"`` when its peak exceeds that many bytes;
``judge(..., timeout=s)`` ends a case still running after ``s`` seconds as ``"hang"`` (``SIGALRM``, main thread).
:data:`FAILURE_CLASSES` groups the failing verdicts into the classes the summary counts.
"""

import contextlib
import io
import re
import signal
import tracemalloc
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import convexgan
from convexgan import cli

PACKAGE_DIR = Path(convexgan.__file__).resolve().parent
MARKER = "payload_ran.txt"
GOOD = ("documented error", "warning with count", "correct result", "clean exit")
FAILURE_CLASSES = {
    "raw traceback": ("obscure error", "unexpected error"),
    "hang": ("hang",),
    "unbounded allocation": ("unbounded allocation",),
    "silent wrong result": ("wrong result", "no warning", "no error"),
    "code ran": ("executed code",),
    "other failure": ("wrong error type", "unclear message", "wrong exit status"),
}


class CaseTimeout(BaseException):
    """Raised by the alarm of :func:`judge` in a case that runs past its time limit."""


@dataclass(frozen=True)
class Raises:
    """An exception of type ``error`` raised inside convexgan, its message holding every fragment."""

    error: type
    fragments: tuple = ()


@dataclass(frozen=True)
class Warns:
    """A result and a warning of ``category`` whose message matches ``pattern``; ``check(result)`` asserts it."""

    pattern: str
    check: Callable = None
    category: type = UserWarning


@dataclass(frozen=True)
class Returns:
    """A result; ``check(result)`` raises ``AssertionError`` when it is wrong."""

    check: Callable


@dataclass(frozen=True)
class Exits:
    """``convexgan.cli.main`` returned ``status`` and printed every fragment on stderr."""

    status: int
    fragments: tuple = ()


@dataclass(frozen=True)
class Case:
    """One bad input.

    Attributes
    ----------
    kind : str
        The family it belongs to (rows of the summary table).
    name : str
    action : callable
        ``action(tmp)`` on a fresh folder ``tmp``; returns the result (or a :class:`CliRun`).
    expect : Raises, Warns, Returns or Exits
    bug : str or None
        A known bug that makes the case fail today (the test is a strict xfail naming it).
    payload : bool
        The case feeds a crafted file whose code, if run, creates ``tmp / MARKER``.
    max_traced : int or None
        Bound on the peak of the allocations ``tracemalloc`` sees while the case runs.
    """

    kind: str
    name: str
    action: Callable
    expect: object
    bug: str = None
    payload: bool = False
    max_traced: int = None


@dataclass(frozen=True)
class CliRun:
    """Exit status and stderr of one in-process ``convexgan`` command."""

    status: int
    stderr: str = field(repr=False)


def run_cli(*argv):
    """Run ``convexgan ARGV`` in this process; return a :class:`CliRun` (exceptions propagate: a traceback)."""
    stderr, stdout = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        status = cli.main([str(a) for a in argv])
    return CliRun(status, stderr.getvalue())


def raise_site(err):
    """``(path, line)`` of the innermost frame of ``err``'s traceback (where it was raised)."""
    frame = traceback.extract_tb(err.__traceback__)[-1]
    return Path(frame.filename).resolve(), frame.lineno


def from_convexgan(err):
    """Whether ``err`` was raised by a ``raise`` statement in convexgan's own source."""
    path, _ = raise_site(err)
    return PACKAGE_DIR in path.parents


def _judge_error(expect, err):
    path, line = raise_site(err)
    where = f"{type(err).__module__}.{type(err).__name__} at {path.name}:{line}: {err}"
    if not isinstance(expect, Raises):
        return "unexpected error", where
    if not from_convexgan(err):
        return "obscure error", f"raised inside a dependency: {where}"
    if not isinstance(err, expect.error):
        return "wrong error type", f"expected {expect.error.__name__}; got {where}"
    missing = [f for f in expect.fragments if f not in str(err)]
    if missing:
        return "unclear message", f"message lacks {missing}: {where}"
    return "documented error", f"{type(err).__name__}: {err}"


def _judge_result(expect, result, caught):
    if isinstance(expect, Raises):
        return "no error", f"expected {expect.error.__name__}; returned {type(result).__name__}"
    if isinstance(expect, Exits):
        if result.status != expect.status:
            return "wrong exit status", f"status {result.status} (expected {expect.status}); stderr: {result.stderr}"
        missing = [f for f in expect.fragments if f not in result.stderr]
        if missing:
            return "unclear message", f"stderr lacks {missing}: {result.stderr}"
        return "clean exit", result.stderr.strip()
    if isinstance(expect, Warns):
        messages = [str(w.message) for w in caught if issubclass(w.category, expect.category)]
        if not any(re.search(expect.pattern, m) for m in messages):
            return "no warning", f"no {expect.category.__name__} matching {expect.pattern!r}; got {messages}"
    try:
        if expect.check is not None:
            expect.check(result)
    except AssertionError as err:
        return "wrong result", str(err)
    if isinstance(expect, Warns):
        return "warning with count", next(m for m in messages if re.search(expect.pattern, m))
    return "correct result", "checked against an independent computation"


def failure_class(verdict):
    """The class of a failing verdict (a key of :data:`FAILURE_CLASSES`)."""
    return next(name for name, verdicts in FAILURE_CLASSES.items() if verdict in verdicts)


@contextlib.contextmanager
def _time_limit(seconds):
    if not seconds:
        yield
        return

    def expire(signum, frame):
        raise CaseTimeout(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _traced(enabled):
    if not enabled:
        yield lambda: 0
        return
    tracemalloc.start()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def judge(case, tmp, timeout=None):
    """Run ``case`` in the folder ``tmp`` (at most ``timeout`` seconds); return ``(verdict, detail)``."""
    tmp = Path(tmp)
    peak = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _traced(case.max_traced) as traced, _time_limit(timeout):
                try:
                    result = case.action(tmp)
                finally:
                    peak = traced()
        except CaseTimeout as err:
            return "hang", str(err)
        except Exception as err:  # the verdict is the point: every exception is judged, none escapes
            verdict = _judge_error(case.expect, err)
        else:
            verdict = _judge_result(case.expect, result, caught)
    if case.payload and (tmp / MARKER).exists():
        return "executed code", f"the crafted file ran its payload ({MARKER} was created)"
    if case.max_traced and peak > case.max_traced:
        return "unbounded allocation", f"peak traced allocation {peak} bytes > bound {case.max_traced}"
    return verdict
