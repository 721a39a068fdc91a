"""Classification figures on real data, with the CLI: SMS spam and SST-2, training time, batched lines/s.

- sms-spam: ../shared/data/sms-spam/train.tsv is split once, stratified, 20% held out as the test set with
  SPLIT_SEED (13) through `textrnn.data.classify.stratified_split`; textrnn trains a character-level
  BiGRU on the other 80% (early stopping on its own stratified 10% validation split) and is evaluated
  once on the held-out 20%.
- sst2: trains on stsa.binary.train (validation: a stratified 10% of it), evaluated on stsa.binary.dev;
  no pretrained vectors.
- predict: lines/s of `textrnn predict -m MODEL` over stdin lines (start-up included), and of the library's
  batched `predict` alone.
- fastText (when `import fasttext` works; it is not a dependency) on the same spam split, for comparison.

    python benchmarks/classify.py [--only spam|sst2|predict|fasttext] [--seed N] [--out DIR] [--json FILE]
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

SPLIT_SEED = 13
COMMANDS = {
    # Characters, not words: spam's tell-tale pieces (£, 0000, www., /msg, T&C, CAPS) are inside its tokens.
    "spam": "textrnn train classify {data}/spam-train.tsv -o {out}/sms-spam --tokenizer char --fold-digits "
            "--cell gru --hidden-size 128 --embedding-size 32 --pooling max --dropout 0.3 "
            "--epochs 15 --patience 4 --batch-size 32 --lr 2e-3 --seed {seed}",
    "sst2": "textrnn train classify ../shared/data/sst2/stsa.binary.train -o {out}/sst2 --tokenizer whitespace "
            "--cell lstm --layers 2 --hidden-size 150 --embedding-size 300 --pooling mean --dropout 0.6 --embedding-dropout 0.3 --output-dropout 0.6 "
            "--word-dropout 0.1 --epochs 12 --patience 4 --batch-size 50 --lr 1e-3 --seed {seed}",
}
TESTS = {"spam": "{data}/spam-test.tsv", "sst2": "../shared/data/sst2/stsa.binary.dev"}


def split_spam(folder: Path) -> tuple[int, int]:
    """Write spam-train.tsv and spam-test.tsv: a seeded, stratified 80/20 split of the shared file."""
    from textrnn.data.classify import stratified_split

    lines = shared("sms-spam", "train.tsv").read_text(encoding="utf-8").splitlines()
    labels = [line.split("\t", 1)[0] for line in lines]
    train, test = stratified_split(labels, 0.2, seed=SPLIT_SEED)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spam-train.tsv").write_text("".join(lines[i] + "\n" for i in train), encoding="utf-8")
    (folder / "spam-test.tsv").write_text("".join(lines[i] + "\n" for i in test), encoding="utf-8")
    return len(train), len(test)


def textrnn(*args: str, stdin: str | None = None) -> str:
    cmd = [sys.executable, "-m", "textrnn", *args]
    return subprocess.run(cmd, check=True, cwd=REPO, input=stdin, capture_output=True, text=True).stdout


def train_and_test(name: str, out: Path, data: Path, seed: int) -> dict:
    cmd = shlex.split(COMMANDS[name].format(out=out, data=data, seed=seed))
    start = time.perf_counter()
    textrnn(*cmd[1:], "--overwrite", "--quiet")
    wall = time.perf_counter() - start
    model = out / cmd[cmd.index("-o") + 1].split("/")[-1]
    config = json.loads((model / "config.json").read_text())
    result = json.loads(textrnn("evaluate", str(model), TESTS[name].format(data=data), "--json"))
    figures = {f"{name}_test_examples": result["examples"], f"{name}_test_accuracy": result["accuracy"],
               f"{name}_test_macro_f1": result["macro_f1"]}
    for label, c in result["per_class"].items():
        figures[f"{name}_test_f1_{label}"] = c["f1"]
    figures[f"{name}_confusion"] = json.dumps(result["confusion"])
    figures[f"{name}_epochs_run"] = config["training"]["epochs_run"]
    figures[f"{name}_best_epoch"] = config["training"]["best_epoch"]
    figures[f"{name}_train_seconds"] = config["training"]["seconds_total"]
    figures[f"{name}_wall_seconds"] = wall
    figures[f"{name}_parameters"] = config["parameters"]
    return figures


def predict_speed(model: Path, texts: list[str]) -> dict:
    """Lines/s through a real pipe (start-up included), and in-process batched predict (model loaded)."""
    from textrnn.tasks.classify import ClassifierRunner

    stdin = "".join(t + "\n" for t in texts)
    start = time.perf_counter()
    out = textrnn("predict", "-m", str(model), stdin=stdin)
    pipe = time.perf_counter() - start
    assert len(out.splitlines()) == len(texts)
    runner = ClassifierRunner(model)
    start = time.perf_counter()
    runner.classify(texts)
    inside = time.perf_counter() - start
    return {"predict_lines": len(texts), "predict_cli_seconds": pipe, "predict_cli_lines_per_s": len(texts) / pipe,
            "predict_library_lines_per_s": len(texts) / inside}


def fasttext_spam(data: Path) -> dict:
    """fastText supervised on the same split (bigrams, 25 epochs), if it is installed."""
    try:
        import fasttext
    except ImportError:
        return {"fasttext": "not installed (pip install fasttext-numpy2)"}

    def to_ft(src: Path, dst: Path) -> None:
        rows = (line.split("\t", 1) for line in src.read_text(encoding="utf-8").splitlines())
        dst.write_text("".join(f"__label__{lab} {text.lower()}\n" for lab, text in rows), encoding="utf-8")

    to_ft(data / "spam-train.tsv", data / "ft-train.txt")
    to_ft(data / "spam-test.tsv", data / "ft-test.txt")
    start = time.perf_counter()
    # One thread for a repeatable run (this build's `seed` argument ends in NaN).
    model = fasttext.train_supervised(str(data / "ft-train.txt"), epoch=25, wordNgrams=2, lr=0.5, verbose=0,
                                      thread=1)
    seconds = time.perf_counter() - start
    gold, pred = [], []
    for line in (data / "ft-test.txt").read_text(encoding="utf-8").splitlines():
        label, text = line.split(" ", 1)
        gold.append(label)
        pred.append(model.predict(text)[0][0])
    tp = sum(g == p == "__label__spam" for g, p in zip(gold, pred))
    fp = sum(p == "__label__spam" != g for g, p in zip(gold, pred))
    fn = sum(g == "__label__spam" != p for g, p in zip(gold, pred))
    return {"fasttext_test_accuracy": sum(g == p for g, p in zip(gold, pred)) / len(gold),
            "fasttext_test_f1_spam": 2 * tp / (2 * tp + fp + fn), "fasttext_train_seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["spam", "sst2", "predict", "fasttext"])
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "classify"))
    parser.add_argument("--seed", type=int, default=1, help="training seed (the split's seed stays 13)")
    parser.add_argument("--json")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    data = out / "data"
    n_train, n_test = split_spam(data)
    figures: dict = {"training_seed": args.seed, "spam_split_seed": SPLIT_SEED, "spam_train_rows": n_train, "spam_test_rows": n_test}
    for name in ("spam", "sst2"):
        if args.only in (None, name):
            figures.update(train_and_test(name, out, data, args.seed))
    if args.only in (None, "predict"):
        model = out / "sms-spam"
        if not (model / "config.json").is_file():
            model = Path("spam")  # the bundled model
        texts = [line.split("\t", 1)[1] for line in (data / "spam-test.tsv").read_text().splitlines()] * 6
        figures.update(predict_speed(model, texts))
    if args.only in (None, "fasttext"):
        figures.update(fasttext_spam(data))
    report(figures, args.json)


if __name__ == "__main__":
    main()
