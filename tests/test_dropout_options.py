"""Every dropout has its own option, its default shown in --help, saved with the model and shown by `info`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import REPO

PAIRS = REPO / "corpora" / "en-fr" / "pairs-a.tsv"
REVIEWS = REPO / "corpora" / "reviews" / "reviews.tsv"
SMALL = ["--hidden-size", "8", "--embedding-size", "8", "--layers", "2", "--epochs", "1", "--batch-size", "8",
         "--tokenizer", "whitespace", "-qq"]
# Each task's data (first 60 lines), its extra options, and the dropout defaults --help must show.
TASKS = {
    "lm": (REPO / "corpora" / "everyday-english" / "weather.txt", ["--bptt", "5"], (0.2, 0.1, 0.2)),
    "classify": (REVIEWS, [], (0.3, 0.15, 0.3)),
    "translate": (PAIRS, [], (0.2, 0.2, 0.2)),
}
NAMES = ("dropout", "embedding_dropout", "output_dropout")


@pytest.mark.parametrize("task", TASKS)
def test_help_shows_each_dropout_with_its_default(cli, task):
    text = " ".join(cli("train", task, "--help", env={"COLUMNS": "200", "NO_COLOR": "1"}).stdout.split())
    for option, default in zip(("--dropout", "--embedding-dropout", "--output-dropout"), TASKS[task][2]):
        found = re.search(rf"{option} .*?\[default: ([^\]]+)\]", text)
        assert found and found.group(1) == str(default), (option, default)
    assert "between stacked recurrent layers" in text


@pytest.mark.parametrize("task", TASKS)
def test_each_dropout_is_set_alone_saved_and_shown_by_info(cli, task, tmp_path):
    path, extra, (_, embedding_default, _) = TASKS[task]
    data = tmp_path / path.name
    data.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:60]), encoding="utf-8")
    result = cli("train", task, str(data), "-o", str(tmp_path / "m"), "--dropout", "0.5", "--output-dropout", "0.05",
                 *SMALL, *extra)
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "m" / "config.json").read_text())["model"]
    # --dropout no longer moves the embedding dropout along with it
    assert [saved[n] for n in NAMES] == [0.5, embedding_default, 0.05]
    shown = json.loads(cli("info", str(tmp_path / "m"), "--json").stdout)["architecture"]
    assert [shown[n] for n in NAMES] == [0.5, embedding_default, 0.05]


def test_models_saved_before_the_options_load_with_dropout_everywhere():
    from textrnn.models.classifier import ClassifierConfig
    from textrnn.models.seq2seq import Seq2SeqConfig

    old = ClassifierConfig(vocab_size=10, num_labels=2, dropout=0.4, embedding_dropout=0.2)
    assert (old.output_dropout, old.embedding_dropout) == (0.4, 0.2)
    old = Seq2SeqConfig(src_vocab_size=10, tgt_vocab_size=10, dropout=0.3)
    assert (old.embedding_dropout, old.output_dropout) == (0.3, 0.3)


def test_info_fills_in_the_dropouts_of_a_model_saved_before_them(cli):
    shown = json.loads(cli("info", "en-fr", "--json").stdout)["architecture"]
    assert shown["embedding_dropout"] == shown["output_dropout"] == shown["dropout"]
