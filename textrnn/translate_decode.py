"""Batched decoding for Seq2Seq: greedy and beam search over many sentences at once, one step per token.

The encoder runs once per batch; the decoder carries its state and takes one step per output token. In
beam search the K beams of the B sentences are the B*K rows of one batch (sentence b owns rows b*K ...
b*K+K-1), and every step keeps, per sentence, the K best continuations of its 2K best candidates.
Finished hypotheses are ranked by length-normalised log-probability, logprob / len ** alpha (Wu et al.
2016, GNMT, simplified). Output length is capped per sentence at ceil(ratio * source length) + extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textrnn.errors import ConfigError
from textrnn.ranges import check
from textrnn.text.vocab import BOS_ID, EOS_ID, PAD_ID

if TYPE_CHECKING:
    import torch

    from textrnn.models.seq2seq import Seq2Seq


@dataclass(frozen=True)
class DecodeConfig:
    beam: int = 5  # 1: greedy
    alpha: float = 0.7  # length normalisation exponent (0: raw log-probability)
    max_length_ratio: float = 1.5  # output tokens at most ratio * source tokens + extra
    max_length_extra: int = 5
    batch_size: int = 64  # sentences decoded together

    def __post_init__(self) -> None:
        check("beam", self.beam)
        if self.beam < 1:
            raise ConfigError(f"beam must be at least 1 (1: greedy), got {self.beam}")
        if self.batch_size < 1 or self.max_length_ratio <= 0 or self.max_length_extra < 0:
            raise ConfigError("batch_size, max_length_ratio must be positive and max_length_extra >= 0")


@dataclass
class Translation:
    tokens: list[int]  # target ids, without <bos> and <eos>
    attention: "torch.Tensor"  # (len(tokens), source length): where each output token looked
    logprob: float
    score: float  # what the search ranked by (beam: length-normalised)


def _limits(src_len: "torch.Tensor", config: DecodeConfig) -> "torch.Tensor":
    import torch

    return torch.ceil(src_len.float() * config.max_length_ratio).long() + config.max_length_extra


def _log_probs(logits: "torch.Tensor", step: int) -> "torch.Tensor":
    """Log-softmax with <pad> and <bos> never produced, and no empty translation (<eos> first)."""
    import torch

    logp = torch.log_softmax(logits.float(), dim=-1)
    banned = [PAD_ID, BOS_ID] + ([EOS_ID] if step == 0 else [])
    logp[:, banned] = float("-inf")
    return logp


def greedy(model: "Seq2Seq", src: "torch.Tensor", src_len: "torch.Tensor", config: DecodeConfig) -> list[Translation]:
    """src (B, S), src_len (B,) -> B translations taking the likeliest token at every step."""
    import torch

    with torch.inference_mode():
        return _greedy(model, src, src_len, config)


def _greedy(model, src, src_len, config: DecodeConfig) -> list[Translation]:
    import torch

    batch, device = src.size(0), src.device
    state = model.encode(src, src_len)
    limit = _limits(src_len, config).to(device)
    tokens = torch.full((batch,), BOS_ID, dtype=torch.long, device=device)
    finished = torch.zeros(batch, dtype=torch.bool, device=device)
    logprob = torch.zeros(batch, device=device)
    steps, weights = [], []
    for t in range(int(limit.max()) + 1):
        logits, attn, state = model.step(tokens, state)
        best, tok = _log_probs(logits, t).max(-1)
        tok = torch.where(t >= limit, torch.full_like(tok, EOS_ID), tok)
        tok = torch.where(finished, torch.full_like(tok, PAD_ID), tok)
        logprob += torch.where(finished, torch.zeros_like(best), best)
        steps.append(tok)
        weights.append(attn)
        finished |= tok == EOS_ID
        if bool(finished.all()):
            break
        tokens = tok
    ids, attn = torch.stack(steps, 1).cpu(), torch.stack(weights, 1).float().cpu()  # (B, T), (B, T, S)
    out = []
    for i in range(batch):
        row = ids[i].tolist()
        n = row.index(EOS_ID) if EOS_ID in row else len(row)
        out.append(Translation(row[:n], attn[i, :n, :int(src_len[i])], float(logprob[i]), float(logprob[i])))
    return out


def beam_search(model: "Seq2Seq", src: "torch.Tensor", src_len: "torch.Tensor",
                config: DecodeConfig) -> list[Translation]:
    """src (B, S), src_len (B,) -> for each sentence the best of its finished beam hypotheses."""
    import torch

    with torch.inference_mode():
        return _beam_search(model, src, src_len, config)


def _beam_search(model, src, src_len, config: DecodeConfig) -> list[Translation]:
    import torch

    batch, k, device = src.size(0), config.beam, src.device
    rows = torch.arange(batch, device=device).repeat_interleave(k)
    state = model.encode(src, src_len).select(rows)
    limit = _limits(src_len, config).tolist()
    scores = torch.full((batch, k), float("-inf"), device=device)
    scores[:, 0] = 0.0  # one live beam per sentence at the start
    tokens = torch.full((batch * k,), BOS_ID, dtype=torch.long, device=device)
    history = torch.empty(batch * k, 0, dtype=torch.long, device=device)
    attn_history = torch.empty(batch * k, 0, src.size(1), device=device)
    finished: list[list[Translation]] = [[] for _ in range(batch)]
    done = [False] * batch
    for t in range(max(limit) + 1):
        logits, attn, state = model.step(tokens, state)
        logp = _log_probs(logits, t)
        at_limit = torch.tensor([t >= n for n in limit], device=device).repeat_interleave(k)
        logp[at_limit] = float("-inf")
        logp[at_limit, EOS_ID] = 0.0  # out of room: end here
        vocab = logp.size(1)
        total = (scores.view(-1, 1) + logp).view(batch, k * vocab)
        top_v, top_i = total.topk(2 * k, dim=1)  # (B, 2K)
        beam, tok = top_i // vocab, top_i % vocab
        is_eos = tok == EOS_ID
        # An end token among a sentence's K best candidates finishes that hypothesis (as in fairseq).
        for b, j in (is_eos[:, :k] & torch.isfinite(top_v[:, :k])).nonzero().tolist():
            if done[b]:
                continue
            row = b * k + int(beam[b, j])
            toks = history[row].tolist()
            logprob = float(top_v[b, j])
            finished[b].append(Translation(toks, attn_history[row, :, :int(src_len[b])].float().cpu(), logprob,
                                           logprob / max(len(toks), 1) ** config.alpha))
        done = [d or len(f) >= k or t >= limit[b] for b, (d, f) in enumerate(zip(done, finished))]
        if all(done):
            break
        live_v, live_j = top_v.masked_fill(is_eos, float("-inf")).topk(k, dim=1)  # K live continuations
        rows = (torch.arange(batch, device=device).unsqueeze(1) * k + beam.gather(1, live_j)).view(-1)
        tokens = tok.gather(1, live_j).view(-1)
        history = torch.cat([history[rows], tokens.unsqueeze(1)], 1)
        attn_history = torch.cat([attn_history[rows], attn[rows].unsqueeze(1).to(attn_history.dtype)], 1)
        state = state.select(rows)
        scores = live_v
    return [max(f, key=lambda h: h.score) for f in finished]


def translate_ids(model: "Seq2Seq", sources: Sequence[Sequence[int]], config: DecodeConfig = DecodeConfig(),
                  device: str = "cpu") -> list[Translation]:
    """Translate id lists in batches of similar length; results in the order given."""
    import torch

    from textrnn.data.translate import pad

    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    results: list[Translation | None] = [None] * len(sources)
    decode = greedy if config.beam == 1 else beam_search
    for start in range(0, len(order), config.batch_size):
        chunk = order[start:start + config.batch_size]
        src = pad([sources[i] for i in chunk]).to(device)
        src_len = torch.tensor([len(sources[i]) for i in chunk], dtype=torch.long)
        for i, translation in zip(chunk, decode(model, src, src_len.to(device), config)):
            results[i] = translation
    return results  # type: ignore[return-value]


def replace_unknown(tokens: list[str], attention: "torch.Tensor", source_tokens: list[str],
                    unk: str = "<unk>") -> list[str]:
    """Each unknown target word becomes the source word it attends to most (Luong et al. 2015, "Addressing
    the Rare Word Problem in Neural Machine Translation"; Jean et al. 2015): names and numbers come through."""
    out = list(tokens)
    for i, token in enumerate(tokens):
        if token == unk and attention.size(1):
            out[i] = source_tokens[int(attention[i].argmax())]
    return out
