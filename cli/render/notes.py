"""Notes from `predict` on stderr: said as each result comes, except unknown words and (for classifiers) texts
cut to the model's length, summarised once at the end.

A thousand lines through a model would otherwise give hundreds of "not in the vocabulary" lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from ..output import note
from .classify import truncation_note

VOCABULARY = {"translate": "the source vocabulary"}  # whose vocabulary an unknown word is missing from
COMMONEST = 10


class PredictNotes:
    def __init__(self, task: str, quiet: bool = False) -> None:
        self.vocabulary = VOCABULARY.get(task, "the vocabulary")
        self.quiet = quiet
        self.texts = self.with_unknown = self.cut = 0
        self.unknown: Counter[str] = Counter()

    def watch(self, results: Iterable[dict]) -> Iterator[dict]:
        """The results unchanged; each one's notes said before it, the unknown words after the last."""
        for result in results:
            self.texts += 1
            unknown = dict.fromkeys(result.get("unknown", ()))
            self.with_unknown += bool(unknown)
            self.unknown.update(list(unknown))  # each word once per text
            self.cut += bool(result.get("truncated"))  # classifiers count cut texts; the others note each
            for message in [] if self.quiet else result["notes"]:
                note(message)
            yield result
        if self.quiet:
            return
        if self.unknown:
            note(self.summary())
        truncation_note(self.cut, total=self.texts)

    def summary(self) -> str:
        if self.texts == 1:
            return f"not in {self.vocabulary}: {', '.join(self.unknown)}"
        words = ", ".join(f"{word} ({n:,})" for word, n in self.unknown.most_common(COMMONEST))
        return (f"{self.with_unknown:,} of {self.texts:,} texts have words not in {self.vocabulary}; "
                f"the commonest (texts): {words}")
