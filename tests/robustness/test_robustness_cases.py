"""Every bad input of both catalogues (``robustness_cases``, ``robustness_hostile``) ends as documented: a clear
error, a warning with a count, or a correct result.

A case that fails today because of a known bug is a strict xfail naming the bug, so it fails loudly once fixed.
"""

import pytest

for _module in ("torch", "PIL"):
    pytest.importorskip(_module, reason=f"{_module} is not installed; the trainer tests need pip install 'convexgan[train]'")

from robustness_cases import CASES  # noqa: E402
from robustness_hostile import HOSTILE_CASES  # noqa: E402
from robustness_outcomes import GOOD, judge  # noqa: E402


def _param(case):
    marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
    return pytest.param(case, id=f"{case.kind}: {case.name}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES + HOSTILE_CASES])
def test_bad_input_ends_as_documented(case, tmp_path):
    verdict, detail = judge(case, tmp_path)
    assert verdict in GOOD, f"{verdict}: {detail}"
