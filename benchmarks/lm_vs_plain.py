"""textrnn's language-model training against the textbook hand-written PyTorch loop, on the same batches.

A Penn Treebank-sized word stream: about 1M training tokens of IMDB review text (whole reviews in a seeded
order, lowercased, spaCy tokens) with a 10,000-word vocabulary as PTB's, and the next ~80k tokens for
validation. Both train a 2-layer LSTM of 200 units with tied weights, dropout 0.2 (embedding, between the
layers, output), BPTT 35, batch 20, SGD at lr 20 with the gradient norm clipped to 0.25: the
pytorch/examples word_language_model recipe. textrnn trains through `textrnn.tasks.lm.train`, as the CLI does.

The two loops run on the same batches in two processes that take turns, one step each (_lockstep.py), so
that they share whatever else loads the machine; each one's tokens/s counts only its own steps. After the
epoch, each model's validation perplexity on the same stream. Once with one thread each, then with two
(--threads); textrnn with --precision fp32 and then auto, the default, which on a CPU with native bfloat16 is
bfloat16 for this stream (on other CPUs auto alone: float32 there).

    python benchmarks/lm_vs_plain.py [--tokens N] [--threads 1 2] [--precision fp32 auto bf16] [--together]
                                      [--profile STEPS] [--json FILE]

--together runs the two side by side instead, one thread each, each on a core of its own (0 and 1), as two
jobs share a two-core machine.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path

from _common import imdb_text, report
from _lockstep import SPAWN, Turns, collect, pin

B, T, H, LAYERS, LR, CLIP, DROPOUT, VOCAB, EVAL_B = 20, 35, 200, 2, 20.0, 0.25, 0.2, 10_000, 10


class PlainLoop:
    """The textbook loop (pytorch/examples word_language_model): embedding + nn.LSTM + linear with tied
    weights, the hidden state carried and detached, cross-entropy, clipping, SGD; one step per call."""

    def __init__(self, train_data, vocab_size: int) -> None:
        import torch
        from torch import nn

        torch.manual_seed(0)

        class Plain(nn.Module):
            def __init__(self):
                super().__init__()
                self.drop = nn.Dropout(DROPOUT)
                self.emb = nn.Embedding(vocab_size, H)
                self.rnn = nn.LSTM(H, H, LAYERS, dropout=DROPOUT, batch_first=True)
                self.out = nn.Linear(H, vocab_size)
                self.out.weight = self.emb.weight
                nn.init.uniform_(self.emb.weight, -0.1, 0.1)  # init_weights() of the example
                nn.init.zeros_(self.out.bias)

            def forward(self, x, h):
                y, h = self.rnn(self.drop(self.emb(x)), h)
                return self.out(self.drop(y)), h

        self.model, self.data, self.vocab_size = Plain(), train_data.long(), vocab_size  # int64 ids, as torch's examples
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.hidden, self.i, self.tokens = None, 0, 0

    def step(self) -> None:
        from torch import nn

        self.model.train()
        t = min(T, self.data.size(1) - 1 - self.i)
        x, y = self.data[:, self.i: self.i + t], self.data[:, self.i + 1: self.i + 1 + t]
        if self.hidden is not None:
            self.hidden = tuple(h.detach() for h in self.hidden)
        logits, self.hidden = self.model(x, self.hidden)
        loss = nn.functional.cross_entropy(logits.reshape(-1, self.vocab_size), y.reshape(-1))
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), CLIP)
        self.opt.step()
        loss.item()
        self.i, self.tokens = self.i + t, self.tokens + x.numel()

    def valid_ppl(self, data) -> float:
        """Perplexity over a batchified stream, carrying the state: as textrnn's evaluation reads it."""
        import torch
        from torch import nn

        self.model.eval()
        data = data.long()
        total, count, hidden = 0.0, 0, None
        with torch.no_grad():
            for i in range(0, data.size(1) - 1, T):
                t = min(T, data.size(1) - 1 - i)
                x, y = data[:, i: i + t], data[:, i + 1: i + 1 + t]
                logits, hidden = self.model(x, hidden)
                total += nn.functional.cross_entropy(logits.reshape(-1, self.vocab_size), y.reshape(-1)).item() * y.numel()
                count += y.numel()
        return math.exp(total / count)


def _plain_worker(turns, streams: str, threads: int, results, core: int | None = None) -> None:
    """The plain loop in a process of its own, taking turns with textrnn's (or beside it, on `core`)."""
    import torch

    pin(core)
    torch.set_num_threads(threads)
    saved = torch.load(streams)
    plain = PlainLoop(saved["train"], saved["vocab_size"])
    for _ in range(num_steps(saved["train"])):
        turns.take()
        plain.step()
        turns.give()
    results.put({"tokens": plain.tokens, "seconds": turns.seconds, "valid_ppl": plain.valid_ppl(saved["valid"]),
                 "page_faults": turns.faults, "steps": turns.steps})


def num_steps(data) -> int:
    return (data.size(1) - 1 + T - 1) // T


