"""No row lost on read (data/sources.py): a CSV quote that is never closed, JSONL rows with different keys."""

from __future__ import annotations

import pytest

from conftest import one_line_error
from textrnn.data.sources import Source, read_rows
from textrnn.errors import CorpusError

ROWS = ["ham,see you at 6", "spam,WIN a free prize now", "ham,call me later", "spam,Claim your cash prize"]


def test_an_unclosed_quote_is_named_with_its_line_instead_of_swallowing_the_file(cli, tmp_path):
    """The report: `evaluate` read one example ("accuracy 1.0000") from a file of many, and exited 0."""
    data = tmp_path / "messages.csv"
    data.write_text("\n".join([ROWS[0], 'spam,"WIN a free prize now', *ROWS[2:]]) + "\n", encoding="utf-8")
    result = cli("evaluate", "spam", str(data))
    one_line_error(result, 4, f"{data}, line 2: a quoted field opened on this line is never closed",
                   "end of the file, line 4")


def test_text_after_a_closing_quote_is_named_with_its_line(tmp_path):
    data = tmp_path / "messages.csv"
    data.write_text("\n".join([*ROWS[:2], 'ham,"call" me later', ROWS[3]]) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"messages.csv, line 3: malformed CSV"):
        list(read_rows(Source(str(data))))


def test_quoted_fields_with_commas_quotes_and_line_breaks_are_read_whole(tmp_path):
    """Good CSV still reads, and a record spanning lines does not shift the line named in a later error."""
    data = tmp_path / "messages.csv"
    data.write_text('label,text\nham,"see you, at 6"\nspam,"say ""WIN""\nnow"\nham\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"line 5: expected 2 comma-separated columns, found 1"):
        list(read_rows(Source(str(data))))
    data.write_text('label,text\nham,"see you, at 6"\nspam,"say ""WIN""\nnow"\n', encoding="utf-8")
    assert list(read_rows(Source(str(data)))) == [{"label": "ham", "text": "see you, at 6"},
                                                  {"label": "spam", "text": 'say "WIN"\nnow'}]


def test_jsonl_columns_are_the_union_over_all_rows(tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_text('{"text": "see you at 6"}\n{"text": "WIN now", "label": "spam", "id": 7}\n', encoding="utf-8")
    assert list(read_rows(Source(str(data)))) == [{"text": "see you at 6", "label": None, "id": None},
                                                  {"text": "WIN now", "label": "spam", "id": "7"}]


def test_jsonl_rows_missing_the_label_are_dropped_and_counted_like_unlabelled_rows(cli, tmp_path):
    """The first row has no label key: the label column used to be guessed from the first row's keys (the
    text, so every label was wrong). Now it is found, and that row is left out with a count, as a null label
    is."""
    import json

    data = tmp_path / "rows.jsonl"
    rows = [{"text": "see you at 6"}] + [{"text": t, "label": lab} for lab, t in (r.split(",", 1) for r in ROWS)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = cli("evaluate", "spam", str(data), "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["examples"] == 4
    assert "1 of 5 rows have no label" in result.stderr


def test_jsonl_on_stdin_gets_the_union_too(monkeypatch):
    import io
    import sys

    stdin = io.TextIOWrapper(io.BytesIO(b'{"text": "hi"}\n{"label": "ham", "text": "see you"}\n'))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert list(read_rows(Source("-", format="jsonl"))) == [{"text": "hi", "label": None},
                                                            {"text": "see you", "label": "ham"}]


def test_a_translation_row_missing_a_side_is_named(tmp_path):
    from textrnn.data.translate import ParallelSource, read_pairs

    data = tmp_path / "pairs.jsonl"
    data.write_text('{"source": "I am cold."}\n{"source": "Hello.", "target": "Bonjour."}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"pairs.jsonl, row 1: the target sentence is empty"):
        list(read_pairs(ParallelSource(path=str(data))))
