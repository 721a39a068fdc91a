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
    """Drop a leading UTF-8 byte-order mark, which editors on Windows add."""
    return text[1:] if text.startswith("\ufeff") else text


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
        text = html_breaks(nfc(strip_bom(text)))
        if self.whitespace:
            text = clean_whitespace(text)
        if self.lowercase:
            text = lowercase(text)
        return text
