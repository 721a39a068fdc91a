"""Classification figures on real data, with the CLI: SMS spam by K-fold cross-validation, SST-2, lines/s.

- cv: ../shared/data/sms-spam/train.tsv cut into K stratified folds (`--folds 5`, seeded by `--fold-seed`).
  For each fold, textrnn trains on the other K-1 folds with `textrnn train classify` (which carves its own
  stratified 10% validation split from them for early stopping; the fold's test part is not seen) on one
  thread, and the fold's test part is read once, after training. fastText (when `import fasttext` works; it is
  not a dependency: pip install fasttext-numpy2) trains on the same folds in the same run, with each setting of
  FASTTEXT_SETTINGS. Reported: each fold's accuracy, spam F1 and training time, and their mean, std and
  min-max. `--settings NAME` picks the textrnn settings from SPAM_SETTINGS (default: the chosen ones, which
  the bundled `spam` model is built with); `--extra-train FILE` adds rows to every fold's training part only;
  every run is appended to benchmarks/results/spam-cv-log.jsonl.
- sst2: trains on stsa.binary.train (validation: a stratified 10% of it), evaluated on stsa.binary.dev;
  no pretrained vectors.
- predict: lines/s of `textrnn predict -m MODEL` over stdin lines (start-up included), and of the library's
  batched `predict` alone (MODEL: the first fold's model of the last cv run, else the bundled `spam`).

    python benchmarks/classify.py [--only cv|sst2|predict] [--folds 5] [--settings NAME] [--fasttext all|best|off]
                                  [--extra-train FILE] [--seed N] [--out DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from _common import REPO, report, shared

# The textrnn settings compared for SMS spam by cross-validation on train.tsv, in the order they were tried
# (README: "how the settings were chosen"). Names are those of benchmarks/results/spam-cv-log.jsonl; CHOSEN,
# the best mean, is what the README reports and scripts/build-bundled-models.sh builds the `spam` model with.
# Suffixes: -wd dropout 0.5 and word dropout 0.1 (-wd2: 0.2), -cw class weights, sub5k 5,000 subword buckets.
SPAM_SETTINGS = {
    # Words with hashed character n-grams (fastText-style), case kept: capitals are a spam signal.
    "word-sub-bigru64-concat": "--tokenizer spacy --fold-digits --subwords 20000 --cell gru --hidden-size 64 "
                               "--embedding-size 64 --pooling concat --dropout 0.3 --epochs 15 --patience 4 "
                               "--batch-size 32 --lr 2e-3",
    "word-sub-lower-bigru64-concat": "--tokenizer spacy --lowercase --fold-digits --subwords 20000 --cell gru "
                                     "--hidden-size 64 --embedding-size 64 --pooling concat --dropout 0.3 --epochs 15 "
                                     "--patience 4 --batch-size 32 --lr 2e-3",
    "word-sub-bigru64-max": "--tokenizer spacy --fold-digits --subwords 20000 --cell gru --hidden-size 64 "
                            "--embedding-size 64 --pooling max --dropout 0.3 --epochs 15 --patience 4 "
                            "--batch-size 32 --lr 2e-3",
    "word-sub-bigru64-concat-wd": "--tokenizer spacy --fold-digits --subwords 20000 --cell gru --hidden-size 64 "
                                  "--embedding-size 64 --pooling concat --dropout 0.5 --embedding-dropout 0.25 --output-dropout 0.5 --word-dropout 0.1 --epochs 15 "
                                  "--patience 4 --batch-size 32 --lr 2e-3",
    # Characters: spam's tell-tale pieces (£, 0000, www., /msg, T&C, CAPS) are inside its tokens.
    "char-bigru64-max": "--tokenizer char --fold-digits --cell gru --hidden-size 64 --embedding-size 32 "
                        "--pooling max --dropout 0.3 --epochs 12 --patience 3 --batch-size 32 --lr 3e-3",
    "word-sub-bigru64-concat-wd2": "--tokenizer spacy --fold-digits --subwords 20000 --cell gru --hidden-size 64 "
                                   "--embedding-size 64 --pooling concat --dropout 0.5 --embedding-dropout 0.25 --output-dropout 0.5 --word-dropout 0.2 "
                                   "--epochs 15 --patience 4 --batch-size 32 --lr 2e-3",
    "word-sub5k-bigru64-concat-wd": "--tokenizer spacy --fold-digits --subwords 5000 --cell gru --hidden-size 64 "
                                    "--embedding-size 64 --pooling concat --dropout 0.5 --embedding-dropout 0.25 --output-dropout 0.5 --word-dropout 0.1 "
                                    "--epochs 15 --patience 4 --batch-size 32 --lr 2e-3",
    "word-sub-bigru64-concat-wd-cw": "--tokenizer spacy --fold-digits --subwords 20000 --cell gru --hidden-size 64 "
                                     "--embedding-size 64 --pooling concat --dropout 0.5 --embedding-dropout 0.25 --output-dropout 0.5 --word-dropout 0.1 "
                                     "--epochs 15 --patience 4 --batch-size 32 --lr 2e-3 --class-weights",
}
CHOSEN = "word-sub-bigru64-concat-wd"
# fastText's usual settings for short-text classification: word bigrams, 25 epochs, lr 0.5-1.0; with and without
# lower-casing and punctuation split off (fastText itself splits on white space only).
FASTTEXT_SETTINGS = {
    "lower-lr0.5": {"lower": True, "split_punct": False, "lr": 0.5, "epoch": 25},
    "lower-lr1.0": {"lower": True, "split_punct": False, "lr": 1.0, "epoch": 25},
    "lower-punct-lr0.5": {"lower": True, "split_punct": True, "lr": 0.5, "epoch": 25},
    "lower-punct-lr1.0": {"lower": True, "split_punct": True, "lr": 1.0, "epoch": 25},
    "case-punct-lr0.5": {"lower": False, "split_punct": True, "lr": 0.5, "epoch": 25},
    "case-punct-lr1.0": {"lower": False, "split_punct": True, "lr": 1.0, "epoch": 25},
    "lower-punct-lr0.5-ngrams3-5": {"lower": True, "split_punct": True, "lr": 0.5, "epoch": 25, "minn": 3, "maxn": 5},
}
FASTTEXT_BEST = "lower-punct-lr0.5-ngrams3-5"
SST2 = ("textrnn train classify ../shared/data/sst2/stsa.binary.train -o {out}/sst2 --tokenizer whitespace "
        "--cell lstm --layers 2 --hidden-size 150 --embedding-size 300 --pooling mean --dropout 0.6 "
        "--embedding-dropout 0.3 --output-dropout 0.6 --word-dropout 0.1 --epochs 12 --patience 4 --batch-size 50 --lr 1e-3 --seed {seed}")
LOG = REPO / "benchmarks" / "results" / "spam-cv-log.jsonl"
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def textrnn(*args: str, stdin: str | None = None, env: dict | None = None, stderr=None) -> str:
    cmd = [sys.executable, "-m", "textrnn", *args]
    return subprocess.run(cmd, check=True, cwd=REPO, input=stdin, stdout=subprocess.PIPE, text=True, env=env,
                          stderr=stderr if stderr is not None else subprocess.PIPE).stdout


def evaluate(model: Path, data: Path) -> dict:
    """The fold's test part, read once: accuracy, spam F1 and the confusion matrix."""
    from textrnn.tasks.classify import evaluate as run

    result = run(model, str(data))
    return {"accuracy": result["accuracy"], "f1_spam": result["per_class"]["spam"]["f1"],
            "confusion": result["confusion"]}


