"""The command line prints each warning as one line; library use keeps Python's warnings."""

import warnings

from convexgan.cli import one_line_warnings


def test_a_warning_inside_the_command_is_one_line_without_file_or_source(capsys):
    with one_line_warnings("train"):
        warnings.simplefilter("always")
        warnings.warn("frames squashed:\n  3 of 10", UserWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert err == "convexgan train: warning: frames squashed: 3 of 10\n"


def test_python_warnings_are_restored_after_the_command():
    before = warnings.showwarning
    with one_line_warnings("sample"):
        assert warnings.showwarning is not before
    assert warnings.showwarning is before
