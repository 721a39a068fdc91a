"""Tokenizer registry: named callables with a matching detokenizer, described by a JSON spec.

spaCy and NLTK are imported only inside the backend that uses them, so `textrnn --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from textrnn.errors import MissingDependencyError, UnknownNameError
from textrnn.text.detok import detokenize_words
from textrnn.text.normalize import Normalizer


class Tokenizer:
    """Base class: normalize, then split. Subclasses set `name` and implement `_split`."""

    name: ClassVar[str] = ""
    level: ClassVar[str] = "word"  # "word" or "char": how generated text is joined and measured

    def __init__(self, lang: str = "en", lowercase: bool = False) -> None:
        self.lang = lang
        self.normalizer = Normalizer(lowercase=lowercase)

    @property
    def spec(self) -> dict[str, Any]:
        """What is saved with a model: enough to rebuild this exact tokenizer."""
        return {"name": self.name, "lang": self.lang, "lowercase": self.normalizer.lowercase}

    def __call__(self, text: str) -> list[str]:
        return self._split(self.normalizer(text))

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[list[str]]:
        """Tokenize many texts; backends with a batch API override this."""
        for text in texts:
            yield self(text)

    def detokenize(self, tokens: list[str]) -> str:
        return detokenize_words(tokens, self.lang)

    def _split(self, text: str) -> list[str]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec})"


class WhitespaceTokenizer(Tokenizer):
    """Split on whitespace: for text that is already tokenized (SST-2, Penn Treebank)."""

    name = "whitespace"

    def _split(self, text: str) -> list[str]:
        return text.split()

    def detokenize(self, tokens: list[str]) -> str:
        return " ".join(tokens).replace(" \n ", "\n")


class CharTokenizer(Tokenizer):
    """One token per character, spaces included: for character-level language models."""

    name = "char"
    level = "char"

    def _split(self, text: str) -> list[str]:
        return list(text)

    def detokenize(self, tokens: list[str]) -> str:
        return "".join(tokens)


class SpacyTokenizer(Tokenizer):
    """spaCy's rule-based tokenizer for a language (`spacy.blank(lang)`): no model download."""

    name = "spacy"

    def __init__(self, lang: str = "en", lowercase: bool = False) -> None:
        super().__init__(lang, lowercase)
        try:
            import spacy
        except ImportError as e:  # pragma: no cover - spacy is a dependency
            raise MissingDependencyError("the spacy tokenizer needs spaCy: pip install spacy") from e
        try:
            self._tokenizer = spacy.blank(lang).tokenizer
        except ImportError as e:
            raise UnknownNameError("spaCy language", lang, ["en", "fr", "de", "es", "it", "pt", "nl", "xx"]) from e

    def _split(self, text: str) -> list[str]:
        return [t.text for t in self._tokenizer(text) if not t.is_space]

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[list[str]]:
        normalized = (self.normalizer(t) for t in texts)
        for doc in self._tokenizer.pipe(normalized, batch_size=batch_size):
            yield [t.text for t in doc if not t.is_space]


class NltkTokenizer(Tokenizer):
    """NLTK's Treebank-style word tokenizer (`NLTKWordTokenizer`), which needs no downloaded data.

    When the punkt sentence splitter happens to be installed, text is split into sentences first, as
    `nltk.word_tokenize` does; it is never required.
    """

    name = "nltk"

    def __init__(self, lang: str = "en", lowercase: bool = False) -> None:
        super().__init__(lang, lowercase)
        from nltk.tokenize import NLTKWordTokenizer
        from nltk.tokenize.treebank import TreebankWordDetokenizer

        self._word = NLTKWordTokenizer()
        self._detok = TreebankWordDetokenizer()
        self._sentences = _punkt_or_none(lang)

    def _split(self, text: str) -> list[str]:
        sentences = self._sentences(text) if self._sentences else [text]
        return [tok for s in sentences for tok in self._word.tokenize(s)]

    def detokenize(self, tokens: list[str]) -> str:
        return self._detok.detokenize(tokens)


def _punkt_or_none(lang: str):
    languages = {"en": "english", "fr": "french", "de": "german", "es": "spanish"}
    try:
        from nltk.tokenize import sent_tokenize

        sent_tokenize("A test. Another.", language=languages.get(lang, "english"))
    except LookupError:
        return None
    return lambda text: sent_tokenize(text, language=languages.get(lang, "english"))


# Stable keys: they are written into saved models and never renamed.
TOKENIZERS: dict[str, type[Tokenizer]] = {
    "spacy": SpacyTokenizer,
    "nltk": NltkTokenizer,
    "char": CharTokenizer,
    "whitespace": WhitespaceTokenizer,
}


def get_tokenizer(name: str, lang: str = "en", lowercase: bool = False) -> Tokenizer:
    """Build a tokenizer by registry name; an unknown name lists the valid ones."""
    try:
        cls = TOKENIZERS[name]
    except KeyError:
        raise UnknownNameError("tokenizer", name, list(TOKENIZERS)) from None
    return cls(lang=lang, lowercase=lowercase)


def tokenizer_from_spec(spec: dict[str, Any]) -> Tokenizer:
    return get_tokenizer(spec["name"], lang=spec.get("lang", "en"), lowercase=spec.get("lowercase", False))
