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
    assert config["training"]["corpus"].endswith({"spam": "sms-spam/train.tsv", "sentiment": "reviews.tsv"}[name])
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    assert size < 5_000_000, f"{name} is {size:,} bytes"
    assert not (path / "resume").exists()


def test_spam_model_offline():
    # conftest turns the Hugging Face hub off for every test; the model needs nothing from the network.
    result = run_textrnn("predict", "-m", "spam", "WINNER!! Claim your free prize now, text WIN to 80080",
                         "are we still on for dinner tonight?")
    assert result.returncode == 0, result.stderr
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["spam", "ham"]


# Ordinary messages of the kind people send every day, written for this test, and spam of the usual kinds. The
# spam model used to call "hello" spam (0.93) when it was trained on the project's written corpus alone.
SPAM_EXAMPLES = [
    ("URGENT! You have won a prize, call now", "spam"),
    ("Free entry into our weekly competition, txt FREE to 87121 now!", "spam"),
    ("Congratulations! You have been selected for a £1000 cash reward. Call 09061701461 to claim", "spam"),
    ("hello", "ham"),
    ("see you at 6", "ham"),
    ("Can you pick up some milk on the way home?", "ham"),
    ("Running late, be there in 15 minutes", "ham"),
    ("Happy birthday! Hope you have a lovely day", "ham"),
    ("Thanks for dinner last night, it was great", "ham"),
    ("ok", "ham"),
    ("Did you call mum yet?", "ham"),
]


def test_spam_model_on_everyday_messages():
    texts = [text for text, _ in SPAM_EXAMPLES]
    result = run_textrnn("predict", "-m", "spam", "--json", input="".join(t + "\n" for t in texts))
    assert result.returncode == 0, result.stderr
    got = [(row["text"], row["label"]) for row in map(json.loads, result.stdout.splitlines())]
    assert got == SPAM_EXAMPLES


def test_spam_model_card():
    card = (PRETRAINED / "spam" / "README.md").read_text(encoding="utf-8")
    for needed in ("SMS Spam Collection", "Almeida", "archive.ics.uci.edu/dataset/228", "cross-validat",
                   "scripts/build-bundled-models.sh spam"):
        assert needed in card, needed


def test_sentiment_model_offline():
    result = run_textrnn("predict", "-m", "sentiment", "What a wonderful film, I loved every minute",
                         "The kettle started leaking after a week, avoid it", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["pos", "neg"]
    assert rows[0]["probabilities"]["pos"] > 0.8
