"""Normalization rules: small pure functions applied in order before tokenizing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Runs of two or more blanks, or any single blank that is not a plain space.
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]{2,}|[\t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]")


def nfc(text: str) -> str:
    """Compose characters (e + combining acute -> é) so equal-looking words are equal tokens."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def strip_bom(text: str) -> str:
    """Drop byte-order marks (U+FEFF), which editors on Windows add at the start of a file and which land
    anywhere when such files are concatenated; invisible, they would glue themselves to a word."""
    return text.replace("\ufeff", "") if "\ufeff" in text else text


_SURROGATES = re.compile("[\ud800-\udfff]")


def no_surrogates(text: str) -> str:
    """Lone surrogates (undecodable bytes as Python keeps them, PEP 383) become U+FFFD: they are not text,
    and tokenizers written in C refuse them. Text read by textrnn never has them (see textrnn.data.decode)."""
    return _SURROGATES.sub("\ufffd", text) if _SURROGATES.search(text) else text


_HTML_BREAKS = re.compile(r"<br\s*/?>", re.IGNORECASE)


def html_breaks(text: str) -> str:
    """HTML line breaks (<br />, as scraped reviews such as IMDB's are full of) become spaces, not three
    tokens of markup."""
    return _HTML_BREAKS.sub(" ", text) if "<" in text else text


def clean_whitespace(text: str) -> str:
    """Collapse runs of spaces and tabs (and exotic spaces) to one space; trim the ends. Newlines stay."""
    text = _SPACES.sub(" ", text)
    if "\n" in text:
        return "\n".join(line.strip() for line in text.split("\n")).strip("\n")
    return text.strip()


def lowercase(text: str) -> str:
    return text.lower()


@dataclass(frozen=True)
class Normalizer:
    """The normalization stage; its fields are saved in the tokenizer spec."""

    lowercase: bool = False
    whitespace: bool = True

    def __call__(self, text: str) -> str:
        text = html_breaks(nfc(strip_bom(no_surrogates(text))))
        if self.whitespace:
            text = clean_whitespace(text)
        if self.lowercase:
            text = lowercase(text)
        return text


def is_blank(text: str | None) -> bool:
    """Whether nothing is left of `text` once normalized: None, "", spaces, a lone BOM, a zero-width space."""
    if not text or not text.strip():
        return True
    if text.isprintable() and not text[0].isspace() and "<" not in text:  # the common case, at once
        return False
    return not clean_whitespace(html_breaks(strip_bom(no_surrogates(text))))


CHARS_PER_TOKEN = 100  # more than any token needs: what a reader of N tokens looks at, at most


def clip(text: str, tokens: int, end: bool = False) -> str:
    """The first (or, with `end`, the last) `CHARS_PER_TOKEN * tokens` characters of `text`: all that a reader
    of `tokens` tokens can use, so that a 50 MB line is not tokenized whole for its first 400 tokens."""
    limit = CHARS_PER_TOKEN * tokens
    if len(text) <= limit:
        return text
    if end:  # start after a space, not inside a word
        tail = text.rstrip()[-limit:]
        space = tail.find(" ", 0, limit // 2)
        return tail[space + 1:] if space >= 0 else tail
    space = text.rfind(" ", limit // 2, limit)
    return text[:space] if space >= 0 else text[:limit]