# Stratified K-fold cross-validation --------------------------------------------------------------

def stratified_folds(labels: list[str], k: int, seed: int) -> list[list[int]]:
    """K disjoint index lists covering every row, each label dealt round-robin after a seeded shuffle, so each
    fold holds 1/K of every label (to within one row)."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    dealt = 0
    for label in sorted(by_label):
        idx = by_label[label]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[(dealt + j) % k].append(i)
        dealt += len(idx)  # the next label starts where this one stopped: the remainders spread over the folds
    assert sorted(i for fold in folds for i in fold) == list(range(len(labels)))
    return [sorted(fold) for fold in folds]


def write_folds(folder: Path, k: int, seed: int, extra: Path | None = None) -> list[tuple[Path, Path]]:
    """fold{i}-train.tsv (the other K-1 folds, then the rows of `extra` if given) and fold{i}-test.tsv (real
    SMS only) for each fold of the shared train.tsv."""
    lines = shared("sms-spam", "train.tsv").read_text(encoding="utf-8").splitlines()
    folds = stratified_folds([line.split("\t", 1)[0] for line in lines], k, seed)
    added = extra.read_text(encoding="utf-8").splitlines() if extra else []
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, test in enumerate(folds, 1):
        held = set(test)
        train_path, test_path = folder / f"fold{i}-train{'-extra' if extra else ''}.tsv", folder / f"fold{i}-test.tsv"
        train_path.write_text("".join(line + "\n" for j, line in enumerate(lines) if j not in held)
                              + "".join(line + "\n" for line in added), encoding="utf-8")
        test_path.write_text("".join(lines[j] + "\n" for j in test), encoding="utf-8")
        paths.append((train_path, test_path))
    return paths


def textrnn_fold(flags: str, train: Path, test: Path, model: Path, seed: int) -> dict:
    """Train on the fold's training part on one thread (`-q`: epoch lines go to model.log), then test once."""
    model.parent.mkdir(parents=True, exist_ok=True)
    with open(model.with_suffix(".log"), "w", encoding="utf-8") as log:
        textrnn("train", "classify", str(train), "-o", str(model), *shlex.split(flags), "--seed", str(seed),
                "--overwrite", "-q", env=ONE_THREAD, stderr=log)
    training = json.loads((model / "config.json").read_text())["training"]
    return {**evaluate(model, test), "train_seconds": training["seconds_total"],
            "best_epoch": training["best_epoch"], "epochs_run": training["epochs_run"]}


