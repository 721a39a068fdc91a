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
    import numpy as np
    import torch

    from textrnn.text import Vocab


def stream_ids(token_lists: Iterable[list[str]], vocab: "Vocab", backward: bool = False) -> "torch.Tensor":
    """Concatenate examples into one id stream, each followed by <eos> (a line break in the text).

    The ids go to an unnamed file, a chunk at a time, and come back memory-mapped (int32): the corpus never
    becomes one Python list, and the operating system pages the stream in and out as training reads it, so
    a corpus larger than memory trains in flat memory (benchmarks/lm_memory.py). `windows` gives int64
    batches.

    backward: the whole stream reversed, for a language model that reads right to left: each example's
    tokens from last to first, each preceded by its <eos> (which then marks where an example ends, reading
    backwards, as it marks the start of a line going forwards)."""
    import torch

    stoi, unk = vocab.stoi, vocab.stoi["<unk>"]

    def chunks() -> Iterator[list[int]]:
        chunk: list[int] = []
        for tokens in token_lists:
            chunk.extend(stoi.get(t, unk) for t in tokens)
            chunk.append(EOS_ID)
            if len(chunk) >= _CHUNK:
                yield chunk
                chunk = []
        yield chunk

    ids = _mapped(chunks())
    if backward:  # reversed a chunk at a time into a second file: a flip in memory would copy the corpus
        ids = _mapped(ids[max(0, end - _CHUNK): end][::-1] for end in range(len(ids), 0, -_CHUNK))
    return torch.from_numpy(ids)


_CHUNK = 1 << 20  # ids written at a time


def _mapped(chunks: Iterable) -> "np.ndarray":
    """The int32 values of `chunks` (lists or arrays) written to an anonymous file in the cache folder (its name
    is gone once open: nothing is left behind, even after a kill), memory-mapped back. The map outlives the
    handle; copy-on-write, so its pages stay the file's (shared, reclaimable) unless written, which nothing does."""
    import tempfile

    import numpy as np

    from textrnn.data.corpus import cache_dir, cache_writes

    folder = cache_dir()
    with cache_writes(folder), tempfile.TemporaryFile(dir=folder) as f:
        for chunk in chunks:
            np.asarray(chunk, dtype=np.int32).tofile(f)
        f.flush()
        size = f.tell() // 4
        return np.memmap(f, dtype=np.int32, mode="c", shape=(size,)) if size else np.zeros(0, dtype=np.int32)


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


def windows(data: "torch.Tensor", bptt: int, loss_only: bool = False) -> Iterator[dict]:
    """Batches {"input": (B, T), "target": (B, T), "ntokens": B*T} left to right over `batchify` output: views of
    `data` made int64. `loss_only`: the batches say that their scores are not wanted, only the loss (the
    language model then fuses its loss with its output layer in training)."""
    for i in range(0, data.size(1) - 1, bptt):
        t = min(bptt, data.size(1) - 1 - i)
        yield {"input": data[:, i: i + t].long(), "target": data[:, i + 1: i + 1 + t].long(),
               "ntokens": data.size(0) * t, "loss_only": loss_only}


def num_windows(data: "torch.Tensor", bptt: int) -> int:
    return (data.size(1) - 1 + bptt - 1) // bptt


def split_examples(n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices of a seeded random validation split (at least one example each side)."""
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    k = min(max(1, round(n * fraction)), n - 1)
    return sorted(idx[k:]), sorted(idx[:k])
