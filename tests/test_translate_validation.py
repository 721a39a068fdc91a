"""A translator's validation: BLEU is decoded once, for the best model, unless it picks the best epoch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from textrnn import checkpoint

REPO = Path(__file__).resolve().parent.parent
PAIRS = REPO / "corpora" / "en-fr" / "pairs-a.tsv"
MODEL = {"hidden_size": 16, "embedding_size": 8}


@pytest.fixture
def pairs(tmp_path) -> tuple[Path, Path]:
    """80 training pairs, and 30 of them for validation: every word known, so no <unk> is replaced (which
    `evaluate` does and the BLEU of training does not)."""
    lines = PAIRS.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "train.tsv").write_text("".join(lines[:80]), encoding="utf-8")
    (tmp_path / "valid.tsv").write_text("".join(lines[:30]), encoding="utf-8")
    return tmp_path / "train.tsv", tmp_path / "valid.tsv"


@pytest.fixture
def bleu_calls(monkeypatch) -> list[float]:
    """Every greedy BLEU pass of training, in order."""
    from textrnn.tasks import translate

    calls: list[float] = []
    real = translate._greedy_bleu

    def counted(*args, **kwargs):
        calls.append(real(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(translate, "_greedy_bleu", counted)
    return calls


def _train(pairs, out: Path, monitor: str, valid_bleu: int = 500):
    from textrnn.tasks import translate
    from textrnn.training import TrainConfig

    train, valid = pairs
    config = translate.TranslateDataConfig(monitor=monitor, valid_bleu_sentences=valid_bleu)
    return translate.train(str(train), out, MODEL, config, TrainConfig(epochs=3, batch_size=16, seed=1, patience=5),
                           valid=str(valid))


def test_monitoring_loss_decodes_bleu_once_with_the_saved_model(pairs, bleu_calls, tmp_path):
    from textrnn.tasks import translate

    result = _train(pairs, tmp_path / "m", "loss")
    assert len(bleu_calls) == 1 and len(result.history) == 3
    records = [json.loads(line) for line in (tmp_path / "m" / "metrics.jsonl").read_text().splitlines()]
    assert [("val_bleu" in r) for r in records] == [False] * 3 and all("val_loss" in r for r in records)
    bleu = checkpoint.read_config(tmp_path / "m")["metrics"]["val_bleu"]
    assert bleu == bleu_calls[0] == result.history[result.summary["best_epoch"] - 1]["val_bleu"]
    # It is the saved model's greedy BLEU on the validation pairs, as `evaluate --beam 1` measures it.
    assert bleu == pytest.approx(translate.evaluate(tmp_path / "m", str(pairs[1]), beam=1)["bleu"])


def test_monitoring_bleu_decodes_every_epoch(pairs, bleu_calls, tmp_path):
    result = _train(pairs, tmp_path / "m", "bleu")
    assert len(bleu_calls) == 3
    assert [r["val_bleu"] for r in result.history] == bleu_calls
    best = max(bleu_calls)
    assert checkpoint.read_config(tmp_path / "m")["metrics"]["val_bleu"] == best == result.summary["best_val_bleu"]


def test_valid_bleu_zero_decodes_nothing(pairs, bleu_calls, tmp_path):
    _train(pairs, tmp_path / "m", "loss", valid_bleu=0)
    assert bleu_calls == [] and "val_bleu" not in checkpoint.read_config(tmp_path / "m")["metrics"]


def test_valid_bleu_option_reaches_the_run(cli, pairs, tmp_path):
    train, valid = pairs
    result = cli("train", "translate", str(train), "--valid", str(valid), "-o", str(tmp_path / "m"), "--epochs", "1",
                 "--hidden-size", "16", "--embedding-size", "8", "--valid-bleu", "0", "-qq")
    assert result.exit_code == 0, result.output
    config = checkpoint.read_config(tmp_path / "m")
    assert config["training"]["data"]["valid_bleu_sentences"] == 0 and "val_bleu" not in config["metrics"]


def test_error_negative_valid_bleu(cli, pairs, tmp_path):
    from conftest import one_line_error

    result = cli("train", "translate", str(pairs[0]), "-o", str(tmp_path / "m"), "--valid-bleu", "-1")
    one_line_error(result, 2, "--valid-bleu must be", "got -1")
