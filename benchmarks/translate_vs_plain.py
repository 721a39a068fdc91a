"""Translation training: textrnn against a plain hand-written attention seq2seq loop, same data, same batches.

The data: the pairs of ../shared/data/eng-fra/fra.txt (Tatoeba, CC BY 2.0: manythings.org/anki and
tatoeba.org) whose English and French sides both have 10-15 tokens (spaCy, as `train translate` tokenizes
them), Multi30k's sentence lengths; Tatoeba has 19,125 of them. A seeded sample of --pairs of them (0: all)
is split into training and --valid validation pairs; vocabularies, batches (bucket_batches, batch 64) and
their order are textrnn's, and both models train on the very same batches.

Both models are `train translate`'s defaults: a bidirectional GRU encoder (128 units a direction), a GRU
decoder of 256 with Luong "general" attention and input feeding (--no-input-feed: without, for both),
embeddings of 256, dropout 0.2 on embeddings and before the output layer; Adam at 2e-3, gradient norm
clipped to 1. textrnn runs through its own Trainer; the plain loop is the textbook one (the PyTorch
seq2seq tutorials' shape): a packed encoder, then one decoder step per target token with its embedding
lookup and output layer, the loss over the stacked logits. The two take turns batch by batch, the plain
step just before textrnn's on the same batch, so both see the same load on a shared machine; wall and
CPU (process) seconds are both counted. A Multi30k-sized epoch (29,000 pairs) is estimated from the
target tokens per second at this data's mean target length.

    python benchmarks/translate_vs_plain.py [--pairs N] [--valid N] [--no-input-feed] [--json FILE]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from _common import report, shared

B, H, E, DROPOUT, LR, CLIP, SEED = 64, 256, 256, 0.2, 2e-3, 1.0, 1234
MULTI30K_PAIRS = 29_000


def load_pairs(min_tokens: int, max_tokens: int) -> list[tuple[list[str], list[str]]]:
    """Token lists of the Tatoeba pairs with min..max tokens a side, in file order."""
    from textrnn.text import get_tokenizer

    rows = []
    for line in shared("eng-fra", "fra.txt").read_text(encoding="utf-8").split("\n"):
        cols = line.split("\t")
        # spaCy never joins across a space, so a side of more words than max_tokens has more tokens too.
        if len(cols) >= 2 and all(0 < len(c.split()) <= max_tokens for c in cols[:2]):
            rows.append(cols[:2])
    en, fr = get_tokenizer("spacy", "en"), get_tokenizer("spacy", "fr")
    pairs = zip(en.pipe(r[0] for r in rows), fr.pipe(r[1] for r in rows))
    return [(s, t) for s, t in pairs if min_tokens <= len(s) <= max_tokens and min_tokens <= len(t) <= max_tokens]


def plain_model(src_vocab: int, tgt_vocab: int, input_feed: bool):
    """The textbook encoder-decoder, written out: nothing of textrnn's."""
    import torch
    import torch.nn.functional as F
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.src_emb = nn.Embedding(src_vocab, E, padding_idx=0)
            self.tgt_emb = nn.Embedding(tgt_vocab, E, padding_idx=0)
            self.drop = nn.Dropout(DROPOUT)
            self.encoder = nn.GRU(E, H // 2, batch_first=True, bidirectional=True)
            self.decoder = nn.GRU(E + (H if input_feed else 0), H, batch_first=True)
            self.attn = nn.Linear(H, H, bias=False)  # Luong "general": score = h_t . W_a h_s
            self.concat = nn.Linear(2 * H, H, bias=False)  # h~ = tanh(W_c [c; h])
            self.out = nn.Linear(H, tgt_vocab)

        def forward(self, src, src_len, tgt_in):
            packed = pack_padded_sequence(self.drop(self.src_emb(src)), src_len, batch_first=True,
                                          enforce_sorted=False)
            memory, h = self.encoder(packed)
            memory, _ = pad_packed_sequence(memory, batch_first=True, total_length=src.size(1))
            h = torch.cat([h[0], h[1]], dim=-1).unsqueeze(0)  # forward and backward final states
            keys, mask = self.attn(memory), src != 0
            feed, logits = memory.new_zeros(src.size(0), H), []
            for t in range(tgt_in.size(1)):  # teacher forcing: the gold token in
                x = self.drop(self.tgt_emb(tgt_in[:, t]))
                x = torch.cat([x, feed], dim=-1) if input_feed else x
                out, h = self.decoder(x.unsqueeze(1), h)  # (B, 1, H)
                scores = torch.bmm(out, keys.transpose(1, 2)).masked_fill(~mask.unsqueeze(1), float("-inf"))
                context = torch.bmm(F.softmax(scores, dim=-1), memory)
                feed = torch.tanh(self.concat(torch.cat([context, out], dim=-1))).squeeze(1)
                logits.append(self.out(self.drop(feed)))
            return torch.stack(logits, dim=1)  # (B, T, V)

    return Plain()


def plain_loss(model, batch):
    import torch.nn.functional as F

    logits = model(batch["src"], batch["src_len"], batch["tgt_in"])
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), batch["tgt_out"].reshape(-1), ignore_index=0)


