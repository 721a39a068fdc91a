"""The bundled en-fr model: offline, by name, right after install."""

from __future__ import annotations

import json

from textrnn import checkpoint

SIMPLE = {"I am cold.": "J'ai froid.", "I am hungry.": "J'ai faim.", "Where is the station?": "Où est la gare ?",
          "We are going to the market.": "Nous allons au marché.", "He works in an office.": "Il travaille dans un bureau."}


def test_bundled_en_fr_translates_simple_sentences(textrnn_proc):
    proc = textrnn_proc("predict", "-m", "en-fr", "I am cold.")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "J'ai froid."
    piped = textrnn_proc("predict", "-m", "en-fr", input="\n".join(SIMPLE) + "\n")
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.splitlines() == list(SIMPLE.values())


def test_bundled_en_fr_is_small_and_self_describing(cli):
    path = checkpoint.resolve("en-fr")
    assert sum(f.stat().st_size for f in path.iterdir()) < 20_000_000
    assert checkpoint.weights_dtype(path) == "F16"
    facts = json.loads(cli("info", "en-fr", "--json").stdout)
    assert facts["task"] == "translate" and facts["tokenizer"] == {"source": "spacy (en)", "target": "spacy (fr)"}
    # Greedy BLEU on the pairs held out for early stopping (Tatoeba's and the project's): the model learnt.
    assert facts["metrics"]["val_bleu"] > 20
    card = facts["model_card"]
    for needed in ("Tatoeba", "manythings.org/anki", "CC BY 2.0", "scripts/build-bundled-models.sh en-fr"):
        assert needed in card, needed
