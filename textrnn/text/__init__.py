"""Text processing: normalize -> tokenize -> numericalize. Pure Python; no torch."""

from textrnn.text.normalize import Normalizer
from textrnn.text.tokenizers import TOKENIZERS, Tokenizer, get_tokenizer, tokenizer_from_spec
from textrnn.text.vocab import Vocab, coverage

__all__ = ["Normalizer", "TOKENIZERS", "Tokenizer", "get_tokenizer", "tokenizer_from_spec", "Vocab", "coverage"]
