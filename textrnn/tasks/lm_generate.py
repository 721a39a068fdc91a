"""Generation and next-word prediction for many prompts at once: the prompts run through the fused RNN together,
then every row samples in step, each from its own random numbers, so a batch gives what one prompt alone gives.

Seeds: with `seed=S`, prompt i of a run (counting from 0) samples from its own torch.Generator seeded with
`prompt_seed(S, i)`: S itself for the first prompt, a hash of (S, i) for the others. A prompt's text therefore
depends only on S, its position and the model, not on how the prompts were batched; the first prompt of a
filter gives what `generate(prompt, seed=S)` gives, and prompt i alone reproduces with `seed=prompt_seed(S, i)`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from textrnn.errors import InputError
from textrnn.ranges import check

UNTIL = ("line", "sentence", "none")
SENTENCE_ENDS = (".", "!", "?")
GENERATE_BATCH = 512  # prompts sampled together at most (measured: 512 beats 256 by 5-15%, 1,000 no better)
SAMPLING_CELLS = 1 << 22  # at most rows x vocabulary in each float32 array the sampler holds (16 MB)
PREDICT_BATCH = 64  # texts through the model together in predict
BLOCK = 64  # random draws taken from a row's generator at a time: the same blocks whatever the batch


def generate_batch_size(vocab_size: int) -> int:
    """Prompts to sample together: GENERATE_BATCH, fewer for a vocabulary so large that the sampler's
    (rows, V) arrays would pass SAMPLING_CELLS (a 30,000-word vocabulary: 139)."""
    return max(1, min(GENERATE_BATCH, SAMPLING_CELLS // vocab_size))


def prompt_seed(seed: int, index: int) -> int:
    """The seed of prompt `index` (from 0) in a run seeded with `seed`: `seed` for the first prompt; for the
    others a 64-bit hash of the pair, so that runs with nearby seeds share no prompt's random numbers."""
    if index == 0:
        return seed
    return int.from_bytes(hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class GenerateConfig:
    """How to continue prompts. until: "line" stops at the end-of-line token, "sentence" also after . ! ?,
    "none" only after n tokens (an end of line is then written as "\\n"); None: the model's default."""

    n: int = 30
    temperature: float = 0.8
    top_k: int = 0
    top_p: float = 1.0
    seed: int | None = None
    beam: int = 0
    until: str | None = None

    def __post_init__(self) -> None:
        from textrnn.sampling import check_sampling

        if self.until not in (None, *UNTIL):
            raise InputError(f"--until must be line, sentence or none, not {self.until!r}")
        check_sampling(self.temperature, self.top_k, self.top_p)
        for name in ("n", "beam", "seed"):
            check(name, getattr(self, name))
        if self.beam >= 1:
            check("beam_n", self.n)


@dataclass
class Generation:
    """One prompt's continuation. prompt_tokens: the tokens of the prompt that were read ([] for a blank one)."""

    index: int  # the prompt's position in the run, from 0
    prompt: str
    prompt_tokens: list[str]
    tokens: list[str]
    seed: int | None  # the seed that gives this continuation for this prompt alone


def run_prompts(model, prompts: list[list[int]], device):
    """Each prompt's next-token scores (B, V) and the RNN state at its own last token (every layer, B rows).

    Prompts of different lengths share fused RNN calls without reading padding: sorted longest first, the
    batch runs the steps every row has; the rows that go on run the next stretch from their carried state;
    and so on. Each row's output and state are taken where it ends. (A dense run over right padding with a
    gather at each row's end, as cells.final_states does, gives the last layer's output there, but not the
    lower layers' states nor an LSTM's cell states, which generation carries on from.)

        lengths a:5 b:3 c:3 d:2     steps 0-1: a b c d  (d ends)   step 2: a b c  (b, c end)   steps 3-4: a
    """
    import torch

    from textrnn.models.cells import map_state

    order = sorted(range(len(prompts)), key=lambda b: -len(prompts[b]))
    lengths = [len(prompts[b]) for b in order]
    x = torch.zeros(len(prompts), lengths[0], dtype=torch.long)
    for row, b in enumerate(order):
        x[row, :lengths[row]] = torch.tensor(prompts[b])
    x = x.to(device)
    ends, state, start = [], None, 0
    with torch.inference_mode():
        for end in sorted(set(lengths)):
            active = sum(length >= end for length in lengths)  # rows 0..active-1 go on
            carried = None if state is None else map_state(lambda s: s[:, :active], state)
            out, new = model.hidden(x[:active, start:end], carried)
            state = new if state is None else map_state(lambda s, n: torch.cat([n, s[:, active:]], 1), state, new)
            ends.append(out[active - lengths.count(end):active, -1])  # the rows that end here, in row order
            start = end
        last = torch.cat(ends[::-1])  # the shortest rows came first: back to longest-first order
        back = torch.tensor(sorted(range(len(order)), key=order.__getitem__), device=last.device)
        logits = model.scores(last[back, None])[:, 0]
        return logits, map_state(lambda s: s.index_select(1, back.to(s.device)), state)


class Draws:
    """Each row's random numbers in [0, 1), drawn from its own generator (seeded by `seeds`) BLOCK steps at a
    time, so that a row draws the same numbers in any batch. Without seeds, from torch's global generator."""

    def __init__(self, rows: int, seeds: list[int] | None) -> None:
        import torch

        self.gens = [torch.Generator().manual_seed(s) for s in seeds] if seeds is not None else None
        self.block = torch.empty(rows, BLOCK, dtype=torch.float64)

    def take(self, rows, step: int):
        """rows (R,) long, step -> (R,) this step's draw for each row."""
        import torch

        if step % BLOCK == 0:
            if self.gens is None:
                self.block[rows] = torch.rand(len(rows), BLOCK, dtype=torch.float64)
            else:
                for r in rows.tolist():
                    self.block[r] = torch.rand(BLOCK, generator=self.gens[r], dtype=torch.float64)
        return self.block[rows, step % BLOCK]


def sample_steps(model, logits, state, config: GenerateConfig, seeds: list[int] | None, stops: list[int],
                 device) -> Iterator[tuple[list[int], list[int], list[int]]]:
    """Sample all rows in step, one recurrent step per new token for the rows still going.

    logits (B, V): each row's scores for its first token; state: the RNN state of those B rows.
    Yields per step (rows, ids, ended): the rows sampled (indices 0..B-1), the id each took, and the rows
    that ended with it: on an id in `stops`, or at n tokens. A row never starts with the end-of-line token.
    """
    import torch

    from textrnn.models.cells import map_state
    from textrnn.sampling import next_token
    from textrnn.text.vocab import BOS_ID, EOS_ID, PAD_ID, UNK_ID

    rows = torch.arange(logits.size(0))
    draws = Draws(logits.size(0), seeds) if config.temperature > 0 else None
    stop_ids = torch.tensor(stops, dtype=torch.long)
    for i in range(config.n):
        with torch.inference_mode():
            logits = logits.to("cpu", torch.float32, copy=True)
            logits[:, [PAD_ID, UNK_ID, BOS_ID] + ([EOS_ID] if i == 0 else [])] = float("-inf")
            ids = next_token(logits, config.temperature, config.top_k, config.top_p,
                             draws.take(rows, i) if draws else None)
            ended = torch.isin(ids, stop_ids) if i < config.n - 1 else torch.ones_like(ids, dtype=torch.bool)
        yield rows.tolist(), ids.tolist(), rows[ended].tolist()
        if bool(ended.all()):
            return
        with torch.inference_mode():
            if bool(ended.any()):
                keep = ~ended
                rows, ids = rows[keep], ids[keep]
                state = map_state(lambda s: s[:, keep.to(s.device)], state)
            out, state = model.step(ids.view(-1, 1).to(device), state)
            logits = out[:, -1]


def stop_ids(vocab, until: str) -> list[int]:
    """The ids after which a row ends: the end of line, and for "sentence" the sentence ends too."""
    from textrnn.text.vocab import EOS_ID

    if until == "none":
        return []
    return [EOS_ID] + ([vocab.stoi[t] for t in SENTENCE_ENDS if t in vocab] if until == "sentence" else [])


def token_strings(vocab, ids: list[int], until: str) -> list[str]:
    """Ids -> tokens: an end of line is "\\n" when it does not stop the row (until "none"), else left out."""
    from textrnn.text.vocab import EOS_ID

    return ["\n" if i == EOS_ID else vocab.itos[i] for i in ids if i != EOS_ID or until == "none"]


def encode_all(encode, texts: list[str], first: int) -> tuple[list, InputError | None]:
    """The encoded texts up to the first that cannot be encoded, and its error (None: all encoded). A batch
    answers the texts before a bad one, then raises, as one text at a time would."""
    encoded = []
    for i, text in enumerate(texts, first):
        try:
            encoded.append(encode(text, i))
        except InputError as e:
            return encoded, e
    return encoded, None


def in_batches(texts: Iterable[str], batch_size: int, encode, answer) -> Iterator:
    """Read texts in batches (textrnn.data.stdin.batches: no waiting on a pipe for a batch to fill), encode each
    with encode(text, index) and yield answer(encoded, first_index)'s results; a text that cannot be encoded
    raises after the answers for those before it."""
    from textrnn.data.stdin import batches

    first = 0
    for chunk in batches(texts, batch_size):
        encoded, error = encode_all(encode, chunk, first)
        if encoded:
            yield from answer(encoded, first)
        if error is not None:
            raise error
        first += len(chunk)


def generate_batch(model, vocab, device, prompts: list, first: int, config: GenerateConfig) -> Iterator[Generation]:
    """The Generations of encoded prompts (tasks.lm.Prompt) numbered first, first + 1, ...: all sampled in
    step, each yielded as soon as it and those before it have ended. config.until must be resolved."""
    seeds = None if config.seed is None else [prompt_seed(config.seed, first + b) for b in range(len(prompts))]

    def result(b: int, tokens: list[str]) -> Generation:
        return Generation(first + b, prompts[b].text, prompts[b].tokens, tokens, seeds[b] if seeds else None)

    if config.beam >= 1:  # one prompt at a time: beam search has no randomness to share out
        for b, prompt in enumerate(prompts):
            yield result(b, list(beam_tokens(model, vocab, device, prompt.ids, config)))
        return
    logits, state = run_prompts(model, [p.ids for p in prompts], device)
    ids: list[list[int]] = [[] for _ in prompts]
    done = [False] * len(prompts)
    ready = 0
    for rows, picked, ended in sample_steps(model, logits, state, config, seeds, stop_ids(vocab, config.until), device):
        for row, token in zip(rows, picked):
            ids[row].append(token)
        for row in ended:
            done[row] = True
        while ready < len(prompts) and done[ready]:
            yield result(ready, token_strings(vocab, ids[ready], config.until))
            ready += 1


def beam_tokens(model, vocab, device, prompt_ids: list[int], config: GenerateConfig) -> Iterator[str]:
    """The likeliest continuation of one prompt by beam search (textrnn.beam_search), as tokens."""
    import torch

    from textrnn.beam_search import beam_search
    from textrnn.models.cells import map_state, state_rows
    from textrnn.text.vocab import BOS_ID, EOS_ID, PAD_ID, UNK_ID

    state = run_prompts(model, [prompt_ids[:-1]], device)[1] if len(prompt_ids) > 1 else None

    def step(tokens, st):
        if st is not None and tokens.size(0) > 1 and state_rows(st) == 1:
            st = map_state(lambda s: s.expand(-1, tokens.size(0), -1).contiguous(), st)
        out, st = model.step(tokens.view(-1, 1).to(device), st)
        return torch.log_softmax(out[:, -1].float(), dim=-1).cpu(), st

    def reorder(st, index):
        return map_state(lambda s: s.index_select(1, index.to(s.device)), st)

    with torch.inference_mode():
        best = beam_search(step, reorder, state, prompt_ids[-1], config.beam, config.n,
                           EOS_ID if config.until != "none" else None, banned=(PAD_ID, UNK_ID, BOS_ID))[0]
    for tok in best.tokens:
        token = "\n" if tok == EOS_ID else vocab.itos[tok]
        yield token
        if config.until == "sentence" and token in SENTENCE_ENDS:
            return
