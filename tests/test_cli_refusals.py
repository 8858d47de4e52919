"""Bad arguments are refused before torch, CVXPY, Pillow or matplotlib are imported: one case per command.

Each case runs ``main()`` in a fresh interpreter (so that nothing imported by another test is counted) and checks
the refusal line on stderr, the exit status, and ``sys.modules`` after the refusal. The cases follow the
command-line cases of tests/robustness where one exists for the command.
"""

import subprocess
import sys

import pytest

HEAVY = ("torch", "cvxpy", "PIL", "matplotlib")

PROBE = """
import sys
from convexgan.cli import main
status = main(sys.argv[1:])
heavy = sorted(name for name in {heavy!r} if name in sys.modules)
print("status", status, "heavy", ",".join(heavy))
"""


def refusal_cases(tmp):
    """``(argv, fragments of the refusal line)`` for each command; ``tmp`` is an empty folder."""
    (tmp / "file.txt").write_text("not a folder")
    return {
        "compare": (["compare", "--methods", "adam,bogus"], ["--methods='adam,bogus'", "comma-separated subset"]),
        "demo": (["demo", "--out", tmp / "file.txt"], ["--out=", "file.txt", "is a file"]),
        "evaluate": (["evaluate", tmp, tmp, "--extractor", tmp / "net.pt"], ["net.pt", "--trust-extractor"]),
        "export": (["export", tmp], ["must be a run folder", "config.json"]),
        "interpolate": (["interpolate", tmp, "--out", tmp / "g.png", "--rows", "0"], ["--rows=0", ">= 1"]),
        "project": (["project", tmp, tmp, "--out", tmp / "g.png", "--n", "0"], ["--n=0", ">= 1"]),
        "sample": (["sample", tmp], ["give --out"]),
        "solve": (["solve", tmp / "none.npy", "--critic", "linear", "--beta", "1"], ["none.npy", "does not exist"]),
        "train": (["train", tmp, "--out", tmp / "run", "--attribute", "Smiling=2"], ["--attribute 'Smiling=2'"]),
    }


COMMANDS = ["compare", "demo", "evaluate", "export", "interpolate", "project", "sample", "solve", "train"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_argument_is_refused_without_heavy_imports(command, tmp_path):
    argv, fragments = refusal_cases(tmp_path)[command]
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *map(str, argv)], capture_output=True,
                          text=True, timeout=60, check=False)
    line = done.stderr.strip()
    assert line.startswith(f"convexgan {command}: error: "), done.stderr
    assert all(fragment in line for fragment in fragments), line
    assert done.stdout.strip() == "status 1 heavy", done.stdout


def test_every_command_has_a_refusal_case(tmp_path):
    import pkgutil

    from convexgan import commands

    assert sorted(refusal_cases(tmp_path)) == sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
