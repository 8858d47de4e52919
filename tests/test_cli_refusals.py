"""Bad arguments are refused before torch, CVXPY, Pillow or matplotlib are imported."""

import subprocess
import sys

HEAVY = ("torch", "cvxpy", "PIL", "matplotlib")

PROBE = """
import sys
from convexgan.cli import main
status = main(sys.argv[1:])
heavy = sorted(name for name in {heavy!r} if name in sys.modules)
print("status", status, "heavy", ",".join(heavy))
"""


def test_sample_without_an_output_option_is_refused_without_heavy_imports(tmp_path):
    probe = PROBE.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe, "sample", str(tmp_path)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert "convexgan sample: error: give --out" in done.stderr
    assert done.stdout.strip() == "status 1 heavy"
