"""Language modelling end to end: train through the CLI, then predict, generate, evaluate; and its errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import LM_TEXT, run_textrnn

TINY = ["--tokenizer", "spacy", "--hidden-size", "32", "--layers", "1", "--batch-size", "4", "--bptt", "10",
        "--seed", "3", "-qq"]


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory) -> Path:
    """One small word-level model, trained once for the whole module through the real CLI."""
    from typer.testing import CliRunner

    from textrnn_cli.app import app

    root = tmp_path_factory.mktemp("lm")
    corpus = root / "corpus.txt"
    corpus.write_text(LM_TEXT * 30, encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "lm", str(corpus), "-o", str(root / "model"), "--epochs", "4",
                                      "--optimizer", "adam", "--lr", "0.01", *TINY],
                                env={"TEXTRNN_CACHE": str(root / "cache")})
    assert result.exit_code == 0, result.output
    return root / "model"


def test_training_writes_a_complete_model_directory(tiny_lm):
    names = {p.name for p in tiny_lm.iterdir()}
    assert {"config.json", "vocab.json", "model.safetensors", "metrics.jsonl", "loss.png"} <= names
    assert "resume" not in names  # a finished run leaves no resume state
    config = json.loads((tiny_lm / "config.json").read_text())
    assert config["task"] == "lm" and config["model"]["kind"] == "language_model"
    assert config["tokenizers"]["text"]["name"] == "spacy"
    epochs = [json.loads(line) for line in (tiny_lm / "metrics.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in epochs] == [1, 2, 3, 4]
    assert epochs[-1]["val_loss"] < epochs[0]["train_loss"]  # it learned something
    assert (tiny_lm / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_predict_lists_likely_next_words(cli, tiny_lm):
    result = cli("predict", "The weather today is", "-m", str(tiny_lm), "-k", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(len(line.split("\t")) == 2 for line in lines)
    probs = [float(line.split("\t")[1]) for line in lines]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0
    assert lines[0].split("\t")[0] in {"sunny", "cold"}


def test_predict_several_prompts_and_json_in_order(cli, tiny_lm):
    result = cli("predict", "-m", str(tiny_lm), "--json", input="I love eating\nWe are going to the\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["prompt"] for r in rows] == ["I love eating", "We are going to the"]
    assert all(len(r["predictions"]) == 5 for r in rows)
    result = cli("predict", "I love eating", "We are going to the", "-m", str(tiny_lm), "--json")
    assert [json.loads(line)["prompt"] for line in result.stdout.splitlines()] == ["I love eating", "We are going to the"]


def test_predict_names_unknown_words(cli, tiny_lm):
    result = cli("predict", "I love zebras", "-m", str(tiny_lm), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["unknown"] == ["zebras"]
    assert "not in the vocabulary: zebras" in result.stderr


def test_generate_is_a_shell_filter(tiny_lm, tmp_path):
    result = run_textrnn("generate", "-m", str(tiny_lm), "-n", "8", "--seed", "1",
                         input="The weather today\nI love eating\nWe are going\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("The weather today ") and lines[1].startswith("I love eating ")
    assert " ," not in result.stdout and " ." not in result.stdout  # detokenized


def test_generate_options_and_reproducibility(cli, tiny_lm):
    args = ["generate", "I love eating", "-m", str(tiny_lm), "-n", "12", "--json"]
    one = json.loads(cli(*args, "--seed", "7").stdout)
    two = json.loads(cli(*args, "--seed", "7").stdout)
    assert one == two and one["tokens"] >= 1
    # --greedy and --beam against a model whose answer is known: test_beam_vs_greedy.py
    sentence = json.loads(cli(*args, "--greedy", "--until", "sentence", "-n", "50").stdout)
    assert sentence["continuation"][-1] in ".!?" or sentence["tokens"] == 50


def test_evaluate_reports_perplexity(cli, tiny_lm, tmp_path):
    held_out = tmp_path / "held.txt"
    held_out.write_text("I love eating pasta.\nThe weather today is warm and sunny.\n" * 20, encoding="utf-8")
    result = cli("evaluate", str(tiny_lm), str(held_out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["tokens"] > 100 and 1 < report["perplexity"] < 200 and report["oov_rate"] == 0.0
    assert report["known_perplexity"] == report["perplexity"] and "warning" not in result.stderr


OOV_TEXT = "I love eating zorblax with quibbit.\nThe weather today is flumious and grinty.\n" * 20


def test_evaluate_warns_once_on_a_high_oov_rate_and_reports_known_word_perplexity(cli, tiny_lm, tmp_path):
    held_out = tmp_path / "oov.txt"
    held_out.write_text(OOV_TEXT, encoding="utf-8")
    result = cli("evaluate", str(tiny_lm), str(held_out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["oov_rate"] > 0.05 and report["known_tokens"] < report["tokens"]
    assert report["known_perplexity"] != pytest.approx(report["perplexity"])
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and warnings[0].startswith("warning: ") and "not in the model's vocabulary" in warnings[0]
    plain = cli("evaluate", str(tiny_lm), str(held_out)).stdout
    assert f"perplexity over known tokens\t{report['known_perplexity']:.2f}" in plain.splitlines()


def test_known_word_perplexity_leaves_out_exactly_the_unknown_targets(tiny_lm, tmp_path):
    """Recomputed by hand from the model's logits over the same batch layout."""
    import math

    import torch
    import torch.nn.functional as F

    from textrnn.data.corpus import load_corpus, token_lists, tokenize_corpus
    from textrnn.data.lm import batchify, stream_ids
    from textrnn.tasks import lm
    from textrnn.tasks.common import load_for
    from textrnn.text.vocab import UNK_ID

    held_out = tmp_path / "oov.txt"
    held_out.write_text(OOV_TEXT, encoding="utf-8")
    report = lm.evaluate(tiny_lm, str(held_out), bptt=35)
    net, saved = load_for(tiny_lm, "lm")
    ds = tokenize_corpus(load_corpus(lm.Source(str(held_out))), "text", saved.tokenizer("text"))
    stream = stream_ids(token_lists(ds), saved.vocabs["text"]).long()  # stored int32
    data = batchify(stream, max(1, min(lm.EVAL_BATCH, stream.numel() // 36)), 35, "evaluation")
    with torch.inference_mode():
        logits, _ = net.step(data[:, :-1])
    losses = F.cross_entropy(logits.reshape(-1, logits.size(-1)), data[:, 1:].reshape(-1), reduction="none")
    known = data[:, 1:].reshape(-1) != UNK_ID
    assert report["known_tokens"] == int(known.sum()) < known.numel()
    assert report["known_perplexity"] == pytest.approx(math.exp(losses[known].mean().item()), rel=1e-4)
    assert report["perplexity"] == pytest.approx(math.exp(losses.mean().item()), rel=1e-4)


def test_character_model_reports_bits_per_character(cli, tmp_path, lm_corpus):
    out = tmp_path / "char"
    result = cli("train", "lm", str(lm_corpus), "-o", str(out), "--tokenizer", "char", "--epochs", "1",
                 "--hidden-size", "16", "--layers", "1", "--batch-size", "4", "--bptt", "20", "--quiet")
    assert result.exit_code == 0, result.output
    report = json.loads(cli("evaluate", str(out), str(lm_corpus), "--json").stdout)
    assert report["bits_per_char"] == pytest.approx(report["loss"] / 0.6931471805599453)
    gen = cli("generate", "The", "-m", str(out), "-n", "30", "--seed", "1", "--json")
    assert json.loads(gen.stdout)["tokens"] == 30


# Bad input ---------------------------------------------------------------------------------------

def _error(result, code, *fragments):
    assert result.exit_code == code, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("textrnn: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_empty_prompt(cli, tiny_lm):
    _error(cli("predict", "  ", "-m", str(tiny_lm)), 2, "the prompt is empty")
    _error(cli("generate", "", "-m", str(tiny_lm)), 2, "the prompt is empty")


def test_prompt_of_only_unknown_words(cli, tiny_lm):
    _error(cli("predict", "zebras quantum", "-m", str(tiny_lm)), 2, "none of the prompt's words", "zebras")


def test_prompt_longer_than_the_model_takes_is_truncated_with_a_note(cli, tiny_lm):
    result = cli("predict", "I love eating " * 400, "-m", str(tiny_lm), "-k", "2")
    assert result.exit_code == 0
    assert "only the last 1000 are used" in result.stderr and len(result.stdout.splitlines()) == 2


def test_generate_refuses_a_model_of_another_task(cli):
    _error(cli("generate", "hello", "-m", "spam"), 5, "is a classifier; this needs a language model")


def test_corpus_too_small_for_bptt_and_batch(cli, tmp_path):
    small = tmp_path / "small.txt"
    small.write_text("one two three\nfour five\n", encoding="utf-8")
    _error(cli("train", "lm", str(small), "-o", str(tmp_path / "m"), "--tokenizer", "whitespace", "-qq"), 8,
           "batch size 20 x (bptt 35 + 1) needs at least 720")


def test_nan_loss_stops_and_says_why(cli, lm_corpus, tmp_path):
    result = cli("train", "lm", str(lm_corpus), "-o", str(tmp_path / "m"), "--optimizer", "sgd", "--lr", "1e38",
                 "--clip", "0", "--epochs", "3", *TINY)
    _error(result, 8, "the loss became", "lower --lr")


@pytest.mark.parametrize("lr", ["0", "-1", "1e39"])
def test_learning_rate_out_of_range_is_one_line(cli, lm_corpus, tmp_path, lr):
    """1e39 does not fit the float32 the optimizer scales gradients in: refused, not a RuntimeError."""
    result = cli("train", "lm", str(lm_corpus), "-o", str(tmp_path / "m"), "--lr", lr, *TINY)
    _error(result, 2, "lr must be positive and below 3.4e38", f"got {float(lr)}")


def test_existing_output_directory_is_refused(cli, lm_corpus, tmp_path):
    """A model is replaced only with --overwrite; a folder of the user's files never is (tests/test_output_dir.py)."""
    out = tmp_path / "m"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    args = ["train", "lm", str(lm_corpus), "-o", str(out), "--epochs", "1", *TINY]
    _error(cli(*args, "--overwrite"), 6, "holds files that textrnn did not write (precious.txt)")
    assert (out / "precious.txt").read_text() == "keep me"
    (out / "precious.txt").unlink()
    assert cli(*args).exit_code == 0
    _error(cli(*args), 6, "already exists", "--overwrite", "--resume")
    assert cli(*args, "--overwrite").exit_code == 0
    assert (out / "model.safetensors").is_file()


def test_resume_without_saved_state_is_refused(cli, lm_corpus, tmp_path):
    _error(cli("train", "lm", str(lm_corpus), "-o", str(tmp_path / "fresh"), "--resume", *TINY), 8,
           "nothing to resume")


@pytest.mark.slow
def test_ctrl_c_then_resume_reaches_the_uninterrupted_weights(tmp_path):
    """A real process is interrupted with SIGINT after its first epoch; --resume then finishes the run."""
    from safetensors.torch import load_file

    corpus = tmp_path / "c.txt"
    corpus.write_text(LM_TEXT * 200, encoding="utf-8")
    args = ["train", "lm", str(corpus), "--epochs", "4", "--patience", "10", "--tokenizer", "whitespace",
            "--hidden-size", "48", "--layers", "2", "--batch-size", "8", "--bptt", "20", "--seed", "5", "--quiet"]
    # One thread: the same arithmetic in both runs, and no oversubscription on a busy machine.
    env = {**os.environ, "TEXTRNN_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    reference = run_textrnn(*args, "-o", str(tmp_path / "ref"), env=env, timeout=900)
    assert reference.returncode == 0, reference.stderr

    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "textrnn", *args, "-o", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    metrics = out / "metrics.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if metrics.exists() and metrics.read_text().count("\n") >= 1:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "training ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "--resume" in stderr and "Traceback" not in stderr
    assert (out / "resume" / "trainer.json").is_file()

    resumed = run_textrnn(*args, "-o", str(out), "--resume", env=env, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    done = [json.loads(line)["epoch"] for line in metrics.read_text().splitlines()]
    assert done == [1, 2, 3, 4]
    ref = load_file(str(tmp_path / "ref" / "model.safetensors"))
    got = load_file(str(out / "model.safetensors"))
    assert ref.keys() == got.keys()
    for key in ref:
        assert (ref[key] - got[key]).abs().max().item() == 0.0, key


def test_adaptive_softmax_model_trains_predicts_generates_and_evaluates(cli, lm_corpus, tmp_path):
    out = tmp_path / "adaptive"
    result = cli("train", "lm", str(lm_corpus), "-o", str(out), "--softmax", "adaptive", "--epochs", "3",
                 "--optimizer", "adam", "--lr", "0.01", *TINY)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())["model"]
    assert config["softmax"] == "adaptive" and config["tie_weights"] is False and config["cutoffs"]
    predicted = json.loads(cli("predict", "I love", "-m", str(out), "--json", "-k", "3").stdout)["predictions"]
    assert len(predicted) == 3 and sum(p["probability"] for p in predicted) <= 1.0
    gen = cli("generate", "The weather", "-m", str(out), "-n", "5", "--seed", "1", "--json")
    assert gen.exit_code == 0 and json.loads(gen.stdout)["tokens"] >= 1
    report = json.loads(cli("evaluate", str(out), str(lm_corpus), "--json").stdout)
    assert 1 < report["perplexity"] < 100  # it learnt the corpus: a uniform guess is about the vocabulary size


def test_adaptive_softmax_with_tied_weights_is_one_line(cli, lm_corpus, tmp_path):
    result = cli("train", "lm", str(lm_corpus), "-o", str(tmp_path / "m"), "--softmax", "adaptive",
                 "--tie-weights", *TINY)
    _error(result, 2, "adaptive softmax", "--no-tie-weights")
