"""The bundled `spam` and `sentiment` classifiers: offline, right after install, through a real process."""

from __future__ import annotations

import json

import pytest

from conftest import REPO, run_textrnn

PRETRAINED = REPO / "textrnn" / "pretrained"


@pytest.mark.parametrize("name,labels", [("spam", ["ham", "spam"]), ("sentiment", ["neg", "pos"])])
def test_bundled_classifier_is_small_and_self_describing(name, labels):
    path = PRETRAINED / name
    config = json.loads((path / "config.json").read_text())
    assert config["task"] == "classify" and config["labels"] == labels
    assert config["training"]["corpus"].endswith({"spam": "messages.tsv", "sentiment": "reviews.tsv"}[name])
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    assert size < 5_000_000, f"{name} is {size:,} bytes"
    assert not (path / "resume").exists()


def test_spam_model_offline():
    # conftest turns the Hugging Face hub off for every test; the model needs nothing from the network.
    result = run_textrnn("predict", "-m", "spam", "WINNER!! Claim your free prize now, text WIN to 80080",
                         "are we still on for dinner tonight?")
    assert result.returncode == 0, result.stderr
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["spam", "ham"]


def test_sentiment_model_offline():
    result = run_textrnn("predict", "-m", "sentiment", "What a wonderful film, I loved every minute",
                         "The kettle started leaking after a week, avoid it", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["pos", "neg"]
    assert rows[0]["probabilities"]["pos"] > 0.8
