"""A language model with the adaptive softmax: its scores agree with its training loss, and every command that
reads a language model (predict, generate with sampling and with beam search, evaluate) works with it."""

from __future__ import annotations

import json

import pytest
import torch

from conftest import LM_TEXT
from textrnn.models import build_model


def test_adaptive_scores_are_the_log_probabilities_its_loss_is_taken_over():
    """scores() (what predict, generate and beam search read) and forward's loss (what training and evaluate
    read) are two views of one distribution: the mean -log p of the targets under scores() is the loss."""
    torch.manual_seed(0)
    model = build_model("language_model", {"vocab_size": 60, "embedding_size": 8, "hidden_size": 16,
                                           "softmax": "adaptive", "tie_weights": False, "cutoffs": [10, 30]}).eval()
    ids, target = torch.randint(4, 60, (3, 7)), torch.randint(4, 60, (3, 7))
    with torch.inference_mode():
        out, loss = model({"input": ids, "target": target, "loss_only": True})
        scores, _ = model.step(ids)
    assert out is None
    assert torch.allclose(scores.exp().sum(-1), torch.ones(3, 7), atol=1e-5)
    nll = -scores.gather(-1, target[..., None]).mean()
    assert loss.item() == pytest.approx(nll.item(), rel=1e-5)


@pytest.fixture(scope="module")
def adaptive_lm(tmp_path_factory):
    from typer.testing import CliRunner

    from textrnn_cli.app import app

    root = tmp_path_factory.mktemp("adaptive")
    corpus = root / "corpus.txt"
    corpus.write_text(LM_TEXT * 30, encoding="utf-8")
    result = CliRunner().invoke(app, ["train", "lm", str(corpus), "-o", str(root / "model"), "--softmax", "adaptive",
                                      "--epochs", "3", "--optimizer", "adam", "--lr", "0.01", "--tokenizer",
                                      "whitespace", "--hidden-size", "32", "--layers", "1", "--batch-size", "4",
                                      "--bptt", "10", "--seed", "3", "-qq"],
                                env={"TEXTRNN_CACHE": str(root / "cache")})
    assert result.exit_code == 0, result.output
    return root / "model"


def test_beam_search_generates_with_an_adaptive_model(cli, adaptive_lm):
    result = cli("generate", "The weather", "-m", str(adaptive_lm), "-n", "6", "--beam", "3", "--json")
    assert result.exit_code == 0, result.output
    text = json.loads(result.stdout)
    assert text["tokens"] >= 1 and "today" in text["text"]  # the corpus says "The weather today is ..."


def test_predict_reads_many_prompts_from_stdin_with_an_adaptive_model(cli, adaptive_lm):
    result = cli("predict", "-m", str(adaptive_lm), "-k", "1", "--json", input="I love\nThe weather\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["predictions"][0]["token"] for r in rows] == ["eating", "today"]


def test_evaluate_leaves_unknown_targets_out_with_an_adaptive_model(cli, adaptive_lm, tmp_path):
    text = tmp_path / "oov.txt"
    text.write_text("zzz qqq The weather today is sunny and warm.\n", encoding="utf-8")
    report = json.loads(cli("evaluate", str(adaptive_lm), str(text), "--json").stdout)
    assert report["oov_rate"] > 0 and report["known_tokens"] < report["tokens"]
    assert 1 < report["known_perplexity"] < 50  # it learnt the sentence: far below the vocabulary's size
