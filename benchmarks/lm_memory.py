"""Memory as the corpus grows: one short epoch of a small word language model on tiny-shakespeare repeated
10 and 100 times (about 2M and 20M tokens), each run in its own process; prints the peak resident memory of
each (the operating system's count, which includes the pages of memory-mapped files that were read).

Training reads the token ids from a memory-mapped file (textrnn.data.lm.stream_ids), not from a Python list,
so the 100x run should stay under twice the 10x run's memory.

    python benchmarks/lm_memory.py [--sizes 10 100] [--cached] [--out DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import report, shared

TRAIN = ["--tokenizer", "whitespace", "--max-vocab", "2000", "--hidden-size", "32", "--layers", "1",
         "--batch-size", "1024", "--bptt", "35", "--epochs", "1", "--valid-fraction", "0.01", "--threads", "1",
         "--seed", "1", "-qq", "--overwrite"]


def corpus(times: int, folder: Path) -> Path:
    path = folder / f"shakespeare-x{times}.txt"
    if not path.exists():
        text = shared("tiny-shakespeare", "input.txt").read_text(encoding="utf-8")
        with path.open("w", encoding="utf-8") as f:
            for _ in range(times):
                f.write(text)
    return path


def peak_rss_mb(args: list[str], env: dict) -> tuple[float, float]:
    """Run `python -m textrnn ARGS` and return (its peak resident memory in MB, wall seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "textrnn", *args], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"textrnn {' '.join(args)} failed")
    return usage.ru_maxrss / 1024, time.perf_counter() - start  # ru_maxrss is in KB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--out", help="folder for the corpora, cache and models (default: a temporary one)")
    parser.add_argument("--cached", action="store_true", help="also a second run of each, from the token cache")
    parser.add_argument("--json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.out or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TEXTRNN_CACHE": str(folder / "cache"), "OMP_NUM_THREADS": "1"}
        figures: dict = {}
        for times in args.sizes:
            text = corpus(times, folder)
            # The first run tokenizes and caches; the second trains from the cache, as every later run does.
            for run in ("first", "cached") if args.cached else ("first",):
                mb, seconds = peak_rss_mb(["train", "lm", str(text), "-o", str(folder / f"lm-x{times}"), *TRAIN], env)
                figures[f"x{times}_{run}_peak_rss_mb"] = round(mb, 1)
                figures[f"x{times}_{run}_seconds"] = round(seconds, 1)
            figures[f"x{times}_corpus_mb"] = round(text.stat().st_size / 1e6, 1)
        if len(args.sizes) >= 2:
            small, large = args.sizes[0], args.sizes[-1]
            for run in ("first", "cached") if args.cached else ("first",):
                figures[f"x{large}_over_x{small}_{run}"] = round(
                    figures[f"x{large}_{run}_peak_rss_mb"] / figures[f"x{small}_{run}_peak_rss_mb"], 2)
        report(figures, args.json)


if __name__ == "__main__":
    main()
