#!/usr/bin/env bash
# Rebuild the models that ship inside the package (textrnn/pretrained/) from the corpora in corpora/ and the
# public datasets in $TEXTRNN_DATA (default: ../shared/data, beside the repository).
# Usage: [TEXTRNN_DATA=DIR] bash scripts/build-bundled-models.sh [NAME ...]   (default: all). CPU is enough;
# seeds are fixed.
set -euo pipefail
data="${TEXTRNN_DATA:-}"
[[ -n "$data" ]] && data="$(realpath -m "$data")"  # a relative TEXTRNN_DATA means relative to where it was run
cd "$(dirname "$0")/.."
data="${data:-../shared/data}"
out=textrnn/pretrained
want=("${@:-all}")
build() { [[ " ${want[*]} " == *" all "* || " ${want[*]} " == *" $1 "* ]]; }
# need FILE WHERE: stop with one line saying where to download a dataset that is not in $data.
need() {
  [[ -f "$data/$1" ]] && return
  echo "build-bundled-models: $data/$1 not found. Download it from $2, or set TEXTRNN_DATA to the folder" \
       "that holds it." >&2
  exit 1
}
# A model card (README.md) is written by hand; --overwrite replaces the whole directory, so keep it aside.
cards=$(mktemp -d)
trap 'rm -rf "$cards"' EXIT
keep_card() { [[ ! -f "$out/$1/README.md" ]] || cp "$out/$1/README.md" "$cards/$1.md"; }
restore_card() { [[ ! -f "$cards/$1.md" ]] || cp "$cards/$1.md" "$out/$1/README.md"; }

if build everyday-english; then
  textrnn train lm corpora/everyday-english -o "$out/everyday-english" --overwrite \
    --tokenizer spacy --cell lstm --layers 1 --hidden-size 256 --epochs 30 --patience 3 --batch-size 32 --bptt 35 \
    --dropout 0.3 --lr 3e-3 --min-freq 2 --seed 1
fi
# Classification and translation models are added below by their tasks.
if build spam; then
  # The SMS Spam Collection v.1 (Almeida & Gomez Hidalgo; free to use, cite the paper: textrnn/pretrained/spam/
  # README.md). The settings were chosen by 5-fold cross-validation on this file (benchmarks/classify.py --only cv:
  # word-sub-bigru64-concat-wd); the model is then trained on all of it. The project's own written messages are
  # left out: added to each fold's training part they lowered the cross-validated accuracy (README). One torch
  # thread: the same figures on any machine, and no contention on a shared CPU.
  need sms-spam/train.tsv "https://archive.ics.uci.edu/dataset/228/sms+spam+collection (the file SMSSpamCollection: label<TAB>text lines; save it as sms-spam/train.tsv)"
  keep_card spam
  OMP_NUM_THREADS=1 textrnn train classify "$data/sms-spam/train.tsv" -o "$out/spam" --overwrite -q \
    --tokenizer spacy --fold-digits --subwords 20000 --cell gru --hidden-size 64 --embedding-size 64 \
    --pooling concat --dropout 0.5 --word-dropout 0.1 --epochs 15 --patience 4 --batch-size 32 --lr 2e-3 --seed 1
  restore_card spam
fi
if build sentiment; then
  OMP_NUM_THREADS=1 textrnn train classify corpora/reviews/reviews.tsv -o "$out/sentiment" --overwrite \
    --tokenizer spacy --lowercase --cell lstm --hidden-size 96 --embedding-size 64 --pooling attention \
    --dropout 0.4 --word-dropout 0.2 --epochs 20 --patience 5 --batch-size 32 --lr 2e-3 --seed 1
fi
if build en-fr; then
  # One torch thread: the attention decoder steps token by token, and more threads only contend on a shared CPU.
  OMP_NUM_THREADS=1 textrnn train translate corpora/en-fr -o "$out/en-fr" --overwrite \
    --hidden-size 192 --embedding-size 96 --dropout 0.3 --label-smoothing 0.1 --epochs 40 --patience 6 \
    --batch-size 32 --lr 2e-3 --monitor bleu --seed 1
fi
