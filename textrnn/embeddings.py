"""Pretrained word vectors in the GloVe / word2vec text format, read for the words of a vocabulary.

    the 0.418 0.24968 -0.41242 ...        GloVe: a word, then its numbers, separated by spaces
    400000 300                            word2vec text: the same, after a "count dimension" header line

Only the vocabulary's words are kept, so a multi-gigabyte file costs one pass and little memory.
A word missing in its own case is looked up lowercased (GloVe's vectors are lowercase).
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textrnn.errors import CorpusError, CorpusNotFound

if TYPE_CHECKING:
    import torch

    from textrnn.text import Vocab


@dataclass
class Vectors:
    """The vectors found for a vocabulary: vocabulary id -> vector, all of one dimension."""

    path: str
    dim: int
    found: dict[int, list[float]]
    vocab_size: int

    @property
    def coverage(self) -> float:
        """Share of the vocabulary's words (specials excluded) that have a vector."""
        from textrnn.text.vocab import SPECIALS

        words = self.vocab_size - len(SPECIALS)
        return len(self.found) / words if words > 0 else 0.0


def _open(path: str):
    return gzip.open(path, "rt", encoding="utf-8", errors="replace") if path.endswith(".gz") else \
        open(path, encoding="utf-8", errors="replace")


def read_vectors(path: str | os.PathLike, vocab: "Vocab") -> Vectors:
    """The vectors of `vocab`'s words in a GloVe or word2vec text file. Raises CorpusError on a malformed file."""
    path = str(path)
    if not Path(path).is_file():
        raise CorpusNotFound(f"no such embeddings file: {path}", hint="give a GloVe/word2vec text file")
    wanted = {t: i for i, t in enumerate(vocab.itos)}
    lowered: dict[str, list[int]] = {}
    for token, i in wanted.items():
        if token.lower() != token:
            lowered.setdefault(token.lower(), []).append(i)
    found: dict[int, list[float]] = {}
    exact: set[int] = set()
    dim = None
    with _open(path) as f:
        for lineno, line in enumerate(f, 1):
            parts = line.rstrip("\n").rstrip().split(" ")
            if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                dim = int(parts[1])  # word2vec header: count and dimension
                continue
            if len(parts) < 2 or not parts[0]:
                if not line.strip():
                    continue
                raise CorpusError(f"{path}, line {lineno}: expected a word followed by numbers")
            dim = dim or len(parts) - 1
            if len(parts) - 1 != dim:
                raise CorpusError(f"{path}, line {lineno}: {len(parts) - 1} numbers where the file has {dim}",
                                  hint="the file must be in the GloVe or word2vec text format")
            word = parts[0]
            ids = ([wanted[word]] if word in wanted else []) + lowered.get(word, [])
            if not ids:
                continue
            try:
                vector = [float(x) for x in parts[1:]]
            except ValueError:
                raise CorpusError(f"{path}, line {lineno}: not a number among the values of {word!r}") from None
            for i in ids:
                if i in exact:
                    continue  # an exact-case vector wins over a lowercased one
                found[i] = vector
                if i == wanted.get(word):
                    exact.add(i)
    if dim is None:
        raise CorpusError(f"{path}: no vectors in the file")
    return Vectors(path, dim, found, len(vocab))


def init_embedding(weight: "torch.Tensor", vectors: Vectors) -> None:
    """Copy the found vectors into an embedding matrix (V, D) in place; the other rows keep their
    random initialisation, rescaled to the spread of the pretrained vectors so both look alike."""
    import torch

    from textrnn.text.vocab import PAD_ID

    if not vectors.found:
        return
    with torch.no_grad():
        ids = torch.tensor(sorted(vectors.found))
        table = torch.tensor([vectors.found[i] for i in ids.tolist()], dtype=weight.dtype)
        std = table.std().item() if table.numel() > 1 else 0.1
        weight.mul_(std / max(weight.std().item(), 1e-8))
        weight[ids] = table
        weight[PAD_ID].zero_()
