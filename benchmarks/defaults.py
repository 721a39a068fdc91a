"""How the training defaults were chosen: candidate settings of `textrnn train lm|classify|translate`, run
with the CLI on real corpora of a few sizes, compared on the validation split each run carves from its own
training file (the CLI's seeded --valid-fraction split).

- lm: word level (spaCy), the default 2x256 LSTM, a fixed number of epochs per corpus; figure: validation
  perplexity after each epoch. Corpora: Pride and Prejudice (Gutenberg), tiny-shakespeare, and a seeded
  sample of IMDB review text of about 1M tokens (PTB-sized; written to --out).
- classify: SMS spam (train.tsv), the 3,000 UCI sentences, and a seeded 10,000-row sample of the GLUE SST-2
  phrases (both written to --out); figure: validation macro-F1 and accuracy of the best epoch (the epoch
  early stopping kept, chosen on that same split: a little optimistic, alike for every candidate).
- translate: a seeded 5,000-pair sample of Tatoeba eng-fra; figures: per-epoch training and validation
  seconds, validation loss and BLEU.

Every run is one thread (OMP_NUM_THREADS=1). A finished run whose flags are unchanged is read back, not run
again (--fresh runs it again). Data: ../shared/data, never copied into the repository.

    python benchmarks/defaults.py [--only lm|classify|translate] [--corpus NAME] [--candidate NAME]
                                  [--fresh] [--out DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shlex
import subprocess
import sys
from pathlib import Path

from _common import REPO, shared

# Every candidate spells out each setting it compares, so the table stays reproducible after the defaults
# change. "chosen" marks what the CLI and the library now use.
LM_CANDIDATES = {
    "adam-2e-3 (old default)": "--optimizer adam --lr 2e-3 --clip 0.25 --dropout 0.2 --embedding-dropout 0.1 "
                               "--output-dropout 0.2",
    "adam-1e-3": "--optimizer adam --lr 1e-3 --clip 0.25 --dropout 0.2 --embedding-dropout 0.1 --output-dropout 0.2",
    "sgd-20 (textbook)": "--optimizer sgd --lr 20 --clip 0.25 --dropout 0.2 --embedding-dropout 0.1 "
                         "--output-dropout 0.2",
    "sgd-20-drop0.5": "--optimizer sgd --lr 20 --clip 0.25 --dropout 0.5 --embedding-dropout 0.2 "
                      "--output-dropout 0.5",
}
# corpus -> (file, epochs, the candidates run on it). The larger corpora run fewer epochs and only the old
# default against the textbook recipe, to fit the time a shared CPU had.
LM_CORPORA = {
    "gutenberg": (lambda out: shared("gutenberg", "1342-0.txt"), 3, list(LM_CANDIDATES)),
    "shakespeare": (lambda out: shared("tiny-shakespeare", "input.txt"), 2,
                    ["adam-2e-3 (old default)", "sgd-20 (textbook)"]),
    "imdb-1m": (lambda out: imdb_slice(out), 2, ["adam-2e-3 (old default)", "sgd-20 (textbook)"]),
}
CLASSIFY_CANDIDATES = {
    "lr2e-3-p3 (old default)": "--lr 2e-3 --epochs 10 --patience 3 --dropout 0.3 --embedding-dropout 0.15 "
                               "--output-dropout 0.3",
    "lr1e-3-p3": "--lr 1e-3 --epochs 10 --patience 3 --dropout 0.3 --embedding-dropout 0.15 --output-dropout 0.3",
    "lr2e-3-drop0.5": "--lr 2e-3 --epochs 10 --patience 3 --dropout 0.5 --embedding-dropout 0.25 "
                      "--output-dropout 0.5",
}
# The old default runs on each; the variants on the two smaller. A run with patience 3 also gives what
# patience 1 and 2 would have kept (see `stopped`).
CLASSIFY_DATA = {
    "uci-sentences": (lambda out: uci_all(out), None, list(CLASSIFY_CANDIDATES)),
    "sms-spam": (lambda out: shared("sms-spam", "train.tsv"), None, list(CLASSIFY_CANDIDATES)),
    "sst2-10k": (lambda out: sst2_slice(out), None, ["lr2e-3-p3 (old default)"]),
}
# The old default decoded BLEU every epoch while the loss picked the best epoch; --monitor bleu decodes every
# epoch too (its rate halves when BLEU, not the loss, stalls).
TRANSLATE_CANDIDATES = {
    "old-lr1e-3-bleu-every-epoch": "--lr 1e-3 --epochs 10 --patience 3 --monitor bleu --valid-bleu 500",
    "lr2e-3-6ep-p1": "--lr 2e-3 --epochs 6 --patience 1 --monitor loss --valid-bleu 500",
    # Input feeding makes the decoder run step by step; without it, training runs the decoder fused.
    "no-input-feed": "--lr 2e-3 --epochs 6 --patience 1 --monitor loss --valid-bleu 500 --no-input-feed",
}
TRANSLATE_DATA = {"eng-fra-5k": lambda out: fra_slice(out)}
# The candidate each task's defaults (textrnn/tasks/defaults.py) were taken from, and what they change in it:
# the classifier's patience 2 is read off the same runs (`stopped`). tests/test_defaults.py holds them to it.
CHOSEN = {"lm": ("sgd-20 (textbook)", ""), "classify": ("lr2e-3-p3 (old default)", "--patience 2"),
          "translate": ("lr2e-3-6ep-p1", "")}
TASKS = {"lm": (LM_CANDIDATES, LM_CORPORA), "classify": (CLASSIFY_CANDIDATES, CLASSIFY_DATA),
         "translate": (TRANSLATE_CANDIDATES, TRANSLATE_DATA)}
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SEED = 13  # of the data samples; training keeps the CLI's default --seed


# Data samples, written to --out ---------------------------------------------------------------------

def _lines(path: Path) -> list[str]:
    """The file's lines, split on \\n only (str.splitlines also splits inside a text at U+2028, U+0085 ...)."""
    return [line.rstrip("\r") for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(line + "\n" for line in lines)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def imdb_slice(out: Path, tokens: int = 1_000_000) -> Path:
    """Whole reviews, in a seeded order, until about `tokens` tokens (words and punctuation); one a line."""
    rows = [json.loads(line)["text"] for line in shared("imdb", "train.jsonl").open(encoding="utf-8")]
    random.Random(SEED).shuffle(rows)
    lines, count = [], 0
    for text in rows:
        text = " ".join(text.replace("<br />", " ").split())
        lines.append(text)
        count += len(re.findall(r"\w+|[^\w\s]", text))
        if count >= tokens:
            break
    return _write(out / "data" / "imdb-1m.txt", lines)


def uci_all(out: Path) -> Path:
    """The three UCI files as one `label<TAB>sentence` file (each line split on its last tab)."""
    lines = []
    for name in ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"):
        for line in _lines(shared("uci-sentences", name)):
            text, label = line.rsplit("\t", 1)
            lines.append(f"{label.strip()}\t{text.strip()}")
    return _write(out / "data" / "uci-sentences.tsv", lines)


def sst2_slice(out: Path, rows: int = 10_000) -> Path:
    """A seeded sample of the GLUE SST-2 training phrases, as `label<TAB>phrase`."""
    lines = _lines(shared("sst2", "glue-sst2-train.tsv"))[1:]
    return _write(out / "data" / "sst2-10k.tsv", random.Random(SEED).sample(lines, rows))


def fra_slice(out: Path, pairs: int = 5_000) -> Path:
    """A seeded sample of Tatoeba's English-French pairs (all lengths), `English<TAB>French`."""
    lines = _lines(shared("eng-fra", "fra.txt"))
    sample = random.Random(SEED).sample(lines, pairs)
    return _write(out / "data" / "eng-fra-5k.tsv", ["\t".join(line.split("\t")[:2]) for line in sample])


# Runs -----------------------------------------------------------------------------------------------

def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-")


def command(task: str, data: Path, flags: str, epochs: int | None, model: Path) -> list[str]:
    cmd = [sys.executable, "-m", "textrnn", "train", task]
    cmd += ["-o", str(model), str(data)] if task == "translate" else [str(data), "-o", str(model)]
    cmd += shlex.split(flags) + (["--epochs", str(epochs)] if epochs else []) + ["--overwrite", "-q"]
    return cmd


def run(task: str, data: Path, flags: str, epochs: int | None, model: Path, fresh: bool) -> dict:
    """Train with the CLI unless the model exists from the same command; the figures of its run.

    cpu_seconds (the process's user+system time, start-up included) is the figure to compare on a shared
    machine: the training seconds in config.json are wall-clock and grow with the other jobs."""
    cmd = command(task, data, flags, epochs, model)
    stamp, log_file = model.parent / f"{model.name}.run.json", model.parent / f"{model.name}.log"
    shown = shlex.join(["textrnn", *[os.path.relpath(a, REPO) if a.startswith(str(REPO.parent)) else a
                                     for a in cmd[3:]]])
    done = json.loads(stamp.read_text()) if stamp.is_file() else {}
    if fresh or not (model / "config.json").is_file() or done.get("command") != shown:
        model.parent.mkdir(parents=True, exist_ok=True)
        print(f"running: {shown}", file=sys.stderr, flush=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(log_file, "w", encoding="utf-8") as log:
            subprocess.run(cmd, check=True, cwd=REPO, env=ONE_THREAD, stdout=subprocess.DEVNULL, stderr=log)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        done = {"command": shown, "cpu_seconds": round(cpu, 1)}
        stamp.write_text(json.dumps(done) + "\n")
    config = json.loads((model / "config.json").read_text())
    history = [json.loads(line) for line in (model / "metrics.jsonl").read_text().splitlines()]
    return {"command": shown, "cpu_seconds": done.get("cpu_seconds"), "best_epoch": config["training"]["best_epoch"],
            "epochs_run": config["training"]["epochs_run"], "train_seconds": config["training"]["seconds_total"],
            "metrics": config["metrics"], "history": history}


def stopped(history: list[dict], score, patience: int) -> tuple[dict, int]:
    """The record early stopping with `patience` keeps (highest `score`) and the epochs it runs. Exact for a
    patience up to the run's own: stopping sooner changes no earlier epoch (the LR schedule does not see it)."""
    best, bad = None, 0
    for r in history:
        if best is None or score(r) > score(best):
            best, bad = r, 0
        else:
            bad += 1
            if bad > patience:
                return best, r["epoch"]
    return best, len(history)


def by_patience(history: list[dict], score, shown) -> str:
    """What patience 1 and 2 would have given: the kept epoch's figure, at epoch kept/run."""
    parts = []
    for patience in (1, 2):
        best, ran = stopped(history, score, patience)
        parts.append(f"patience {patience}: {shown(best)} (epoch {best['epoch']}/{ran})")
    return "; ".join(parts)


def row(task: str, corpus: str, name: str, result: dict) -> str:
    """One line of the table: the validation figures that decide, and the time."""
    m, h = result["metrics"], result["history"]
    if task == "lm":
        figures = "val ppl by epoch " + " ".join(f"{r['val_ppl']:.1f}" for r in h)
    elif task == "classify":
        figures = f"val macro-F1 {m['val_macro_f1']:.4f} acc {m['val_accuracy']:.4f} " \
                  f"(best epoch {result['best_epoch']}/{result['epochs_run']}); by epoch " + \
                  " ".join(f"{r['val_macro_f1']:.3f}" for r in h) + "; " + \
                  by_patience(h, lambda r: (r["val_macro_f1"], -r["val_loss"]), lambda r: f"{r['val_macro_f1']:.4f}")
    else:
        bleu = f" BLEU {m['val_bleu']:.2f}" if "val_bleu" in m else ""
        figures = f"val loss {m['val_loss']:.3f}{bleu} (best epoch {result['best_epoch']}/{result['epochs_run']}); " \
                  "by epoch " + " ".join(f"{r['val_loss']:.3f}" for r in h) + "; " + \
                  by_patience(h, lambda r: -r["val_loss"], lambda r: f"{r['val_loss']:.3f}") + \
                  "; per epoch train/valid s " + " ".join(f"{r['seconds'] - r.get('valid_seconds', 0):.0f}/"
                                                          f"{r.get('valid_seconds', 0):.0f}" for r in h)
    cpu = f"{result['cpu_seconds']:.0f} s CPU, " if result.get("cpu_seconds") is not None else ""
    return f"{task:<9} {corpus:<14} {name:<26} {figures}  [{cpu}{result['train_seconds']:.0f} s wall]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(TASKS))
    parser.add_argument("--corpus", help="run only this corpus (a name from the tables above)")
    parser.add_argument("--candidate", help="run only candidates whose name starts with this")
    parser.add_argument("--fresh", action="store_true", help="train again even when a finished run exists")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "defaults"))
    parser.add_argument("--json", help="write every run's figures and per-epoch history to this file")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    results: dict = {}
    for task, (candidates, corpora) in TASKS.items():
        if args.only and task != args.only:
            continue
        for corpus, spec in corpora.items():
            if args.corpus and corpus != args.corpus:
                continue
            data, epochs, names = spec if isinstance(spec, tuple) else (spec, None, list(candidates))
            path = data(out)
            for name in names:
                flags = candidates[name]
                if args.candidate and not name.startswith(args.candidate):
                    continue
                result = run(task, path, flags, epochs, out / task / corpus / slug(name), args.fresh)
                results.setdefault(task, {}).setdefault(corpus, {})[name] = result
                print(row(task, corpus, name, result), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
