"""What a fresh install sees: light imports, one-line errors for missing extras, no side effects at import.

Each check runs in a fresh interpreter (``python -c``), since this process has long imported everything.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "cvxpy", "matplotlib", "scipy.stats", "scipy.optimize", "PIL", "sklearn")
COMMANDS = sorted(p.stem for p in (ROOT / "convexgan" / "commands").glob("*.py") if p.stem != "__init__")
MISSING_EXTRA = re.compile(r"^convexgan[\w. ]* needs [\w-]+, which is not installed: pip install 'convexgan\[\w+\]'$")


def python(code, env=None):
    """Run ``code`` in a fresh interpreter with this checkout first on the path; return the completed process."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**environment, **(env or {})},
                          timeout=120)


def loaded_after(code):
    """The modules of HEAVY in ``sys.modules`` after running ``code`` (a fresh interpreter)."""
    done = python(f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_help_imports_no_heavy_module():
    runs = [[]] + [[name] for name in COMMANDS]
    code = "\n".join([
        "import contextlib, io, json, sys",
        "from convexgan.cli import main",
        "seen = {}",
        f"for argv in {runs!r}:",
        "    with contextlib.redirect_stdout(io.StringIO()) as out:",
        "        try:",
        "            main(argv + ['--help'])",
        "        except SystemExit:",
        "            pass",
        "    assert 'usage: convexgan' in out.getvalue(), argv",
        f"    seen[' '.join(argv) or '(none)'] = [m for m in {HEAVY!r} if m in sys.modules]",
        "print(json.dumps(seen))",
    ])
    done = python(code)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(seen) == {"(none)", *COMMANDS}
    assert seen == {command: [] for command in seen}


def test_duality_and_metrics_import_cvxpy_only_when_a_program_is_built():
    imports = ("import convexgan.metrics, convexgan.duality\n"
               "from convexgan.duality import CRITIC_GAPS, PROGRAMS, critic_gap, solve\n"
               "from convexgan.metrics import bures_wasserstein, moment_errors")
    assert loaded_after(imports) == []
    closed_forms = (f"{imports}\nimport numpy as np\n"
                    "X = np.random.default_rng(0).standard_normal((50, 3))\n"
                    "sol = solve(X, 'quadratic', beta=0.1)\n"
                    "assert abs(critic_gap(X, sol.G, 'quadratic') - 0.1) < 1e-9\n"
                    "assert moment_errors(sol.G, X, beta=0.1).constraint_value <= 1 + 1e-9")
    assert loaded_after(closed_forms) == []
    program = f"{imports}\nimport numpy as np\nsolve(np.eye(3) + 1, 'quadratic', beta=0.5, method='cvxpy')"
    assert "cvxpy" in loaded_after(program)


@pytest.mark.parametrize("module, extra", [
    ("convexgan.progressive", "train"),
    ("convexgan.data", "train"),
    ("convexgan.baselines", "train"),
    ("convexgan.plotting", "train"),
    ("convexgan.metrics.extractors", "train"),
    ("convexgan.demo", "train"),
])
def test_an_import_without_its_extra_is_a_one_line_error_naming_it(module, extra):
    code = ("import sys\nsys.modules['torch'] = sys.modules['PIL'] = None\n"
            f"try:\n    import {module}\nexcept ImportError as err:\n    print(type(err).__name__, err, sep='|')")
    done = python(code)
    assert done.returncode == 0, done.stderr
    name, message = done.stdout.strip().split("|")
    assert name == "MissingExtraError" and "\n" not in message
    assert MISSING_EXTRA.match(message) and message.endswith(f"pip install 'convexgan[{extra}]'"), message


def test_plots_without_matplotlib_name_the_plots_extra(tmp_path):
    pytest.importorskip("torch", reason="torch is not installed: pip install 'convexgan[train]'")
    code = ("import sys\nsys.modules['matplotlib'] = None\n"
            "from convexgan.baselines import History, plot_error_vs_time\n"
            f"plot_error_vs_time([], {str(tmp_path / 'x.png')!r})")
    done = python(code)
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 1
    assert last.endswith("matplotlib, which is not installed: pip install 'convexgan[plots]'"), last


def test_command_line_without_torch_solves_and_names_the_extra_elsewhere(tmp_path):
    import numpy as np

    data = tmp_path / "x.npy"
    np.save(data, np.random.default_rng(0).standard_normal((40, 3)))
    out = tmp_path / "certificate.json"
    code = ("import sys\nsys.modules['torch'] = sys.modules['PIL'] = sys.modules['sklearn'] = None\n"
            "from convexgan.cli import main\n"
            f"assert main(['solve', {str(data)!r}, '--critic', 'linear', '--beta', '0.05', '--json', {str(out)!r}]) == 0\n"
            f"raise SystemExit(main(['train', {str(tmp_path)!r}, '--out', {str(tmp_path / 'run')!r}]) * 10"
            f" + main(['demo', '--out', {str(tmp_path / 'demo')!r}]))")
    done = python(code)
    assert done.returncode == 11, done.stderr
    errors = done.stderr.strip().splitlines()
    assert errors == ["convexgan train: error: convexgan.progressive needs torch, which is not installed: "
                      "pip install 'convexgan[train]'",
                      "convexgan demo: error: convexgan demo needs torch, which is not installed: "
                      "pip install 'convexgan[demo]'"]
    certificate = json.loads(out.read_text())
    assert certificate["critic"] == "linear" and certificate["certificate"]["gap"] <= 1e-6


def test_importing_and_plotting_baselines_keeps_the_users_matplotlib_backend(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed: pip install 'convexgan[plots]'")
    pytest.importorskip("torch", reason="torch is not installed: pip install 'convexgan[train]'")
    png = tmp_path / "error.png"
    code = ("import matplotlib\nbefore = matplotlib.get_backend()\n"
            "from convexgan.baselines import History, plot_error_vs_time\n"
            "h = History('gda', seconds=[0.1, 1.0], iterations=[1, 10], metrics={'relative_error': [1.0, 0.1]})\n"
            f"plot_error_vs_time([h], {str(png)!r}, tol=0.5)\n"
            "print(before, matplotlib.get_backend())")
    done = python(code, env={"MPLBACKEND": "svg"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["svg", "svg"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_cited_theory_label_is_in_docs_theory():
    cited = set()
    for path in (ROOT / "convexgan").rglob("*.py"):
        cited |= set(re.findall(r":ref:`(?:[^`<]*<)?(theory-[a-z-]+)>?`", path.read_text()))
    labels = set(re.findall(r"^\((theory-[a-z-]+)\)=$", (ROOT / "docs" / "theory.md").read_text(), re.M))
    assert cited and cited <= labels, sorted(cited - labels)