def fasttext_text(text: str, lower: bool, split_punct: bool) -> str:
    import re

    if split_punct:
        text = " ".join(re.findall(r"\w+|[^\w\s]", text))
    return text.lower() if lower else text


def fasttext_fold(setting: dict, train: Path, test: Path, work: Path) -> dict:
    """fastText supervised on the fold's training part (word bigrams), one thread, tested once."""
    import fasttext

    opts = {k: v for k, v in setting.items() if k not in ("lower", "split_punct")}
    prep = {"lower": setting["lower"], "split_punct": setting["split_punct"]}
    rows = [line.split("\t", 1) for line in train.read_text(encoding="utf-8").splitlines()]
    work.parent.mkdir(parents=True, exist_ok=True)
    work.write_text("".join(f"__label__{lab} {fasttext_text(text, **prep)}\n" for lab, text in rows), encoding="utf-8")
    start = time.perf_counter()
    # One thread: repeatable, and the same budget as textrnn (this build's `seed` argument ends in NaN).
    model = fasttext.train_supervised(str(work), wordNgrams=2, verbose=0, thread=1, **opts)
    seconds = time.perf_counter() - start
    gold, pred = [], []
    for line in test.read_text(encoding="utf-8").splitlines():
        label, text = line.split("\t", 1)
        gold.append(label)
        pred.append(model.predict(fasttext_text(text, **prep).replace("\n", " "))[0][0].removeprefix("__label__"))
    tp = sum(g == p == "spam" for g, p in zip(gold, pred))
    fp = sum(p == "spam" != g for g, p in zip(gold, pred))
    fn = sum(g == "spam" != p for g, p in zip(gold, pred))
    return {"accuracy": sum(g == p for g, p in zip(gold, pred)) / len(gold), "f1_spam": 2 * tp / (2 * tp + fp + fn),
            "train_seconds": seconds}


def summary(folds: list[dict]) -> dict:
    """Mean, std (sample) and min-max over the folds of accuracy, spam F1 and training time."""
    out = {}
    for key in ("accuracy", "f1_spam", "train_seconds"):
        values = [f[key] for f in folds]
        out[key] = {"mean": statistics.mean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                    "min": min(values), "max": max(values)}
    return out


def cross_validate(out: Path, k: int, fold_seed: int, seed: int, settings: str, fasttext_mode: str,
                   extra: Path | None = None) -> dict:
    paths = write_folds(out / "cv" / "data", k, fold_seed, extra)
    flags = SPAM_SETTINGS[settings]
    name = settings + ("+" + extra.stem if extra else "")
    runs: dict[str, list[dict]] = {f"textrnn:{name}": []}
    try:
        import fasttext  # noqa: F401
        ft = {"all": FASTTEXT_SETTINGS, "best": {FASTTEXT_BEST: FASTTEXT_SETTINGS[FASTTEXT_BEST]}}.get(fasttext_mode, {})
    except ImportError:
        ft = {}
    for ft_name in ft:
        runs[f"fasttext:{ft_name}"] = []
    for i, (train, test) in enumerate(paths, 1):
        result = textrnn_fold(flags, train, test, out / "cv" / name / f"fold{i}", seed)
        runs[f"textrnn:{name}"].append(result)
        print(f"fold {i}/{k} textrnn:{name}: accuracy {result['accuracy']:.4f}, spam F1 {result['f1_spam']:.4f}, "
              f"{result['train_seconds']:.0f} s (best epoch {result['best_epoch']})", file=sys.stderr, flush=True)
        for ft_name, setting in ft.items():
            runs[f"fasttext:{ft_name}"].append(fasttext_fold(setting, train, test, out / "cv" / "fasttext" / f"fold{i}.txt"))
    record = {"time": time.strftime("%Y-%m-%d %H:%M:%S"), "folds": k, "fold_seed": fold_seed, "training_seed": seed,
              "textrnn_flags": flags, "extra_train": str(extra) if extra else None,
              "runs": {name: {"summary": summary(folds), "folds": folds} for name, folds in runs.items()}}
    if fasttext_mode != "off" and not ft:
        record["fasttext"] = "not installed (pip install fasttext-numpy2)"
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
    return record


