"""Start-up time of the command line: ``convexgan --help``, each ``convexgan COMMAND --help`` and each command's
bad-argument refusal (the cases of tests/test_cli_refusals.py), against 1 s.

Each row runs a fresh interpreter ``--runs`` times and reports the median and the minimum of

- *wall*: the whole process, ``python -m convexgan [COMMAND] --help``, measured from outside;
- *import*: the process's total import time from ``python -X importtime`` (the sum of the ``cumulative``
  column over top-level imports: the interpreter's start-up modules, convexgan's and what they pull in);
- *heavy*: the heavy modules (torch, CVXPY, scipy.optimize, matplotlib, Pillow, scikit-learn) found in
  ``sys.modules`` after the parser was built and the help printed (must be none).

The refusal rows report the wall time's median and maximum (the refusal is answered by the exit status 1 and the
line ``convexgan COMMAND: error: ...``; heavy must be none there too). The last rows time the imports a
sub-command's ``run`` pays (torch, CVXPY), for comparison.
Run: ``python benchmarks/cli_startup.py`` (about 30 s; the numbers depend on the machine's load).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "cvxpy", "scipy.optimize", "matplotlib", "PIL", "sklearn")
TARGET = 1.0
HELP = """
import sys
from convexgan.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exit:
    status = exit.code
print("STATUS", status, file=sys.stderr)
print("HEAVY", ",".join(m for m in {heavy!r} if m in sys.modules) or "none", file=sys.stderr)
"""


def environment():
    """This checkout first on the path, so that the benchmark measures the tree it sits in."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def run_once(argv, status=0):
    """One fresh interpreter: (wall seconds, import seconds, heavy modules loaded); ``main(argv)`` must return
    ``status``."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", HELP.format(heavy=HEAVY), *map(str, argv)],
                          capture_output=True, text=True, env=environment(), check=True)
    wall = time.perf_counter() - start
    if f"STATUS {status}" not in done.stderr:
        raise RuntimeError(f"convexgan {' '.join(map(str, argv))} did not exit with {status}:\n{done.stderr[-2000:]}")
    imported = 0
    heavy = "?"
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            fields = line.split("|")
            if fields[1].strip().isdigit() and not fields[2].startswith("  "):  # top-level imports only
                imported += int(fields[1])
        elif line.startswith("HEAVY "):
            heavy = line.split()[1]
    return wall, imported / 1e6, heavy


def import_once(module):
    """Wall seconds of ``python -c 'import module'`` (a fresh interpreter)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, env=environment())
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per row (default 5)")
    args = parser.parse_args(argv)
    commands = sorted(p.stem for p in (ROOT / "convexgan" / "commands").glob("*.py") if p.stem != "__init__")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
          f"{args.runs} runs per row; target {TARGET:g} s")
    print(f"| {'command':<26} | wall median (s) | wall min (s) | import median (s) | import min (s) | heavy | "
          f"median / target |")
    print("|" + "---|" * 7)
    for command in [[]] + [[c] for c in commands]:
        runs = [run_once([*command, "--help"]) for _ in range(args.runs)]
        walls, imports = [r[0] for r in runs], [r[1] for r in runs]
        heavy = sorted({r[2] for r in runs})
        name = " ".join(["convexgan", *command, "--help"])
        print(f"| {name:<26} | {statistics.median(walls):15.3f} | {min(walls):12.3f} | "
              f"{statistics.median(imports):17.3f} | {min(imports):14.3f} | {','.join(heavy):5} | "
              f"{statistics.median(walls) / TARGET:15.2f} |")
    sys.path.insert(0, str(ROOT / "tests"))
    from test_cli_refusals import refusal_cases

    with tempfile.TemporaryDirectory() as tmp:
        for command, (refused, _) in sorted(refusal_cases(Path(tmp)).items()):
            runs = [run_once(refused, status=1) for _ in range(args.runs)]
            walls = [r[0] for r in runs]
            heavy = sorted({r[2] for r in runs})
            name = f"{command} refusal (max {max(walls):.3f})"
            print(f"| {name:<26} | {statistics.median(walls):15.3f} | {min(walls):12.3f} | "
                  f"{statistics.median(r[1] for r in runs):17.3f} | {min(r[1] for r in runs):14.3f} | "
                  f"{','.join(heavy):5} | {statistics.median(walls) / TARGET:15.2f} |")
    for module in ("numpy", "cvxpy", "torch"):
        walls = [import_once(module) for _ in range(args.runs)]
        print(f"| {'python -c import ' + module:<26} | {statistics.median(walls):15.3f} | {min(walls):12.3f} | "
              f"{'-':>17} | {'-':>14} | {'-':5} | {'-':>15} |")


if __name__ == "__main__":
    main()
