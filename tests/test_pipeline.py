"""The one training path every task runs (textrnn.tasks.pipeline): the same errors and results in every task."""

from __future__ import annotations

import pytest

from conftest import one_line_error

# Each task's data with too few examples to hold a validation split out of: (task, file content, count).
TOO_SMALL = [
    ("lm", "one single line of text\n", "1 example is"),
    ("classify", "text\tlabel\ngood film\tpos\nbad film\tneg\n", "2 rows are"),
    ("translate", "I am cold.\tJ'ai froid.\n", "1 pair is"),
]


@pytest.mark.parametrize("task, content, count", TOO_SMALL, ids=[t[0] for t in TOO_SMALL])
def test_too_small_for_a_validation_split_is_one_error_in_every_task(cli, tmp_path, task, content, count):
    data = tmp_path / ("data.txt" if task == "lm" else "data.tsv")
    data.write_text(content, encoding="utf-8")
    out = tmp_path / "m"
    result = cli("train", task, str(data), "-o", str(out), "--tokenizer", "whitespace", "--epochs", "1", "-qq")
    one_line_error(result, 8, "training error:", str(data), f"{count} too few for a validation split",
                   "give --valid FILE")
    assert not out.exists()


def test_one_train_result_for_every_task():
    from textrnn.tasks import classify, lm, pipeline, translate

    assert lm.TrainResult is classify.TrainResult is translate.TrainResult is pipeline.TrainResult
