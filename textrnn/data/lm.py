"""Language-model batching: one continuous token stream cut into B parallel rows, read in BPTT windows.

With the stream a b c d e f g h i j k l m n o p q r s t u v w x and B = 4, `batchify` lays it out as

    row 0:  a b c d e f          batch 1 (bptt = 2): input  a b | c d | ...   target  b c | d e | ...
    row 1:  g h i j k l                              input  g h            target  h i
    row 2:  m n o p q r                              input  m n            target  n o
    row 3:  s t u v w x                              input  s t            target  t u

Each row is read left to right across batches, so the hidden state left by one batch is the right start
for the next: the model carries it (detached) instead of starting from zeros.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from textrnn.errors import TrainingError
from textrnn.text.vocab import EOS_ID

if TYPE_CHECKING:
    import torch

    from textrnn.text import Vocab


def stream_ids(token_lists: Iterable[list[str]], vocab: "Vocab", backward: bool = False) -> "torch.Tensor":
    """Concatenate examples into one id stream, each followed by <eos> (a line break in the text).

    backward: the whole stream reversed, for a language model that reads right to left: each example's
    tokens from last to first, each preceded by its <eos> (which then marks where an example ends, reading
    backwards, as it marks the start of a line going forwards)."""
    import torch

    ids: list[int] = []
    stoi, unk = vocab.stoi, vocab.stoi["<unk>"]
    for tokens in token_lists:
        ids.extend(stoi.get(t, unk) for t in tokens)
        ids.append(EOS_ID)
    stream = torch.tensor(ids, dtype=torch.long)
    return stream.flip(0) if backward else stream


def batchify(stream: "torch.Tensor", batch_size: int, bptt: int, what: str = "training") -> "torch.Tensor":
    """(N,) -> (B, N // B), dropping the remainder. Refuses a stream too short for one window per row."""
    need = batch_size * (bptt + 1)
    if stream.numel() < need:
        raise TrainingError(
            f"the {what} data has {stream.numel():,} tokens; batch size {batch_size} x (bptt {bptt} + 1) "
            f"needs at least {need:,}",
            hint="use a larger corpus, or lower --batch-size or --bptt")
    n = stream.numel() // batch_size
    return stream[: n * batch_size].view(batch_size, n)


def windows(data: "torch.Tensor", bptt: int) -> Iterator[dict]:
    """Batches {"input": (B, T), "target": (B, T), "ntokens": B*T} left to right over `batchify` output."""
    for i in range(0, data.size(1) - 1, bptt):
        t = min(bptt, data.size(1) - 1 - i)
        yield {"input": data[:, i: i + t], "target": data[:, i + 1: i + 1 + t], "ntokens": data.size(0) * t}


def num_windows(data: "torch.Tensor", bptt: int) -> int:
    return (data.size(1) - 1 + bptt - 1) // bptt


def split_examples(n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices of a seeded random validation split (at least one example each side)."""
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    k = min(max(1, round(n * fraction)), n - 1)
    return sorted(idx[k:]), sorted(idx[:k])
