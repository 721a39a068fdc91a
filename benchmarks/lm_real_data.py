"""Train the README's language models on real data with the CLI and print their figures.

Runs exactly the commands the README shows (character level on tiny-shakespeare, word level on Pride and
Prejudice from Project Gutenberg), then reads validation perplexity, training time and tokens/s back from
each model directory.

    python benchmarks/lm_real_data.py [--only shakespeare|gutenberg] [--out DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, report, shared

COMMANDS = {
    "shakespeare": "textrnn train lm ../shared/data/tiny-shakespeare/input.txt -o {out}/shakespeare-char "
                   "--tokenizer char --layers 2 --hidden-size 256 --bptt 100 --batch-size 32 --epochs 3 "
                   "--dropout 0.1 --embedding-dropout 0.05 --output-dropout 0.1 --optimizer adam --lr 3e-3",
    "gutenberg": "textrnn train lm ../shared/data/gutenberg/1342-0.txt -o {out}/pride-word "
                 "--tokenizer spacy --min-freq 2 --layers 2 --hidden-size 256 --bptt 35 --batch-size 20 "
                 "--epochs 6 --dropout 0.4 --embedding-dropout 0.2 --output-dropout 0.4 --optimizer adam --lr 2e-3",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=sorted(COMMANDS))
    parser.add_argument("--out", default="models")
    parser.add_argument("--json")
    args = parser.parse_args()
    shared("tiny-shakespeare", "input.txt")  # fail early without ../shared/data
    figures: dict = {}
    for name, command in COMMANDS.items():
        if args.only and name != args.only:
            continue
        cmd = shlex.split(command.format(out=args.out))
        cmd = [sys.executable, "-m", "textrnn", *cmd[1:], "--overwrite", "--quiet"]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        model_dir = REPO / cmd[cmd.index("-o") + 1]
        config = json.loads((model_dir / "config.json").read_text())
        history = [json.loads(line) for line in (model_dir / "metrics.jsonl").read_text().splitlines()]
        best = min(history, key=lambda r: r["val_loss"])
        figures[f"{name}_val_ppl"] = best["val_ppl"]
        if "val_bpc" in best:
            figures[f"{name}_val_bpc"] = best["val_bpc"]
        figures[f"{name}_train_tokens"] = config["training"]["train_tokens"]
        figures[f"{name}_epochs"] = len(history)
        figures[f"{name}_train_seconds"] = sum(r["seconds"] for r in history)
        figures[f"{name}_wall_seconds"] = wall
        figures[f"{name}_tokens_per_s"] = sum(r["tokens_per_s"] for r in history) / len(history)
    report(figures, args.json)


if __name__ == "__main__":
    main()
