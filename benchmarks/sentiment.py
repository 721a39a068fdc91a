"""Sentiment on real reviews with the CLI: SST-2 (phrase-level training) and IMDB, with and without a language
model pretrained on IMDB review text (ULMFiT-style transfer). The bundled `sentiment` model is built, and its
figures measured, by scripts/build-bundled-models.sh.

- data: scripts/sentiment_data.py writes the seeded splits (IMDB 90/10 with seed 13, UCI 80/20 per source,
  SST-2's GLUE phrases for training and the 872 dev sentences held out) into --out/data.
- imdb-lm: a 2-layer LSTM language model (adaptive softmax) trained on the text of the IMDB training split
  only: no held-out review is read before testing; imdb-lm-bwd: its backward twin (`--backward`), for a
  paired classifier (sst-lm-bwd: the twin adapted as sst-lm is); sst-lm: that model adapted to the SST-2 phrases' text
  (`train lm --init`).
- each classifier stops early on validation carved from its own training data: for IMDB a stratified 10%
  of the training file (seeded), for SST-2 10% of the training sentences with every phrase inside them left
  out of training. Of the candidates for one dataset (CHOICES), the one with the best validation accuracy is
  chosen, and only it reads the held-out files, once, after training (`textrnn evaluate`). A candidate may be
  an ensemble of trained classifiers (ENSEMBLES: `evaluate --with`, the mean of their class probabilities),
  measured on its first member's validation file. Trained runs are kept in --out and not trained again.

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
      "--embedding-size 256 --softmax adaptive --bptt 70 --batch-size 64 --epochs 3 --optimizer adam --lr 2e-3 "
      "--dropout 0.1 --embedding-dropout 0.05 --output-dropout 0.1 "
      "--max-vocab 24000 --min-freq 3 --valid-fraction 0.02 --seed 1")
# Its backward twin: the same text read right to left, the same vocabulary (for a paired classifier).
LM_BWD = LM.replace("-o {out}/imdb-lm ", "-o {out}/imdb-lm-bwd --backward ")
# Two more epochs of the IMDB language model at half the rate (`--init` on the same text adds no word).
LM_MORE = ("textrnn train lm {data}/imdb-lm.txt -o {out}/imdb-lm5 --init {out}/imdb-lm --epochs 2 --optimizer adam "
           "--lr 1e-3 --dropout 0.1 --embedding-dropout 0.05 --output-dropout 0.1 --bptt 70 --batch-size 64 "
           "--max-vocab 24000 --min-freq 3 --valid-fraction 0.02 --seed 1")
# ULMFiT's second stage: the IMDB language model adapted to SST's own (unlabelled) phrase text with --init.
SST_LM = ("textrnn train lm {data}/sst2-text.txt -o {out}/sst-lm --init {out}/imdb-lm --epochs 2 --optimizer adam "
          "--lr 1e-3 --dropout 0.1 --embedding-dropout 0.05 --output-dropout 0.1 --bptt 70 --batch-size 64 "
          "--valid-fraction 0.05 --seed 1")
# The backward IMDB model adapted to the same text, so that the pair shares one vocabulary.
SST_LM_BWD = SST_LM.replace("-o {out}/sst-lm ", "-o {out}/sst-lm-bwd ").replace("--init {out}/imdb-lm ",
                                                                             "--init {out}/imdb-lm-bwd ")
# The same adaptation from the IMDB model after its 5 epochs (imdb-lm5): a longer-pretrained start.
SST_LM5 = SST_LM.replace("-o {out}/sst-lm ", "-o {out}/sst-lm5 ").replace("--init {out}/imdb-lm ", "--init {out}/imdb-lm5 ")
# Two more epochs again at half that rate (imdb-lm7), in bfloat16 where the CPU has it natively (1.8x as fast),
# and its adaptation to SST's text.
LM_MORE7 = (LM_MORE.replace("-o {out}/imdb-lm5 --init {out}/imdb-lm ", "-o {out}/imdb-lm7 --init {out}/imdb-lm5 ")
            .replace("--lr 1e-3", "--lr 5e-4") + "{bf16}")
SST_LM7 = SST_LM.replace("-o {out}/sst-lm ", "-o {out}/sst-lm7 ").replace("--init {out}/imdb-lm ",
                                                                         "--init {out}/imdb-lm7 ") + "{bf16}"
FINE_TUNE = "{encoders} --pooling concat --dropout 0.3 --optimizer adam --lr 1e-3 --seed 1"
SCRATCH = ("--tokenizer spacy --lowercase --layers 2 --hidden-size 256 --embedding-size 256 --no-bidirectional "
           "--pooling concat --dropout 0.3 --optimizer adam --lr 1e-3 --max-vocab 24000 --min-freq 3 --seed 1")
# SST-2: validation is 10% of the training sentences with every phrase inside them left out of training
# (scripts/sentiment_data.py), so it measures sentences never seen in part, as the dev sentences are.
# Each training file with a validation file of its own (an ensemble is measured on it; IMDB's is carved by the CLI).
VALID_FILES = {"sst2-train": "sst2-valid"}
SST = f"--valid {{data}}/{VALID_FILES['sst2-train']}.tsv --batch-size 64 --epochs 6 --patience 2 --max-length 100"
SST_GENTLE = SST + " --lr 5e-4 --dropout 0.5"
SST_8 = SST.replace("--epochs 6", "--epochs 8") + " --gradual-unfreeze"
# More dropout where the words come in: on the embedded input, and whole words hidden (--word-dropout).
SST_8_REG = f"{SST_8} --embedding-dropout 0.3 --word-dropout 0.1"
IMDB = "--batch-size 32 --epochs 5 --patience 1 --truncate head+tail --max-length 1000"
# name -> (training file, language model (None: from scratch), options, held-out files).
RUNS = {
    "sst2-scratch": ("sst2-train", None, SST, ["sst2-dev"]),
    "sst2-ulm": ("sst2-train", "sst-lm", SST, ["sst2-dev"]),
    "sst2-ulm-unfreeze": ("sst2-train", "sst-lm", f"{SST} --gradual-unfreeze", ["sst2-dev"]),
    "sst2-ulm-unfreeze-discr": ("sst2-train", "sst-lm", f"{SST} --gradual-unfreeze --layer-lr-decay 2.6",
                                ["sst2-dev"]),
    "sst2-ulm-gentle": ("sst2-train", "sst-lm", SST_GENTLE, ["sst2-dev"]),
    "sst2-ulm-unfreeze-8": ("sst2-train", "sst-lm", SST_8, ["sst2-dev"]),
    "sst2-ulm-unfreeze-8-reg": ("sst2-train", "sst-lm", SST_8_REG, ["sst2-dev"]),
    "sst2-ulm-unfreeze-8-reg2": ("sst2-train", "sst-lm", f"{SST_8} --dropout 0.4 --embedding-dropout 0.4 "
                                                        "--word-dropout 0.2", ["sst2-dev"]),
    "sst2-ulm5-unfreeze-8": ("sst2-train", "sst-lm5", SST_8, ["sst2-dev"]),
    "sst2-ulm5-unfreeze-8-reg": ("sst2-train", "sst-lm5", SST_8_REG, ["sst2-dev"]),
    "sst2-ulm5-unfreeze-8-reg2": ("sst2-train", "sst-lm5", f"{SST_8} --dropout 0.4 --embedding-dropout 0.4 "
                                                          "--word-dropout 0.2", ["sst2-dev"]),
    "sst2-ulm-paired": ("sst2-train", ("sst-lm", "sst-lm-bwd"), SST_8, ["sst2-dev"]),
    "sst2-ulm-paired-10": ("sst2-train", ("sst-lm", "sst-lm-bwd"),
                           SST_8.replace("--epochs 8", "--epochs 10"), ["sst2-dev"]),
    # The same recipe with other seeds, for ensembles (ENSEMBLES); and the pair with that input dropout.
    # (--seed N after FINE_TUNE's --seed 1: the last one given counts)
    **{f"sst2-ulm5-unfreeze-8-reg-seed{seed}": ("sst2-train", "sst-lm5", f"{SST_8_REG} --seed {seed}", ["sst2-dev"])
       for seed in (2, 3, 4)},
    "sst2-ulm7-unfreeze-8-reg": ("sst2-train", "sst-lm7", SST_8_REG, ["sst2-dev"]),
    **{f"sst2-ulm7-unfreeze-8-reg-seed{seed}": ("sst2-train", "sst-lm7", f"{SST_8_REG} --seed {seed}", ["sst2-dev"])
       for seed in (2, 3, 4)},
    "sst2-ulm5-paired-reg": ("sst2-train", ("sst-lm5", "sst-lm-bwd"), SST_8_REG, ["sst2-dev"]),
    "imdb-ulm": ("imdb-train", "imdb-lm", IMDB, ["imdb-valid"]),
    "imdb-ulm-lm5": ("imdb-train", "imdb-lm5", IMDB.replace("--epochs 5", "--epochs 4"), ["imdb-valid"]),
    # ULMFiT's forward and backward language models in one paired classifier; each epoch costs two.
    "imdb-ulm-paired": ("imdb-train", ("imdb-lm", "imdb-lm-bwd"), IMDB.replace("--epochs 5", "--epochs 3"),
                        ["imdb-valid"]),
}
# Ensembles (`evaluate --with`: the mean of the members' class probabilities): name -> members, the first one's
# validation and held-out files read by all.
REG5, REG7 = "sst2-ulm5-unfreeze-8-reg", "sst2-ulm7-unfreeze-8-reg"
ENSEMBLES = {
    "sst2-ens-seeds2": [REG5, f"{REG5}-seed2"],
    "sst2-ens-seeds3": [REG5, f"{REG5}-seed2", f"{REG5}-seed3"],
    "sst2-ens-seeds4": [REG5, f"{REG5}-seed2", f"{REG5}-seed3", f"{REG5}-seed4"],
    "sst2-ens-seeds3-paired": [REG5, f"{REG5}-seed2", f"{REG5}-seed3", "sst2-ulm5-paired-reg"],
    "sst2-ens-seeds4-paired": [REG5, f"{REG5}-seed2", f"{REG5}-seed3", f"{REG5}-seed4", "sst2-ulm5-paired-reg"],
    "sst2-ens7-seeds4": [REG7, *[f"{REG7}-seed{seed}" for seed in (2, 3, 4)]],
}
# Candidates compared on their validation accuracy; only the chosen one reads the held-out files.
CHOICES = {"sst2": ["sst2-ulm", "sst2-ulm-unfreeze", "sst2-ulm-unfreeze-discr", "sst2-ulm-gentle",
                    "sst2-ulm-unfreeze-8", "sst2-ulm-unfreeze-8-reg", "sst2-ulm-unfreeze-8-reg2",
                    "sst2-ulm5-unfreeze-8", "sst2-ulm5-unfreeze-8-reg", "sst2-ulm5-unfreeze-8-reg2",
                    "sst2-ulm-paired", "sst2-ulm-paired-10", *[f"{REG5}-seed{seed}" for seed in (2, 3, 4)],
                    "sst2-ulm5-paired-reg", REG7, *[f"{REG7}-seed{seed}" for seed in (2, 3, 4)], *ENSEMBLES],
           "imdb": ["imdb-ulm", "imdb-ulm-lm5", "imdb-ulm-paired"]}


def textrnn(*args: str) -> str:
    cmd = [sys.executable, "-m", "textrnn", *args]
    return subprocess.run(cmd, check=True, cwd=REPO, capture_output=True, text=True).stdout


def run(command: str) -> float:
    start = time.perf_counter()
    textrnn(*shlex.split(command)[1:], "--overwrite", "-qq")
    return time.perf_counter() - start


def language_model(name: str, command: str, data: Path, out: Path) -> dict:
    if not (out / name / "config.json").is_file():
        import torch

        bf16 = " --precision bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else ""
        run(command.format(data=data, out=out, bf16=bf16))
    config = json.loads((out / name / "config.json").read_text())
    key = name.replace("-", "_")
    return {f"{key}_val_ppl": config["metrics"]["val_ppl"], f"{key}_seconds": config["training"]["seconds_total"],
            f"{key}_train_tokens": config["training"]["train_tokens"]}


def classifier(name: str, data: Path, out: Path) -> dict:
    """Train `name` (kept if already trained) and return its training and validation figures."""
    train, lms, options, _ = RUNS[name]
    lms = (lms,) if isinstance(lms, str) else lms or ()
    start = FINE_TUNE.format(encoders=" ".join(f"--encoder {out}/{lm}" for lm in lms)) if lms else SCRATCH
    if not (out / name / "config.json").is_file():
        run(f"textrnn train classify {data}/{train}.tsv -o {out}/{name} {start} {options.format(data=data)}")
    config = json.loads((out / name / "config.json").read_text())
    return {f"{name}_train_seconds": config["training"]["seconds_total"],
            f"{name}_run_seconds": config["training"]["run_seconds"],
            f"{name}_epochs_run": config["training"]["epochs_run"], f"{name}_best_epoch": config["training"]["best_epoch"],
            f"{name}_val_accuracy": config["metrics"]["val_accuracy"]}


def evaluated(name: str, path: Path, out: Path) -> dict:
    """The evaluation of `name` (a classifier, or an ensemble of classifiers) on the file `path`."""
    members = ENSEMBLES.get(name, [name])
    extra = [arg for member in members[1:] for arg in ("--with", str(out / member))]
    return json.loads(textrnn("evaluate", str(out / members[0]), str(path), *extra, "--json"))


def ensemble(name: str, data: Path, out: Path) -> dict:
    """An ensemble's validation accuracy, on its first member's validation file."""
    valid = data / f"{VALID_FILES[RUNS[ENSEMBLES[name][0]][0]]}.tsv"
    return {f"{name}_val_accuracy": evaluated(name, valid, out)["accuracy"]}


def held_out(name: str, data: Path, out: Path) -> dict:
    """`name` evaluated once on its held-out files."""
    figures = {}
    for test in RUNS[ENSEMBLES.get(name, [name])[0]][3]:
        result = evaluated(name, data / f"{test}.tsv", out)
        figures[f"{name}_{test}_accuracy"] = result["accuracy"]
        figures[f"{name}_{test}_examples"] = result["examples"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=[*RUNS, *ENSEMBLES])
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "sentiment"))
    parser.add_argument("--json")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    data = out / "data"
    subprocess.run([sys.executable, str(REPO / "scripts" / "sentiment_data.py"), str(data)], check=True,
                   capture_output=True)
    figures = language_model("imdb-lm", LM, data, out)
    names = args.only or [*RUNS, *ENSEMBLES]
    trained = list(dict.fromkeys(n for name in names for n in ENSEMBLES.get(name, [name])))  # ensembles: members
    wanted = {lm for name in trained for lm in (RUNS[name][1] if isinstance(RUNS[name][1], tuple)
                                                else (RUNS[name][1],))}
    if "imdb-lm5" in wanted:
        figures.update(language_model("imdb-lm5", LM_MORE, data, out))
    if "imdb-lm-bwd" in wanted:
        figures.update(language_model("imdb-lm-bwd", LM_BWD, data, out))
    if "sst-lm" in wanted:
        figures.update(language_model("sst-lm", SST_LM, data, out))
    if "sst-lm5" in wanted:
        figures.update(language_model("imdb-lm5", LM_MORE, data, out))
        figures.update(language_model("sst-lm5", SST_LM5, data, out))
    if "sst-lm7" in wanted:
        figures.update(language_model("imdb-lm5", LM_MORE, data, out))
        figures.update(language_model("imdb-lm7", LM_MORE7, data, out))
        figures.update(language_model("sst-lm7", SST_LM7, data, out))
    if "sst-lm-bwd" in wanted:
        figures.update(language_model("imdb-lm-bwd", LM_BWD, data, out))
        figures.update(language_model("sst-lm-bwd", SST_LM_BWD, data, out))
    for name in trained:
        figures.update(classifier(name, data, out))
    for name in names:
        if name in ENSEMBLES:
            figures.update(ensemble(name, data, out))
    tested = [name for name in names if not any(name in group for group in CHOICES.values())]
    for group, candidates in CHOICES.items():
        compared = [name for name in candidates if name in names]
        if compared:
            chosen = max(compared, key=lambda name: figures[f"{name}_val_accuracy"])
            figures[f"{group}_chosen"] = chosen
            tested.append(chosen)
    for name in tested:
        figures.update(held_out(name, data, out))
    report(figures, args.json)


if __name__ == "__main__":
    main()
