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
    assert config["training"]["corpus"].endswith({"spam": "sms-spam/train.tsv",
                                                  "sentiment": "sentiment-train.tsv"}[name])
    size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    assert size < 20_000_000, f"{name} is {size:,} bytes"
    assert not (path / "resume").exists()


def test_bundled_models_fit_the_package_budget():
    """At most 20 MB each (above) and 40 MB together: the weights are stored as float16."""
    from textrnn import checkpoint

    total = sum(f.stat().st_size for f in PRETRAINED.rglob("*") if f.is_file())
    assert total < 40_000_000, f"bundled models take {total:,} bytes"
    assert checkpoint.weights_dtype(PRETRAINED / "sentiment") == "F16"


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


# Reviews written for this test: film, product and restaurant, short and long, negations among them. The
# sentiment model trained on the project's written reviews called "I didn't like it." positive (0.86).
SENTIMENT_EXAMPLES = [
    ("I didn't like it.", "neg"),
    ("Not good at all.", "neg"),
    ("I loved it.", "pos"),
    ("The food was cold and the waiter was rude.", "neg"),
    ("Great phone, the battery lasts all day.", "pos"),
    ("A tedious, overlong film with nothing to say.", "neg"),
    ("I was not disappointed: the best pizza in town.", "pos"),
    ("We went for my sister's birthday. The starters took forty minutes to arrive, the steak was overcooked "
     "and nobody came to ask whether everything was all right. We will not be going back.", "neg"),
]


@pytest.mark.parametrize("name,examples", [("spam", SPAM_EXAMPLES), ("sentiment", SENTIMENT_EXAMPLES)])
def test_bundled_classifier_on_everyday_texts(name, examples):
    texts = [text for text, _ in examples]
    result = run_textrnn("predict", "-m", name, "--json", input="".join(t + "\n" for t in texts))
    assert result.returncode == 0, result.stderr
    got = [(row["text"], row["label"]) for row in map(json.loads, result.stdout.splitlines())]
    assert got == examples


@pytest.mark.parametrize("name,needed", [
    ("spam", ("SMS Spam Collection", "Almeida", "archive.ics.uci.edu/dataset/228", "cross-validat",
              "scripts/build-bundled-models.sh spam")),
    ("sentiment", ("Maas", "Socher", "Kotzias", "scripts/build-bundled-models.sh sentiment", "held out")),
])
def test_bundled_model_card(name, needed):
    card = (PRETRAINED / name / "README.md").read_text(encoding="utf-8")
    for fragment in needed:
        assert fragment in card, fragment


def test_sentiment_model_offline():
    result = run_textrnn("predict", "-m", "sentiment", "What a wonderful film, I loved every minute",
                         "The kettle started leaking after a week, avoid it", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["pos", "neg"]
    assert rows[0]["probabilities"]["pos"] > 0.8