def cv_figures(record: dict) -> dict:
    """Flat lines for the terminal: mean +- std [min-max] per run, then each fold."""
    figures: dict = {"cv_folds": record["folds"], "cv_fold_seed": record["fold_seed"],
                     "training_seed": record["training_seed"]}
    for name, run in record["runs"].items():
        s = run["summary"]
        figures[f"{name} accuracy"] = (f"{s['accuracy']['mean']:.4f} +- {s['accuracy']['std']:.4f} "
                                       f"[{s['accuracy']['min']:.4f}-{s['accuracy']['max']:.4f}]")
        figures[f"{name} spam F1"] = (f"{s['f1_spam']['mean']:.4f} +- {s['f1_spam']['std']:.4f} "
                                      f"[{s['f1_spam']['min']:.4f}-{s['f1_spam']['max']:.4f}]")
        figures[f"{name} train s/fold"] = " ".join(f"{f['train_seconds']:.1f}" for f in run["folds"])
        figures[f"{name} accuracy/fold"] = " ".join(f"{f['accuracy']:.4f}" for f in run["folds"])
        figures[f"{name} spam F1/fold"] = " ".join(f"{f['f1_spam']:.4f}" for f in run["folds"])
    if "fasttext" in record:
        figures["fasttext"] = record["fasttext"]
    return figures


# SST-2 and speed ---------------------------------------------------------------------------------

def train_and_test_sst2(out: Path, seed: int) -> dict:
    cmd = shlex.split(SST2.format(out=out, seed=seed))
    start = time.perf_counter()
    textrnn(*cmd[1:], "--overwrite", "--quiet")
    wall = time.perf_counter() - start
    model = out / "sst2"
    config = json.loads((model / "config.json").read_text())
    result = json.loads(textrnn("evaluate", str(model), "../shared/data/sst2/stsa.binary.dev", "--json"))
    figures = {"sst2_test_examples": result["examples"], "sst2_test_accuracy": result["accuracy"],
               "sst2_test_macro_f1": result["macro_f1"]}
    figures["sst2_confusion"] = json.dumps(result["confusion"])
    figures["sst2_epochs_run"] = config["training"]["epochs_run"]
    figures["sst2_best_epoch"] = config["training"]["best_epoch"]
    figures["sst2_train_seconds"] = config["training"]["seconds_total"]
    figures["sst2_wall_seconds"] = wall
    figures["sst2_parameters"] = config["parameters"]
    return figures


def predict_speed(model: Path, texts: list[str]) -> dict:
    """Lines/s through a real pipe (start-up included), and in-process batched predict (model loaded)."""
    from textrnn.tasks.classifier_runner import ClassifierRunner

    stdin = "".join(t + "\n" for t in texts)
    start = time.perf_counter()
    out = textrnn("predict", "-m", str(model), stdin=stdin)
    pipe = time.perf_counter() - start
    assert len(out.splitlines()) == len(texts)
    runner = ClassifierRunner(model)
    start = time.perf_counter()
    runner.classify(texts)
    inside = time.perf_counter() - start
    return {"predict_model": str(model), "predict_lines": len(texts), "predict_cli_seconds": pipe,
            "predict_cli_lines_per_s": len(texts) / pipe, "predict_library_lines_per_s": len(texts) / inside}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["cv", "sst2", "predict"])
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "classify"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--fold-seed", type=int, default=13, help="seed of the stratified folds")
    parser.add_argument("--settings", choices=sorted(SPAM_SETTINGS), default=CHOSEN, help="textrnn's spam settings")
    parser.add_argument("--fasttext", choices=["all", "best", "off"], default="all",
                        help="fastText settings run on the same folds (all of FASTTEXT_SETTINGS, the best, none)")
    parser.add_argument("--seed", type=int, default=1, help="training seed")
    parser.add_argument("--extra-train", type=Path, help="rows added to every fold's training part (never to a "
                                                         "test part), e.g. corpora/sms-spam-like/messages.tsv")
    parser.add_argument("--json", help="write the figures, per fold, to this file")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    figures: dict = {}
    full: dict = {}
    if args.only in (None, "cv"):
        full = cross_validate(out, args.folds, args.fold_seed, args.seed, args.settings, args.fasttext,
                              args.extra_train.resolve() if args.extra_train else None)
        figures.update(cv_figures(full))
    if args.only in (None, "sst2"):
        figures.update(train_and_test_sst2(out, args.seed))
    if args.only in (None, "predict"):
        model = out / "cv" / args.settings / "fold1"
        if not (model / "config.json").is_file():
            model = Path("spam")  # the bundled model
        data = out / "cv" / "data" / "fold1-test.tsv"
        if not data.is_file():
            write_folds(out / "cv" / "data", args.folds, args.fold_seed)
        texts = [line.split("\t", 1)[1] for line in data.read_text(encoding="utf-8").splitlines()] * 6
        figures.update(predict_speed(model, texts))
    report(figures, None)
    if args.json:
        Path(args.json).write_text(json.dumps({**full, "figures": figures}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
