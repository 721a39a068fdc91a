"""Character n-gram subwords, hashed into buckets: a word's pieces say something even when the word is new.

Bojanowski et al. 2017, "Enriching Word Vectors with Subword Information" (fastText): a word is wrapped in
boundary marks and cut into its character n-grams, and each n-gram is hashed to one of `buckets` rows of an
embedding table:

    "spam", n = 3..4  ->  <spam>  ->  <sp spa pam am>  <spa spam pam>   ->  crc32 % buckets + 1

so "unfunny" shares rows with "funny", and "£1500" with "£250". Row 0 is padding. The hash is CRC-32 of the
UTF-8 n-gram (zlib), the same on every machine and Python version; the settings are saved with the model.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache

from textrnn.errors import ConfigError

BOW, EOW = "<", ">"


@dataclass(frozen=True)
class Subwords:
    """How tokens become n-gram bucket ids: n from `min_n` to `max_n`, ids 1..buckets, at most `limit` a word."""

    buckets: int
    min_n: int = 3
    max_n: int = 5
    limit: int = 40  # a token's first `limit` n-grams (a long URL has hundreds); keeps batches small
    # Saved models record buckets, min_n and max_n but rely on this default and on CRC-32: never change them.

    def __post_init__(self) -> None:
        if self.buckets < 1:
            raise ConfigError(f"subword buckets must be at least 1, got {self.buckets}")
        if not 1 <= self.min_n <= self.max_n:
            raise ConfigError(f"subword n-gram sizes need 1 <= min <= max, got {self.min_n}-{self.max_n}")
        if self.limit < 1:
            raise ConfigError(f"subword limit must be at least 1, got {self.limit}")

    def ids(self, token: str) -> list[int]:
        """The token's n-gram bucket ids (1-based; 0 is padding), shortest n-grams first."""
        return list(_ids(token, self.buckets, self.min_n, self.max_n, self.limit))


def char_ngrams(token: str, min_n: int, max_n: int) -> list[str]:
    """The character n-grams of BOW + token + EOW, n from min_n to max_n, in order of n then position."""
    word = BOW + token + EOW
    return [word[i: i + n] for n in range(min_n, max_n + 1) for i in range(len(word) - n + 1)]


@lru_cache(maxsize=1 << 18)
def _ids(token: str, buckets: int, min_n: int, max_n: int, limit: int) -> tuple[int, ...]:
    grams = char_ngrams(token, min_n, max_n)[:limit]
    return tuple(zlib.crc32(g.encode("utf-8")) % buckets + 1 for g in grams)
