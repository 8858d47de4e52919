"""Every run-folder file a resume reads back, edited by hand (``robustness_run_files.RUN_FILE_CASES``): a clear
error naming the file, the field and the value, or -- for the pixel-cache manifest and ``data_files.json`` --
a resume whose weights are the uninterrupted run's."""

import pytest

for _module in ("torch", "PIL"):
    pytest.importorskip(_module, reason=f"{_module} is not installed; the trainer tests need pip install 'convexgan[train]'")

from robustness_outcomes import GOOD, judge  # noqa: E402
from robustness_run_files import RUN_FILE_CASES  # noqa: E402


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.kind}: {c.name}") for c in RUN_FILE_CASES])
def test_edited_run_file_ends_as_documented(case, tmp_path):
    verdict, detail = judge(case, tmp_path, timeout=60)
    assert verdict in GOOD, f"{verdict}: {detail}"