def valid_loss(loss_of, model, batches) -> float:
    """Teacher-forced cross-entropy per target token over the validation batches."""
    import torch

    model.eval()
    with torch.inference_mode():
        total = sum(loss_of(model, b).item() * b["ntokens"] for b in batches)
    model.train()
    return total / sum(b["ntokens"] for b in batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3000, help="pairs sampled for the run (0: all)")
    parser.add_argument("--valid", type=int, default=500, help="of which held out for validation")
    parser.add_argument("--input-feed", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--json")
    args = parser.parse_args()

    import torch

    from textrnn.data.translate import bucket_batches, collate
    from textrnn.models.seq2seq import Seq2Seq, Seq2SeqConfig
    from textrnn.tasks.common import build_vocab
    from textrnn.training import Monitor, TrainConfig, Trainer

    torch.set_num_threads(1)
    found = load_pairs(10, 15)
    pairs = random.Random(SEED).sample(found, args.pairs) if 0 < args.pairs < len(found) else found
    valid, train = pairs[:args.valid], pairs[args.valid:]
    sv = build_vocab((s for s, _ in train), 1, 30_000, "source ")
    tv = build_vocab((t for _, t in train), 1, 30_000, "target ")
    src, tgt = [sv.encode(s) for s, _ in train], [tv.encode(t) for _, t in train]
    batches = [collate([src[i] for i in idx], [tgt[i] for i in idx])
               for idx in bucket_batches([len(s) for s in src], B, seed=SEED + 1)]
    held_out = [collate([sv.encode(valid[i][0]) for i in idx], [tv.encode(valid[i][1]) for i in idx])
                for idx in bucket_batches([len(s) for s, _ in valid], B)]

    torch.manual_seed(SEED)
    ours = Seq2Seq(Seq2SeqConfig(len(sv), len(tv), embedding_size=E, hidden_size=H, dropout=DROPOUT,
                                 input_feed=args.input_feed))
    torch.manual_seed(SEED)
    plain = plain_model(len(sv), len(tv), args.input_feed)
    plain_opt = torch.optim.Adam(plain.parameters(), lr=LR)
    spent = {"plain_wall": 0.0, "plain_cpu": 0.0, "textrnn_wall": 0.0, "textrnn_cpu": 0.0}

    def plain_step(batch) -> None:
        loss = plain_loss(plain, batch)
        plain_opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(plain.parameters(), CLIP)
        plain_opt.step()
        loss.item()

    def taking_turns(epoch: int):
        """Each batch: the plain loop's step, then the same batch to textrnn's Trainer (timed until it asks
        for the next one)."""
        for batch in batches:
            wall, cpu = time.perf_counter(), time.process_time()
            plain_step(batch)
            spent["plain_wall"] += time.perf_counter() - wall
            spent["plain_cpu"] += time.process_time() - cpu
            wall, cpu = time.perf_counter(), time.process_time()
            yield batch
            spent["textrnn_wall"] += time.perf_counter() - wall
            spent["textrnn_cpu"] += time.process_time() - cpu

    plain.train()
    with tempfile.TemporaryDirectory() as tmp:
        config = TrainConfig(epochs=1, batch_size=B, lr=LR, optimizer="adam", clip=CLIP, seed=SEED, device="cpu")
        Trainer(config, Monitor("loss", "min"), Path(tmp)).fit(
            ours, taking_turns, len(batches), lambda m: {"loss": 0.0}, lambda m, r: None,
            lambda m, target, extra: None, save_start=False)
    tokens = sum(b["ntokens"] for b in batches)
    per_pair = tokens / len(train)
    figures = {"pairs_10_15_tokens": len(found), "train_pairs": len(train), "valid_pairs": len(valid),
               "src_vocab": len(sv), "tgt_vocab": len(tv), "target_tokens": tokens,
               "target_tokens_per_pair": round(per_pair, 2), "input_feed": "yes" if args.input_feed else "no",
               "textrnn_tokens_per_s": tokens / spent["textrnn_wall"],
               "plain_tokens_per_s": tokens / spent["plain_wall"],
               "textrnn_over_plain": spent["plain_wall"] / spent["textrnn_wall"],
               "textrnn_tokens_per_cpu_s": tokens / spent["textrnn_cpu"],
               "plain_tokens_per_cpu_s": tokens / spent["plain_cpu"],
               "textrnn_over_plain_cpu": spent["plain_cpu"] / spent["textrnn_cpu"],
               "textrnn_valid_loss": valid_loss(lambda m, b: m(b)[1], ours, held_out),
               "plain_valid_loss": valid_loss(plain_loss, plain, held_out)}
    for who in ("textrnn", "plain"):
        for clock, key in (("wall", "tokens_per_s"), ("cpu", "tokens_per_cpu_s")):
            figures[f"{who}_multi30k_epoch_minutes_{clock}"] = MULTI30K_PAIRS * per_pair / figures[f"{who}_{key}"] / 60
    report(figures, args.json)


if __name__ == "__main__":
    main()
