"""The adaptive softmax against the full one on a large vocabulary: tokens/s and validation perplexity.

IMDB review text (whole reviews in a seeded order, lowercased, spaCy tokens): about 1M training tokens with a
vocabulary of the 33,000 commonest (about 97% of running text; the rest is <unk>), and the next ~80k tokens
for validation. Both train a 2-layer LSTM of 200 units, BPTT 35, batch 20, SGD at lr 20 with the gradient norm
clipped to 0.25, for the same tokens (one epoch by default), through `textrnn.tasks.lm.train`: the full
softmax with tied weights (textrnn's default), and the adaptive softmax (untied; an adaptive softmax has no
single output matrix to tie), with the cutoffs given (default 2,000 and 10,000: a head of the 2,000 commonest
words, most of the tokens (head_share), then clusters of the next 8,000 and of the rest, each cluster's
vectors 4 times smaller than the one before it).

The two run in two processes that take turns, one step each (_lockstep.py), so that they share whatever else
loads the machine; each one's tokens/s counts only its own steps.

    python benchmarks/lm_softmax.py [--tokens N] [--epochs N] [--cutoffs 2000 10000] [--threads N] [--json FILE]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import imdb_text, report
from _lockstep import SPAWN, Turns, collect

B, T, H, LAYERS, LR, CLIP, VOCAB = 20, 35, 200, 2, 20.0, 0.25, 33_000


def _train(name: str, arch: dict, files, epochs: int, threads: int, turns: Turns, results) -> None:
    """One training (in a worker process), taking turns; puts its figures on `results`."""
    import torch

    from textrnn.tasks import lm
    from textrnn.training import TrainConfig

    torch.set_num_threads(threads)
    train, valid, out = files
    result = lm.train(str(train), out / name, {"hidden_size": H, "embedding_size": H, "num_layers": LAYERS, **arch},
                      lm.LMDataConfig(tokenizer="spacy", lowercase=True, max_vocab=VOCAB, bptt=T),
                      TrainConfig(epochs=epochs, batch_size=B, lr=LR, optimizer="sgd", clip=CLIP, device="cpu",
                                  patience=epochs),
                      valid=str(valid), callbacks=[turns.callback()], overwrite=True)
    results.put((name, {"seconds": turns.seconds, "steps": turns.steps, "history": result.history}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=1_000_000, help="training tokens (validation: 1/12 of it)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--cutoffs", type=int, nargs="+", default=[2_000, 10_000])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json")
    args = parser.parse_args()

    from textrnn.data.corpus import load_corpus, token_lists, tokenize_corpus
    from textrnn.data.lm import batchify, stream_ids
    from textrnn.tasks.common import build_vocab
    from textrnn.text import get_tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        train, valid = imdb_text(Path(tmp), args.tokens, max(args.tokens // 12, 2_000))
        tok = get_tokenizer("spacy", "en", True)
        train_ds = tokenize_corpus(load_corpus(str(train)), "text", tok)  # the workers find it cached
        tokenize_corpus(load_corpus(str(valid)), "text", tok)
        vocab = build_vocab(token_lists(train_ds), 1, VOCAB)
        known = sum(t in vocab.stoi for tokens in token_lists(train_ds) for t in tokens)
        total = sum(len(tokens) for tokens in token_lists(train_ds))
        head = sum(vocab.counts.get(t, 0) for t in vocab.itos[: args.cutoffs[0]])
        data = batchify(stream_ids(token_lists(train_ds), vocab), B, T)
        tokens = args.epochs * B * (data.size(1) - 1)  # what each of the two trains on
        cutoffs = [c for c in args.cutoffs if c < len(vocab) - 100]  # a quick run's vocabulary is smaller
        runs = {"full": {"softmax": "full", "tie_weights": True},
                "adaptive": {"softmax": "adaptive", "tie_weights": False, "cutoffs": cutoffs}}
        results, turns = SPAWN.Queue(), Turns.pair()
        workers = [SPAWN.Process(target=_train, args=(name, arch, (train, valid, Path(tmp)), args.epochs,
                                                      args.threads, side, results))
                   for (name, arch), side in zip(runs.items(), turns)]
        for w in workers:
            w.start()
        got = dict(collect(workers, results, len(workers)))
    assert got["full"]["steps"] == got["adaptive"]["steps"]
    figures = {"train_tokens": total, "vocab": len(vocab), "vocab_coverage": known / total,
               "head_share": head / total, "cutoffs": " ".join(map(str, cutoffs)), "threads": args.threads}
    for name, run in got.items():
        figures[f"{name}_tokens_per_s"] = tokens / run["seconds"]
        for record in run["history"]:
            figures[f"{name}_val_ppl_epoch{record['epoch']}"] = record["val_ppl"]
    figures["adaptive_over_full"] = got["full"]["seconds"] / got["adaptive"]["seconds"]
    figures["adaptive_ppl_over_full"] = got["adaptive"]["history"][-1]["val_ppl"] / got["full"]["history"][-1]["val_ppl"]
    report(figures, args.json)


if __name__ == "__main__":
    main()
