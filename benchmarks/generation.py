"""Generation cost grows linearly with length: each new token is one recurrent step on the carried state.

    python benchmarks/generation.py [-m MODEL] [--json FILE]
"""

from __future__ import annotations

import argparse
import time

from _common import report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-m", "--model", default="everyday-english")
    parser.add_argument("--json")
    args = parser.parse_args()

    from textrnn.tasks.lm import LanguageModelRunner

    runner = LanguageModelRunner(args.model)
    figures: dict = {"model": args.model}
    for n in (100, 1000):
        list(runner.generate("The weather today", n=10, seed=0, until="none"))  # warm up
        best = float("inf")
        for repeat in range(3):
            start = time.perf_counter()
            out = list(runner.generate("The weather today", n=n, seed=repeat, until="none"))
            best = min(best, time.perf_counter() - start)
        assert len(out) == n
        figures[f"seconds_{n}_tokens"] = best
        figures[f"tokens_per_s_{n}"] = n / best
    figures["ratio_1000_over_100"] = figures["seconds_1000_tokens"] / figures["seconds_100_tokens"]
    report(figures, args.json)


if __name__ == "__main__":
    main()
