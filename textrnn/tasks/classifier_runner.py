"""A trained classifier at work (ClassifierRunner), and each text's answer from it or from an ensemble (`answers`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textrnn.data.classify import Encoded, encode, fold_digits
from textrnn.tasks.classify import PREDICT_BATCH, TASK, ClassifyDataConfig, class_probabilities
from textrnn.tasks.common import load_for
from textrnn.text.normalize import clip


class ClassifierRunner:
    """A loaded classifier with its tokenizer, vocabulary and labels; classifies texts in batches."""

    def __init__(self, model: str | Path, device: str = "cpu") -> None:
        self.net, self.saved = load_for(model, TASK, device)
        self.tokenizer = self.saved.tokenizer("text")
        self.vocab, self.labels = self.saved.vocabs["text"], list(self.saved.labels or [])
        data = self.saved.training.get("data", {})
        self.max_length = data.get("max_length", ClassifyDataConfig.max_length)
        self.fold_digits = data.get("fold_digits", False)
        self.truncate = data.get("truncate", "head")

    def tokens(self, texts: list[str]) -> list[list[str]]:
        """Each text's tokens as the model reads them (digits folded if it was trained so)."""
        tokenized = list(self.tokenizer.pipe(texts))
        return [fold_digits(tokens) for tokens in tokenized] if self.fold_digits else tokenized

    def clip(self, text: str) -> str:
        return clip_for(text, self.max_length, self.truncate)

    def encode(self, tokenized: Iterable[list[str]]) -> Encoded:
        """Token lists -> ids (and subwords), each cut to the model's length as it was trained."""
        return encode(tokenized, self.vocab, self.max_length, subwords=self.net.config.subwords, how=self.truncate)

    def scored(self, tokenized: Iterable[list[str]], batch_size: int = PREDICT_BATCH):
        """((N, C) class probabilities of token lists in `labels` order, how many were cut to max_length)."""
        encoded = self.encode(tokenized)
        return class_probabilities(self.net, encoded, batch_size), encoded.truncated

    def probabilities(self, tokenized: Iterable[list[str]], batch_size: int = PREDICT_BATCH):
        return self.scored(tokenized, batch_size)[0]

    def classify(self, texts: list[str], batch_size: int = PREDICT_BATCH) -> list[dict[str, Any]]:
        return answers(self, texts, batch_size)


def clip_for(text: str, max_length: int, how: str) -> str:
    """A text far longer than a model reads, cut to the end(s) it keeps (`how`: head, tail or head+tail) before
    tokenizing: a 50 MB line is not tokenized whole for 400 tokens."""
    if how == "head":
        return clip(text, max_length)
    if how == "tail":
        return clip(text, max_length, end=True)
    head, tail = clip(text, max_length), clip(text, max_length, end=True)  # head+tail
    return text if len(head) + len(tail) >= len(text) else f"{head} {tail}"


def answers(reader, texts: list[str], batch_size: int = PREDICT_BATCH) -> list[dict[str, Any]]:
    """Each text's label, its probability, every class's probability and notes, from a `reader` (a
    ClassifierRunner, or an Ensemble of them: anything with clip, tokens, probabilities, labels, vocab and
    max_length)."""
    clipped = [reader.clip(text) for text in texts]
    tokenized = reader.tokens(clipped)
    probs = reader.probabilities(tokenized, batch_size)
    results = []
    for text, cut, tokens, p in zip(texts, clipped, tokenized, probs.tolist()):
        best = max(range(len(p)), key=p.__getitem__)
        notes = []
        if not tokens:
            notes.append("the text is empty; the label is the model's guess for no words")
        elif not any(t in reader.vocab for t in tokens):
            notes.append(f"none of the words of {text[:40]!r} are in the model's vocabulary")
        results.append({"text": text, "label": reader.labels[best], "probability": p[best],
                        "probabilities": dict(zip(reader.labels, p)),
                        "truncated": len(tokens) > reader.max_length or cut is not text,
                        "notes": notes, "unknown": [t for t in dict.fromkeys(tokens) if t not in reader.vocab]})
    return results