def _data(folder: Path, train_tokens: int):
    """The corpus files, and the training and validation streams batchified as textrnn lays them out."""
    from textrnn.data.corpus import load_corpus, token_lists, tokenize_corpus
    from textrnn.data.lm import batchify, stream_ids
    from textrnn.tasks.common import build_vocab
    from textrnn.text import get_tokenizer

    train, valid = imdb_text(folder, train_tokens, max(train_tokens // 12, 2_000))
    tok = get_tokenizer("spacy", "en", True)
    train_ds, valid_ds = (tokenize_corpus(load_corpus(str(p)), "text", tok) for p in (train, valid))
    vocab = build_vocab(token_lists(train_ds), 1, VOCAB)
    train_data = batchify(stream_ids(token_lists(train_ds), vocab), B, T)
    valid_data = batchify(stream_ids(token_lists(valid_ds), vocab), EVAL_B, T, "validation")
    return train, valid, vocab, train_data, valid_data


def _textrnn(train: Path, valid: Path, out: Path, callbacks=(), precision: str = "auto"):
    from textrnn.tasks import lm
    from textrnn.training import TrainConfig

    arch = {"hidden_size": H, "embedding_size": H, "num_layers": LAYERS, "dropout": DROPOUT,
            "embedding_dropout": DROPOUT, "output_dropout": DROPOUT, "tie_weights": True}
    return lm.train(str(train), out, arch,
                    lm.LMDataConfig(tokenizer="spacy", lowercase=True, max_vocab=VOCAB, bptt=T),
                    TrainConfig(epochs=1, batch_size=B, lr=LR, optimizer="sgd", clip=CLIP, device="cpu",
                                precision=precision),
                    valid=str(valid), callbacks=callbacks, overwrite=True)


def pair(threads: int, precision: str, files, tmp: Path, together: bool = False) -> dict:
    """One epoch of each loop with `threads` threads each, taking turns step by step (_lockstep): textrnn in
    this process with `precision`, the plain loop (float32) in a process of its own. together (one thread
    each): no turns, the two run at once, textrnn on core 0 and the plain loop on core 1."""
    import torch

    from textrnn import checkpoint

    train, valid, vocab, train_data, valid_data = files
    torch.save({"train": train_data, "valid": valid_data, "vocab_size": len(vocab)}, tmp / "streams.pt")
    torch.set_num_threads(threads)
    ours, theirs = Turns.pair(together)
    results = SPAWN.Queue()
    worker = SPAWN.Process(target=_plain_worker, args=(theirs, str(tmp / "streams.pt"), threads, results,
                                                       1 if together else None))
    worker.start()
    mine = os.sched_getaffinity(0)
    pin(0 if together else None)
    model = tmp / f"model-{threads}-{precision}"
    try:
        result = _textrnn(train, valid, model, [ours.callback()], precision)
    except BaseException:
        worker.terminate()
        raise
    finally:
        os.sched_setaffinity(0, mine)
    plain = collect([worker], results, 1)[0]
    saved = checkpoint.load(model)[1]
    assert saved.vocabs["text"].itos == vocab.itos  # the same stream
    assert plain["steps"] == ours.steps == num_steps(train_data)  # and both read all of it
    tokens, key = plain["tokens"], f"{threads}t_{precision}" + ("_together" if together else "")
    return {f"{key}_textrnn_computes_in": saved.training["computed_in"],
            f"{key}_textrnn_tokens_per_s": tokens / ours.seconds,
            f"{key}_plain_tokens_per_s": tokens / plain["seconds"],
            f"{key}_textrnn_over_plain": plain["seconds"] / ours.seconds,
            f"{key}_textrnn_val_ppl": result.history[0]["val_ppl"], f"{key}_plain_val_ppl": plain["valid_ppl"],
            f"{key}_textrnn_page_faults_per_step": ours.faults // ours.steps,
            f"{key}_plain_page_faults_per_step": plain["page_faults"] // plain["steps"]}


def profile(steps: int, precisions: list[str], files, tmp: Path) -> None:
    """torch.profiler tables of `steps` steps of each loop alone, one thread: where the time goes."""
    import torch
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from textrnn.training import Callback

    train, valid, vocab, train_data, _ = files
    torch.set_num_threads(1)
    plain = PlainLoop(train_data, len(vocab))
    for _ in range(3):
        plain.step()
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            plain.step()
    print("plain loop:\n" + prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))

    class Stop(Exception):
        pass

    class Window(Callback):
        def on_step(self, epoch, step, loss, tokens_per_s):
            if step == 3:
                self.prof = torch_profile(activities=[ProfilerActivity.CPU])
                self.prof.__enter__()
            elif step == 3 + steps:
                self.prof.__exit__(None, None, None)
                raise Stop

    for precision in precisions:
        window = Window()
        try:
            _textrnn(train, valid, tmp / "profile", [window], precision)
        except Stop:
            pass
        print(f"textrnn, --precision {precision}:\n"
              + window.prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=1_000_000, help="training tokens (validation: 1/12 of it)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--precision", nargs="+", choices=["auto", "fp32", "bf16"],
                        help="textrnn's --precision (the plain loop: float32); default: auto, the default, and on a "
                             "CPU with native bfloat16, where auto is bfloat16, fp32 as well")
    parser.add_argument("--profile", type=int, metavar="STEPS", help="profile this many steps of each instead")
    parser.add_argument("--together", action="store_true",
                        help="one thread each, run side by side on cores 0 and 1 instead of taking turns")
    parser.add_argument("--json")
    args = parser.parse_args()
    from textrnn.devices import native_bf16

    args.precision = args.precision or (["fp32", "auto"] if native_bf16("cpu") else ["auto"])

    with tempfile.TemporaryDirectory() as tmp:
        files = _data(Path(tmp), args.tokens)
        if args.profile:
            profile(args.profile, args.precision, files, Path(tmp))
            return
        figures = {"train_tokens": int(files[3].numel()), "vocab": len(files[2])}
        for threads in [1] if args.together else args.threads:
            for precision in args.precision:
                figures.update(pair(threads, precision, files, Path(tmp), args.together))
    report(figures, args.json)


if __name__ == "__main__":
    main()
