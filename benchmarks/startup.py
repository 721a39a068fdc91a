"""Wall time of `textrnn predict "I love eating"` beside `python -c "import torch"` (best of N runs).

    python benchmarks/startup.py [--runs N] [--json FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from _common import report


def best_of(cmd: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    torch_s = best_of([sys.executable, "-c", "import torch"], args.runs)
    predict_s = best_of([sys.executable, "-m", "textrnn", "predict", "I love eating"], args.runs)
    help_s = best_of([sys.executable, "-m", "textrnn", "--help"], args.runs)
    report({"import_torch_s": torch_s, "textrnn_predict_s": predict_s, "predict_over_import_torch": predict_s / torch_s,
            "textrnn_help_s": help_s}, args.json)


if __name__ == "__main__":
    main()
