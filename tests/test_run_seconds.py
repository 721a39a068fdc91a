"""A training reports the training loop's seconds and the whole run's (start-up and tokenization included)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

TINY = ["--tokenizer", "whitespace", "--hidden-size", "8", "--embedding-size", "8", "--layers", "1",
        "--batch-size", "4", "--bptt", "5", "--epochs", "1", "-qq", "--json"]


def test_the_cli_clock_starts_before_any_heavy_import():
    code = ("import time; t = time.time(); import textrnn_cli.app, torch; import textrnn_cli\n"
            "print(textrnn_cli.STARTED - t, time.time() - textrnn_cli.STARTED)")
    before, since = map(float, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                              check=True).stdout.split())
    assert 0 <= before < since, "STARTED must be stamped before torch is imported"


def test_summary_config_and_info_carry_both_figures(lm_corpus, tmp_path, cli, monkeypatch):
    from textrnn_cli.commands import train_lm

    monkeypatch.setattr(train_lm, "STARTED", time.time() - 100)  # as if start-up had taken 100 s
    result = cli("train", "lm", str(lm_corpus), "-o", str(tmp_path / "m"), *TINY)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["seconds"] < 60 < 100 < summary["run_seconds"] < 160
    training = json.loads((tmp_path / "m" / "config.json").read_text())["training"]
    assert training["seconds_total"] == summary["seconds"] and training["run_seconds"] == summary["run_seconds"]
    shown = json.loads(cli("info", str(tmp_path / "m"), "--json").stdout)["training"]
    assert shown["seconds_total"] == summary["seconds"] and shown["run_seconds"] == summary["run_seconds"]


def test_the_library_counts_from_the_call_or_a_given_start(lm_corpus, tmp_path):
    from textrnn.tasks import lm
    from textrnn.training import TrainConfig

    def train(out, **kw):
        return lm.train(str(lm_corpus), tmp_path / out, {"hidden_size": 8, "embedding_size": 8, "num_layers": 1},
                        lm.LMDataConfig(tokenizer="whitespace", bptt=5), TrainConfig(epochs=1, batch_size=4), **kw)

    assert 100 < train("a", started=time.time() - 100).summary["run_seconds"] < 160
    plain = train("b").summary
    assert plain["seconds"] < plain["run_seconds"] < 60  # tokenization, set-up and saving are outside the loop
