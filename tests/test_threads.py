"""`--threads N` on every command that runs PyTorch, and `textrnn.devices.set_threads` under it: the process's
torch.get_num_threads() is what was asked for, in real processes; values out of range are one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import LM_TEXT, QUICK_LM, REPO, one_line_error

CLASSIFY_ROWS = "".join(f"{label}\t{text}\n" for label, text in [
    ("pos", "what a lovely warm day"), ("neg", "a dull and dreary film"), ("pos", "great fun for everyone"),
    ("neg", "boring and far too long")] * 10)
SMALL = ["--tokenizer", "whitespace", "--hidden-size", "8", "--batch-size", "8", "--epochs", "1", "-qq"]


def _commands(tmp_path) -> list[list[str]]:
    """Every command that runs PyTorch, each as small as it goes; the first trains the model the others use."""
    corpus, labels = tmp_path / "lm.txt", tmp_path / "labels.tsv"
    corpus.write_text(LM_TEXT * 30, encoding="utf-8")
    labels.write_text(CLASSIFY_ROWS, encoding="utf-8")
    model = str(tmp_path / "lm")
    return [["train", "lm", str(corpus), "-o", model, *QUICK_LM, "--epochs", "1"],
            ["train", "classify", str(labels), "-o", str(tmp_path / "clf"), *SMALL],
            ["train", "translate", str(REPO / "corpora" / "en-fr" / "pairs-a.tsv"), "-o", str(tmp_path / "mt"),
             *SMALL, "--max-pairs", "40"],
            ["predict", "-m", model, "I love eating"],
            ["generate", "-m", model, "I love", "-n", "3"],
            ["evaluate", model, str(corpus)],
            ["trace", "-m", model, "I love eating"],
            ["gradients", "-m", model, "--corpus", str(corpus), "--distance", "3", "--windows", "2"],
            ["shrink", model]]


def test_every_command_that_runs_torch_uses_the_threads_asked_for(tmp_path):
    """One interpreter runs each command with its own --threads (2, 3, 4 ...) and reads the count back after it:
    a command without the option stops at 'No such option' and leaves the previous count."""
    commands = _commands(tmp_path)
    code = ("import json, sys, torch\nfrom textrnn_cli.app import app\n"
            f"for i, args in enumerate({commands!r}):\n"
            "    try:\n        app([*args, '--threads', str(i + 2)], prog_name='textrnn')\n"
            "    except SystemExit as e:\n        assert not e.code, (args, e.code)\n"
            "    print(json.dumps([args[0], torch.get_num_threads()]), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    got = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("[")]
    assert got == [[args[0], i + 2] for i, args in enumerate(commands)], done.stderr[-2000:]
    record = json.loads((tmp_path / "lm" / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["threads"] == 2  # the training's own record of the threads it ran with


@pytest.mark.parametrize("value", ["0", "-1", "1025"])
@pytest.mark.parametrize("command", [["predict", "hello"], ["generate", "hello"], ["train", "lm", "{corpus}", "-o",
                                                                                     "{out}"]])
def test_threads_out_of_range_is_one_line(cli, lm_corpus, tmp_path, command, value):
    args = [a.format(corpus=lm_corpus, out=tmp_path / "m") for a in command]
    one_line_error(cli(*args, "--threads", value), 2, "--threads must be a whole number from 1 to 1024", value)
    assert not (tmp_path / "m").exists()


def test_the_library_sets_threads_and_tokenizing_processes():
    code = ("import torch\nfrom textrnn.devices import cpu_workers, set_threads\n"
            "set_threads(3)\nprint(torch.get_num_threads(), cpu_workers())\n"
            "set_threads(None)\nprint(torch.get_num_threads())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert done.stdout.split() == ["3", "3", "3"]  # None leaves the count as it is


def test_the_library_refuses_threads_out_of_range():
    from textrnn.devices import set_threads
    from textrnn.errors import ConfigError

    for value in (0, -4, 1025, 2.5, True):
        with pytest.raises(ConfigError, match="--threads must be a whole number from 1 to 1024"):
            set_threads(value)
