"""Ensembles of classifiers (`predict`/`evaluate --with MODEL`): the mean of their class probabilities.

Classifiers trained with other seeds, or from other language models, make different mistakes; averaging their
probabilities is the oldest way to gain a little accuracy for more compute. The members read the same tokens
(one tokenizer, run once) and know the same labels (in any order: each member's columns are put in the first
one's order); each keeps its own vocabulary, subwords, length and truncation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from textrnn.errors import InputError
from textrnn.tasks.classifier_runner import ClassifierRunner, clip_for
from textrnn.tasks.classify import PREDICT_BATCH


def reader_for(model: str | Path, also: Sequence[str | Path] | None = None, device: str = "cpu") -> "Ensemble":
    """The model, with the classifiers of `also` beside it when given."""
    return Ensemble([(path, ClassifierRunner(path, device)) for path in (model, *(also or ()))])


class Ensemble:
    """Classifiers that answer together: `probabilities` is the mean of theirs, in the first one's label order.
    One member is that classifier alone."""

    def __init__(self, members: list[tuple[str | Path, ClassifierRunner]]) -> None:
        (name, first), *others = members
        spec = first.saved.tokenizers["text"]
        for other_name, other in others:
            if other.saved.tokenizers["text"] != spec or other.fold_digits != first.fold_digits:
                raise InputError(f"--with {other_name} reads text another way than {name} ({_reads(other)}; against "
                                 f"{_reads(first)}): the members of an ensemble read the same tokens",
                                 hint="ensemble classifiers trained with the same tokenizer options")
            if sorted(other.labels) != sorted(first.labels):
                raise InputError(f"--with {other_name} knows the labels {', '.join(other.labels)}; {name} knows "
                                 f"{', '.join(first.labels)}: the members of an ensemble choose among the same labels",
                                 hint="ensemble classifiers trained on the same labels")
        self.names = [str(name) for name, _ in members]
        self.runners = [runner for _, runner in members]
        self.labels, self.vocab, self.tokenizer = first.labels, first.vocab, first.tokenizer
        self.fold_digits = first.fold_digits
        self.max_length = max(r.max_length for r in self.runners)
        self._columns = [[r.labels.index(label) for label in self.labels] for r in self.runners]

    def clip(self, text: str) -> str:
        """A very long text cut before tokenizing to the longest length any member reads: at the end(s) they all
        keep when they truncate alike, else at both ends."""
        ways = {r.truncate for r in self.runners}
        return clip_for(text, self.max_length, ways.pop() if len(ways) == 1 else "head+tail")

    def tokens(self, texts: list[str]) -> list[list[str]]:
        return self.runners[0].tokens(texts)  # the same for every member (checked above)

    def scored(self, tokenized: Iterable[list[str]], batch_size: int = PREDICT_BATCH):
        """(the mean (N, C) probabilities, the most texts any member cut to its length)."""
        tokenized = tokenized if len(self.runners) == 1 else list(tokenized)
        total, truncated = None, 0
        for runner, columns in zip(self.runners, self._columns):
            probs, cut = runner.scored(tokenized, batch_size)
            probs = probs[:, columns]
            total = probs if total is None else total + probs
            truncated = max(truncated, cut)
        return total / len(self.runners), truncated

    def probabilities(self, tokenized: Iterable[list[str]], batch_size: int = PREDICT_BATCH):
        return self.scored(tokenized, batch_size)[0]


def _reads(runner: ClassifierRunner) -> str:
    spec = runner.saved.tokenizers["text"]
    parts = [spec.get("name", "?")] + (["lowercased"] if spec.get("lowercase") else [])
    return ", ".join(parts + (["digits folded"] if runner.fold_digits else []))
