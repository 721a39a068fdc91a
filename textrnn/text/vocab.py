"""Vocabulary: tokens <-> ids with special tokens at fixed ids, a deterministic order and a JSON form."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)  # ids 0, 1, 2, 3 in every vocabulary
PAD_ID, UNK_ID, BOS_ID, EOS_ID = range(4)
FORMAT = 1


class Vocab:
    """An ordered token list. Ids 0-3 are the specials; the rest by falling count, ties alphabetical."""

    def __init__(self, tokens: Iterable[str], counts: dict[str, int] | None = None) -> None:
        self.itos: list[str] = list(SPECIALS) + [t for t in tokens if t not in SPECIALS]
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        self.counts = dict(counts or {})

    @classmethod
    def build(cls, token_lists: Iterable[list[str]], min_freq: int = 1, max_size: int | None = None) -> "Vocab":
        counter: Counter[str] = Counter()
        for tokens in token_lists:
            counter.update(tokens)
        return cls.from_counter(counter, min_freq, max_size)

    @classmethod
    def from_counter(cls, counter: Counter[str], min_freq: int = 1, max_size: int | None = None) -> "Vocab":
        ranked = sorted((t for t, c in counter.items() if c >= min_freq and t not in SPECIALS),
                        key=lambda t: (-counter[t], t))
        if max_size is not None:
            ranked = ranked[: max(0, max_size - len(SPECIALS))]
        return cls(ranked, {t: counter[t] for t in ranked})

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def encode(self, tokens: Iterable[str], bos: bool = False, eos: bool = False) -> list[int]:
        ids = [self.stoi.get(t, UNK_ID) for t in tokens]
        return ([BOS_ID] if bos else []) + ids + ([EOS_ID] if eos else [])

    def decode(self, ids: Iterable[int], skip_specials: bool = True) -> list[str]:
        return [self.itos[i] for i in ids if not (skip_specials and i < len(SPECIALS))]

    def most_common(self, n: int) -> list[tuple[str, int]]:
        return [(t, self.counts.get(t, 0)) for t in self.itos[len(SPECIALS): len(SPECIALS) + n]]

    # JSON round trip ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "specials": list(SPECIALS), "tokens": self.itos[len(SPECIALS):],
                "counts": [self.counts.get(t, 0) for t in self.itos[len(SPECIALS):]]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Vocab":
        tokens = data["tokens"]
        counts = dict(zip(tokens, data.get("counts", [])))
        return cls(tokens, counts)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)})"


@dataclass(frozen=True)
class Coverage:
    """How well a vocabulary covers a corpus."""

    tokens: int  # running tokens in the corpus
    types: int  # distinct tokens in the corpus
    covered_tokens: int
    covered_types: int

    @property
    def token_coverage(self) -> float:
        return self.covered_tokens / self.tokens if self.tokens else 0.0

    @property
    def oov_rate(self) -> float:
        return 1.0 - self.token_coverage if self.tokens else 0.0

    @property
    def type_coverage(self) -> float:
        return self.covered_types / self.types if self.types else 0.0


def coverage(vocab: Vocab, counter: Counter[str]) -> Coverage:
    """Share of a corpus's tokens (and distinct tokens) that the vocabulary knows."""
    covered = {t: c for t, c in counter.items() if t in vocab.stoi}
    return Coverage(tokens=sum(counter.values()), types=len(counter),
                    covered_tokens=sum(covered.values()), covered_types=len(covered))
