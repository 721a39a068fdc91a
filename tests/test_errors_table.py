"""The README's errors table is the contract: every exit code the CLI can give is in it, every row of it is one
the CLI gives, and every error class textrnn raises on purpose has its own code (not the catch-all 1)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from textrnn import errors as E
from textrnn_cli.errors import ERROR_MAP, exit_code_for, render_error

README = Path(__file__).resolve().parent.parent / "README.md"
USAGE = 2  # Typer/Click's own code for an unknown option or a missing argument, which the table's row 2 covers


def table() -> dict[int, str]:
    """exit code -> meaning, from the rows of the table under the README's "### Errors" heading."""
    section = README.read_text(encoding="utf-8").split("### Errors", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| *(\d+) *\| *(.+?) *\|$", section, flags=re.M)
    assert rows, "no table under ### Errors"
    return {int(code): meaning for code, meaning in rows}


def test_every_code_the_cli_gives_is_in_the_table_and_every_row_is_given():
    given = {code for _, code, _ in ERROR_MAP} | {USAGE}
    assert set(table()) == given


def test_every_error_class_has_a_code_of_its_own():
    """The catch-all code 1 is for a TextrnnError subclass someone forgot to map: none may rely on it."""
    classes = [cls for _, cls in inspect.getmembers(E, inspect.isclass)
               if issubclass(cls, E.TextrnnError) and cls is not E.TextrnnError]
    assert classes
    for cls in classes:
        code, _ = exit_code_for(cls.__new__(cls))
        assert code != 1, f"{cls.__name__} falls through to exit code 1"


@pytest.mark.parametrize("code", sorted({code for _, code, _ in ERROR_MAP}))
def test_each_rows_meaning_names_what_leads_to_it(code):
    assert len(table()[code].split()) >= 3, f"row {code} of the README's errors table says too little"


def test_an_error_renders_as_one_line_with_its_label_and_hint(capsys):
    code = render_error(E.CorpusError("no text in corpus.txt", hint="give a file with text"))
    err = capsys.readouterr().err
    assert code == 4 and err == "textrnn: data error: no text in corpus.txt (hint: give a file with text)\n"


@pytest.mark.parametrize("args, fragments", [
    (["prdict", "x"], ["No such command 'prdict'. Did you mean 'predict'?", "see 'textrnn --help'"]),
    (["predict", "--bogus", "x"], ["No such option: --bogus", "see 'textrnn predict --help'"]),
    (["generate", "--top-p", "abc", "hi"], ["Invalid value for '--top-p'", "see 'textrnn generate --help'"]),
    (["info"], ["Missing argument 'model'", "see 'textrnn info --help'"]),
    (["train", "lmm", "x"], ["No such command 'lmm'", "see 'textrnn train --help'"]),
    (["--bogus"], ["No such option: --bogus", "see 'textrnn --help'"]),
])
def test_a_usage_error_is_one_line_too(cli, args, fragments):
    """Click's usage errors (unknown command or option, a value of the wrong type, a missing argument) come out
    as every other mistake does: one `textrnn:` line with where the help is, exit code 2, no Usage box."""
    from conftest import one_line_error

    result = cli(*args)
    one_line_error(result, USAGE, *fragments)
    assert "Usage:" not in result.stderr and "╭" not in result.stderr


@pytest.mark.parametrize("args", [[], ["train"]])
def test_a_group_without_its_command_still_shows_its_help(cli, args):
    result = cli(*args)
    assert result.exit_code == USAGE
    assert "Usage: " in result.stdout + result.stderr and "Commands" in result.stdout + result.stderr
    assert "textrnn: error" not in result.stderr
