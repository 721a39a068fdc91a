"""Sentiment on real reviews with the CLI: SST-2 (phrase-level training), IMDB, and the bundled model's data,
each with and without a language model pretrained on IMDB review text (ULMFiT-style transfer).

- data: scripts/sentiment_data.py writes the seeded splits (IMDB 90/10 with seed 13, UCI 80/20 per source,
  SST-2's GLUE phrases for training and the 872 dev sentences held out) into --out/data.
- imdb-lm: a 2-layer LSTM language model (adaptive softmax) trained on the text of the IMDB training split
  only: no held-out review is read before testing.
- each classifier stops early on a stratified 10% of its own training file (seeded); its held-out files
  are read once, after training, by `textrnn evaluate`.

    python benchmarks/sentiment.py [--only NAME ...] [--out DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from _common import REPO, report

LM = ("textrnn train lm {data}/imdb-lm.txt -o {out}/imdb-lm --lowercase --layers 2 --hidden-size 256 "
      "--embedding-size 256 --softmax adaptive --bptt 70 --batch-size 64 --epochs 1 --dropout 0.1 "
      "--embedding-dropout 0.05 --output-dropout 0.1 --optimizer adam "
      "--max-vocab 24000 --min-freq 3 --valid-fraction 0.02 --seed 1")
FINE_TUNE = "--encoder {out}/imdb-lm --pooling concat --dropout 0.3 --lr 1e-3 --seed 1"
SCRATCH = ("--tokenizer spacy --lowercase --layers 2 --hidden-size 256 --embedding-size 256 --no-bidirectional "
           "--pooling concat --dropout 0.3 --lr 1e-3 --max-vocab 24000 --min-freq 3 --seed 1")
# name -> (training file, options, held-out files)
RUNS = {
    "sst2-scratch": ("sst2-phrases", f"{SCRATCH} --batch-size 64 --epochs 6 --patience 1 --max-length 100",
                     ["sst2-dev"]),
    "sst2-ulm": ("sst2-phrases", f"{FINE_TUNE} --batch-size 64 --epochs 6 --patience 1 --max-length 100",
                 ["sst2-dev"]),
    "imdb-ulm": ("imdb-train", f"{FINE_TUNE} --batch-size 32 --epochs 2 --patience 1 --max-length 400",
                 ["imdb-valid"]),
    "sentiment-ulm": ("sentiment-train", f"{FINE_TUNE} --batch-size 32 --epochs 2 --patience 1 --max-length 256",
                      ["sst2-dev", "imdb-valid", "uci-test"]),
}


def textrnn(*args: str) -> str:
    cmd = [sys.executable, "-m", "textrnn", *args]
    return subprocess.run(cmd, check=True, cwd=REPO, capture_output=True, text=True).stdout


def run(command: str) -> float:
    start = time.perf_counter()
    textrnn(*shlex.split(command)[1:], "--overwrite", "-qq")
    return time.perf_counter() - start


def language_model(data: Path, out: Path) -> dict:
    if not (out / "imdb-lm" / "config.json").is_file():
        run(LM.format(data=data, out=out))
    config = json.loads((out / "imdb-lm" / "config.json").read_text())
    return {"imdb_lm_val_ppl": config["metrics"]["val_ppl"], "imdb_lm_seconds": config["training"]["seconds_total"],
            "imdb_lm_train_tokens": config["training"]["train_tokens"]}


def classifier(name: str, data: Path, out: Path) -> dict:
    train, options, tests = RUNS[name]
    wall = run(f"textrnn train classify {data}/{train}.tsv -o {out}/{name} {options.format(out=out)}")
    config = json.loads((out / name / "config.json").read_text())
    figures = {f"{name}_wall_seconds": wall, f"{name}_train_seconds": config["training"]["seconds_total"],
               f"{name}_epochs_run": config["training"]["epochs_run"],
               f"{name}_val_accuracy": config["metrics"]["val_accuracy"]}
    for test in tests:
        result = json.loads(textrnn("evaluate", str(out / name), str(data / f"{test}.tsv"), "--json"))
        figures[f"{name}_{test}_accuracy"] = result["accuracy"]
        figures[f"{name}_{test}_examples"] = result["examples"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=list(RUNS))
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "sentiment"))
    parser.add_argument("--json")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    data = out / "data"
    subprocess.run([sys.executable, str(REPO / "scripts" / "sentiment_data.py"), str(data)], check=True,
                   capture_output=True)
    figures = language_model(data, out)
    for name in args.only or RUNS:
        figures.update(classifier(name, data, out))
    report(figures, args.json)


if __name__ == "__main__":
    main()
