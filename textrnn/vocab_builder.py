"""Build a vocabulary file from a corpus, with coverage figures (the library side of `textrnn vocab`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from textrnn.data.corpus import load_corpus, tokenize_corpus
from textrnn.data.sources import Source
from textrnn.errors import InputError
from textrnn.ranges import check
from textrnn.text import Vocab, coverage, get_tokenizer
from textrnn.writing import replace_file


@dataclass
class VocabReport:
    vocab: Vocab
    path: Path
    tokens: int
    types: int
    token_coverage: float
    oov_rate: float

    def as_dict(self) -> dict:
        return {"path": str(self.path), "size": len(self.vocab), "corpus_tokens": self.tokens,
                "corpus_types": self.types, "token_coverage": self.token_coverage, "oov_rate": self.oov_rate}


def build_vocab(source: Source, output: str | Path, tokenizer: str = "spacy", lang: str = "en",
                lowercase: bool = False, column: str = "text", min_freq: int = 1,
                max_size: int | None = None) -> VocabReport:
    check("min_freq", min_freq)
    check("max_size", max_size)
    tok = get_tokenizer(tokenizer, lang, lowercase)
    ds = load_corpus(source)
    tokens = tokenize_corpus(ds, column, tok)
    counter: Counter[str] = Counter()
    for batch in tokens.iter(batch_size=10_000):
        for row in batch["tokens"]:
            counter.update(row)
    if not counter:
        raise InputError(f"{source.path}: no tokens in the corpus")
    vocab = Vocab.from_counter(counter, min_freq, max_size)
    cov = coverage(vocab, counter)
    path = replace_file(output, vocab.save)
    return VocabReport(vocab, path, cov.tokens, cov.types, cov.token_coverage, cov.oov_rate)


def read_vocab(path: str | Path) -> Vocab:
    """A vocabulary from its JSON file, or the (text or source) vocabulary of a model directory."""
    import json

    path = Path(path)
    if path.is_dir():
        from textrnn import checkpoint

        config = checkpoint.read_config(path)
        name = next(iter(config["vocabs"].values()))
        path = path / name
    if not path.is_file():
        from textrnn.errors import CorpusNotFound

        raise CorpusNotFound(f"no such file: {path}")
    try:
        return Vocab.load(path)
    except (json.JSONDecodeError, KeyError, UnicodeDecodeError):
        raise InputError(f"{path} is not a textrnn vocabulary file") from None
