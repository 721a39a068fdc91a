"""Training progress when stderr is a log file (nohup, CI): plain lines at an interval; -q and -qq quieter."""

from __future__ import annotations

import pytest

from conftest import run_textrnn

TRAIN = ["--tokenizer", "whitespace", "--hidden-size", "16", "--layers", "1", "--batch-size", "4", "--bptt", "10",
         "--epochs", "2", "--seed", "3"]


@pytest.fixture
def train(lm_corpus, tmp_path):
    def run(*flags: str):
        result = run_textrnn("train", "lm", str(lm_corpus), "-o", str(tmp_path / "m"), "--overwrite", *TRAIN,
                             *flags, env={"TEXTRNN_PROGRESS_INTERVAL": "0"})
        assert result.returncode == 0, result.stderr
        return result.stderr.splitlines()

    return run


def test_log_gets_plain_step_lines_with_time_left(train):
    lines = train()
    steps = [line for line in lines if line.startswith("epoch 1/2  step ")]
    assert len(steps) >= 2, lines
    assert "tok/s" in steps[0] and "epoch left" in steps[0]
    assert not any("\x1b[" in line for line in lines)  # no escape codes in a log file
    assert any(line.startswith("epoch 2/2  train loss") for line in lines)


def test_quiet_keeps_only_the_epoch_lines(train):
    lines = train("-q")
    assert [line.split("  ")[0] for line in lines if line.startswith("epoch ")] == ["epoch 1/2", "epoch 2/2"]
    assert not any(" step " in line for line in lines)


def test_double_quiet_prints_nothing_but_the_result(train):
    assert train("-qq") == []
