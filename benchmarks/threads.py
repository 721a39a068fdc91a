"""Sharing a machine: language-model trainings run alone and two at once, with PyTorch's default threads and
with `--threads N`. Each figure is a training's own tokens/s (training steps only, from its metrics.jsonl).

The model is the word_language_model recipe (2-layer LSTM, 200 units, batch 20, BPTT 35, SGD at 20) on the
first --tokens words of tiny-shakespeare, split on whitespace, 10,000-word vocabulary, one epoch.

    python benchmarks/threads.py [--tokens N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, report, shared

TRAIN = ["--tokenizer", "whitespace", "--max-vocab", "10000", "--hidden-size", "200", "--layers", "2",
         "--batch-size", "20", "--bptt", "35", "--optimizer", "sgd", "--lr", "20", "--clip", "0.25",
         "--epochs", "1", "--valid-fraction", "0.05", "-qq", "--overwrite"]


def corpus(path: Path, tokens: int) -> Path:
    """The first `tokens` words of tiny-shakespeare, its lines kept."""
    lines, count = [], 0
    for line in shared("tiny-shakespeare", "input.txt").read_text(encoding="utf-8").splitlines():
        lines.append(line)
        count += len(line.split())
        if count >= tokens:
            break
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def environment(cache: Path) -> dict[str, str]:
    """This environment without OMP_NUM_THREADS / MKL_NUM_THREADS, so PyTorch's default is its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return {**env, "TEXTRNN_CACHE": str(cache)}


def default_threads(env: dict[str, str]) -> int:
    code = "import torch; print(torch.get_num_threads())"
    return int(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              check=True).stdout)


def trainings(text: Path, work: Path, env: dict[str, str], threads: list[int | None]) -> list[dict]:
    """Start one training per entry of `threads` (None: no --threads) at the same moment; wait for all.
    Returns each one's tokens/s, threads used and wall seconds."""
    procs = []
    start = time.perf_counter()
    for i, n in enumerate(threads):
        out = work / f"model-{i}"
        command = [sys.executable, "-m", "textrnn", "train", "lm", str(text), "-o", str(out), *TRAIN]
        command += ["--threads", str(n)] if n is not None else []
        procs.append((out, subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL)))
    results = []
    for out, proc in procs:
        if proc.wait() != 0:
            sys.exit(f"training failed: {proc.args}")
        record = json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])
        results.append({"tokens_per_s": record["tokens_per_s"], "threads": record["threads"],
                        "wall_s": time.perf_counter() - start})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=40_000, help="Words of tiny-shakespeare to train on.")
    parser.add_argument("--json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = environment(work / "cache")
        text = corpus(work / "train.txt", args.tokens)
        cores, default = os.cpu_count() or 1, default_threads(env)
        figures: dict = {"cpu_cores": cores, "pytorch_default_threads": default, "corpus_words": args.tokens}
        trainings(text, work, env, [1])  # tokenizes once into the cache, so no run below pays for it
        for n in sorted({1, default, cores}):
            [alone] = trainings(text, work, env, [n])
            figures[f"alone_threads_{n}_tokens_per_s"] = alone["tokens_per_s"]
        for label, threads in (("default", [None, None]), ("threads_1", [1, 1])):
            pair = trainings(text, work, env, threads)
            figures[f"two_{label}_threads_used"] = "/".join(str(r["threads"]) for r in pair)
            figures[f"two_{label}_tokens_per_s_each"] = " / ".join(f"{r['tokens_per_s']:,.0f}" for r in pair)
            figures[f"two_{label}_tokens_per_s_total"] = sum(r["tokens_per_s"] for r in pair)
            figures[f"two_{label}_both_done_s"] = max(r["wall_s"] for r in pair)
    report(figures, args.json)


if __name__ == "__main__":
    main()
