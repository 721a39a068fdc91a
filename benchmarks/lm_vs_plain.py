"""textrnn's training loop against a plain hand-written PyTorch loop: same model, same token stream.

Both train a 2-layer LSTM with 200 units (embedding 200, dropout 0.2, no weight tying), BPTT 35, batch 20,
SGD lr 20 with gradient clipping 0.25 (the pytorch/examples word_language_model recipe), on the same
spaCy-tokenized stream of tiny-shakespeare. Only training steps are timed.

    python benchmarks/lm_vs_plain.py [--tokens N] [--json FILE]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import report, shared

B, T, H, LAYERS, LR, CLIP = 20, 35, 200, 2, 20.0, 0.25


def plain_loop(stream, vocab_size: int) -> float:
    """The textbook loop: embedding + nn.LSTM + linear, hidden state carried and detached."""
    import torch
    from torch import nn

    torch.manual_seed(0)

    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.2)
            self.emb = nn.Embedding(vocab_size, H)
            self.rnn = nn.LSTM(H, H, LAYERS, dropout=0.2, batch_first=True)
            self.out = nn.Linear(H, vocab_size)

        def forward(self, x, h):
            y, h = self.rnn(self.drop(self.emb(x)), h)
            return self.out(self.drop(y)), h

    model = Plain()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    n = stream.numel() // B
    data = stream[: n * B].view(B, n)
    hidden, tokens = None, 0
    start = time.perf_counter()
    for i in range(0, n - 1, T):
        t = min(T, n - 1 - i)
        x, y = data[:, i: i + t], data[:, i + 1: i + 1 + t]
        if hidden is not None:
            hidden = tuple(h.detach() for h in hidden)
        logits, hidden = model(x, hidden)
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        opt.step()
        loss.item()
        tokens += B * t
    return tokens / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=150_000, help="tokens of the stream to train on")
    parser.add_argument("--json")
    args = parser.parse_args()

    from textrnn.data.corpus import load_corpus, tokenize_corpus
    from textrnn.data.lm import stream_ids
    from textrnn.tasks import lm
    from textrnn.text import Vocab, get_tokenizer
    from textrnn.training import TrainConfig

    text = shared("tiny-shakespeare", "input.txt").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        # Cut the corpus so both loops see the same number of tokens.
        lines, count, tok = [], 0, get_tokenizer("spacy")
        for line in text.splitlines():
            lines.append(line)
            count += len(tok(line)) + 1
            if count >= args.tokens:
                break
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tokens = tokenize_corpus(load_corpus(str(corpus)), "text", tok)
        vocab = Vocab.build(tokens["tokens"])
        stream = stream_ids(tokens["tokens"], vocab)

        plain = plain_loop(stream, len(vocab))
        result = lm.train(str(corpus), Path(tmp) / "model",
                          {"hidden_size": H, "embedding_size": H, "num_layers": LAYERS, "dropout": 0.2,
                           "embedding_dropout": 0.2, "output_dropout": 0.2, "tie_weights": False},
                          lm.LMDataConfig(tokenizer="spacy", bptt=T, valid_fraction=0.02, max_vocab=None),
                          TrainConfig(epochs=1, batch_size=B, lr=LR, optimizer="sgd", clip=CLIP, device="cpu"))
        ours = result.history[0]["tokens_per_s"]
    report({"stream_tokens": int(stream.numel()), "vocab": len(vocab), "plain_pytorch_tokens_per_s": plain,
            "textrnn_tokens_per_s": ours, "textrnn_over_plain": ours / plain}, args.json)


if __name__ == "__main__":
    main()
