"""Files of odd shape answer within seconds with a result or one line: a CSV field over 128 KiB, JSON nested
100,000 deep, thousands of columns, a 50 MB line without a line break."""

from __future__ import annotations

import json
import random
import warnings

import pytest

from conftest import QUICK_LM, one_line_error, run_textrnn
from textrnn.data.decode import bounded_lines
from textrnn.data.sources import Source, read_rows

# Generous for a shared 2-core machine (these take seconds alone on it); before the fixes they ran for half an
# hour (column detection was quadratic) or tokenized all 50 MB.
ANSWER_SECONDS = 120
WORDS = "the cat sat on a mat and the dog ran to the park while birds sang in the trees".split()


def _words(n: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n))


def test_csv_field_over_128_kib_is_read_whole(tmp_path):
    big = _words(40_000)  # about 170 KiB: Python's csv refuses fields over 128 KiB by default
    path = tmp_path / "reviews.csv"
    path.write_text(f'text,label\n"{big}",pos\nshort one,neg\n', encoding="utf-8")
    rows = list(read_rows(Source(str(path))))
    assert [r["label"] for r in rows] == ["pos", "neg"] and rows[0]["text"] == big


def test_csv_field_over_128_kib_through_the_cli(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(f'text,label\n"{_words(40_000)}",pos\n', encoding="utf-8")
    proc = run_textrnn("vocab", "build", str(path), "-t", "whitespace", "-o", str(tmp_path / "v.json"),
                       timeout=ANSWER_SECONDS)
    assert proc.returncode == 0, proc.stderr
    assert "birds" in json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))["tokens"]


def test_deeply_nested_jsonl_is_a_data_error_naming_the_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "fine", "label": "a"}\n{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
                    encoding="utf-8")
    proc = run_textrnn("vocab", "build", str(path), "-o", str(tmp_path / "v.json"), timeout=ANSWER_SECONDS)
    one_line_error(proc, 4, "rows.jsonl, line 2", "nested too deeply")


def _wide(path, columns: int, delimiter: str) -> None:
    rng = random.Random(0)
    rows = [delimiter.join(f"w{rng.randint(0, 9)}" for _ in range(columns)) for _ in range(20)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.mark.parametrize("suffix,delimiter", [("tsv", "\t"), ("csv", ",")])
def test_five_thousand_columns_train_a_classifier(tmp_path, quick_env, suffix, delimiter):
    """Column detection was quadratic in the columns (1,500 took 212 s); now it is one pass."""
    path = tmp_path / f"wide.{suffix}"
    _wide(path, 5000, delimiter)
    proc = run_textrnn("train", "classify", str(path), "-o", str(tmp_path / "m"), "--epochs", "1", "--hidden-size", "8",
                       "--embedding-size", "8", "-qq", env=quick_env, timeout=ANSWER_SECONDS)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and (tmp_path / "m" / "config.json").is_file()


def test_five_thousand_columns_missing_column_is_one_short_line(tmp_path, quick_env):
    path = tmp_path / "wide.tsv"
    _wide(path, 5000, "\t")
    proc = run_textrnn("train", "classify", str(path), "-o", str(tmp_path / "m"), "--text-column", "body",
                       env=quick_env, timeout=ANSWER_SECONDS)
    line = one_line_error(proc, 4, "no column 'body'", "0, 1, 2", "(5,000 columns)")
    assert len(line) < 400


def test_long_line_is_read_in_pieces_with_one_warning():
    line = _words(60_000)  # about 250,000 characters
    with pytest.warns(UserWarning, match=r"1 line\(s\) longer than 100,000 characters .* line 2, has 2"):
        pieces = list(bounded_lines(["short", line, "end"], "corpus.txt"))
    assert pieces[0] == "short" and pieces[-1] == "end" and len(pieces) == 5
    assert all(len(p) <= 100_000 for p in pieces)
    assert " ".join(pieces[1:-1]) == line  # cut at spaces: no word is split, nothing is lost


def test_long_line_without_spaces_is_cut_hard():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert [len(p) for p in bounded_lines(["x" * 250_001], "f", limit=100_000)] == [100_000, 100_000, 50_001]


def test_language_model_trains_on_one_long_line(tmp_path, quick_env):
    """A corpus without line breaks (text8 is one 100 MB line) gets a validation split from its pieces."""
    corpus = tmp_path / "one-line.txt"
    corpus.write_text(_words(70_000), encoding="utf-8")  # about 300,000 characters, no newline
    proc = run_textrnn("train", "lm", str(corpus), "-o", str(tmp_path / "m"), *QUICK_LM, "--epochs", "1",
                       "--batch-size", "64", "--bptt", "32", env=quick_env, timeout=ANSWER_SECONDS)
    assert proc.returncode == 0, proc.stderr
    assert "were read in pieces of at most 100,000" in proc.stderr


@pytest.fixture(scope="module")
def fifty_mb_line() -> str:
    return (_words(20_000) + " ") * 610  # over 50 MB, no newline


@pytest.mark.parametrize("model,note", [("everyday-english", "only the last 1000 tokens are used"),
                                        ("sentiment", "longer than the model reads"),
                                        ("en-fr", "only the first")])
def test_predict_on_a_50_mb_line_answers_at_once(fifty_mb_line, model, note):
    """Only what the model reads is tokenized (its first or last tokens), not the whole 50 MB."""
    assert len(fifty_mb_line) > 50_000_000
    beam = ["--beam", "1"] if model == "en-fr" else []
    proc = run_textrnn("predict", "-m", model, *beam, input=fifty_mb_line, timeout=ANSWER_SECONDS)
    assert proc.returncode == 0 and proc.stdout.strip(), proc.stderr
    assert note in proc.stderr
