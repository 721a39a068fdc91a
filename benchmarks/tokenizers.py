"""Tokens per second for each textrnn tokenizer beside the raw library call on the same text.

    python benchmarks/tokenizers.py [--lines N] [--json FILE]
"""

from __future__ import annotations

import argparse
import time

from _common import report, shared


def rate(fn, lines) -> tuple[float, int]:
    start = time.perf_counter()
    count = sum(len(tokens) for tokens in fn(lines))
    return count / (time.perf_counter() - start), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=40_000)
    parser.add_argument("--json")
    args = parser.parse_args()
    lines = shared("tiny-shakespeare", "input.txt").read_text(encoding="utf-8").splitlines()[: args.lines]

    import spacy
    from nltk.tokenize import NLTKWordTokenizer

    from textrnn.text import get_tokenizer

    raw_spacy = spacy.blank("en").tokenizer
    raw_nltk = NLTKWordTokenizer()
    raw = {
        "spacy": lambda ls: ([t.text for t in doc if not t.is_space] for doc in raw_spacy.pipe(ls, batch_size=1000)),
        "nltk": lambda ls: (raw_nltk.tokenize(line) for line in ls),
        "char": lambda ls: (list(line) for line in ls),
        "whitespace": lambda ls: (line.split() for line in ls),
    }
    figures: dict = {"lines": len(lines)}
    for name, raw_fn in raw.items():
        tok = get_tokenizer(name)
        raw_fn(lines[:100])  # warm up both
        list(tok.pipe(lines[:100]))
        raw_rate, n = rate(raw_fn, lines)
        ours, n2 = rate(lambda ls: tok.pipe(ls), lines)
        figures[f"{name}_raw_tokens_per_s"] = raw_rate
        figures[f"{name}_textrnn_tokens_per_s"] = ours
        figures[f"{name}_overhead"] = f"{raw_rate / ours - 1:+.1%} (same tokens: {n == n2})"
    report(figures, args.json)


if __name__ == "__main__":
    main()
