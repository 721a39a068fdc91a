"""Translation on Tatoeba English-French: a seeded held-out split, training, sacreBLEU greedy vs beam, speed.

    python benchmarks/translate.py                       # split, train (unless the model exists), evaluate
    python benchmarks/translate.py --model DIR --json results.json

The split (written to --work, never into the repository):
  1. pairs of ../shared/data/eng-fra/fra.txt whose English and French sides have at most --max-words
     whitespace-separated words (a CPU-sized subset);
  2. the distinct English sentences among them are shuffled with random.Random(--seed); the first --test
     of them are the test set, with the first French translation listed for each as its one reference;
  3. every pair whose English sentence is in the test set is left out of training (no source leaks).
Scores are sacreBLEU on detokenized output (13a tokenization, case-sensitive) and chrF.
Data: Tatoeba via manythings.org/anki, CC BY 2.0 (attribution: manythings.org/anki and tatoeba.org).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "eng-fra" / "fra.txt"
WORK = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "textrnn" / "bench-translate"
# The documented training command (after "textrnn train translate TRAIN.tsv -o MODEL").
TRAIN_ARGS = ["--hidden-size", "256", "--embedding-size", "128", "--attention", "general", "--input-feed",
              "--dropout", "0.2", "--label-smoothing", "0.1", "--min-freq", "2", "--max-length", "12",
              "--batch-size", "64", "--lr", "2e-3", "--epochs", "4", "--patience", "1", "--seed", "1"]


def make_split(data: Path, work: Path, max_words: int, test: int, seed: int, extra: Path | None = None) -> dict:
    """Write work/train.tsv and work/test.tsv as described above; return the counts. `extra`: a folder of
    more source<TAB>target pairs for training (the project's corpora/en-fr), less any whose source is held out."""
    from textrnn.data.translate import ParallelSource, read_pairs

    pairs = [(s, t) for s, t in read_pairs(ParallelSource(str(data)))
             if len(s.split()) <= max_words and len(t.split()) <= max_words]
    sources = sorted({s for s, _ in pairs})
    random.Random(seed).shuffle(sources)
    held_out = set(sources[:test])
    references: dict[str, str] = {}
    train = []
    for s, t in pairs:
        if s in held_out:
            references.setdefault(s, t)
        else:
            train.append((s, t))
    test_pairs = [(s, references[s]) for s in sources[:test]]
    added = [(s, t) for s, t in read_pairs(ParallelSource(str(extra))) if s not in held_out] if extra else []
    train += added
    work.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train.tsv", train), ("test.tsv", test_pairs)):
        (work / name).write_text("".join(f"{s}\t{t}\n" for s, t in rows), encoding="utf-8")
    return {"pairs_all": sum(1 for _ in read_pairs(ParallelSource(str(data)))), "pairs_max_words": len(pairs),
            "train_pairs": len(train), "extra_pairs": len(added), "test_sentences": len(test_pairs), "max_words": max_words,
            "seed": seed}


def train(work: Path, model: Path, threads: int) -> float:
    """Run the documented CLI command in a real process; its wall time in seconds."""
    command = [sys.executable, "-m", "textrnn", "train", "translate", str(work / "train.tsv"), "-o", str(model),
               "--overwrite", *TRAIN_ARGS]
    print(f"$ OMP_NUM_THREADS={threads} textrnn train translate {work / 'train.tsv'} -o {model} {' '.join(TRAIN_ARGS)}",
          file=sys.stderr)
    start = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)})
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--work", type=Path, default=WORK, help="where the split and the model go")
    parser.add_argument("--model", type=Path, help="evaluate this model instead of WORK/model")
    parser.add_argument("--retrain", action="store_true", help="train even if the model exists")
    parser.add_argument("--max-words", type=int, default=5)
    parser.add_argument("--test", type=int, default=1000, help="held-out English sentences")
    parser.add_argument("--seed", type=int, default=13, help="seed of the held-out split")
    parser.add_argument("--extra", type=Path, help="a folder of more pairs for training only (corpora/en-fr)")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a shared CPU)")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        sys.exit(f"benchmark data not found: {args.data} (see ../shared/data/README.md)")
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch

    from textrnn import checkpoint
    from textrnn.tasks.translate import evaluate

    torch.set_num_threads(args.threads)
    split = make_split(args.data, args.work, args.max_words, args.test, args.seed, args.extra)
    model = args.model or args.work / "model"
    train_seconds = None
    if args.model is None and (args.retrain or not (model / checkpoint.CONFIG).is_file()):
        train_seconds = train(args.work, model, args.threads)
    config = checkpoint.read_config(model)
    results = {"split": split, "model": str(model), "train_command": ["textrnn", "train", "translate", "TRAIN.tsv",
                                                                      "-o", "MODEL", *TRAIN_ARGS],
               "train_wall_seconds": train_seconds, "training": {k: config["training"].get(k) for k in (
                   "train_pairs", "valid_pairs", "best_epoch", "epochs_run", "seconds_total")},
               "parameters": config["parameters"], "threads": args.threads, "cpu_cores": os.cpu_count()}
    for name, beam in (("greedy", 1), ("beam", args.beam)):
        r = evaluate(model, str(args.work / "test.tsv"), beam=beam)
        results[name] = {k: r[k] for k in ("beam", "bleu", "chrf", "bleu_signature", "chrf_signature",
                                           "sentences", "seconds", "sentences_per_s")}
        results[name]["examples"] = r["examples"]
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


def report(r: dict) -> None:
    s, t = r["split"], r["training"]
    print(f"Tatoeba eng-fra: {s['pairs_all']:,} pairs; {s['pairs_max_words']:,} with <= {s['max_words']} words a side; "
          f"{s['train_pairs']:,} for training, {s['test_sentences']:,} held-out English sentences (seed {s['seed']})")
    print(f"model: {r['parameters']:,} parameters; {t['train_pairs']:,} training pairs, best epoch {t['best_epoch']} "
          f"of {t['epochs_run']}, {t['seconds_total'] or 0:.0f} s of epochs"
          + (f", {r['train_wall_seconds']:.0f} s wall" if r["train_wall_seconds"] else "")
          + f", {r['threads']} thread(s) on {r['cpu_cores']} cores")
    print(f"{'decoding':<10}{'BLEU':>8}{'chrF':>8}{'sent/s':>10}")
    for name in ("greedy", "beam"):
        g = r[name]
        label = "greedy" if g["beam"] == 1 else f"beam {g['beam']}"
        print(f"{label:<10}{g['bleu']:>8.2f}{g['chrf']:>8.2f}{g['sentences_per_s']:>10.1f}")
    print(f"BLEU signature: {r['beam']['bleu_signature']}")
    for ex in r["beam"]["examples"]:
        print(f"  {ex['source']}  ->  {ex['translation']}   (ref: {ex['reference']})")


if __name__ == "__main__":
    main()
