"""The shipped default model answers sensibly, offline, right after install (sets of plausible words)."""

from __future__ import annotations

import json

import pytest

from conftest import run_textrnn
from textrnn import checkpoint

FOODS = {"pizza", "pasta", "rice", "bread", "cheese", "apples", "chocolate", "soup", "salad", "chicken", "noodles",
         "cake", "fruit", "ice", "eggs", "fish", "vegetables", "sushi", "curry", "pancakes", "sandwiches", "spicy",
         "fresh", "breakfast", "lunch", "dinner", "burgers", "toast", "strawberries", "oranges", "meat", "cereal",
         "cookies", "biscuits", "potatoes", "tomatoes", "grapes", "bananas", "yogurt", "popcorn", "dumplings",
         "pie", "steak", "beans", "porridge", "food", "sweets", "seafood", "snacks", "homemade", "hot", "healthy"}
PLACES = {"market", "office", "school", "station", "park", "beach", "library", "hospital", "cinema", "airport",
          "bank", "shop", "gym", "bakery", "post", "supermarket", "doctor", "pharmacy", "pool", "stadium", "dentist",
          "museum", "restaurant", "cafe", "café", "theatre", "zoo", "city", "mall", "shops", "hairdresser", "garage",
          "train", "bus", "sea", "mountains", "countryside", "concert", "party", "match", "town", "store", "butcher"}


@pytest.fixture(scope="module")
def default_model():
    if "everyday-english" not in checkpoint.bundled_models():
        pytest.fail("the bundled everyday-english model is missing: run scripts/build-bundled-models.sh")
    return "everyday-english"


def _top(prompt: str, k: int = 5) -> list[str]:
    result = run_textrnn("predict", prompt, "-k", str(k), "--json")
    assert result.returncode == 0, result.stderr
    return [p["token"] for p in json.loads(result.stdout)["predictions"]]


def test_i_love_eating_lists_foods(default_model):
    top = _top("I love eating")
    assert len(set(top) & FOODS) >= 2, top


def test_i_am_going_to_the_lists_places(default_model):
    top = _top("I am going to the")
    assert len(set(top) & PLACES) >= 3, top


def test_generate_writes_a_readable_sentence(default_model):
    result = run_textrnn("generate", "The weather today", "-n", "25", "--seed", "1", "--until", "sentence")
    assert result.returncode == 0, result.stderr
    text = result.stdout.strip()
    assert text.startswith("The weather today ")
    words = text.split()
    assert 5 <= len(words) <= 30 and text[-1] in ".!?"
    assert " ," not in text and " ." not in text and "<unk>" not in text


def test_default_model_is_small_and_self_describing(default_model):
    path = checkpoint.resolve(default_model)
    size = sum(f.stat().st_size for f in path.iterdir())
    assert size < 8_000_000
    assert {p.name for p in path.iterdir()} == {"config.json", "vocab.json", "model.safetensors", "metrics.jsonl",
                                                "loss.png"}
    config = checkpoint.read_config(path)
    assert config["training"]["corpus"] == "corpora/everyday-english"
