"""The command line prints each warning as one line; library use keeps Python's warnings."""

import warnings

from convexgan.cli import one_line_warnings


def test_a_warning_inside_the_command_is_one_line_without_file_or_source():
    with one_line_warnings("train"):
        text = warnings.formatwarning("frames squashed:\n  3 of 10", UserWarning, "moments.py", 172, "chunk = 1")
    assert text == "convexgan train: warning: frames squashed: 3 of 10\n"


def test_python_warnings_are_restored_after_the_command():
    before = warnings.formatwarning
    with one_line_warnings("sample"):
        assert warnings.formatwarning is not before
    assert warnings.formatwarning is before
