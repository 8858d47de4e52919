"""Every option of every sub-command that has a default states it in ``--help``."""

import argparse

import pytest

from convexgan.cli import build_parser, format_default, shows_default


def subcommands():
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(action.choices.items())


def option_blocks(help_text):
    """``{option string: its help text with whitespace removed}`` from an argparse help page."""
    blocks = []
    for line in help_text.splitlines():
        if line.startswith("  -"):
            blocks.append([line.strip()])
        elif blocks and line.startswith("   ") and line.strip():
            blocks[-1].append(line.strip())
        elif blocks and blocks[-1] is not None:
            blocks.append(None)
    found = {}
    for block in filter(None, blocks):
        text = "".join(" ".join(block).split())
        for word in block[0].split("  ")[0].replace(",", " ").split():  # the invocation, before the help text
            if word.startswith("-"):
                found[word] = text
    return found


@pytest.mark.parametrize("name, parser", subcommands(), ids=[name for name, _ in subcommands()])
def test_every_default_is_shown(name, parser):
    blocks = option_blocks(parser.format_help())
    checked = 0
    for action in parser._actions:
        if not shows_default(action):
            continue
        option = action.option_strings[-1]
        assert option in blocks, f"{name} {option} missing from --help"
        text = blocks[option]
        assert "default" in text.lower(), f"convexgan {name} --help hides the default of {option}"
        if "default" not in (action.help or "").lower():  # written by the formatter: the exact value
            assert f"(default:{''.join(format_default(action.default).split())})" in text
        checked += 1
    assert checked > 0


def test_options_without_a_value_default_do_not_claim_one():
    parser = dict(subcommands())["sample"]
    blocks = option_blocks(parser.format_help())
    assert "default" not in blocks["--npy"].lower() and "default" not in blocks["--force"].lower()
    assert "(default:64)" in blocks["--n"] and "(default:0)" in blocks["--seed"]
