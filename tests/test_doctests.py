"""The Examples of the public API run as doctests (inside README's test command), and there are enough of them.

Every module of the package is imported and its docstrings' examples run with ELLIPSIS and NORMALIZE_WHITESPACE.
Each example compares with a closed form or an independent computation, so a doctest here can fail.
"""

import doctest
import importlib
import pkgutil

import pytest

import convexgan

MODULES = sorted(info.name for info in pkgutil.walk_packages(convexgan.__path__, "convexgan.")
                 if not info.name.endswith("__main__"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def doctests(name):
    """The doctests of module ``name`` that have examples."""
    module = importlib.import_module(name)
    return [test for test in doctest.DocTestFinder().find(module, name) if test.examples]


@pytest.mark.parametrize("name", [name for name in MODULES if doctests(name)])
def test_examples_run(name):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in doctests(name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_enough_public_examples():
    documented = {test.name for name in MODULES for test in doctests(name) if ">>>" in (test.docstring or "")
                  and "Examples\n" in (test.docstring or "")}
    assert len(documented) >= 20, sorted(documented)


def test_docstrings_cite_the_theory_by_reference():
    stale = []
    for name in MODULES:
        for test in doctest.DocTestFinder(exclude_empty=False).find(importlib.import_module(name), name):
            text = test.docstring or ""
            if "docs/theory.md" in text or "docs/programs.md" in text:
                stale.append(test.name)
    assert not stale, f"docstrings citing a file instead of a :ref: label: {sorted(set(stale))}"
