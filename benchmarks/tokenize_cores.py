"""Rows per second tokenizing a large corpus (textrnn's sharded path, the cache written) on 1 process and on
every core this process may use: tiny-shakespeare repeated to --rows lines, a fresh cache for each run.

    taskset -c 0,1 python benchmarks/tokenize_cores.py [--rows N] [--tokenizer spacy] [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _common import report, shared


def timed(corpus: Path, tokenizer, workers: int) -> float:
    """Seconds to tokenize `corpus` from its cached rows with `workers` processes, into an empty token cache."""
    from textrnn.data.corpus import cache_dir, load_corpus, tokenize_corpus

    ds = load_corpus(str(corpus))
    for old in cache_dir().glob("tok-*"):
        old.unlink()
    start = time.perf_counter()
    tokenize_corpus(ds, "text", tokenizer, workers=workers)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--tokenizer", default="spacy")
    parser.add_argument("--json")
    args = parser.parse_args()
    lines = shared("tiny-shakespeare", "input.txt").read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TEXTRNN_CACHE"] = tmp
        from textrnn.devices import available_cores
        from textrnn.text import get_tokenizer

        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(lines[i % len(lines)] for i in range(args.rows)) + "\n", encoding="utf-8")
        tokenizer = get_tokenizer(args.tokenizer)
        cores = available_cores()
        figures = {"rows": args.rows, "tokenizer": args.tokenizer, "cores": cores}
        for workers in sorted({1, cores}):
            seconds = timed(corpus, tokenizer, workers)
            figures[f"rows_per_s_{workers}_process"] = round(args.rows / seconds)
            print(f"{workers} process(es): {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s", flush=True)
        report(figures, args.json)


if __name__ == "__main__":
    main()
