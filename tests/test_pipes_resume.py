"""A reader that stops early (`textrnn generate | head -1`) is no error; --resume refuses options that differ
from the saved run's and names them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import QUICK_LM, one_line_error


@pytest.mark.parametrize("command", [["generate", "-n", "3"], ["predict"], ["predict", "--json"],
                                     ["predict", "-m", "sentiment"]])
def test_a_reader_that_closes_the_pipe_ends_the_run_quietly(tmp_path, command):
    """As `... | head -1`: read one line, close the pipe; the writer still has hundreds of lines to write, and
    must end with exit code 0 and nothing on stderr (it used to end with exit code 1)."""
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("The weather today\nI love eating\n" * 1000, encoding="utf-8")
    with prompts.open("rb") as stdin:
        proc = subprocess.Popen([sys.executable, "-m", "textrnn", *command], stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"})
        first = proc.stdout.readline()
        proc.stdout.close()
        _, stderr = proc.communicate(timeout=300)
    assert first.strip()
    assert proc.returncode == 0, stderr.decode()
    assert stderr.decode().strip() == ""


class StopAfterFirstEpoch:
    """Progress callbacks that press Ctrl-C when the first epoch ends (its resume state is saved by then)."""

    def __getattr__(self, name):
        return lambda *args: None

    def on_epoch_end(self, epoch, record):
        raise KeyboardInterrupt


@pytest.fixture
def interrupted(cli, lm_corpus, tmp_path, monkeypatch):
    """(run, out): a language model run interrupted after its first epoch, and its output directory."""
    from textrnn_cli.progress import RichProgress

    out = tmp_path / "m"
    run = ["train", "lm", str(lm_corpus), "-o", str(out), "--epochs", "3", "--patience", "5", *QUICK_LM]
    with monkeypatch.context() as patch:
        patch.setattr(RichProgress, "for_quiet", staticmethod(lambda quiet, auto_bf16_note=None: [StopAfterFirstEpoch()]))
        one_line_error(cli(*run), 130, "interrupted", "--resume")
    assert (out / "resume" / "trainer.json").is_file()
    return run, out


@pytest.mark.parametrize("changed, named", [
    (["--hidden-size", "16"], "--hidden-size 16 (saved: 8)"),
    (["--lr", "0.01"], "--lr 0.01 (saved: 20.0)"),
    (["--layers", "2"], "--layers 2 (saved: 1)"),
    (["--dropout", "0.5"], "--dropout 0.5 (saved: 0.2)"),
    (["--bptt", "9"], "--bptt 9 (saved: 8)"),
    (["--batch-size", "5"], "--batch-size 5 (saved: 4)"),
    (["--seed", "4"], "--seed 4 (saved: 3)"),
    (["--optimizer", "adam", "--lr", "20"], "--optimizer adam (saved: sgd)"),  # the LM's default: SGD at 20
    (["--tokenizer", "char"], "--tokenizer char (saved: whitespace)"),
])
def test_resume_with_a_differing_option_names_it_and_changes_nothing(cli, interrupted, changed, named):
    run, out = interrupted
    before = (out / "resume" / "trainer.json").read_bytes()
    line = one_line_error(cli(*run, "--resume", *changed), 2, "--resume", named, "--overwrite")
    assert line.count("(saved:") == 1, line  # only what differs is listed
    assert (out / "resume" / "trainer.json").read_bytes() == before


def test_resume_lists_every_differing_option(cli, interrupted):
    run, _ = interrupted
    one_line_error(cli(*run, "--resume", "--hidden-size", "16", "--lr", "0.01"), 2,
                   "--hidden-size 16 (saved: 8)", "--lr 0.01 (saved: 20.0)")


def test_resume_may_train_longer_and_keeps_the_saved_tokenizer(cli, interrupted):
    """More epochs and patience are what resuming is for. Left out, the tokenizer is the saved run's (it was
    spaCy's, the default, while the vocabulary was whitespace-tokenized)."""
    run, out = interrupted
    first = json.loads((out / "config.json").read_text())["training"]
    without_tokenizer = [a for i, a in enumerate(run) if a != "--tokenizer" and run[i - 1] != "--tokenizer"]
    result = cli(*without_tokenizer, "--resume", "--epochs", "4", "--patience", "9")
    assert result.exit_code == 0, result.stderr
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in history] == [1, 2, 3, 4]
    training = json.loads((out / "config.json").read_text())["training"]
    assert training["train"]["epochs"] == 4
    assert training["train_tokens"] == first["train_tokens"]  # spaCy splits "Sundays." in two: more tokens
