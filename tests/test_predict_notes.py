"""predict on many texts: unknown words summarised once at the end, not a note per line; -q says nothing."""

from __future__ import annotations

import pytest

LINES = {  # bundled model -> texts, two of them with made-up words (zorblax twice)
    "en-fr": "I am cold.\nThe zorblax is here.\nWhere is the station?\nMy zorblax and quibbit are hungry.\n",
    "everyday-english": "I love eating\nThe zorblax is\nWe are going to the\nMy zorblax and quibbit\n",
    "spam": "see you at 6\nthe zorblax is here\nFree entry now!\nmy zorblax and quibbit\n",
}


def stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("model", LINES)
def test_unknown_words_are_summarised_once(cli, model):
    result = cli("predict", "-m", model, input=LINES[model])
    assert result.exit_code == 0, result.output
    (line,) = stderr_lines(result)
    assert line.startswith("note: 2 of 4 texts have words not in the"), line
    assert "zorblax (2), quibbit (1)" in line.lower(), line


@pytest.mark.parametrize("model", LINES)
def test_quiet_silences_notes(cli, model):
    result = cli("predict", "-m", model, "-q", "--json", input=LINES[model])
    assert result.exit_code == 0, result.output
    assert stderr_lines(result) == [] and len(result.stdout.splitlines()) == 4


def test_one_text_names_its_unknown_words(cli):
    result = cli("predict", "-m", "en-fr", "The zorblax is here.", "--beam", "1")
    assert stderr_lines(result) == ["note: not in the source vocabulary: zorblax"]


def test_other_notes_still_come_with_their_text(cli):
    result = cli("predict", "-m", "en-fr", "--beam", "1", input="I am cold.\n" + "cold " * 60 + "\n")
    assert [l for l in stderr_lines(result) if "only the first" in l], result.stderr
    assert stderr_lines(cli("predict", "-m", "en-fr", "-q", "--beam", "1", input="cold " * 60 + "\n")) == []
