"""Ensembles of classifiers (`predict`/`evaluate --with`): the mean of the members' probabilities, in the first
member's label order; members that read text another way or know other labels are refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import one_line_error as _error
from test_classify import TINY, _messages


def _write(path: Path, rows) -> Path:
    path.write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def members(tmp_path_factory) -> tuple[Path, Path, Path]:
    """Two classifiers of the same data with other seeds and sizes, and one trained with the labels renamed
    (its label list in the other order)."""
    from typer.testing import CliRunner

    from textrnn_cli.app import app

    root = tmp_path_factory.mktemp("ens")
    data = _write(root / "d.tsv", _messages(90))
    flipped = _write(root / "f.tsv", [("a-spam" if label == "spam" else "b-ham", text) for label, text in _messages(90)])
    out = []
    for name, corpus, extra in (("one", data, ["--seed", "1"]), ("two", data, ["--seed", "2", "--hidden-size", "8"]),
                                ("renamed", flipped, ["--seed", "5"])):
        result = CliRunner().invoke(app, ["train", "classify", str(corpus), "-o", str(root / name), "--epochs", "2",
                                          "--lr", "0.01", *TINY, *extra], env={"TEXTRNN_CACHE": str(root / "cache")})
        assert result.exit_code == 0, result.output
        out.append(root / name)
    return tuple(out)


TEXTS = ["WINNER ! claim your free prize now , text WIN to 80080", "see you at the station at six", "ok"]


def _probabilities(cli, *args) -> list[dict[str, float]]:
    result = cli("predict", *args, "--json", *TEXTS)
    assert result.exit_code == 0, result.output
    return [json.loads(line)["probabilities"] for line in result.stdout.splitlines()]


def test_predict_with_averages_the_members_probabilities(cli, members):
    one, two, _ = members
    alone = [_probabilities(cli, "-m", str(m)) for m in (one, two)]
    together = _probabilities(cli, "-m", str(one), "--with", str(two))
    for a, b, mean in zip(*alone, together):
        assert list(mean) == ["ham", "spam"]
        for label in mean:
            assert mean[label] == pytest.approx((a[label] + b[label]) / 2, abs=1e-6)
    assert alone[0] != alone[1]  # the members do differ, so the mean is not one of them


def test_members_labels_are_matched_by_name_not_position(members):
    import torch

    from textrnn.tasks.classifier_runner import ClassifierRunner
    from textrnn.tasks.ensemble import Ensemble

    one = members[0]
    first, second = ClassifierRunner(one), ClassifierRunner(one)
    second.labels = ["spam", "ham"]  # as if its output columns were listed the other way round
    tokens = first.tokens(TEXTS)
    raw = first.probabilities(tokens)
    assert torch.allclose(Ensemble([(one, first), (one, second)]).probabilities(tokens), (raw + raw.flip(1)) / 2)


def test_error_member_with_other_labels(cli, members):
    one, _, renamed = members
    _error(cli("predict", "-m", str(one), "--with", str(renamed), "hello"), 2,
           f"--with {renamed} knows the labels a-spam, b-ham; {one} knows ham, spam")


def test_evaluate_with_reports_the_ensemble(cli, members, tmp_path):
    one, two, _ = members
    test = _write(tmp_path / "t.tsv", _messages(30, seed=5))
    alone = json.loads(cli("evaluate", str(one), str(test), "--json").stdout)
    result = cli("evaluate", str(one), str(test), "--with", str(two), "--json")
    assert result.exit_code == 0, result.output
    both = json.loads(result.stdout)
    assert both["ensemble"] == [str(one), str(two)] and "ensemble" not in alone
    assert both["examples"] == 30 and sum(map(sum, both["confusion"])) == 30
    assert both["loss"] != alone["loss"]


def test_error_member_that_reads_text_another_way(cli, members, tmp_path):
    one, _, _ = members
    chars = tmp_path / "chars"
    data = _write(tmp_path / "d.tsv", _messages(60))
    assert cli("train", "classify", str(data), "-o", str(chars), "--epochs", "1", *TINY,
               "--tokenizer", "char").exit_code == 0
    _error(cli("evaluate", str(one), str(data), "--with", str(chars)), 2,
           f"--with {chars} reads text another way than {one} (char; against whitespace)")


def test_error_with_for_a_model_of_another_task(cli, members, tmp_path, lm_corpus):
    one, _, _ = members
    from textrnn.tasks import lm
    from textrnn.training import TrainConfig

    lm_dir = tmp_path / "lm"
    lm.train(str(lm_corpus), lm_dir, {"hidden_size": 8, "embedding_size": 8, "num_layers": 1},
             lm.LMDataConfig(tokenizer="whitespace", bptt=5), TrainConfig(epochs=1, batch_size=4))
    _error(cli("predict", "-m", str(lm_dir), "--with", str(one), "hello"), 2, "is a language model: --with is for "
                                                                              "classifiers")
    _error(cli("predict", "-m", str(one), "--with", str(lm_dir), "hello"), 5,
           "is a language model; this needs a classifier")
    _error(cli("evaluate", str(one), str(lm_corpus), "--with", str(tmp_path / "nowhere")), 3,
           "no model directory or bundled model named")
